//! Integration URIs: http(s) URL templates and `arn:…:apigateway:…` AWS service URIs.
//!
//! Both are parsed at load time into [`Template`]s — literal text, `{name}` placeholders (filled
//! from `integration.request.path.name`) and `${stageVariables.name}` references — so the
//! runtime only substitutes values.

/// One piece of a URI template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Literal(String),
    /// `{name}`, filled from `integration.request.path.name`.
    Placeholder(String),
    /// `${stageVariables.name}`.
    StageVariable(String),
}

/// A string with placeholders, parsed once.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Template {
    pub parts: Vec<Part>,
}

impl Template {
    /// Splits `text` into literals, `{name}` placeholders and `${stageVariables.name}`.
    pub fn parse(text: &str) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut lit = String::new();
        let mut rest = text;
        while let Some(i) = rest.find(['{', '$']) {
            let (before, at) = rest.split_at(i);
            lit.push_str(before);
            if let Some(after) = at.strip_prefix("${") {
                let end = after.find('}').ok_or_else(|| "unclosed `${`".to_string())?;
                let (inner, tail) = after.split_at(end);
                let name = inner
                    .strip_prefix("stageVariables.")
                    .ok_or_else(|| format!("`${{{inner}}}` is not a stage variable reference (`${{stageVariables.NAME}}`)"))?;
                if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    return Err(format!(
                        "`{name}` is not a stage variable name (A-Z a-z 0-9 _)"
                    ));
                }
                flush(&mut lit, &mut parts);
                parts.push(Part::StageVariable(name.to_string()));
                rest = tail.get(1..).unwrap_or("");
            } else if let Some(after) = at.strip_prefix('{') {
                let end = after.find('}').ok_or_else(|| "unclosed `{`".to_string())?;
                let (inner, tail) = after.split_at(end);
                let name = inner.strip_suffix('+').unwrap_or(inner);
                if name.is_empty()
                    || !name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
                {
                    return Err(format!("`{{{inner}}}` is not a placeholder name"));
                }
                flush(&mut lit, &mut parts);
                parts.push(Part::Placeholder(name.to_string()));
                rest = tail.get(1..).unwrap_or("");
            } else {
                // A lone `$`.
                lit.push('$');
                rest = at.get(1..).unwrap_or("");
            }
        }
        lit.push_str(rest);
        flush(&mut lit, &mut parts);
        Ok(Template { parts })
    }

    pub fn placeholders(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Placeholder(n) => Some(n.as_str()),
            _ => None,
        })
    }

    /// The template as written.
    pub fn source(&self) -> String {
        let mut s = String::new();
        for p in &self.parts {
            match p {
                Part::Literal(l) => s.push_str(l),
                Part::Placeholder(n) => {
                    s.push('{');
                    s.push_str(n);
                    s.push('}');
                }
                Part::StageVariable(n) => {
                    s.push_str("${stageVariables.");
                    s.push_str(n);
                    s.push('}');
                }
            }
        }
        s
    }
}

fn flush(lit: &mut String, parts: &mut Vec<Part>) {
    if !lit.is_empty() {
        parts.push(Part::Literal(std::mem::take(lit)));
    }
}

/// What an AWS integration URI addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsUri {
    pub partition: String,
    /// Region, or a template when it uses a stage variable.
    pub region: String,
    /// `s3`, `kinesis`, `lambda`, … (the part after the last `.` of `subdomain.service`).
    pub service: String,
    /// `bucket` in `bucket.s3:path/key` (virtual-hosted style); may hold placeholders.
    pub subdomain: Option<Template>,
    pub action: AwsAction,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AwsAction {
    /// `path/…`: the request path (always starts with `/`), e.g. `/{bucket}/{object}`.
    Path(Template),
    /// `action/Name&p1=v1&…`: the API action and its query parameters.
    Action {
        name: String,
        params: Vec<(String, Template)>,
    },
}

/// Parses `arn:PARTITION:apigateway:REGION:SERVICE:{path|action}/REST`.
pub fn parse_aws_uri(uri: &str) -> Result<AwsUri, String> {
    let mut it = uri.splitn(6, ':');
    let (Some("arn"), Some(partition), Some(svc), Some(region), Some(service), Some(rest)) = (
        it.next(),
        it.next(),
        it.next(),
        it.next(),
        it.next(),
        it.next(),
    ) else {
        return Err("expected `arn:aws:apigateway:REGION:SERVICE:path/…` or `…:action/…`".into());
    };
    if !matches!(
        partition,
        "aws"
            | "aws-cn"
            | "aws-us-gov"
            | "aws-iso"
            | "aws-iso-b"
            | "aws-iso-e"
            | "aws-iso-f"
            | "aws-eusc"
    ) {
        return Err(format!("`{partition}` is not an AWS partition"));
    }
    if svc != "apigateway" {
        return Err(format!(
            "the third ARN field must be `apigateway`, found `{svc}`"
        ));
    }
    if !is_region(region) && !region.starts_with("${stageVariables.") {
        return Err(format!("`{region}` is not an AWS region"));
    }
    let (subdomain, service) = match service.rsplit_once('.') {
        Some((sub, s)) => (Some(Template::parse(sub)?), s),
        None => (None, service),
    };
    if service.is_empty()
        || !service
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(format!("`{service}` is not an AWS service name"));
    }
    let action = if let Some(p) = rest.strip_prefix("path/") {
        let path = if p.starts_with('/') {
            p.to_string()
        } else {
            format!("/{p}")
        };
        AwsAction::Path(Template::parse(&path)?)
    } else if let Some(a) = rest.strip_prefix("action/") {
        let mut pieces = a.split('&');
        let name = pieces.next().unwrap_or("").to_string();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(format!("`{name}` is not an action name"));
        }
        let mut params = Vec::new();
        for p in pieces {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            params.push((k.to_string(), Template::parse(v)?));
        }
        AwsAction::Action { name, params }
    } else {
        return Err(format!(
            "the ARN resource must start with `path/` or `action/`, found `{rest}`"
        ));
    };
    Ok(AwsUri {
        partition: partition.to_string(),
        region: region.to_string(),
        service: service.to_string(),
        subdomain,
        action,
    })
}

fn is_region(s: &str) -> bool {
    // e.g. us-west-2, eu-central-1, us-gov-west-1, ap-southeast-3, cn-north-1.
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|p| p.chars().all(|c| c.is_ascii_digit()))
}

/// An http(s) integration URL, split so the runtime can substitute and connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUri {
    pub https: bool,
    /// Everything between `://` and the first `/`, `?` (host and optional port; may hold templates).
    pub authority: Template,
    /// Path and query (starting with `/` or `?`, or empty).
    pub path_and_query: Template,
}

impl HttpUri {
    pub fn placeholders(&self) -> impl Iterator<Item = &str> {
        self.authority
            .placeholders()
            .chain(self.path_and_query.placeholders())
    }
}

/// Parses an absolute http(s) URL template. Ports must be 80, 443 or above 1024 (AWS's rule).
pub fn parse_http_uri(uri: &str) -> Result<HttpUri, String> {
    let (https, rest) = if let Some(r) = uri.strip_prefix("https://") {
        (true, r)
    } else if let Some(r) = uri.strip_prefix("http://") {
        (false, r)
    } else {
        return Err("an http integration URI must start with http:// or https://".into());
    };
    if let Some(c) = uri.chars().find(|c| {
        c.is_whitespace() || c.is_control() || matches!(c, '"' | '<' | '>' | '\\' | '^' | '`' | '|')
    }) {
        return Err(format!("{c:?} must be percent-encoded in a URI"));
    }
    let split = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(split);
    if authority.is_empty() {
        return Err("the URI has no host".into());
    }
    if tail.starts_with('#') {
        return Err("a URI fragment (`#`) cannot be sent to a backend".into());
    }
    if authority.contains('@') {
        return Err("user information in the URI is not supported".into());
    }
    let port = if authority.starts_with('[') {
        authority.split_once("]:").map(|(_, p)| p)
    } else {
        authority.rsplit_once(':').map(|(_, p)| p)
    };
    if let Some(port) = port.filter(|p| !p.contains(['{', '$'])) {
        let n: u32 = port
            .parse()
            .map_err(|_| format!("`{port}` is not a port number"))?;
        if !(n == 80 || n == 443 || (1025..=65535).contains(&n)) {
            return Err(format!("port {n} is not allowed (80, 443 or 1025-65535)"));
        }
    }
    Ok(HttpUri {
        https,
        authority: Template::parse(authority)?,
        path_and_query: Template::parse(tail)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_path_uris() {
        let u = parse_aws_uri("arn:aws:apigateway:us-west-2:s3:path//").unwrap();
        assert_eq!(u.service, "s3");
        assert_eq!(
            u.action,
            AwsAction::Path(Template {
                parts: vec![Part::Literal("/".into())]
            })
        );
        let u = parse_aws_uri("arn:aws:apigateway:us-west-2:s3:path/{bucket}/{object}").unwrap();
        let AwsAction::Path(t) = &u.action else {
            unreachable!()
        };
        assert_eq!(t.placeholders().collect::<Vec<_>>(), ["bucket", "object"]);
        assert_eq!(t.source(), "/{bucket}/{object}");
    }

    #[test]
    fn action_and_subdomain_uris() {
        let u = parse_aws_uri(
            "arn:aws:apigateway:us-east-1:s3:action/GetObject&Bucket={bucket}&Key={key}",
        )
        .unwrap();
        let AwsAction::Action { name, params } = &u.action else {
            unreachable!()
        };
        assert_eq!(name, "GetObject");
        assert_eq!(params.len(), 2);
        let u = parse_aws_uri("arn:aws:apigateway:eu-west-1:{bucket}.s3:path/{key}").unwrap();
        assert!(u.subdomain.is_some());
        assert_eq!(u.service, "s3");
        let u = parse_aws_uri("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:Calc/invocations").unwrap();
        assert_eq!(u.service, "lambda");
    }

    #[test]
    fn malformed_arns() {
        for bad in [
            "arn:aws:apigateway:us-west-2:s3",
            "arn:aws:lambda:us-west-2:s3:path/x",
            "arn:aws:apigateway:uswest:s3:path/x",
            "arn:aws:apigateway:us-west-2:s3:bucket/x",
            "arn:foo:apigateway:us-west-2:s3:path/x",
            "arn:aws:apigateway:us-west-2:S3:path/x",
            "arn:aws:apigateway:us-west-2:s3:path/{",
        ] {
            assert!(parse_aws_uri(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn http_uris() {
        let u =
            parse_http_uri("http://petstore.example.com/petstore/{proxy}?x=${stageVariables.v}")
                .unwrap();
        assert_eq!(u.placeholders().collect::<Vec<_>>(), ["proxy"]);
        assert!(parse_http_uri("http://127.0.0.1:8000/x").is_ok());
        assert!(parse_http_uri("https://h:443").is_ok());
        assert!(parse_http_uri("http://h:22/x").is_err());
        assert!(parse_http_uri("ftp://h/x").is_err());
        assert!(parse_http_uri("http:///x").is_err());
        assert!(parse_http_uri("http://h/a b").is_err());
    }
}
