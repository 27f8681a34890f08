//! The backend client every integration sends through (S3, http, http_proxy): hyper-util's
//! pooled client over [`super::connector`], with the integration's deadlines kept on the
//! [`CoarseTimer`] rather than tokio's timer wheel (one registration per request at most,
//! and none when the backend answers before the first tick).
//!
//! Deadlines (docs/PARITY.md):
//! - `timeoutInMillis` counts from when the request has been sent — its body read to the end,
//!   so a slow upload is not cut — to the response head ([`SendError::Timeout`]);
//! - a response the lifecycle buffers (a template or a mapping reads it) must also be
//!   complete by then: [`Deadline::bound`];
//! - a streamed response gets an idle timeout instead: a backend silent for that long
//!   mid-body is aborted, so the client's response is cut off, never complete-looking
//!   (counted in [`idle_timeouts`]).
//!
//! Every read error of a backend body is a [`BackendFault`], so the lifecycle answers it as
//! a backend failure (5xx), never as a client error. Redirects are never followed.

use super::connector::Connector;
use crate::body::{BackendFault, Body, BoxError};
use apigate_http_server::coarse_timer::CoarseTimer;
use http::header::{CONTENT_LENGTH, PROXY_AUTHORIZATION};
use http::HeaderMap;
use http_body::{Frame, SizeHint};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::rt::{Sleep, Timer};
use hyper_util::client::legacy::Client;
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::TokioExecutor;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// How the client is set up.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// How long a streamed backend body may send nothing before it is aborted.
    pub idle_timeout: Duration,
    /// Idle keep-alive connections kept per backend host.
    pub max_idle_per_host: usize,
}

/// Streamed backend bodies aborted because the backend went silent.
static IDLE_TIMEOUTS: AtomicU64 = AtomicU64::new(0);

/// How many streamed backend bodies were aborted for the idle timeout since start.
pub fn idle_timeouts() -> u64 {
    IDLE_TIMEOUTS.load(Ordering::Relaxed)
}

/// The shared backend client; clones share the pools.
#[derive(Debug, Clone)]
pub struct BackendClient {
    verified: Client<Connector, Outbound>,
    /// For integrations with `tlsConfig.insecureSkipVerification`.
    insecure: Client<Connector, Outbound>,
    proxies: Arc<Matcher>,
    /// Whether any proxy takes `http://` requests (then each one is matched for its
    /// Proxy-Authorization).
    http_proxied: bool,
    timer: CoarseTimer,
    idle_timeout: Duration,
}

/// Why a backend call failed before its response head.
#[derive(Debug)]
pub enum SendError {
    /// No response head within the integration timeout after the request was sent.
    Timeout,
    /// Connecting, sending or reading the head failed.
    Failed(BoxError),
    /// The backend answered a status outside 100–599.
    BadStatus(u16),
}

/// A backend's response head and its (streaming) body.
#[derive(Debug)]
pub struct Received {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Body,
    /// When the integration timeout ends, for a body the lifecycle buffers.
    pub deadline: Deadline,
}

impl BackendClient {
    /// Builds both clients, reading the proxy variables once. Runs the coarse timer's
    /// sweeper on the current tokio runtime.
    pub fn new(options: &ClientOptions) -> Result<BackendClient, rustls::Error> {
        let proxies = Arc::new(Matcher::from_env());
        let timer = CoarseTimer::start();
        let build = |insecure| -> Result<Client<Connector, Outbound>, rustls::Error> {
            Ok(Client::builder(TokioExecutor::new())
                .pool_timer(timer.clone())
                .timer(timer.clone())
                .pool_max_idle_per_host(options.max_idle_per_host)
                .build(Connector::new(insecure, proxies.clone())?))
        };
        let http_proxied = proxies
            .intercept(&http::Uri::from_static("http://apigate.invalid/"))
            .is_some();
        Ok(BackendClient {
            verified: build(false)?,
            insecure: build(true)?,
            proxies,
            http_proxied,
            timer,
            idle_timeout: options.idle_timeout,
        })
    }

    /// The deadline `timeout` from now (for backends reached without a socket).
    pub fn deadline_in(&self, timeout: Duration) -> Deadline {
        Deadline {
            timer: self.timer.clone(),
            at: later(timeout),
        }
    }

    /// Sends `request` (an absolute URI) and waits for the response head, at most `timeout`
    /// once the request body has been sent.
    pub async fn send(
        &self,
        request: http::Request<Body>,
        insecure_tls: bool,
        timeout: Duration,
    ) -> Result<Received, SendError> {
        let (mut parts, body) = request.into_parts();
        if self.http_proxied && parts.uri.scheme() == Some(&http::uri::Scheme::HTTP) {
            if let Some(auth) = self
                .proxies
                .intercept(&parts.uri)
                .and_then(|p| p.basic_auth().cloned())
            {
                parts.headers.insert(PROXY_AUTHORIZATION, auth);
            }
        }
        // hyper writes as many body bytes as a Content-Length says, else the body's own known
        // length; a GET, HEAD or CONNECT of unknown length goes without its body.
        let length = parts
            .headers
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .or_else(|| http_body::Body::size_hint(&body).exact())
            .or_else(|| {
                matches!(
                    parts.method,
                    http::Method::GET | http::Method::HEAD | http::Method::CONNECT
                )
                .then_some(0)
            });
        let (body, uploaded) = Outbound::new(body, length);
        let client = if insecure_tls {
            &self.insecure
        } else {
            &self.verified
        };
        let response = client.request(http::Request::from_parts(parts, body));
        tokio::pin!(response);
        if let Some(uploaded) = uploaded {
            tokio::select! {
                biased;
                answered = &mut response => return self.received(answered, later(timeout)),
                () = uploaded.notified() => {}
            }
        }
        let deadline = later(timeout);
        let mut expiry = self.timer.sleep_until(deadline);
        tokio::select! {
            biased;
            answered = &mut response => self.received(answered, deadline),
            () = &mut expiry => Err(SendError::Timeout),
        }
    }

    fn received(
        &self,
        answered: Result<http::Response<Incoming>, hyper_util::client::legacy::Error>,
        deadline: Instant,
    ) -> Result<Received, SendError> {
        let response = answered.map_err(|e| SendError::Failed(Box::new(e)))?;
        let status = response.status().as_u16();
        if !(100..=599).contains(&status) {
            return Err(SendError::BadStatus(status));
        }
        let (parts, body) = response.into_parts();
        Ok(Received {
            status,
            headers: parts.headers,
            body: TimedBody {
                inner: body,
                cut_off: IdleTimeout {
                    timer: self.timer.clone(),
                    idle: self.idle_timeout,
                    sleep: None,
                    progressed: false,
                },
                ended: false,
            }
            .boxed_unsync(),
            deadline: Deadline {
                timer: self.timer.clone(),
                at: deadline,
            },
        })
    }
}

/// `timeout` from now (a day when that overflows, which no request waits for).
fn later(timeout: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(timeout)
        .or_else(|| now.checked_add(Duration::from_secs(86_400)))
        .unwrap_or(now)
}

/// The end of an integration's timeout, for a backend body read whole.
#[derive(Debug, Clone)]
pub struct Deadline {
    timer: CoarseTimer,
    at: Instant,
}

impl Deadline {
    /// A sleep until the deadline.
    pub fn sleep(&self) -> Pin<Box<dyn Sleep>> {
        self.timer.sleep_until(self.at)
    }

    /// `body`, failing with [`BackendFault::Timeout`] when it is not complete by the
    /// deadline: for a response the lifecycle buffers, `timeoutInMillis` covers the body too.
    pub fn bound(&self, body: Body) -> Body {
        TimedBody {
            inner: body,
            cut_off: DeadlineCutOff {
                sleep: self.timer.sleep_until(self.at),
            },
            ended: false,
        }
        .boxed_unsync()
    }
}

/// The request body on its way out; tells the waiting client when it has been sent whole.
struct Outbound {
    inner: Option<Body>,
    uploaded: Option<Arc<Notify>>,
    /// Bytes still to send when the body's length is known: hyper stops polling a body of
    /// known length once that many bytes are written, without waiting for its end.
    remaining: Option<u64>,
}

impl Outbound {
    /// The body to send, `length` bytes of it when hyper will write that many, and what is
    /// notified once it is sent (`None`: nothing to send).
    fn new(body: Body, length: Option<u64>) -> (Outbound, Option<Arc<Notify>>) {
        let remaining = length;
        // hyper never polls a body it writes 0 bytes of, so it would never report itself sent:
        // it counts as nothing to send.
        if crate::body::is_empty(&body) || remaining == Some(0) {
            return (
                Outbound {
                    inner: None,
                    uploaded: None,
                    remaining: None,
                },
                None,
            );
        }
        let uploaded = Arc::new(Notify::new());
        (
            Outbound {
                inner: Some(body),
                uploaded: Some(uploaded.clone()),
                remaining,
            },
            Some(uploaded),
        )
    }

    fn sent(&mut self) {
        if let Some(uploaded) = self.uploaded.take() {
            uploaded.notify_one();
        }
    }
}

impl http_body::Body for Outbound {
    type Data = bytes::Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<bytes::Bytes>, BoxError>>> {
        let this = self.get_mut();
        let Some(inner) = this.inner.as_mut() else {
            return Poll::Ready(None);
        };
        let polled = Pin::new(&mut *inner).poll_frame(cx);
        match &polled {
            Poll::Ready(None) => this.sent(),
            Poll::Ready(Some(Ok(frame))) => {
                let len = frame.data_ref().map_or(0, |d| d.len() as u64);
                if let Some(remaining) = this.remaining.as_mut() {
                    *remaining = remaining.saturating_sub(len);
                }
                // hyper stops polling once the body says it has ended, or once a body of
                // known length has been written whole.
                if inner.is_end_stream() || this.remaining == Some(0) {
                    this.sent();
                }
            }
            _ => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.as_ref().is_none_or(|b| b.is_end_stream())
    }

    fn size_hint(&self) -> SizeHint {
        self.inner
            .as_ref()
            .map_or_else(|| SizeHint::with_exact(0), |b| b.size_hint())
    }
}

impl std::fmt::Debug for Outbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbound").finish_non_exhaustive()
    }
}

/// A backend body that its cut-off `C` may end before the backend does ([`CutOff`]). Once
/// it has ended it answers no more frames. Generic, so each cut-off is its own type with no
/// dispatch of its own.
struct TimedBody<B, C> {
    inner: B,
    cut_off: C,
    /// Set by the cut-off when the body is over for good.
    ended: bool,
}

/// How a [`TimedBody`] reads its inner body `B` and when it cuts it off.
trait CutOff<B> {
    /// The next frame of `inner`, or the cut-off's end; sets `ended` when no frame is to
    /// be asked for again.
    fn poll_cut_off(
        &mut self,
        inner: Pin<&mut B>,
        ended: &mut bool,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<bytes::Bytes>, BoxError>>>;
}

impl<B, C> http_body::Body for TimedBody<B, C>
where
    B: http_body::Body + Unpin,
    C: CutOff<B> + Unpin,
{
    type Data = bytes::Bytes;
    type Error = BoxError;

    #[inline]
    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<bytes::Bytes>, BoxError>>> {
        let this = self.get_mut();
        if this.ended {
            return Poll::Ready(None);
        }
        this.cut_off
            .poll_cut_off(Pin::new(&mut this.inner), &mut this.ended, cx)
    }

    fn is_end_stream(&self) -> bool {
        self.ended || self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The cut-off of a streamed backend body: read errors become [`BackendFault::Failed`], and
/// a backend that sends nothing for the idle timeout ends it with [`BackendFault::Timeout`].
/// One timer per idle period, not per frame: when it fires after progress it is re-armed, so
/// a silent backend is cut between one and two idle timeouts (plus the timer's granularity).
struct IdleTimeout {
    timer: CoarseTimer,
    idle: Duration,
    /// Armed at the first wait for data.
    sleep: Option<Pin<Box<dyn Sleep>>>,
    /// A frame arrived since `sleep` was armed.
    progressed: bool,
}

impl CutOff<Incoming> for IdleTimeout {
    #[inline]
    fn poll_cut_off(
        &mut self,
        inner: Pin<&mut Incoming>,
        ended: &mut bool,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<bytes::Bytes>, BoxError>>> {
        match http_body::Body::poll_frame(inner, cx) {
            Poll::Ready(Some(Ok(frame))) => {
                self.progressed = true;
                return Poll::Ready(Some(Ok(frame)));
            }
            Poll::Ready(Some(Err(e))) => {
                *ended = true;
                return Poll::Ready(Some(Err(Box::new(BackendFault::Failed(Box::new(e))))));
            }
            Poll::Ready(None) => {
                *ended = true;
                return Poll::Ready(None);
            }
            Poll::Pending => {}
        }
        loop {
            let sleep = match &mut self.sleep {
                Some(sleep) => sleep,
                empty => {
                    self.progressed = false;
                    empty.insert(self.timer.sleep(self.idle))
                }
            };
            if sleep.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            self.sleep = None;
            if !self.progressed {
                break;
            }
        }
        *ended = true;
        IDLE_TIMEOUTS.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(
            idle_ms = self.idle.as_millis() as u64,
            "backend body idle past the timeout: the response is cut off"
        );
        Poll::Ready(Some(Err(Box::new(BackendFault::Timeout))))
    }
}

/// The cut-off of a body that must be complete by a deadline ([`Deadline::bound`]): the
/// inner body's frames, ends and errors pass as they are until the deadline's sleep ends.
struct DeadlineCutOff {
    sleep: Pin<Box<dyn Sleep>>,
}

impl CutOff<Body> for DeadlineCutOff {
    #[inline]
    fn poll_cut_off(
        &mut self,
        inner: Pin<&mut Body>,
        ended: &mut bool,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<bytes::Bytes>, BoxError>>> {
        if let Poll::Ready(frame) = http_body::Body::poll_frame(inner, cx) {
            return Poll::Ready(frame);
        }
        if self.sleep.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        *ended = true;
        Poll::Ready(Some(Err(Box::new(BackendFault::Timeout))))
    }
}
