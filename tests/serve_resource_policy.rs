//! Resource policies (`x-amazon-apigateway-policy`) over HTTP: `apigate serve` with a small API
//! (mock integrations: one open method, one AWS_IAM method) and a policy per test. Callers come
//! from 127.0.0.1; AWS_IAM callers sign with the harness's key
//! (`arn:aws:iam::000000000000:user/tester`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use std::time::SystemTime;
use support::*;

const TESTER: &str = "arn:aws:iam::000000000000:user/tester";

/// The API with `policy` attached, written to a file in `dir`.
fn definition(dir: &tempfile::TempDir, policy: &Value) -> String {
    let api = json!({
        "openapi": "3.0.1",
        "info": {"title": "policy-fixture", "version": "1"},
        "servers": [{"url": "https://example.com/{basePath}",
                     "variables": {"basePath": {"default": "prod"}}}],
        "x-amazon-apigateway-policy": policy,
        "components": {"securitySchemes": {"sigv4": {
            "type": "apiKey", "name": "Authorization", "in": "header",
            "x-amazon-apigateway-authtype": "awsSigv4"}}},
        "paths": {
            "/open": {
                "get": mock_method(),
                "post": mock_method(),
            },
            "/iam": {"get": iam_method()},
        }
    });
    let path = dir.path().join("api.json");
    std::fs::write(&path, api.to_string()).unwrap();
    path.to_string_lossy().into_owned()
}

fn iam_method() -> Value {
    let mut m = mock_method();
    m["security"] = json!([{"sigv4": []}]);
    m
}

fn mock_method() -> Value {
    json!({
        "responses": {"200": {"description": "ok"}},
        "x-amazon-apigateway-integration": {
            "type": "mock",
            "requestTemplates": {"application/json": "{\"statusCode\": 200}"},
            "responses": {"default": {"statusCode": "200",
                "responseTemplates": {"application/json": "{\"ok\": true}"}}}
        }
    })
}

fn policy(statements: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

fn allow_all() -> Value {
    json!({"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke",
           "Resource": "execute-api:/*"})
}

async fn gateway(policy: &Value, extra: &[&str]) -> (Harness, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut options = Options::new(&definition(&dir, policy), Store::Embedded);
    for a in extra {
        options = options.arg(a);
    }
    (start(options).await, dir)
}

async fn message(r: reqwest::Response) -> (StatusCode, String) {
    let status = r.status();
    let body: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    let text = body
        .get("Message")
        .or_else(|| body.get("message"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    (status, text)
}

fn arn(verb: &str, path: &str) -> String {
    format!("arn:aws:execute-api:{REGION}:000000000000:apigate/prod/{verb}/{path}")
}

async fn iam_get(c: &Client, h: &Harness) -> reqwest::Response {
    signed(
        c,
        "GET",
        &h.url("/prod/iam"),
        &[],
        b"",
        CALLER_SECRET,
        SystemTime::now(),
    )
    .send()
    .await
    .unwrap()
}

/// An IP allow list admits the loopback caller and refuses others; without a matching allow,
/// the caller is implicitly denied with AWS's message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ip_allow_and_deny_lists() {
    let c = Client::new();
    let only_loopback = policy(json!([{"Effect": "Allow", "Principal": "*",
        "Action": "execute-api:Invoke", "Resource": "execute-api:/*",
        "Condition": {"IpAddress": {"aws:SourceIp": ["127.0.0.0/8"]}}}]));
    let (h, _d) = gateway(&only_loopback, &[]).await;
    let r = c.get(h.url("/prod/open")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(h.stop().success());

    let elsewhere = policy(json!([{"Effect": "Allow", "Principal": "*",
        "Action": "execute-api:Invoke", "Resource": "execute-api:/*",
        "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}]));
    let (h, _d) = gateway(&elsewhere, &[]).await;
    let r = c.get(h.url("/prod/open")).send().await.unwrap();
    assert_eq!(r.headers()["x-amzn-ErrorType"], "AccessDeniedException");
    assert_eq!(
        message(r).await,
        (
            StatusCode::FORBIDDEN,
            format!(
                "User: anonymous is not authorized to perform: execute-api:Invoke on resource: {}",
                arn("GET", "open")
            )
        )
    );
    assert!(h.stop().success());

    // NotIpAddress in a Deny: everyone outside the range is refused explicitly, even though
    // another statement allows all.
    let deny_outside = policy(json!([allow_all(), {"Effect": "Deny", "Principal": "*",
        "Action": "execute-api:Invoke", "Resource": "execute-api:/*",
        "Condition": {"NotIpAddress": {"aws:SourceIp": "192.0.2.0/24"}}}]));
    let (h, _d) = gateway(&deny_outside, &[]).await;
    let (status, text) = message(c.get(h.url("/prod/open")).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(text.ends_with(" with an explicit deny"), "{text}");
    assert!(h.stop().success());
}

/// Wildcard resources: a Deny on `*/POST/*` refuses POST and leaves GET allowed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wildcard_resources_and_deny_precedence() {
    let c = Client::new();
    let no_posts = policy(json!([allow_all(), {"Effect": "Deny", "Principal": "*",
        "Action": "execute-api:Invoke",
        "Resource": format!("arn:aws:execute-api:{REGION}:*:*/prod/POST/*")}]));
    let (h, _d) = gateway(&no_posts, &[]).await;
    let r = c.get(h.url("/prod/open")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let (status, text) = message(c.post(h.url("/prod/open")).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        text,
        format!(
            "User: anonymous is not authorized to perform: execute-api:Invoke on resource: {} with an explicit deny",
            arn("POST", "open")
        )
    );
    assert!(h.stop().success());
}

/// AWS_IAM callers: principals match the verified caller; an explicit deny of the caller
/// refuses; a caller of the API's own account is allowed by IAM without a policy allow, a
/// caller of another account is not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn principals_match_iam_callers() {
    let c = Client::new();
    let deny_tester = policy(json!([allow_all(), {"Effect": "Deny",
        "Principal": {"AWS": TESTER}, "Action": "execute-api:Invoke",
        "Resource": "execute-api:/*/GET/iam"}]));
    let (h, _d) = gateway(&deny_tester, &[]).await;
    let (status, text) = message(iam_get(&c, &h).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        text,
        format!(
            "User: {TESTER} is not authorized to perform: execute-api:Invoke on resource: {} with an explicit deny",
            arn("GET", "iam")
        )
    );
    // The open method is not the tester's to be denied: anonymous callers are allowed.
    assert_eq!(
        c.get(h.url("/prod/open")).send().await.unwrap().status(),
        StatusCode::OK
    );
    assert!(h.stop().success());

    // A policy that allows only someone else: the same-account tester is still allowed (its
    // IAM policies are assumed to), and anonymous callers of the open method are not.
    let someone_else = policy(json!([{"Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::000000000000:user/other"},
        "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}]));
    let (h, _d) = gateway(&someone_else, &[]).await;
    assert_eq!(iam_get(&c, &h).await.status(), StatusCode::OK);
    assert_eq!(
        c.get(h.url("/prod/open")).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    assert!(h.stop().success());

    // The API in another account: the tester needs the policy's allow.
    let (h, _d) = gateway(&someone_else, &["--account-id", "111122223333"]).await;
    let (status, text) = message(iam_get(&c, &h).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        text.starts_with(&format!("User: {TESTER} is not authorized")),
        "{text}"
    );
    assert!(h.stop().success());
    let allow_tester = policy(json!([{"Effect": "Allow",
        "Principal": {"AWS": ["arn:aws:iam::000000000000:root"]},
        "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}]));
    let (h, _d) = gateway(&allow_tester, &["--account-id", "111122223333"]).await;
    assert_eq!(iam_get(&c, &h).await.status(), StatusCode::OK);
    assert!(h.stop().success());
}

/// A condition apigate cannot evaluate: `validate` warns, and every request fails closed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsupported_conditions_fail_closed() {
    let odd = policy(json!([{"Effect": "Allow", "Principal": "*",
        "Action": "execute-api:Invoke", "Resource": "execute-api:/*",
        "Condition": {"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}}]));
    let dir = tempfile::tempdir().unwrap();
    let file = definition(&dir, &odd);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_apigate"))
        .args(["validate", &file])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("warning[policy-unsupported]"), "{text}");
    assert!(text.contains("aws:CurrentTime"), "{text}");

    let h = start(Options::new(&file, Store::Embedded)).await;
    let r = Client::new().get(h.url("/prod/open")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(h.stop().success());
}
