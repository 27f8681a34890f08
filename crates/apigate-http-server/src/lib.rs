//! The accept loop both of apigate's HTTP servers run — the gateway's
//! (`apigate-runtime`'s `server`) and the embedded S3 store's (`apigate-s3store`) — so that
//! a hardening of one is a hardening of both:
//!
//! - hyper-util's `auto` builder: HTTP/1.1 and h2c (prior knowledge) on one port;
//! - TCP_NODELAY on every accepted socket (without it a small response waits for the
//!   peer's delayed ACK, ~40 ms);
//! - at most [`Limits::max_connections`] connections: at the limit the loop stops
//!   accepting, so new connections wait in the kernel's backlog while established ones
//!   are served;
//! - failed accepts (out of file descriptors, …) back off, doubling up to a second, with
//!   one log line per streak of failures rather than one per attempt;
//! - timeouts on the [`coarse_timer`], kept by a watchdog per connection (`watch`): a
//!   connection's first request (h2c preface included) and every later HTTP/1 head once
//!   begun, an idle connection (keep-alive ones included), a response write that makes no
//!   progress;
//! - graceful shutdown: stop accepting, let requests in flight finish within
//!   [`Limits::shutdown_grace`];
//! - TLS ([`Tls`], [`Server::with_tls`]): rustls, HTTP/2 and HTTP/1.1 by ALPN, the
//!   handshake under the head timeout, certificates reloaded in place;
//! - [`join_the_batch`], which both servers' services await before handing a response to
//!   hyper;
//! - header names as the client spelled them ([`HeaderSpelling`], a request extension):
//!   hyper lower-cases them, API Gateway's templates see them as sent (`spelling`).

pub mod coarse_timer;
mod limits;
mod spelling;
mod tls;
mod watch;

pub use limits::{default_max_connections, Limits};
pub use spelling::HeaderSpelling;
pub use tls::{Tls, TlsError};
pub use watch::{InFlight, Tracked, Watched};

use coarse_timer::CoarseTimer;
use hyper::body::Incoming;
use hyper::service::Service;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{oneshot, OwnedSemaphorePermit, Semaphore};

/// The error type hyper accepts from services and bodies.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Serves connections with one set of [`Limits`]. Made inside a tokio runtime (it starts
/// the coarse timer's sweeper there).
#[derive(Debug)]
pub struct Server {
    setup: Setup,
    graceful: GracefulShutdown,
    /// TLS on every accepted connection (see [`Server::with_tls`]).
    tls: Option<Tls>,
}

/// What serving one connection needs, shared by the accept loop and the TLS handshake tasks.
#[derive(Debug, Clone)]
struct Setup {
    builder: auto::Builder<TokioExecutor>,
    timer: CoarseTimer,
    limits: Limits,
    /// Names the server in log lines ("gateway", "embedded S3 store").
    name: &'static str,
    /// Whether requests get a [`HeaderSpelling`] (see [`Server::with_header_spelling`]).
    spelling: bool,
}

impl Server {
    /// A server named `name` in its log lines.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime.
    pub fn new(name: &'static str, limits: Limits) -> Server {
        let timer = CoarseTimer::start();
        let mut builder = auto::Builder::new(TokioExecutor::new());
        // Request heads are timed by each connection's watchdog (`watch`), not by hyper:
        // hyper's head timer also runs while a keep-alive connection waits for its next
        // request, so it would close idle connections at the head timeout instead of the
        // idle timeout, and it costs a timer per request.
        builder
            .http1()
            .timer(timer.clone())
            .header_read_timeout(None);
        Server {
            setup: Setup {
                builder,
                timer,
                limits,
                name,
                spelling: false,
            },
            graceful: GracefulShutdown::new(),
            tls: None,
        }
    }

    /// Attaches to every HTTP/1 request the header names as the client spelled them
    /// ([`HeaderSpelling`]); off by default, as it costs a re-reading of each request head.
    #[must_use]
    pub fn with_header_spelling(mut self) -> Server {
        self.setup.spelling = true;
        self
    }

    /// Speaks TLS on every accepted connection (HTTP/2 or HTTP/1.1 by ALPN). The handshake
    /// runs on the connection's own task and must finish within the head timeout; the
    /// configuration is the one `tls` holds at the accept ([`Tls::reload`] swaps it).
    #[must_use]
    pub fn with_tls(mut self, tls: Tls) -> Server {
        self.tls = Some(tls);
        self
    }

    pub fn limits(&self) -> &Limits {
        &self.setup.limits
    }

    /// Accepts connections on `listener` and serves each with `make_service(peer)` until
    /// `shutdown` completes; then stops accepting and lets requests in flight finish.
    pub async fn serve<F, S, B>(
        self,
        listener: TcpListener,
        mut make_service: F,
        shutdown: impl Future<Output = ()>,
    ) where
        F: FnMut(SocketAddr) -> S,
        S: Service<http::Request<Incoming>, Response = http::Response<B>> + Send + 'static,
        S::Future: Send + 'static,
        S::Error: Into<BoxError>,
        B: http_body::Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        let name = self.setup.name;
        let limits = self.setup.limits;
        let slots = Arc::new(Semaphore::new(
            limits.max_connections.clamp(1, Semaphore::MAX_PERMITS),
        ));
        let mut full_logged: Option<Instant> = None;
        let mut backoff = Backoff::default();
        tokio::pin!(shutdown);
        loop {
            let slot = match slots.clone().try_acquire_owned() {
                Ok(slot) => slot,
                Err(_) => {
                    if full_logged.is_none_or(|at| at.elapsed() >= FULL_LOG_PERIOD) {
                        full_logged = Some(Instant::now());
                        tracing::warn!(
                            server = name,
                            max_connections = limits.max_connections,
                            "connection limit reached; new connections wait until one closes"
                        );
                    }
                    tokio::select! {
                        slot = slots.clone().acquire_owned() => match slot {
                            Ok(slot) => slot,
                            Err(_) => break, // never closed
                        },
                        () = &mut shutdown => break,
                    }
                }
            };
            let (stream, peer) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => {
                        backoff.succeeded(name);
                        accepted
                    }
                    Err(e) => {
                        drop(slot);
                        tokio::select! {
                            () = backoff.failed(name, &e) => continue,
                            () = &mut shutdown => break,
                        }
                    }
                },
                () = &mut shutdown => break,
            };
            if let Err(e) = stream.set_nodelay(true) {
                tracing::debug!(server = name, error = %e, %peer, "TCP_NODELAY");
            }
            let service = make_service(peer);
            match &self.tls {
                None => {
                    spawn(
                        &self.setup,
                        self.graceful.watcher(),
                        stream,
                        service,
                        Some(slot),
                    );
                }
                Some(tls) => {
                    let acceptor = tls.acceptor();
                    let setup = self.setup.clone();
                    // Taken now: a connection whose handshake ends after shutdown began is
                    // closed gracefully at once, and shutdown waits for the handshake.
                    let watcher = self.graceful.watcher();
                    tokio::spawn(async move {
                        let handshake = tokio::time::timeout(
                            setup.limits.header_read_timeout,
                            acceptor.accept(stream),
                        );
                        match handshake.await {
                            Ok(Ok(tls_stream)) => {
                                spawn(&setup, watcher, tls_stream, service, Some(slot));
                            }
                            Ok(Err(e)) => {
                                tracing::debug!(server = setup.name, error = %e, %peer, "TLS handshake failed");
                            }
                            Err(_) => {
                                tracing::debug!(server = setup.name, %peer, "TLS handshake timed out");
                            }
                        }
                    });
                }
            }
        }
        drop(listener);
        if tokio::time::timeout(limits.shutdown_grace, self.graceful.shutdown())
            .await
            .is_err()
        {
            tracing::warn!(
                server = name,
                "shutdown grace period over; closing remaining connections"
            );
        }
    }

    /// Serves one connection on its own task, watched by another that closes it when a
    /// timeout passes (see [`Limits`]); `slot` is released when it closes. Public for
    /// in-memory connections (the HTTP fuzz target).
    pub fn spawn_connection<I, S, B>(
        &self,
        io: I,
        service: S,
        slot: Option<OwnedSemaphorePermit>,
    ) -> tokio::task::JoinHandle<()>
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
        S: Service<http::Request<Incoming>, Response = http::Response<B>> + Send + 'static,
        S::Future: Send + 'static,
        S::Error: Into<BoxError>,
        B: http_body::Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        spawn(&self.setup, self.graceful.watcher(), io, service, slot)
    }
}

/// Serves one connection on its own task under `watcher` (graceful shutdown), watched by
/// another task that closes it when a timeout passes.
fn spawn<I, S, B>(
    setup: &Setup,
    watcher: Watcher,
    io: I,
    service: S,
    slot: Option<OwnedSemaphorePermit>,
) -> tokio::task::JoinHandle<()>
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: Service<http::Request<Incoming>, Response = http::Response<B>> + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let (io, service, activity) = watch::watch(io, service, setup.spelling);
    let conn = setup
        .builder
        .serve_connection(TokioIo::new(io), service)
        .into_owned();
    let conn = watcher.watch(conn);
    let (ended, ended_rx) = oneshot::channel::<()>();
    let name = setup.name;
    let task = tokio::spawn(async move {
        let _ended = ended;
        let _slot = slot;
        if let Err(e) = conn.await {
            tracing::debug!(server = name, error = %e, "connection closed with an error");
        }
    });
    let abort = task.abort_handle();
    let watchdog = watch::watchdog(activity, setup.limits, setup.timer.clone(), ended_rx);
    tokio::spawn(async move {
        if let Some(verdict) = watchdog.await {
            tracing::debug!(server = name, ?verdict, "closing the connection");
            abort.abort();
        }
    });
    task
}

/// At most one "connection limit reached" line per this period.
const FULL_LOG_PERIOD: Duration = Duration::from_secs(10);

/// The pause after a failed `accept` (out of file descriptors: the pending connection
/// stays in the backlog and `accept` would fail again at once), doubled per failure up to
/// [`Backoff::MAX`]. One warning when a streak of failures begins, one line when accepting
/// works again.
#[derive(Debug, Default)]
struct Backoff {
    failures: u64,
    delay: Duration,
    since: Option<Instant>,
}

impl Backoff {
    const FIRST: Duration = Duration::from_millis(10);
    const MAX: Duration = Duration::from_secs(1);

    async fn failed(&mut self, server: &'static str, error: &std::io::Error) {
        self.failures += 1;
        if self.since.is_none() {
            self.since = Some(Instant::now());
            self.delay = Self::FIRST;
            tracing::warn!(%error, server, "accept failed; backing off (not logged again until accepting works)");
        } else {
            self.delay = (self.delay * 2).min(Self::MAX);
        }
        tokio::time::sleep(self.delay).await;
    }

    fn succeeded(&mut self, server: &'static str) {
        if let Some(since) = self.since.take() {
            tracing::warn!(
                server,
                failed_accepts = self.failures,
                after = ?since.elapsed(),
                "accepting again"
            );
            self.failures = 0;
        }
    }
}

/// Called with a finished response before hyper writes it: returns once this worker thread
/// has run its other ready tasks and polled for new I/O. That is what `yield_now` does —
/// tokio wakes a yielded task only when the worker is out of ready tasks and has polled
/// the I/O driver.
///
/// Under load the responses a worker completes then leave together rather than one every
/// few tens of microseconds, and a client or proxy in front reads several per wake-up
/// instead of being woken, and waking a server thread, for each. With 1 KiB GETs through
/// MyS3 on two CPUs shared with the load generator, context switches per request fell from
/// 1.1 to 0.6, interrupts from 0.32 to 0.14 and idle CPU from 6–8% to 3–4%; throughput
/// rose by a fifth (README, Benchmarks). On an idle server it costs one non-blocking poll
/// of the I/O driver, and single-connection latency did not rise.
pub async fn join_the_batch() {
    tokio::task::yield_now().await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::Full;
    use std::convert::Infallible;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A request that takes longer than the idle and head timeouts is answered: the
    /// connection is not idle while a request is in flight. The next silence closes it.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_slow_request_is_not_cut_by_the_idle_timeout() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let limits = Limits {
            header_read_timeout: Duration::from_millis(500),
            idle_timeout: Duration::from_millis(500),
            write_timeout: Duration::from_millis(500),
            ..Limits::default()
        };
        let server = Server::new("test", limits);
        tokio::spawn(server.serve(
            listener,
            |_| {
                hyper::service::service_fn(|_req| async {
                    tokio::time::sleep(Duration::from_millis(1500)).await;
                    Ok::<_, Infallible>(http::Response::new(Full::new(bytes::Bytes::from_static(
                        b"slow",
                    ))))
                })
            },
            std::future::pending(),
        ));
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 1024];
        let started = Instant::now();
        while !got.ends_with(b"slow") {
            let n = s.read(&mut buf).await.unwrap();
            assert!(n > 0, "closed while the request was in flight");
            got.extend_from_slice(&buf[..n]);
        }
        assert!(got.starts_with(b"HTTP/1.1 200"));
        let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf))
            .await
            .expect("closed once idle")
            .unwrap_or(0);
        assert_eq!(n, 0);
        assert!(started.elapsed() >= Duration::from_millis(500));
    }

    /// A certificate for `localhost` written as PEM files into `dir`; returns the
    /// certificate's DER and the two paths.
    fn certificate(
        dir: &std::path::Path,
        name: &str,
    ) -> (Vec<u8>, std::path::PathBuf, std::path::PathBuf) {
        let rcgen::CertifiedKey { cert, signing_key } =
            rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
        let cert_path = dir.join(format!("{name}.crt"));
        let key_path = dir.join(format!("{name}.key"));
        std::fs::write(&cert_path, cert.pem()).unwrap();
        std::fs::write(&key_path, signing_key.serialize_pem()).unwrap();
        (cert.der().to_vec(), cert_path, key_path)
    }

    /// The certificate a TLS client is shown by `addr`, and the ALPN protocol agreed.
    async fn handshake(addr: SocketAddr, trusted: &[u8]) -> (Vec<u8>, Option<Vec<u8>>) {
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(rustls_pki_types::CertificateDer::from(trusted.to_vec()))
            .unwrap();
        let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
        let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
        let tls = connector.connect(name, tcp).await.unwrap();
        let (_, session) = tls.get_ref();
        let shown = session.peer_certificates().unwrap()[0].to_vec();
        (shown, session.alpn_protocol().map(<[u8]>::to_vec))
    }

    /// TLS with h2 offered by ALPN; a reload swaps the certificate for new connections, and
    /// a reload of unusable files keeps the last good one.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn tls_certificates_reload_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let (first, cert, key) = certificate(dir.path(), "a");
        let tls = Tls::from_pem_files(&cert, &key).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = Server::new("test", Limits::default()).with_tls(tls.clone());
        tokio::spawn(server.serve(
            listener,
            |_| {
                hyper::service::service_fn(|_req| async {
                    Ok::<_, Infallible>(http::Response::new(Full::new(bytes::Bytes::from_static(
                        b"ok",
                    ))))
                })
            },
            std::future::pending(),
        ));
        let (shown, alpn) = handshake(addr, &first).await;
        assert_eq!(shown, first);
        assert_eq!(alpn.as_deref(), Some(&b"h2"[..]));

        let (second, new_cert, new_key) = certificate(dir.path(), "b");
        std::fs::copy(&new_cert, &cert).unwrap();
        std::fs::copy(&new_key, &key).unwrap();
        tls.reload().unwrap();
        assert_eq!(handshake(addr, &second).await.0, second);

        std::fs::write(&cert, "not a certificate").unwrap();
        let err = tls.reload().unwrap_err();
        assert!(err.0.contains("a.crt"), "{err}");
        assert_eq!(
            handshake(addr, &second).await.0,
            second,
            "the last good one stays"
        );
    }
}
