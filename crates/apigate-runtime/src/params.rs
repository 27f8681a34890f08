//! Evaluates the parameter-mapping sources parsed at load time (`apigate_core::mapping`).
//! A source with no value yields `None` and its target is simply not set, as AWS does.

use crate::context::RequestContext;
use crate::request::MethodRequest;
use apigate_core::mapping::{BodyPath, ParamLocation, Source};
use http::HeaderMap;
use serde_json::Value;
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
/// as JSON text; a wildcard path gives a JSON array of its matches).
fn body_value(body: &[u8], path: Option<&BodyPath>) -> Option<String> {
    let Some(path) = path else {
        return Some(String::from_utf8_lossy(body).into_owned());
    };
    let json: Value = serde_json::from_slice(body).ok()?;
    let (matches, wildcard) = select(&json, &path.0)?;
    if wildcard {
        return Some(Value::Array(matches.into_iter().cloned().collect()).to_string());
    }
    match matches.first()? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// Evaluates the member/index JSONPath subset that mapping expressions allow (`$.a.b[0]['c']`,
/// `*`). Returns the matches and whether a wildcard was involved.
fn select<'v>(root: &'v Value, path: &str) -> Option<(Vec<&'v Value>, bool)> {
    let mut current = vec![root];
    let mut wildcard = false;
    let mut rest = path.strip_prefix('$')?;
    while !rest.is_empty() {
        let (step, tail) = if let Some(after) = rest.strip_prefix('.') {
            let end = after.find(['.', '[']).unwrap_or(after.len());
            (Step::parse_member(after.get(..end)?), after.get(end..)?)
        } else if let Some(after) = rest.strip_prefix('[') {
            let end = after.find(']')?;
            (
                Step::parse_bracket(after.get(..end)?)?,
                after.get(end + 1..)?,
            )
        } else {
            return None;
        };
        rest = tail;
        wildcard |= matches!(step, Step::All);
        current = current
            .into_iter()
            .flat_map(|v| step.apply(v))
            .collect::<Vec<_>>();
    }
    Some((current, wildcard))
}

enum Step<'p> {
    Member(&'p str),
    Index(i64),
    All,
}

impl<'p> Step<'p> {
    fn parse_member(name: &'p str) -> Step<'p> {
        if name == "*" {
            Step::All
        } else {
            Step::Member(name)
        }
    }

    fn parse_bracket(inner: &'p str) -> Option<Step<'p>> {
        if inner == "*" {
            return Some(Step::All);
        }
        for q in ['\'', '"'] {
            if let Some(name) = inner.strip_prefix(q).and_then(|s| s.strip_suffix(q)) {
                return Some(Step::Member(name));
            }
        }
        inner.parse().ok().map(Step::Index)
    }

    fn apply<'v>(&self, v: &'v Value) -> Vec<&'v Value> {
        match (self, v) {
            (Step::Member(name), Value::Object(map)) => map.get(*name).into_iter().collect(),
            (Step::Index(i), Value::Array(items)) => {
                let idx = if *i < 0 {
                    i64::try_from(items.len()).ok().map(|n| n + i)
                } else {
                    Some(*i)
                };
                idx.and_then(|i| usize::try_from(i).ok())
                    .and_then(|i| items.get(i))
                    .into_iter()
                    .collect()
            }
            (Step::All, Value::Array(items)) => items.iter().collect(),
            (Step::All, Value::Object(map)) => map.values().collect(),
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(body: &str, path: &str) -> Option<String> {
        body_value(body.as_bytes(), Some(&BodyPath(path.to_string())))
    }

    #[test]
    fn body_paths() {
        let body =
            r#"{"petstore":{"pets":[{"name":"rex","age":3},{"name":"tom"}]},"n":null,"a.b":1}"#;
        assert_eq!(at(body, "$.petstore.pets[0].name").as_deref(), Some("rex"));
        assert_eq!(at(body, "$.petstore.pets[-1].name").as_deref(), Some("tom"));
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
