//! AWS Signature Version 4 verification for methods secured with `AWS_IAM`.
//!
//! API Gateway requires callers of an `AWS_IAM` method to sign the request with
//! SigV4 for the service `execute-api` in the API's region. This module is the
//! gateway's side of that exchange: it recomputes the signature the caller
//! should have produced and compares it with the one it was given.
//!
//! # Flow of [`verify`]
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

use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::header::{AUTHORIZATION, DATE, HOST};
use http::request::Parts;
use http::HeaderMap;
use sha2::{Digest, Sha256};

/// Hex SHA-256 of the empty body.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// The only signing algorithm SigV4 defines for HMAC.
const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The service name API Gateway signs for.
const EXECUTE_API: &str = "execute-api";
/// The fixed last element of a credential scope.
const TERMINATOR: &str = "aws4_request";
/// How far a header-signed request's date may be from now, either way.
const MAX_SKEW_SECS: u64 = 5 * 60;
/// The longest a presigned URL may live (seven days), as AWS enforces.
const MAX_EXPIRES_SECS: u64 = 7 * 24 * 60 * 60;
/// The account of a shared-credentials profile that names none.
const DEFAULT_ACCOUNT_ID: &str = "000000000000";

const MISMATCH_MESSAGE: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

const HEADER_SECURITY_TOKEN: &str = "x-amz-security-token";
const HEADER_DATE: &str = "x-amz-date";
const HEADER_CONTENT_SHA256: &str = "x-amz-content-sha256";

const PARAM_ALGORITHM: &str = "X-Amz-Algorithm";
const PARAM_CREDENTIAL: &str = "X-Amz-Credential";
const PARAM_DATE: &str = "X-Amz-Date";
const PARAM_EXPIRES: &str = "X-Amz-Expires";
const PARAM_SIGNED_HEADERS: &str = "X-Amz-SignedHeaders";
const PARAM_SIGNATURE: &str = "X-Amz-Signature";
const PARAM_SECURITY_TOKEN: &str = "X-Amz-Security-Token";

// ---------------------------------------------------------------------------
// Callers
// ---------------------------------------------------------------------------

/// One accepted caller key.
///
/// `Debug` redacts the secret and the session token.
#[derive(Clone)]
pub struct CallerKey {
    /// The access key id (`AKIA…`/`ASIA…`), the first element of the credential scope.
    pub access_key_id: String,
    /// The secret the signing key is derived from.
    pub secret_access_key: String,
    /// For temporary credentials: the token the request must carry in
    /// `X-Amz-Security-Token`.
    pub session_token: Option<String>,
    /// The caller's ARN, reported to the integration as the user ARN.
    pub arn: String,
    /// The caller's 12-digit account id.
    pub account_id: String,
}

impl fmt::Debug for CallerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallerKey")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .field("arn", &self.arn)
            .field("account_id", &self.account_id)
            .finish()
    }
}

/// The keys the gateway accepts, by access key id.
#[derive(Debug, Default, Clone)]
pub struct CallerKeys {
    by_access_key_id: HashMap<String, CallerKey>,
}

impl CallerKeys {
    /// Adds `key`, replacing any key with the same access key id.
    pub fn insert(&mut self, key: CallerKey) {
        self.by_access_key_id.insert(key.access_key_id.clone(), key);
    }

    /// Whether no key is accepted.
    pub fn is_empty(&self) -> bool {
        self.by_access_key_id.is_empty()
    }

    /// How many keys are accepted.
    pub fn len(&self) -> usize {
        self.by_access_key_id.len()
    }

    /// The key with this access key id, if accepted.
    pub fn get(&self, access_key_id: &str) -> Option<&CallerKey> {
        self.by_access_key_id.get(access_key_id)
    }

    /// All accepted keys, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &CallerKey> {
        self.by_access_key_id.values()
    }

    /// Parses an AWS shared-credentials file (INI: `[profile]` sections with
    /// `aws_access_key_id`, `aws_secret_access_key`, optional
    /// `aws_session_token`; `#`/`;` comments). Each profile becomes a caller
    /// with ARN `arn:aws:iam::{account}:user/{profile}`, where the account is
    /// the section's `aws_account_id` (or `account_id`) and otherwise
    /// `000000000000`. Errors name the line.
    ///
    /// Also accepted: `[profile name]` headers (the `~/.aws/config` spelling),
    /// CRLF line ends, a leading byte-order mark, case-insensitive setting
    /// names, and indented sub-settings under a setting with an empty value
    /// (ignored). Profiles holding neither key (e.g. only `region`) are
    /// skipped. When two profiles hold the same access key id the first one
    /// names the caller.
    ///
    /// # Errors
    ///
    /// `"line N: …"` for a line that is neither a header, a setting nor a
    /// comment, a setting outside any section, a profile with only one of the
    /// two keys, an empty key, an access key id that cannot appear in a
    /// credential scope, or an account id that is not 12 digits. Messages never
    /// quote the offending line, which may hold a secret.
    pub fn parse_shared_credentials(text: &str) -> Result<CallerKeys, String> {
        let sections = parse_ini(text)?;
        let mut keys = CallerKeys::default();
        for section in &sections {
            let Some(key) = section_to_key(section)? else {
                continue;
            };
            if keys.get(&key.access_key_id).is_none() {
                keys.insert(key);
            }
        }
        Ok(keys)
    }
}

/// One `[name]` section of an INI file.
struct IniSection {
    name: String,
    /// 1-based line of the section's (first) header.
    line: usize,
    /// Lower-cased setting name → (value, 1-based line).
    values: HashMap<String, (String, usize)>,
}

impl IniSection {
    fn value(&self, name: &str) -> Option<(&str, usize)> {
        self.values
            .get(name)
            .map(|(value, line)| (value.as_str(), *line))
    }
}

fn parse_ini(text: &str) -> Result<Vec<IniSection>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut sections: Vec<IniSection> = Vec::new();
    let mut current: Option<usize> = None;
    // Inside an indented block under a setting with an empty value
    // (`s3 =` followed by `  max_concurrent_requests = 4`).
    let mut in_sub_block = false;
    for (index, raw) in text.lines().enumerate() {
        let number = index + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        let indented = raw.starts_with([' ', '\t']);
        if indented && in_sub_block {
            continue;
        }
        in_sub_block = false;
        if let Some(rest) = line.strip_prefix('[') {
            let Some((inner, after)) = rest.split_once(']') else {
                return Err(format!(
                    "line {number}: section header is missing its closing `]`"
                ));
            };
            let after = after.trim();
            if !(after.is_empty() || after.starts_with('#') || after.starts_with(';')) {
                return Err(format!(
                    "line {number}: unexpected text after the section header"
                ));
            }
            let inner = inner.trim();
            let name = inner
                .strip_prefix("profile ")
                .map(str::trim)
                .unwrap_or(inner);
            if name.is_empty() {
                return Err(format!("line {number}: empty profile name"));
            }
            current = match sections.iter().position(|s| s.name == name) {
                Some(existing) => Some(existing),
                None => {
                    sections.push(IniSection {
                        name: name.to_owned(),
                        line: number,
                        values: HashMap::new(),
                    });
                    Some(sections.len().saturating_sub(1))
                }
            };
            continue;
        }
        let Some((name, value)) = line.split_once('=') else {
            // Do not echo the line: it may hold a secret.
            return Err(format!(
                "line {number}: expected a `[profile]` header or a `name = value` setting"
            ));
        };
        let name = name.trim().to_ascii_lowercase();
        if name.is_empty() {
            return Err(format!("line {number}: setting has no name"));
        }
        let Some(section) = current.and_then(|i| sections.get_mut(i)) else {
            return Err(format!(
                "line {number}: setting `{name}` is outside any [profile] section"
            ));
        };
        let value = value.trim();
        in_sub_block = value.is_empty();
        section.values.insert(name, (value.to_owned(), number));
    }
    Ok(sections)
}

fn section_to_key(section: &IniSection) -> Result<Option<CallerKey>, String> {
    let profile = &section.name;
    let id = section.value("aws_access_key_id");
    let secret = section.value("aws_secret_access_key");
    let ((id, id_line), (secret, secret_line)) = match (id, secret) {
        (None, None) => return Ok(None),
        (Some(_), None) => {
            return Err(format!(
                "line {}: profile [{profile}] has aws_access_key_id but no aws_secret_access_key",
                section.line
            ))
        }
        (None, Some(_)) => {
            return Err(format!(
                "line {}: profile [{profile}] has aws_secret_access_key but no aws_access_key_id",
                section.line
            ))
        }
        (Some(id), Some(secret)) => (id, secret),
    };
    if id.is_empty() {
        return Err(format!("line {id_line}: aws_access_key_id is empty"));
    }
    if id
        .chars()
        .any(|c| c == '/' || c == ',' || c == ';' || c == '=' || c.is_whitespace())
    {
        return Err(format!(
            "line {id_line}: aws_access_key_id contains a character that cannot appear in a SigV4 credential"
        ));
    }
    if secret.is_empty() {
        return Err(format!(
            "line {secret_line}: aws_secret_access_key is empty"
        ));
    }
    let account_id = match section
        .value("aws_account_id")
        .or_else(|| section.value("account_id"))
    {
        Some((account, line)) => {
            if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("line {line}: account id must be 12 digits"));
            }
            account.to_owned()
        }
        None => DEFAULT_ACCOUNT_ID.to_owned(),
    };
    let session_token = section
        .value("aws_session_token")
        .map(|(token, _)| token)
        .filter(|token| !token.is_empty())
        .map(str::to_owned);
    Ok(Some(CallerKey {
        access_key_id: id.to_owned(),
        secret_access_key: secret.to_owned(),
        session_token,
        arn: format!("arn:aws:iam::{account_id}:user/{profile}"),
        account_id,
    }))
}

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

// ---------------------------------------------------------------------------
// Failures
// ---------------------------------------------------------------------------

/// Why a request was refused; each maps to an API Gateway gateway response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthFailure {
    /// No Authorization header and no X-Amz-Signature query parameter → 403
    /// `MISSING_AUTHENTICATION_TOKEN` "Missing Authentication Token".
    Missing,
    /// Malformed Authorization (missing Credential/SignedHeaders/Signature, bad
    /// scope, host not signed, no date) → 403 `IncompleteSignatureException`;
    /// the String is AWS-style wording naming what is wrong.
    Incomplete(String),
    /// Unknown access key (or a session token that does not belong to it) →
    /// 403 "The security token included in the request is invalid."
    UnknownKey,
    /// Signature mismatch → 403 `InvalidSignatureException`; the message
    /// appends the canonical request and string to sign, as AWS does.
    Mismatch {
        /// The canonical request the gateway computed.
        canonical_request: String,
        /// The string to sign the gateway computed.
        string_to_sign: String,
    },
    /// Clock skew > 5 min, or presigned URL expired → 403
    /// `InvalidSignatureException` "Signature expired: …".
    Expired(String),
}

impl AuthFailure {
    /// The response body's `message`, worded as AWS words it.
    pub fn message(&self) -> String {
        match self {
            AuthFailure::Missing => "Missing Authentication Token".to_owned(),
            AuthFailure::Incomplete(message) | AuthFailure::Expired(message) => message.clone(),
            AuthFailure::UnknownKey => {
                "The security token included in the request is invalid.".to_owned()
            }
            AuthFailure::Mismatch {
                canonical_request,
                string_to_sign,
            } => format!(
                "{MISMATCH_MESSAGE}\n\nThe Canonical String for this request should have been\n'{canonical_request}'\n\nThe String-to-Sign should have been\n'{string_to_sign}'\n"
            ),
        }
    }

    /// The `x-amzn-ErrorType` AWS sends with this failure.
    pub fn error_type(&self) -> &'static str {
        match self {
            AuthFailure::Missing => "MissingAuthenticationTokenException",
            AuthFailure::Incomplete(_) => "IncompleteSignatureException",
            AuthFailure::UnknownKey => "UnrecognizedClientException",
            AuthFailure::Mismatch { .. } | AuthFailure::Expired(_) => "InvalidSignatureException",
        }
    }

    /// The HTTP status: 403 for every failure.
    pub fn status(&self) -> http::StatusCode {
        http::StatusCode::FORBIDDEN
    }
}

impl fmt::Display for AuthFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.error_type(), self.message())
    }
}

impl std::error::Error for AuthFailure {}

// ---------------------------------------------------------------------------
// Entry points
// ---------------------------------------------------------------------------

/// Verifies `parts` (method, URI with raw path+query, headers) signed for
/// `region`/`execute-api`. `payload_sha256_hex` = hex SHA-256 of the body as
/// received. `now` = current time.
///
/// # Errors
///
/// The [`AuthFailure`] that refuses the request; the module documentation
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
    verify_with(parts, payload_sha256_hex, keys, &profile, now)
}

/// Whether the request carries any SigV4 authentication (header or query):
/// an `Authorization` header or an `X-Amz-Signature` query parameter.
/// Exactly the requests for which [`verify`] does not answer
/// [`AuthFailure::Missing`].
pub fn is_signed(parts: &Parts) -> bool {
    parts.headers.contains_key(AUTHORIZATION)
        || query_param(parts.uri.query(), PARAM_SIGNATURE).is_some()
}

/// Hex SHA-256 of `bytes`, as `verify` expects the body's.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

// ---------------------------------------------------------------------------
// Core
// ---------------------------------------------------------------------------

/// How the canonical URI is derived from the path as sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PathEncoding {
    /// Every service but S3: normalise, then URI-encode the (already encoded)
    /// path again.
    Double,
    /// Normalise only; the path as sent is the canonical URI. Used for the AWS
    /// test-suite vectors, which are written for single encoding.
    #[cfg_attr(not(test), allow(dead_code))]
    AsSent,
}

/// What a request must be signed for.
#[derive(Debug, Clone, Copy)]
struct Profile<'a> {
    region: &'a str,
    service: &'a str,
    path: PathEncoding,
}

/// Where the signature travelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Location {
    Header,
    Query { expires_secs: u64 },
}

/// A point in time, as seconds since the Unix epoch and as
/// `YYYYMMDDTHHMMSSZ`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Timestamp {
    secs: u64,
    iso: String,
}

/// The signature and what it claims, as parsed from the request.
#[derive(Debug)]
struct SignatureClaim {
    location: Location,
    access_key_id: String,
    scope_date: String,
    scope_region: String,
    scope_service: String,
    signed_headers: Vec<String>,
    signature: String,
    timestamp: Timestamp,
    security_token: Option<String>,
}

impl SignatureClaim {
    fn scope(&self) -> String {
        format!(
            "{}/{}/{}/{TERMINATOR}",
            self.scope_date, self.scope_region, self.scope_service
        )
    }
}

/// [`verify`] for any service and path encoding.
fn verify_with(
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

    check_time(&claim, now)?;

    let payload_hash = effective_payload_hash(parts, &claim.signed_headers, payload_sha256_hex);
    let canonical = canonical_request(
        parts,
        &claim.signed_headers,
        claim.location != Location::Header,
        &payload_hash,
        profile.path,
    );
    let string_to_sign = string_to_sign(&claim.timestamp.iso, &claim.scope(), &canonical);
    // The parsed date is at most 9999-12-31, so this cannot overflow.
    let signing_time = UNIX_EPOCH
        .checked_add(Duration::from_secs(claim.timestamp.secs))
        .unwrap_or(UNIX_EPOCH);
    let signing_key = aws_sigv4::sign::v4::generate_signing_key(
        &key.secret_access_key,
        signing_time,
        &claim.scope_region,
        &claim.scope_service,
    );
    let expected = aws_sigv4::sign::v4::calculate_signature(signing_key, string_to_sign.as_bytes());
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

/// Steps 1 and 2 of the flow: find, parse and sanity-check the signature.
fn parse_claim(parts: &Parts, profile: &Profile<'_>) -> Result<SignatureClaim, AuthFailure> {
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
    let request_day = timestamp.iso.get(..8).unwrap_or_default();
    if scope_date != request_day {
        return Err(AuthFailure::Incomplete(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{scope_date}' != '{request_day}', from '{}'.",
            timestamp.iso
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
    let get = |name: &str| query_param(query, name);
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

/// Step 4: the request date against `now`.
fn check_time(claim: &SignatureClaim, now: SystemTime) -> Result<(), AuthFailure> {
    let now = now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let signed = claim.timestamp.secs;
    let late_bound = now.saturating_add(MAX_SKEW_SECS);
    if signed > late_bound {
        return Err(AuthFailure::Expired(format!(
            "Signature not yet current: {} is still later than {} ({} + 5 min.)",
            claim.timestamp.iso,
            format_iso(late_bound),
            format_iso(now)
        )));
    }
    match claim.location {
        Location::Header => {
            let early_bound = now.saturating_sub(MAX_SKEW_SECS);
            if signed < early_bound {
                return Err(AuthFailure::Expired(format!(
                    "Signature expired: {} is now earlier than {} ({} - 5 min.)",
                    claim.timestamp.iso,
                    format_iso(early_bound),
                    format_iso(now)
                )));
            }
        }
        Location::Query { expires_secs } => {
            let early_bound = now.saturating_sub(expires_secs);
            if signed < early_bound {
                return Err(AuthFailure::Expired(format!(
                    "Signature expired: {} is now earlier than {} ({} - {expires_secs} sec.)",
                    claim.timestamp.iso,
                    format_iso(early_bound),
                    format_iso(now)
                )));
            }
        }
    }
    Ok(())
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

/// Step 5: the canonical request, as bytes (header values need not be UTF-8).
fn canonical_request(
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

/// What a SigV4 canonical request is made of: for verifying a caller here, and for
/// signing requests to S3 (`integrations::signer`).
pub(crate) struct CanonicalRequest<'a, S> {
    pub method: &'a str,
    /// The canonical URI, already derived from the path as the service wants it.
    pub uri: &'a str,
    /// The raw query; it is canonicalised here.
    pub query: Option<&'a str>,
    /// A presigned URL: its `X-Amz-Signature` is left out of the query.
    pub presigned: bool,
    pub headers: &'a HeaderMap,
    /// Lower-case names, sorted.
    pub signed_headers: &'a [S],
    /// `host`'s value when the request has no `Host` header (the URI authority).
    pub host: Option<&'a str>,
    pub payload_hash: &'a str,
    /// The bytes trimmed from both ends of header values (inner runs of spaces are
    /// collapsed to one either way).
    pub trimmed: &'a [u8],
}

impl<S: AsRef<str>> CanonicalRequest<'_, S> {
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(512);
        for line in [
            self.method,
            self.uri,
            &canonical_query(self.query, self.presigned),
        ] {
            out.extend_from_slice(line.as_bytes());
            out.push(b'\n');
        }
        for name in self.signed_headers {
            let name = name.as_ref();
            out.extend_from_slice(name.as_bytes());
            out.push(b':');
            let mut values = self.headers.get_all(name).iter().peekable();
            if values.peek().is_none() && name == HOST.as_str() {
                if let Some(host) = self.host {
                    push_trimmed_value(&mut out, host.as_bytes(), self.trimmed);
                }
            }
            for (index, value) in values.enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                push_trimmed_value(&mut out, value.as_bytes(), self.trimmed);
            }
            out.push(b'\n');
        }
        out.push(b'\n');
        for (index, name) in self.signed_headers.iter().enumerate() {
            if index > 0 {
                out.push(b';');
            }
            out.extend_from_slice(name.as_ref().as_bytes());
        }
        out.push(b'\n');
        out.extend_from_slice(self.payload_hash.as_bytes());
        out
    }
}

/// `AWS4-HMAC-SHA256\n{date}\n{scope}\n{hex sha256(canonical request)}`.
pub(crate) fn string_to_sign(iso_date: &str, scope: &str, canonical_request: &[u8]) -> String {
    format!(
        "{ALGORITHM}\n{iso_date}\n{scope}\n{}",
        sha256_hex(canonical_request)
    )
}

/// Appends `value` with the `trimmed` bytes removed from both ends and inner runs of
/// spaces collapsed to one.
fn push_trimmed_value(out: &mut Vec<u8>, value: &[u8], trimmed: &[u8]) {
    let start = value
        .iter()
        .position(|b| !trimmed.contains(b))
        .unwrap_or(value.len());
    let end = value
        .iter()
        .rposition(|b| !trimmed.contains(b))
        .map_or(start, |last| last + 1);
    let mut previous_space = false;
    for &byte in value.get(start..end).unwrap_or_default() {
        if byte != b' ' || !previous_space {
            out.push(byte);
        }
        previous_space = byte == b' ';
    }
}

/// The canonical URI of `path` (the raw, still percent-encoded path).
fn canonical_uri(path: &str, encoding: PathEncoding) -> String {
    let normalized = normalize_path(path);
    match encoding {
        PathEncoding::Double => {
            let mut out = String::with_capacity(normalized.len() + 16);
            uri_encode(normalized.as_bytes(), true, &mut out);
            out
        }
        PathEncoding::AsSent => normalized,
    }
}

/// Removes `.` and `..` segments and empty segments (so `//` collapses),
/// keeping a trailing slash; empty → `/` (RFC 3986 §5.2.4, as `aws-sigv4`'s
/// default `UriPathNormalizationMode::Enabled` does). Works on the encoded
/// path, so `%2E%2E` is not a `..` segment.
fn normalize_path(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    let mut out = String::with_capacity(path.len() + 1);
    out.push('/');
    out.push_str(&segments.join("/"));
    let trailing_slash = path.ends_with('/') || path.ends_with("/.") || path.ends_with("/..");
    if trailing_slash && !out.ends_with('/') {
        out.push('/');
    }
    out
}

/// The canonical query string: form-decoded pairs, re-encoded, sorted.
fn canonical_query(query: Option<&str>, presigned: bool) -> String {
    let mut pairs: Vec<(String, String)> = query_pairs(query.unwrap_or_default())
        .filter(|(name, _)| !(presigned && name == PARAM_SIGNATURE))
        .map(|(name, value)| {
            let mut encoded_name = String::with_capacity(name.len());
            uri_encode(name.as_bytes(), false, &mut encoded_name);
            let mut encoded_value = String::with_capacity(value.len());
            uri_encode(value.as_bytes(), false, &mut encoded_value);
            (encoded_name, encoded_value)
        })
        .collect();
    pairs.sort();
    let mut out = String::new();
    for (index, (name, value)) in pairs.iter().enumerate() {
        if index > 0 {
            out.push('&');
        }
        out.push_str(name);
        out.push('=');
        out.push_str(value);
    }
    out
}

/// `application/x-www-form-urlencoded` parsing of a raw query, as the
/// `aws-sigv4` signer reads it: empty pieces skipped, `+` is a space,
/// `%XX` decoded (malformed escapes kept literally), invalid UTF-8 replaced.
fn query_pairs(query: &str) -> impl Iterator<Item = (String, String)> + '_ {
    query
        .split('&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
            (form_decode(name), form_decode(value))
        })
}

/// The first value of query parameter `name` (compared after decoding).
fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    query_pairs(query?)
        .find(|(candidate, _)| candidate == name)
        .map(|(_, value)| value)
}

fn form_decode(input: &str) -> String {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        match byte {
            b'+' => out.push(b' '),
            b'%' => {
                let high = bytes.get(index + 1).and_then(|b| hex_value(*b));
                let low = bytes.get(index + 2).and_then(|b| hex_value(*b));
                if let (Some(high), Some(low)) = (high, low) {
                    out.push(high << 4 | low);
                    index += 3;
                    continue;
                }
                out.push(b'%');
            }
            other => out.push(other),
        }
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

/// URI-encodes `input` with AWS's rules: `A-Za-z0-9-_.~` (and `/` when
/// `keep_slash`) as is, every other byte as `%XX` with upper-case hex.
fn uri_encode(input: &[u8], keep_slash: bool, out: &mut String) {
    for &byte in input {
        if byte.is_ascii_alphanumeric()
            || matches!(byte, b'-' | b'_' | b'.' | b'~')
            || (keep_slash && byte == b'/')
        {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(hex_digit(byte >> 4));
            out.push(hex_digit(byte & 0x0f));
        }
    }
}

fn hex_digit(nibble: u8) -> char {
    match nibble {
        0..=9 => char::from(b'0' + nibble),
        _ => char::from(b'A' + (nibble - 10)),
    }
}

/// The first value of header `name`, lossily as text.
fn header_value(parts: &Parts, name: &str) -> Option<String> {
    parts
        .headers
        .get(name)
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let difference = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(difference) == 0
}

// ---------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------

/// Parses the request date: `YYYYMMDDTHHMMSSZ`, or (from a `Date` header) an
/// IMF-fixdate such as `Sun, 30 Aug 2015 12:36:00 GMT`, which is then signed
/// in the ISO form.
fn parse_request_date(value: &str) -> Option<Timestamp> {
    let value = value.trim();
    let secs = parse_iso_basic(value).or_else(|| parse_http_date(value))?;
    Some(Timestamp {
        secs,
        iso: format_iso(secs),
    })
}

fn parse_iso_basic(value: &str) -> Option<u64> {
    let bytes = value.as_bytes();
    if bytes.len() != 16 || bytes.get(8) != Some(&b'T') || bytes.get(15) != Some(&b'Z') {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        let digits = value.get(range)?;
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok()
    };
    to_epoch(
        number(0..4)?,
        number(4..6)?,
        number(6..8)?,
        number(9..11)?,
        number(11..13)?,
        number(13..15)?,
    )
}

fn parse_http_date(value: &str) -> Option<u64> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mut fields = value.split_ascii_whitespace();
    let weekday = fields.next()?;
    let day = fields.next()?;
    let month = fields.next()?;
    let year = fields.next()?;
    let time = fields.next()?;
    if fields.next()? != "GMT" || fields.next().is_some() || !weekday.ends_with(',') {
        return None;
    }
    let digits = |s: &str, len: usize| -> Option<u32> {
        if s.len() == len && s.bytes().all(|b| b.is_ascii_digit()) {
            s.parse().ok()
        } else {
            None
        }
    };
    let month = MONTHS.iter().position(|m| *m == month)?;
    let month = u32::try_from(month).ok()? + 1;
    let mut clock = time.split(':');
    let hour = digits(clock.next()?, 2)?;
    let minute = digits(clock.next()?, 2)?;
    let second = digits(clock.next()?, 2)?;
    if clock.next().is_some() {
        return None;
    }
    to_epoch(
        digits(year, 4)?,
        month,
        digits(day, 2)?,
        hour,
        minute,
        second,
    )
}

fn to_epoch(year: u32, month: u32, day: u32, hour: u32, minute: u32, second: u32) -> Option<u64> {
    if year < 1970 || !(1..=12).contains(&month) || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let leap = (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
    let month_days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if day == 0 || day > month_days {
        return None;
    }
    let days = days_from_civil(i64::from(year), month, day);
    let secs = days * 86_400 + i64::from(hour * 3600 + minute * 60 + second);
    u64::try_from(secs).ok()
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let month_from_march = i64::from((month + 9) % 12);
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// `YYYYMMDDTHHMMSSZ` of `secs` since the epoch.
fn format_iso(secs: u64) -> String {
    let days = i64::try_from(secs / 86_400).unwrap_or(i64::MAX / 2);
    let rest = secs % 86_400;
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_credential_types::Credentials;
    use aws_sigv4::http_request::{
        sign, PayloadChecksumKind, SignableBody, SignableRequest, SignatureLocation, SigningParams,
        SigningSettings,
    };
    use aws_sigv4::sign::v4;
    use http::HeaderValue;

    const AKID: &str = "AKIDEXAMPLE";
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    const REGION: &str = "us-east-1";
    const API_HOST: &str = "abc123defg.execute-api.us-east-1.amazonaws.com";
    const ACCOUNT: &str = "123456789012";
    /// 2024-05-01T10:20:30Z.
    const T0: u64 = 1_714_558_830;
    const T0_ISO: &str = "20240501T102030Z";
    /// 2015-08-30T12:36:00Z, the date of AWS's published examples.
    const SUITE_SECS: u64 = 1_440_938_160;
    const SUITE_DATE: &str = "20150830T123600Z";

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn caller_key(id: &str, secret: &str, token: Option<&str>) -> CallerKey {
        CallerKey {
            access_key_id: id.to_owned(),
            secret_access_key: secret.to_owned(),
            session_token: token.map(str::to_owned),
            arn: format!("arn:aws:iam::{ACCOUNT}:user/{id}"),
            account_id: ACCOUNT.to_owned(),
        }
    }

    fn keys_of(list: Vec<CallerKey>) -> CallerKeys {
        let mut keys = CallerKeys::default();
        for key in list {
            keys.insert(key);
        }
        keys
    }

    fn default_keys() -> CallerKeys {
        keys_of(vec![caller_key(AKID, SECRET, None)])
    }

    fn caller(id: &str) -> Caller {
        Caller {
            access_key_id: id.to_owned(),
            arn: format!("arn:aws:iam::{ACCOUNT}:user/{id}"),
            account_id: ACCOUNT.to_owned(),
        }
    }

    /// Verifies as the gateway does, with the default keys.
    fn check(parts: &Parts, body: &[u8], now: u64) -> Result<Caller, AuthFailure> {
        verify(parts, &sha256_hex(body), &default_keys(), REGION, at(now))
    }

    /// A request as a client builds it, before signing.
    struct Spec<'a> {
        method: &'a str,
        path_and_query: &'a str,
        headers: Vec<(&'a str, &'a str)>,
        body: &'a [u8],
        token: Option<&'a str>,
        presign: Option<u64>,
        checksum_header: bool,
        unsigned_payload: bool,
        region: &'a str,
        service: &'a str,
        time: u64,
    }

    fn spec<'a>(method: &'a str, path_and_query: &'a str) -> Spec<'a> {
        Spec {
            method,
            path_and_query,
            headers: Vec::new(),
            body: b"",
            token: None,
            presign: None,
            checksum_header: false,
            unsigned_payload: false,
            region: REGION,
            service: EXECUTE_API,
            time: T0,
        }
    }

    /// Signs `spec` with the `aws-sigv4` crate (default settings for a non-S3
    /// service) and returns the request as the gateway's HTTP/1.1 server sees
    /// it: origin-form URI, `Host` header.
    fn aws_signed(spec: &Spec<'_>) -> Parts {
        let url = format!("https://{API_HOST}{}", spec.path_and_query);
        let credentials =
            Credentials::new(AKID, SECRET, spec.token.map(str::to_owned), None, "test");
        let identity = credentials.into();
        let mut settings = SigningSettings::default();
        if let Some(expires) = spec.presign {
            settings.signature_location = SignatureLocation::QueryParams;
            settings.expires_in = Some(Duration::from_secs(expires));
        }
        if spec.checksum_header {
            settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        }
        let params: SigningParams<'_> = v4::SigningParams::builder()
            .identity(&identity)
            .region(spec.region)
            .name(spec.service)
            .time(at(spec.time))
            .settings(settings)
            .build()
            .unwrap()
            .into();
        let body = if spec.unsigned_payload {
            SignableBody::UnsignedPayload
        } else {
            SignableBody::Bytes(spec.body)
        };
        let signable =
            SignableRequest::new(spec.method, url.clone(), spec.headers.iter().copied(), body)
                .unwrap();
        let (instructions, _signature) = sign(signable, &params).unwrap().into_parts();
        let mut builder = http::Request::builder().method(spec.method).uri(&url);
        for (name, value) in &spec.headers {
            builder = builder.header(*name, *value);
        }
        let mut request = builder.body(()).unwrap();
        instructions.apply_to_request_http1x(&mut request);
        server_view(request.into_parts().0)
    }

    fn server_view(mut parts: Parts) -> Parts {
        if let Some(authority) = parts.uri.authority().cloned() {
            if !parts.headers.contains_key(HOST) {
                parts
                    .headers
                    .insert(HOST, HeaderValue::from_str(authority.as_str()).unwrap());
            }
        }
        let path_and_query = parts
            .uri
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |pq| pq.as_str().to_owned());
        parts.uri = path_and_query.parse().unwrap();
        parts
    }

    /// A copy of `parts` with `edit` applied to a request builder holding it.
    fn edited(
        parts: &Parts,
        edit: impl FnOnce(http::request::Builder) -> http::request::Builder,
    ) -> Parts {
        let mut builder = http::Request::builder()
            .method(parts.method.clone())
            .uri(parts.uri.clone());
        for (name, value) in &parts.headers {
            builder = builder.header(name, value);
        }
        edit(builder).body(()).unwrap().into_parts().0
    }

    fn with_uri(parts: &Parts, uri: &str) -> Parts {
        edited(parts, |b| b.uri(uri))
    }

    fn with_header(parts: &Parts, name: &str, value: &str) -> Parts {
        let mut copy = edited(parts, |b| b);
        copy.headers.insert(
            http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
        copy
    }

    fn without_header(parts: &Parts, name: &str) -> Parts {
        let mut copy = edited(parts, |b| b);
        copy.headers.remove(name);
        copy
    }

    fn request(method: &str, uri: &str, headers: &[(&str, &str)]) -> Parts {
        let mut builder = http::Request::builder().method(method).uri(uri);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(()).unwrap().into_parts().0
    }

    fn incomplete(result: Result<Caller, AuthFailure>) -> String {
        match result {
            Err(AuthFailure::Incomplete(message)) => message,
            other => panic!("expected Incomplete, got {other:?}"),
        }
    }

    fn expired(result: Result<Caller, AuthFailure>) -> String {
        match result {
            Err(AuthFailure::Expired(message)) => message,
            other => panic!("expected Expired, got {other:?}"),
        }
    }

    fn mismatch(result: Result<Caller, AuthFailure>) -> (String, String) {
        match result {
            Err(AuthFailure::Mismatch {
                canonical_request,
                string_to_sign,
            }) => (canonical_request, string_to_sign),
            other => panic!("expected Mismatch, got {other:?}"),
        }
    }

    // -- round trips against the aws-sigv4 signer ---------------------------

    #[test]
    fn round_trip_methods() {
        for method in ["GET", "PUT", "HEAD", "DELETE", "POST", "PATCH", "OPTIONS"] {
            let body: &[u8] = if matches!(method, "PUT" | "POST" | "PATCH") {
                br#"{"name":"rex","age":3}"#
            } else {
                b""
            };
            let mut s = spec(method, "/prod/pets/42");
            s.body = body;
            if !body.is_empty() {
                s.headers = vec![("content-type", "application/json")];
            }
            let parts = aws_signed(&s);
            assert_eq!(check(&parts, body, T0 + 30), Ok(caller(AKID)), "{method}");
        }
    }

    #[test]
    fn round_trip_paths() {
        for path in [
            "",
            "/",
            "/prod",
            "/prod/",
            "/prod/files/a%2Fb",
            "/prod/files/a%2Fb%2Fc/d",
            "/prod/my%20file.txt",
            "/prod/%E2%9C%93/caf%C3%A9",
            "/prod/%F0%9F%A6%80/%E1%88%B4",
            "/prod/proxy/a/b/c/d/e/f/g/h/i/j/k.json",
            "/prod/%7Bproxy%2B%7D",
            "/prod/{proxy+}",
            "/prod/a/./b/../c",
            "/prod/a/b/..",
            "//prod//double//slashes//",
            "/prod/colon:semi;comma,at@bang!dollar$",
            "/prod/~user/_x-y.z",
            "/prod/%25percent",
            "/prod/a+b",
            "/prod/%2e%2e/x",
            "/prod/%2F%2F",
        ] {
            let parts = aws_signed(&spec("GET", path));
            assert_eq!(check(&parts, b"", T0), Ok(caller(AKID)), "path {path:?}");
        }
    }

    #[test]
    fn round_trip_queries() {
        for query in [
            "/prod?tag=b&tag=a&tag=b",
            "/prod?empty=&flag",
            "/prod?q=a+b",
            "/prod?q=a%2Bb",
            "/prod?q=a%20b",
            "/prod?q=%21%40%23%24%25%5E%26%2A%28%29",
            "/prod?q=!*'()",
            "/prod?%E2%9C%93=%C3%A9&caf%C3%A9=1",
            "/prod?Z=1&a=2&B=3&_=4&~=5",
            "/prod?a=1&&b=2&",
            "/prod?x=%zz&y=%4",
            "/prod?redirect=https%3A%2F%2Fexample.com%2Fa%3Fb%3Dc",
            "/prod?list=1,2,3&semi=a;b&colon=a:b",
            "/prod?a=1&a=1&a=",
            "/prod?=novalue&===",
            "/prod/items/{id}?sort=-created&page[size]=10",
        ] {
            let parts = aws_signed(&spec("GET", query));
            assert_eq!(check(&parts, b"", T0), Ok(caller(AKID)), "query {query:?}");
        }
    }

    #[test]
    fn round_trip_body_hash_and_extra_headers() {
        let body = b"{\"order\":[1,2,3],\"note\":\"caf\xc3\xa9\"}";
        let mut s = spec("POST", "/prod/orders?dryRun=true");
        s.body = body;
        s.headers = vec![
            ("content-type", "application/json; charset=utf-8"),
            ("x-custom", "  spaced    out   value  "),
            ("x-multi", "one"),
            ("x-multi", "two"),
            ("accept", "application/json"),
        ];
        let parts = aws_signed(&s);
        assert_eq!(check(&parts, body, T0), Ok(caller(AKID)));
        // The body hash is part of the signature.
        assert!(matches!(
            check(&parts, b"{}", T0),
            Err(AuthFailure::Mismatch { .. })
        ));
    }

    #[test]
    fn round_trip_signed_content_sha256_header() {
        let body = b"payload bytes";
        let mut s = spec("PUT", "/prod/blob");
        s.body = body;
        s.checksum_header = true;
        let parts = aws_signed(&s);
        assert_eq!(
            parts.headers.get(HEADER_CONTENT_SHA256).unwrap(),
            sha256_hex(body).as_str()
        );
        assert_eq!(check(&parts, body, T0), Ok(caller(AKID)));
        // A body changed in transit fails even though the header is signed.
        let (canonical, _) = mismatch(check(&parts, b"payload bytez", T0));
        assert!(canonical.ends_with(&sha256_hex(b"payload bytez")));

        // UNSIGNED-PAYLOAD in a signed header is honoured as AWS does.
        let mut s = spec("PUT", "/prod/blob");
        s.checksum_header = true;
        s.unsigned_payload = true;
        let parts = aws_signed(&s);
        assert_eq!(
            parts.headers.get(HEADER_CONTENT_SHA256).unwrap(),
            "UNSIGNED-PAYLOAD"
        );
        assert_eq!(check(&parts, b"anything", T0), Ok(caller(AKID)));
    }

    #[test]
    fn round_trip_session_credentials() {
        let token = "IQoJb3JpZ2luX2VjEJ//////////wEaCXVzLWVhc3QtMSJHMEUCIQ+token/==";
        let keys = keys_of(vec![caller_key(AKID, SECRET, Some(token))]);
        let mut s = spec("GET", "/prod/whoami");
        s.token = Some(token);
        let parts = aws_signed(&s);
        assert_eq!(parts.headers.get(HEADER_SECURITY_TOKEN).unwrap(), token);
        assert_eq!(
            verify(&parts, EMPTY_SHA256, &keys, REGION, at(T0)),
            Ok(caller(AKID))
        );
        // Presigned, the token travels in the query.
        s.presign = Some(900);
        let parts = aws_signed(&s);
        assert!(parts.uri.query().unwrap().contains("X-Amz-Security-Token="));
        assert_eq!(
            verify(&parts, EMPTY_SHA256, &keys, REGION, at(T0 + 600)),
            Ok(caller(AKID))
        );
    }

    #[test]
    fn round_trip_presigned() {
        for path in [
            "/prod/report.csv",
            "/prod/report.csv?format=csv&columns=a,b",
            "/prod/files/a%2Fb?x=1+2",
        ] {
            let mut s = spec("GET", path);
            s.presign = Some(300);
            let parts = aws_signed(&s);
            assert!(parts.headers.get(AUTHORIZATION).is_none());
            assert!(is_signed(&parts));
            assert_eq!(check(&parts, b"", T0 + 299), Ok(caller(AKID)), "{path}");
        }
    }

    #[test]
    fn round_trip_other_region() {
        let mut s = spec("GET", "/prod/pets");
        s.region = "eu-west-1";
        let parts = aws_signed(&s);
        assert_eq!(
            verify(&parts, EMPTY_SHA256, &default_keys(), "eu-west-1", at(T0)),
            Ok(caller(AKID))
        );
    }

    /// The signer used above reproduces AWS's published signatures, so the
    /// round trips test against an independent, correct implementation.
    #[test]
    fn reference_signer_reproduces_published_vectors() {
        let credentials = Credentials::new(AKID, SECRET, None, None, "test");
        let identity = credentials.into();
        let params: SigningParams<'_> = v4::SigningParams::builder()
            .identity(&identity)
            .region("us-east-1")
            .name("service")
            .time(at(SUITE_SECS))
            .settings(SigningSettings::default())
            .build()
            .unwrap()
            .into();
        for (url, expected) in [
            (
                "https://example.amazonaws.com/",
                "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
            ),
            (
                "https://example.amazonaws.com/?Param2=value2&Param1=value1",
                "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
            ),
        ] {
            let signable =
                SignableRequest::new("GET", url, std::iter::empty(), SignableBody::Bytes(b""))
                    .unwrap();
            let (_, signature) = sign(signable, &params).unwrap().into_parts();
            assert_eq!(signature, expected, "{url}");
        }
    }

    // -- AWS's published examples ------------------------------------------

    /// The worked example of AWS's SigV4 documentation (IAM ListUsers).
    #[test]
    fn aws_documentation_example_iam_list_users() {
        let signature = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7";
        let parts = request(
            "GET",
            "/?Action=ListUsers&Version=2010-05-08",
            &[
                ("host", "iam.amazonaws.com"),
                (
                    "content-type",
                    "application/x-www-form-urlencoded; charset=utf-8",
                ),
                ("x-amz-date", SUITE_DATE),
                (
                    "authorization",
                    &format!(
                        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature={signature}"
                    ),
                ),
            ],
        );
        let profile = Profile {
            region: "us-east-1",
            service: "iam",
            path: PathEncoding::Double,
        };
        assert_eq!(
            verify_with(
                &parts,
                EMPTY_SHA256,
                &default_keys(),
                &profile,
                at(SUITE_SECS)
            ),
            Ok(caller(AKID))
        );

        let claim = parse_claim(&parts, &profile).unwrap();
        let canonical = canonical_request(
            &parts,
            &claim.signed_headers,
            false,
            EMPTY_SHA256,
            PathEncoding::Double,
        );
        let canonical = String::from_utf8(canonical).unwrap();
        let lines: Vec<&str> = canonical.split('\n').collect();
        assert_eq!(
            lines,
            [
                "GET",
                "/",
                "Action=ListUsers&Version=2010-05-08",
                "content-type:application/x-www-form-urlencoded; charset=utf-8",
                "host:iam.amazonaws.com",
                "x-amz-date:20150830T123600Z",
                "",
                "content-type;host;x-amz-date",
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            ]
        );
        let canonical_hash = "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59";
        assert_eq!(sha256_hex(canonical.as_bytes()), canonical_hash);

        let sts = string_to_sign(&claim.timestamp.iso, &claim.scope(), canonical.as_bytes());
        let lines: Vec<&str> = sts.split('\n').collect();
        assert_eq!(
            lines,
            [
                "AWS4-HMAC-SHA256",
                "20150830T123600Z",
                "20150830/us-east-1/iam/aws4_request",
                canonical_hash,
            ]
        );
        let key = v4::generate_signing_key(SECRET, at(SUITE_SECS), "us-east-1", "iam");
        assert_eq!(
            hex::encode(key.as_ref()),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
        );
        assert_eq!(v4::calculate_signature(key, sts.as_bytes()), signature);

        // With the wrong secret, the failure reports exactly these strings.
        let wrong = keys_of(vec![caller_key(AKID, "not-the-secret", None)]);
        let (reported_canonical, reported_sts) = mismatch(verify_with(
            &parts,
            EMPTY_SHA256,
            &wrong,
            &profile,
            at(SUITE_SECS),
        ));
        assert_eq!(reported_canonical, canonical);
        assert_eq!(reported_sts, sts);
    }

    struct Vector {
        name: &'static str,
        method: &'static str,
        target: &'static str,
        headers: &'static [(&'static str, &'static str)],
        body: &'static [u8],
        signed_headers: &'static str,
        signature: &'static str,
        token: Option<&'static str>,
    }

    const GET_VANILLA: &str = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";

    /// Cases of AWS's SigV4 test suite (aws-sig-v4-test-suite, and the
    /// aws-c-auth edition of it), signed for `service` in us-east-1 at
    /// 20150830T123600Z with the example key.
    const VECTORS: &[Vector] = &[
        Vector {
            name: "get-vanilla",
            method: "GET",
            target: "/",
            headers: &[],
            body: b"",
            signed_headers: "host;x-amz-date",
            signature: GET_VANILLA,
            token: None,
        },
        Vector {
            name: "get-vanilla-query-order-key-case",
            method: "GET",
            target: "/?Param2=value2&Param1=value1",
            headers: &[],
            body: b"",
            signed_headers: "host;x-amz-date",
            signature: "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
            token: None,
        },
        Vector {
            name: "get-vanilla-empty-query-key",
            method: "GET",
            target: "/?Param1=value1",
            headers: &[],
            body: b"",
            signed_headers: "host;x-amz-date",
            signature: "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb",
            token: None,
        },
        Vector {
            name: "get-vanilla-query-unreserved",
            method: "GET",
            target: "/?-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
            headers: &[],
            body: b"",
            signed_headers: "host;x-amz-date",
            signature: "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197",
            token: None,
        },
        Vector {
            name: "get-header-key-duplicate",
            method: "GET",
            target: "/",
            headers: &[
                ("my-header1", "value2"),
                ("my-header1", "value2"),
                ("my-header1", "value1"),
            ],
            body: b"",
            signed_headers: "host;my-header1;x-amz-date",
            signature: "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea",
            token: None,
        },
        Vector {
            name: "post-vanilla",
            method: "POST",
            target: "/",
            headers: &[],
            body: b"",
            signed_headers: "host;x-amz-date",
            signature: "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
            token: None,
        },
        Vector {
            name: "post-vanilla-query",
            method: "POST",
            target: "/?Param1=value1",
            headers: &[],
            body: b"",
            signed_headers: "host;x-amz-date",
            signature: "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11",
            token: None,
        },
        Vector {
            name: "post-x-www-form-urlencoded",
            method: "POST",
            target: "/",
            headers: &[("content-type", "application/x-www-form-urlencoded")],
            body: b"Param1=value1",
            signed_headers: "content-type;host;x-amz-date",
            signature: "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a",
            token: None,
        },
        Vector {
            name: "post-x-www-form-urlencoded (aws-c-auth, signed body hash header)",
            method: "POST",
            target: "/",
            headers: &[
                ("content-type", "application/x-www-form-urlencoded"),
                ("content-length", "13"),
                (
                    "x-amz-content-sha256",
                    "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
                ),
            ],
            body: b"Param1=value1",
            signed_headers: "content-length;content-type;host;x-amz-content-sha256;x-amz-date",
            signature: "d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b",
            token: None,
        },
        Vector {
            name: "get-vanilla-with-session-token",
            method: "GET",
            target: "/",
            headers: &[(
                "x-amz-security-token",
                "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267",
            )],
            body: b"",
            signed_headers: "host;x-amz-date;x-amz-security-token",
            signature: "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8",
            token: Some("6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"),
        },
        Vector {
            name: "normalize-path/get-relative",
            method: "GET",
            target: "/example/..",
            headers: &[],
            body: b"",
            signed_headers: "host;x-amz-date",
            signature: GET_VANILLA,
            token: None,
        },
        Vector {
            name: "normalize-path/get-relative-relative",
            method: "GET",
            target: "/example1/example2/../..",
            headers: &[],
            body: b"",
            signed_headers: "host;x-amz-date",
            signature: GET_VANILLA,
            token: None,
        },
        Vector {
            name: "normalize-path/get-slash",
            method: "GET",
            target: "//",
            headers: &[],
            body: b"",
            signed_headers: "host;x-amz-date",
            signature: GET_VANILLA,
            token: None,
        },
        Vector {
            name: "normalize-path/get-slash-dot-slash",
            method: "GET",
            target: "/./",
            headers: &[],
            body: b"",
            signed_headers: "host;x-amz-date",
            signature: GET_VANILLA,
            token: None,
        },
    ];

    /// The suite's vectors whose path needs single encoding (the suite is
    /// written for it): checked with [`PathEncoding::AsSent`].
    const SINGLE_ENCODING_VECTORS: &[Vector] = &[
        Vector {
            name: "get-utf8",
            method: "GET",
            target: "/%E1%88%B4",
            headers: &[],
            body: b"",
            signed_headers: "host;x-amz-date",
            signature: "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85",
            token: None,
        },
        Vector {
            name: "normalize-path/get-space",
            method: "GET",
            target: "/example%20space/",
            headers: &[],
            body: b"",
            signed_headers: "host;x-amz-date",
            signature: "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741",
            token: None,
        },
    ];

    fn vector_request(vector: &Vector) -> Parts {
        let authorization = format!(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders={}, Signature={}",
            vector.signed_headers, vector.signature
        );
        let mut headers = vec![
            ("host", "example.amazonaws.com"),
            ("x-amz-date", SUITE_DATE),
        ];
        headers.extend_from_slice(vector.headers);
        headers.push(("authorization", &authorization));
        request(vector.method, vector.target, &headers)
    }

    fn verify_vector(vector: &Vector, path: PathEncoding) -> Result<Caller, AuthFailure> {
        let keys = keys_of(vec![caller_key(AKID, SECRET, vector.token)]);
        let profile = Profile {
            region: "us-east-1",
            service: "service",
            path,
        };
        verify_with(
            &vector_request(vector),
            &sha256_hex(vector.body),
            &keys,
            &profile,
            at(SUITE_SECS),
        )
    }

    #[test]
    fn aws_test_suite_vectors() {
        for vector in VECTORS {
            for path in [PathEncoding::Double, PathEncoding::AsSent] {
                assert_eq!(
                    verify_vector(vector, path),
                    Ok(caller(AKID)),
                    "{} ({path:?})",
                    vector.name
                );
            }
        }
        for vector in SINGLE_ENCODING_VECTORS {
            assert_eq!(
                verify_vector(vector, PathEncoding::AsSent),
                Ok(caller(AKID)),
                "{}",
                vector.name
            );
            // API Gateway encodes twice, so the single-encoded signature fails.
            let (canonical, _) = mismatch(verify_vector(vector, PathEncoding::Double));
            assert!(canonical.contains("%25"), "{}", vector.name);
        }
    }

    #[test]
    fn aws_test_suite_canonical_requests() {
        let vector = VECTORS
            .iter()
            .find(|v| v.name == "get-header-key-duplicate")
            .unwrap();
        let parts = vector_request(vector);
        let signed: Vec<String> = vector
            .signed_headers
            .split(';')
            .map(str::to_owned)
            .collect();
        let canonical =
            canonical_request(&parts, &signed, false, EMPTY_SHA256, PathEncoding::Double);
        assert_eq!(
            String::from_utf8(canonical).unwrap(),
            "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value2,value2,value1\nx-amz-date:20150830T123600Z\n\nhost;my-header1;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );

        let vector = VECTORS
            .iter()
            .find(|v| v.name == "get-vanilla-query-order-key-case")
            .unwrap();
        let parts = vector_request(vector);
        let signed = vec!["host".to_owned(), "x-amz-date".to_owned()];
        let canonical =
            canonical_request(&parts, &signed, false, EMPTY_SHA256, PathEncoding::Double);
        let sts = string_to_sign(
            SUITE_DATE,
            "20150830/us-east-1/service/aws4_request",
            &canonical,
        );
        assert_eq!(
            sts,
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0"
        );
    }

    // -- curl --aws-sigv4 --------------------------------------------------

    /// Parses a raw HTTP/1.1 request as captured on the wire.
    fn parse_raw(raw: &str) -> (Parts, Vec<u8>) {
        let (head, body) = raw.split_once("\r\n\r\n").unwrap();
        let mut lines = head.split("\r\n");
        let mut request_line = lines.next().unwrap().split(' ');
        let method = request_line.next().unwrap();
        let target = request_line.next().unwrap();
        let mut builder = http::Request::builder().method(method).uri(target);
        for line in lines {
            let (name, value) = line.split_once(": ").unwrap();
            builder = builder.header(name, value);
        }
        (
            builder.body(()).unwrap().into_parts().0,
            body.as_bytes().to_vec(),
        )
    }

    /// 20261125T091356Z, when the requests below were captured.
    const CURL_SECS: u64 = 1_795_598_036;

    const CURL_GET: &str = "GET /prod/pets?limit=2&type=dog HTTP/1.1\r\nHost: 127.0.0.1:18097\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261125/us-east-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=92a6c5e9c2bd8ad022d0fe9377de25b0fa75944776ab2c4e54befdba9d48580c\r\nX-Amz-Date: 20261125T091356Z\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n";
    const CURL_POST_JSON: &str = "POST /prod/pets HTTP/1.1\r\nHost: 127.0.0.1:18097\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261125/us-east-1/execute-api/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=514ca7dd70209ff0db64e403eb8e5b71c81c9cf80cd99fc60cd3f5e15b770299\r\nX-Amz-Date: 20261125T091356Z\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\nContent-Type: application/json\r\nContent-Length: 27\r\n\r\n{\"name\":\"rex\",\"type\":\"dog\"}";
    const CURL_POST_FORM: &str = "POST /prod/form HTTP/1.1\r\nHost: 127.0.0.1:18097\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261125/us-east-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=e94dac351699f426c2cb028121021885ef4d655eb454272c49095ed47a25875f\r\nX-Amz-Date: 20261125T091356Z\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\nContent-Length: 7\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\na=1&b=2";
    const CURL_DELETE: &str = "DELETE /prod/pets/42 HTTP/1.1\r\nHost: 127.0.0.1:18097\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261125/us-east-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=619f2d4c16850cebffb9edeab8b75ce898ccdcce5b5bda8d7b5db1e85fc3cb01\r\nX-Amz-Date: 20261125T091356Z\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n";
    const CURL_TOKEN: &str = "GET /prod/whoami HTTP/1.1\r\nHost: 127.0.0.1:18097\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261125/us-east-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=8cb647616971362292691f2b4180e810236211f7d23a9d450256dad10fc1de77\r\nX-Amz-Date: 20261125T091356Z\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\nX-Amz-Security-Token: FQoGZXIvYXdzEXAMPLETOKEN\r\n\r\n";
    const CURL_UNSORTED_QUERY: &str = "GET /prod/pets?type=dog&limit=2 HTTP/1.1\r\nHost: 127.0.0.1:18097\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261125/us-east-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=1d03ce22d7da7fdec28dfaffc2029f76e1d51231d529a3257c2c89e5d438d996\r\nX-Amz-Date: 20261125T091356Z\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n";
    const CURL_ENCODED_PATH: &str = "GET /prod/files/a%2Fb HTTP/1.1\r\nHost: 127.0.0.1:18097\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261125/us-east-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=13ca3b5d309c3180f070b1b2e86a620d3aef34b7d363aab7235bb32425f360b7\r\nX-Amz-Date: 20261125T091356Z\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n";

    /// Requests exactly as `curl 7.88.1 --aws-sigv4 "aws:amz:us-east-1:execute-api"
    /// --user AKIDEXAMPLE:wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY` sent them.
    #[test]
    fn curl_signed_requests_verify() {
        for raw in [CURL_GET, CURL_POST_JSON, CURL_POST_FORM, CURL_DELETE] {
            let (parts, body) = parse_raw(raw);
            assert!(is_signed(&parts));
            assert_eq!(
                check(&parts, &body, CURL_SECS + 2),
                Ok(caller(AKID)),
                "{raw}"
            );
        }
        let (parts, body) = parse_raw(CURL_TOKEN);
        let keys = keys_of(vec![caller_key(
            AKID,
            SECRET,
            Some("FQoGZXIvYXdzEXAMPLETOKEN"),
        )]);
        assert_eq!(
            verify(&parts, &sha256_hex(&body), &keys, REGION, at(CURL_SECS)),
            Ok(caller(AKID))
        );
    }

    /// curl 7.88 neither sorts the query nor encodes the path a second time;
    /// AWS rejects such requests, and so does the gateway.
    #[test]
    fn curl_7_88_quirks_are_rejected_like_aws() {
        let (parts, body) = parse_raw(CURL_UNSORTED_QUERY);
        let (canonical, _) = mismatch(check(&parts, &body, CURL_SECS));
        assert_eq!(canonical.split('\n').nth(2), Some("limit=2&type=dog"));

        let (parts, body) = parse_raw(CURL_ENCODED_PATH);
        let (canonical, _) = mismatch(check(&parts, &body, CURL_SECS));
        assert_eq!(canonical.split('\n').nth(1), Some("/prod/files/a%252Fb"));
        // ...because curl signed the path as sent.
        let profile = Profile {
            region: REGION,
            service: EXECUTE_API,
            path: PathEncoding::AsSent,
        };
        assert_eq!(
            verify_with(
                &parts,
                &sha256_hex(&body),
                &default_keys(),
                &profile,
                at(CURL_SECS)
            ),
            Ok(caller(AKID))
        );
    }

    // -- failures ----------------------------------------------------------

    #[test]
    fn missing_authentication() {
        let parts = request("GET", "/prod/pets", &[("host", API_HOST)]);
        assert!(!is_signed(&parts));
        assert_eq!(check(&parts, b"", T0), Err(AuthFailure::Missing));
        // Presigning parameters without a signature are not authentication.
        let parts = request(
            "GET",
            "/prod/pets?X-Amz-Credential=AKIDEXAMPLE%2F20240501%2Fus-east-1%2Fexecute-api%2Faws4_request&X-Amz-Date=20240501T102030Z",
            &[("host", API_HOST)],
        );
        assert!(!is_signed(&parts));
        assert_eq!(check(&parts, b"", T0), Err(AuthFailure::Missing));
        let failure = AuthFailure::Missing;
        assert_eq!(failure.message(), "Missing Authentication Token");
        assert_eq!(failure.error_type(), "MissingAuthenticationTokenException");
        assert_eq!(failure.status(), http::StatusCode::FORBIDDEN);
    }

    fn with_authorization(authorization: &str) -> Parts {
        request(
            "GET",
            "/prod/pets",
            &[
                ("host", API_HOST),
                ("x-amz-date", T0_ISO),
                ("authorization", authorization),
            ],
        )
    }

    const SIG: &str = "0000000000000000000000000000000000000000000000000000000000000000";

    #[test]
    fn malformed_authorization_headers() {
        let cred = "Credential=AKIDEXAMPLE/20240501/us-east-1/execute-api/aws4_request";
        let cases: Vec<(String, String)> = vec![
            (
                format!("AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-date, Signature={SIG}"),
                format!("Authorization header requires 'Credential' parameter. Authorization=AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-date, Signature={SIG}"),
            ),
            (
                format!("AWS4-HMAC-SHA256 {cred}, Signature={SIG}"),
                format!("Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256 {cred}, Signature={SIG}"),
            ),
            (
                format!("AWS4-HMAC-SHA256 {cred}, SignedHeaders=host;x-amz-date"),
                format!("Authorization header requires 'Signature' parameter. Authorization=AWS4-HMAC-SHA256 {cred}, SignedHeaders=host;x-amz-date"),
            ),
            (
                "allow".to_owned(),
                "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=allow".to_owned(),
            ),
            (
                "Basic dXNlcjpwYXNzd29yZA==".to_owned(),
                "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=Basic dXNlcjpwYXNzd29yZA==".to_owned(),
            ),
            (
                "Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig".to_owned(),
                "'eyJhbGciOiJIUzI1NiJ9.e30.sig' not a valid key=value pair (missing equal-sign) in Authorization header: 'Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig'.".to_owned(),
            ),
            (
                format!("AWS4-HMAC-SHA256 Credential= AKIDEXAMPLE/20240501/us-east-1/execute-api/aws4_request, SignedHeaders=host, Signature={SIG}"),
                format!("'AKIDEXAMPLE/20240501/us-east-1/execute-api/aws4_request' not a valid key=value pair (missing equal-sign) in Authorization header: 'AWS4-HMAC-SHA256 Credential= AKIDEXAMPLE/20240501/us-east-1/execute-api/aws4_request, SignedHeaders=host, Signature={SIG}'."),
            ),
            (
                format!("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240501/us-east-1/execute-api, SignedHeaders=host;x-amz-date, Signature={SIG}"),
                "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKIDEXAMPLE/20240501/us-east-1/execute-api'".to_owned(),
            ),
            (
                format!("AWS4-HMAC-SHA512 {cred}, SignedHeaders=host;x-amz-date, Signature={SIG}"),
                "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512'. Only 'AWS4-HMAC-SHA256' is supported.".to_owned(),
            ),
        ];
        for (authorization, expected) in cases {
            let parts = with_authorization(&authorization);
            assert!(is_signed(&parts));
            let result = check(&parts, b"", T0);
            assert_eq!(
                result.as_ref().map_err(AuthFailure::error_type),
                Err("IncompleteSignatureException")
            );
            assert_eq!(incomplete(result), expected, "{authorization}");
        }
    }

    #[test]
    fn extra_spaces_after_commas_are_tolerated() {
        let parts = aws_signed(&spec("GET", "/prod/pets"));
        let authorization = parts.headers.get(AUTHORIZATION).unwrap().to_str().unwrap();
        let spaced = authorization
            .replace(", ", " ,   ")
            .replace("AWS4-HMAC-SHA256 ", "AWS4-HMAC-SHA256   ");
        let parts = with_header(&parts, "authorization", &spaced);
        assert_eq!(check(&parts, b"", T0), Ok(caller(AKID)));
        let tight = authorization.replace(", ", ",");
        let parts = with_header(&parts, "authorization", &tight);
        assert_eq!(check(&parts, b"", T0), Ok(caller(AKID)));
    }

    #[test]
    fn missing_or_malformed_date() {
        let parts = aws_signed(&spec("GET", "/prod/pets"));
        let authorization = parts
            .headers
            .get(AUTHORIZATION)
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        let undated = without_header(&parts, "x-amz-date");
        assert_eq!(
            incomplete(check(&undated, b"", T0)),
            format!("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization={authorization}")
        );
        for bad in [
            "2024-05-01T10:20:30Z",
            "20240501T102030",
            "20240230T102030Z",
            "20240501T246030Z",
            "yesterday",
        ] {
            let parts = with_header(&parts, "x-amz-date", bad);
            assert_eq!(
                incomplete(check(&parts, b"", T0)),
                format!("Date must be in ISO-8601 'basic format'. Got '{bad}'. See http://en.wikipedia.org/wiki/ISO_8601"),
                "{bad}"
            );
        }
    }

    #[test]
    fn wrong_credential_scope() {
        let mut s = spec("GET", "/prod/pets");
        s.region = "eu-west-1";
        assert_eq!(
            incomplete(check(&aws_signed(&s), b"", T0)),
            "Credential should be scoped to a valid region, not 'eu-west-1'. "
        );
        let mut s = spec("GET", "/prod/pets");
        s.service = "lambda";
        assert_eq!(
            incomplete(check(&aws_signed(&s), b"", T0)),
            "Credential should be scoped to correct service: 'execute-api'. "
        );
        s.region = "us-west-2";
        assert_eq!(
            incomplete(check(&aws_signed(&s), b"", T0)),
            "Credential should be scoped to a valid region, not 'us-west-2'. Credential should be scoped to correct service: 'execute-api'. "
        );
        let parts = with_authorization(&format!(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240501/us-east-1/execute-api/aws5_request, SignedHeaders=host;x-amz-date, Signature={SIG}"
        ));
        assert_eq!(
            incomplete(check(&parts, b"", T0)),
            "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. "
        );
        let parts = with_authorization(&format!(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240430/us-east-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature={SIG}"
        ));
        assert_eq!(
            incomplete(check(&parts, b"", T0)),
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20240430' != '20240501', from '20240501T102030Z'."
        );
    }

    #[test]
    fn host_must_be_signed() {
        let parts = with_authorization(&format!(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240501/us-east-1/execute-api/aws4_request, SignedHeaders=x-amz-date, Signature={SIG}"
        ));
        assert_eq!(
            incomplete(check(&parts, b"", T0)),
            "'Host' must be a 'SignedHeader' in the AWS Authorization."
        );
        let parts = with_authorization(&format!(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240501/us-east-1/execute-api/aws4_request, SignedHeaders=, Signature={SIG}"
        ));
        assert_eq!(
            incomplete(check(&parts, b"", T0)),
            "'Host' must be a 'SignedHeader' in the AWS Authorization."
        );
    }

    #[test]
    fn unknown_key_and_session_tokens() {
        let parts = aws_signed(&spec("GET", "/prod/pets"));
        let others = keys_of(vec![caller_key("AKIDOTHER", SECRET, None)]);
        let result = verify(&parts, EMPTY_SHA256, &others, REGION, at(T0));
        assert_eq!(result, Err(AuthFailure::UnknownKey));
        let failure = AuthFailure::UnknownKey;
        assert_eq!(
            failure.message(),
            "The security token included in the request is invalid."
        );
        assert_eq!(failure.error_type(), "UnrecognizedClientException");
        assert_eq!(
            verify(&parts, EMPTY_SHA256, &CallerKeys::default(), REGION, at(T0)),
            Err(AuthFailure::UnknownKey)
        );

        // The key wants a token the request lacks.
        let with_token = keys_of(vec![caller_key(AKID, SECRET, Some("TOKEN"))]);
        assert_eq!(
            verify(&parts, EMPTY_SHA256, &with_token, REGION, at(T0)),
            Err(AuthFailure::UnknownKey)
        );
        // The request carries another token.
        let mut s = spec("GET", "/prod/pets");
        s.token = Some("OTHER-TOKEN");
        let tokened = aws_signed(&s);
        assert_eq!(
            verify(&tokened, EMPTY_SHA256, &with_token, REGION, at(T0)),
            Err(AuthFailure::UnknownKey)
        );
        // A long-term key refuses any token.
        assert_eq!(check(&tokened, b"", T0), Err(AuthFailure::UnknownKey));
    }

    #[test]
    fn wrong_secret_is_a_mismatch_with_aws_message() {
        let parts = aws_signed(&spec("GET", "/prod/pets?limit=2"));
        let keys = keys_of(vec![caller_key(AKID, "a-different-secret", None)]);
        let failure = verify(&parts, EMPTY_SHA256, &keys, REGION, at(T0)).unwrap_err();
        assert_eq!(failure.error_type(), "InvalidSignatureException");
        let (canonical, sts) = mismatch(Err(failure.clone()));
        assert_eq!(
            canonical,
            format!(
                "GET\n/prod/pets\nlimit=2\nhost:{API_HOST}\nx-amz-date:{T0_ISO}\n\nhost;x-amz-date\n{EMPTY_SHA256}"
            )
        );
        assert_eq!(
            sts,
            format!(
                "AWS4-HMAC-SHA256\n{T0_ISO}\n20240501/us-east-1/execute-api/aws4_request\n{}",
                sha256_hex(canonical.as_bytes())
            )
        );
        assert_eq!(
            failure.message(),
            format!(
                "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\nThe Canonical String for this request should have been\n'{canonical}'\n\nThe String-to-Sign should have been\n'{sts}'\n"
            )
        );
        assert!(failure
            .to_string()
            .starts_with("InvalidSignatureException: "));
    }

    #[test]
    fn tampering_is_a_mismatch() {
        let body = br#"{"amount":10}"#;
        let mut s = spec("POST", "/prod/pay?to=alice&currency=EUR");
        s.body = body;
        s.headers = vec![("content-type", "application/json")];
        let parts = aws_signed(&s);
        assert_eq!(check(&parts, body, T0), Ok(caller(AKID)));

        let tampered = [
            ("path", with_uri(&parts, "/prod/pay2?to=alice&currency=EUR")),
            (
                "path case",
                with_uri(&parts, "/Prod/pay?to=alice&currency=EUR"),
            ),
            (
                "query value",
                with_uri(&parts, "/prod/pay?to=mallory&currency=EUR"),
            ),
            (
                "query added",
                with_uri(&parts, "/prod/pay?to=alice&currency=EUR&x=1"),
            ),
            ("query dropped", with_uri(&parts, "/prod/pay?to=alice")),
            (
                "signed header",
                with_header(&parts, "content-type", "text/plain"),
            ),
            ("host", with_header(&parts, "host", "evil.example.com")),
            ("method", edited(&parts, |b| b.method("PUT"))),
            (
                "signature",
                with_header(&parts, "authorization", &{
                    let auth = parts.headers.get(AUTHORIZATION).unwrap().to_str().unwrap();
                    let last = auth.chars().last().unwrap();
                    let flipped = if last == '0' { '1' } else { '0' };
                    format!("{}{flipped}", &auth[..auth.len() - 1])
                }),
            ),
        ];
        for (what, parts) in tampered {
            assert!(
                matches!(check(&parts, body, T0), Err(AuthFailure::Mismatch { .. })),
                "{what}"
            );
        }
        // Body hash tampering.
        assert!(matches!(
            check(&parts, br#"{"amount":1000}"#, T0),
            Err(AuthFailure::Mismatch { .. })
        ));
        // Unsigned headers may change freely.
        let extra = with_header(&parts, "user-agent", "something/else");
        assert_eq!(check(&extra, body, T0), Ok(caller(AKID)));
    }

    #[test]
    fn clock_skew() {
        let parts = aws_signed(&spec("GET", "/prod/pets"));
        for offset in [-300_i64, -240, 0, 240, 300] {
            let now = T0.checked_add_signed(offset).unwrap();
            assert_eq!(check(&parts, b"", now), Ok(caller(AKID)), "{offset}");
        }
        let late = check(&parts, b"", T0 + 360);
        assert_eq!(
            late.as_ref().map_err(AuthFailure::error_type),
            Err("InvalidSignatureException")
        );
        assert_eq!(
            expired(late),
            "Signature expired: 20240501T102030Z is now earlier than 20240501T102130Z (20240501T102630Z - 5 min.)"
        );
        assert_eq!(
            expired(check(&parts, b"", T0 - 360)),
            "Signature not yet current: 20240501T102030Z is still later than 20240501T101930Z (20240501T101430Z + 5 min.)"
        );
        assert!(expired(check(&parts, b"", T0 + 301)).starts_with("Signature expired"));
        assert!(expired(check(&parts, b"", T0 - 301)).starts_with("Signature not yet current"));
    }

    #[test]
    fn presigned_expiry() {
        let mut s = spec("GET", "/prod/report?id=7");
        s.presign = Some(60);
        let parts = aws_signed(&s);
        assert_eq!(check(&parts, b"", T0 + 59), Ok(caller(AKID)));
        assert_eq!(check(&parts, b"", T0 + 60), Ok(caller(AKID)));
        assert_eq!(
            expired(check(&parts, b"", T0 + 61)),
            "Signature expired: 20240501T102030Z is now earlier than 20240501T102031Z (20240501T102131Z - 60 sec.)"
        );
        // Presigned for an hour: valid well past the five-minute skew...
        s.presign = Some(3600);
        let parts = aws_signed(&s);
        assert_eq!(check(&parts, b"", T0 + 1800), Ok(caller(AKID)));
        assert!(check(&parts, b"", T0 + 3601).is_err());
        // ...but not from the future.
        assert!(expired(check(&parts, b"", T0 - 360)).starts_with("Signature not yet current"));
    }

    #[test]
    fn presigned_malformed() {
        let mut s = spec("GET", "/prod/report?id=7");
        s.presign = Some(60);
        let parts = aws_signed(&s);
        let query = parts.uri.query().unwrap().to_owned();

        let without_expires: Vec<&str> = query
            .split('&')
            .filter(|p| !p.starts_with("X-Amz-Expires="))
            .collect();
        let stripped = with_uri(
            &parts,
            &format!("/prod/report?{}", without_expires.join("&")),
        );
        assert_eq!(
            incomplete(check(&stripped, b"", T0)),
            "AWS query-string parameters must include 'X-Amz-Expires'. Re-examine the query-string parameters."
        );

        let week = with_uri(
            &parts,
            &format!(
                "/prod/report?{}",
                query.replace("X-Amz-Expires=60", "X-Amz-Expires=604801")
            ),
        );
        assert_eq!(
            incomplete(check(&week, b"", T0)),
            "X-Amz-Expires must be less than a week (in seconds) that is 604800"
        );
        let nan = with_uri(
            &parts,
            &format!(
                "/prod/report?{}",
                query.replace("X-Amz-Expires=60", "X-Amz-Expires=soon")
            ),
        );
        assert_eq!(
            incomplete(check(&nan, b"", T0)),
            "X-Amz-Expires should be a number"
        );
        let negative = with_uri(
            &parts,
            &format!(
                "/prod/report?{}",
                query.replace("X-Amz-Expires=60", "X-Amz-Expires=-5")
            ),
        );
        assert_eq!(
            incomplete(check(&negative, b"", T0)),
            "X-Amz-Expires must be non-negative"
        );
        let algorithm = with_uri(
            &parts,
            &format!(
                "/prod/report?{}",
                query.replace(
                    "X-Amz-Algorithm=AWS4-HMAC-SHA256",
                    "X-Amz-Algorithm=AWS4-HMAC-SHA1"
                )
            ),
        );
        assert_eq!(
            incomplete(check(&algorithm, b"", T0)),
            "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\""
        );
        let only_signature = with_uri(&parts, &format!("/prod/report?X-Amz-Signature={SIG}"));
        assert_eq!(
            incomplete(check(&only_signature, b"", T0)),
            "AWS query-string parameters must include 'X-Amz-Algorithm'. AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string parameters must include 'X-Amz-Date'. AWS query-string parameters must include 'X-Amz-SignedHeaders'. AWS query-string parameters must include 'X-Amz-Expires'. Re-examine the query-string parameters."
        );
        // Tampering with a presigned query.
        let tampered = with_uri(
            &parts,
            &format!("/prod/report?{}", query.replace("id=7", "id=8")),
        );
        assert!(matches!(
            check(&tampered, b"", T0),
            Err(AuthFailure::Mismatch { .. })
        ));
    }

    /// The date may come from a `Date` header when there is no `X-Amz-Date`.
    /// The expected canonical requests are written out by hand and signed
    /// with the `aws-sigv4` primitives.
    #[test]
    fn date_header_fallback() {
        for (date, canonical_date) in [
            (T0_ISO, T0_ISO),
            (
                "Wed, 01 May 2024 10:20:30 GMT",
                "Wed, 01 May 2024 10:20:30 GMT",
            ),
        ] {
            let canonical = format!(
                "GET\n/prod/pets\n\ndate:{canonical_date}\nhost:{API_HOST}\n\ndate;host\n{EMPTY_SHA256}"
            );
            let sts = format!(
                "AWS4-HMAC-SHA256\n{T0_ISO}\n20240501/us-east-1/execute-api/aws4_request\n{}",
                sha256_hex(canonical.as_bytes())
            );
            let key = v4::generate_signing_key(SECRET, at(T0), REGION, EXECUTE_API);
            let signature = v4::calculate_signature(key, sts.as_bytes());
            let parts = request(
                "GET",
                "/prod/pets",
                &[
                    ("host", API_HOST),
                    ("date", date),
                    (
                        "authorization",
                        &format!("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240501/us-east-1/execute-api/aws4_request, SignedHeaders=date;host, Signature={signature}"),
                    ),
                ],
            );
            assert_eq!(check(&parts, b"", T0), Ok(caller(AKID)), "{date}");
        }
    }

    /// HTTP/2 requests carry the host as `:authority`, i.e. in the URI.
    #[test]
    fn host_from_uri_authority() {
        let parts = aws_signed(&spec("GET", "/prod/pets"));
        let mut h2 = without_header(&parts, "host");
        h2.uri = format!("https://{API_HOST}/prod/pets").parse().unwrap();
        assert_eq!(check(&h2, b"", T0), Ok(caller(AKID)));
    }

    #[test]
    fn is_signed_detection() {
        assert!(is_signed(&with_authorization("anything")));
        assert!(is_signed(&request("GET", "/p?X-Amz-Signature=abc", &[])));
        assert!(!is_signed(&request("GET", "/p?x-amz-signature=abc", &[])));
        assert!(!is_signed(&request("GET", "/p?X-Amz-Signatures=abc", &[])));
        assert!(!is_signed(&request("GET", "/p", &[("x-api-key", "k")])));
    }

    /// Hostile or odd input is refused without panicking (debug build:
    /// arithmetic overflow would panic too).
    #[test]
    fn odd_input_does_not_panic() {
        let scope = "AKIDEXAMPLE/99991231/us-east-1/execute-api/aws4_request";
        let authorizations: Vec<Vec<u8>> = vec![
            b"AWS4-HMAC-SHA256 Credential=\xff\xfe/20240501/us-east-1/execute-api/aws4_request, SignedHeaders=host, Signature=zz".to_vec(),
            format!("AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host;Bad Name;\u{fc};;, Signature={SIG}").into_bytes(),
            b"AWS4-HMAC-SHA256 Credential=////, SignedHeaders=;;;, Signature=".to_vec(),
            b"AWS4-HMAC-SHA256 ,,,,, = , ==, Credential==, Signature==".to_vec(),
            b"".to_vec(),
            vec![b'='; 10_000],
        ];
        for date in [
            "99991231T235959Z",
            "19700101T000000Z",
            "00000101T000000Z",
            "\u{1f980}",
        ] {
            for authorization in &authorizations {
                let mut parts = request(
                    "GET",
                    "/a/../../..//./%zz?%%%=&&==&+",
                    &[("host", API_HOST)],
                );
                parts.headers.insert(
                    AUTHORIZATION,
                    HeaderValue::from_bytes(authorization).unwrap(),
                );
                parts
                    .headers
                    .insert("x-amz-date", HeaderValue::from_str(date).unwrap());
                for now in [0, T0, u64::from(u32::MAX) * 100] {
                    assert!(check(&parts, b"", now).is_err());
                }
            }
        }
        let query = format!(
            "/p?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={scope}&X-Amz-Date=99991231T235959Z&X-Amz-Expires=604800&X-Amz-SignedHeaders=host&X-Amz-Signature=00"
        );
        let parts = request("GET", &query, &[("host", API_HOST)]);
        for now in [0, T0, u64::from(u32::MAX) * 1_000_000] {
            assert!(check(&parts, b"", now).is_err());
        }
        let parts = request(
            "GET",
            &query.replace(
                "X-Amz-Expires=604800",
                "X-Amz-Expires=99999999999999999999999",
            ),
            &[("host", API_HOST)],
        );
        assert_eq!(
            incomplete(check(&parts, b"", T0)),
            "X-Amz-Expires should be a number"
        );
    }

    // -- canonical form helpers ----------------------------------------------

    #[test]
    fn path_normalisation_matches_aws_sigv4() {
        for (path, expected) in [
            ("", "/"),
            ("/", "/"),
            ("//", "/"),
            ("/./", "/"),
            ("/.", "/"),
            ("/..", "/"),
            ("/../foo", "/foo"),
            ("/example/..", "/"),
            ("/example1/example2/../..", "/"),
            ("//example//", "/example/"),
            ("/./example", "/example"),
            ("/a/b/../c/./d", "/a/c/d"),
            ("/foo/bar/.", "/foo/bar/"),
            ("/foo/bar/..", "/foo/"),
            ("/foo/bar/../", "/foo/"),
            ("a/b", "/a/b"),
            ("/a/.b/..c/...", "/a/.b/..c/..."),
            ("/%2E%2E/x", "/%2E%2E/x"),
        ] {
            assert_eq!(normalize_path(path), expected, "{path:?}");
        }
    }

    #[test]
    fn canonical_uri_double_encodes() {
        for (path, expected) in [
            ("/a%2Fb", "/a%252Fb"),
            ("/%E1%88%B4", "/%25E1%2588%25B4"),
            ("/my%20file", "/my%2520file"),
            ("/{proxy+}", "/%7Bproxy%2B%7D"),
            ("/a:b@c!d$e,f;g=h", "/a%3Ab%40c%21d%24e%2Cf%3Bg%3Dh"),
            ("/-_.~AZaz09", "/-_.~AZaz09"),
        ] {
            assert_eq!(
                canonical_uri(path, PathEncoding::Double),
                expected,
                "{path}"
            );
        }
        assert_eq!(
            canonical_uri("/a%2Fb/./c", PathEncoding::AsSent),
            "/a%2Fb/c"
        );
    }

    #[test]
    fn canonical_query_rules() {
        for (query, expected) in [
            (None, ""),
            (Some(""), ""),
            (Some("b=2&a=1"), "a=1&b=2"),
            (Some("a=2&a=1&B=x"), "B=x&a=1&a=2"),
            (Some("a=x+y"), "a=x%20y"),
            (Some("a=x%20y"), "a=x%20y"),
            (Some("a=%2B"), "a=%2B"),
            (Some("flag"), "flag="),
            (Some("empty="), "empty="),
            (Some("&&a=1&"), "a=1"),
            (Some("k=%zz&j=%4"), "j=%254&k=%25zz"),
            (Some("q=%e2%9c%93"), "q=%E2%9C%93"),
            (Some("q=%7e%41"), "q=~A"),
            (Some("q=%FF"), "q=%EF%BF%BD"),
            (Some("a=1=2"), "a=1%3D2"),
            (
                Some("Param-3=Value3&Param=Value2&%E1%88%B4=Value1"),
                "%E1%88%B4=Value1&Param=Value2&Param-3=Value3",
            ),
        ] {
            assert_eq!(canonical_query(query, false), expected, "{query:?}");
        }
        assert_eq!(
            canonical_query(Some("X-Amz-Signature=abc&a=1"), true),
            "a=1"
        );
        assert_eq!(
            canonical_query(Some("X-Amz-Signature=abc&a=1"), false),
            "X-Amz-Signature=abc&a=1"
        );
    }

    #[test]
    fn header_values_are_trimmed_and_collapsed() {
        for (value, expected) in [
            ("value", "value"),
            ("  value1  ", "value1"),
            ("\"a   b   c\"", "\"a b c\""),
            ("\t a  \t b \t", "a \t b"),
            ("", ""),
            ("   ", ""),
        ] {
            let mut out = Vec::new();
            push_trimmed_value(&mut out, value.as_bytes(), b" \t");
            assert_eq!(String::from_utf8(out).unwrap(), expected, "{value:?}");
        }
    }

    #[test]
    fn dates_parse_and_format() {
        assert_eq!(parse_iso_basic(SUITE_DATE), Some(SUITE_SECS));
        assert_eq!(parse_iso_basic(T0_ISO), Some(T0));
        assert_eq!(parse_iso_basic("19700101T000000Z"), Some(0));
        assert_eq!(parse_iso_basic("20240229T235959Z"), Some(1_709_251_199));
        for bad in [
            "20230229T000000Z",
            "20241301T000000Z",
            "20240100T000000Z",
            "20240101T240000Z",
            "20240101T006000Z",
            "20240101T000060Z",
            "19691231T235959Z",
            "2024010T1000000Z",
            "20240101 000000Z",
            "+2024101T000000Z",
            "20240101T000000z",
            "",
        ] {
            assert_eq!(parse_iso_basic(bad), None, "{bad}");
        }
        assert_eq!(
            parse_http_date("Sun, 30 Aug 2015 12:36:00 GMT"),
            Some(SUITE_SECS)
        );
        assert_eq!(parse_http_date("Sun, 30 Aug 2015 12:36:00 UTC"), None);
        assert_eq!(parse_http_date("Sunday, 30-Aug-15 12:36:00 GMT"), None);
        assert_eq!(parse_http_date("Sun, 30 Aug 2015 12:36 GMT"), None);
        for secs in [
            0,
            SUITE_SECS,
            T0,
            951_782_400,
            4_107_542_399,
            253_402_300_799,
        ] {
            let iso = format_iso(secs);
            assert_eq!(parse_iso_basic(&iso), Some(secs), "{iso}");
        }
        assert_eq!(format_iso(951_782_400), "20000229T000000Z");
        assert_eq!(format_iso(253_402_300_799), "99991231T235959Z");
    }

    #[test]
    fn constant_time_comparison() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(constant_time_eq(b"", b""));
        assert_eq!(sha256_hex(b""), EMPTY_SHA256);
    }

    // -- shared credentials file ---------------------------------------------

    #[test]
    fn parses_shared_credentials() {
        let text = "\u{feff}# AWS credentials\n; another comment\n[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key=secret/default+key\n\n[profile dev]\r\nAWS_ACCESS_KEY_ID = ASIADEV\r\naws_secret_access_key = devsecret\r\naws_session_token = tok==\r\naws_account_id = 111122223333\r\n[region-only]\nregion = eu-west-1\ns3 =\n  max_concurrent_requests = 10\n  multipart_threshold = 64MB\n[ci] # the CI user\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = other\naccount_id = 444455556666\n[legacy]\n  aws_access_key_id = AKIDLEGACY\n  aws_secret_access_key = legacy\n  account_id = 555566667777\n";
        let keys = CallerKeys::parse_shared_credentials(text).unwrap();
        assert_eq!(keys.len(), 3);
        assert!(!keys.is_empty());
        let default = keys.get("AKIDDEFAULT").unwrap();
        assert_eq!(default.secret_access_key, "secret/default+key");
        assert_eq!(default.session_token, None);
        assert_eq!(default.account_id, "000000000000");
        assert_eq!(default.arn, "arn:aws:iam::000000000000:user/default");
        let dev = keys.get("ASIADEV").unwrap();
        assert_eq!(dev.secret_access_key, "devsecret");
        assert_eq!(dev.session_token.as_deref(), Some("tok=="));
        assert_eq!(dev.arn, "arn:aws:iam::111122223333:user/dev");
        let legacy = keys.get("AKIDLEGACY").unwrap();
        assert_eq!(legacy.arn, "arn:aws:iam::555566667777:user/legacy");
        assert_eq!(keys.iter().count(), 3);

        let empty = CallerKeys::parse_shared_credentials("").unwrap();
        assert!(empty.is_empty());
        assert_eq!(empty.len(), 0);
    }

    #[test]
    fn shared_credentials_errors_name_the_line() {
        let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
        for (text, line) in [
            ("[default]\naws_access_key_id AKID\n".to_owned(), "line 2:"),
            ("aws_access_key_id = AKID\n".to_owned(), "line 1:"),
            ("# c\n[default\n".to_owned(), "line 2:"),
            ("[default] trailing\n".to_owned(), "line 1:"),
            ("[]\n".to_owned(), "line 1:"),
            ("[a]\n = x\n".to_owned(), "line 2:"),
            ("\n[a]\naws_access_key_id = AKID\n".to_owned(), "line 2:"),
            ("[a]\naws_secret_access_key = x\n".to_owned(), "line 1:"),
            (
                "[a]\naws_access_key_id = AKID\naws_secret_access_key = x\naws_account_id = 12\n"
                    .to_owned(),
                "line 4:",
            ),
            (
                "[a]\naws_access_key_id = AK/ID\naws_secret_access_key = x\n".to_owned(),
                "line 2:",
            ),
            (
                "[a]\naws_access_key_id =\naws_secret_access_key = x\n".to_owned(),
                "line 2:",
            ),
            (
                "[a]\naws_access_key_id = AKID\naws_secret_access_key =\n".to_owned(),
                "line 3:",
            ),
            (format!("[a]\n{secret}\n"), "line 2:"),
        ] {
            let error = CallerKeys::parse_shared_credentials(&text).unwrap_err();
            assert!(error.starts_with(line), "{text:?} → {error}");
            assert!(!error.contains(secret), "{error}");
        }
    }

    #[test]
    fn debug_output_redacts_secrets() {
        let key = caller_key(AKID, SECRET, Some("SESSION-TOKEN-VALUE"));
        let keys = keys_of(vec![key.clone()]);
        for text in [format!("{key:?}"), format!("{keys:?}")] {
            assert!(text.contains(AKID), "{text}");
            assert!(!text.contains(SECRET), "{text}");
            assert!(!text.contains("SESSION-TOKEN-VALUE"), "{text}");
        }
    }

    #[test]
    fn caller_keys_insert_replaces() {
        let mut keys = CallerKeys::default();
        keys.insert(caller_key(AKID, "one", None));
        keys.insert(caller_key(AKID, "two", None));
        assert_eq!(keys.len(), 1);
        assert_eq!(keys.get(AKID).unwrap().secret_access_key, "two");
    }
}
