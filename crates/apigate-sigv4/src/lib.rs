//! AWS Signature Version 4: the gateway's verification of `AWS_IAM` callers (service
//! `execute-api`) and its signing of requests to AWS services (S3). Pure: no I/O, no async
//! runtime; requests are `http` types, times are passed in.
//!
//! One concern per module:
//! - [`claim`]: finding and parsing the signature a request claims (an `Authorization`
//!   header or a presigned URL's `X-Amz-*` parameters);
//! - [`canonical`]: the canonical request (path normalisation and encoding, the canonical
//!   query, header lines);
//! - [`encoding`]: the one percent-encoder (the `percent-encoding` crate with SigV4's
//!   unreserved set) and query parsing (`form_urlencoded`);
//! - [`key`]: the string to sign, the signing key and the HMAC (`aws-sigv4`'s key derivation),
//!   with a per-day signing-key cache for outbound signing;
//! - [`time`]: the one date implementation (AMZ dates, civil dates, the five-minute skew and
//!   `X-Amz-Expires` checks);
//! - [`credentials`] and `ini`: the callers the gateway accepts, from an AWS
//!   shared-credentials file;
//! - [`mod@verify`]: inbound verification; [`failure`]: why a request is refused;
//! - [`sign`]: outbound signing.
//!
//! # Flow of [`verify()`]
//!
//! 1. **Locate the signature.** An `Authorization` header wins; otherwise an
//!    `X-Amz-Signature` query parameter means a presigned URL. Neither →
//!    [`AuthFailure::Missing`] (see [`is_signed`]).
//! 2. **Parse it.** The header is `AWS4-HMAC-SHA256 Credential=…,
//!    SignedHeaders=…, Signature=…` (tokens split on commas and whitespace, as
//!    AWS does); presigned URLs carry `X-Amz-Algorithm`, `X-Amz-Credential`,
//!    `X-Amz-Date`, `X-Amz-Expires`, `X-Amz-SignedHeaders`,
//!    `X-Amz-Security-Token`. Missing parts, a malformed credential scope, a
//!    scope for another region/service, a scope date that is not the request
//!    date, or an unsigned `host` → [`AuthFailure::Incomplete`] with AWS's
//!    wording.
//! 3. **Find the caller.** The access key id must be one of the
//!    [`CallerKeys`]; a key configured with a session token also requires that
//!    exact token (and a key without one refuses any token) →
//!    otherwise [`AuthFailure::UnknownKey`].
//! 4. **Check the clock.** Header-signed requests must be within five minutes
//!    of `now` either way; presigned URLs must not be more than five minutes in
//!    the future and expire `X-Amz-Expires` seconds after `X-Amz-Date` →
//!    [`AuthFailure::Expired`].
//! 5. **Rebuild the canonical request** exactly as the AWS SDKs do for a
//!    non-S3 service (the defaults of the `aws-sigv4` crate):
//!    - the method;
//!    - the path with `.`/`..` segments removed and repeated slashes collapsed
//!      (RFC 3986 §5.2.4, as `aws-sigv4` normalises), then URI-encoded *again*
//!      (`%2F` on the wire becomes `%252F`), empty path → `/`;
//!    - the query: each `name=value` form-decoded (`+` is a space), encoded
//!      with AWS's unreserved set `A-Za-z0-9-_.~`, sorted by encoded name then
//!      value, `X-Amz-Signature` left out for presigned URLs;
//!    - one `name:value` line per signed header, values trimmed, runs of
//!      spaces collapsed, repeated headers joined with `,` (`host` falls back to
//!      the URI authority, as for HTTP/2's `:authority`);
//!    - the signed header list;
//!    - the payload hash: the caller-supplied SHA-256 of the body, or the value
//!      of a *signed* `x-amz-content-sha256` header (a hex digest there must
//!      match the body; a non-digest such as `UNSIGNED-PAYLOAD` is used as is).
//! 6. **Sign and compare.** String to sign =
//!    `AWS4-HMAC-SHA256\n{date}\n{yyyymmdd}/{region}/{service}/aws4_request\n{hex sha256(canonical request)}`;
//!    the signing key and HMAC come from `aws_sigv4::sign::v4`; the comparison
//!    is constant-time. A difference → [`AuthFailure::Mismatch`] carrying the
//!    canonical request and string to sign, which AWS echoes in its message.
//!
//! Every failure is a 403; [`AuthFailure::message`] and
//! [`AuthFailure::error_type`] give the body message and `x-amzn-ErrorType`.
//!
//! Callers come from an AWS shared-credentials file, see
//! [`CallerKeys::parse_shared_credentials`].

pub mod canonical;
pub mod claim;
pub mod credentials;
pub mod encoding;
pub mod failure;
mod ini;
pub mod key;
pub mod sign;
pub mod time;
pub mod verify;

pub use canonical::{CanonicalRequest, PathEncoding};
pub use claim::is_signed;
pub use credentials::{CallerKey, CallerKeys};
pub use failure::AuthFailure;
pub use key::{sha256_hex, string_to_sign, EMPTY_SHA256};
pub use sign::{sign, Identity, Payload, Service};
pub use verify::{verify, verify_for, Caller, Profile};

/// The only signing algorithm SigV4 defines for HMAC.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The service name API Gateway signs for.
pub const EXECUTE_API: &str = "execute-api";
/// The fixed last element of a credential scope.
pub const TERMINATOR: &str = "aws4_request";

#[cfg(test)]
mod tests;
