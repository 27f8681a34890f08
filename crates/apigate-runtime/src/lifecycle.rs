//! The request lifecycle, stage by stage as API Gateway runs it (docs/ARCHITECTURE.md):
//!
//! ```text
//! route → authorize → validate → map request → integrate → select response → map response
//!   └──────────── any failure ──────────────→ gateway response
//! ```
//!
//! Every response carries `x-amzn-RequestId` and `x-amz-apigw-id`. Bodies stream unless a
//! stage needs them whole (see [`crate::body`]).

use crate::auth::{self, Authorizer};
use crate::body::{self, BackendFault, Body, CollectError};
use crate::compression;
use crate::context::RequestContext;
use crate::convert::{self, ConvertError};
use crate::error::{GatewayError, ResponseType};
use crate::gateway_response;
use crate::integrations::http::{self as http_integration, HttpBackend, ProxyPassthrough};
use crate::integrations::s3::{CallerSecret, S3Backend};
use crate::integrations::{EndpointRequest, EndpointResponse};
use crate::params::{self, Scope};
use crate::request::MethodRequest;
use crate::templates::{self, RequestBodyPlan};
use crate::trace::{self, Trace};
use apigate_core::mapping::ParamLocation;
use apigate_core::model::{IntegrationResponse, IntegrationType, Target};
use apigate_core::routes::{RouteError, RouteMatch};
use apigate_core::{Api, HttpMethod, Method};
use http::header::{
    HeaderName, HeaderValue, ACCEPT, CONTENT_LENGTH, CONTENT_TYPE, HOST, USER_AGENT,
};
use http::request::Parts;
use http::{Request, Response, StatusCode};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// Everything the lifecycle needs, built once at start-up.
#[derive(Debug)]
pub struct Gateway {
    pub api: Api,
    pub settings: Settings,
    pub authorizer: Authorizer,
    pub s3: S3Backend,
    pub http: HttpBackend,
}

/// Per-gateway settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Served under `/{stage}`; `None` = at `/`.
    pub stage: Option<String>,
    pub api_id: String,
    pub account_id: String,
    pub region: String,
    pub stage_variables: BTreeMap<String, String>,
    /// Most bytes buffered when a stage needs a whole body (AWS's payload limit is 10 MB;
    /// streamed bodies have no limit).
    pub buffer_limit: u64,
    /// Renders mapping templates under `--template-timeout`, off the async workers when
    /// they take time.
    pub templates: crate::template_runner::TemplateRunner,
}

/// Runs one request through the lifecycle. Never fails: errors become gateway responses.
pub async fn handle(gw: &Gateway, request: Request<Body>, remote: SocketAddr) -> Response<Body> {
    handle_with(gw, request, remote, None).await
}

/// [`handle`], recording the execution log in `trace` (`apigate test-invoke`). Bodies are read
/// whole to log them.
pub async fn handle_traced(
    gw: &Gateway,
    request: Request<Body>,
    remote: SocketAddr,
    trace: Arc<Trace>,
) -> Response<Body> {
    handle_with(gw, request, remote, Some(trace)).await
}

async fn handle_with(
    gw: &Gateway,
    request: Request<Body>,
    remote: SocketAddr,
    trace: Option<Arc<Trace>>,
) -> Response<Body> {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let mut cx = RequestContext::new(SystemTime::now());
    cx.trace = trace;
    cx.api_id.clone_from(&gw.settings.api_id);
    cx.account_id.clone_from(&gw.settings.account_id);
    cx.http_method = parts.method.as_str().to_string();
    cx.path = parts.uri.path().to_string();
    cx.source_ip = remote.ip().to_string();
    cx.user_agent = header_str(&parts, USER_AGENT.as_str()).unwrap_or_default();
    cx.domain_name = header_str(&parts, HOST.as_str()).unwrap_or_default();

    let t = cx.trace.clone();
    trace::log(t.as_deref(), || {
        format!("Starting execution for request: {}", cx.request_id)
    });
    let mut response = run(gw, &parts, body, &mut cx).await;
    if let Some(minimum) = gw.api.minimum_compression_size {
        response = compress(response, &parts, u64::from(minimum)).await;
    }
    if let Some(t) = &t {
        let (head, body) = response.into_parts();
        let body = log_body(t, "Method response body after transformations", body, gw).await;
        t.log(format!(
            "Method response headers: {}",
            trace::headers(&head.headers)
        ));
        t.log(format!(
            "Method completed with status: {}",
            head.status.as_u16()
        ));
        response = Response::from_parts(head, body);
    }

    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&cx.request_id) {
        headers.insert("x-amzn-requestid", v);
    }
    if let Ok(v) = HeaderValue::from_str(&cx.extended_request_id) {
        headers.insert("x-amz-apigw-id", v);
    }
    tracing::info!(
        request_id = %cx.request_id,
        method = %parts.method,
        path = %parts.uri.path(),
        resource = %cx.resource_path,
        status = response.status().as_u16(),
        latency_ms = started.elapsed().as_millis() as u64,
        "request"
    );
    response
}

async fn run(gw: &Gateway, parts: &Parts, body: Body, cx: &mut RequestContext) -> Response<Body> {
    let accept = header_str(parts, ACCEPT.as_str());
    let routed = match route(gw, parts, cx) {
        Ok(r) => r,
        Err(e) => return fail(gw, &e, cx, None, accept.as_deref()),
    };
    let request = match MethodRequest::new(
        routed.verb,
        routed.path_params,
        parts.uri.query(),
        &parts.headers,
    ) {
        Ok(r) => r,
        Err(e) => return fail(gw, &e, cx, None, accept.as_deref()),
    };
    let result = execute(gw, parts, body, routed.method, &request, cx).await;
    match result {
        Ok(response) => response,
        Err(e) => fail(gw, &e, cx, Some(&request), accept.as_deref()),
    }
}

/// The stages after routing.
async fn execute(
    gw: &Gateway,
    parts: &Parts,
    body: Body,
    method: &Method,
    request: &MethodRequest<'_>,
    cx: &mut RequestContext,
) -> Result<Response<Body>, GatewayError> {
    let body = match cx.trace.clone() {
        Some(t) => {
            t.log(format!(
                "Method request path: {}",
                trace::pairs(request.path_params.iter().map(|(k, v)| (*k, v.as_str())))
            ));
            t.log(format!(
                "Method request query string: {}",
                trace::pairs(request.query.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            ));
            t.log(format!(
                "Method request headers: {}",
                trace::headers(&parts.headers)
            ));
            log_body(&t, "Method request body before transformations", body, gw).await
        }
        None => body,
    };
    let authorized = authorize(gw, method, parts, body).await?;
    cx.caller = authorized.caller.clone();
    let caller_secret = authorized
        .caller
        .as_ref()
        .and_then(|c| gw.authorizer.keys.get(&c.access_key_id))
        .map(|k| CallerSecret {
            access_key_id: k.access_key_id.clone(),
            secret_access_key: k.secret_access_key.clone(),
            session_token: k.session_token.clone(),
        });
    validate(gw, method, request)?;
    let scope = Scope {
        context: cx,
        stage_variables: &gw.settings.stage_variables,
    };
    let mismatch = authorized.payload_mismatch.clone();
    let payload_failed = move || mismatch.as_ref().is_some_and(|f| f.load(Ordering::SeqCst));
    let (endpoint_request, selector) =
        match map_request(gw, method, request, parts, authorized.body, scope).await {
            Err(_) if payload_failed() => return Err(auth::payload_mismatch()),
            other => other?,
        };
    let endpoint_request = match scope.context.trace.as_deref() {
        Some(t) if selector.is_none() => EndpointRequest {
            body: log_body(
                t,
                "Endpoint request body after transformations",
                endpoint_request.body,
                gw,
            )
            .await,
            ..endpoint_request
        },
        _ => endpoint_request,
    };
    let endpoint_response = match selector {
        // Mock: no backend; the request template chose the response.
        Some(selector) => {
            trace::log(scope.context.trace.as_deref(), || {
                format!("Mock integration: selector {selector:?}")
            });
            let r = EndpointResponse {
                status: 200,
                headers: http::HeaderMap::new(),
                body: body::empty(),
                deadline: None,
            };
            (r, selector)
        }
        None => {
            let result =
                integrate(gw, method, parts, endpoint_request, caller_secret.as_ref()).await;
            // A body that failed its signed hash aborted the upload; whatever the backend
            // answered to the truncated request, the client's answer is 403.
            if payload_failed() {
                return Err(auth::payload_mismatch());
            }
            let mut r = result?;
            if let Some(t) = scope.context.trace.as_deref() {
                t.log(format!("Received response. Status: {}", r.status));
                t.log(format!(
                    "Endpoint response headers: {}",
                    trace::headers(&r.headers)
                ));
                r.body = log_body(
                    t,
                    "Endpoint response body before transformations",
                    r.body,
                    gw,
                )
                .await;
            }
            let selector = r.status.to_string();
            (r, Some(selector))
        }
    };
    let (endpoint_response, selector) = endpoint_response;
    if method.integration.kind == IntegrationType::HttpProxy {
        return Ok(proxy_response(endpoint_response));
    }
    let selected = select_response(method, selector.as_deref(), endpoint_response.status)?;
    trace::log(scope.context.trace.as_deref(), || {
        format!(
            "Selected integration response: {} → method response status {}",
            selected
                .pattern
                .as_ref()
                .map_or("default".to_string(), |p| format!(
                    "pattern {:?}",
                    p.as_str()
                )),
            selected.status
        )
    });
    map_response(gw, selected, endpoint_response, request, parts, scope).await
}

/// The routed method and its path parameters.
struct Routed<'a> {
    verb: HttpMethod,
    method: &'a Method,
    path_params: Vec<(&'a str, String)>,
}

/// Stage, resource and verb; anything unknown is 403 Missing Authentication Token, as AWS
/// answers for unknown stages, resources and methods alike.
fn route<'g>(
    gw: &'g Gateway,
    parts: &Parts,
    cx: &mut RequestContext,
) -> Result<Routed<'g>, GatewayError> {
    let missing = |why: String| GatewayError::new(ResponseType::MissingAuthenticationToken, why);
    let raw = parts.uri.path();
    let rest = match &gw.settings.stage {
        Some(stage) => {
            let after = raw
                .strip_prefix('/')
                .and_then(|p| p.strip_prefix(stage.as_str()))
                .filter(|r| r.is_empty() || r.starts_with('/'))
                .ok_or_else(|| missing(format!("no stage in {raw} (the API is at /{stage})")))?;
            cx.stage.clone_from(stage);
            if after.is_empty() {
                "/"
            } else {
                after
            }
        }
        None => raw,
    };
    let verb = HttpMethod::parse(parts.method.as_str())
        .filter(|v| *v != HttpMethod::Any && parts.method.as_str() == v.as_str())
        .ok_or_else(|| missing(format!("unsupported HTTP method {}", parts.method)))?;
    let RouteMatch {
        method,
        path_params,
    } = gw.api.routes.lookup(verb, rest).map_err(|e| match e {
        RouteError::BadPath(why) => {
            GatewayError::bad_request(format!("request path {rest}: {why}"))
        }
        _ => missing(format!("no route for {} {rest}: {e:?}", parts.method)),
    })?;
    cx.resource_path.clone_from(&method.resource_path);
    trace::log(cx.trace.as_deref(), || {
        format!(
            "HTTP Method: {}, Resource Path: {}",
            parts.method, method.resource_path
        )
    });
    Ok(Routed {
        verb,
        method,
        path_params,
    })
}

async fn authorize(
    gw: &Gateway,
    method: &Method,
    parts: &Parts,
    body: Body,
) -> Result<auth::Authorized, GatewayError> {
    if method.api_key_required {
        return Err(GatewayError::unsupported(
            "API key enforcement (usage plans)",
        ));
    }
    if gw.api.policy.is_some() {
        return Err(GatewayError::unsupported("a resource policy"));
    }
    gw.authorizer
        .authorize(&method.authorization, parts, body, gw.settings.buffer_limit)
        .await
}

/// Request validation: required parameters present and non-blank (400); body models are not
/// checked yet and fail closed.
fn validate(
    gw: &Gateway,
    method: &Method,
    request: &MethodRequest<'_>,
) -> Result<(), GatewayError> {
    let Some(validator) = method
        .request_validator
        .as_ref()
        .and_then(|name| gw.api.request_validators.get(name))
    else {
        return Ok(());
    };
    if validator.validate_request_parameters {
        let missing: Vec<&str> = method
            .parameters
            .iter()
            .filter(|p| p.required)
            .filter(|p| {
                let value = match p.location {
                    ParamLocation::Path => request.path(&p.name).map(str::to_string),
                    ParamLocation::QueryString => request.query_last(&p.name).map(str::to_string),
                    ParamLocation::Header => request.header_last(&p.name).map(|v| v.into_owned()),
                };
                value.is_none_or(|v| v.trim().is_empty())
            })
            .map(|p| p.name.as_str())
            .collect();
        if !missing.is_empty() {
            let message = format!(
                "Missing required request parameters: [{}]",
                missing.join(", ")
            );
            return Err(GatewayError::with_message(
                ResponseType::BadRequestParameters,
                message.clone(),
                message,
            ));
        }
    }
    if validator.validate_request_body {
        return Err(GatewayError::unsupported(
            "request body validation against a model",
        ));
    }
    Ok(())
}

/// Builds the endpoint request: parameter mappings, then the body (template or pass-through
/// with contentHandling). For mock integrations returns the response selector instead.
async fn map_request(
    gw: &Gateway,
    method: &Method,
    request: &MethodRequest<'_>,
    parts: &Parts,
    body: Body,
    scope: Scope<'_>,
) -> Result<(EndpointRequest, Option<Option<String>>), GatewayError> {
    let integration = &method.integration;
    match (&integration.kind, &integration.target) {
        (IntegrationType::Mock, _) => {}
        (IntegrationType::Aws, Target::Aws(uri)) if uri.service == "s3" => {}
        (IntegrationType::Aws | IntegrationType::AwsProxy, Target::Aws(uri)) => {
            return Err(GatewayError::configuration(format!(
                "Execution failed: the AWS service '{}' cannot be called locally (only S3 runs)",
                uri.service
            )))
        }
        (IntegrationType::Http | IntegrationType::HttpProxy, Target::Http(_)) => {}
        _ => {
            return Err(GatewayError::configuration(
                "integration without a usable target",
            ))
        }
    }

    let content_type = header_str(parts, CONTENT_TYPE.as_str());
    // With compression enabled, a compressed request body is decoded first (§9).
    let mut decoded_length = None;
    let body = match gw.api.minimum_compression_size {
        Some(_) if integration.kind != IntegrationType::HttpProxy => {
            match compression::request_coding(&parts.headers)? {
                Some(coding) => {
                    let bytes =
                        compression::decompress(body, coding, gw.settings.buffer_limit).await?;
                    decoded_length = Some(bytes.len() as u64);
                    body::full(bytes)
                }
                None => body,
            }
        }
        _ => body,
    };
    let reads_body = integration
        .request_parameters
        .iter()
        .any(|m| params::reads_request_body(&m.source));
    let (mut body, buffered) = if reads_body {
        let bytes = body::collect(body, gw.settings.buffer_limit)
            .await
            .map_err(|e| collect_error(e, "request body"))?;
        (body::full(bytes.clone()), Some(bytes))
    } else {
        (body, None)
    };

    let mut path = BTreeMap::new();
    let mut query = Vec::new();
    let mut headers = http::HeaderMap::new();
    for m in &integration.request_parameters {
        let Some(value) =
            params::request_value(&m.source, Some(request), buffered.as_deref(), scope)
        else {
            continue;
        };
        match m.target.location {
            ParamLocation::Path => {
                path.insert(m.target.name.clone(), value);
            }
            ParamLocation::QueryString => query.push((m.target.name.clone(), value)),
            ParamLocation::Header => {
                let name = HeaderName::from_bytes(m.target.name.as_bytes());
                let value = HeaderValue::from_str(&value);
                if let (Ok(name), Ok(value)) = (name, value) {
                    headers.append(name, value);
                }
            }
        }
    }

    let mut content_length = decoded_length.or_else(|| {
        parts
            .headers
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
    });
    // Proxy integrations pass the body through untouched.
    let plan = if integration.kind == IntegrationType::HttpProxy {
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
    match plan {
        RequestBodyPlan::Passthrough if integration.kind == IntegrationType::HttpProxy => {}
        RequestBodyPlan::Passthrough if mock => return Ok((empty_request(), Some(None))),
        RequestBodyPlan::Passthrough => {
            if conversion != convert::Conversion::Pass {
                content_length = None;
            }
            body = convert::apply(conversion, body, gw.settings.buffer_limit)
                .await
                .map_err(|e| convert_error(e, "request body"))?;
        }
        RequestBodyPlan::Transform(template) => {
            // The template sees the payload after contentHandling, as text. Raw binary cannot
            // be templated: AWS answers 500.
            if binary && conversion == convert::Conversion::Pass && !body::is_empty(&body) {
                return Err(GatewayError::configuration(format!(
                    "Execution failed: the binary {ct} payload cannot be transformed by a mapping template (set contentHandling to CONVERT_TO_TEXT)"
                )));
            }
            let converted = convert::apply(conversion, body, gw.settings.buffer_limit)
                .await
                .map_err(|e| convert_error(e, "request body"))?;
            let bytes = body::collect(converted, gw.settings.buffer_limit)
                .await
                .map_err(|e| collect_error(e, "request body"))?;
            let rendered = templates::render(
                &gw.settings.templates,
                template,
                &bytes,
                request,
                scope.context,
                &gw.settings.stage_variables,
            )
            .await?;
            if mock {
                let selector = templates::mock_status(&rendered.output)?;
                return Ok((empty_request(), Some(selector)));
            }
            apply_request_overrides(
                &rendered.request_override,
                &mut path,
                &mut query,
                &mut headers,
            );
            content_length = Some(rendered.output.len() as u64);
            body = body::full(rendered.output);
        }
    }
    let to_s3 = matches!(integration.target, Target::Aws(_));
    if to_s3 && content_length.is_none() && !body::is_empty(&body) {
        // S3 needs the length of an upload: buffer it (within the limit).
        let bytes = body::collect(body, gw.settings.buffer_limit)
            .await
            .map_err(|e| collect_error(e, "request body"))?;
        content_length = Some(bytes.len() as u64);
        body = body::full(bytes);
    }

    let verb = match integration.http_method {
        Some(HttpMethod::Any) | None => request.verb,
        Some(v) => v,
    };
    let backend_verb = http::Method::from_bytes(verb.as_str().as_bytes())
        .map_err(|e| GatewayError::configuration(format!("integration verb: {e}")))?;
    // Values mapped from a greedy `{name+}` parameter keep their `/` in the URI.
    let greedy = integration
        .request_parameters
        .iter()
        .filter(|m| m.greedy)
        .map(|m| m.target.name.clone())
        .collect();
    Ok((
        EndpointRequest {
            method: backend_verb,
            path,
            greedy,
            query,
            headers,
            body,
            content_length,
            timeout: Duration::from_millis(u64::from(integration.timeout_ms)),
            trace: scope.context.trace.clone(),
        },
        None,
    ))
}

/// `$context.requestOverride.*` from a request template: applied after the parameter
/// mappings, and they win.
fn apply_request_overrides(
    overrides: &apigate_template::Overrides,
    path: &mut BTreeMap<String, String>,
    query: &mut Vec<(String, String)>,
    headers: &mut http::HeaderMap,
) {
    for (name, value) in &overrides.path {
        path.insert(name.clone(), value.clone());
    }
    for (name, values) in &overrides.querystring {
        query.retain(|(n, _)| n != name);
        query.extend(values.iter().map(|v| (name.clone(), v.clone())));
    }
    for (name, values) in &overrides.header {
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

fn empty_request() -> EndpointRequest {
    EndpointRequest {
        method: http::Method::GET,
        path: BTreeMap::new(),
        greedy: Default::default(),
        query: Vec::new(),
        headers: http::HeaderMap::new(),
        body: body::empty(),
        content_length: Some(0),
        timeout: Duration::from_secs(29),
        trace: None,
    }
}

/// Sends the endpoint request to the integration's backend.
async fn integrate(
    gw: &Gateway,
    method: &Method,
    parts: &Parts,
    request: EndpointRequest,
    caller: Option<&CallerSecret>,
) -> Result<EndpointResponse, GatewayError> {
    let integration = &method.integration;
    match &integration.target {
        Target::Http(uri) => {
            let proxy =
                (integration.kind == IntegrationType::HttpProxy).then(|| ProxyPassthrough {
                    raw_query: parts.uri.query(),
                    headers: &parts.headers,
                    drop_authorization: method.authorization
                        == apigate_core::model::Authorization::AwsIam,
                });
            gw.http
                .send(
                    uri,
                    request,
                    proxy,
                    integration.tls_insecure_skip_verification,
                    &gw.settings.stage_variables,
                )
                .await
        }
        Target::Aws(uri) => {
            gw.s3
                .send(
                    uri,
                    method.integration.credentials.as_ref(),
                    caller,
                    request,
                    &gw.settings.stage_variables,
                )
                .await
        }
        _ => Err(GatewayError::configuration(
            "integration without a usable target",
        )),
    }
}

/// Picks the integration response by the selector (backend status, or the mock template's
/// statusCode): Java whole-string match in document order, else `default`.
fn select_response<'m>(
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
async fn map_response(
    gw: &Gateway,
    selected: &IntegrationResponse,
    endpoint: EndpointResponse,
    request: &MethodRequest<'_>,
    parts: &Parts,
    scope: Scope<'_>,
) -> Result<Response<Body>, GatewayError> {
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
    let accept = header_str(parts, ACCEPT.as_str());
    let binary_types = &gw.api.binary_media_types;
    let backend_type = backend_headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let binary = binary_types.iter().any(|r| r.matches(backend_type));
    // Only the first Accept type counts; without Accept, application/json (as for
    // response-template selection).
    let first_accept = accept
        .as_deref()
        .and_then(|a| a.split(',').next())
        .unwrap_or("application/json");
    let accept_binary = binary_types.iter().any(|r| r.matches(first_accept));
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
            accept.as_deref(),
        )
    };
    // A body read whole must be complete within the integration timeout; a streamed one
    // is bounded by the client's idle timeout instead.
    let buffers =
        reads_body || template.is_some() || conversion == convert::Conversion::Base64Decode;
    if let Some(deadline) = deadline.filter(|_| buffers) {
        backend_body = deadline.bound(backend_body);
    }
    let buffered = if reads_body {
        let bytes = body::collect(backend_body, gw.settings.buffer_limit)
            .await
            .map_err(|e| collect_error(e, "integration response body"))?;
        backend_body = body::full(bytes.clone());
        Some(bytes)
    } else {
        None
    };

    let mut headers = http::HeaderMap::new();
    for m in &selected.response_parameters {
        let Some(value) =
            params::response_value(&m.source, &backend_headers, buffered.as_deref(), scope)
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

    let converted = convert::apply(conversion, backend_body, gw.settings.buffer_limit)
        .await
        .map_err(|e| convert_error(e, "integration response body"))?;
    let mut status = selected.status;
    let body = match template {
        None => converted,
        Some(template) => {
            let bytes = body::collect(converted, gw.settings.buffer_limit)
                .await
                .map_err(|e| collect_error(e, "integration response body"))?;
            let rendered = templates::render(
                &gw.settings.templates,
                template,
                &bytes,
                request,
                scope.context,
                &gw.settings.stage_variables,
            )
            .await?;
            let overrides = &rendered.response_override;
            if let Some(s) = overrides.status {
                status = s;
            }
            for (name, values) in &overrides.header {
                if let Ok(name) = HeaderName::from_bytes(name.as_bytes()) {
                    headers.remove(&name);
                    for v in values {
                        if let Ok(v) = HeaderValue::from_str(v) {
                            headers.append(name.clone(), v);
                        }
                    }
                }
            }
            body::full(rendered.output)
        }
    };

    // Framing is the gateway's: a mapped Content-Length is kept only for HEAD (no body
    // follows); otherwise the real body decides (PARITY.md).
    if parts.method != http::Method::HEAD {
        headers.remove(CONTENT_LENGTH);
    }
    let mut response = Response::new(body);
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    *response.headers_mut() = headers;
    Ok(response)
}

/// An `http_proxy` response: the backend's status, headers per §10.4, body streamed.
fn proxy_response(endpoint: EndpointResponse) -> Response<Body> {
    let mut response = Response::new(endpoint.body);
    *response.status_mut() =
        StatusCode::from_u16(endpoint.status).unwrap_or(StatusCode::BAD_GATEWAY);
    *response.headers_mut() = http_integration::proxy_response_headers(&endpoint.headers);
    response
}

/// Turns an error into its gateway response, recording it in the context first.
fn fail(
    gw: &Gateway,
    error: &GatewayError,
    cx: &mut RequestContext,
    request: Option<&MethodRequest<'_>>,
    accept: Option<&str>,
) -> Response<Body> {
    tracing::warn!(request_id = %cx.request_id, error = %error, "gateway response");
    trace::log(cx.trace.as_deref(), || {
        format!("{} ({})", error.detail, error.kind.name())
    });
    cx.error = Some((error.kind.name(), error.message.clone()));
    let scope = Scope {
        context: cx,
        stage_variables: &gw.settings.stage_variables,
    };
    gateway_response::respond(&gw.api, error, cx, request, scope, accept)
}

/// Compresses the method response when the client accepts it and it is large enough (§9).
async fn compress(response: Response<Body>, parts: &Parts, minimum: u64) -> Response<Body> {
    let accept_encoding = header_str(parts, http::header::ACCEPT_ENCODING.as_str());
    let Some(coding) = compression::response_coding(accept_encoding.as_deref()) else {
        return response;
    };
    let (mut head, body) = response.into_parts();
    let no_body = parts.method == http::Method::HEAD
        || matches!(head.status.as_u16(), 204 | 304)
        || head.headers.contains_key(http::header::CONTENT_ENCODING);
    if no_body {
        return Response::from_parts(head, body);
    }
    match compression::compress_if_large(body, coding, minimum).await {
        Ok((body, true)) => {
            head.headers.remove(CONTENT_LENGTH);
            head.headers.insert(
                http::header::CONTENT_ENCODING,
                HeaderValue::from_static(coding.as_str()),
            );
            Response::from_parts(head, body)
        }
        Ok((body, false)) => Response::from_parts(head, body),
        Err(e) => {
            // The head is decided: the body is cut off, never sent as complete and empty.
            tracing::warn!(error = %e, "reading the response to compress it failed");
            Response::from_parts(head, body::failed(e))
        }
    }
}

/// Reads a body whole for the execution log and hands back an equal body.
async fn log_body(t: &Trace, label: &str, body: Body, gw: &Gateway) -> Body {
    match body::collect(body, gw.settings.buffer_limit).await {
        Ok(bytes) => {
            t.log(format!("{label}: {}", trace::body(&bytes)));
            body::full(bytes)
        }
        Err(e) => {
            t.log(format!("{label}: (not logged: {e:?})"));
            body::empty()
        }
    }
}

/// A buffered read that failed: 413 past the limit; the client's body failing is a 400, the
/// backend's a 504 (INTEGRATION_TIMEOUT or INTEGRATION_FAILURE, the gateway-response table's
/// default status for both).
pub fn collect_error(e: CollectError, what: &str) -> GatewayError {
    match e {
        CollectError::TooLarge { limit } => GatewayError::with_message(
            ResponseType::RequestTooLarge,
            format!("HTTP content length exceeded {limit} bytes"),
            format!("{what} over the buffer limit of {limit} bytes"),
        ),
        CollectError::Read(e) => GatewayError::with_message(
            ResponseType::BadRequestBody,
            "Invalid request body",
            format!("reading the {what} failed: {e}"),
        ),
        CollectError::Backend(BackendFault::Timeout) => GatewayError::new(
            ResponseType::IntegrationTimeout,
            format!("Execution failed: the {what} was not complete within the integration timeout"),
        ),
        CollectError::Backend(fault @ BackendFault::Failed(_)) => GatewayError::new(
            ResponseType::IntegrationFailure,
            format!("Execution failed due to a network error: the {what}: {fault}"),
        ),
    }
}

fn convert_error(e: ConvertError, what: &str) -> GatewayError {
    match e {
        ConvertError::NotBase64 => GatewayError::configuration(format!(
            "Execution failed: unable to base64-decode the {what}"
        )),
        ConvertError::TooLarge { limit } => collect_error(CollectError::TooLarge { limit }, what),
        ConvertError::Read(e) => collect_error(CollectError::from_read(e), what),
        ConvertError::Backend(f) => collect_error(CollectError::Backend(f), what),
    }
}

fn header_str(parts: &Parts, name: &str) -> Option<String> {
    parts
        .headers
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}
