//! Mapping templates at run time: selection (docs/SEMANTICS.md §6.1/§6.2) and rendering with
//! the VTL engine (`apigate-template`, or its Handlebars adapter where the definition opts in),
//! templates having been compiled at load time.

use crate::body::Body;
use crate::context::RequestContext;
use crate::error::{GatewayError, ResponseType};
use crate::lifecycle::Gateway;
use crate::params::Scope;
use crate::request::MethodRequest;
use crate::template_runner::{OwnedInput, TemplateRunner};
use apigate_core::media::essence;
use apigate_core::model::{MappingTemplate, Passthrough};
use apigate_template::{RenderError, RenderInput, Rendered};
use bytes::Bytes;
use http::header::{HeaderMap, HeaderName, HeaderValue};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

/// What to do with the request body of a non-proxy integration.
#[derive(Debug)]
pub enum RequestBodyPlan<'t> {
    /// Render this template.
    Transform(&'t MappingTemplate),
    /// Send the (converted) body as it came.
    Passthrough,
}

/// Picks the request template by the MIME type of `Content-Type` (absent = `application/json`),
/// applying `passthroughBehavior` when none matches: 415 where AWS refuses.
pub fn request_plan<'t>(
    templates: &'t [MappingTemplate],
    passthrough: Passthrough,
    content_type: Option<&str>,
) -> Result<RequestBodyPlan<'t>, GatewayError> {
    let key = content_type.map_or("application/json", essence);
    if let Some(t) = templates
        .iter()
        .find(|t| t.content_type.eq_ignore_ascii_case(key))
    {
        return Ok(RequestBodyPlan::Transform(t));
    }
    let refuse = match passthrough {
        Passthrough::WhenNoMatch => false,
        Passthrough::WhenNoTemplates => !templates.is_empty(),
        Passthrough::Never => true,
    };
    if refuse {
        return Err(GatewayError::new(
            ResponseType::UnsupportedMediaType,
            format!(
                "no mapping template for content type {key} and passthroughBehavior refuses it"
            ),
        ));
    }
    Ok(RequestBodyPlan::Passthrough)
}

/// Picks a response template by the first `Accept` type: that key, else `application/json`,
/// else the first template in document order; `None` = pass the body. `key` names each
/// template's media type (integration and gateway responses store them differently).
pub fn response_template<'t, T>(
    templates: &'t [T],
    key: impl Fn(&T) -> &str,
    accept: Option<&str>,
) -> Option<&'t T> {
    let first_accept = accept
        .and_then(|a| a.split(',').next())
        .map(essence)
        .unwrap_or("application/json");
    templates
        .iter()
        .find(|t| key(t).eq_ignore_ascii_case(first_accept))
        .or_else(|| {
            templates
                .iter()
                .find(|t| key(t).eq_ignore_ascii_case("application/json"))
        })
        .or_else(|| templates.first())
}

/// Renders `template` for a request. `body` is `$input.body` (already converted to text,
/// read as UTF-8). Inline when quick, else on the blocking pool under the deadline
/// (`template_runner`).
pub async fn render(
    runner: &TemplateRunner,
    template: &MappingTemplate,
    body: &Bytes,
    request: &MethodRequest<'_>,
    context: &RequestContext,
    stage_variables: &BTreeMap<String, String>,
) -> Result<Rendered, GatewayError> {
    let started = Instant::now();
    let compiled = template.compiled.as_ref().ok_or_else(|| {
        GatewayError::configuration(format!(
            "Execution failed due to configuration error: the {} mapping template does not compile (apigate validate shows why)",
            template.content_type
        ))
    })?;
    let path: Vec<(String, String)> = request
        .path_params
        .iter()
        .map(|(k, v)| ((*k).to_string(), v.clone()))
        .collect();
    let header: Vec<(String, String)> = request
        .headers
        .iter()
        .map(|(k, v)| {
            (
                request.name_case.show(k.as_str()),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let context_json = context.to_json();
    let text = String::from_utf8_lossy(body);
    let input = RenderInput {
        body: &text,
        path: &path,
        querystring: &request.query,
        header: &header,
        context: &context_json,
        stage_variables,
    };
    let fail = |e: RenderError| render_error(&template.content_type, &e);
    if let Some(rendered) = runner
        .render_inline(compiled, &input, started)
        .map_err(fail)?
    {
        return Ok(rendered);
    }
    let owned = OwnedInput {
        body: body.clone(),
        path,
        querystring: request.query.clone(),
        header,
        context: context_json,
        stage_variables: stage_variables.clone(),
    };
    runner
        .render_on_pool(Arc::clone(compiled), owned, started)
        .await
        .map_err(fail)
}

/// Reads `body` whole (within the buffer limit; `what` names it in errors) and renders
/// `template` over it.
pub async fn render_body(
    gw: &Gateway,
    template: &MappingTemplate,
    body: Body,
    what: &str,
    request: &MethodRequest<'_>,
    scope: Scope<'_>,
) -> Result<Rendered, GatewayError> {
    let bytes = crate::body::collect(body, gw.settings.buffer_limit)
        .await
        .map_err(|e| e.into_gateway_error(what))?;
    render(
        &gw.settings.templates,
        template,
        &bytes,
        request,
        scope.context,
        scope.stage_variables,
    )
    .await
}

/// AWS answers a template that fails while rendering with a 500 (its execution log names the
/// cause).
fn render_error(content_type: &str, e: &RenderError) -> GatewayError {
    GatewayError::configuration(format!(
        "Execution failed due to configuration error: the {content_type} mapping template failed: {e}"
    ))
}

/// Applies a template's `requestOverride.header` or `responseOverride.header` values: each
/// named header is replaced by the values given (a list gives several); names or values that
/// are not valid HTTP are skipped.
pub fn override_headers(headers: &mut HeaderMap, overrides: &[(String, Vec<String>)]) {
    for (name, values) in overrides {
        if let Ok(name) = HeaderName::from_bytes(name.as_bytes()) {
            headers.remove(&name);
            for v in values {
                if let Ok(v) = HeaderValue::from_str(v) {
                    headers.append(name.clone(), v);
                }
            }
        }
    }
}

/// The integration-response selector of a mock integration: the `statusCode` of the rendered
/// request template (`None`: no template, the default response applies).
pub fn mock_status(rendered: &str) -> Result<Option<String>, GatewayError> {
    if rendered.trim().is_empty() {
        return Ok(None);
    }
    // Read leniently, as AWS does: `{statusCode: 200}` (CDK's CORS mock) selects 200.
    let value = apigate_template::parse_permissive_json(rendered)
        .filter(serde_json::Value::is_object)
        .ok_or_else(|| {
            GatewayError::configuration("mock request template is not a JSON object".to_string())
        })?;
    Ok(match value.get("statusCode") {
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(pairs: &[(&str, &str)]) -> Vec<MappingTemplate> {
        pairs
            .iter()
            .map(|(k, v)| MappingTemplate {
                content_type: k.to_string(),
                source: v.to_string(),
                compiled: apigate_template::Compiled::parse(apigate_template::Engine::Velocity, v)
                    .ok()
                    .map(std::sync::Arc::new),
            })
            .collect()
    }

    fn transform_source(plan: RequestBodyPlan<'_>) -> Option<String> {
        match plan {
            RequestBodyPlan::Transform(t) => Some(t.source.clone()),
            RequestBodyPlan::Passthrough => None,
        }
    }

    #[test]
    fn passthrough_table() {
        use Passthrough::*;
        let some = t(&[("application/json", "{}")]);
        let none = t(&[]);
        let xml = Some("application/xml");
        let json = Some("application/json; charset=utf-8");
        for p in [WhenNoMatch, WhenNoTemplates, Never] {
            let plan = request_plan(&some, p, json).unwrap();
            assert_eq!(transform_source(plan).as_deref(), Some("{}"));
        }
        assert!(transform_source(request_plan(&some, WhenNoMatch, xml).unwrap()).is_none());
        assert!(request_plan(&some, WhenNoTemplates, xml).is_err());
        assert!(request_plan(&some, Never, xml).is_err());
        assert!(transform_source(request_plan(&none, WhenNoMatch, xml).unwrap()).is_none());
        assert!(transform_source(request_plan(&none, WhenNoTemplates, xml).unwrap()).is_none());
        let e = request_plan(&none, Never, xml).unwrap_err();
        assert_eq!(e.kind, ResponseType::UnsupportedMediaType);
        // No Content-Type selects the application/json template.
        let plan = request_plan(&some, Never, None).unwrap();
        assert_eq!(transform_source(plan).as_deref(), Some("{}"));
    }

    #[test]
    fn response_selection() {
        fn key(t: &MappingTemplate) -> &str {
            t.content_type.as_str()
        }
        let pick = |ts: &[MappingTemplate], accept| {
            response_template(ts, key, accept).map(|t| t.source.clone())
        };
        let ts = t(&[("application/xml", "x"), ("text/plain", "p")]);
        assert_eq!(pick(&ts, Some("text/plain, */*")).as_deref(), Some("p"));
        assert_eq!(pick(&ts, Some("image/png")).as_deref(), Some("x"));
        let ts = t(&[("application/xml", "x"), ("application/json", "j")]);
        assert_eq!(pick(&ts, None).as_deref(), Some("j"));
        assert_eq!(pick(&ts, Some("*/*")).as_deref(), Some("j"));
        assert_eq!(pick(&[], Some("*/*")), None);
    }

    #[test]
    fn mock_statuses() {
        assert_eq!(
            mock_status("{\"statusCode\": 404}").unwrap().as_deref(),
            Some("404")
        );
        assert_eq!(mock_status("").unwrap(), None);
        assert!(mock_status("nope").is_err());
        assert_eq!(
            mock_status("{statusCode: 201}").unwrap().as_deref(),
            Some("201")
        );
    }
}
