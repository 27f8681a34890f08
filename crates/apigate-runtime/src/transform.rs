//! Streaming transforms of a body's data, chunk by chunk with carry-over: the payload
//! conversions (`convert.rs`), response compression (`compression.rs`) and the check of a
//! declared payload hash (`auth`) are each a [`Transform`]; [`apply`] makes the body.

use crate::body::{Body, BoxError};
use bytes::Bytes;
use http_body::{Frame, SizeHint};
use http_body_util::BodyExt;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A byte transform applied as a body streams.
pub trait Transform: Send + Unpin + 'static {
    /// Whether trailers pass (otherwise they are dropped).
    const FORWARDS_TRAILERS: bool = true;

    /// Output due before the body is read (a transform given data read ahead of it).
    fn start(&mut self) -> Result<Bytes, BoxError> {
        Ok(Bytes::new())
    }

    /// The output for one chunk of data; empty when there is nothing to send yet.
    fn chunk(&mut self, data: Bytes) -> Result<Bytes, BoxError>;

    /// The output once the body has ended; an error fails the body there.
    fn finish(&mut self) -> Result<Bytes, BoxError>;

    /// The transformed body's size, from the inner body's (unknown by default).
    fn size_hint(&self, _inner: SizeHint) -> SizeHint {
        SizeHint::default()
    }
}

/// `body` with `transform` applied to its data as it streams. Errors of the inner body pass.
pub fn apply<T: Transform>(body: Body, transform: T) -> Body {
    Transformed {
        inner: body,
        transform,
        started: false,
        finished: false,
    }
    .boxed_unsync()
}

struct Transformed<T> {
    inner: Body,
    transform: T,
    started: bool,
    finished: bool,
}

impl<T: Transform> http_body::Body for Transformed<T> {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        loop {
            if this.finished {
                return Poll::Ready(None);
            }
            let out = if !this.started {
                this.started = true;
                this.transform.start()
            } else {
                match Pin::new(&mut this.inner).poll_frame(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                    Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                        Ok(data) => this.transform.chunk(data),
                        Err(trailers) if T::FORWARDS_TRAILERS => {
                            return Poll::Ready(Some(Ok(trailers)))
                        }
                        Err(_) => continue,
                    },
                    Poll::Ready(None) => {
                        this.finished = true;
                        this.transform.finish()
                    }
                }
            };
            match out {
                Ok(out) if out.is_empty() => continue,
                Ok(out) => return Poll::Ready(Some(Ok(Frame::data(out)))),
                Err(e) => return Poll::Ready(Some(Err(e))),
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.finished
    }

    fn size_hint(&self) -> SizeHint {
        self.transform.size_hint(self.inner.size_hint())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body::Body as _;
    use http_body_util::StreamBody;

    /// Upper-cases; emits `start` first and fails at the end when told to.
    struct Upper {
        start: &'static str,
        fail: bool,
    }

    impl Transform for Upper {
        const FORWARDS_TRAILERS: bool = false;

        fn start(&mut self) -> Result<Bytes, BoxError> {
            Ok(Bytes::from_static(self.start.as_bytes()))
        }

        fn chunk(&mut self, data: Bytes) -> Result<Bytes, BoxError> {
            Ok(Bytes::from(data.to_ascii_uppercase()))
        }

        fn finish(&mut self) -> Result<Bytes, BoxError> {
            if self.fail {
                Err("failed at the end".into())
            } else {
                Ok(Bytes::from_static(b"!"))
            }
        }
    }

    fn chunks() -> Body {
        let mut trailers = http::HeaderMap::new();
        trailers.insert("x-t", http::HeaderValue::from_static("1"));
        let frames: Vec<Result<Frame<Bytes>, BoxError>> = vec![
            Ok(Frame::data(Bytes::from_static(b"ab"))),
            Ok(Frame::data(Bytes::new())),
            Ok(Frame::trailers(trailers)),
            Ok(Frame::data(Bytes::from_static(b"c"))),
        ];
        StreamBody::new(futures_util::stream::iter(frames)).boxed_unsync()
    }

    #[tokio::test]
    async fn start_chunks_and_finish_in_order_without_trailers() {
        let body = apply(
            chunks(),
            Upper {
                start: ">",
                fail: false,
            },
        );
        let collected = body.collect().await.unwrap();
        assert!(collected.trailers().is_none());
        assert_eq!(collected.to_bytes(), ">ABC!");
    }

    #[tokio::test]
    async fn a_failing_finish_fails_the_body_after_its_data() {
        let mut body = apply(
            chunks(),
            Upper {
                start: "",
                fail: true,
            },
        );
        let mut data = Vec::new();
        let error = loop {
            match body.frame().await {
                Some(Ok(frame)) => data.extend_from_slice(&frame.into_data().unwrap()),
                Some(Err(e)) => break e,
                None => panic!("the body ended without its error"),
            }
        };
        assert_eq!(data, b"ABC");
        assert_eq!(error.to_string(), "failed at the end");
        assert!(body.frame().await.is_none());
        assert!(body.is_end_stream());
    }
}
