//! Where and for how long a mapping template renders, so that a template looping over a
//! multi-MB body cannot hold an async worker for seconds.
//!
//! A render first runs inline on the request's worker with a small budget
//! ([`INLINE_BUDGET`]); nearly every real template finishes well within it. One that does
//! not (or one over a large body, where a single `$input.json` may outlast the budget) runs
//! again from the start on tokio's blocking pool — renders are pure functions of their
//! input — with at most one such render per CPU at a time, under the whole deadline
//! (`--template-timeout`). Past the deadline the render fails (500, as any failing
//! template). A render on the pool also stops when its request is dropped (the client went
//! away: hyper drops the request's future, and a drop guard sets the render's cancel flag)
//! and when the server stops ([`TemplateRunner::stop`], before draining).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use apigate_template::{
    Compiled, Interrupt, Interruption, Limits, Render, RenderError, RenderInput, Rendered,
};
use bytes::Bytes;
use tokio::sync::Semaphore;

/// The default of `--template-timeout`, in milliseconds (docs/PARITY.md: AWS documents no
/// render time limit; real templates render in microseconds).
pub const DEFAULT_TEMPLATE_TIMEOUT_MS: u64 = 1000;

/// [`DEFAULT_TEMPLATE_TIMEOUT_MS`] as a duration.
pub const DEFAULT_TEMPLATE_TIMEOUT: Duration = Duration::from_millis(DEFAULT_TEMPLATE_TIMEOUT_MS);

/// How long a render may run inline on an async worker before it moves to the blocking pool.
pub const INLINE_BUDGET: Duration = Duration::from_millis(1);

/// Bodies from this size on are rendered on the blocking pool from the start: one call that
/// reads the whole body (`$input.json('$')`, `$util.base64Encode`) may outlast the inline
/// budget before the renderer next looks at the clock.
pub const INLINE_BODY_LIMIT: usize = 64 * 1024;

/// Renders templates under a deadline, off the async workers when they take time.
#[derive(Debug, Clone)]
pub struct TemplateRunner {
    timeout: Duration,
    /// Renders running on the blocking pool at once (one per CPU).
    pool: Arc<Semaphore>,
    /// Set when the server stops: running renders end.
    stopping: Arc<AtomicBool>,
}

impl Default for TemplateRunner {
    fn default() -> Self {
        TemplateRunner::new(DEFAULT_TEMPLATE_TIMEOUT)
    }
}

/// What a template sees, owned: the blocking pool needs `'static` data. Built only when a
/// render leaves the inline path.
#[derive(Debug)]
pub struct OwnedInput {
    pub body: Bytes,
    pub path: Vec<(String, String)>,
    pub querystring: Vec<(String, String)>,
    pub header: Vec<(String, String)>,
    pub context: serde_json::Value,
    pub stage_variables: std::collections::BTreeMap<String, String>,
}

/// Sets the cancel flag of a pool render when the request that waits for it is dropped.
struct CancelOnDrop(Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

impl TemplateRunner {
    /// A runner whose renders fail after `timeout`.
    pub fn new(timeout: Duration) -> Self {
        let cpus = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
        TemplateRunner {
            timeout,
            pool: Arc::new(Semaphore::new(cpus)),
            stopping: Arc::new(AtomicBool::new(false)),
        }
    }

    /// The per-render deadline.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Stops running renders and fails new ones (the server is stopping).
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::Relaxed);
    }

    /// Renders inline when the body is small and the render fits [`INLINE_BUDGET`];
    /// `Ok(None)` when it must run on the pool ([`TemplateRunner::render_on_pool`]).
    pub fn render_inline(
        &self,
        compiled: &Compiled,
        input: &RenderInput<'_>,
        started: Instant,
    ) -> Result<Option<Rendered>, RenderError> {
        if input.body.len() >= INLINE_BODY_LIMIT {
            return Ok(None);
        }
        let budget = INLINE_BUDGET.min(self.timeout);
        let flags = [&*self.stopping];
        let interrupt = Interrupt {
            deadline: Some(started + budget),
            flags: &flags,
        };
        match compiled.render_with(input, &Limits::default(), &interrupt) {
            Err(RenderError::Interrupted(Interruption::Deadline)) if budget < self.timeout => {
                Ok(None)
            }
            other => other.map(Some),
        }
    }

    /// Renders from the start on the blocking pool, by `started + timeout`; stops when the
    /// returned future is dropped or the server stops.
    pub async fn render_on_pool(
        &self,
        compiled: Arc<Compiled>,
        input: OwnedInput,
        started: Instant,
    ) -> Result<Rendered, RenderError> {
        let deadline = started + self.timeout;
        let permit = tokio::time::timeout_at(
            tokio::time::Instant::from_std(deadline),
            Arc::clone(&self.pool).acquire_owned(),
        )
        .await;
        let Ok(Ok(permit)) = permit else {
            return Err(RenderError::Interrupted(Interruption::Deadline));
        };
        let cancel = Arc::new(AtomicBool::new(false));
        let guard = CancelOnDrop(Arc::clone(&cancel));
        let stopping = Arc::clone(&self.stopping);
        let job = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let flags = [&*cancel, &*stopping];
            let interrupt = Interrupt {
                deadline: Some(deadline),
                flags: &flags,
            };
            let body = String::from_utf8_lossy(&input.body);
            let view = RenderInput {
                body: &body,
                path: &input.path,
                querystring: &input.querystring,
                header: &input.header,
                context: &input.context,
                stage_variables: &input.stage_variables,
            };
            let result = compiled.render_with(&view, &Limits::default(), &interrupt);
            if matches!(
                result,
                Err(RenderError::Interrupted(Interruption::Cancelled))
            ) {
                if stopping.load(Ordering::Relaxed) {
                    tracing::info!("template render stopped: the server is stopping");
                } else {
                    tracing::info!("template render stopped: the client went away");
                }
            }
            result
        });
        let result = job.await.unwrap_or_else(|e| {
            Err(RenderError::MethodInvocation {
                message: format!("the render did not complete: {e}"),
            })
        });
        drop(guard);
        result
    }
}
