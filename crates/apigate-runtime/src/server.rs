//! The gateway's HTTP server: `apigate-http-server`'s accept loop (HTTP/1.1 and h2c, or TLS
//! with HTTP/2 by ALPN; TCP_NODELAY, connection limit, head/idle/write timeouts, graceful
//! shutdown) handing each request to the lifecycle, responses written with their worker's
//! batch (`join_the_batch`).
//!
//! The APIs in force are a [`Live`] value: a [`Deployment`] of one gateway per API and the
//! table that says which serves a request (custom domains by `Host`, their base path
//! mappings, else `/{stage}/…`). Each request takes the gateway current when it arrives and
//! keeps it to its end, so a reload ([`Live::replace`], [`Live::replace_all`]) applies to
//! new requests while those in flight finish on the API they started with; no connection is
//! touched.
//! On shutdown, template renders in flight are stopped first (they answer 500), so
//! draining does not wait for them.

use crate::lifecycle::{self, Entry, Gateway, OverTls};
use crate::observe::CountedRequest;
use apigate_http_server::{join_the_batch, Limits, Server, Tls};
use arc_swap::ArcSwap;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::service::Service;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

/// The APIs in force, replaced atomically on reload. Clones share them.
#[derive(Debug, Clone)]
pub struct Live(Arc<ArcSwap<Deployment>>);

impl Live {
    /// One API, served at `/{stage}/…` whatever the host.
    pub fn new(gateway: Gateway) -> Live {
        Live::of(Deployment::single(gateway))
    }

    pub fn of(deployment: Deployment) -> Live {
        Live(Arc::new(ArcSwap::from_pointee(deployment)))
    }

    /// The first API's gateway (the one API, without `Apis`) new requests get.
    pub fn current(&self) -> Arc<Gateway> {
        self.0.load().first().clone()
    }

    /// Every API in force.
    pub fn deployment(&self) -> Arc<Deployment> {
        self.0.load_full()
    }

    /// From now on new requests get `gateway` (the one API); requests in flight keep theirs.
    pub fn replace(&self, gateway: Gateway) {
        self.0.store(Arc::new(Deployment::single(gateway)));
    }

    /// From now on new requests get `deployment`'s APIs; requests in flight keep theirs.
    pub fn replace_all(&self, deployment: Deployment) {
        self.0.store(Arc::new(deployment));
    }
}

/// The APIs served, by name, and the table that routes requests to them: resolved when they
/// load, so a request costs one comparison per domain name and one per base path of its
/// domain (no allocation).
#[derive(Debug)]
pub struct Deployment {
    /// `apis`' first.
    first: Arc<Gateway>,
    apis: Vec<(String, Arc<Gateway>)>,
    domains: Vec<Domain>,
}

/// A custom domain name: its base paths (longest first) and its `(none)` mapping.
#[derive(Debug)]
struct Domain {
    host: String,
    /// `(base path without slashes, API index)`, longest first.
    base_paths: Vec<(String, usize)>,
    root: Option<usize>,
}

/// One base path mapping, resolved: `domain` (lowercase), `base_path` (`None`: `(none)`),
/// the index of the API in [`Deployment::new`]'s list.
#[derive(Debug, Clone)]
pub struct Mapping {
    pub domain: String,
    pub base_path: Option<String>,
    pub api: usize,
}

/// Where a request goes.
#[derive(Debug)]
pub enum Destination<'d> {
    Api(&'d Arc<Gateway>, Entry),
    /// A custom domain with no mapping for the path (and no `(none)` one).
    Unmapped,
}

impl Deployment {
    pub fn single(gateway: Gateway) -> Deployment {
        Deployment::new((String::new(), gateway), Vec::new(), &[], &[])
    }

    /// `first` and `more` APIs (mappings number them in this order, `first` is 0), with
    /// `domains` (lowercase host names, those without a mapping included) and `mappings`.
    pub fn new(
        first: (String, Gateway),
        more: Vec<(String, Gateway)>,
        domains: &[String],
        mappings: &[Mapping],
    ) -> Deployment {
        let domains = domains
            .iter()
            .map(|host| {
                let mine = mappings.iter().filter(|m| &m.domain == host);
                let mut base_paths: Vec<(String, usize)> = mine
                    .clone()
                    .filter_map(|m| Some((m.base_path.clone()?, m.api)))
                    .collect();
                base_paths.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
                let root = mine.clone().find(|m| m.base_path.is_none()).map(|m| m.api);
                Domain {
                    host: host.clone(),
                    base_paths,
                    root,
                }
            })
            .collect();
        let first = (first.0, Arc::new(first.1));
        let mut apis = vec![first.clone()];
        apis.extend(more.into_iter().map(|(name, gw)| (name, Arc::new(gw))));
        Deployment {
            first: first.1,
            apis,
            domains,
        }
    }

    /// The APIs by name (the name is empty for the command line's one API).
    pub fn apis(&self) -> impl Iterator<Item = (&str, &Arc<Gateway>)> {
        self.apis.iter().map(|(n, g)| (n.as_str(), g))
    }

    fn first(&self) -> &Arc<Gateway> {
        &self.first
    }

    /// Which API serves a request for `host` (its port ignored) and `path`: a custom
    /// domain's longest base path that is a whole-segment prefix of the path, else its
    /// `(none)` mapping; on any other host the API whose stage is the first segment (else
    /// the first API, which answers as for an unknown stage).
    pub fn route(&self, host: Option<&str>, path: &str) -> Destination<'_> {
        let name = host.map(|h| h.split(':').next().unwrap_or(h));
        if let Some(domain) =
            name.and_then(|n| self.domains.iter().find(|d| d.host.eq_ignore_ascii_case(n)))
        {
            let below = path.strip_prefix('/').unwrap_or(path);
            for (base, api) in &domain.base_paths {
                let matched = below
                    .strip_prefix(base.as_str())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
                if matched {
                    if let Some((_, gw)) = self.apis.get(*api) {
                        return Destination::Api(gw, Entry::BasePath(base.len() + 1));
                    }
                }
            }
            return match domain.root.and_then(|i| self.apis.get(i)) {
                Some((_, gw)) => Destination::Api(gw, Entry::BasePath(0)),
                None => Destination::Unmapped,
            };
        }
        if self.apis.len() > 1 {
            let segment = path
                .strip_prefix('/')
                .unwrap_or(path)
                .split('/')
                .next()
                .unwrap_or("");
            if let Some((_, gw)) = self
                .apis
                .iter()
                .find(|(_, g)| g.settings.stage.as_deref() == Some(segment))
            {
                return Destination::Api(gw, Entry::Stage);
            }
        }
        Destination::Api(self.first(), Entry::Stage)
    }
}

/// AWS's answer on a custom domain for a path no base path maps (with request ids, as
/// every answer).
fn unmapped() -> hyper::Response<crate::body::Body> {
    let mut response = hyper::Response::new(crate::body::full(r#"{"message":"Forbidden"}"#));
    *response.status_mut() = http::StatusCode::FORBIDDEN;
    lifecycle::stamp_request_ids(
        &mut response,
        &crate::context::RequestContext::new(std::time::SystemTime::now()),
    );
    let headers = response.headers_mut();
    headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    headers.insert(
        "x-amzn-errortype",
        http::HeaderValue::from_static("ForbiddenException"),
    );
    response
}

/// Serves the [`Live`] gateway on `listener` with `limits` (over TLS with `tls`) until
/// `shutdown` completes, then drains connections.
pub async fn serve(
    listener: TcpListener,
    live: Live,
    limits: Limits,
    tls: Option<Tls>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let templates = live.current().settings.templates.clone();
    let shutdown = async move {
        shutdown.await;
        // Renders in flight end now (500), so draining does not wait for them.
        templates.stop();
    };
    let mut server = Server::new("gateway", limits).with_header_spelling();
    let over_tls = tls.is_some();
    if let Some(tls) = tls {
        server = server.with_tls(tls);
    }
    server
        .serve(
            listener,
            |peer| service(live.clone(), peer, over_tls),
            shutdown,
        )
        .await;
    Ok(())
}

/// The hyper service for one connection from `remote` (over TLS with `over_tls`): each
/// request through the lifecycle of the gateway current at its arrival, its response handed
/// over with the worker's batch.
pub fn service(
    live: Live,
    remote: SocketAddr,
    over_tls: bool,
) -> impl Service<
    hyper::Request<Incoming>,
    Response = hyper::Response<crate::body::Body>,
    Error = Infallible,
    Future = impl Future<Output = Result<hyper::Response<crate::body::Body>, Infallible>> + Send,
> + Send
       + 'static {
    hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        let routed = {
            let deployment = live.0.load();
            let host = req
                .headers()
                .get(http::header::HOST)
                .and_then(|h| h.to_str().ok())
                .or_else(|| req.uri().authority().map(|a| a.as_str()));
            match deployment.route(host, req.uri().path()) {
                Destination::Api(gw, entry) => Some((gw.clone(), entry)),
                Destination::Unmapped => None,
            }
        };
        if over_tls {
            req.extensions_mut().insert(OverTls);
        }
        async move {
            let Some((gw, entry)) = routed else {
                return Ok::<_, Infallible>(unmapped());
            };
            let req = match gw.observe.metrics() {
                None => req.map(|b| {
                    b.map_err(|e| Box::new(e) as crate::body::BoxError)
                        .boxed_unsync()
                }),
                Some(metrics) => req.map(|b| {
                    CountedRequest::new(b, metrics)
                        .map_err(|e| Box::new(e) as crate::body::BoxError)
                        .boxed_unsync()
                }),
            };
            let response = lifecycle::handle_entered(&gw, req, remote, entry).await;
            join_the_batch().await;
            Ok::<_, Infallible>(response)
        }
    })
}

/// Resolves on SIGINT or SIGTERM. The handlers are installed when this is called, not when
/// the future is first polled: call it before announcing that the server is up, so a signal
/// sent right after the announcement stops the server instead of killing the process.
#[cfg(unix)]
pub fn shutdown_signal() -> impl Future<Output = ()> + Send {
    use tokio::signal::unix::{signal, Signal, SignalKind};
    async fn received(signal: Option<Signal>) {
        match signal {
            Some(mut s) => {
                s.recv().await;
            }
            None => std::future::pending().await,
        }
    }
    let int = received(signal(SignalKind::interrupt()).ok());
    let term = received(signal(SignalKind::terminate()).ok());
    async move {
        tokio::select! {
            () = int => {}
            () = term => {}
        }
    }
}

/// Resolves on Ctrl-C.
#[cfg(not(unix))]
pub fn shutdown_signal() -> impl Future<Output = ()> + Send {
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}
