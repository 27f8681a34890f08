//! AWS's published examples and test-suite vectors, and requests signed by curl.

use super::*;

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
        verify_for(
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

    let sts = string_to_sign(
        claim.timestamp.iso.as_str(),
        &claim.scope(),
        canonical.as_bytes(),
    );
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
    let (reported_canonical, reported_sts) = mismatch(verify_for(
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
    verify_for(
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
    let canonical = canonical_request(&parts, &signed, false, EMPTY_SHA256, PathEncoding::Double);
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
    let canonical = canonical_request(&parts, &signed, false, EMPTY_SHA256, PathEncoding::Double);
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
        verify_for(
            &parts,
            &sha256_hex(&body),
            &default_keys(),
            &profile,
            at(CURL_SECS)
        ),
        Ok(caller(AKID))
    );
}
