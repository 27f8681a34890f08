//! Gateway features beyond MyS3 through the real `apigate serve` binary (embedded store):
//! parameter mappings both ways, request validation, customised gateway responses, mock
//! integrations, and the features that fail closed. Definition: `tests/serve/features.yaml`.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing
)]

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customised_missing_authentication_token() {
    let (h, c) = features().await;
    let r = c.delete(h.url("/nowhere/at/all")).send().await.unwrap();
    assert_eq!(
        r.status(),
        StatusCode::NOT_FOUND,
        "the API sets statusCode 404"
    );
    // The type's own entry wins over DEFAULT_4XX entirely.
    assert!(r.headers().get("access-control-allow-origin").is_none());
    assert_eq!(
        r.text().await.unwrap(),
        r#"{"message": "no route for DELETE /nowhere/at/all"}"#
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mock_integrations_with_literal_templates() {
    let (h, c) = features().await;
    let r = c
        .request(reqwest::Method::OPTIONS, h.url("/cors"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    assert_eq!(r.headers()["access-control-allow-methods"], "GET,OPTIONS");
    assert_eq!(r.text().await.unwrap(), "");

    let r = c.get(h.url("/teapot")).send().await.unwrap();
    assert_eq!(
        r.status().as_u16(),
        418,
        "the template's statusCode selects the response"
    );
    assert_eq!(r.text().await.unwrap(), r#"{"short": "and stout"}"#);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsupported_features_fail_closed() {
    let (h, c) = features().await;
    for (method, path) in [("POST", "/lambda"), ("GET", "/undeclared")] {
        let r = c
            .request(method.parse().unwrap(), h.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR, "{path}");
        assert!(r.headers().contains_key("x-amzn-requestid"));
        assert_eq!(
            r.text().await.unwrap(),
            r#"{"message":"Internal server error"}"#,
            "{path}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vtl_templates_select_and_shape_responses() {
    let (h, c) = features().await;
    let r = c.get(h.url("/vtl")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.text().await.unwrap(),
        "{\"items\": [\"A\", \"B\", \"C\"], \"stage\": \"test-stage\"}\n"
    );
    let r = c.get(h.url("/vtl?code=404")).send().await.unwrap();
    assert_eq!(
        r.status(),
        StatusCode::NOT_FOUND,
        "the mock template's statusCode"
    );
    assert_eq!(
        r.text().await.unwrap(),
        r#"{"missing": "404", "resource": "/vtl"}"#
    );
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

/// `$context.responseOverride` in a mock's response template: status and headers win over
/// the selected response and its header mappings; a list makes a multi-value header.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn response_overrides_from_a_mock_template() {
    let (h, c) = features().await;
    let r = c.get(h.url("/overrides")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["x-flavour"], "mapped");
    assert!(r.headers().get("x-extra").is_none());
    assert_eq!(r.text().await.unwrap().trim(), r#"{"flavour": ""}"#);

    let r = c
        .get(h.url("/overrides?flavour=mint"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 202, "responseOverride.status");
    assert_eq!(
        r.headers()["x-flavour"],
        "mint",
        "override beats the mapping"
    );
    let extra: Vec<&str> = r
        .headers()
        .get_all("x-extra")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(extra, ["a", "b"]);
    assert_eq!(r.text().await.unwrap().trim(), r#"{"flavour": "mint"}"#);
}
