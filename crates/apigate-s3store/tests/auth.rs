//! SigV4 verification: the one configured key pair, header-signed and presigned requests,
//! signed, unsigned and chunked-streaming payloads.

mod common;

use std::time::Duration;

use common::{encode_key, start, Payload};

#[tokio::test]
async fn correctly_signed_request_is_accepted() {
    let t = start().await;
    let resp = t
        .client
        .send("GET", "/", &[], Vec::new(), Payload::Signed)
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text());
}

#[tokio::test]
async fn wrong_secret_is_refused_with_403() {
    let t = start().await;
    let resp = t
        .client
        .with_secret("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
        .send("GET", "/", &[], Vec::new(), Payload::Signed)
        .await;
    resp.assert_error(403, "SignatureDoesNotMatch");
    // s3s raises this one without a message; the store adds S3's.
    assert_eq!(
        resp.xml_value("Message").as_deref(),
        Some("The request signature we calculated does not match the signature you provided. Check your key and signing method.")
    );
}

#[tokio::test]
async fn unknown_access_key_is_refused_with_403() {
    let t = start().await;
    let resp = t
        .client
        .with_access_key("AKIAIOSFODNN7EXAMPLE")
        .send("GET", "/", &[], Vec::new(), Payload::Signed)
        .await;
    resp.assert_error(403, "InvalidAccessKeyId");
}

#[tokio::test]
async fn unsigned_request_is_refused_with_403() {
    let t = start().await;
    t.client.create_bucket("open").await;
    for (method, path) in [
        ("GET", "/"),
        ("GET", "/open"),
        ("PUT", "/open/k"),
        ("GET", "/open/k"),
    ] {
        let resp = t.client.send_anonymous(method, path, b"x".to_vec()).await;
        resp.assert_error(403, "AccessDenied");
    }
    // Nothing was written by the anonymous PUT.
    t.client
        .get_object("open", "k")
        .await
        .assert_error(404, "NoSuchKey");
}

#[tokio::test]
async fn unsigned_payload_put_is_accepted_and_stored_exactly() {
    let t = start().await;
    t.client.create_bucket("bkt").await;
    let body = common::pseudo_random_bytes(300_000, 7);
    let resp = t
        .client
        .send(
            "PUT",
            "/bkt/streamed.bin",
            &[("content-type", "application/x-test")],
            body.clone(),
            Payload::Unsigned,
        )
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let got = t.client.get_object("bkt", "streamed.bin").await;
    assert_eq!(got.body, body);
    assert_eq!(
        got.header("content-type").as_deref(),
        Some("application/x-test")
    );
}

#[tokio::test]
async fn body_not_matching_its_signed_sha256_is_refused_and_not_stored() {
    let t = start().await;
    t.client.create_bucket("bkt").await;
    // Sign one body, send another of the same length.
    let url = t.client.url("/bkt/k");
    let signed_for = b"good body".to_vec();
    let resp = {
        use aws_sigv4::http_request::{
            sign, PayloadChecksumKind, SignableBody, SignableRequest, SigningSettings,
        };
        let identity = aws_credential_types::Credentials::new(
            &t.client.access_key_id,
            &t.client.secret_access_key,
            None,
            None,
            "test",
        )
        .into();
        let mut settings = SigningSettings::default();
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region("us-east-1")
            .name("s3")
            .time(std::time::SystemTime::now())
            .settings(settings)
            .build()
            .unwrap()
            .into();
        let signable = SignableRequest::new(
            "PUT",
            &url,
            std::iter::empty(),
            SignableBody::Bytes(&signed_for),
        )
        .unwrap();
        let (instructions, _) = sign(signable, &params).unwrap().into_parts();
        let mut request = http::Request::builder()
            .method("PUT")
            .uri(&url)
            .body(b"evil body".to_vec())
            .unwrap();
        instructions.apply_to_request_http1x(&mut request);
        t.client.execute(request).await
    };
    resp.assert_error(400, "XAmzContentSHA256Mismatch");
    t.client
        .get_object("bkt", "k")
        .await
        .assert_error(404, "NoSuchKey");
}

#[tokio::test]
async fn chunked_streaming_signed_upload_is_accepted() {
    let t = start().await;
    t.client.create_bucket("bkt").await;
    let body = common::pseudo_random_bytes(200_000, 11);
    let resp = t
        .client
        .put_streaming("/bkt/chunked.bin", &body, 64 * 1024, false)
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(
        resp.header("etag"),
        Some(format!("\"{}\"", common::md5_hex(&body)))
    );
    let got = t.client.get_object("bkt", "chunked.bin").await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body, body);
}

#[tokio::test]
async fn tampered_chunk_is_refused_and_not_stored() {
    let t = start().await;
    t.client.create_bucket("bkt").await;
    let body = common::pseudo_random_bytes(100_000, 13);
    let resp = t
        .client
        .put_streaming("/bkt/chunked.bin", &body, 64 * 1024, true)
        .await;
    resp.assert_error(403, "SignatureDoesNotMatch");
    t.client
        .get_object("bkt", "chunked.bin")
        .await
        .assert_error(404, "NoSuchKey");
}

#[tokio::test]
async fn presigned_get_works_and_a_wrong_secret_does_not() {
    let t = start().await;
    t.client.create_bucket("bkt").await;
    t.client
        .put_object(
            "bkt",
            "dir/file name.txt",
            b"presigned!",
            Some("text/plain"),
        )
        .await;
    let path = format!("/bkt/{}", encode_key("dir/file name.txt"));

    let url = t.client.presign("GET", &path, Duration::from_secs(300));
    assert!(url.contains("X-Amz-Signature="));
    let resp = t
        .client
        .execute(http::Request::get(&url).body(Vec::new()).unwrap())
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(resp.body, b"presigned!");

    let forged =
        t.client
            .with_secret("not-the-secret")
            .presign("GET", &path, Duration::from_secs(300));
    let resp = t
        .client
        .execute(http::Request::get(&forged).body(Vec::new()).unwrap())
        .await;
    resp.assert_error(403, "SignatureDoesNotMatch");
}

#[tokio::test]
async fn presigned_put_uploads() {
    let t = start().await;
    t.client.create_bucket("bkt").await;
    let url = t
        .client
        .presign("PUT", "/bkt/up.bin", Duration::from_secs(300));
    let resp = t
        .client
        .execute(http::Request::put(&url).body(vec![0u8, 1, 2, 255]).unwrap())
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(
        t.client.get_object("bkt", "up.bin").await.body,
        vec![0u8, 1, 2, 255]
    );
}

#[tokio::test]
async fn unsigned_payload_needs_a_content_length() {
    // s3s (like MinIO) refuses UNSIGNED-PAYLOAD bodies sent chunked, without a length:
    // whoever streams bodies to the store must forward Content-Length.
    let t = start().await;
    t.client.create_bucket("bkt").await;
    let request =
        t.client
            .signed_request("PUT", "/bkt/chunked", &[], Vec::new(), Payload::Unsigned);
    let (parts, _) = request.into_parts();
    let chunks = vec![Ok::<_, std::io::Error>(bytes::Bytes::from_static(
        b"streamed without length",
    ))];
    let body = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
    let request = reqwest::Request::try_from(http::Request::from_parts(parts, body)).unwrap();
    let response = t.client.http.execute(request).await.unwrap();
    assert_eq!(response.status(), 411);
    let text = response.text().await.unwrap();
    assert!(text.contains("<Code>MissingContentLength</Code>"), "{text}");
}
