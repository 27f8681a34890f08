//! The gateway's HTTP server: `apigate-http-server`'s accept loop (HTTP/1.1 and h2c, or TLS
//! with HTTP/2 by ALPN; TCP_NODELAY, connection limit, head/idle/write timeouts, graceful
//! shutdown) handing each request to the lifecycle, responses written with their worker's
//! batch (`join_the_batch`).
//!
//! The API in force is a [`Live`] value: each request takes the gateway current when it
//! arrives and keeps it to its end, so a reload ([`Live::replace`]) applies to new requests
//! while those in flight finish on the API they started with; no connection is touched.
//! On shutdown, template renders in flight are stopped first (they answer 500), so
//! draining does not wait for them.

use crate::lifecycle::{self, Gateway, OverTls};
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

/// The gateway in force, replaced atomically on reload. Clones share it.
#[derive(Debug, Clone)]
pub struct Live(Arc<ArcSwap<Gateway>>);

impl Live {
    pub fn new(gateway: Gateway) -> Live {
        Live(Arc::new(ArcSwap::from_pointee(gateway)))
    }

    /// The gateway new requests get.
    pub fn current(&self) -> Arc<Gateway> {
        self.0.load_full()
    }

    /// From now on new requests get `gateway`; requests in flight keep theirs.
    pub fn replace(&self, gateway: Gateway) {
        self.0.store(Arc::new(gateway));
    }
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
        let gw = live.current();
        if over_tls {
            req.extensions_mut().insert(OverTls);
        }
        async move {
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
            let response = lifecycle::handle(&gw, req, remote).await;
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
