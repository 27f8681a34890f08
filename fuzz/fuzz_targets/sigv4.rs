//! Fuzzes SigV4 claim parsing and canonicalisation (`apigate-sigv4`) with arbitrary
//! requests: the input is read as a request head (`METHOD TARGET` line, then `name: value`
//! header lines; what `http` refuses is skipped) and verified — header-signed, presigned and
//! unsigned, for execute-api with double path encoding and for S3 as sent — and its
//! canonical request is built with every header name it carries signed. The input is also
//! read as a shared-credentials file. Nothing may panic (debug build: arithmetic overflow
//! panics too), and verification must refuse (the signature cannot be right by chance).
#![no_main]

use apigate_sigv4::canonical::canonical_uri;
use apigate_sigv4::{
    is_signed, verify, verify_for, AuthFailure, CallerKey, CallerKeys, CanonicalRequest,
    PathEncoding, Profile,
};
use libfuzzer_sys::fuzz_target;
use std::time::{Duration, UNIX_EPOCH};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = CallerKeys::parse_shared_credentials(&text);

    let mut lines = data.split(|b| *b == b'\n');
    let Some(request_line) = lines.next() else {
        return;
    };
    let request_line = String::from_utf8_lossy(request_line);
    let mut words = request_line.trim_end_matches('\r').split(' ');
    let (Some(method), Some(target)) = (words.next(), words.next()) else {
        return;
    };
    let mut builder = http::Request::builder().method(method).uri(target);
    for line in lines {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Some(colon) = line.iter().position(|b| *b == b':') else {
            continue;
        };
        let (name, value) = line.split_at(colon);
        let value = value.get(1..).unwrap_or_default();
        let value = value.strip_prefix(b" ").unwrap_or(value);
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name),
            http::HeaderValue::from_bytes(value),
        ) {
            builder = builder.header(name, value);
        }
    }
    let Ok(request) = builder.body(()) else {
        return;
    };
    let (parts, ()) = request.into_parts();

    let mut keys = CallerKeys::default();
    keys.insert(CallerKey {
        access_key_id: "AKIDEXAMPLE".to_owned(),
        secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".to_owned(),
        session_token: None,
        arn: "arn:aws:iam::123456789012:user/fuzz".to_owned(),
        account_id: "123456789012".to_owned(),
    });
    let signed = is_signed(&parts);
    for now in [0, 1_440_938_160, 1_714_558_830, u64::from(u32::MAX) * 1_000] {
        let now = UNIX_EPOCH + Duration::from_secs(now);
        let result = verify(&parts, "", &keys, "us-east-1", now);
        assert!(result.is_err());
        assert_eq!(signed, result != Err(AuthFailure::Missing));
        let s3 = Profile {
            region: "us-east-1",
            service: "s3",
            path: PathEncoding::AsSent,
        };
        assert!(verify_for(&parts, "UNSIGNED-PAYLOAD", &keys, &s3, now).is_err());
    }

    let mut names: Vec<&str> = parts.headers.keys().map(|n| n.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    for encoding in [PathEncoding::Double, PathEncoding::AsSent] {
        for presigned in [false, true] {
            let _ = CanonicalRequest {
                method: parts.method.as_str(),
                uri: &canonical_uri(parts.uri.path(), encoding),
                query: parts.uri.query(),
                presigned,
                headers: &parts.headers,
                signed_headers: &names,
                host: parts.uri.authority().map(|a| a.as_str()),
                payload_hash: "",
                trimmed: b" \t",
            }
            .to_bytes();
        }
    }
});
