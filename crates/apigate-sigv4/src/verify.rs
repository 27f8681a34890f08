//! Inbound verification: the crate documentation's flow, from the parsed claim to the
//! caller it names.

use std::time::SystemTime;

use http::request::Parts;

use crate::canonical::{canonical_uri, CanonicalRequest, PathEncoding};
use crate::claim::{header_value, parse_claim, Location, HEADER_CONTENT_SHA256};
use crate::credentials::CallerKeys;
use crate::failure::AuthFailure;
use crate::key::{constant_time_eq, signature, string_to_sign};
use crate::EXECUTE_API;

/// Who signed a verified request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The access key id the request was signed with.
    pub access_key_id: String,
    /// The caller's ARN.
    pub arn: String,
    /// The caller's account id.
    pub account_id: String,
}

/// What a request must be signed for.
#[derive(Debug, Clone, Copy)]
pub struct Profile<'a> {
    pub region: &'a str,
    pub service: &'a str,
    pub path: PathEncoding,
}

/// Verifies `parts` (method, URI with raw path+query, headers) signed for
/// `region`/`execute-api`. `payload_sha256_hex` = hex SHA-256 of the body as
/// received. `now` = current time.
///
/// # Errors
///
/// The [`AuthFailure`] that refuses the request; the crate documentation
/// gives the order in which the checks are made.
pub fn verify(
    parts: &Parts,
    payload_sha256_hex: &str,
    keys: &CallerKeys,
    region: &str,
    now: SystemTime,
) -> Result<Caller, AuthFailure> {
    let profile = Profile {
        region,
        service: EXECUTE_API,
        path: PathEncoding::Double,
    };
    verify_for(parts, payload_sha256_hex, keys, &profile, now)
}

/// [`verify`] for any service and path encoding.
///
/// # Errors
///
/// As [`verify`].
pub fn verify_for(
    parts: &Parts,
    payload_sha256_hex: &str,
    keys: &CallerKeys,
    profile: &Profile<'_>,
    now: SystemTime,
) -> Result<Caller, AuthFailure> {
    let claim = parse_claim(parts, profile)?;

    let key = keys
        .get(&claim.access_key_id)
        .ok_or(AuthFailure::UnknownKey)?;
    let token_ok = match (&key.session_token, &claim.security_token) {
        (None, None) => true,
        (Some(expected), Some(given)) => constant_time_eq(expected.as_bytes(), given.as_bytes()),
        _ => false,
    };
    if !token_ok {
        return Err(AuthFailure::UnknownKey);
    }

    let expires_secs = match claim.location {
        Location::Header => None,
        Location::Query { expires_secs } => Some(expires_secs),
    };
    crate::time::check(&claim.timestamp, expires_secs, now)?;

    let payload_hash = effective_payload_hash(parts, &claim.signed_headers, payload_sha256_hex);
    let canonical = canonical_request(
        parts,
        &claim.signed_headers,
        claim.location != Location::Header,
        &payload_hash,
        profile.path,
    );
    let string_to_sign = string_to_sign(claim.timestamp.iso.as_str(), &claim.scope(), &canonical);
    let expected = signature(
        &key.secret_access_key,
        claim.timestamp.secs,
        &claim.scope_region,
        &claim.scope_service,
        &string_to_sign,
    );
    if !constant_time_eq(expected.as_bytes(), claim.signature.as_bytes()) {
        return Err(AuthFailure::Mismatch {
            canonical_request: String::from_utf8_lossy(&canonical).into_owned(),
            string_to_sign,
        });
    }
    Ok(Caller {
        access_key_id: key.access_key_id.clone(),
        arn: key.arn.clone(),
        account_id: key.account_id.clone(),
    })
}

/// The payload hash that goes in the canonical request.
///
/// A signed `x-amz-content-sha256` header is used as is, except that a hex
/// digest there which is not the body's is replaced by the body's, so that a
/// body changed in transit fails the signature.
fn effective_payload_hash(
    parts: &Parts,
    signed_headers: &[String],
    body_sha256_hex: &str,
) -> String {
    let body = body_sha256_hex.trim().to_ascii_lowercase();
    if !signed_headers
        .iter()
        .any(|name| name == HEADER_CONTENT_SHA256)
    {
        return body;
    }
    let Some(declared) = header_value(parts, HEADER_CONTENT_SHA256) else {
        return body;
    };
    let declared = declared.trim();
    if declared.eq_ignore_ascii_case(&body) {
        declared.to_owned()
    } else if declared.len() == 64 && declared.bytes().all(|b| b.is_ascii_hexdigit()) {
        body
    } else {
        declared.to_owned()
    }
}

/// Step 5: the canonical request of a received request, as bytes (header values need not
/// be UTF-8).
pub(crate) fn canonical_request(
    parts: &Parts,
    signed_headers: &[String],
    presigned: bool,
    payload_hash: &str,
    path: PathEncoding,
) -> Vec<u8> {
    CanonicalRequest {
        method: parts.method.as_str(),
        uri: &canonical_uri(parts.uri.path(), path),
        query: parts.uri.query(),
        presigned,
        headers: &parts.headers,
        signed_headers,
        host: parts.uri.authority().map(|a| a.as_str()),
        payload_hash,
        trimmed: b" \t",
    }
    .to_bytes()
}
