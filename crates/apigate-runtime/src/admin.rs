//! The admin listener (`apigate serve --admin-listen ADDR`), apart from the gateway's port:
//!
//! | path | answer |
//! |---|---|
//! | `/healthz` | 200 `ok` while the process serves |
//! | `/readyz` | 200 `ready` while a valid API is loaded and the gateway accepts requests; 503 `draining` once shutdown began |
//! | `/metrics` | the metrics ([`crate::metrics`]) as OpenMetrics text |
//! | `/routes` | the route table of the API in force as JSON (`apigate routes --format json`'s rows) |
//!
//! Anything else is 404; methods other than GET and HEAD are 405.

use crate::body::{self, Body};
use crate::metrics::Metrics;
use crate::server::Live;
use apigate_http_server::{Limits, Server};
use http::header::{HeaderValue, ALLOW, CONTENT_TYPE};
use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use std::convert::Infallible;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::net::TcpListener;

/// What the admin endpoints read.
#[derive(Debug, Clone)]
pub struct Admin {
    pub live: Live,
    pub metrics: Option<Arc<Metrics>>,
    /// `/readyz`: set when the gateway serves, cleared when it starts draining.
    pub ready: Arc<AtomicBool>,
}

/// The content type of the OpenMetrics text exposition.
pub const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

impl Admin {
    /// Serves the endpoints on `listener` until `shutdown` completes.
    pub async fn serve(
        self,
        listener: TcpListener,
        limits: Limits,
        shutdown: impl Future<Output = ()>,
    ) {
        Server::new("admin", limits)
            .serve(
                listener,
                |_peer| {
                    let admin = self.clone();
                    hyper::service::service_fn(move |req: Request<Incoming>| {
                        let response = admin.answer(&req);
                        async move { Ok::<_, Infallible>(response) }
                    })
                },
                shutdown,
            )
            .await;
    }

    /// The answer to one admin request.
    pub fn answer<B>(&self, req: &Request<B>) -> Response<Body> {
        if req.method() != Method::GET && req.method() != Method::HEAD {
            let mut r = text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
            r.headers_mut()
                .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
            return r;
        }
        match req.uri().path() {
            "/healthz" => text(StatusCode::OK, "ok\n"),
            "/readyz" => {
                if self.ready.load(Ordering::Acquire) {
                    text(StatusCode::OK, "ready\n")
                } else {
                    text(StatusCode::SERVICE_UNAVAILABLE, "draining\n")
                }
            }
            "/metrics" => match &self.metrics {
                Some(m) => with_type(StatusCode::OK, m.encode(), OPENMETRICS),
                None => text(StatusCode::NOT_FOUND, "metrics are off\n"),
            },
            "/routes" => {
                let json = routes(&self.live);
                with_type(StatusCode::OK, format!("{json}\n"), "application/json")
            }
            _ => text(
                StatusCode::NOT_FOUND,
                "not found: /healthz /readyz /metrics /routes\n",
            ),
        }
    }
}

/// The route table in force: the rows of `apigate routes --format json`; with several APIs,
/// each row also names its API (`api`) and has the stage it is served as.
fn routes(live: &Live) -> serde_json::Value {
    let deployment = live.deployment();
    let mut rows = Vec::new();
    for (name, gw) in deployment.apis() {
        let serde_json::Value::Array(of_api) = apigate_core::listing::to_json(&gw.api) else {
            continue;
        };
        for mut row in of_api {
            if let (false, serde_json::Value::Object(fields)) = (name.is_empty(), &mut row) {
                fields.insert("api".into(), name.into());
                fields.insert(
                    "stage".into(),
                    gw.settings
                        .stage
                        .clone()
                        .map_or(serde_json::Value::Null, Into::into),
                );
            }
            rows.push(row);
        }
    }
    serde_json::Value::Array(rows)
}

fn text(status: StatusCode, body: &'static str) -> Response<Body> {
    with_type(status, body.to_string(), "text/plain; charset=utf-8")
}

fn with_type(status: StatusCode, body: String, content_type: &'static str) -> Response<Body> {
    let mut r = Response::new(body::full(body));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}
