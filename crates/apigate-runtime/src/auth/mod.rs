//! The authorize stage (docs/SEMANTICS.md §11): AWS_IAM (SigV4, service `execute-api`)
//! callers are verified against the accepted keys; Lambda authorizers (`lambda`: TOKEN and
//! REQUEST, their results cached by `cache`, their policies evaluated by `policy`) and
//! Cognito user-pool authorizers (`cognito`) decide the others. What an authorizer let
//! through is an [`AuthorizerResult`] (`result`), `$context.authorizer` from then on.
//!
//! The signature covers the payload hash. When the caller declares it
//! (`x-amz-content-sha256`, signed), the body keeps streaming and is checked against it as it
//! flows: a mismatch fails the body with a [`body::Refused`] error (the backend request is
//! aborted, and whichever stage reads the body answers the client 403). Otherwise the body is
//! buffered (up to the buffer limit) to hash it.

/// SigV4 itself (claims, canonical requests, verification, the accepted keys) is the
/// `apigate-sigv4` crate; this stage reads the request and the body's hash for it.
pub use apigate_sigv4 as sigv4;

pub mod cache;
pub mod cognito;
pub mod lambda;
pub mod policy;
pub mod resource_policy;
pub mod result;

pub use lambda::Denied;
pub use result::AuthorizerResult;

use crate::body::{self, Body, BoxError, Refused};
use crate::context::RequestContext;
use crate::error::{GatewayError, ResponseType};
use crate::integrations::lambda::LambdaBackend;
use crate::request::MethodRequest;
use crate::transform::{self, Transform};
use apigate_core::model::{Authorization, AuthorizerDef, AuthorizerKind, IdentitySource};
use apigate_core::{Api, Method};
use bytes::Bytes;
use http::request::Parts;
use http_body::SizeHint;
use sha2::{Digest, Sha256};
use sigv4::{AuthFailure, Caller, CallerKeys};
use std::collections::BTreeMap;
use std::time::SystemTime;

/// Whether AWS_IAM methods verify signatures, and whether authorization runs at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    Verify,
    /// `--no-auth`: every caller of an AWS_IAM method is accepted unsigned (authorizers
    /// still run).
    Off,
    /// `apigate test-invoke`: nothing is authorized, as the console's Test tab does (IAM,
    /// Lambda and Cognito authorizers, API keys and resource policies are skipped).
    Skip,
}

/// The outcome of the authorize stage.
#[derive(Debug)]
pub struct Authorized {
    /// The verified caller (`$context.identity`).
    pub caller: Option<Caller>,
    /// The verified caller's key, for integrations that call AWS as the caller.
    pub credentials: Option<CallerCredentials>,
    /// What a Lambda or Cognito authorizer produced (`$context.authorizer`).
    pub authorizer: Option<AuthorizerResult>,
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

/// The authorize stage's state, built once: who may call AWS_IAM methods, the user pools'
/// keys, the Lambda authorizers' result cache.
#[derive(Debug)]
pub struct Authorizer {
    pub mode: AuthMode,
    pub keys: CallerKeys,
    pub region: String,
    /// Cognito user pools' signing keys (`--jwks`).
    pub user_pools: cognito::UserPoolKeys,
    /// What Lambda authorizers answered, by identity, for their TTL.
    pub cache: cache::ResultCache<lambda::Output>,
}

/// The request as the authorize stage sees it.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub api: &'a Api,
    pub method: &'a Method,
    pub parts: &'a Parts,
    pub request: &'a MethodRequest<'a>,
    pub context: &'a RequestContext,
    pub stage_variables: &'a BTreeMap<String, String>,
    /// The request path below the stage, as sent.
    pub path: &'a str,
    /// `arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{VERB}/{path}`.
    pub method_arn: &'a str,
}

impl Authorizer {
    pub fn new(mode: AuthMode, keys: CallerKeys, region: String) -> Authorizer {
        Authorizer {
            mode,
            keys,
            region,
            user_pools: cognito::UserPoolKeys::default(),
            cache: cache::ResultCache::default(),
        }
    }

    /// Authorizes one request: the method's authorization type decides who checks the
    /// caller. `functions` (the Lambda client) invokes Lambda authorizers.
    pub async fn authorize(
        &self,
        subject: Subject<'_>,
        body: Body,
        buffer_limit: u64,
        functions: &LambdaBackend,
    ) -> Result<Authorized, Denied> {
        let pass = |body, authorizer| Authorized {
            caller: None,
            credentials: None,
            authorizer,
            body,
        };
        if self.mode == AuthMode::Skip {
            return Ok(pass(body, None));
        }
        match &subject.method.authorization {
            Authorization::None => Ok(pass(body, None)),
            Authorization::Lambda(name) | Authorization::CognitoUserPools(name) => {
                let def = subject.api.authorizers.get(name).ok_or_else(|| {
                    GatewayError::new(
                        ResponseType::AuthorizerConfigurationError,
                        format!(
                            "Execution failed due to configuration error: no authorizer {name}"
                        ),
                    )
                })?;
                let result = self.custom(def, subject, functions).await?;
                Ok(pass(body, Some(result)))
            }
            Authorization::AwsIam if self.mode == AuthMode::Off => Ok(pass(body, None)),
            Authorization::AwsIam => Ok(self.sigv4(subject.parts, body, buffer_limit).await?),
        }
    }

    /// A Lambda or Cognito authorizer.
    async fn custom(
        &self,
        def: &AuthorizerDef,
        subject: Subject<'_>,
        functions: &LambdaBackend,
    ) -> Result<AuthorizerResult, Denied> {
        match def.kind {
            AuthorizerKind::Token | AuthorizerKind::Request => {
                let call = lambda::Call {
                    parts: subject.parts,
                    path: subject.path,
                    request: subject.request,
                    context: subject.context,
                    stage_variables: subject.stage_variables,
                    method_arn: subject.method_arn,
                };
                lambda::authorize(def, call, functions, &self.cache).await
            }
            AuthorizerKind::CognitoUserPools => {
                let token = def
                    .identity_sources
                    .iter()
                    .find_map(|s| match s {
                        IdentitySource::Header(h) => subject.request.header_last(h),
                        _ => None,
                    })
                    .filter(|v| !v.trim().is_empty())
                    .ok_or_else(|| {
                        lambda::unauthorized(format!(
                            "authorizer {}: no token in the identity header",
                            def.name
                        ))
                    })?;
                let now = SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                Ok(cognito::verify(
                    def,
                    &self.user_pools,
                    &token,
                    &subject.method.authorization_scopes,
                    now,
                )?)
            }
        }
    }

    /// AWS_IAM: the caller's SigV4 signature over the request and its payload hash.
    async fn sigv4(
        &self,
        parts: &Parts,
        body: Body,
        buffer_limit: u64,
    ) -> Result<Authorized, GatewayError> {
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
            authorizer: None,
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
