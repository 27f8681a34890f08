//! The map-request stage: the method request becomes the endpoint request the integration
//! sends — `requestParameters` into path/query/header targets (`params.rs`), then the body:
//! the request template chosen by Content-Type, rendered with its `requestOverride`s applied
//! last, or pass-through under `passthroughBehavior`, with `contentHandling`'s conversion
//! (`convert.rs`, semantics §6.2, §8.2). A mock integration sends nothing: its request
//! template's `statusCode` selects the response.

use crate::body::{self, Body};
use crate::context::MockOverrides;
use crate::convert::{self, Conversion};
use crate::error::GatewayError;
use crate::integrations::EndpointRequest;
use crate::lifecycle::Gateway;
use crate::params::{self, Scope};
use crate::request::{header_text, MethodRequest};
use crate::templates::{self, RequestBodyPlan};
use apigate_core::mapping::ParamLocation;
use apigate_core::model::{ContentHandling, Integration, IntegrationType, MappingTemplate};
use apigate_core::{HttpMethod, Method};
use bytes::Bytes;
use http::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE};
use http::request::Parts;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// The method request's payload as mapping sees it: decompressed when it came compressed,
/// with its length when known (S3 needs it for uploads).
#[derive(Debug)]
pub struct Payload {
    pub body: Body,
    pub length: Option<u64>,
}

/// What the map-request stage produced. The backend request is the common case and is moved
/// on at once: boxing it would allocate once per request for nothing.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Mapped {
    /// The request for the integration's backend.
    Backend(EndpointRequest),
    /// A mock integration: nothing is sent. `selector` is the request template's `statusCode`
    /// (`None`: no template or no status, the default integration response applies);
    /// `overrides`, what the template set in `$context.requestOverride`/`responseOverride`.
    Mock {
        selector: Option<String>,
        overrides: Option<MockOverrides>,
    },
}

/// Maps the method request (see the module doc).
pub async fn map_request(
    gw: &Gateway,
    method: &Method,
    request: &MethodRequest<'_>,
    parts: &Parts,
    payload: Payload,
    scope: Scope<'_>,
) -> Result<Mapped, GatewayError> {
    let integration = &method.integration;
    let limit = gw.settings.buffer_limit;
    let (body, buffered) = buffer_if_mapped(integration, payload.body, limit).await?;
    let mut targets = Targets::mapped(integration, request, buffered.as_deref(), scope);
    let content_type = header_text(&parts.headers, CONTENT_TYPE);
    let proxy = integration.kind == IntegrationType::HttpProxy;
    // Proxy integrations pass the body through untouched.
    let plan = if proxy {
        RequestBodyPlan::Passthrough
    } else {
        templates::request_plan(
            &integration.request_templates,
            integration.passthrough,
            content_type.as_deref(),
        )?
    };
    // Without a Content-Type the payload counts as application/json, as for template
    // selection.
    let ct = content_type.as_deref().unwrap_or("application/json");
    let binary = gw.api.binary_media_types.iter().any(|r| r.matches(ct));
    let conversion = convert::for_request(binary, integration.content_handling);
    let mock = integration.kind == IntegrationType::Mock;
    let (body, length) = match plan {
        RequestBodyPlan::Passthrough if proxy => (body, payload.length),
        RequestBodyPlan::Passthrough if mock => {
            return Ok(Mapped::Mock {
                selector: None,
                overrides: None,
            })
        }
        RequestBodyPlan::Passthrough => {
            let length = payload.length.filter(|_| conversion == Conversion::Pass);
            let body = convert::apply(conversion, body, limit)
                .await
                .map_err(|e| e.into_gateway_error("request body"))?;
            (body, length)
        }
        RequestBodyPlan::Transform(template) => {
            if integration.content_handling == Some(ContentHandling::ConvertToBinary)
                && !body::is_empty(&body)
            {
                // The payload is turned into binary before the template would run: a template
                // cannot read it, and AWS answers 500 (docs/PARITY.md).
                return Err(GatewayError::configuration(
                    "Execution failed: a request template cannot transform a payload converted to binary (contentHandling CONVERT_TO_BINARY)",
                ));
            }
            if binary && conversion == Conversion::Pass && !body::is_empty(&body) {
                // The template sees the payload after contentHandling, as text. Raw binary
                // cannot be templated: AWS answers 500.
                return Err(GatewayError::configuration(format!(
                    "Execution failed: the binary {ct} payload cannot be transformed by a mapping template (set contentHandling to CONVERT_TO_TEXT)"
                )));
            }
            let rendered = render(gw, template, conversion, body, request, scope).await?;
            if mock {
                let selector = templates::mock_status(&rendered.output)?;
                let overrides = (!rendered.carried.is_null()).then(|| MockOverrides {
                    context: rendered.carried,
                    response: rendered.response_override,
                });
                return Ok(Mapped::Mock {
                    selector,
                    overrides,
                });
            }
            targets.apply_overrides(&rendered.request_override);
            let length = Some(rendered.output.len() as u64);
            (body::full(rendered.output), length)
        }
    };
    // A payload goes with its Content-Type: the client's, application/json without one,
    // unless a mapping or override set it (issue 13, point 10).
    if !proxy && !body::is_empty(&body) && !targets.headers.contains_key(CONTENT_TYPE) {
        if let Ok(v) = HeaderValue::from_str(ct) {
            targets.headers.insert(CONTENT_TYPE, v);
        }
    }
    Ok(Mapped::Backend(EndpointRequest {
        method: backend_verb(integration, request.verb)?,
        path: targets.path,
        greedy: greedy_targets(method),
        query: targets.query,
        headers: targets.headers,
        body,
        content_length: length,
        timeout: Duration::from_millis(u64::from(integration.timeout_ms)),
        trace: None,
    }))
}

/// Reads the body whole when a parameter mapping reads it (`method.request.body…`), handing
/// back an equal body and the bytes.
async fn buffer_if_mapped(
    integration: &Integration,
    body: Body,
    limit: u64,
) -> Result<(Body, Option<Bytes>), GatewayError> {
    let reads_body = integration
        .request_parameters
        .iter()
        .any(|m| params::reads_request_body(&m.source));
    if !reads_body {
        return Ok((body, None));
    }
    let bytes = body::collect(body, limit)
        .await
        .map_err(|e| e.into_gateway_error("request body"))?;
    Ok((body::full(bytes.clone()), Some(bytes)))
}

/// Renders the request template over the payload after its conversion.
async fn render(
    gw: &Gateway,
    template: &MappingTemplate,
    conversion: Conversion,
    body: Body,
    request: &MethodRequest<'_>,
    scope: Scope<'_>,
) -> Result<apigate_template::Rendered, GatewayError> {
    let converted = convert::apply(conversion, body, gw.settings.buffer_limit)
        .await
        .map_err(|e| e.into_gateway_error("request body"))?;
    templates::render_body(gw, template, converted, "request body", request, scope).await
}

/// The endpoint request's path, query and header values.
struct Targets {
    path: BTreeMap<String, String>,
    query: Vec<(String, String)>,
    headers: HeaderMap,
}

impl Targets {
    /// Evaluates the integration's `requestParameters`; a source without a value leaves its
    /// target unset, as AWS does.
    fn mapped(
        integration: &Integration,
        request: &MethodRequest<'_>,
        body: Option<&[u8]>,
        scope: Scope<'_>,
    ) -> Targets {
        let mut targets = Targets {
            path: BTreeMap::new(),
            query: Vec::new(),
            headers: HeaderMap::new(),
        };
        for m in &integration.request_parameters {
            let Some(value) = params::request_value(&m.source, Some(request), body, scope) else {
                continue;
            };
            match m.target.location {
                ParamLocation::Path => {
                    targets.path.insert(m.target.name.clone(), value);
                }
                ParamLocation::QueryString => targets.query.push((m.target.name.clone(), value)),
                ParamLocation::Header => {
                    let name = HeaderName::from_bytes(m.target.name.as_bytes());
                    let value = HeaderValue::from_str(&value);
                    if let (Ok(name), Ok(value)) = (name, value) {
                        targets.headers.append(name, value);
                    }
                }
            }
        }
        targets
    }

    /// `$context.requestOverride.*` from a request template: applied after the parameter
    /// mappings, and they win.
    fn apply_overrides(&mut self, overrides: &apigate_template::Overrides) {
        for (name, value) in &overrides.path {
            self.path.insert(name.clone(), value.clone());
        }
        for (name, values) in &overrides.querystring {
            self.query.retain(|(n, _)| n != name);
            self.query
                .extend(values.iter().map(|v| (name.clone(), v.clone())));
        }
        templates::override_headers(&mut self.headers, &overrides.header);
    }
}

/// The integration's verb; `ANY` (or none) sends the method request's.
fn backend_verb(
    integration: &Integration,
    requested: HttpMethod,
) -> Result<http::Method, GatewayError> {
    let verb = match integration.http_method {
        Some(HttpMethod::Any) | None => requested,
        Some(v) => v,
    };
    http::Method::from_bytes(verb.as_str().as_bytes())
        .map_err(|e| GatewayError::configuration(format!("integration verb: {e}")))
}

/// The path targets mapped from a greedy `{name+}` parameter (flagged at load): their values
/// keep their `/` in the URI.
fn greedy_targets(method: &Method) -> BTreeSet<String> {
    method
        .integration
        .request_parameters
        .iter()
        .filter(|m| m.greedy)
        .map(|m| m.target.name.clone())
        .collect()
}
