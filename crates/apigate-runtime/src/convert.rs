//! Payload conversions of binary support (`contentHandling`, binary media types): which one
//! applies (the tables of AWS's docs, docs/SEMANTICS.md §8.2/§8.3) and the body transforms
//! themselves.
//! Pass-through, lossy UTF-8 and base64 encoding stream chunk by chunk; base64 decoding buffers
//! because a decode failure must still become a 500 before any byte is sent.

use crate::body::{Body, BoxError, CollectError};
use crate::error::GatewayError;
use crate::transform::{self, Transform};
use apigate_core::model::ContentHandling;
use base64::Engine as _;
use bytes::{Bytes, BytesMut};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conversion {
    /// Bytes unchanged.
    Pass,
    /// Text: invalid UTF-8 sequences become U+FFFD, as API Gateway treats text payloads.
    LossyUtf8,
    Base64Encode,
    /// Fails (→ 500) when the payload is not base64.
    Base64Decode,
}

/// Integration-request payload conversion (§8.2): `binary` = the request Content-Type matches
/// the API's binary media types.
pub fn for_request(binary: bool, handling: Option<ContentHandling>) -> Conversion {
    match (binary, handling) {
        (false, Some(ContentHandling::ConvertToBinary)) => Conversion::Base64Decode,
        (false, _) => Conversion::LossyUtf8,
        (true, Some(ContentHandling::ConvertToText)) => Conversion::Base64Encode,
        (true, _) => Conversion::Pass,
    }
}

/// Method-response payload conversion (§8.3): `binary` = the integration response's
/// Content-Type matches the binary media types; `accept_binary` = the first `Accept` type does.
pub fn for_response(
    binary: bool,
    accept_binary: bool,
    handling: Option<ContentHandling>,
) -> Conversion {
    let want_binary = delivers_binary(accept_binary, handling);
    match (binary, want_binary) {
        (true, true) => Conversion::Pass,
        (true, false) => Conversion::Base64Encode,
        (false, true) => Conversion::Base64Decode,
        (false, false) => Conversion::LossyUtf8,
    }
}

/// Whether the method response body goes out as binary (§8.3): CONVERT_TO_BINARY, or no
/// handling and a binary first Accept type.
pub fn delivers_binary(accept_binary: bool, handling: Option<ContentHandling>) -> bool {
    match handling {
        Some(ContentHandling::ConvertToBinary) => true,
        Some(ContentHandling::ConvertToText) => false,
        None => accept_binary,
    }
}

/// Why a conversion failed.
#[derive(Debug)]
pub enum ConvertError {
    NotBase64,
    /// Reading the body to decode it failed.
    Collect(CollectError),
}

impl ConvertError {
    /// The gateway error of a conversion of the `what` body that failed: a payload that is not
    /// base64 is a 500 (AWS's "unable to base64-decode"), a failed read is [`CollectError`]'s.
    pub fn into_gateway_error(self, what: &str) -> GatewayError {
        match self {
            ConvertError::NotBase64 => GatewayError::configuration(format!(
                "Execution failed: unable to base64-decode the {what}"
            )),
            ConvertError::Collect(e) => e.into_gateway_error(what),
        }
    }
}

/// Applies `conversion` to `body`. Only `Base64Decode` reads the body here (up to `limit`).
pub async fn apply(conversion: Conversion, body: Body, limit: u64) -> Result<Body, ConvertError> {
    // Nothing to convert: the body stays recognisably empty (a wrapper would hide that, and
    // an empty upload would go out chunked).
    if crate::body::is_empty(&body) {
        return Ok(body);
    }
    Ok(match conversion {
        Conversion::Pass => body,
        Conversion::LossyUtf8 => transform::apply(body, LossyUtf8::default()),
        Conversion::Base64Encode => transform::apply(body, Base64Encode::default()),
        Conversion::Base64Decode => {
            let bytes = crate::body::collect(body, limit)
                .await
                .map_err(ConvertError::Collect)?;
            crate::body::full(decode_base64(&bytes)?)
        }
    })
}

/// Decodes standard base64, ignoring line breaks and surrounding whitespace as Java's MIME
/// decoder API Gateway uses does.
pub fn decode_base64(text: &[u8]) -> Result<Vec<u8>, ConvertError> {
    let compact: Vec<u8> = text
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(&compact)
        .map_err(|_| ConvertError::NotBase64)
}

/// Replaces invalid UTF-8 with U+FFFD; a sequence split across chunks is carried over.
#[derive(Default)]
struct LossyUtf8 {
    carry: Vec<u8>,
}

impl Transform for LossyUtf8 {
    fn chunk(&mut self, data: Bytes) -> Result<Bytes, BoxError> {
        if self.carry.is_empty() && std::str::from_utf8(&data).is_ok() {
            return Ok(data);
        }
        let mut input = std::mem::take(&mut self.carry);
        input.extend_from_slice(&data);
        let mut out = BytesMut::with_capacity(input.len());
        let mut rest: &[u8] = &input;
        loop {
            match std::str::from_utf8(rest) {
                Ok(s) => {
                    out.extend_from_slice(s.as_bytes());
                    break;
                }
                Err(e) => {
                    let (valid, after) = rest.split_at(e.valid_up_to());
                    out.extend_from_slice(valid);
                    match e.error_len() {
                        Some(n) => {
                            out.extend_from_slice("\u{fffd}".as_bytes());
                            rest = after.get(n..).unwrap_or_default();
                        }
                        None => {
                            // An incomplete sequence at the end: wait for the next chunk.
                            self.carry = after.to_vec();
                            break;
                        }
                    }
                }
            }
        }
        Ok(out.freeze())
    }

    fn finish(&mut self) -> Result<Bytes, BoxError> {
        if self.carry.is_empty() {
            Ok(Bytes::new())
        } else {
            self.carry.clear();
            Ok(Bytes::from_static("\u{fffd}".as_bytes()))
        }
    }
}

/// Standard base64 with padding, three input bytes at a time across chunks.
#[derive(Default)]
struct Base64Encode {
    carry: Vec<u8>,
}

impl Transform for Base64Encode {
    fn chunk(&mut self, data: Bytes) -> Result<Bytes, BoxError> {
        let mut input = std::mem::take(&mut self.carry);
        input.extend_from_slice(&data);
        let whole = input.len() / 3 * 3;
        let (now, later) = input.split_at(whole);
        self.carry = later.to_vec();
        Ok(Bytes::from(
            base64::engine::general_purpose::STANDARD.encode(now),
        ))
    }

    fn finish(&mut self) -> Result<Bytes, BoxError> {
        Ok(Bytes::from(
            base64::engine::general_purpose::STANDARD.encode(std::mem::take(&mut self.carry)),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body::Frame;
    use http_body_util::{BodyExt, StreamBody};

    async fn run(conversion: Conversion, chunks: &[&[u8]]) -> Result<Vec<u8>, ConvertError> {
        let frames: Vec<Result<Frame<Bytes>, BoxError>> = chunks
            .iter()
            .map(|c| Ok(Frame::data(Bytes::copy_from_slice(c))))
            .collect();
        let body = StreamBody::new(futures_util::stream::iter(frames)).boxed_unsync();
        let out = apply(conversion, body, 1 << 20).await?;
        Ok(out.collect().await.unwrap().to_bytes().to_vec())
    }

    #[tokio::test]
    async fn lossy_utf8_keeps_split_sequences() {
        let euro = "€".as_bytes();
        let out = run(Conversion::LossyUtf8, &[b"a", &euro[..1], &euro[1..], b"b"]).await;
        assert_eq!(out.unwrap(), "a€b".as_bytes());
        let out = run(
            Conversion::LossyUtf8,
            &[b"\x89PNG\r\n", b"\xff\xfeok", &euro[..2]],
        )
        .await;
        assert_eq!(
            String::from_utf8(out.unwrap()).unwrap(),
            "\u{fffd}PNG\r\n\u{fffd}\u{fffd}ok\u{fffd}"
        );
    }

    #[tokio::test]
    async fn base64_round_trip_across_chunks() {
        let data: Vec<u8> = (0..=255u8).collect();
        let (a, b) = data.split_at(100);
        let encoded = run(Conversion::Base64Encode, &[a, b]).await.unwrap();
        assert_eq!(
            encoded,
            base64::engine::general_purpose::STANDARD
                .encode(&data)
                .as_bytes()
        );
        let (x, y) = encoded.split_at(7);
        let decoded = run(Conversion::Base64Decode, &[x, b"\r\n", y])
            .await
            .unwrap();
        assert_eq!(decoded, data);
        assert!(matches!(
            run(Conversion::Base64Decode, &[b"not base64!"]).await,
            Err(ConvertError::NotBase64)
        ));
    }

    #[test]
    fn tables() {
        use ContentHandling::*;
        assert_eq!(for_request(false, None), Conversion::LossyUtf8);
        assert_eq!(
            for_request(false, Some(ConvertToText)),
            Conversion::LossyUtf8
        );
        assert_eq!(
            for_request(false, Some(ConvertToBinary)),
            Conversion::Base64Decode
        );
        assert_eq!(for_request(true, None), Conversion::Pass);
        assert_eq!(for_request(true, Some(ConvertToBinary)), Conversion::Pass);
        assert_eq!(
            for_request(true, Some(ConvertToText)),
            Conversion::Base64Encode
        );
        // payload binary?, accept binary?, handling
        assert_eq!(for_response(false, false, None), Conversion::LossyUtf8);
        assert_eq!(for_response(false, true, None), Conversion::Base64Decode);
        assert_eq!(for_response(true, false, None), Conversion::Base64Encode);
        assert_eq!(for_response(true, true, None), Conversion::Pass);
        assert_eq!(
            for_response(true, true, Some(ConvertToText)),
            Conversion::Base64Encode
        );
        assert_eq!(
            for_response(false, false, Some(ConvertToBinary)),
            Conversion::Base64Decode
        );
        assert_eq!(
            for_response(true, false, Some(ConvertToBinary)),
            Conversion::Pass
        );
        assert_eq!(
            for_response(false, true, Some(ConvertToText)),
            Conversion::LossyUtf8
        );
    }
}
