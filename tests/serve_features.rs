//! Gateway features beyond MyS3 through the real `apigate serve` binary (embedded store):
//! parameter mappings both ways to S3 and back, stage variables from `--stage-variable`,
//! request validation, template-driven S3 requests. Definition: `tests/serve/features.yaml`;
//! its mock routes (gateway responses, literal and VTL templates, response overrides, what
//! fails closed) are data-driven serve cases under `tests/serve/cases/`, run in-process.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod support;

use reqwest::{Client, StatusCode};
use support::*;

async fn features() -> (Harness, Client) {
    let options = Options::new("tests/serve/features.yaml", Store::Embedded)
        .arg("--stage-variable")
        .arg("env=test-stage")
        .arg("--stage-variable")
        .arg("bucket=notes");
    let h = start(options).await;
    (h, Client::new())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mappings_reach_s3_and_come_back() {
    let (h, c) = features().await;
    let r = c.put(h.url("/buckets/notes")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = c
        .put(h.url("/buckets/notes/objects/apple"))
        .header("X-Note", "hello there")
        .header("X-Unmapped", "never forwarded")
        .body("red")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    let r = c
        .head(h.url("/buckets/notes/objects/apple"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let hd = |n: &str| r.headers().get(n).map(|v| v.to_str().unwrap().to_string());
    assert_eq!(
        hd("x-note").as_deref(),
        Some("hello there"),
        "method header → x-amz-meta"
    );
    assert_eq!(
        hd("x-static").as_deref(),
        Some("fixed value"),
        "'static' value"
    );
    assert_eq!(hd("x-method").as_deref(), Some("PUT"), "context.httpMethod");
    assert_eq!(
        hd("x-resource").as_deref(),
        Some("/buckets/{bucket}/objects/{key}"),
        "context.resourcePath"
    );
    assert_eq!(
        hd("x-stored-type").as_deref(),
        Some("text/plain"),
        "mapped Content-Type"
    );
    assert_eq!(
        hd("x-greeting").as_deref(),
        Some("hello"),
        "static response header"
    );
    assert_eq!(
        hd("content-type").as_deref(),
        Some("application/json"),
        "not mapped → default"
    );
    assert!(
        hd("x-amz-meta-note").is_none(),
        "only mapped headers reach the client"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_mapping_and_parameter_validation() {
    let (h, c) = features().await;
    c.put(h.url("/buckets/fruit")).send().await.unwrap();
    for key in ["apple", "apricot", "banana"] {
        let r = c
            .put(h.url(&format!("/buckets/fruit/objects/{key}")))
            .body(key)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
    let listing = c
        .get(h.url("/buckets/fruit/search?q=ap"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(listing.contains("<Key>apple</Key>") && listing.contains("<Key>apricot</Key>"));
    assert!(!listing.contains("banana"), "{listing}");

    // `q` is required by the validator: 400 with the customised DEFAULT_4XX response.
    for url in ["/buckets/fruit/search", "/buckets/fruit/search?q=%20"] {
        let r = c.get(h.url(url)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{url}");
        assert_eq!(r.headers()["access-control-allow-origin"], "*");
        assert_eq!(
            r.headers()["x-bucket"],
            "fruit",
            "method.request.path into a gateway response"
        );
        assert_eq!(r.headers()["content-type"], "application/json");
        assert_eq!(
            r.text().await.unwrap(),
            r#"{"error": "Missing required request parameters: [q]", "type": "BAD_REQUEST_PARAMETERS", "unset": ""}"#
        );
    }
}

/// A template-driven S3 request: the request template builds the object and sets a header
/// override; the response template answers with its own status.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn template_driven_s3_request() {
    let (h, c) = features().await;
    c.put(h.url("/buckets/notes")).send().await.unwrap();
    let r = c
        .put(h.url("/notes/notes/n1"))
        .header("content-type", "application/json")
        .body(r#"{"text": "it's a \"fine\" day"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201, "responseOverride.status");
    assert_eq!(r.text().await.unwrap(), "{\"stored\": \"n1\"}\n");

    let stored = c.get(h.url("/default-bucket/n1")).send().await.unwrap();
    assert_eq!(
        stored.text().await.unwrap(),
        "{\"note\": \"it\\'s a \\\"fine\\\" day\", \"words\": 4}\n"
    );
    let r = c
        .head(h.url("/buckets/notes/objects/n1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-by"], "template", "requestOverride.header");
}
