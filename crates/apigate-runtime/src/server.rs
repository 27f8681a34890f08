//! The HTTP server: accepts connections (HTTP/1.1 and h2c), sets TCP_NODELAY, hands each
//! request to the lifecycle, writes the responses in per-worker batches
//! (`join_the_batch`), and shuts down gracefully — in-flight requests finish, except
//! template renders, which are stopped.

use crate::coarse_timer::CoarseTimer;
use crate::lifecycle::{self, Gateway};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// How long a client may take to send its request line and headers.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// How long in-flight requests get after shutdown is requested.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Serves `gateway` on `listener` until `shutdown` completes, then drains connections.
pub async fn serve(
    listener: TcpListener,
    gateway: Arc<Gateway>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // A client that never finishes its request head does not hold a connection forever
    // (a coarse timer: hyper starts one per request, see `coarse_timer`).
    builder
        .http1()
        .timer(CoarseTimer::start())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, remote) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of file descriptors and the like: keep serving.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                if let Err(e) = stream.set_nodelay(true) {
                    tracing::debug!(error = %e, "TCP_NODELAY");
                }
                let gw = gateway.clone();
                let service = service_fn(move |req: hyper::Request<Incoming>| {
                    let gw = gw.clone();
                    async move {
                        let req = req.map(|b| b.map_err(|e| Box::new(e) as crate::body::BoxError).boxed_unsync());
                        let response = lifecycle::handle(&gw, req, remote).await;
                        join_the_batch().await;
                        Ok::<_, Infallible>(response)
                    }
                });
                let conn = builder.serve_connection(TokioIo::new(stream), service);
                let conn = graceful.watch(conn.into_owned());
                tokio::spawn(async move {
                    if let Err(e) = conn.await {
                        tracing::debug!(error = %e, "connection closed with an error");
                    }
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    // Renders in flight end now (500), so draining does not wait for them.
    gateway.settings.templates.stop();
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(SHUTDOWN_GRACE) => {
            tracing::warn!("shutdown grace period over; closing remaining connections");
        }
    }
    Ok(())
}

/// Called with a finished response before hyper writes it: returns once this worker thread
/// has run its other ready tasks and polled for new I/O. That is what `yield_now` does —
/// tokio wakes a yielded task only when the worker is out of ready tasks and has polled
/// the I/O driver.
///
/// Under load the responses a worker completes then leave together rather than one every
/// few tens of microseconds, and a client or proxy in front reads several per wake-up
/// instead of being woken, and waking a gateway thread, for each. With 1 KiB GETs through
/// MyS3 on two CPUs shared with the load generator, context switches per request fell from
/// 1.1 to 0.6, interrupts from 0.32 to 0.14 and idle CPU from 6–8% to 3–4%; throughput
/// rose by a fifth (README, Benchmarks). On an idle server it costs one non-blocking poll
/// of the I/O driver, and single-connection latency did not rise.
async fn join_the_batch() {
    tokio::task::yield_now().await;
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
