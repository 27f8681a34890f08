//! The signature a request claims: found in an `Authorization` header or a presigned URL's
//! `X-Amz-*` query parameters, parsed and checked for form (steps 1 and 2 of
//! [`crate::verify()`]'s flow).

use std::fmt::Write as _;

use http::header::{AUTHORIZATION, DATE};
use http::request::Parts;

use crate::encoding::query_param;
use crate::failure::AuthFailure;
use crate::time::{parse_request_date, Timestamp, MAX_EXPIRES_SECS};
use crate::verify::Profile;
use crate::{ALGORITHM, TERMINATOR};

pub(crate) const HEADER_SECURITY_TOKEN: &str = "x-amz-security-token";
pub(crate) const HEADER_DATE: &str = "x-amz-date";
pub(crate) const HEADER_CONTENT_SHA256: &str = "x-amz-content-sha256";

const PARAM_ALGORITHM: &str = "X-Amz-Algorithm";
const PARAM_CREDENTIAL: &str = "X-Amz-Credential";
const PARAM_DATE: &str = "X-Amz-Date";
const PARAM_EXPIRES: &str = "X-Amz-Expires";
const PARAM_SIGNED_HEADERS: &str = "X-Amz-SignedHeaders";
pub(crate) const PARAM_SIGNATURE: &str = "X-Amz-Signature";
const PARAM_SECURITY_TOKEN: &str = "X-Amz-Security-Token";

/// Whether the request carries any SigV4 authentication (header or query):
/// an `Authorization` header or an `X-Amz-Signature` query parameter.
/// Exactly the requests for which [`crate::verify()`] does not answer
/// [`AuthFailure::Missing`].
pub fn is_signed(parts: &Parts) -> bool {
    parts.headers.contains_key(AUTHORIZATION)
        || query_param(parts.uri.query(), PARAM_SIGNATURE).is_some()
}

/// Where the signature travelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Location {
    Header,
    Query { expires_secs: u64 },
}

/// The signature and what it claims, as parsed from the request.
#[derive(Debug)]
pub(crate) struct SignatureClaim {
    pub(crate) location: Location,
    pub(crate) access_key_id: String,
    pub(crate) scope_date: String,
    pub(crate) scope_region: String,
    pub(crate) scope_service: String,
    pub(crate) signed_headers: Vec<String>,
    pub(crate) signature: String,
    pub(crate) timestamp: Timestamp,
    pub(crate) security_token: Option<String>,
}

impl SignatureClaim {
    /// `{date}/{region}/{service}/aws4_request`.
    pub(crate) fn scope(&self) -> String {
        format!(
            "{}/{}/{}/{TERMINATOR}",
            self.scope_date, self.scope_region, self.scope_service
        )
    }
}

/// Steps 1 and 2 of the flow: find, parse and sanity-check the signature.
pub(crate) fn parse_claim(
    parts: &Parts,
    profile: &Profile<'_>,
) -> Result<SignatureClaim, AuthFailure> {
    let raw = if let Some(header) = parts.headers.get(AUTHORIZATION) {
        raw_from_header(&String::from_utf8_lossy(header.as_bytes()), parts)?
    } else if query_param(parts.uri.query(), PARAM_SIGNATURE).is_some() {
        raw_from_query(parts)?
    } else {
        return Err(AuthFailure::Missing);
    };

    let elements: Vec<&str> = raw.credential.split('/').collect();
    let [access_key_id, scope_date, scope_region, scope_service, terminator] = elements[..] else {
        return Err(AuthFailure::Incomplete(format!(
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{}'",
            raw.credential
        )));
    };
    let mut scope_errors = String::new();
    if scope_region != profile.region {
        let _ = write!(
            scope_errors,
            "Credential should be scoped to a valid region, not '{scope_region}'. "
        );
    }
    if scope_service != profile.service {
        let _ = write!(
            scope_errors,
            "Credential should be scoped to correct service: '{}'. ",
            profile.service
        );
    }
    if terminator != TERMINATOR {
        let _ = write!(scope_errors, "Credential should be scoped with a valid terminator: '{TERMINATOR}', not '{terminator}'. ");
    }
    if !scope_errors.is_empty() {
        return Err(AuthFailure::Incomplete(scope_errors));
    }

    let timestamp = parse_request_date(&raw.date).ok_or_else(|| {
        AuthFailure::Incomplete(format!(
            "Date must be in ISO-8601 'basic format'. Got '{}'. See http://en.wikipedia.org/wiki/ISO_8601",
            raw.date
        ))
    })?;
    let request_day = timestamp.iso.date();
    if scope_date != request_day {
        return Err(AuthFailure::Incomplete(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{scope_date}' != '{request_day}', from '{}'.",
            timestamp.iso.as_str()
        )));
    }

    let signed_headers: Vec<String> = raw
        .signed_headers
        .split(';')
        .map(|name| name.trim().to_ascii_lowercase())
        .collect();
    if !signed_headers.iter().any(|name| name == "host") {
        return Err(AuthFailure::Incomplete(
            "'Host' must be a 'SignedHeader' in the AWS Authorization.".to_owned(),
        ));
    }

    Ok(SignatureClaim {
        location: raw.location,
        access_key_id: access_key_id.to_owned(),
        scope_date: scope_date.to_owned(),
        scope_region: scope_region.to_owned(),
        scope_service: scope_service.to_owned(),
        signed_headers,
        signature: raw.signature,
        timestamp,
        security_token: raw.security_token,
    })
}

/// The signature's parts as found, before any checking.
#[derive(Debug)]
struct RawClaim {
    location: Location,
    credential: String,
    signed_headers: String,
    signature: String,
    /// The request date as sent (X-Amz-Date, else Date).
    date: String,
    security_token: Option<String>,
}

/// Parses `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`.
fn raw_from_header(header: &str, parts: &Parts) -> Result<RawClaim, AuthFailure> {
    let header = header.trim();
    let (algorithm, rest) = header
        .split_once(|c: char| c.is_ascii_whitespace())
        .unwrap_or((header, ""));

    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for token in rest
        .split(|c: char| c == ',' || c.is_ascii_whitespace())
        .filter(|token| !token.is_empty())
    {
        let Some((name, value)) = token.split_once('=') else {
            return Err(AuthFailure::Incomplete(format!(
                "'{token}' not a valid key=value pair (missing equal-sign) in Authorization header: '{header}'."
            )));
        };
        let slot = match name {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            _ => continue,
        };
        // A repeated parameter is refused rather than resolved either way: with two
        // `Signature=` tokens, which one was checked would be the verifier's choice, not the
        // signer's ([I]: AWS's answer to duplicates is not recorded; PARITY.md).
        if slot.is_some() {
            return Err(AuthFailure::Incomplete(format!(
                "Authorization header has a duplicate '{name}' parameter. Authorization={header}"
            )));
        }
        *slot = Some(value.to_owned());
    }

    let date = header_value(parts, HEADER_DATE).or_else(|| header_value(parts, DATE.as_str()));

    let mut missing = String::new();
    if credential.is_none() {
        missing.push_str("Authorization header requires 'Credential' parameter. ");
    }
    if signature.is_none() {
        missing.push_str("Authorization header requires 'Signature' parameter. ");
    }
    if signed_headers.is_none() {
        missing.push_str("Authorization header requires 'SignedHeaders' parameter. ");
    }
    if date.is_none() {
        missing.push_str(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ",
        );
    }
    let (Some(credential), Some(signed_headers), Some(signature), Some(date)) =
        (credential, signed_headers, signature, date)
    else {
        missing.push_str("Authorization=");
        missing.push_str(header);
        return Err(AuthFailure::Incomplete(missing));
    };
    if algorithm != ALGORITHM {
        return Err(AuthFailure::Incomplete(format!(
            "Unsupported AWS 'algorithm': '{algorithm}'. Only '{ALGORITHM}' is supported."
        )));
    }
    Ok(RawClaim {
        location: Location::Header,
        credential,
        signed_headers,
        signature,
        date,
        security_token: header_value(parts, HEADER_SECURITY_TOKEN),
    })
}

/// Reads the `X-Amz-*` parameters of a presigned URL.
fn raw_from_query(parts: &Parts) -> Result<RawClaim, AuthFailure> {
    let query = parts.uri.query();
    let get = |name: &str| query_param(query, name).map(|value| value.into_owned());
    let algorithm = get(PARAM_ALGORITHM);
    let credential = get(PARAM_CREDENTIAL);
    let signature = get(PARAM_SIGNATURE);
    let date = get(PARAM_DATE);
    let signed_headers = get(PARAM_SIGNED_HEADERS);
    let expires = get(PARAM_EXPIRES);

    let mut missing = String::new();
    for (name, value) in [
        (PARAM_ALGORITHM, &algorithm),
        (PARAM_CREDENTIAL, &credential),
        (PARAM_SIGNATURE, &signature),
        (PARAM_DATE, &date),
        (PARAM_SIGNED_HEADERS, &signed_headers),
        (PARAM_EXPIRES, &expires),
    ] {
        if value.is_none() {
            let _ = write!(
                missing,
                "AWS query-string parameters must include '{name}'. "
            );
        }
    }
    let (
        Some(algorithm),
        Some(credential),
        Some(signature),
        Some(date),
        Some(signed_headers),
        Some(expires),
    ) = (
        algorithm,
        credential,
        signature,
        date,
        signed_headers,
        expires,
    )
    else {
        missing.push_str("Re-examine the query-string parameters.");
        return Err(AuthFailure::Incomplete(missing));
    };
    if algorithm != ALGORITHM {
        return Err(AuthFailure::Incomplete(format!(
            "X-Amz-Algorithm only supports \"{ALGORITHM}\""
        )));
    }
    let expires_secs: u64 = match expires.parse::<i64>() {
        Ok(secs) if secs < 0 => {
            return Err(AuthFailure::Incomplete(
                "X-Amz-Expires must be non-negative".to_owned(),
            ))
        }
        Ok(secs) => secs.unsigned_abs(),
        Err(_) => {
            return Err(AuthFailure::Incomplete(
                "X-Amz-Expires should be a number".to_owned(),
            ))
        }
    };
    if expires_secs > MAX_EXPIRES_SECS {
        return Err(AuthFailure::Incomplete(format!(
            "X-Amz-Expires must be less than a week (in seconds) that is {MAX_EXPIRES_SECS}"
        )));
    }
    Ok(RawClaim {
        location: Location::Query { expires_secs },
        credential,
        signed_headers,
        signature,
        date,
        security_token: get(PARAM_SECURITY_TOKEN)
            .or_else(|| header_value(parts, HEADER_SECURITY_TOKEN)),
    })
}

/// The first value of header `name`, lossily as text.
pub(crate) fn header_value(parts: &Parts, name: &str) -> Option<String> {
    parts
        .headers
        .get(name)
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
}
