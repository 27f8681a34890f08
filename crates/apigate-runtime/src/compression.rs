//! Payload compression (`x-amazon-apigateway-minimum-compression-size`, docs/SEMANTICS.md §9).
//!
//! Only when the API enables it: a request body with `Content-Encoding: gzip | deflate |
//! identity` is decompressed before mapping (anything else, or corrupt data → 415); a response
//! is compressed when the client's `Accept-Encoding` names gzip or deflate, the integration
//! response carries no `Content-Encoding`, and the body is at least the minimum size.
//! Decompression reads the body whole (corrupt data must still become a 415 before anything is
//! sent); compression streams.

use crate::body::{self, Body, BoxError, CollectError};
use crate::error::{GatewayError, ResponseType};
use crate::transform::{self, Transform};
use bytes::{Bytes, BytesMut};
use flate2::write::{GzEncoder, ZlibEncoder};
use flate2::Compression;
use http::header::{HeaderValue, CONTENT_ENCODING, CONTENT_LENGTH};
use http::{HeaderMap, Response};
use http_body::Body as _;
use http_body_util::BodyExt;
use std::io::{Read, Write};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    Gzip,
    /// HTTP's `deflate`: the zlib format (RFC 1950).
    Deflate,
}

impl Coding {
    pub fn as_str(self) -> &'static str {
        match self {
            Coding::Gzip => "gzip",
            Coding::Deflate => "deflate",
        }
    }
}

fn unsupported(detail: String) -> GatewayError {
    GatewayError::new(ResponseType::UnsupportedMediaType, detail)
}

/// The request body's coding: `None` for none/identity; 415 for any other.
pub fn request_coding(headers: &HeaderMap) -> Result<Option<Coding>, GatewayError> {
    let Some(value) = headers.get(CONTENT_ENCODING) else {
        return Ok(None);
    };
    let value = String::from_utf8_lossy(value.as_bytes())
        .trim()
        .to_ascii_lowercase();
    match value.as_str() {
        "" | "identity" => Ok(None),
        "gzip" | "x-gzip" => Ok(Some(Coding::Gzip)),
        "deflate" => Ok(Some(Coding::Deflate)),
        other => Err(unsupported(format!("unsupported Content-Encoding {other}"))),
    }
}

/// Decompresses a request body (whole, within `limit` bytes of output).
pub async fn decompress(body: Body, coding: Coding, limit: u64) -> Result<Bytes, GatewayError> {
    let compressed = body::collect(body, limit)
        .await
        .map_err(|e| e.into_gateway_error("compressed request body"))?;
    let reader: Box<dyn Read> = match coding {
        Coding::Gzip => Box::new(flate2::read::MultiGzDecoder::new(&compressed[..])),
        Coding::Deflate => Box::new(flate2::read::ZlibDecoder::new(&compressed[..])),
    };
    let mut out = Vec::new();
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| unsupported(format!("corrupt {} request body: {e}", coding.as_str())))?;
    if out.len() as u64 > limit {
        return Err(
            CollectError::TooLarge { limit }.into_gateway_error("decompressed request body")
        );
    }
    Ok(Bytes::from(out))
}

/// The coding to answer with: the first of gzip/deflate the client accepts (q > 0). A missing
/// header, or only `*`/`identity`, means no compression.
pub fn response_coding(accept_encoding: Option<&str>) -> Option<Coding> {
    let mut best = None;
    for item in accept_encoding?.split(',') {
        let mut parts = item.split(';');
        let name = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let refused = parts.any(|p| {
            p.trim()
                .strip_prefix("q=")
                .and_then(|q| q.trim().parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        let coding = match name.as_str() {
            "gzip" | "x-gzip" => Coding::Gzip,
            "deflate" => Coding::Deflate,
            _ => continue,
        };
        if !refused && (best.is_none() || coding == Coding::Gzip) {
            best = Some(coding);
        }
    }
    best
}

/// The compression stage: compresses the method response when the client accepts a coding
/// (`accept_encoding`), the response has a body (not HEAD, 204 or 304) without a
/// `Content-Encoding` of its own, and it is at least `minimum` bytes.
pub async fn compress_response(
    response: Response<Body>,
    request_method: &http::Method,
    accept_encoding: Option<&str>,
    minimum: u64,
) -> Response<Body> {
    let Some(coding) = response_coding(accept_encoding) else {
        return response;
    };
    let (mut head, body) = response.into_parts();
    let no_body = request_method == http::Method::HEAD
        || matches!(head.status.as_u16(), 204 | 304)
        || head.headers.contains_key(CONTENT_ENCODING);
    if no_body {
        return Response::from_parts(head, body);
    }
    match compress_if_large(body, coding, minimum).await {
        Ok((body, true)) => {
            head.headers.remove(CONTENT_LENGTH);
            head.headers
                .insert(CONTENT_ENCODING, HeaderValue::from_static(coding.as_str()));
            Response::from_parts(head, body)
        }
        Ok((body, false)) => Response::from_parts(head, body),
        Err(e) => {
            // The head is decided: the body is cut off, never sent as complete and empty.
            tracing::warn!(error = %e, "reading the response to compress it failed");
            Response::from_parts(head, body::failed(e))
        }
    }
}

/// Compresses `body` with `coding` if it has at least `minimum` bytes. A body of unknown size
/// is read until `minimum` bytes are seen (or it ends), then the rest streams.
/// Returns the body and whether it was compressed.
pub async fn compress_if_large(
    mut body: Body,
    coding: Coding,
    minimum: u64,
) -> Result<(Body, bool), BoxError> {
    if let Some(n) = body.size_hint().exact() {
        return Ok(if n >= minimum && n > 0 {
            (
                transform::apply(body, Encoder::new(Bytes::new(), coding)),
                true,
            )
        } else {
            (body, false)
        });
    }
    let mut head = BytesMut::new();
    while (head.len() as u64) < minimum.max(1) {
        match body.frame().await {
            None => return Ok((body::full(head.freeze()), false)),
            Some(frame) => {
                if let Ok(data) = frame?.into_data() {
                    head.extend_from_slice(&data);
                }
            }
        }
    }
    Ok((
        transform::apply(body, Encoder::new(head.freeze(), coding)),
        true,
    ))
}

/// The compressing [`Transform`]; `head` is data already read from the body.
struct Encoder {
    head: Bytes,
    state: Option<EncoderState>,
}

enum EncoderState {
    Gzip(GzEncoder<Vec<u8>>),
    Deflate(ZlibEncoder<Vec<u8>>),
}

impl Encoder {
    fn new(head: Bytes, coding: Coding) -> Encoder {
        let state = match coding {
            Coding::Gzip => EncoderState::Gzip(GzEncoder::new(Vec::new(), Compression::fast())),
            Coding::Deflate => {
                EncoderState::Deflate(ZlibEncoder::new(Vec::new(), Compression::fast()))
            }
        };
        Encoder {
            head,
            state: Some(state),
        }
    }
}

impl Transform for Encoder {
    /// Trailers are dropped.
    const FORWARDS_TRAILERS: bool = false;

    fn start(&mut self) -> Result<Bytes, BoxError> {
        let head = std::mem::take(&mut self.head);
        if head.is_empty() {
            return Ok(head);
        }
        self.chunk(head)
    }

    fn chunk(&mut self, data: Bytes) -> Result<Bytes, BoxError> {
        let buf = match &mut self.state {
            Some(EncoderState::Gzip(e)) => {
                e.write_all(&data)?;
                e.get_mut()
            }
            Some(EncoderState::Deflate(e)) => {
                e.write_all(&data)?;
                e.get_mut()
            }
            None => return Ok(Bytes::new()),
        };
        Ok(Bytes::from(std::mem::take(buf)))
    }

    fn finish(&mut self) -> Result<Bytes, BoxError> {
        Ok(Bytes::from(match self.state.take() {
            Some(EncoderState::Gzip(e)) => e.finish()?,
            Some(EncoderState::Deflate(e)) => e.finish()?,
            None => Vec::new(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_encoding() {
        assert_eq!(response_coding(None), None);
        assert_eq!(response_coding(Some("*")), None);
        assert_eq!(response_coding(Some("identity")), None);
        assert_eq!(
            response_coding(Some("deflate, gzip;q=0.5")),
            Some(Coding::Gzip)
        );
        assert_eq!(response_coding(Some("br, deflate")), Some(Coding::Deflate));
        assert_eq!(
            response_coding(Some("gzip;q=0, deflate")),
            Some(Coding::Deflate)
        );
    }

    #[test]
    fn request_codings() {
        let mut h = HeaderMap::new();
        assert_eq!(request_coding(&h).unwrap(), None);
        h.insert("content-encoding", "GZIP".parse().unwrap());
        assert_eq!(request_coding(&h).unwrap(), Some(Coding::Gzip));
        h.insert("content-encoding", "br".parse().unwrap());
        assert_eq!(
            request_coding(&h).unwrap_err().kind,
            ResponseType::UnsupportedMediaType
        );
    }

    #[tokio::test]
    async fn round_trip() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 7) as u8).collect();
        for coding in [Coding::Gzip, Coding::Deflate] {
            let (c, compressed) = compress_if_large(body::full(data.clone()), coding, 1000)
                .await
                .unwrap();
            assert!(compressed);
            let packed = c.collect().await.unwrap().to_bytes();
            assert!(packed.len() < data.len() / 10);
            let back = decompress(body::full(packed), coding, 1 << 20)
                .await
                .unwrap();
            assert_eq!(back, data);
        }
        let (_, compressed) = compress_if_large(body::full(vec![1u8; 10]), Coding::Gzip, 1000)
            .await
            .unwrap();
        assert!(!compressed, "under the minimum");
        let err = decompress(body::full(&b"not gzip"[..]), Coding::Gzip, 1 << 20)
            .await
            .unwrap_err();
        assert_eq!(err.kind, ResponseType::UnsupportedMediaType);
    }
}
