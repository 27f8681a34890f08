//! Parameter-mapping expressions (`requestParameters`, `responseParameters`, gateway-response
//! parameters): parsed once at load time into typed targets and sources.
//!
//! Grammar (AWS "parameter mapping sources" reference):
//! - targets: `integration.request.{path,querystring,header}.N`, `method.response.header.N`,
//!   `gatewayresponse.header.N`;
//! - sources: `method.request.{path,querystring,multivaluequerystring,header,multivalueheader}.N`,
//!   `method.request.body[.JSONPATH]`, `integration.response.{header,multivalueheader}.N`,
//!   `integration.response.body[.JSONPATH]`, `stageVariables.N`, `context.N`, `'static'`.

use std::fmt;

use apigate_template::JsonPath;

use crate::context_var::ContextVar;

/// Where a method-request parameter lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ParamLocation {
    Path,
    QueryString,
    Header,
}

impl ParamLocation {
    pub fn as_str(self) -> &'static str {
        match self {
            ParamLocation::Path => "path",
            ParamLocation::QueryString => "querystring",
            ParamLocation::Header => "header",
        }
    }
}

/// The left-hand side of an integration request mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestTarget {
    pub location: ParamLocation,
    pub name: String,
}

impl fmt::Display for RequestTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "integration.request.{}.{}",
            self.location.as_str(),
            self.name
        )
    }
}

/// A JSONPath into a JSON body, written without the leading `$` in mapping expressions
/// (`method.request.body.a.b[0]`), kept here with it (`$.a.b[0]`) and compiled at load by the
/// JSONPath implementation templates use (`apigate_template::JsonPath`, Jayway's semantics).
#[derive(Debug, Clone)]
pub struct BodyPath {
    text: String,
    compiled: JsonPath,
}

impl BodyPath {
    /// Compiles `text` (`$.a.b[0]`).
    pub fn parse(text: &str) -> Result<BodyPath, String> {
        let compiled = JsonPath::parse(text).map_err(|e| e.message)?;
        Ok(BodyPath {
            text: text.to_string(),
            compiled,
        })
    }

    /// The path as written, with its `$`.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The compiled path.
    pub fn path(&self) -> &JsonPath {
        &self.compiled
    }
}

impl PartialEq for BodyPath {
    fn eq(&self, other: &BodyPath) -> bool {
        self.text == other.text
    }
}

impl Eq for BodyPath {}

/// The right-hand side of any mapping. Which variants are allowed depends on the place; see
/// [`parse_source`] and [`Place`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `method.request.{path,querystring,header}.N` (`multi`: the `multivalue*` forms).
    MethodRequest {
        location: ParamLocation,
        name: String,
        multi: bool,
    },
    /// `method.request.body` or `method.request.body.JSONPATH`.
    MethodRequestBody(Option<BodyPath>),
    /// `integration.response.header.N` / `integration.response.multivalueheader.N`.
    IntegrationResponseHeader { name: String, multi: bool },
    /// `integration.response.body` or `integration.response.body.JSONPATH`.
    IntegrationResponseBody(Option<BodyPath>),
    /// `stageVariables.N`.
    StageVariable(String),
    /// `context.N` (N may be dotted: `identity.sourceIp`), resolved at load.
    Context(ContextVar),
    /// `'value'`, quotes stripped.
    Static(String),
}

/// Where an expression appears; decides which sources are allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    IntegrationRequest,
    MethodResponse,
    GatewayResponse,
}

/// Why an expression was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MappingError {
    UnterminatedStatic,
    /// Not a source expression at all, or not one allowed in this place.
    Invalid(String),
    /// `context.X` where X is not a supported context variable.
    UnknownContext(String),
}

/// Parses `integration.request.{path,querystring,header}.N`.
pub fn parse_request_target(key: &str) -> Result<RequestTarget, String> {
    let rest = key.strip_prefix("integration.request.").ok_or_else(|| {
        "integration request targets start with `integration.request.`".to_string()
    })?;
    let (loc, name) = rest.split_once('.').ok_or_else(|| {
        "expected `integration.request.{path|querystring|header}.NAME`".to_string()
    })?;
    let location = match loc {
        "path" => ParamLocation::Path,
        "querystring" => ParamLocation::QueryString,
        "header" => ParamLocation::Header,
        other => {
            return Err(format!(
                "`{other}` is not a request parameter location (path, querystring, header)"
            ))
        }
    };
    check_name(name)?;
    Ok(RequestTarget {
        location,
        name: name.to_string(),
    })
}

/// Parses a target with a fixed prefix (`method.response.header.` or
/// `gatewayresponse.header.`) and returns the header name.
pub fn parse_header_target<'a>(key: &'a str, prefix: &str) -> Result<&'a str, String> {
    let name = key
        .strip_prefix(prefix)
        .ok_or_else(|| format!("expected `{prefix}NAME`"))?;
    check_name(name)?;
    Ok(name)
}

fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("the parameter name is empty".into());
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '$' | '-')))
    {
        return Err(format!(
            "`{c}` is not allowed in a parameter name (A-Z a-z 0-9 . _ $ - only)"
        ));
    }
    Ok(())
}

/// Parses a mapping value for `place`.
pub fn parse_source(expr: &str, place: Place) -> Result<Source, MappingError> {
    if let Some(rest) = expr.strip_prefix('\'') {
        return match rest.strip_suffix('\'') {
            Some(v) => Ok(Source::Static(v.to_string())),
            None => Err(MappingError::UnterminatedStatic),
        };
    }
    let invalid = |why: &str| MappingError::Invalid(why.to_string());
    if let Some(name) = expr.strip_prefix("stageVariables.") {
        check_name(name).map_err(|e| invalid(&e))?;
        return Ok(Source::StageVariable(name.to_string()));
    }
    if let Some(name) = expr.strip_prefix("context.") {
        return ContextVar::parse(name)
            .filter(ContextVar::is_mapping_source)
            .map(Source::Context)
            .ok_or_else(|| MappingError::UnknownContext(name.to_string()));
    }
    if let Some(rest) = expr.strip_prefix("method.request.") {
        if place == Place::MethodResponse {
            return Err(invalid(
                "method response mappings read `integration.response.*`, not `method.request.*`",
            ));
        }
        if let Some(path) = body_path(rest) {
            if place == Place::GatewayResponse {
                return Err(invalid("gateway responses cannot read the request body"));
            }
            return Ok(Source::MethodRequestBody(path.map_err(|e| invalid(&e))?));
        }
        let (loc, name) = rest
            .split_once('.')
            .ok_or_else(|| invalid("expected `method.request.{path|querystring|header}.NAME`"))?;
        let (location, multi) = match loc {
            "path" => (ParamLocation::Path, false),
            "querystring" => (ParamLocation::QueryString, false),
            "multivaluequerystring" => (ParamLocation::QueryString, true),
            "header" => (ParamLocation::Header, false),
            "multivalueheader" => (ParamLocation::Header, true),
            other => {
                return Err(invalid(&format!(
                    "`{other}` is not a method request parameter location"
                )))
            }
        };
        if multi && place == Place::GatewayResponse {
            return Err(invalid(
                "gateway responses read single-value parameters only",
            ));
        }
        check_name(name).map_err(|e| invalid(&e))?;
        return Ok(Source::MethodRequest {
            location,
            name: name.to_string(),
            multi,
        });
    }
    if let Some(rest) = expr.strip_prefix("integration.response.") {
        if place != Place::MethodResponse {
            return Err(invalid(
                "`integration.response.*` can only be read by method response mappings",
            ));
        }
        if let Some(path) = body_path(rest) {
            return Ok(Source::IntegrationResponseBody(
                path.map_err(|e| invalid(&e))?,
            ));
        }
        let (loc, name) = rest
            .split_once('.')
            .ok_or_else(|| invalid("expected `integration.response.header.NAME`"))?;
        let multi = match loc {
            "header" => false,
            "multivalueheader" => true,
            other => {
                return Err(invalid(&format!(
                    "`{other}` is not an integration response location"
                )))
            }
        };
        check_name(name).map_err(|e| invalid(&e))?;
        return Ok(Source::IntegrationResponseHeader {
            name: name.to_string(),
            multi,
        });
    }
    Err(invalid("not a mapping source (expected method.request.*, integration.response.*, stageVariables.*, context.* or a 'static' value)"))
}

/// `body`, `body.a.b`, `body[0].x` → Some(Ok(path)); anything else → None.
fn body_path(rest: &str) -> Option<Result<Option<BodyPath>, String>> {
    let tail = rest.strip_prefix("body")?;
    if tail.is_empty() {
        return Some(Ok(None));
    }
    if !(tail.starts_with('.') || tail.starts_with('[')) {
        return None;
    }
    Some(
        check_body_path(tail)
            .and_then(|()| BodyPath::parse(&format!("${tail}")))
            .map(Some),
    )
}

/// Checks the dotted/bracketed member path syntax of a body JSONPath (`.a.b[0]['c']`).
fn check_body_path(tail: &str) -> Result<(), String> {
    let mut chars = tail.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '.' => {
                let mut n = 0;
                while let Some(&c) = chars.peek() {
                    if c == '.' || c == '[' {
                        break;
                    }
                    if !(c.is_alphanumeric() || c == '_' || c == '-' || c == '$' || c == '*') {
                        return Err(format!("`{c}` is not allowed in a body path member name"));
                    }
                    chars.next();
                    n += 1;
                }
                if n == 0 {
                    return Err("empty member name in body path".into());
                }
            }
            '[' => {
                let mut inner = String::new();
                loop {
                    match chars.next() {
                        Some(']') => break,
                        Some(c) => inner.push(c),
                        None => return Err("unclosed `[` in body path".into()),
                    }
                }
                // Jayway quotes names with `'` only (`["a"]` is its InvalidPathException).
                let quoted = inner.len() >= 2 && inner.starts_with('\'') && inner.ends_with('\'');
                if !(quoted || inner == "*" || inner.parse::<i64>().is_ok()) {
                    return Err(format!(
                        "`[{inner}]` is not an index, `*` or a single-quoted name"
                    ));
                }
            }
            other => return Err(format!("unexpected `{other}` in body path")),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        let t = parse_request_target("integration.request.path.bucket").unwrap();
        assert_eq!(
            t,
            RequestTarget {
                location: ParamLocation::Path,
                name: "bucket".into()
            }
        );
        assert!(parse_request_target("integration.request.body.x").is_err());
        assert!(parse_request_target("integration.request.header.").is_err());
        assert!(parse_request_target("integration.request.header.a b").is_err());
        assert_eq!(
            parse_header_target(
                "method.response.header.Content-Type",
                "method.response.header."
            )
            .unwrap(),
            "Content-Type"
        );
    }

    #[test]
    fn request_sources() {
        use Place::IntegrationRequest as R;
        assert_eq!(
            parse_source("method.request.multivaluequerystring.q", R).unwrap(),
            Source::MethodRequest {
                location: ParamLocation::QueryString,
                name: "q".into(),
                multi: true
            }
        );
        assert_eq!(
            parse_source("'application/x-amz-json-1.1'", R).unwrap(),
            Source::Static("application/x-amz-json-1.1".into())
        );
        assert_eq!(
            parse_source("''", R).unwrap(),
            Source::Static(String::new())
        );
        assert_eq!(
            parse_source("'abc", R),
            Err(MappingError::UnterminatedStatic)
        );
        assert_eq!(parse_source("'", R), Err(MappingError::UnterminatedStatic));
        assert_eq!(
            parse_source("method.request.body.petstore.pets[0].name", R).unwrap(),
            Source::MethodRequestBody(Some(BodyPath::parse("$.petstore.pets[0].name").unwrap()))
        );
        assert_eq!(
            parse_source("method.request.body[0].price", R).unwrap(),
            Source::MethodRequestBody(Some(BodyPath::parse("$[0].price").unwrap()))
        );
        assert_eq!(
            parse_source("method.request.body", R).unwrap(),
            Source::MethodRequestBody(None)
        );
        assert!(matches!(
            parse_source("method.request.body.a[x", R),
            Err(MappingError::Invalid(_))
        ));
        assert!(matches!(
            parse_source("method.request.body[\"a\"]", R),
            Err(MappingError::Invalid(_))
        ));
        assert_eq!(
            parse_source("method.request.body.a[-1]['b']", R).unwrap(),
            Source::MethodRequestBody(Some(BodyPath::parse("$.a[-1]['b']").unwrap()))
        );
        assert_eq!(
            parse_source("context.identity.sourceIp", R).unwrap(),
            Source::Context(ContextVar::IdentitySourceIp)
        );
        assert_eq!(
            parse_source("context.authorizer.claims.email", R).unwrap(),
            Source::Context(ContextVar::AuthorizerClaim("email".into()))
        );
        assert_eq!(
            parse_source("context.nope", R),
            Err(MappingError::UnknownContext("nope".into()))
        );
        assert!(matches!(
            parse_source("integration.response.header.X", R),
            Err(MappingError::Invalid(_))
        ));
        assert!(matches!(
            parse_source("method.request.cookie.X", R),
            Err(MappingError::Invalid(_))
        ));
        assert!(matches!(
            parse_source("foo", R),
            Err(MappingError::Invalid(_))
        ));
    }

    #[test]
    fn response_sources() {
        use Place::MethodResponse as M;
        assert_eq!(
            parse_source("integration.response.header.Date", M).unwrap(),
            Source::IntegrationResponseHeader {
                name: "Date".into(),
                multi: false
            }
        );
        assert_eq!(
            parse_source("integration.response.body.a", M).unwrap(),
            Source::IntegrationResponseBody(Some(BodyPath::parse("$.a").unwrap()))
        );
        assert!(matches!(
            parse_source("method.request.header.X", M),
            Err(MappingError::Invalid(_))
        ));
        assert!(matches!(
            parse_source("method.request.body", Place::GatewayResponse),
            Err(MappingError::Invalid(_))
        ));
        assert!(parse_source("method.request.header.Origin", Place::GatewayResponse).is_ok());
    }
}
