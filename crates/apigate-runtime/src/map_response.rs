//! The select-response and map-response stages: the integration response picked by the
//! backend's status (or the mock's `statusCode`), then the method response built from it —
//! `responseParameters`, the `Content-Type` default, `contentHandling` (semantics §8.3), and the
//! response template chosen by `Accept` with its `responseOverride` status and headers.

use crate::body::{self, Body};
use crate::convert::{self, Conversion};
use crate::error::GatewayError;
use crate::integrations::EndpointResponse;
use crate::lifecycle::Gateway;
use crate::params::{self, Scope};
use crate::request::{header_text, MethodRequest};
use crate::templates;
use apigate_core::model::{ContentHandling, IntegrationResponse, MappingTemplate};
use apigate_core::Method;
use bytes::Bytes;
use http::header::{HeaderMap, HeaderName, HeaderValue, ACCEPT, CONTENT_TYPE};
use http::request::Parts;
use http::{Response, StatusCode};

/// Picks the integration response by the selector (backend status, or the mock template's
/// statusCode): Java whole-string match in document order, else `default`.
pub fn select_response<'m>(
    method: &'m Method,
    selector: Option<&str>,
    backend_status: u16,
) -> Result<&'m IntegrationResponse, GatewayError> {
    let selected = match selector {
        Some(s) => method.integration.select_response(s),
        None => method
            .integration
            .responses
            .iter()
            .find(|r| r.pattern.is_none()),
    }
    .ok_or_else(|| {
        GatewayError::configuration(format!(
            "Execution failed due to configuration error: No match for output mapping and no \
             default output mapping configured. Endpoint Response Status Code: {backend_status}"
        ))
    })?;
    if !method.responses.contains_key(&selected.status) {
        return Err(GatewayError::configuration(format!(
            "Execution failed due to configuration error: Output mapping refers to an invalid \
             method response: {}",
            selected.status
        )));
    }
    Ok(selected)
}

/// Builds the method response: status, mapped headers (Content-Type defaulting to
/// `application/json`), and the body (template, or converted pass-through).
pub async fn map_response(
    gw: &Gateway,
    selected: &IntegrationResponse,
    endpoint: EndpointResponse,
    request: &MethodRequest<'_>,
    parts: &Parts,
    scope: Scope<'_>,
) -> Result<Response<Body>, GatewayError> {
    let limit = gw.settings.buffer_limit;
    let EndpointResponse {
        headers: backend_headers,
        body: mut backend_body,
        deadline,
        ..
    } = endpoint;
    let reads_body = selected
        .response_parameters
        .iter()
        .any(|m| params::reads_response_body(&m.source));
    let accept = header_text(&parts.headers, ACCEPT);
    let (conversion, template) = delivery(gw, selected, &backend_headers, accept.as_deref());
    if template.is_some() && selected.content_handling == Some(ContentHandling::ConvertToBinary) {
        // The payload is binary by the time a template would read it: AWS answers 500.
        return Err(GatewayError::configuration(
            "Execution failed: a response template cannot transform a payload converted to binary (contentHandling CONVERT_TO_BINARY)",
        ));
    }
    // A body read whole must be complete within the integration timeout; a streamed one
    // is bounded by the client's idle timeout instead.
    let buffers = reads_body || template.is_some() || conversion == Conversion::Base64Decode;
    if let Some(deadline) = deadline.filter(|_| buffers) {
        backend_body = deadline.bound(backend_body);
    }
    let buffered = if reads_body {
        let bytes = body::collect(backend_body, limit)
            .await
            .map_err(|e| e.into_gateway_error("integration response body"))?;
        backend_body = body::full(bytes.clone());
        Some(bytes)
    } else {
        None
    };
    let mut headers = mapped_headers(selected, &backend_headers, buffered.as_ref(), scope);

    let converted = convert::apply(conversion, backend_body, limit)
        .await
        .map_err(|e| e.into_gateway_error("integration response body"))?;
    let mut status = selected.status;
    let body = match template {
        None => {
            // A mock's request template may have set the response's status and headers.
            if let Some(carried) = &scope.context.mock_overrides {
                if let Some(s) = carried.response.status {
                    status = s;
                }
                templates::override_headers(&mut headers, &carried.response.header);
            }
            converted
        }
        Some(template) => {
            let what = "integration response body";
            let rendered =
                templates::render_body(gw, template, converted, what, request, scope).await?;
            let overrides = &rendered.response_override;
            if let Some(s) = overrides.status {
                status = s;
            }
            templates::override_headers(&mut headers, &overrides.header);
            body::full(rendered.output)
        }
    };

    remap_reserved(&mut headers, parts.method == http::Method::HEAD);
    let mut response = Response::new(body);
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    *response.headers_mut() = headers;
    Ok(response)
}

/// Header names API Gateway reserves in a method response: a mapping (or a `responseOverride`)
/// onto one arrives as `x-amzn-Remapped-<name>`; the gateway sets the real `Date`, `Server`,
/// `Connection` and `Content-Length` itself.
const REMAPPED: &[&str] = &[
    "authorization",
    "connection",
    "content-length",
    "content-md5",
    "date",
    "expect",
    "host",
    "max-forwards",
    "proxy-authenticate",
    "server",
    "trailer",
    "upgrade",
    "user-agent",
    "www-authenticate",
];

/// Applies API Gateway's rules for reserved names to a method response's mapped headers
/// (integration responses and gateway responses alike): the names of [`REMAPPED`] are renamed
/// `x-amzn-Remapped-<name>` and `Transfer-Encoding` is dropped, so framing is always the
/// gateway's. A mapped `Content-Length` stays on a HEAD answer, where no body follows (MyS3
/// maps S3's length there, docs/PARITY.md).
pub fn remap_reserved(headers: &mut HeaderMap, head: bool) {
    headers.remove(http::header::TRANSFER_ENCODING);
    for name in REMAPPED {
        if head && *name == "content-length" {
            continue;
        }
        if !headers.contains_key(*name) {
            continue;
        }
        let values: Vec<HeaderValue> = headers.get_all(*name).iter().cloned().collect();
        headers.remove(*name);
        if let Ok(remapped) = HeaderName::from_bytes(format!("x-amzn-remapped-{name}").as_bytes()) {
            for v in values {
                headers.append(remapped.clone(), v);
            }
        }
    }
}

/// How the backend's payload reaches the client (§8.3): the conversion, and the response
/// template chosen by the first `Accept` type, if any applies.
fn delivery<'s>(
    gw: &Gateway,
    selected: &'s IntegrationResponse,
    backend_headers: &HeaderMap,
    accept: Option<&str>,
) -> (Conversion, Option<&'s MappingTemplate>) {
    let binary_types = &gw.api.binary_media_types;
    let backend_type = backend_headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let binary = binary_types.iter().any(|r| r.matches(backend_type));
    let accept_binary = accepts_binary(binary_types, accept);
    let conversion = convert::for_response(binary, accept_binary, selected.content_handling);
    // A binary payload delivered as binary is not templated: the bytes pass (AWS's binary
    // walk-through returns raw bytes for a binary Accept even with a JSON template defined).
    // Text payloads (a mock's, an XML error) are still templated whatever the Accept.
    let template = if binary && convert::delivers_binary(accept_binary, selected.content_handling) {
        None
    } else {
        templates::response_template(
            &selected.response_templates,
            |t| t.content_type.as_str(),
            accept,
        )
    };
    (conversion, template)
}

/// Whether the client's `Accept` asks for one of the binary media types. Only the first Accept
/// type counts; without Accept, application/json (as for response-template selection).
pub fn accepts_binary(
    binary_types: &[apigate_core::media::MediaRange],
    accept: Option<&str>,
) -> bool {
    let first_accept = accept
        .and_then(|a| a.split(',').next())
        .unwrap_or("application/json");
    binary_types.iter().any(|r| r.matches(first_accept.trim()))
}

/// The integration response's `responseParameters`, and `Content-Type: application/json`
/// when none maps one.
fn mapped_headers(
    selected: &IntegrationResponse,
    backend_headers: &HeaderMap,
    body: Option<&Bytes>,
    scope: Scope<'_>,
) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for m in &selected.response_parameters {
        let Some(value) =
            params::response_value(&m.source, backend_headers, body.map(|b| &b[..]), scope)
        else {
            continue;
        };
        let name = HeaderName::from_bytes(m.header.as_bytes());
        if let (Ok(name), Ok(value)) = (name, HeaderValue::from_str(&value)) {
            headers.insert(name, value);
        }
    }
    if !headers.contains_key(CONTENT_TYPE) {
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    }
    headers
}
