//! Compression (`x-amazon-apigateway-minimum-compression-size`, docs/SEMANTICS.md §9) through
//! the real `apigate serve` binary: compressed request bodies are decoded before they reach S3,
//! responses are compressed when the client accepts it and they are large enough.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use reqwest::{Client, StatusCode};
use std::io::{Read, Write};
use support::*;

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn text(n: usize) -> Vec<u8> {
    (0..n).map(|i| b"abcdefghij"[i % 10]).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_bodies_are_decoded_and_responses_compressed() {
    let h = start(Options::new(
        "tests/serve/compression.yaml",
        Store::Embedded,
    ))
    .await;
    let c = Client::new();
    assert_eq!(
        c.put(h.url("/bucket")).send().await.unwrap().status(),
        StatusCode::OK
    );

    let data = text(5000);
    let r = c
        .put(h.url("/objects/a"))
        .header("content-encoding", "gzip")
        .body(gzip(&data))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    // No Accept-Encoding: the stored (decoded) bytes, uncompressed.
    let r = c.get(h.url("/objects/a")).send().await.unwrap();
    assert!(r.headers().get("content-encoding").is_none());
    assert_eq!(r.bytes().await.unwrap(), data);

    // gzip accepted.
    let r = c
        .get(h.url("/objects/a"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-encoding"], "gzip");
    let packed = r.bytes().await.unwrap();
    assert!(packed.len() < data.len());
    let mut back = Vec::new();
    flate2::read::GzDecoder::new(&packed[..])
        .read_to_end(&mut back)
        .unwrap();
    assert_eq!(back, data);

    // deflate (zlib format).
    let r = c
        .get(h.url("/objects/a"))
        .header("accept-encoding", "br, deflate")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-encoding"], "deflate");
    let packed = r.bytes().await.unwrap();
    let mut back = Vec::new();
    flate2::read::ZlibDecoder::new(&packed[..])
        .read_to_end(&mut back)
        .unwrap();
    assert_eq!(back, data);

    // Under the minimum size: as is.
    let r = c
        .get(h.url("/small"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert!(r.headers().get("content-encoding").is_none());
    assert_eq!(r.text().await.unwrap(), r#"{"ok": true}"#);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsupported_or_corrupt_encodings_are_415() {
    let h = start(Options::new(
        "tests/serve/compression.yaml",
        Store::Embedded,
    ))
    .await;
    let c = Client::new();
    c.put(h.url("/bucket")).send().await.unwrap();
    for (coding, body) in [
        ("br", b"whatever".to_vec()),
        ("gzip", b"not gzip at all".to_vec()),
    ] {
        let r = c
            .put(h.url("/objects/b"))
            .header("content-encoding", coding)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "{coding}");
        assert_eq!(
            r.text().await.unwrap(),
            r#"{"message":"Unsupported Media Type"}"#
        );
    }
    // Nothing was stored. (This GET maps only `default`, so S3's 404 arrives as a 200 with
    // S3's error body — AWS's documented behaviour.)
    let r = c.get(h.url("/objects/b")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("<Code>NoSuchKey</Code>"));
}
