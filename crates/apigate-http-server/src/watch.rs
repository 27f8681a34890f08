//! What closes a connection that stopped making progress: the socket and the service are
//! wrapped to note activity in a few flags, and a watchdog task per connection looks at
//! them every quarter of the shortest timeout, on the coarse timer.
//!
//! Per read or write the wrappers cost a flag load (and a store when it changes); per
//! request two uncontended atomic counts on the connection's own state. No timer is
//! started per request: the watchdog's sleep is per connection and per period.

use crate::coarse_timer::{CoarseTimer, GRANULARITY};
use crate::spelling::Tap;
use crate::Limits;
use hyper::rt::Timer;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::oneshot;

/// One connection's activity, written by its socket and service wrappers, read by its
/// watchdog.
#[derive(Debug, Default)]
pub(crate) struct Activity {
    /// A byte was read or written since the watchdog last looked.
    moved: AtomicBool,
    /// A write made progress since the watchdog last looked.
    wrote: AtomicBool,
    /// The last write found the socket full.
    write_blocked: AtomicBool,
    /// Requests whose response head is not yet handed to hyper.
    in_flight: AtomicUsize,
    /// A request has started on this connection.
    requested: AtomicBool,
    /// Bytes were read since the last request started: with no request in flight, the
    /// beginning of a request head that has not completed yet.
    unclaimed: AtomicBool,
    /// The connection speaks HTTP/2 (its first bytes were the client preface): frames
    /// between requests (pings, settings) are not partial heads.
    h2: AtomicBool,
    /// The request heads read, for their header names as sent ([`crate::HeaderSpelling`]).
    tap: Tap,
}

/// Sets `flag` unless it is set already (a load is cheaper than a store to a shared line).
#[inline]
fn raise(flag: &AtomicBool) {
    if !flag.load(Ordering::Relaxed) {
        flag.store(true, Ordering::Relaxed);
    }
}

#[inline]
fn lower(flag: &AtomicBool) {
    if flag.load(Ordering::Relaxed) {
        flag.store(false, Ordering::Relaxed);
    }
}

pin_project_lite::pin_project! {
    /// A socket that notes its reads and writes in an [`Activity`].
    #[derive(Debug)]
    pub struct Watched<I> {
        #[pin]
        io: I,
        activity: Arc<Activity>,
    }
}

impl<I: AsyncRead> AsyncRead for Watched<I> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.project();
        let before = buf.filled().len();
        let polled = this.io.poll_read(cx, buf);
        if buf.filled().len() > before {
            this.activity
                .tap
                .read(buf.filled().get(before..).unwrap_or_default());
            raise(&this.activity.moved);
            raise(&this.activity.unclaimed);
            if before == 0
                && !this.activity.requested.load(Ordering::Relaxed)
                && buf.filled().starts_with(b"PRI ")
            {
                raise(&this.activity.h2);
            }
        }
        polled
    }
}

impl<I: AsyncWrite> Watched<I> {
    fn noted(activity: &Activity, polled: Poll<io::Result<usize>>) -> Poll<io::Result<usize>> {
        match &polled {
            Poll::Ready(Ok(n)) if *n > 0 => {
                raise(&activity.moved);
                raise(&activity.wrote);
                lower(&activity.write_blocked);
            }
            Poll::Pending => raise(&activity.write_blocked),
            Poll::Ready(_) => {}
        }
        polled
    }
}

impl<I: AsyncWrite> AsyncWrite for Watched<I> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.project();
        Self::noted(this.activity, this.io.poll_write(cx, buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.project();
        Self::noted(this.activity, this.io.poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().io.poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().io.poll_shutdown(cx)
    }
}

/// A service that counts its requests in flight in an [`Activity`].
#[derive(Debug, Clone)]
pub struct Tracked<S> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S, B> hyper::service::Service<http::Request<B>> for Tracked<S>
where
    S: hyper::service::Service<http::Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = InFlight<S::Future>;

    fn call(&self, mut req: http::Request<B>) -> Self::Future {
        let names = req.headers().iter().map(|(name, _)| name.as_str());
        if let Some(spelling) = self.activity.tap.claim(names) {
            req.extensions_mut().insert(spelling);
        }
        raise(&self.activity.requested);
        lower(&self.activity.unclaimed);
        self.activity.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight {
            inner: self.inner.call(req),
            _guard: Guard(self.activity.clone()),
        }
    }
}

/// Counts a request out when its future completes or is dropped.
#[derive(Debug)]
struct Guard(Arc<Activity>);

impl Drop for Guard {
    fn drop(&mut self) {
        // Bytes read while the request ran were its body, not the next head.
        lower(&self.0.unclaimed);
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

pin_project_lite::pin_project! {
    /// A request's future, counted in flight while it runs.
    #[derive(Debug)]
    pub struct InFlight<F> {
        #[pin]
        inner: F,
        _guard: Guard,
    }
}

impl<F: Future> Future for InFlight<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.project().inner.poll(cx)
    }
}

/// Wraps a socket and a service to share one new [`Activity`].
pub(crate) fn watch<I, S>(
    io: I,
    service: S,
    spelling: bool,
) -> (Watched<I>, Tracked<S>, Arc<Activity>) {
    let activity = Arc::new(Activity {
        tap: if spelling { Tap::default() } else { Tap::off() },
        ..Activity::default()
    });
    (
        Watched {
            io,
            activity: activity.clone(),
        },
        Tracked {
            inner: service,
            activity: activity.clone(),
        },
        activity,
    )
}

/// Why a watchdog closed its connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// No request began within the header-read timeout (nothing sent, or a partial head or
    /// h2c preface), or a later HTTP/1 request head, once begun, did not complete in time.
    NoRequest,
    /// No request in flight and no byte either way for the idle timeout.
    Idle,
    /// A response write made no progress for the write timeout.
    WriteStalled,
}

/// How often a watchdog looks: a quarter of the shortest timeout, never more often than the
/// coarse timer ticks. Time is counted in whole periods, so a timeout fires within one period
/// of when it is due, early or late.
fn period(limits: &Limits) -> Duration {
    (limits
        .header_read_timeout
        .min(limits.idle_timeout)
        .min(limits.write_timeout)
        / 4)
    .max(GRANULARITY)
}

/// Watches `activity` until the connection ends (`ended` resolves: its task dropped the
/// sender) or a timeout passes, which it returns.
pub(crate) async fn watchdog(
    activity: Arc<Activity>,
    limits: Limits,
    timer: CoarseTimer,
    mut ended: oneshot::Receiver<()>,
) -> Option<Verdict> {
    let accepted = Instant::now();
    let period = period(&limits);
    let mut silent = Duration::ZERO;
    let mut stalled = Duration::ZERO;
    let mut partial = Duration::ZERO;
    loop {
        tokio::select! {
            _ = &mut ended => return None,
            () = timer.sleep(period) => {}
        }
        let moved = activity.moved.swap(false, Ordering::Relaxed);
        let wrote = activity.wrote.swap(false, Ordering::Relaxed);
        silent = if moved {
            Duration::ZERO
        } else {
            silent + period
        };
        stalled = if !wrote && activity.write_blocked.load(Ordering::Relaxed) {
            stalled + period
        } else {
            Duration::ZERO
        };
        if stalled >= limits.write_timeout {
            return Some(Verdict::WriteStalled);
        }
        if !activity.requested.load(Ordering::Relaxed)
            && accepted.elapsed() >= limits.header_read_timeout
        {
            return Some(Verdict::NoRequest);
        }
        // A head begun between requests (HTTP/1 keep-alive) must complete in time; an idle
        // keep-alive connection that sends nothing is left to the idle timeout.
        let in_flight = activity.in_flight.load(Ordering::Relaxed);
        partial = if in_flight == 0
            && activity.requested.load(Ordering::Relaxed)
            && !activity.h2.load(Ordering::Relaxed)
            && activity.unclaimed.load(Ordering::Relaxed)
        {
            partial + period
        } else {
            Duration::ZERO
        };
        if partial >= limits.header_read_timeout {
            return Some(Verdict::NoRequest);
        }
        if silent >= limits.idle_timeout && in_flight == 0 {
            return Some(Verdict::Idle);
        }
    }
}
