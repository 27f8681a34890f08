//! Bodies flowing through the gateway. They stream; [`collect`] buffers one only when a stage
//! needs the whole payload (a signature hash without a declared payload hash, a conversion, a
//! template), and then never beyond the configured limit.

use bytes::{Bytes, BytesMut};
use http_body::Body as _;
use http_body_util::{BodyExt, Empty, Full};

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

/// Why a body could not be buffered.
#[derive(Debug)]
pub enum CollectError {
    /// More than the limit: the request becomes 413.
    TooLarge { limit: u64 },
    /// The client failed or went away mid-body.
    Read(BoxError),
    /// The backend's body failed ([`BackendFault`]).
    Backend(BackendFault),
}

impl CollectError {
    /// Sorts a body's read error by side: a [`BackendFault`] is the backend's, anything else
    /// the client's.
    pub fn from_read(e: BoxError) -> CollectError {
        match e.downcast::<BackendFault>() {
            Ok(fault) => CollectError::Backend(*fault),
            Err(e) => CollectError::Read(e),
        }
    }
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
}
