//! Bodies flowing through the gateway. They stream; [`collect`] buffers one only when a stage
//! needs the whole payload (a signature hash without a declared payload hash, a conversion, a
//! template), and then never beyond the configured limit.

use crate::error::{GatewayError, ResponseType};
use bytes::{Bytes, BytesMut};
use http_body::Body as _;
use http_body_util::{BodyExt, Empty, Full};
use std::sync::{Arc, OnceLock};

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The body type of every request and response inside the gateway.
pub type Body = http_body_util::combinators::UnsyncBoxBody<Bytes, BoxError>;

pub fn empty() -> Body {
    Empty::<Bytes>::new().map_err(|e| match e {}).boxed_unsync()
}

pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|e| match e {})
        .boxed_unsync()
}

/// Whether the body is known to be empty without reading it.
pub fn is_empty(body: &Body) -> bool {
    body.is_end_stream() || body.size_hint().exact() == Some(0)
}

/// A body that fails with `error` when read: a response whose head is already decided and
/// whose body cannot be produced is cut off (the connection aborts), never sent complete.
pub fn failed(error: BoxError) -> Body {
    let mut error = Some(error);
    http_body_util::StreamBody::new(futures_util::stream::poll_fn(move |_| {
        std::task::Poll::Ready(error.take().map(Err))
    }))
    .boxed_unsync()
}

/// Why reading a backend's body failed. Every backend body carries its read errors as this
/// type (`integrations::client`), so they are told from the client's own body errors by
/// type, wherever the bytes went through: a backend fault becomes a 5xx, never a 4xx.
#[derive(Debug)]
pub enum BackendFault {
    /// The integration's deadline passed before the body was complete (a buffered body), or
    /// the backend sent nothing for the idle timeout (a streamed one).
    Timeout,
    /// The backend closed mid-body, reset, or sent a malformed body (a bad chunk).
    Failed(BoxError),
}

impl std::fmt::Display for BackendFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BackendFault::Timeout => f.write_str("the backend's body timed out"),
            BackendFault::Failed(e) => write!(
                f,
                "reading the backend's body failed: {}",
                crate::integrations::error_chain(e.as_ref())
            ),
        }
    }
}

impl std::error::Error for BackendFault {}

/// A client body a stage refused while it streamed (auth's check of a declared payload hash):
/// the error the body yields carries the gateway response the request becomes, so whichever
/// stage reads the body recognises it by type ([`CollectError::Refused`], [`watch`]).
#[derive(Debug)]
pub struct Refused(pub GatewayError);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the request body was refused: {}", self.0)
    }
}

impl std::error::Error for Refused {}

/// Why a body could not be buffered.
#[derive(Debug)]
pub enum CollectError {
    /// More than the limit: the request becomes 413.
    TooLarge { limit: u64 },
    /// The client failed or went away mid-body.
    Read(BoxError),
    /// The backend's body failed ([`BackendFault`]).
    Backend(BackendFault),
    /// A stage refused the client's body as it streamed ([`Refused`]).
    Refused(GatewayError),
}

impl CollectError {
    /// Sorts a body's read error by side: a [`BackendFault`] is the backend's, a [`Refused`]
    /// a stage's verdict on the client's body, anything else the client's.
    pub fn from_read(e: BoxError) -> CollectError {
        let e = match e.downcast::<BackendFault>() {
            Ok(fault) => return CollectError::Backend(*fault),
            Err(e) => e,
        };
        match e.downcast::<Refused>() {
            Ok(refused) => CollectError::Refused(refused.0),
            Err(e) => CollectError::Read(e),
        }
    }

    /// The gateway error of a buffered read of the `what` body that failed: 413 past the
    /// limit; the client's body failing is a 400, the backend's a 504 (INTEGRATION_TIMEOUT or
    /// INTEGRATION_FAILURE, the gateway-response table's default status for both); a refused
    /// body is the refusal.
    pub fn into_gateway_error(self, what: &str) -> GatewayError {
        match self {
            CollectError::TooLarge { limit } => GatewayError::with_message(
                ResponseType::RequestTooLarge,
                format!("HTTP content length exceeded {limit} bytes"),
                format!("{what} over the buffer limit of {limit} bytes"),
            ),
            CollectError::Read(e) => GatewayError::with_message(
                ResponseType::BadRequestBody,
                "Invalid request body",
                format!("reading the {what} failed: {e}"),
            ),
            CollectError::Backend(BackendFault::Timeout) => GatewayError::new(
                ResponseType::IntegrationTimeout,
                format!(
                    "Execution failed: the {what} was not complete within the integration timeout"
                ),
            ),
            CollectError::Backend(fault @ BackendFault::Failed(_)) => GatewayError::new(
                ResponseType::IntegrationFailure,
                format!("Execution failed due to a network error: the {what}: {fault}"),
            ),
            CollectError::Refused(e) => e,
        }
    }
}

/// What [`watch`] saw: the refusal a body yielded on its way to a backend, if any.
#[derive(Debug, Default)]
pub struct Watch(Option<Arc<OnceLock<GatewayError>>>);

impl Watch {
    /// The refusal, once the body has been read (or dropped).
    pub fn refusal(&self) -> Option<GatewayError> {
        self.0.as_ref().and_then(|seen| seen.get().cloned())
    }
}

/// Notes a [`Refused`] error a body yields while a backend reads it: the backend sees a failed
/// upload (and may still answer), the lifecycle answers with the refusal. An empty body is
/// passed as it is (nothing to watch, nothing allocated).
pub fn watch(body: Body) -> (Body, Watch) {
    if is_empty(&body) {
        return (body, Watch::default());
    }
    let seen = Arc::new(OnceLock::new());
    let noted = Arc::clone(&seen);
    let watched = body.map_err(move |e: BoxError| {
        if let Some(Refused(refusal)) = e.downcast_ref::<Refused>() {
            let _ = noted.set(refusal.clone());
        }
        e
    });
    (watched.boxed_unsync(), Watch(Some(seen)))
}

/// Reads the whole body, refusing more than `limit` bytes (checked against the declared size
/// first, then while reading).
pub async fn collect(mut body: Body, limit: u64) -> Result<Bytes, CollectError> {
    if body.size_hint().lower() > limit {
        return Err(CollectError::TooLarge { limit });
    }
    let capacity = body.size_hint().exact().unwrap_or(0).min(limit);
    let mut buf = BytesMut::with_capacity(usize::try_from(capacity).unwrap_or(0));
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(CollectError::from_read)?;
        if let Ok(data) = frame.into_data() {
            if (buf.len() + data.len()) as u64 > limit {
                return Err(CollectError::TooLarge { limit });
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(buf.freeze())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn read_errors_are_sorted_by_side() {
        let backend = failed(Box::new(BackendFault::Failed("reset".into())));
        assert!(matches!(
            collect(backend, 1024).await,
            Err(CollectError::Backend(BackendFault::Failed(_)))
        ));
        let timed_out = failed(Box::new(BackendFault::Timeout));
        assert!(matches!(
            collect(timed_out, 1024).await,
            Err(CollectError::Backend(BackendFault::Timeout))
        ));
        let client = failed(Box::new(std::io::Error::other("client went away")));
        assert!(matches!(
            collect(client, 1024).await,
            Err(CollectError::Read(_))
        ));
    }

    #[tokio::test]
    async fn refusals_are_recognised_by_type() {
        let refusal = || GatewayError::bad_request("refused");
        let refused = failed(Box::new(Refused(refusal())));
        let e = collect(refused, 1024).await.unwrap_err();
        assert_eq!(e.into_gateway_error("request body").detail, "refused");

        let (watched, seen) = watch(failed(Box::new(Refused(refusal()))));
        assert!(seen.refusal().is_none());
        assert!(collect(watched, 1024).await.is_err());
        assert_eq!(seen.refusal().map(|e| e.detail).as_deref(), Some("refused"));

        let (watched, seen) = watch(full("fine"));
        assert_eq!(collect(watched, 1024).await.unwrap(), "fine");
        assert!(seen.refusal().is_none());
    }
}
