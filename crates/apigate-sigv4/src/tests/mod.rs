//! Verification tests: round trips against the `aws-sigv4` signer, AWS's published
//! examples and test-suite vectors, requests signed by curl, and every failure.

mod failures;
mod published;
mod round_trip;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::canonical::PathEncoding;
use crate::claim::{parse_claim, HEADER_CONTENT_SHA256, HEADER_SECURITY_TOKEN};
use crate::verify::canonical_request;
use crate::{
    is_signed, sha256_hex, string_to_sign, verify, verify_for, AuthFailure, Caller, CallerKey,
    CallerKeys, Profile, EMPTY_SHA256, EXECUTE_API,
};
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    sign, PayloadChecksumKind, SignableBody, SignableRequest, SignatureLocation, SigningParams,
    SigningSettings,
};
use aws_sigv4::sign::v4;
use http::header::{AUTHORIZATION, HOST};
use http::request::Parts;
use http::HeaderValue;

pub(crate) const AKID: &str = "AKIDEXAMPLE";
pub(crate) const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
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

pub(crate) fn caller_key(id: &str, secret: &str, token: Option<&str>) -> CallerKey {
    CallerKey {
        access_key_id: id.to_owned(),
        secret_access_key: secret.to_owned(),
        session_token: token.map(str::to_owned),
        arn: format!("arn:aws:iam::{ACCOUNT}:user/{id}"),
        account_id: ACCOUNT.to_owned(),
    }
}

pub(crate) fn keys_of(list: Vec<CallerKey>) -> CallerKeys {
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
    let credentials = Credentials::new(AKID, SECRET, spec.token.map(str::to_owned), None, "test");
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
        SignableRequest::new(spec.method, url.clone(), spec.headers.iter().copied(), body).unwrap();
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
