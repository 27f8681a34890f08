//! The request lifecycle: the spine of the gateway. It reads top to bottom as API Gateway runs
//! a request (docs/ARCHITECTURE.md has the same table):
//!
//! ```text
//! route → authorize → API key → throttle → validate parameters → decompress → validate body
//!   → check integration → map request → integrate → select response → map response → compress
//!   │   └─ aws_proxy: Lambda proxy event → invoke → proxy answer (no mapping, no selection)
//!   └──────────── any failure ──────────────→ gateway response
//! ```
//!
//! Each stage is one function here; the longer ones live in their own modules
//! ([`crate::validate`], [`crate::map_request`], [`crate::map_response`], [`crate::auth`],
//! [`crate::api_keys`], [`crate::throttle`], [`crate::integrations`], [`crate::compression`]).
//! A new stage is one more function and one more line in `execute`. Observers ([`Hooks`]:
//! the `test-invoke` execution log) are called at the phase points and cost nothing when
//! there is none ([`NoHooks`]).
//!
//! Every response carries `x-amzn-RequestId` and `x-amz-apigw-id`. Bodies stream unless a
//! stage needs them whole (see [`crate::body`]).

use crate::api_keys;
use crate::auth::{self, resource_policy, AuthMode, Authorizer, CallerCredentials};
use crate::body::{self, Body};
use crate::compression;
use crate::context::RequestContext;
use crate::error::{GatewayError, ResponseType};
use crate::gateway_response;
use crate::hooks::{Hooks, NoHooks};
use crate::integrations::aws_service::AwsServiceBackend;
use crate::integrations::http::{self as http_integration, HttpBackend, ProxyPassthrough};
use crate::integrations::lambda::{self, Invoke, LambdaBackend};
use crate::integrations::s3::S3Backend;
use crate::integrations::{self, AwsCall, EndpointRequest, EndpointResponse};
use crate::lambda_proxy::{self, EventSource};
use crate::map_request::{map_request, Mapped, Payload};
use crate::map_response::{accepts_binary, map_response, select_response};
use crate::observe::{Observe, Observer};
use crate::params::Scope;
use crate::request::{header_text, MethodRequest, NameCase};
use crate::throttle::{Client, Limits};
use crate::trace::Trace;
use crate::validate::{validate, validate_body};
use apigate_core::model::{Authorization, IntegrationType, Target};
use apigate_core::routes::{RouteError, RouteMatch};
use apigate_core::{Api, HttpMethod, Method};
use http::header::{
    HeaderValue, ACCEPT, ACCEPT_ENCODING, CONTENT_LENGTH, HOST, REFERER, USER_AGENT,
};
use http::request::Parts;
use http::{Request, Response, StatusCode};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

/// A request extension: the request came over TLS (the server's service adds it), so a
/// Lambda proxy event says `X-Forwarded-Proto: https`.
#[derive(Debug, Clone, Copy)]
pub struct OverTls;

/// Everything the lifecycle needs, built at start-up and again, around a new API, on each
/// reload: the backends and the authorizer are shared (`Arc`) by the gateways a reload
/// makes, so requests in flight on the old API and new ones on the new API use the same
/// connection pools and caller keys.
#[derive(Debug)]
pub struct Gateway {
    pub api: Api,
    pub settings: Settings,
    pub authorizer: Arc<Authorizer>,
    /// API keys, usage plans and throttling, resolved for the served stage, and their
    /// counters (shared by the gateways a reload makes).
    pub limits: Limits,
    pub s3: Arc<S3Backend>,
    pub http: Arc<HttpBackend>,
    pub lambda: Arc<LambdaBackend>,
    pub aws: Arc<AwsServiceBackend>,
    /// Metrics and access log ([`Observe::off`] when neither is on).
    pub observe: Observe,
}

impl Gateway {
    /// The same backends, authorizer and settings serving `api` instead (a reload):
    /// `settings.stage` is `stage`, the observation is `api`'s own, the limits are resolved
    /// again for `api` (their counters carry on).
    pub fn reloaded(
        &self,
        api: Api,
        stage: Option<String>,
        observer: Option<&Arc<Observer>>,
    ) -> Gateway {
        let deployment = Redeployment {
            stage,
            stage_variables: self.settings.stage_variables.clone(),
            config: self.limits.config().clone(),
            access_log_format: self.observe.format().cloned(),
            api_id: self.settings.api_id.clone(),
            scope: self.limits.scope().to_string(),
        };
        self.redeployed(api, deployment, observer)
    }

    /// The same backends and authorizer serving `api` as `deployment` says (a reload of the
    /// config file): the limits are resolved from its config (the counters of those that
    /// keep their names carry on).
    pub fn redeployed(
        &self,
        api: Api,
        deployment: Redeployment,
        observer: Option<&Arc<Observer>>,
    ) -> Gateway {
        let settings = Settings {
            stage: deployment.stage,
            stage_variables: deployment.stage_variables,
            api_id: deployment.api_id,
            ..self.settings.clone()
        };
        let stage = settings.stage.as_deref();
        let observe = match observer {
            Some(o) => Observe::with_format(
                o.clone(),
                &api,
                stage.unwrap_or(""),
                deployment.access_log_format,
            ),
            None => Observe::off(),
        };
        let limits = self
            .limits
            .reconfigured(&api, deployment.config, stage, &deployment.scope);
        Gateway {
            api,
            settings,
            limits,
            authorizer: self.authorizer.clone(),
            s3: self.s3.clone(),
            http: self.http.clone(),
            lambda: self.lambda.clone(),
            aws: self.aws.clone(),
            observe,
        }
    }
}

/// What a deployment sets besides the API: from the config file, with the command line's
/// overrides applied.
#[derive(Debug, Clone)]
pub struct Redeployment {
    pub stage: Option<String>,
    pub stage_variables: BTreeMap<String, String>,
    pub config: Arc<apigate_core::config::DeploymentConfig>,
    /// The stage's access-log format (`None`: the log's own).
    pub access_log_format: Option<Arc<crate::access_log::AccessLogFormat>>,
    /// `$context.apiId`.
    pub api_id: String,
    /// The API's name when several are served (its methods' counters apart), else empty.
    pub scope: String,
}

/// Per-gateway settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Served under `/{stage}`; `None` = at `/`.
    pub stage: Option<String>,
    pub api_id: String,
    pub account_id: String,
    pub stage_variables: BTreeMap<String, String>,
    /// Most bytes buffered when a stage needs a whole body (AWS's payload limit is 10 MB;
    /// streamed bodies have no limit).
    pub buffer_limit: u64,
    /// Renders mapping templates under `--template-timeout`, off the async workers when
    /// they take time.
    pub templates: crate::template_runner::TemplateRunner,
}

/// How a request reached its API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    /// `/{stage}/…` (or `/…` for an API served without a stage): the execute-api way.
    Stage,
    /// Through a custom domain's base path mapping: the path's first `n` bytes (`/v1`; 0
    /// for the `(none)` mapping) are the base path, the rest goes to the API.
    BasePath(usize),
}

/// Runs one request through the lifecycle. Never fails: errors become gateway responses.
pub async fn handle(gw: &Gateway, request: Request<Body>, remote: SocketAddr) -> Response<Body> {
    handle_with(gw, request, remote, Entry::Stage, &NoHooks).await
}

/// [`handle`] for a request that reached the API as `entry` says.
pub async fn handle_entered(
    gw: &Gateway,
    request: Request<Body>,
    remote: SocketAddr,
    entry: Entry,
) -> Response<Body> {
    handle_with(gw, request, remote, entry, &NoHooks).await
}

/// [`handle`], recording the execution log in `trace` (`apigate test-invoke`). Bodies are read
/// whole to log them.
pub async fn handle_traced(
    gw: &Gateway,
    request: Request<Body>,
    remote: SocketAddr,
    trace: Arc<Trace>,
) -> Response<Body> {
    handle_with(gw, request, remote, Entry::Stage, &trace).await
}

/// One request: the stages, compression, the request ids, the request's log line.
async fn handle_with<H: Hooks>(
    gw: &Gateway,
    request: Request<Body>,
    remote: SocketAddr,
    entry: Entry,
    hooks: &H,
) -> Response<Body> {
    let started = Instant::now();
    let observing = gw.observe.start(started);
    let (parts, body) = request.into_parts();
    let mut cx = request_context(gw, &parts, remote);
    if let Entry::BasePath(n) = entry {
        cx.base_path = Some(n);
    }
    hooks.started(&cx);
    let response = run(gw, &parts, body, &mut cx, hooks).await;
    let response = compress(gw, &parts, response).await;
    let mut response = hooks
        .method_response(response, gw.settings.buffer_limit)
        .await;
    stamp_request_ids(&mut response, &cx);
    tracing::info!(
        request_id = %cx.request_id,
        method = %parts.method,
        path = %parts.uri.path(),
        resource = %cx.resource_path,
        status = response.status().as_u16(),
        latency_ms = started.elapsed().as_millis() as u64,
        "request"
    );
    cx.outcome.status = response.status().as_u16();
    // Metrics and the access log: recorded when the body has gone out.
    gw.observe.finish(observing, response, cx)
}

/// Routes the request, then runs the other stages; a failure becomes its gateway response.
async fn run<H: Hooks>(
    gw: &Gateway,
    parts: &Parts,
    body: Body,
    cx: &mut RequestContext,
    hooks: &H,
) -> Response<Body> {
    let accept = header_text(&parts.headers, ACCEPT);
    let routed = match route(gw, parts, cx, hooks) {
        Ok(r) => r,
        Err(e) => return fail(gw, &e, cx, None, accept.as_deref(), hooks),
    };
    let request = match MethodRequest::new(
        routed.verb,
        routed.path_params,
        parts.uri.query(),
        &parts.headers,
    ) {
        Ok(r) => MethodRequest {
            name_case: NameCase::of(parts),
            ..r
        },
        Err(e) => return fail(gw, &e, cx, None, accept.as_deref(), hooks),
    };
    let target = (routed.method, routed.index);
    match execute(gw, parts, body, target, &request, cx, hooks).await {
        Ok(response) => response,
        Err(e) => fail(gw, &e, cx, Some(&request), accept.as_deref(), hooks),
    }
}

/// The stages after routing, in API Gateway's order; `route` is the method's index in the
/// route table.
async fn execute<H: Hooks>(
    gw: &Gateway,
    parts: &Parts,
    body: Body,
    (method, route): (&Method, usize),
    request: &MethodRequest<'_>,
    cx: &mut RequestContext,
    hooks: &H,
) -> Result<Response<Body>, GatewayError> {
    let limit = gw.settings.buffer_limit;
    let body = hooks
        .method_request(request, &parts.headers, body, limit)
        .await;
    let authorized = authorize(gw, method, parts, request, cx, body).await?;
    cx.caller = authorized.caller;
    let client = api_key(gw, method, parts, cx)?;
    throttle(gw, route, client).await?;
    validate(gw, method, request)?;
    let payload = decompress(gw, method, parts, authorized.body).await?;
    let payload = validate_body(gw, method, parts, payload).await?;
    integrations::check_runnable(&method.integration)?;
    if method.integration.kind == IntegrationType::AwsProxy {
        let caller = authorized.credentials.as_ref();
        return invoke_lambda_proxy(gw, method, parts, request, payload, cx, caller, hooks).await;
    }
    let scope = Scope {
        context: cx,
        stage_variables: &gw.settings.stage_variables,
    };
    let mapped = map_request(gw, method, request, parts, payload, scope).await?;
    let (endpoint, selector) = match mapped {
        Mapped::Mock {
            selector,
            overrides,
        } => {
            cx.mock_overrides = overrides;
            mock(selector, hooks)
        }
        Mapped::Backend(endpoint_request) => {
            let endpoint_request = hooks.endpoint_request(endpoint_request, limit).await;
            let caller = authorized.credentials.as_ref();
            let sent = Instant::now();
            let response = integrate(gw, method, parts, endpoint_request, caller).await;
            let response = integrated(cx, sent, response)?;
            let response = hooks.endpoint_response(response, limit).await;
            let selector = match &response.selection {
                Some(value) => value.clone(),
                None => response.status.to_string(),
            };
            (response, Some(selector))
        }
    };
    if method.integration.kind == IntegrationType::HttpProxy {
        return Ok(proxy_response(endpoint));
    }
    let selected = select_response(method, selector.as_deref(), endpoint.status)?;
    hooks.response_selected(selected);
    let scope = Scope {
        context: cx,
        stage_variables: &gw.settings.stage_variables,
    };
    map_response(gw, selected, endpoint, request, parts, scope).await
}

/// Records the integration's latency and status, or its failure, for the access log and
/// the metrics (`$context.integrationLatency`, `integration.status`, `integration.error`).
fn integrated(
    cx: &mut RequestContext,
    sent: Instant,
    response: Result<EndpointResponse, GatewayError>,
) -> Result<EndpointResponse, GatewayError> {
    cx.outcome.integration_latency = Some(sent.elapsed());
    match &response {
        Ok(r) => cx.outcome.integration_status = Some(r.status),
        Err(e) => cx.outcome.integration_error = Some((e.kind.name(), e.detail.clone())),
    }
    response
}

/// The routed method, its index in the route table and its path parameters.
struct Routed<'a> {
    verb: HttpMethod,
    method: &'a Method,
    index: usize,
    path_params: Vec<(&'a str, String)>,
}

/// Stage, resource and verb; anything unknown is 403 Missing Authentication Token, as AWS
/// answers for unknown stages, resources and methods alike.
fn route<'g>(
    gw: &'g Gateway,
    parts: &Parts,
    cx: &mut RequestContext,
    hooks: &impl Hooks,
) -> Result<Routed<'g>, GatewayError> {
    let missing = |why: String| GatewayError::new(ResponseType::MissingAuthenticationToken, why);
    let raw = parts.uri.path();
    let rest = match (cx.base_path, &gw.settings.stage) {
        (Some(n), stage) => {
            if let Some(stage) = stage {
                cx.stage.clone_from(stage);
            }
            below_base_path(raw, n)
        }
        (None, Some(stage)) => {
            let rest = below_stage(stage, raw)
                .ok_or_else(|| missing(format!("no stage in {raw} (the API is at /{stage})")))?;
            cx.stage.clone_from(stage);
            rest
        }
        (None, None) => raw,
    };
    let verb = HttpMethod::parse(parts.method.as_str())
        .filter(|v| *v != HttpMethod::Any && parts.method.as_str() == v.as_str())
        .ok_or_else(|| missing(format!("unsupported HTTP method {}", parts.method)))?;
    let RouteMatch {
        method,
        id,
        path_params,
    } = gw.api.routes.lookup(verb, rest).map_err(|e| match e {
        RouteError::BadPath(why) => {
            GatewayError::bad_request(format!("request path {rest}: {why}"))
        }
        _ => missing(format!("no route for {} {rest}: {e:?}", parts.method)),
    })?;
    cx.resource_path.clone_from(&method.resource_path);
    cx.route = Some(id);
    hooks.routed(&parts.method, &method.resource_path);
    Ok(Routed {
        verb,
        method,
        index: id,
        path_params,
    })
}

/// The path below a custom domain's base path of `n` bytes (`/` for the base path itself).
fn below_base_path(raw: &str, n: usize) -> &str {
    match raw.get(n..) {
        Some(rest) if rest.starts_with('/') => rest,
        _ => "/",
    }
}

/// The resource path below `/{stage}` (`/` for the stage itself); `None` outside the stage.
fn below_stage<'p>(stage: &str, raw: &'p str) -> Option<&'p str> {
    let after = raw
        .strip_prefix('/')?
        .strip_prefix(stage)
        .filter(|r| r.is_empty() || r.starts_with('/'))?;
    Some(if after.is_empty() { "/" } else { after })
}

/// Authorization: the resource policy (`auth::resource_policy`), AWS_IAM callers verified
/// by SigV4, Lambda and Cognito authorizers (`auth`). `test-invoke` skips it all, as the
/// console's Test tab does.
async fn authorize(
    gw: &Gateway,
    method: &Method,
    parts: &Parts,
    request: &MethodRequest<'_>,
    cx: &mut RequestContext,
    body: Body,
) -> Result<auth::Authorized, GatewayError> {
    let raw = parts.uri.path();
    let path = match (cx.base_path, &gw.settings.stage) {
        (Some(n), _) => below_base_path(raw, n),
        (None, Some(stage)) => below_stage(stage, raw).unwrap_or(raw),
        (None, None) => raw,
    };
    let method_arn = method_arn(gw, parts, path, cx);
    let policy = gw
        .api
        .policy
        .as_ref()
        .filter(|_| gw.authorizer.mode != AuthMode::Skip);
    let facts = policy.map(|_| resource_policy::Facts {
        method_arn: &method_arn,
        resource: method_arn
            .split_once(&format!(":{}/", gw.settings.api_id))
            .map_or("", |(_, rest)| rest),
        source_ip: cx.source_ip.parse().ok(),
        user_agent: parts.headers.get(USER_AGENT).and_then(|v| v.to_str().ok()),
        referer: parts.headers.get(REFERER).and_then(|v| v.to_str().ok()),
    });
    if let (Some(policy), Some(facts)) = (policy, &facts) {
        let verified = gw.authorizer.mode == AuthMode::Verify;
        resource_policy::before_authorizers(policy, &method.authorization, verified, facts)?;
    }
    let subject = auth::Subject {
        path,
        api: &gw.api,
        method,
        parts,
        request,
        context: cx,
        stage_variables: &gw.settings.stage_variables,
        method_arn: &method_arn,
    };
    let outcome = gw
        .authorizer
        .authorize(subject, body, gw.settings.buffer_limit, &gw.lambda)
        .await;
    match outcome {
        Ok(mut authorized) => {
            cx.authorizer = authorized.authorizer.take();
            let iam = method.authorization == Authorization::AwsIam
                && gw.authorizer.mode == AuthMode::Verify;
            if let (Some(policy), Some(facts), true) = (policy, &facts, iam) {
                let caller = authorized.caller.as_ref();
                let account = &gw.settings.account_id;
                resource_policy::for_iam_caller(policy, caller, account, facts)?;
            }
            Ok(authorized)
        }
        Err(denied) => {
            // A deny's context is there for the ACCESS_DENIED gateway response.
            cx.authorizer = denied.authorizer;
            Err(denied.error)
        }
    }
}

/// API keys (semantics §16), after authorization: a method that requires a key gets a
/// defined, enabled one in a usage plan for the stage — from `x-api-key`, or from the
/// Lambda authorizer's `usageIdentifierKey` when the API's key source is `AUTHORIZER` — or
/// answers 403 (`api_keys`). The key is `$context.identity.apiKey`/`apiKeyId` from here on,
/// and the caller its usage plan limits. Skipped by `test-invoke`, as the console does.
fn api_key(
    gw: &Gateway,
    method: &Method,
    parts: &Parts,
    cx: &mut RequestContext,
) -> Result<Option<Client>, GatewayError> {
    if gw.authorizer.mode == AuthMode::Skip {
        return Ok(None);
    }
    let source = gw.api.api_key_source;
    let from_authorizer = cx
        .authorizer
        .as_ref()
        .and_then(|a| a.usage_identifier_key.as_deref());
    let presented = api_keys::presented(source, &parts.headers, from_authorizer);
    let identified = api_keys::identify(&gw.limits.usage, method, source, presented)?;
    Ok(identified.map(|i| {
        cx.api_key = Some((i.value, i.id));
        i.client
    }))
}

/// Throttling and quotas (semantics §16): the method's stage bucket, the key's usage-plan
/// bucket and quota, charged together (`throttle`); 429 when one has nothing left.
async fn throttle(gw: &Gateway, route: usize, client: Option<Client>) -> Result<(), GatewayError> {
    if gw.authorizer.mode == AuthMode::Skip {
        return Ok(());
    }
    gw.limits.admit(route, client).await
}

/// The method ARN authorizer policies are evaluated against:
/// `arn:{partition}:execute-api:{region}:{account}:{apiId}/{stage}/{VERB}/{path}`, the path
/// being the request's own below the stage, without its leading `/` (the developer guide:
/// path parameter values are part of it).
fn method_arn(gw: &Gateway, parts: &Parts, below: &str, cx: &RequestContext) -> String {
    let region = &gw.authorizer.region;
    format!(
        "arn:{}:execute-api:{region}:{}:{}/{}/{}/{}",
        partition_of(region),
        gw.settings.account_id,
        gw.settings.api_id,
        cx.stage,
        parts.method.as_str(),
        below.strip_prefix('/').unwrap_or(below)
    )
}

/// The AWS partition a region belongs to.
fn partition_of(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("us-iso-") {
        "aws-iso"
    } else if region.starts_with("us-isob-") {
        "aws-iso-b"
    } else {
        "aws"
    }
}

/// Decompression (semantics §9): with compression enabled, a request body with a
/// `Content-Encoding` is decoded before mapping (415 when it cannot be), except toward
/// `http_proxy`, which passes it as it came.
async fn decompress(
    gw: &Gateway,
    method: &Method,
    parts: &Parts,
    body: Body,
) -> Result<Payload, GatewayError> {
    let length = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    let payload = Payload { body, length };
    if gw.api.minimum_compression_size.is_none()
        || method.integration.kind == IntegrationType::HttpProxy
    {
        return Ok(payload);
    }
    let Some(coding) = compression::request_coding(&parts.headers)? else {
        return Ok(payload);
    };
    let bytes = compression::decompress(payload.body, coding, gw.settings.buffer_limit).await?;
    Ok(Payload {
        length: Some(bytes.len() as u64),
        body: body::full(bytes),
    })
}

/// A mock integration's endpoint response: no backend, an empty 200; the request template's
/// `statusCode` is the selector.
fn mock(selector: Option<String>, hooks: &impl Hooks) -> (EndpointResponse, Option<String>) {
    hooks.mocked(selector.as_deref());
    let response = EndpointResponse {
        status: 200,
        headers: http::HeaderMap::new(),
        body: body::empty(),
        deadline: None,
        selection: None,
    };
    (response, selector)
}

/// Integration: the backend's response to the endpoint request. A request body refused while
/// it streamed (a payload that does not match its signed hash) aborted the upload: whatever
/// the backend answered to the truncated request, the client's answer is the refusal.
async fn integrate(
    gw: &Gateway,
    method: &Method,
    parts: &Parts,
    request: EndpointRequest,
    caller: Option<&CallerCredentials>,
) -> Result<EndpointResponse, GatewayError> {
    let (body, watch) = body::watch(request.body);
    let request = EndpointRequest { body, ..request };
    let integration = &method.integration;
    let stage_variables = &gw.settings.stage_variables;
    let answered = match &integration.target {
        Target::Http(uri) => {
            let proxy = proxy_passthrough(method, parts);
            let insecure = integration.tls_insecure_skip_verification;
            let limit = gw.settings.buffer_limit;
            gw.http
                .send(uri, request, proxy, insecure, stage_variables, limit)
                .await
        }
        Target::Aws(uri) => {
            let call = AwsCall {
                uri,
                role: integration.credentials.as_ref(),
                caller,
                stage_variables,
                buffer_limit: gw.settings.buffer_limit,
            };
            match uri.service.as_str() {
                "lambda" => gw.lambda.send(&call, request).await,
                "s3" => gw.s3.send(&call, request).await,
                _ => gw.aws.send(&call, request).await,
            }
        }
        _ => Err(GatewayError::configuration(
            "integration without a usable target",
        )),
    };
    watch.refusal().map_or(answered, Err)
}

/// Integration for `aws_proxy` (semantics §14): the method request as Lambda's proxy event,
/// the function's answer as the method response; no mapping, selection or templates.
#[allow(clippy::too_many_arguments)]
async fn invoke_lambda_proxy<H: Hooks>(
    gw: &Gateway,
    method: &Method,
    parts: &Parts,
    request: &MethodRequest<'_>,
    payload: Payload,
    cx: &mut RequestContext,
    caller: Option<&CallerCredentials>,
    hooks: &H,
) -> Result<Response<Body>, GatewayError> {
    let integration = &method.integration;
    let Target::Aws(uri) = &integration.target else {
        return Err(GatewayError::configuration(
            "an aws_proxy integration without an AWS URI",
        ));
    };
    let function = lambda::function_of(uri, &gw.settings.stage_variables)?;
    let limit = gw.settings.buffer_limit;
    let body = body::collect(payload.body, limit)
        .await
        .map_err(|e| e.into_gateway_error("request body"))?;
    let raw = parts.uri.path();
    let path = match &gw.settings.stage {
        Some(stage) => below_stage(stage, raw).unwrap_or(raw),
        None => raw,
    };
    let tls = parts.extensions.get::<OverTls>().is_some();
    let port = host(parts)
        .and_then(|h| h.rsplit_once(':').map(|(_, p)| p.to_string()))
        .unwrap_or_else(|| if tls { "443" } else { "80" }.into());
    let added = [
        ("X-Amzn-Trace-Id", http_integration::trace_id()),
        ("X-Forwarded-For", cx.source_ip.clone()),
        ("X-Forwarded-Port", port),
        (
            "X-Forwarded-Proto",
            if tls { "https" } else { "http" }.to_string(),
        ),
    ];
    let event = lambda_proxy::event(&EventSource {
        parts,
        path,
        resource: &method.resource_path,
        name_case: request.name_case,
        cx,
        stage_variables: &gw.settings.stage_variables,
        binary_media_types: &gw.api.binary_media_types,
        added: &added,
        body,
    });
    let trace = hooks.trace();
    if let Some(t) = &trace {
        t.log(format!(
            "Endpoint request body after transformations: {}",
            String::from_utf8_lossy(&event)
        ));
    }
    let sent = Instant::now();
    let invoked = gw
        .lambda
        .invoke(Invoke {
            function: &function,
            payload: event.into(),
            role: integration.credentials.as_ref(),
            caller,
            asynchronous: false,
            timeout: std::time::Duration::from_millis(u64::from(integration.timeout_ms)),
            trace: trace.as_deref(),
        })
        .await;
    cx.outcome.integration_latency = Some(sent.elapsed());
    let invoked = match invoked {
        Ok(invoked) => invoked,
        Err(e) => {
            cx.outcome.integration_error = Some((e.kind.name(), e.detail.clone()));
            return Err(e);
        }
    };
    cx.outcome.integration_status = Some(invoked.status);
    if invoked.function_error.is_some() {
        return Err(lambda_proxy::function_failed(
            &function.name,
            &invoked.payload,
        ));
    }
    let accept = header_text(&parts.headers, ACCEPT);
    let response = lambda_proxy::response(
        &invoked.payload,
        accepts_binary(&gw.api.binary_media_types, accept.as_deref()),
    )?;
    cx.outcome.proxy_status = Some(response.status().as_u16());
    Ok(response)
}

/// What an `http_proxy` integration passes of the method request (§10.4): its query string
/// and headers, without the caller's SigV4 `Authorization`.
fn proxy_passthrough<'p>(method: &Method, parts: &'p Parts) -> Option<ProxyPassthrough<'p>> {
    (method.integration.kind == IntegrationType::HttpProxy).then(|| ProxyPassthrough {
        raw_query: parts.uri.query(),
        headers: &parts.headers,
        drop_authorization: method.authorization == Authorization::AwsIam,
    })
}

/// An `http_proxy` response: the backend's status, headers per §10.4, body streamed;
/// response selection and mapping do not apply.
fn proxy_response(endpoint: EndpointResponse) -> Response<Body> {
    let mut response = Response::new(endpoint.body);
    *response.status_mut() =
        StatusCode::from_u16(endpoint.status).unwrap_or(StatusCode::BAD_GATEWAY);
    *response.headers_mut() = http_integration::proxy_response_headers(&endpoint.headers);
    response
}

/// Compression (semantics §9): when the API sets a minimum size, the method response is
/// compressed for a client that accepts gzip or deflate.
async fn compress(gw: &Gateway, parts: &Parts, response: Response<Body>) -> Response<Body> {
    let Some(minimum) = gw.api.minimum_compression_size else {
        return response;
    };
    let accept_encoding = header_text(&parts.headers, ACCEPT_ENCODING);
    compression::compress_response(
        response,
        &parts.method,
        accept_encoding.as_deref(),
        u64::from(minimum),
    )
    .await
}

/// Turns an error into its gateway response, recording it in the context first.
fn fail(
    gw: &Gateway,
    error: &GatewayError,
    cx: &mut RequestContext,
    request: Option<&MethodRequest<'_>>,
    accept: Option<&str>,
    hooks: &impl Hooks,
) -> Response<Body> {
    tracing::warn!(request_id = %cx.request_id, error = %error, "gateway response");
    hooks.failed(error);
    let message = (!error.null_message).then(|| error.message.clone());
    cx.error = Some((error.kind.name(), message));
    cx.validation_error.clone_from(&error.validation_error);
    let scope = Scope {
        context: cx,
        stage_variables: &gw.settings.stage_variables,
    };
    gateway_response::respond(&gw.api, error, cx, request, scope, accept)
}

/// `$context` as far as the request itself tells: ids, API, method, path, source.
fn request_context(gw: &Gateway, parts: &Parts, remote: SocketAddr) -> RequestContext {
    let mut cx = RequestContext::new(SystemTime::now());
    cx.api_id.clone_from(&gw.settings.api_id);
    cx.account_id.clone_from(&gw.settings.account_id);
    cx.http_method = parts.method.as_str().to_string();
    cx.protocol = match parts.version {
        http::Version::HTTP_09 => "HTTP/0.9",
        http::Version::HTTP_10 => "HTTP/1.0",
        http::Version::HTTP_2 => "HTTP/2.0",
        http::Version::HTTP_3 => "HTTP/3.0",
        _ => "HTTP/1.1",
    };
    cx.path = parts.uri.path().to_string();
    cx.source_ip = remote.ip().to_string();
    cx.user_agent = header_text(&parts.headers, USER_AGENT).unwrap_or_default();
    cx.domain_name = host(parts).unwrap_or_default();
    cx
}

/// The host the client asked for: its `Host` header, else (HTTP/2 has none) the request
/// URI's authority.
fn host(parts: &Parts) -> Option<String> {
    header_text(&parts.headers, HOST).or_else(|| parts.uri.authority().map(|a| a.to_string()))
}

/// `x-amzn-RequestId` and `x-amz-apigw-id`, on every response.
pub fn stamp_request_ids(response: &mut Response<Body>, cx: &RequestContext) {
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&cx.request_id) {
        headers.insert("x-amzn-requestid", v);
    }
    if let Ok(v) = HeaderValue::from_str(&cx.extended_request_id) {
        headers.insert("x-amz-apigw-id", v);
    }
}
