//! MyS3 end to end: the AWS tutorial "REST API as an Amazon S3 proxy" through the real
//! `apigate serve` binary on loopback, against two independent S3 implementations — the
//! embedded store (s3s) and moto's server. Every tutorial scenario runs against both.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod support;

use reqwest::{Client, Response, StatusCode};
use std::time::{Duration, SystemTime};
use support::*;

/// Runs a scenario against the embedded store and against moto.
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        mod embedded {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::Store::Embedded).await;
                }
            )*
        }
        mod moto {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::Store::Moto).await;
                }
            )*
        }
    };
}

on_both_stores!(
    tutorial_walkthrough,
    s3_errors_map_to_400,
    binary_object_round_trips_byte_exact,
    aws_sample_swagger2_walkthrough,
    aws_sample_oas30_walkthrough,
    aws_binary_image_sample_stores_the_clients_content_type,
    unknown_routes_are_missing_authentication_token,
    iam_methods_verify_the_caller_signature,
);

/// `apigate serve openapi/mys3.yaml` (AWS_IAM verified) on `store`.
async fn mys3(store: Store) -> (Harness, Client) {
    let h = start(Options::new("openapi/mys3.yaml", store)).await;
    (h, Client::new())
}

async fn call(
    client: &Client,
    h: &Harness,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Response {
    signed(
        client,
        method,
        &h.url(path),
        headers,
        body,
        CALLER_SECRET,
        SystemTime::now(),
    )
    .send()
    .await
    .unwrap()
}

/// CreateBucket with the region's LocationConstraint (S3 requires it outside us-east-1).
fn bucket_config() -> String {
    format!(
        "<CreateBucketConfiguration><LocationConstraint>{REGION}</LocationConstraint></CreateBucketConfiguration>"
    )
}

async fn create_bucket(c: &Client, h: &Harness, bucket: &str) {
    let r = call(
        c,
        h,
        "PUT",
        &format!("/S3/{bucket}"),
        &[],
        bucket_config().as_bytes(),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
}

fn has_request_id(r: &Response) {
    let id = r
        .headers()
        .get("x-amzn-requestid")
        .expect("x-amzn-RequestId on every response");
    assert_eq!(id.len(), 36, "{id:?}");
}

/// The tutorial's steps on `openapi/mys3.yaml`: list buckets, create one with a
/// CreateBucketConfiguration body, upload, list, download, HEAD, a `%2F` key, delete.
async fn tutorial_walkthrough(store: Store) {
    let (h, c) = mys3(store).await;
    let bucket = "apigate-tutorial";

    let body = bucket_config();
    let r = call(
        &c,
        &h,
        "PUT",
        &format!("/S3/{bucket}"),
        &[("content-type", "application/xml")],
        body.as_bytes(),
    )
    .await;
    has_request_id(&r);
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());

    let r = call(&c, &h, "GET", "/S3/", &[], b"").await;
    assert_eq!(r.status(), StatusCode::OK);
    has_request_id(&r);
    let ct = r.headers()["content-type"].to_str().unwrap().to_string();
    assert!(
        ct.contains("xml"),
        "S3's Content-Type is mapped through: {ct}"
    );
    let ts = r.headers()["timestamp"].to_str().unwrap().to_string();
    assert!(
        ts.ends_with(" GMT") && ts.len() == 29,
        "S3's Date as Timestamp: {ts}"
    );
    let buckets = r.text().await.unwrap();
    assert!(buckets.contains("ListAllMyBucketsResult"), "{buckets}");
    assert!(
        buckets.contains(&format!("<Name>{bucket}</Name>")),
        "{buckets}"
    );

    let r = call(
        &c,
        &h,
        "PUT",
        &format!("/S3/{bucket}/Readme.txt"),
        &[("content-type", "text/plain")],
        b"Hello, World!",
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);

    let r = call(&c, &h, "GET", &format!("/S3/{bucket}"), &[], b"").await;
    assert_eq!(r.status(), StatusCode::OK);
    let listing = r.text().await.unwrap();
    assert!(listing.contains("<Key>Readme.txt</Key>"), "{listing}");

    let r = call(&c, &h, "GET", &format!("/S3/{bucket}/Readme.txt"), &[], b"").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "text/plain");
    assert_eq!(r.text().await.unwrap(), "Hello, World!");

    let r = call(
        &c,
        &h,
        "HEAD",
        &format!("/S3/{bucket}/Readme.txt"),
        &[],
        b"",
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-length"], "13");
    assert_eq!(r.headers()["content-type"], "text/plain");

    // `test%2Ftest.txt` in {item} is the key `test/test.txt` (the tutorial's example).
    let r = call(
        &c,
        &h,
        "PUT",
        &format!("/S3/{bucket}/test%2Ftest.txt"),
        &[],
        b"nested",
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let listing = call(&c, &h, "GET", &format!("/S3/{bucket}"), &[], b"")
        .await
        .text()
        .await
        .unwrap();
    assert!(listing.contains("<Key>test/test.txt</Key>"), "{listing}");
    let r = call(
        &c,
        &h,
        "GET",
        &format!("/S3/{bucket}/test%2Ftest.txt"),
        &[],
        b"",
    )
    .await;
    assert_eq!(r.text().await.unwrap(), "nested");
    // Spaces, `+` and non-ASCII characters are key characters too.
    let r = call(
        &c,
        &h,
        "PUT",
        &format!("/S3/{bucket}/a%20b+c%E2%82%AC.txt"),
        &[],
        b"odd",
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = call(
        &c,
        &h,
        "GET",
        &format!("/S3/{bucket}/a%20b+c%E2%82%AC.txt"),
        &[],
        b"",
    )
    .await;
    assert_eq!(r.text().await.unwrap(), "odd");

    for key in ["Readme.txt", "test%2Ftest.txt", "a%20b+c%E2%82%AC.txt"] {
        let r = call(&c, &h, "DELETE", &format!("/S3/{bucket}/{key}"), &[], b"").await;
        assert_eq!(r.status(), StatusCode::OK);
    }
    let r = call(&c, &h, "GET", &format!("/S3/{bucket}/Readme.txt"), &[], b"").await;
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "deleted object is gone"
    );

    let r = call(&c, &h, "DELETE", &format!("/S3/{bucket}"), &[], b"").await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = call(&c, &h, "GET", "/S3/", &[], b"").await;
    assert!(!r.text().await.unwrap().contains(bucket));
    assert!(h.stop().success());
}

/// MyS3 maps `4\d{2}` to 400 and passes S3's XML error through; without a Content-Type mapping
/// on that response the client sees `application/json` (AWS's default).
async fn s3_errors_map_to_400(store: Store) {
    let (h, c) = mys3(store).await;
    let r = call(&c, &h, "GET", "/S3/no-such-bucket-apigate/key", &[], b"").await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(r.headers()["content-type"], "application/json");
    has_request_id(&r);
    let body = r.text().await.unwrap();
    assert!(body.contains("<Code>NoSuchBucket</Code>"), "{body}");

    create_bucket(&c, &h, "apigate-errors").await;
    let r = call(&c, &h, "GET", "/S3/apigate-errors/missing.txt", &[], b"").await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("<Code>NoSuchKey</Code>"));

    // Upload into a bucket that does not exist: S3's 404 NoSuchBucket, not a new bucket.
    let r = call(&c, &h, "PUT", "/S3/apigate-nowhere/x", &[], b"x").await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("NoSuchBucket"));

    // Deleting a bucket that still has objects: S3's 409 also becomes 400.
    call(&c, &h, "PUT", "/S3/apigate-errors/x", &[], b"x").await;
    let r = call(&c, &h, "DELETE", "/S3/apigate-errors", &[], b"").await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("BucketNotEmpty"));
    assert!(h.stop().success());
}

/// With `*/*` registered as binary every byte survives: all byte values, 5 MiB.
async fn binary_object_round_trips_byte_exact(store: Store) {
    let (h, c) = mys3(store).await;
    create_bucket(&c, &h, "apigate-binary").await;
    let data: Vec<u8> = (0..5 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let r = call(
        &c,
        &h,
        "PUT",
        "/S3/apigate-binary/blob.png",
        &[("content-type", "image/png")],
        &data,
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let r = call(
        &c,
        &h,
        "GET",
        "/S3/apigate-binary/blob.png",
        &[("accept", "image/png")],
        b"",
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "image/png");
    let back = r.bytes().await.unwrap();
    assert_eq!(back.len(), data.len());
    assert!(back == data, "bytes differ");
    assert!(h.stop().success());
}

/// AWS's Swagger 2.0 export (sigv4 security, no binary media types): the walk-through with
/// text objects.
async fn aws_sample_swagger2_walkthrough(store: Store) {
    let sample = aws_sample_path("mys3-swagger2.json");
    let h = start(Options::new(&sample, store)).await;
    let c = Client::new();
    let r = c.get(h.url("/S3/")).send().await.unwrap();
    assert_eq!(
        r.status(),
        StatusCode::FORBIDDEN,
        "the 2.0 sample requires SigV4"
    );
    text_walkthrough(&h, &c, true).await;
    assert!(h.stop().success());
}

/// AWS's OpenAPI 3.0 export has no security (see docs/SEMANTICS.md §15.1) and no binary media
/// types: text round-trips, and bytes that are not UTF-8 are replaced with U+FFFD, as API Gateway does.
async fn aws_sample_oas30_walkthrough(store: Store) {
    let sample = aws_sample_path("mys3-oas30.json");
    let h = start(Options::new(&sample, store)).await;
    let c = Client::new();
    text_walkthrough(&h, &c, false).await;
    let r = c
        .put(h.url("/S3/apigate-sample/b.bin"))
        .header("content-type", "application/octet-stream")
        .body(vec![b'a', 0xff, 0xfe, b'b'])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = c
        .get(h.url("/S3/apigate-sample/b.bin"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.text().await.unwrap(), "a\u{fffd}\u{fffd}b");
    assert!(h.stop().success());
}

/// AWS's "Access binary files in Amazon S3" sample (`s3-binary-image-oas30.json`, which maps no
/// Content-Type): an image uploaded raw is stored with the client's Content-Type, so the GET
/// with that Accept returns the raw bytes (issue 13, point 10). Without it S3 stores its own
/// default type, the payload counts as text and the binary Accept fails the GET with 500.
async fn aws_binary_image_sample_stores_the_clients_content_type(store: Store) {
    use base64::Engine as _;
    let sample = aws_sample_path("s3-binary-image-oas30.json");
    let h = start(Options::new(&sample, store)).await;
    let c = Client::new();
    // The sample has no CreateBucket route of its own: `PUT /s3?key=BUCKET` is one, and its
    // CONVERT_TO_BINARY decodes the base64 configuration before S3 sees it.
    let config = base64::engine::general_purpose::STANDARD.encode(bucket_config());
    let r = c
        .put(h.url("/v1/s3?key=binimg"))
        .header("content-type", "application/json")
        .body(config)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let image = std::fs::read(repo().join("tests/fixtures/apigate.png")).unwrap();
    let r = c
        .put(h.url("/v1/s3?key=binimg/photo.jpg"))
        .header("content-type", "image/jpeg")
        .body(image.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = c
        .get(h.url("/v1/s3?key=binimg/photo.jpg"))
        .header("accept", "image/jpeg")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.bytes().await.unwrap() == image,
        "the raw image comes back"
    );
    assert!(h.stop().success());
}

async fn text_walkthrough(h: &Harness, c: &Client, sign: bool) {
    let config = bucket_config();
    let send = |method: &'static str,
                path: String,
                headers: Vec<(&'static str, &'static str)>,
                body: Vec<u8>| {
        let url = h.url(&path);
        let rb = if sign {
            signed(
                c,
                method,
                &url,
                &headers,
                &body,
                CALLER_SECRET,
                SystemTime::now(),
            )
        } else {
            let mut rb = c.request(method.parse().unwrap(), url);
            for (k, v) in &headers {
                rb = rb.header(*k, *v);
            }
            rb.body(body)
        };
        async move { rb.send().await.unwrap() }
    };
    let r = send(
        "PUT",
        "/S3/apigate-sample".into(),
        vec![],
        config.into_bytes(),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = send(
        "PUT",
        "/S3/apigate-sample/t.txt".into(),
        vec![("content-type", "text/plain")],
        "héllo".into(),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = send("GET", "/S3/apigate-sample".into(), vec![], Vec::new()).await;
    assert!(r.text().await.unwrap().contains("<Key>t.txt</Key>"));
    let r = send("GET", "/S3/apigate-sample/t.txt".into(), vec![], Vec::new()).await;
    assert_eq!(r.headers()["content-type"], "text/plain");
    assert_eq!(r.text().await.unwrap(), "héllo");
    let r = send(
        "HEAD",
        "/S3/apigate-sample/t.txt".into(),
        vec![],
        Vec::new(),
    )
    .await;
    assert_eq!(r.headers()["content-length"], "6");
    let r = send(
        "GET",
        "/S3/apigate-sample/missing".into(),
        vec![],
        Vec::new(),
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = send("GET", "/S3/".into(), vec![], Vec::new()).await;
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("<Name>apigate-sample</Name>"));
    let r = send(
        "DELETE",
        "/S3/apigate-sample/t.txt".into(),
        vec![],
        Vec::new(),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
}

// ---------------------------------------------------------------------------------------------
// Gateway behaviour around the store (embedded store only).

async fn unknown_routes_are_missing_authentication_token(store: Store) {
    let (h, c) = mys3(store).await;
    for (method, path) in [
        ("GET", "/S3/a/b/c"),
        ("GET", "/other/a"),
        ("GET", "/"),
        ("POST", "/S3/bucket"),
        ("PATCH", "/S3"),
    ] {
        let r = call(&c, &h, method, path, &[], b"").await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{method} {path}");
        assert_eq!(
            r.headers()["x-amzn-errortype"],
            "MissingAuthenticationTokenException"
        );
        assert_eq!(r.headers()["content-type"], "application/json");
        has_request_id(&r);
        assert_eq!(
            r.text().await.unwrap(),
            r#"{"message":"Missing Authentication Token"}"#
        );
    }
    assert!(h.stop().success());
}

async fn iam_methods_verify_the_caller_signature(store: Store) {
    let (h, c) = mys3(store).await;
    // Unsigned.
    let r = c.get(h.url("/S3")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        r.headers()["x-amzn-errortype"],
        "MissingAuthenticationTokenException"
    );
    assert_eq!(
        r.text().await.unwrap(),
        r#"{"message":"Missing Authentication Token"}"#
    );
    // Wrong secret.
    let r = signed(
        &c,
        "GET",
        &h.url("/S3"),
        &[],
        b"",
        "wrong-secret",
        SystemTime::now(),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(r.headers()["x-amzn-errortype"], "InvalidSignatureException");
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("signature we calculated does not match"));
    // Clock skew beyond five minutes.
    let skewed = SystemTime::now() - Duration::from_secs(6 * 60);
    let r = signed(&c, "GET", &h.url("/S3"), &[], b"", CALLER_SECRET, skewed)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().await.unwrap().contains("Signature expired"));
    // A signed body changed on the way.
    let r = signed(
        &c,
        "PUT",
        &h.url("/S3/apigate-x/k"),
        &[],
        b"original",
        CALLER_SECRET,
        SystemTime::now(),
    )
    .body("tampered")
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // A valid signature followed by a second `Signature=`: refused, not resolved either way.
    let mut request = signed(
        &c,
        "GET",
        &h.url("/S3"),
        &[],
        b"",
        CALLER_SECRET,
        SystemTime::now(),
    )
    .build()
    .unwrap();
    let authorization = request.headers()["authorization"]
        .to_str()
        .unwrap()
        .to_string();
    request.headers_mut().insert(
        "authorization",
        format!("{authorization}, Signature={}", "0".repeat(64))
            .parse()
            .unwrap(),
    );
    let r = c.execute(request).await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        r.headers()["x-amzn-errortype"],
        "IncompleteSignatureException"
    );
    assert!(r.text().await.unwrap().contains("duplicate 'Signature'"));
    // Correctly signed.
    let r = call(&c, &h, "GET", "/S3", &[], b"").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(h.stop().success());
}

/// With a signed `x-amz-content-sha256` the body streams; a body that does not match it never
/// reaches the store.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declared_payload_hash_is_enforced_while_streaming() {
    use sha2::Digest;
    let (h, c) = mys3(Store::Embedded).await;
    create_bucket(&c, &h, "apigate-hash").await;
    let good = hex::encode(sha2::Sha256::digest(b"payload"));
    let r = call(
        &c,
        &h,
        "PUT",
        "/S3/apigate-hash/ok",
        &[("x-amz-content-sha256", &good)],
        b"payload",
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = call(&c, &h, "GET", "/S3/apigate-hash/ok", &[], b"").await;
    assert_eq!(r.text().await.unwrap(), "payload");

    // Signed over the declared hash of "payload", but the body sent differs.
    let r = signed(
        &c,
        "PUT",
        &h.url("/S3/apigate-hash/bad"),
        &[("x-amz-content-sha256", &good)],
        b"payload",
        CALLER_SECRET,
        SystemTime::now(),
    )
    .body("PAYLOAD")
    .send()
    .await
    .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::FORBIDDEN,
        "{}",
        r.text().await.unwrap()
    );
    let r = call(&c, &h, "GET", "/S3/apigate-hash/bad", &[], b"").await;
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "the object was never stored"
    );
    assert!(h.stop().success());
}

/// An upload of unknown length (chunked, no Content-Length) is buffered for S3, which needs
/// the length, within `--buffer-limit`: stored whole under it, 413 past it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chunked_uploads_are_buffered_for_s3_within_the_limit() {
    let options = Options::new("openapi/mys3.yaml", Store::Embedded)
        .arg("--no-auth")
        .arg("--buffer-limit")
        .arg("1000");
    let h = start(options).await;
    let c = Client::new();
    let r = c
        .put(h.url("/S3/apigate-chunked"))
        .body(bucket_config())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let chunked = |parts: Vec<Vec<u8>>| {
        let frames = parts
            .into_iter()
            .map(Ok::<_, std::io::Error>)
            .collect::<Vec<_>>();
        reqwest::Body::wrap_stream(futures_util::stream::iter(frames))
    };
    let r = c
        .put(h.url("/S3/apigate-chunked/small"))
        .body(chunked(vec![
            b"abc".to_vec(),
            vec![b'd'; 500],
            b"ef".to_vec(),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let r = c
        .get(h.url("/S3/apigate-chunked/small"))
        .send()
        .await
        .unwrap();
    let stored = r.bytes().await.unwrap();
    assert_eq!(stored.len(), 505);
    assert!(stored.starts_with(b"abcd") && stored.ends_with(b"def"));

    let r = c
        .put(h.url("/S3/apigate-chunked/big"))
        .body(chunked(vec![vec![b'x'; 600], vec![b'y'; 600]]))
        .send()
        .await;
    match r {
        Ok(r) => assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE),
        // The gateway may answer and close before the upload is sent.
        Err(e) => assert!(e.is_request() || e.is_body(), "{e:?}"),
    }
    let r = c
        .get(h.url("/S3/apigate-chunked/big"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "never stored");
    assert!(h.stop().success());
}

/// `credentials: arn:aws:iam::*:user/*`: the integration calls S3 with the verified caller's
/// own key (carried by the authorize stage), not the gateway's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn integration_calls_s3_with_the_callers_key() {
    let definition = "tests/serve/caller_credentials.yaml";
    let c = Client::new();
    // The store accepts the caller's key.
    let options = Options::new(definition, Store::Embedded)
        .env("AWS_ACCESS_KEY_ID", CALLER_KEY)
        .env("AWS_SECRET_ACCESS_KEY", CALLER_SECRET);
    let h = start(options).await;
    let r = call(&c, &h, "GET", "/", &[], b"").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("ListAllMyBucketsResult"));
    assert!(h.stop().success());

    // The store has a key of its own, which the gateway holds too: the caller's is refused.
    let h = start(Options::new(definition, Store::Embedded)).await;
    let r = call(&c, &h, "GET", "/", &[], b"").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(h.stop().success());

    // Without a verified caller there is no key to call with.
    let h = start(Options::new(definition, Store::Embedded).arg("--no-auth")).await;
    let r = c.get(h.url("/")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(h.stop().success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_backend_is_a_5xx_not_a_hang() {
    let mut options = Options::new("openapi/mys3.yaml", Store::Embedded).arg("--no-auth");
    options.endpoint = Some(format!("http://127.0.0.1:{}", free_port()));
    let h = start(options).await;
    let r = Client::new().get(h.url("/S3/b/k")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::GATEWAY_TIMEOUT);
    has_request_id(&r);
    assert_eq!(
        r.text().await.unwrap(),
        r#"{"message":"Internal server error"}"#
    );
    assert!(h.stop().success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backend_that_never_answers_times_out_with_504() {
    // Accepts connections and never responds.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", silent.local_addr().unwrap());
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        loop {
            let (s, _) = silent.accept().await.unwrap();
            held.push(s);
        }
    });
    let mut options = Options::new("tests/serve/timeout.yaml", Store::Embedded);
    options.endpoint = Some(endpoint);
    let h = start(options).await;
    let r = Client::new().get(h.url("/slow")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::GATEWAY_TIMEOUT);
    assert_eq!(
        r.text().await.unwrap(),
        r#"{"message":"Endpoint request timed out"}"#
    );
    assert!(h.stop().success());
    hold.abort();
}

/// SIGTERM while a download is in flight: the download completes, then the process exits 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_in_flight_requests_finish() {
    let (h, c) = mys3(Store::Embedded).await;
    create_bucket(&c, &h, "apigate-drain").await;
    // Far more than the loopback socket buffers hold, so the body is still flowing.
    let data = vec![7u8; 32 * 1024 * 1024];
    // Over the 10 MiB buffer limit: streams only with a declared payload hash. Without one the
    // gateway answers 413 as soon as the limit is passed and closes the connection, so the
    // client sees either the 413 or its unfinished upload cut off.
    let refused = signed(
        &c,
        "PUT",
        &h.url("/S3/apigate-drain/big"),
        &[],
        &data,
        CALLER_SECRET,
        SystemTime::now(),
    )
    .send()
    .await;
    match refused {
        Ok(r) => assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE),
        Err(e) => assert!(e.is_request() || e.is_body(), "{e:?}"),
    }
    let hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&data));
    let r = call(
        &c,
        &h,
        "PUT",
        "/S3/apigate-drain/big",
        &[("x-amz-content-sha256", &hash)],
        &data,
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let mut r = call(&c, &h, "GET", "/S3/apigate-drain/big", &[], b"").await;
    assert_eq!(r.status(), StatusCode::OK);
    let first = r.chunk().await.unwrap().unwrap();
    let stopping = tokio::task::spawn_blocking(move || h.stop());
    let mut received = first.len();
    while let Some(chunk) = r.chunk().await.unwrap() {
        received += chunk.len();
    }
    assert_eq!(received, data.len(), "the in-flight body was completed");
    assert!(stopping.await.unwrap().success());
}

/// Creates `bucket` and puts `count` objects with distinct bodies in it (unsigned: the
/// gateway runs with `--no-auth`); returns their keys and bodies.
async fn seed_objects(
    h: &Harness,
    c: &Client,
    bucket: &str,
    count: usize,
) -> Vec<(String, Vec<u8>)> {
    create_bucket(c, h, bucket).await;
    let mut objects = Vec::new();
    for i in 0..count {
        let key = format!("object-{i}");
        // Distinct lengths as well as contents: a response handed to the wrong request
        // fails on either.
        let body: Vec<u8> = (0..1000 + i * 37)
            .map(|n| ((n * 7 + i) % 251) as u8)
            .collect();
        let r = c
            .put(h.url(&format!("/S3/{bucket}/{key}")))
            .header("Content-Type", "application/octet-stream")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
        objects.push((key, body));
    }
    objects
}

/// Many keep-alive connections at once, each reading objects in its own order: every
/// response reaches the request it answers (responses are written in per-worker batches,
/// `server::join_the_batch`).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_connections_each_get_their_own_responses() {
    let h = start(Options::new("openapi/mys3.yaml", Store::Embedded).arg("--no-auth")).await;
    let objects = std::sync::Arc::new(seed_objects(&h, &Client::new(), "concurrent", 16).await);
    let mut tasks = tokio::task::JoinSet::new();
    for conn in 0..24 {
        let objects = objects.clone();
        let base = h.url("/S3/concurrent");
        // One client per task: its own keep-alive connection.
        let client = Client::builder().pool_max_idle_per_host(1).build().unwrap();
        tasks.spawn(async move {
            for round in 0..30 {
                let (key, body) = &objects[(conn * 5 + round * 3) % objects.len()];
                let r = client.get(format!("{base}/{key}")).send().await.unwrap();
                assert_eq!(r.status(), StatusCode::OK);
                assert_eq!(r.bytes().await.unwrap().as_ref(), body.as_slice(), "{key}");
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
}

/// HTTP/1.1 pipelining: requests written back to back on one connection are answered in
/// order, each with its own object.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelined_requests_are_answered_in_order() {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

    let h = start(Options::new("openapi/mys3.yaml", Store::Embedded).arg("--no-auth")).await;
    let objects = seed_objects(&h, &Client::new(), "pipelined", 8).await;
    let authority = h.root.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&authority).await.unwrap();
    // Twice through the objects, HEAD and GET interleaved, in a single write.
    let order: Vec<(&str, usize)> = (0..16)
        .map(|i| {
            (
                if i % 3 == 0 { "HEAD" } else { "GET" },
                (i * 5) % objects.len(),
            )
        })
        .collect();
    let mut requests = String::new();
    for (method, i) in &order {
        requests.push_str(&format!(
            "{method} /S3/pipelined/{} HTTP/1.1\r\nHost: {authority}\r\n\r\n",
            objects[*i].0
        ));
    }
    stream.write_all(requests.as_bytes()).await.unwrap();

    let mut reader = BufReader::new(stream);
    for (method, i) in &order {
        let (key, body) = &objects[*i];
        let mut status = String::new();
        reader.read_line(&mut status).await.unwrap();
        assert!(
            status.starts_with("HTTP/1.1 200"),
            "{method} {key}: {status:?}"
        );
        let mut length = None;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).await.unwrap();
            if line == "\r\n" {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = Some(value.trim().parse::<usize>().unwrap());
                }
            }
        }
        assert_eq!(length, Some(body.len()), "{method} {key}: Content-Length");
        if *method == "GET" {
            let mut got = vec![0u8; body.len()];
            reader.read_exact(&mut got).await.unwrap();
            assert_eq!(&got, body, "{method} {key}: body");
        }
    }
}
