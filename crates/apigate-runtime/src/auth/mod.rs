//! The authorize stage: AWS_IAM (SigV4, service `execute-api`) callers are verified against the
//! accepted keys; other authorizers cannot run locally and fail closed.
//!
//! The signature covers the payload hash. When the caller declares it
//! (`x-amz-content-sha256`, signed), the body keeps streaming and is checked against it as it
//! flows: a mismatch fails the body with a [`body::Refused`] error (the backend request is
//! aborted, and whichever stage reads the body answers the client 403). Otherwise the body is
//! buffered (up to the buffer limit) to hash it.

/// SigV4 itself (claims, canonical requests, verification, the accepted keys) is the
/// `apigate-sigv4` crate; this stage reads the request and the body's hash for it.
pub use apigate_sigv4 as sigv4;

use crate::body::{self, Body, BoxError, Refused};
use crate::error::{GatewayError, ResponseType};
use crate::transform::{self, Transform};
use apigate_core::model::Authorization;
use bytes::Bytes;
use http::request::Parts;
use http_body::SizeHint;
use sha2::{Digest, Sha256};
use sigv4::{AuthFailure, Caller, CallerKeys};
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
    /// The verified caller (`$context.identity`).
    pub caller: Option<Caller>,
    /// The verified caller's key, for integrations that call AWS as the caller.
    pub credentials: Option<CallerCredentials>,
    /// The body, checked against its declared hash as it streams when it has one.
    pub body: Body,
}

/// The verified caller's own key: integrations with `credentials: arn:aws:iam::*:user/*` sign
/// with it.
#[derive(Clone)]
pub struct CallerCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl std::fmt::Debug for CallerCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallerCredentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
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
            credentials: None,
            body,
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
        let (hash, body) = match declared {
            Some(h) if h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) => {
                let checked = HashChecked {
                    hasher: Sha256::new(),
                    held: Bytes::new(),
                    expected: h.to_ascii_lowercase(),
                };
                (h.to_ascii_lowercase(), transform::apply(body, checked))
            }
            Some(other) => {
                return Err(failure(AuthFailure::Incomplete(format!(
                    "x-amz-content-sha256 must be the hex SHA-256 of the payload, found '{other}'"
                ))))
            }
            None if body::is_empty(&body) => (sigv4::EMPTY_SHA256.to_string(), body),
            None => {
                let bytes = body::collect(body, buffer_limit)
                    .await
                    .map_err(|e| e.into_gateway_error("signed request body"))?;
                let hash = hex::encode(Sha256::digest(&bytes));
                (hash, body::full(bytes))
            }
        };
        let caller = sigv4::verify(parts, &hash, &self.keys, &self.region, SystemTime::now())
            .map_err(failure)?;
        let credentials = self
            .keys
            .get(&caller.access_key_id)
            .map(|k| CallerCredentials {
                access_key_id: k.access_key_id.clone(),
                secret_access_key: k.secret_access_key.clone(),
                session_token: k.session_token.clone(),
            });
        Ok(Authorized {
            caller: Some(caller),
            credentials,
            body,
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

/// Streams a body through SHA-256, holding back its last chunk until the digest is known: a
/// body that does not match the declared hash fails before its final bytes leave, so the
/// backend never sees a complete request. The failure is a [`Refused`] carrying
/// [`payload_mismatch`], which the stage reading the body answers with.
struct HashChecked {
    hasher: Sha256,
    held: Bytes,
    expected: String,
}

impl Transform for HashChecked {
    /// Trailers are not forwarded.
    const FORWARDS_TRAILERS: bool = false;

    fn chunk(&mut self, data: Bytes) -> Result<Bytes, BoxError> {
        self.hasher.update(&data);
        Ok(std::mem::replace(&mut self.held, data))
    }

    fn finish(&mut self) -> Result<Bytes, BoxError> {
        let digest = hex::encode(std::mem::take(&mut self.hasher).finalize());
        let last = std::mem::take(&mut self.held);
        if digest == self.expected {
            Ok(last)
        } else {
            Err(Box::new(Refused(payload_mismatch())))
        }
    }

    /// As long as the body it checks: a checked empty body stays recognisably empty.
    fn size_hint(&self, inner: SizeHint) -> SizeHint {
        inner
    }
}
