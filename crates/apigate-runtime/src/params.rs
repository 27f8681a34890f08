//! Evaluates the parameter-mapping sources parsed at load time (`apigate_core::mapping`).
//! A source with no value yields `None` and its target is simply not set, as AWS does.

use crate::context::RequestContext;
use crate::request::MethodRequest;
use apigate_core::mapping::{BodyPath, ParamLocation, Source};
use http::HeaderMap;
use std::collections::BTreeMap;

/// What a mapping can read besides the request or the integration response.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    pub context: &'a RequestContext,
    pub stage_variables: &'a BTreeMap<String, String>,
}

/// A source of an integration-request or gateway-response mapping. `body` is the buffered
/// method-request body when some mapping reads it.
pub fn request_value(
    source: &Source,
    request: Option<&MethodRequest<'_>>,
    body: Option<&[u8]>,
    scope: Scope<'_>,
) -> Option<String> {
    match source {
        Source::MethodRequest {
            location,
            name,
            multi,
        } => match (location, multi) {
            (ParamLocation::Path, _) => request?.path(name).map(str::to_string),
            (ParamLocation::QueryString, false) => request?.query_last(name).map(str::to_string),
            (ParamLocation::QueryString, true) => non_empty(join(request?.query_all(name))),
            (ParamLocation::Header, false) => request?.header_last(name).map(|v| v.into_owned()),
            (ParamLocation::Header, true) => non_empty(join(request?.header_all(name))),
        },
        Source::MethodRequestBody(path) => body_value(body?, path.as_ref()),
        other => shared_value(other, scope),
    }
}

/// A source of a method-response header mapping.
pub fn response_value(
    source: &Source,
    backend_headers: &HeaderMap,
    body: Option<&[u8]>,
    scope: Scope<'_>,
) -> Option<String> {
    match source {
        Source::IntegrationResponseHeader { name, multi } => {
            let mut values = backend_headers
                .get_all(name.as_str())
                .iter()
                .map(|v| String::from_utf8_lossy(v.as_bytes()));
            if *multi {
                non_empty(join(values))
            } else {
                values.next_back().map(|v| v.into_owned())
            }
        }
        Source::IntegrationResponseBody(path) => body_value(body?, path.as_ref()),
        other => shared_value(other, scope),
    }
}

fn shared_value(source: &Source, scope: Scope<'_>) -> Option<String> {
    match source {
        Source::Static(v) => Some(v.clone()),
        Source::StageVariable(n) => scope.stage_variables.get(n).cloned(),
        Source::Context(n) => scope.context.get(n),
        _ => None,
    }
}

/// Whether evaluating `source` needs the method-request body buffered.
pub fn reads_request_body(source: &Source) -> bool {
    matches!(source, Source::MethodRequestBody(_))
}

/// Whether evaluating `source` needs the integration-response body buffered.
pub fn reads_response_body(source: &Source) -> bool {
    matches!(source, Source::IntegrationResponseBody(_))
}

fn join<'a>(values: impl Iterator<Item = impl AsRef<str> + 'a>) -> String {
    let mut out = String::new();
    for (i, v) in values.enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(v.as_ref());
    }
    out
}

fn non_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

/// The whole body (lossy UTF-8), or the JSON value at `path` (strings unquoted, anything else
/// as JSON text; a wildcard path gives a JSON array of its matches), evaluated by the JSONPath
/// implementation templates use.
fn body_value(body: &[u8], path: Option<&BodyPath>) -> Option<String> {
    match path {
        Some(path) => path.path().mapping_value(body),
        None => Some(String::from_utf8_lossy(body).into_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(body: &str, path: &str) -> Option<String> {
        body_value(body.as_bytes(), Some(&BodyPath::parse(path).unwrap()))
    }

    #[test]
    fn body_paths() {
        let body =
            r#"{"petstore":{"pets":[{"name":"rex","age":3},{"name":"tom"}]},"n":null,"a.b":1}"#;
        assert_eq!(at(body, "$.petstore.pets[0].name").as_deref(), Some("rex"));
        // Jayway 2.0: a negative index finds nothing (as `$input.path` does).
        assert_eq!(at(body, "$.petstore.pets[-1].name"), None);
        assert_eq!(at(body, "$.petstore.pets[1].name").as_deref(), Some("tom"));
        assert_eq!(at(body, "$.petstore.pets[0].age").as_deref(), Some("3"));
        assert_eq!(
            at(body, "$.petstore.pets[0]").as_deref(),
            Some(r#"{"name":"rex","age":3}"#)
        );
        assert_eq!(
            at(body, "$.petstore.pets[*].name").as_deref(),
            Some(r#"["rex","tom"]"#)
        );
        assert_eq!(at(body, "$['a.b']").as_deref(), Some("1"));
        assert_eq!(at(body, "$.n"), None);
        assert_eq!(at(body, "$.missing"), None);
        assert_eq!(at("not json", "$.a"), None);
        assert_eq!(
            body_value(b"raw \xff", None).as_deref(),
            Some("raw \u{fffd}")
        );
    }
}
