//! The timer behind the connection watchdogs, hyper's own timers and the backend client's
//! deadlines (`apigate_runtime::integrations::client`): deadlines kept to a quarter of a
//! second, without tokio's timer wheel.
//!
//! hyper's header-read timeout (off now: the watchdogs time heads) started a new sleep each
//! time a keep-alive connection waited for its next request head — one timer per request. Through tokio's wheel
//! that costs a registration and a removal under a lock shared by every worker thread,
//! and often a wake-up of the thread parked on the I/O driver: 1 KiB GETs through MyS3
//! went 10–20% faster without it (README, Benchmarks). Here a sleep costs an allocation
//! and an uncontended lock when it first waits; one sweeper task, ticking every
//! [`GRANULARITY`] while any sleep waits and parked otherwise, wakes those whose deadline
//! has passed. A deadline fires up to [`GRANULARITY`] late, which a 30-second timeout
//! does not notice.

use hyper::rt::{Sleep, Timer};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// How late a deadline may fire: the sweeper's tick.
pub const GRANULARITY: Duration = Duration::from_millis(250);

/// Waiting sleeps are spread over this many lists, one picked per thread, so that worker
/// threads do not contend for one lock.
const SHARDS: usize = 16;

/// A [`hyper::rt::Timer`] for coarse deadlines. Clones share one sweeper, which stops
/// when the last clone is dropped.
#[derive(Clone, Debug)]
pub struct CoarseTimer {
    handle: Arc<Handle>,
}

impl CoarseTimer {
    /// Starts the sweeper task on the current tokio runtime.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime (as `tokio::spawn` does).
    pub fn start() -> CoarseTimer {
        let shared = Arc::new(Shared::default());
        tokio::spawn(sweep_until_closed(shared.clone()));
        CoarseTimer {
            handle: Arc::new(Handle { shared }),
        }
    }

    fn sleep_at(&self, deadline: Instant) -> Pin<Box<dyn Sleep>> {
        Box::pin(CoarseSleep {
            slot: Arc::new(Slot {
                deadline,
                done: AtomicBool::new(false),
                waker: Mutex::new(None),
            }),
            shared: self.handle.shared.clone(),
            registered: false,
        })
    }
}

impl Timer for CoarseTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Sleep>> {
        let now = Instant::now();
        // A duration past the end of time: a day, which no connection waits for.
        let deadline = now
            .checked_add(duration)
            .or_else(|| now.checked_add(Duration::from_secs(86_400)))
            .unwrap_or(now);
        self.sleep_at(deadline)
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn Sleep>> {
        self.sleep_at(deadline)
    }
}

/// Owned by the timer's clones; closes the sweeper when they are all gone.
#[derive(Debug)]
struct Handle {
    shared: Arc<Shared>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.shared.closed.store(true, Ordering::Release);
        self.shared.work.notify_one();
    }
}

#[derive(Debug, Default)]
struct Shared {
    waiting: [Mutex<Vec<Arc<Slot>>>; SHARDS],
    /// Signalled when a list gains its first sleep, and on close.
    work: Notify,
    closed: AtomicBool,
}

impl Shared {
    fn register(&self, slot: Arc<Slot>) {
        let mut list = lock(self.shard());
        let was_empty = list.is_empty();
        list.push(slot);
        drop(list);
        if was_empty {
            self.work.notify_one();
        }
    }

    fn shard(&self) -> &Mutex<Vec<Arc<Slot>>> {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        thread_local! {
            static SHARD: usize = NEXT.fetch_add(1, Ordering::Relaxed) % SHARDS;
        }
        let [first, ..] = &self.waiting;
        // `index < SHARDS` by construction; the fallback is never taken.
        self.waiting
            .get(SHARD.with(|shard| *shard))
            .unwrap_or(first)
    }

    /// Wakes the sleeps whose deadline is at or before `now` and forgets them and the
    /// dropped ones. Returns how many still wait.
    fn sweep(&self, now: Instant) -> usize {
        let mut still_waiting = 0;
        let mut due = Vec::new();
        for shard in &self.waiting {
            let mut list = lock(shard);
            list.retain(|slot| {
                if slot.done.load(Ordering::Acquire) {
                    return false;
                }
                if slot.deadline > now {
                    return true;
                }
                slot.done.store(true, Ordering::Release);
                if let Some(waker) = lock(&slot.waker).take() {
                    due.push(waker);
                }
                false
            });
            still_waiting += list.len();
        }
        // Woken outside the locks.
        due.into_iter().for_each(Waker::wake);
        still_waiting
    }
}

async fn sweep_until_closed(shared: Arc<Shared>) {
    while !shared.closed.load(Ordering::Acquire) {
        tokio::time::sleep(GRANULARITY).await;
        if shared.sweep(Instant::now()) == 0 {
            // Nothing waits: park until a sleep registers (or the timer closes). A
            // registration between the sweep and here leaves a permit, so none is missed.
            shared.work.notified().await;
        }
    }
}

/// One deadline, shared by its sleep and the sweeper's list.
#[derive(Debug)]
struct Slot {
    deadline: Instant,
    /// Set when the sleep is dropped or its deadline was swept: the list forgets it.
    done: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

#[derive(Debug)]
struct CoarseSleep {
    slot: Arc<Slot>,
    shared: Arc<Shared>,
    registered: bool,
}

impl Future for CoarseSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        if Instant::now() >= this.slot.deadline {
            return Poll::Ready(());
        }
        {
            let mut waker = lock(&this.slot.waker);
            if !waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                *waker = Some(cx.waker().clone());
            }
        }
        if !this.registered {
            this.registered = true;
            this.shared.register(this.slot.clone());
        }
        // The sweeper may have passed the deadline before the waker was stored.
        if Instant::now() >= this.slot.deadline {
            return Poll::Ready(());
        }
        Poll::Pending
    }
}

impl Sleep for CoarseSleep {}

impl Drop for CoarseSleep {
    fn drop(&mut self) {
        self.slot.done.store(true, Ordering::Release);
    }
}

/// A poisoned lock still holds consistent data here (lists and wakers are replaced
/// whole), so its content is used.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::Full;
    use hyper::server::conn::http1;
    use hyper::service::service_fn;
    use hyper_util::rt::TokioIo;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn a_sleep_ends_after_its_deadline_within_the_granularity() {
        let timer = CoarseTimer::start();
        for wait in [Duration::ZERO, Duration::from_millis(300)] {
            let started = Instant::now();
            timer.sleep(wait).await;
            let took = started.elapsed();
            assert!(took >= wait, "{took:?} < {wait:?}");
            assert!(
                took < wait + GRANULARITY * 4,
                "{took:?} is far past {wait:?}"
            );
        }
    }

    #[tokio::test]
    async fn dropped_and_finished_sleeps_are_forgotten() {
        let timer = CoarseTimer::start();
        let shared = timer.handle.shared.clone();
        let mut long = timer.sleep(Duration::from_secs(60));
        let short = timer.sleep(Duration::from_millis(10));
        // Polled once each, so both register.
        assert!(tokio::time::timeout(Duration::from_millis(1), &mut long)
            .await
            .is_err());
        short.await;
        assert_eq!(shared.sweep(Instant::now()), 1, "the 60 s sleep waits");
        drop(long);
        assert_eq!(
            shared.sweep(Instant::now()),
            0,
            "a dropped sleep is forgotten"
        );
    }

    #[tokio::test]
    async fn the_sweeper_stops_with_the_last_clone() {
        let timer = CoarseTimer::start();
        let shared = Arc::downgrade(&timer.handle.shared);
        drop(timer.clone());
        assert!(!shared
            .upgrade()
            .is_some_and(|s| s.closed.load(Ordering::Acquire)));
        drop(timer);
        tokio::time::timeout(Duration::from_secs(5), async {
            while shared.upgrade().is_some() {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .expect("the sweeper task ends and frees its state");
    }

    /// Over a real socket: a client that never finishes its request head is disconnected
    /// after hyper's header-read timeout, and one that does is answered.
    #[tokio::test]
    async fn hyper_times_out_an_unfinished_request_head() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let timer = CoarseTimer::start();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let timer = timer.clone();
                tokio::spawn(async move {
                    let service = service_fn(|_req| async {
                        Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(
                            bytes::Bytes::from_static(b"ok"),
                        )))
                    });
                    let _ = http1::Builder::new()
                        .timer(timer)
                        .header_read_timeout(Duration::from_millis(500))
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });

        let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
        slow.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        let started = Instant::now();
        let mut answer = Vec::new();
        tokio::time::timeout(Duration::from_secs(5), slow.read_to_end(&mut answer))
            .await
            .expect("the connection is closed, not held open")
            .unwrap();
        let took = started.elapsed();
        assert!(took >= Duration::from_millis(450), "closed after {took:?}");
        assert!(
            answer.is_empty() || answer.starts_with(b"HTTP/1.1 408"),
            "{}",
            String::from_utf8_lossy(&answer)
        );

        let mut prompt = tokio::net::TcpStream::connect(addr).await.unwrap();
        prompt
            .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut answer = Vec::new();
        prompt.read_to_end(&mut answer).await.unwrap();
        assert!(answer.starts_with(b"HTTP/1.1 200"));
        assert!(answer.ends_with(b"ok"));
    }
}
