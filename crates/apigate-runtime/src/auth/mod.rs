//! The authorize stage: AWS_IAM (SigV4, service `execute-api`) callers are verified against the
//! accepted keys; other authorizers cannot run locally and fail closed.
//!
//! The signature covers the payload hash. When the caller declares it
//! (`x-amz-content-sha256`, signed), the body keeps streaming and is checked against it as it
//! flows: a mismatch aborts the backend request and the client gets 403. Otherwise the body is
//! buffered (up to the buffer limit) to hash it.

/// SigV4 itself (claims, canonical requests, verification, the accepted keys) is the
/// `apigate-sigv4` crate; this stage reads the request and the body's hash for it.
pub use apigate_sigv4 as sigv4;

use crate::body::{self, Body, BoxError};
use crate::error::{GatewayError, ResponseType};
use apigate_core::model::Authorization;
use bytes::Bytes;
use http::request::Parts;
use http_body::{Frame, SizeHint};
use http_body_util::BodyExt;
use sha2::{Digest, Sha256};
use sigv4::{AuthFailure, Caller, CallerKeys};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::SystemTime;

/// Whether AWS_IAM methods verify signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    Verify,
    /// `--no-auth`: every caller is accepted unsigned.
    Off,
}

/// The outcome of the authorize stage.
#[derive(Debug)]
pub struct Authorized {
    pub caller: Option<Caller>,
    pub body: Body,
    /// Set when a streamed body turned out not to match its declared hash.
    pub payload_mismatch: Option<Arc<AtomicBool>>,
}

#[derive(Debug)]
pub struct Authorizer {
    pub mode: AuthMode,
    pub keys: CallerKeys,
    pub region: String,
}

impl Authorizer {
    pub async fn authorize(
        &self,
        authorization: &Authorization,
        parts: &Parts,
        body: Body,
        buffer_limit: u64,
    ) -> Result<Authorized, GatewayError> {
        let pass = |body| Authorized {
            caller: None,
            body,
            payload_mismatch: None,
        };
        match authorization {
            Authorization::None => return Ok(pass(body)),
            Authorization::Lambda(name) | Authorization::CognitoUserPools(name) => {
                return Err(GatewayError::new(
                    ResponseType::AuthorizerConfigurationError,
                    format!(
                        "Execution failed: authorizer {name} (Lambda/Cognito) cannot run locally"
                    ),
                ))
            }
            Authorization::AwsIam if self.mode == AuthMode::Off => return Ok(pass(body)),
            Authorization::AwsIam => {}
        }
        if !sigv4::is_signed(parts) {
            return Err(failure(AuthFailure::Missing));
        }
        let declared = parts
            .headers
            .get("x-amz-content-sha256")
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let (hash, body, mismatch) = match declared {
            Some(h) if h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) => {
                let flag = Arc::new(AtomicBool::new(false));
                let checked = HashChecked {
                    inner: body,
                    hasher: Some(Sha256::new()),
                    held: None,
                    expected: h.to_ascii_lowercase(),
                    mismatch: flag.clone(),
                };
                (h.to_ascii_lowercase(), checked.boxed_unsync(), Some(flag))
            }
            Some(other) => {
                return Err(failure(AuthFailure::Incomplete(format!(
                    "x-amz-content-sha256 must be the hex SHA-256 of the payload, found '{other}'"
                ))))
            }
            None if body::is_empty(&body) => (sigv4::EMPTY_SHA256.to_string(), body, None),
            None => {
                let bytes = body::collect(body, buffer_limit)
                    .await
                    .map_err(|e| crate::lifecycle::collect_error(e, "signed request body"))?;
                let hash = hex::encode(Sha256::digest(&bytes));
                (hash, body::full(bytes), None)
            }
        };
        let caller = sigv4::verify(parts, &hash, &self.keys, &self.region, SystemTime::now())
            .map_err(failure)?;
        Ok(Authorized {
            caller: Some(caller),
            body,
            payload_mismatch: mismatch,
        })
    }
}

/// The gateway error a verification failure becomes.
pub fn failure(f: AuthFailure) -> GatewayError {
    let kind = match f {
        AuthFailure::Missing => ResponseType::MissingAuthenticationToken,
        AuthFailure::Expired(_) => ResponseType::ExpiredToken,
        _ => ResponseType::InvalidSignature,
    };
    let mut e = GatewayError::with_message(kind, f.message(), format!("SigV4: {}", f.message()));
    e.error_type = Some(f.error_type());
    e
}

/// The error a body whose hash differs from its signed `x-amz-content-sha256` becomes.
pub fn payload_mismatch() -> GatewayError {
    GatewayError::with_message(
        ResponseType::InvalidSignature,
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
        "SigV4: the payload does not match its signed hash; the backend request was aborted",
    )
}

/// Streams a body through SHA-256, holding back its last frame until the digest is known: a
/// body that does not match the declared hash fails before its final bytes leave, so the
/// backend never sees a complete request.
struct HashChecked {
    inner: Body,
    /// `None` once the inner body has ended.
    hasher: Option<Sha256>,
    held: Option<Bytes>,
    expected: String,
    mismatch: Arc<AtomicBool>,
}

impl http_body::Body for HashChecked {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        loop {
            let Some(hasher) = this.hasher.as_mut() else {
                return Poll::Ready(this.held.take().map(|b| Ok(Frame::data(b))));
            };
            match Pin::new(&mut this.inner).poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(Some(Ok(frame))) => {
                    let Ok(data) = frame.into_data() else {
                        continue; // trailers are not forwarded
                    };
                    hasher.update(&data);
                    if let Some(previous) = this.held.replace(data) {
                        return Poll::Ready(Some(Ok(Frame::data(previous))));
                    }
                }
                Poll::Ready(None) => {
                    let digest = this.hasher.take().map(|h| hex::encode(h.finalize()));
                    if digest.as_deref() != Some(this.expected.as_str()) {
                        this.held = None;
                        this.mismatch.store(true, Ordering::SeqCst);
                        return Poll::Ready(Some(Err(
                            "payload does not match x-amz-content-sha256".into(),
                        )));
                    }
                }
            }
        }
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
