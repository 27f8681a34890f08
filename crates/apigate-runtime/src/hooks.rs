//! Observers of the lifecycle: callbacks at its phase points, modelled on pingora's
//! `ProxyHttp` filters (`pingora-proxy/src/proxy_trait.rs`): every method has a default that
//! does nothing, and an implementation overrides the phases it cares about.
//!
//! The lifecycle is generic over its [`Hooks`], so a served request runs with [`NoHooks`],
//! whose calls compile to nothing (no dynamic dispatch, no per-request state), and `apigate
//! test-invoke` runs with a [`Trace`] that writes the console's execution log. Hooks observe:
//! a stage's outcome never depends on them (a hook handed a body hands back an equal one).

use crate::body::{self, Body, CollectError, Refused};
use crate::context::RequestContext;
use crate::error::GatewayError;
use crate::integrations::{EndpointRequest, EndpointResponse};
use crate::request::MethodRequest;
use crate::trace::{self, Trace};
use apigate_core::model::IntegrationResponse;
use http::{HeaderMap, Response};
use std::future::{ready, Future};
use std::sync::Arc;

/// Callbacks at the lifecycle's phase points, in the order they run. `limit` is the buffer
/// limit, for a hook that reads a body whole.
pub trait Hooks: Sync {
    /// The request arrived; its context holds the request id.
    fn started(&self, _cx: &RequestContext) {}

    /// The route stage matched a resource and method.
    fn routed(&self, _verb: &http::Method, _resource_path: &str) {}

    /// The execution log, for a stage that writes its own lines into it (a Lambda proxy
    /// call logs the event it sends and the answer).
    fn trace(&self) -> Option<Arc<Trace>> {
        None
    }

    /// The method request, before authorization.
    fn method_request(
        &self,
        _request: &MethodRequest<'_>,
        _headers: &HeaderMap,
        body: Body,
        _limit: u64,
    ) -> impl Future<Output = Body> + Send {
        ready(body)
    }

    /// The endpoint request after mapping, before the integration sends it.
    fn endpoint_request(
        &self,
        request: EndpointRequest,
        _limit: u64,
    ) -> impl Future<Output = EndpointRequest> + Send {
        ready(request)
    }

    /// A mock integration answered with `selector` (the template's `statusCode`).
    fn mocked(&self, _selector: Option<&str>) {}

    /// The backend's response, before integration-response selection.
    fn endpoint_response(
        &self,
        response: EndpointResponse,
        _limit: u64,
    ) -> impl Future<Output = EndpointResponse> + Send {
        ready(response)
    }

    /// The integration response selection picked `selected`.
    fn response_selected(&self, _selected: &IntegrationResponse) {}

    /// A stage failed: `error` becomes the gateway response.
    fn failed(&self, _error: &GatewayError) {}

    /// The method response as it leaves (after compression).
    fn method_response(
        &self,
        response: Response<Body>,
        _limit: u64,
    ) -> impl Future<Output = Response<Body>> + Send {
        ready(response)
    }
}

/// Served requests: no observer.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoHooks;

impl Hooks for NoHooks {}

/// `apigate test-invoke`: the execution log, as the console's Test tab shows it. Bodies are
/// read whole to be logged.
impl Hooks for Arc<Trace> {
    fn started(&self, cx: &RequestContext) {
        self.log(format!("Starting execution for request: {}", cx.request_id));
    }

    fn routed(&self, verb: &http::Method, resource_path: &str) {
        self.log(format!(
            "HTTP Method: {verb}, Resource Path: {resource_path}"
        ));
    }

    fn trace(&self) -> Option<Arc<Trace>> {
        Some(Arc::clone(self))
    }

    async fn method_request(
        &self,
        request: &MethodRequest<'_>,
        headers: &HeaderMap,
        body: Body,
        limit: u64,
    ) -> Body {
        self.log(format!(
            "Method request path: {}",
            trace::pairs(request.path_params.iter().map(|(k, v)| (*k, v.as_str())))
        ));
        self.log(format!(
            "Method request query string: {}",
            trace::pairs(request.query.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        ));
        self.log(format!(
            "Method request headers: {}",
            trace::headers(headers)
        ));
        let label = "Method request body before transformations";
        log_body(self, label, body, limit).await
    }

    async fn endpoint_request(&self, request: EndpointRequest, limit: u64) -> EndpointRequest {
        let body = log_body(
            self,
            "Endpoint request body after transformations",
            request.body,
            limit,
        )
        .await;
        // The backends log the URI and headers they send.
        EndpointRequest {
            body,
            trace: Some(Arc::clone(self)),
            ..request
        }
    }

    fn mocked(&self, selector: Option<&str>) {
        self.log(format!("Mock integration: selector {selector:?}"));
    }

    async fn endpoint_response(
        &self,
        mut response: EndpointResponse,
        limit: u64,
    ) -> EndpointResponse {
        self.log(format!("Received response. Status: {}", response.status));
        self.log(format!(
            "Endpoint response headers: {}",
            trace::headers(&response.headers)
        ));
        response.body = log_body(
            self,
            "Endpoint response body before transformations",
            response.body,
            limit,
        )
        .await;
        response
    }

    fn response_selected(&self, selected: &IntegrationResponse) {
        let pattern = selected
            .pattern
            .as_ref()
            .map_or("default".to_string(), |p| {
                format!("pattern {:?}", p.as_str())
            });
        self.log(format!(
            "Selected integration response: {pattern} → method response status {}",
            selected.status
        ));
    }

    fn failed(&self, error: &GatewayError) {
        self.log(format!("{} ({})", error.detail, error.kind.name()));
    }

    async fn method_response(&self, response: Response<Body>, limit: u64) -> Response<Body> {
        let (head, body) = response.into_parts();
        let body = log_body(
            self,
            "Method response body after transformations",
            body,
            limit,
        )
        .await;
        self.log(format!(
            "Method response headers: {}",
            trace::headers(&head.headers)
        ));
        self.log(format!(
            "Method completed with status: {}",
            head.status.as_u16()
        ));
        Response::from_parts(head, body)
    }
}

/// Reads a body whole for the execution log and hands back an equal body: the bytes, or, when
/// reading failed, an empty body — except for a refused body, which fails again as it did so
/// the stage that reads it next answers with the refusal.
async fn log_body(t: &Trace, label: &str, body: Body, limit: u64) -> Body {
    match body::collect(body, limit).await {
        Ok(bytes) => {
            t.log(format!("{label}: {}", trace::body(&bytes)));
            body::full(bytes)
        }
        Err(CollectError::Refused(e)) => {
            t.log(format!("{label}: (not logged: {e})"));
            body::failed(Box::new(Refused(e)))
        }
        Err(e) => {
            t.log(format!("{label}: (not logged: {e:?})"));
            body::empty()
        }
    }
}
