//! Every way a request is refused.

use super::*;

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
