//! Mapping templates in front of a real `http` backend, in-process (the harness in
//! `tests/support`): the gateway is a `Gateway` value called through `lifecycle::handle`, the
//! backend the echo server (`tests/support/echo.rs` at the repository's root) on a loopback
//! socket. Definitions: `tests/serve/passthrough.yaml`, `tests/serve/http.yaml`.

#![allow(clippy::unwrap_used)]

mod support;

#[path = "../../../tests/support/echo.rs"]
mod echo;

use serde_json::Value;
use support::{InProcess, Setup};

/// A gateway for `definition` in front of a fresh echo backend (stage variable `backend`).
async fn with_echo(definition: &str) -> (InProcess, String) {
    let backend = echo::start_echo().await;
    let gw = Setup::file(definition)
        .stage_variable("backend", &backend)
        .start()
        .await;
    (gw, backend)
}

/// Every cell of the passthroughBehavior table (docs/SEMANTICS.md §6.2): templated, passed
/// through, or 415.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passthrough_behaviour_table() {
    let (gw, _) = with_echo("tests/serve/passthrough.yaml").await;
    let body = "raw payload";
    let templated = "{\"templated\": true}".len();
    // (route, Content-Type, expected: Some(body length the backend sees) or None = 415)
    let cells = [
        ("match-t", "application/json", Some(templated)),
        ("templates-t", "application/json", Some(templated)),
        ("never-t", "application/json", Some(templated)),
        ("match-t", "text/plain", Some(body.len())),
        ("templates-t", "text/plain", None),
        ("never-t", "text/plain", None),
        ("match-n", "text/plain", Some(body.len())),
        ("templates-n", "text/plain", Some(body.len())),
        ("never-n", "text/plain", None),
    ];
    for (route, ct, expected) in cells {
        let r = gw
            .request("POST", &format!("/pt/{route}"))
            .header("content-type", ct)
            .body(body)
            .send()
            .await;
        match expected {
            Some(len) => {
                assert_eq!(r.status, 200, "{route} {ct}");
                assert_eq!(r.json()["body_len"], len, "{route} {ct}");
            }
            None => {
                assert_eq!(r.status, 415, "{route} {ct}");
                assert_eq!(r.text(), r#"{"message":"Unsupported Media Type"}"#);
            }
        }
    }
}

/// `$input`, `$util` and `$context` in a request template (its output stored by the backend)
/// and in a response template (reading the stored document back), over HTTP.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn template_functions_over_http() {
    let (gw, backend) = with_echo("tests/serve/http.yaml").await;
    let body = r#"{"pet": {"name": "Rex", "age": 3}, "tags": ["a", "b"], "quote": "say \"hi\"", "raw": "a b&c=d/é"}"#;
    let r = gw
        .request("PUT", "/v1/functions/k1?q=dogs")
        .header("content-type", "application/json")
        .header("X-Trace", "t-9")
        .body(body)
        .send()
        .await;
    assert_eq!(r.status, 200);
    let request_id = r.header("x-amzn-requestid").unwrap().to_string();

    let r = gw.request("GET", "/v1/functions/k1").send().await;
    assert_eq!(r.status, 200);
    let back: Value = r.json();
    let stored = &back["stored"];
    assert_eq!(
        stored["body"], body,
        "$input.body, escapeJavaScript round-trips as JSON"
    );
    assert_eq!(stored["json"], serde_json::json!({"name": "Rex", "age": 3}));
    assert_eq!(stored["name"], "Rex");
    assert_eq!(stored["tagCount"], 2);
    assert_eq!(stored["parsed"], "Rex b", "$util.parseJson");
    assert_eq!(stored["params"], "k1|dogs|t-9");
    assert_eq!(stored["allParams"], "k1 dogs t-9");
    assert_eq!(stored["escaped"], r#"say "hi""#);
    assert_eq!(stored["urlEncode"], "a+b%26c%3Dd%2F%C3%A9");
    assert_eq!(stored["urlDecode"], "a b&c=d/é");
    assert_eq!(stored["base64"], "YSBiJmM9ZC/DqQ==");
    assert_eq!(stored["unbase64"], "hello, world");
    assert_eq!(
        stored["context"],
        "PUT /functions/{key} v1 /v1/functions/k1 127.0.0.1 HTTP/1.1"
    );
    assert_eq!(stored["requestId"], request_id.as_str());
    assert_eq!(stored["stageVariable"], backend.as_str());

    assert_eq!(back["name"], "Rex", "$input.path('$') as a map");
    assert_eq!(back["decoded"], "a b&c=d/é");
    assert_eq!(back["keys"], 2);
}
