//! Gateway responses: what the client sees when the gateway itself answers an error. The
//! API's `x-amazon-apigateway-gateway-responses` customise status, headers and body per type,
//! falling back to `DEFAULT_4XX`/`DEFAULT_5XX`, then to AWS's defaults
//! (`{"message": "..."}`, `application/json`, `x-amzn-ErrorType`).
//!
//! Gateway-response templates are not VTL: only `$context.X` and `$stageVariables.X`
//! references are substituted (AWS docs), `$context.error.messageString` already JSON-quoted;
//! they are split into text and references at load (`apigate_core::gateway_template`).

use crate::body;
use crate::context::RequestContext;
use crate::error::{GatewayError, ResponseType};
use crate::params::{self, Scope};
use crate::request::MethodRequest;
use crate::templates;
use apigate_core::context_var::ContextVar;
use apigate_core::gateway_template::Part;
use apigate_core::model::GatewayResponse;
use apigate_core::response_types::GatewayResponseKey;
use apigate_core::Api;
use http::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use http::{Response, StatusCode};
use std::borrow::Cow;

/// AWS's default body template for every type: `{"message":$context.error.messageString}`.
const DEFAULT_TEMPLATE: &[Part] = &[
    Part::Text(Cow::Borrowed("{\"message\":")),
    Part::Context(Some(ContextVar::ErrorMessageString)),
    Part::Text(Cow::Borrowed("}")),
];

/// ACCESS_DENIED's default body names its field `Message` (observed on AWS for authorizer
/// and policy denials: `{"Message":"User is not authorized to access this resource with an
/// explicit deny"}`; docs/PARITY.md, authorizers).
const ACCESS_DENIED_TEMPLATE: &[Part] = &[
    Part::Text(Cow::Borrowed("{\"Message\":")),
    Part::Context(Some(ContextVar::ErrorMessageString)),
    Part::Text(Cow::Borrowed("}")),
];

/// The body template AWS uses for `kind` when the API does not customise it.
fn default_template(kind: ResponseType) -> &'static [Part] {
    match kind {
        ResponseType::AccessDenied => ACCESS_DENIED_TEMPLATE,
        _ => DEFAULT_TEMPLATE,
    }
}

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
        .unwrap_or_else(|| error.status());

    let (content_type, template) = custom
        .and_then(|c| {
            templates::response_template(&c.response_templates, |(k, _)| k.as_str(), accept)
                .map(|(k, t)| (k.as_str(), t.parts.as_slice()))
        })
        .unwrap_or(("application/json", default_template(error.kind)));
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
        crate::map_response::remap_reserved(headers, false);
    }
    response
}

/// The customisation in force for `kind`: its own entry, else DEFAULT_4XX/5XX by class.
/// A 413 cannot be customised (AWS docs).
fn customisation(api: &Api, kind: ResponseType) -> Option<&GatewayResponse> {
    if kind == ResponseType::RequestTooLarge {
        return None;
    }
    api.gateway_responses
        .get(&GatewayResponseKey::Type(kind))
        .or_else(|| {
            api.gateway_responses
                .get(&GatewayResponseKey::class_of(kind))
        })
}

/// The template's text with its references' values (unset = empty).
pub fn substitute(template: &[Part], cx: &RequestContext, scope: Scope<'_>) -> String {
    let mut out = String::with_capacity(128);
    for part in template {
        match part {
            Part::Text(t) => out.push_str(t),
            Part::Context(var) => {
                if let Some(v) = var.as_ref().and_then(|v| cx.get(v)) {
                    out.push_str(&v);
                }
            }
            Part::StageVariable(name) => {
                if let Some(v) = scope.stage_variables.get(name) {
                    out.push_str(v);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use apigate_core::gateway_template::GatewayTemplate;
    use std::collections::BTreeMap;

    #[test]
    fn access_denied_and_authorizer_failures_have_their_own_default_bodies() {
        let vars = BTreeMap::new();
        let mut cx = RequestContext::new(std::time::SystemTime::now());
        cx.error = Some((
            "ACCESS_DENIED",
            Some("User is not authorized to access this resource".into()),
        ));
        let scope = Scope {
            context: &cx,
            stage_variables: &vars,
        };
        assert_eq!(
            substitute(default_template(ResponseType::AccessDenied), &cx, scope),
            r#"{"Message":"User is not authorized to access this resource"}"#
        );
        let e = GatewayError::new(ResponseType::AuthorizerConfigurationError, "x");
        assert!(e.null_message);
        cx.error = Some(("AUTHORIZER_CONFIGURATION_ERROR", None));
        let scope = Scope {
            context: &cx,
            stage_variables: &vars,
        };
        assert_eq!(
            substitute(
                default_template(ResponseType::AuthorizerConfigurationError),
                &cx,
                scope
            ),
            r#"{"message":null}"#
        );
        assert_eq!(cx.get(&ContextVar::ErrorMessage).as_deref(), Some(""));
    }

    #[test]
    fn substitution() {
        let mut cx = RequestContext::new(std::time::SystemTime::now());
        cx.error = Some((
            "MISSING_AUTHENTICATION_TOKEN",
            Some("Missing Authentication Token".into()),
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
                &GatewayTemplate::parse("${context.stage}/$stageVariables.env. $5 $context.nope!")
                    .parts,
                &cx,
                scope
            ),
            "S3/dev. $5 !"
        );
    }
}
