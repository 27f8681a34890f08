//! Gateway responses: what the client sees when the gateway itself answers an error. The
//! API's `x-amazon-apigateway-gateway-responses` customise status, headers and body per type,
//! falling back to `DEFAULT_4XX`/`DEFAULT_5XX`, then to AWS's defaults
//! (`{"message": "..."}`, `application/json`, `x-amzn-ErrorType`).
//!
//! Gateway-response templates are not VTL: only `$context.X` and `$stageVariables.X`
//! references are substituted (AWS docs), `$context.error.messageString` already JSON-quoted.

use crate::body;
use crate::context::RequestContext;
use crate::error::{GatewayError, ResponseType};
use crate::params::{self, Scope};
use crate::request::MethodRequest;
use crate::templates;
use apigate_core::model::GatewayResponse;
use apigate_core::Api;
use http::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use http::{Response, StatusCode};

/// AWS's default body template for every type.
const DEFAULT_TEMPLATE: &str = "{\"message\":$context.error.messageString}";

/// Builds the response for `error`. `request` is the method request when routing got that far
/// (for `method.request.*` header mappings).
pub fn respond(
    api: &Api,
    error: &GatewayError,
    cx: &RequestContext,
    request: Option<&MethodRequest<'_>>,
    scope: Scope<'_>,
    accept: Option<&str>,
) -> Response<body::Body> {
    let custom = customisation(api, error.kind);
    let status = custom
        .and_then(|c| c.status)
        .unwrap_or_else(|| error.kind.default_status());

    let (content_type, template) = custom
        .and_then(|c| {
            templates::response_template(&c.response_templates, |(k, _)| k.as_str(), accept)
                .map(|(k, t)| (k.as_str(), t.as_str()))
        })
        .unwrap_or(("application/json", DEFAULT_TEMPLATE));
    let text = substitute(template, cx, scope);

    let mut response = Response::new(body::full(text));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(content_type) {
        headers.insert(CONTENT_TYPE, v);
    }
    if let Some(t) = error.error_type {
        headers.insert("x-amzn-errortype", HeaderValue::from_static(t));
    }
    if let Some(c) = custom {
        for m in &c.response_parameters {
            let value = params::request_value(&m.source, request, None, scope);
            if let (Some(v), Ok(name)) = (value, HeaderName::from_bytes(m.header.as_bytes())) {
                if let Ok(v) = HeaderValue::from_str(&v) {
                    headers.insert(name, v);
                }
            }
        }
    }
    response
}

/// The customisation in force for `kind`: its own entry, else DEFAULT_4XX/5XX by class.
/// A 413 cannot be customised (AWS docs).
fn customisation(api: &Api, kind: ResponseType) -> Option<&GatewayResponse> {
    if kind == ResponseType::RequestTooLarge {
        return None;
    }
    api.gateway_responses.get(kind.name()).or_else(|| {
        let class = if kind.default_status() >= 500 {
            "DEFAULT_5XX"
        } else {
            "DEFAULT_4XX"
        };
        api.gateway_responses.get(class)
    })
}

/// Replaces `$context.a.b`, `${context.a.b}`, `$stageVariables.x` and `${stageVariables.x}`;
/// unknown names become empty, other text stays as written.
pub fn substitute(template: &str, cx: &RequestContext, scope: Scope<'_>) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(i) = rest.find('$') {
        let (before, at) = rest.split_at(i);
        out.push_str(before);
        let braced = at.starts_with("${");
        let body = at.get(if braced { 2 } else { 1 }..).unwrap_or_default();
        let end = body
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
            .unwrap_or(body.len());
        let name = body.get(..end).unwrap_or_default().trim_end_matches('.');
        let consumed = name.len();
        let closes = !braced || body.get(consumed..).is_some_and(|r| r.starts_with('}'));
        let value = if closes {
            lookup(name, cx, scope)
        } else {
            None
        };
        match value {
            Some(v) => {
                out.push_str(&v);
                let skip = if braced {
                    2 + consumed + 1
                } else {
                    1 + consumed
                };
                rest = at.get(skip..).unwrap_or_default();
            }
            None => {
                out.push('$');
                rest = at.get(1..).unwrap_or_default();
            }
        }
    }
    out.push_str(rest);
    out
}

/// The value of `context.X` or `stageVariables.X` (unset = empty); `None` for other names,
/// which stay literal.
fn lookup(name: &str, cx: &RequestContext, scope: Scope<'_>) -> Option<String> {
    if let Some(var) = name.strip_prefix("context.") {
        return Some(cx.get(var).unwrap_or_default());
    }
    name.strip_prefix("stageVariables.")
        .map(|var| scope.stage_variables.get(var).cloned().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn substitution() {
        let mut cx = RequestContext::new(std::time::SystemTime::now());
        cx.error = Some((
            "MISSING_AUTHENTICATION_TOKEN",
            "Missing Authentication Token".into(),
        ));
        cx.stage = "S3".into();
        let mut vars = BTreeMap::new();
        vars.insert("env".to_string(), "dev".to_string());
        let scope = Scope {
            context: &cx,
            stage_variables: &vars,
        };
        assert_eq!(
            substitute(DEFAULT_TEMPLATE, &cx, scope),
            r#"{"message":"Missing Authentication Token"}"#
        );
        assert_eq!(
            substitute(
                "${context.stage}/$stageVariables.env. $5 $context.nope!",
                &cx,
                scope
            ),
            "S3/dev. $5 !"
        );
    }
}
