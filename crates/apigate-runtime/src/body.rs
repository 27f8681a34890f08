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

/// Why a body could not be buffered.
#[derive(Debug)]
pub enum CollectError {
    /// More than the limit: the request becomes 413.
    TooLarge { limit: u64 },
    /// The peer failed or went away mid-body.
    Read(BoxError),
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
        let frame = frame.map_err(CollectError::Read)?;
        if let Ok(data) = frame.into_data() {
            if (buf.len() + data.len()) as u64 > limit {
                return Err(CollectError::TooLarge { limit });
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(buf.freeze())
}
