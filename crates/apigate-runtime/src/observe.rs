//! What watches every response: the metrics and the access log. `lifecycle::handle_with`
//! starts a request's observation ([`Observe::start`]) and hands its finished response to
//! [`Observe::finish`], which wraps the body: when the body ends (or is dropped, the client
//! gone) the request is counted, its latencies observed and its access-log line queued,
//! with the response length and latency known.
//!
//! Off (no admin listener, no access log) it costs nothing: [`Observe::off`] wraps no body.
//! On, a request costs one allocation (the wrapper, which carries the request's context to
//! the end of its body) and a few atomic operations; label sets are resolved per method when
//! the API is loaded ([`crate::metrics::ApiMetrics`]).

use crate::access_log::{AccessLog, AccessLogFormat};
use crate::body::{Body, BoxError};
use crate::context::RequestContext;
use crate::metrics::{ApiMetrics, Metrics};
use apigate_core::model::Api;
use bytes::Bytes;
use http::Response;
use http_body::{Frame, SizeHint};
use http_body_util::BodyExt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

/// Metrics and access log, shared by every API the process serves in turn (reloads keep
/// counts and the log's queue).
#[derive(Debug, Default)]
pub struct Observer {
    pub metrics: Option<Arc<Metrics>>,
    pub access_log: Option<AccessLog>,
}

impl Observer {
    /// Whether anything observes requests.
    pub fn is_on(&self) -> bool {
        self.metrics.is_some() || self.access_log.is_some()
    }
}

/// The observation of one API's requests: the [`Observer`] and the API's per-method label
/// sets. Built with the API (and again on each reload).
#[derive(Debug, Default, Clone)]
pub struct Observe(Option<Arc<Inner>>);

#[derive(Debug)]
struct Inner {
    observer: Arc<Observer>,
    routes: Option<ApiMetrics>,
    /// The stage's access-log format (the config file's `AccessLogSetting.Format`); `None`:
    /// the log's own (`--access-log-format`, or CLF).
    format: Option<Arc<AccessLogFormat>>,
}

/// A request being observed: counted in flight until this is dropped — when its response
/// ends, or when the request is abandoned before it has one (the client went away).
#[derive(Debug)]
pub struct Started {
    at: Instant,
    metrics: Option<Arc<Metrics>>,
}

impl Drop for Started {
    fn drop(&mut self) {
        if let Some(m) = &self.metrics {
            m.in_flight.dec();
        }
    }
}

impl Observe {
    /// Nothing observed.
    pub fn off() -> Observe {
        Observe(None)
    }

    /// `api`'s requests (served under `stage`, empty at `/`) observed by `observer`; off when
    /// the observer has neither metrics nor an access log.
    pub fn new(observer: Arc<Observer>, api: &Api, stage: &str) -> Observe {
        Observe::with_format(observer, api, stage, None)
    }

    /// [`Observe::new`], the access log written in `format` (a stage's own) when there is one.
    pub fn with_format(
        observer: Arc<Observer>,
        api: &Api,
        stage: &str,
        format: Option<Arc<AccessLogFormat>>,
    ) -> Observe {
        if !observer.is_on() {
            return Observe(None);
        }
        let routes = observer
            .metrics
            .as_ref()
            .map(|_| ApiMetrics::new(api, stage));
        Observe(Some(Arc::new(Inner {
            observer,
            routes,
            format,
        })))
    }

    /// The stage's own access-log format, if it has one.
    pub fn format(&self) -> Option<&Arc<AccessLogFormat>> {
        self.0.as_ref()?.format.as_ref()
    }

    /// The metrics, when they are collected.
    pub fn metrics(&self) -> Option<&Arc<Metrics>> {
        self.0.as_ref()?.observer.metrics.as_ref()
    }

    /// A request arrived at `at`.
    pub fn start(&self, at: Instant) -> Option<Started> {
        let inner = self.0.as_ref()?;
        let metrics = inner.observer.metrics.clone();
        if let Some(m) = &metrics {
            m.in_flight.inc();
        }
        Some(Started { at, metrics })
    }

    /// Wraps `response`'s body so that its end records the request (`cx`: its context, with
    /// the status set). Without a [`Started`] the response goes out as it is.
    pub fn finish(
        &self,
        started: Option<Started>,
        response: Response<Body>,
        cx: RequestContext,
    ) -> Response<Body> {
        let (Some(inner), Some(started)) = (&self.0, started) else {
            return response;
        };
        response.map(|body| {
            Observed {
                body,
                end: Some(End {
                    inner: inner.clone(),
                    cx,
                    started,
                }),
                length: 0,
            }
            .boxed_unsync()
        })
    }
}

/// A response body counted as it is sent; its end records the request.
struct Observed {
    body: Body,
    end: Option<End>,
    length: u64,
}

struct End {
    inner: Arc<Inner>,
    cx: RequestContext,
    /// Leaves the in-flight count when the end has been recorded.
    started: Started,
}

impl Observed {
    fn end(&mut self) {
        let Some(End {
            inner,
            mut cx,
            started,
        }) = self.end.take()
        else {
            return;
        };
        cx.outcome.response_length = self.length;
        cx.outcome.response_latency = started.at.elapsed();
        let observer = &inner.observer;
        if let (Some(m), Some(routes)) = (&observer.metrics, &inner.routes) {
            record(m, routes, &cx);
        }
        if let Some(log) = &observer.access_log {
            log.log_as(inner.format.as_deref(), &cx);
        }
    }
}

/// One finished request in the metrics.
fn record(m: &Metrics, routes: &ApiMetrics, cx: &RequestContext) {
    let o = &cx.outcome;
    m.response_bytes.inc_by(o.response_length);
    if let Some(route) = routes.route(cx.route, &cx.http_method) {
        route.request(m, o.status);
        route.duration(m, o.response_latency);
        if let Some(latency) = o.integration_latency {
            route.integration(m, latency);
        }
    }
    if let Some((kind, _)) = &o.integration_error {
        m.integration_error(kind);
    }
    match cx.error.as_ref().map(|(kind, _)| *kind) {
        Some("THROTTLED") => {
            m.throttled.inc();
        }
        Some("QUOTA_EXCEEDED") => {
            m.quota_exceeded.inc();
        }
        _ => {}
    }
}

impl Drop for Observed {
    fn drop(&mut self) {
        self.end();
    }
}

impl std::fmt::Debug for Observed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Observed")
            .field("length", &self.length)
            .finish_non_exhaustive()
    }
}

impl http_body::Body for Observed {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        let polled = Pin::new(&mut this.body).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.length += data.len() as u64;
                }
            }
            Poll::Ready(None | Some(Err(_))) => this.end(),
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// A request body whose bytes are added to `apigate_request_bytes_total` as they are read.
#[derive(Debug)]
pub struct CountedRequest<B> {
    body: B,
    counter: prometheus_client::metrics::counter::Counter,
}

impl<B> CountedRequest<B> {
    pub fn new(body: B, metrics: &Metrics) -> CountedRequest<B> {
        CountedRequest {
            body,
            counter: metrics.request_bytes.clone(),
        }
    }
}

impl<B> http_body::Body for CountedRequest<B>
where
    B: http_body::Body<Data = Bytes> + Unpin,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        let this = &mut *self;
        let polled = Pin::new(&mut this.body).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &polled {
            if let Some(data) = frame.data_ref() {
                this.counter.inc_by(data.len() as u64);
            }
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body;
    use std::time::SystemTime;

    const DEFINITION: &str = r#"{"swagger": "2.0", "info": {"title": "t", "version": "1"},
      "paths": {"/pets": {"get": {"responses": {"200": {"description": "ok"}},
        "x-amazon-apigateway-integration": {"type": "mock",
          "requestTemplates": {"application/json": "{\"statusCode\": 200}"},
          "responses": {"default": {"statusCode": "200"}}}}}}}"#;

    #[tokio::test]
    async fn a_request_leaves_the_in_flight_count_when_its_body_ends_or_it_is_abandoned() {
        let api = apigate_core::load("t.json", DEFINITION, &Default::default())
            .api
            .unwrap();
        let metrics = Arc::new(Metrics::new());
        let observer = Arc::new(Observer {
            metrics: Some(metrics.clone()),
            access_log: None,
        });
        let observe = Observe::new(observer, &api, "dev");

        // Abandoned (the client went away before the response).
        let started = observe.start(Instant::now());
        assert_eq!(metrics.in_flight.get(), 1);
        drop(started);
        assert_eq!(metrics.in_flight.get(), 0);

        let started = observe.start(Instant::now());
        let mut cx = RequestContext::new(SystemTime::now());
        cx.http_method = "GET".into();
        cx.route = Some(0);
        cx.outcome.status = 200;
        let response = observe.finish(started, Response::new(body::full("hello")), cx);
        assert_eq!(metrics.in_flight.get(), 1, "until the body has gone out");
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&bytes[..], b"hello");
        assert_eq!(metrics.in_flight.get(), 0);
        assert_eq!(metrics.response_bytes.get(), 5);
        let text = metrics.encode();
        assert!(
            text.contains(
                "apigate_requests_total{stage=\"dev\",method=\"GET\",resource=\"/pets\",status=\"200\"} 1"
            ),
            "{text}"
        );

        // Off: nothing is wrapped or counted.
        let off = Observe::off();
        assert!(off.start(Instant::now()).is_none());
    }
}
