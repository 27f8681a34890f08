//! Request body validation through the real `apigate serve` binary, over HTTP, with AWS's
//! sample definitions (`../shared/aws-samples`): `request-validators-swagger2.json` in front of
//! the echo backend (its `http` integration pointed at it), and `calc-lambda-get-post-swagger2.json`
//! (POST /calc validates its body against `Input`). The messages are AWS's: the 400 body
//! `{"message": "Invalid request body"}`, and `$context.error.validationErrorString` as recorded
//! on AWS (docs/PARITY.md). The validators sample's methods require an API key: it is served
//! with a config file that defines one, and its requests carry it.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

#[path = "support/echo.rs"]
mod echo;

use echo::start_echo;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use sha2::Digest;
use support::*;

/// `request-validators-swagger2.json` with its backend at `backend` and, when `why` is set, a
/// BAD_REQUEST_BODY gateway response that answers `$context.error.validationErrorString`.
/// Its methods require an API key (`security: api_key`): the gateway is given [`KEYS`].
fn validators_sample(text: &str, backend: &str, why: bool) -> String {
    let mut doc: Value = serde_json::from_str(text).unwrap();
    for verb in ["get", "post"] {
        let op = &mut doc["paths"]["/validation"][verb];
        let uri = &mut op["x-amazon-apigateway-integration"]["uri"];
        let rewritten = uri.as_str().unwrap().replace(
            "http://petstore-demo-endpoint.execute-api.com",
            &format!("http://{backend}"),
        );
        *uri = Value::String(rewritten);
    }
    if why {
        doc["x-amazon-apigateway-gateway-responses"] = json!({
            "BAD_REQUEST_BODY": {
                "responseTemplates": {"application/json": "$context.error.validationErrorString"}
            }
        });
    }
    doc.to_string()
}

/// The deployment config the validators sample is served with: one key, in a usage plan for
/// its stage (`v1`).
const KEYS: &str = "ApiKeys: [{Name: tester, Value: tester-0123456789abcdefghij, Enabled: true}]\n\
                    UsagePlans: [{UsagePlanName: tests, ApiStages: [{Stage: v1}], ApiKeys: [tester]}]\n";
const KEY: &str = "tester-0123456789abcdefghij";

/// A client that sends [`KEY`] with every request.
fn keyed_client() -> Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-api-key", KEY.parse().unwrap());
    Client::builder().default_headers(headers).build().unwrap()
}

async fn serve(definition: &str, extra: &[&str]) -> (Harness, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("api.json");
    std::fs::write(&path, definition).unwrap();
    let config = dir.path().join("config.yaml");
    std::fs::write(&config, KEYS).unwrap();
    let mut options = Options::new(path.to_str().unwrap(), Store::Embedded)
        .arg("--config")
        .arg(config.to_str().unwrap());
    for a in extra {
        options = options.arg(a);
    }
    (start(options).await, dir)
}

async fn post(
    c: &Client,
    h: &Harness,
    content_type: Option<&str>,
    body: &str,
) -> (StatusCode, String, Option<String>) {
    let mut r = c
        .post(h.url("/v1/validation"))
        .header("h1", "one")
        .body(body.to_string());
    if let Some(ct) = content_type {
        r = r.header("content-type", ct);
    }
    let r = r.send().await.unwrap();
    let status = r.status();
    let error_type = r
        .headers()
        .get("x-amzn-errortype")
        .map(|v| v.to_str().unwrap().to_string());
    (status, r.text().await.unwrap(), error_type)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_request_validators_sample_refuses_bad_bodies_as_aws() {
    let sample = aws_sample_text("request-validators-swagger2.json");
    let backend = start_echo().await;
    let (h, _dir) = serve(&validators_sample(&sample, &backend, false), &[]).await;
    // The key is checked before the request is validated: without one, 403 (a bad body and
    // a missing parameter notwithstanding).
    let r = Client::new()
        .post(h.url("/v1/validation"))
        .header("content-type", "application/json")
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(r.text().await.unwrap(), r#"{"message":"Forbidden"}"#);
    let c = keyed_client();
    let json = Some("application/json");
    for body in [
        r#"{"type": "dog", "price": 30}"#,
        r#"{"type": "bird", "name": "Tweety", "price": 30}"#,
        r#"{"type": "dog", "name": "Rex", "price": 10}"#,
        r#"{"id": "seven", "type": "dog", "name": "Rex", "price": 30}"#,
        r#"type=dog&name=Rex"#,
        "",
    ] {
        let (status, text, error_type) = post(&c, &h, json, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(
            serde_json::from_str::<Value>(&text).unwrap(),
            json!({"message": "Invalid request body"}),
            "{body}"
        );
        assert_eq!(error_type.as_deref(), Some("BadRequestException"));
    }
    // No Content-Type is application/json: validated.
    let (status, _, _) = post(&c, &h, None, "{}").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Parameters are validated first.
    let r = c
        .post(h.url("/v1/validation"))
        .header("content-type", "application/json")
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        serde_json::from_str::<Value>(&r.text().await.unwrap()).unwrap(),
        json!({"message": "Missing required request parameters: [h1]"})
    );

    // A valid body reaches the backend byte for byte, with its Content-Type.
    let body = "{ \"price\" : 249.5,\n  \"name\": \"Rex\", \"type\": \"dog\", \"id\": 7 }";
    let (status, text, _) = post(&c, &h, Some("application/json; charset=utf-8"), body).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let seen: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(seen["method"], "POST");
    assert_eq!(seen["path"], "/petstore/pets");
    assert_eq!(seen["body_len"], body.len());
    assert_eq!(
        seen["body_sha256"],
        hex::encode(sha2::Sha256::digest(body.as_bytes()))
    );
    assert_eq!(
        seen["headers"]["content-type"],
        "application/json; charset=utf-8"
    );
    assert_eq!(seen["headers"]["custom_h1"], "one");

    // No model for the Content-Type: the body is not validated (AWS's documented rule).
    let (status, text, _) = post(&c, &h, Some("text/plain"), "type=bird").await;
    assert_eq!(status, StatusCode::OK, "{text}");
    // The params-only validator of GET never reads the body.
    let r = c
        .get(h.url("/v1/validation?q1=x"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(h.stop().success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validation_error_strings_are_worded_as_aws() {
    let sample = aws_sample_text("request-validators-swagger2.json");
    let backend = start_echo().await;
    let (h, _dir) = serve(&validators_sample(&sample, &backend, true), &[]).await;
    let c = keyed_client();
    let json = Some("application/json");
    let cases = [
        // required
        (
            r#"{"type": "dog", "price": 30}"#,
            r#"[object has missing required properties (["name"])]"#,
        ),
        (
            "{}",
            r#"[object has missing required properties (["name","price","type"])]"#,
        ),
        // enum
        (
            r#"{"type": "bird", "name": "Tweety", "price": 30}"#,
            r#"[instance value ("bird") not found in enum (possible values: ["dog","cat","fish"])]"#,
        ),
        // minimum, maximum
        (
            r#"{"type": "dog", "name": "Rex", "price": 10}"#,
            "[numeric instance is lower than the required minimum (minimum: 25, found: 10)]",
        ),
        (
            r#"{"type": "dog", "name": "Rex", "price": 500.5}"#,
            "[numeric instance is greater than the required maximum (maximum: 500, found: 500.5)]",
        ),
        // type: integer, number (which admits integers), string
        (
            r#"{"id": "seven", "type": "dog", "name": "Rex", "price": 30}"#,
            r#"[instance type (string) does not match any allowed primitive type (allowed: ["integer"])]"#,
        ),
        (
            r#"{"type": "dog", "name": "Rex", "price": "cheap"}"#,
            r#"[instance type (string) does not match any allowed primitive type (allowed: ["integer","number"])]"#,
        ),
        (
            r#"{"type": "dog", "name": 7, "price": 30}"#,
            r#"[instance type (integer) does not match any allowed primitive type (allowed: ["string"])]"#,
        ),
        // the root's type
        (
            "[1]",
            r#"[instance type (array) does not match any allowed primitive type (allowed: ["object"])]"#,
        ),
        // two members failing at one level, by name
        (
            r#"{"type": "bird", "name": "Rex", "price": 10}"#,
            r#"[numeric instance is lower than the required minimum (minimum: 25, found: 10), instance value ("bird") not found in enum (possible values: ["dog","cat","fish"])]"#,
        ),
    ];
    for (body, why) in cases {
        let (status, text, _) = post(&c, &h, json, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(text, why, "{body}");
    }
    let (status, text, _) = post(&c, &h, json, "{\"type\": ").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        text.starts_with("[the request body is not valid JSON"),
        "{text}"
    );
    assert!(h.stop().success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_past_the_buffer_limit_is_413() {
    let sample = aws_sample_text("request-validators-swagger2.json");
    let backend = start_echo().await;
    let (h, _dir) = serve(
        &validators_sample(&sample, &backend, false),
        &["--buffer-limit", "1024"],
    )
    .await;
    let c = keyed_client();
    let big = format!(
        r#"{{"type": "dog", "name": "{}", "price": 30}}"#,
        "x".repeat(2048)
    );
    let (status, _, _) = post(&c, &h, Some("application/json"), &big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let (status, _, _) = post(
        &c,
        &h,
        Some("application/json"),
        r#"{"type": "dog", "name": "Rex", "price": 30}"#,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(h.stop().success());
}

/// The calculator sample: POST /calc validates its body against `Input` before the Lambda
/// integration is tried (which cannot run locally: 500).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_calc_sample_validates_before_its_integration() {
    let sample = aws_sample_text("calc-lambda-get-post-swagger2.json");
    let (h, _dir) = serve(&sample, &[]).await;
    let c = Client::new();
    let url = h.url("/test/calc");
    let r = c
        .post(&url)
        .header("content-type", "application/json")
        .body(json!({"a": 1, "b": 2}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        serde_json::from_str::<Value>(&r.text().await.unwrap()).unwrap(),
        json!({"message": "Invalid request body"})
    );
    let r = c
        .post(&url)
        .header("content-type", "application/json")
        .body(json!({"a": "1", "b": 2, "op": "+"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = c
        .post(&url)
        .header("content-type", "application/json")
        .body(json!({"a": 1, "b": 2, "op": "+"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::INTERNAL_SERVER_ERROR,
        "valid: on to the Lambda, which is not local"
    );
    assert!(h.stop().success());
}
