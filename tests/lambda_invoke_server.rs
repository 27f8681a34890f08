//! The Lambda Invoke-API server the Lambda tests run (`tests/support/lambda.rs`) behaves as
//! Lambda's Invoke API does, and refuses what Lambda refuses: calls not SigV4-signed for
//! `lambda` in its region with its key pair. These tests keep that server honest, so the
//! gateway's Lambda tests prove something.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/lambda.rs"]
mod lambda;

use lambda::*;
use reqwest::Client;
use serde_json::json;

const REGION: &str = "us-east-2";
const KEY: &str = "AKIDLAMBDATEST";
const SECRET: &str = "lambda/test/secret/0123456789";

async fn server() -> Lambda {
    start_lambda(
        LambdaSpec::new(REGION, KEY, SECRET)
            .function("echo", |inv| {
                Outcome::json(json!({"got": inv.json(), "type": inv.invocation_type}))
            })
            .function("boom", |_| Outcome::Fail {
                message: "division by zero".into(),
                kind: "ZeroDivisionError".into(),
            }),
    )
    .await
}

#[tokio::test]
async fn a_signed_call_runs_the_function() {
    let l = server().await;
    let c = Client::new();
    for name in ["echo", &Lambda::arn(REGION, "echo"), "echo:live"] {
        let r = signed_invoke(&c, &l, REGION, KEY, SECRET, name, br#"{"a":1}"#, &[])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{name}");
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&r.bytes().await.unwrap()).unwrap(),
            json!({"got": {"a": 1}, "type": "RequestResponse"})
        );
    }
    assert_eq!(l.count("echo"), 3);
}

#[tokio::test]
async fn unsigned_or_wrongly_signed_calls_are_refused() {
    let l = server().await;
    let c = Client::new();
    let url = format!("{}/2015-03-31/functions/echo/invocations", l.endpoint);
    let r = c.post(&url).body("{}").send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(
        r.headers()["x-amzn-ErrorType"],
        "MissingAuthenticationTokenException"
    );
    for (region, key, secret, why) in [
        (REGION, KEY, "not-the-secret", "InvalidSignatureException"),
        ("eu-west-1", KEY, SECRET, "InvalidSignatureException"),
        (
            REGION,
            "AKIDSOMEONEELSE",
            SECRET,
            "UnrecognizedClientException",
        ),
    ] {
        let r = signed_invoke(&c, &l, region, key, secret, "echo", b"{}", &[])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{region} {key} {secret}");
        assert_eq!(r.headers()["x-amzn-ErrorType"], why);
    }
    // A body changed after signing.
    let r = signed_invoke(&c, &l, REGION, KEY, SECRET, "echo", b"{}", &[])
        .body("{\"tampered\":1}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(l.count("echo"), 0, "refused calls never run the function");
}

#[tokio::test]
async fn function_errors_unknown_functions_and_invocation_types_answer_as_lambda() {
    let l = server().await;
    let c = Client::new();
    let r = signed_invoke(&c, &l, REGION, KEY, SECRET, "boom", b"{}", &[])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["X-Amz-Function-Error"], "Unhandled");
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&r.bytes().await.unwrap()).unwrap(),
        json!({"errorMessage": "division by zero", "errorType": "ZeroDivisionError", "stackTrace": []})
    );

    let r = signed_invoke(&c, &l, REGION, KEY, SECRET, "nope", b"{}", &[])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["x-amzn-ErrorType"], "ResourceNotFoundException");

    let r = signed_invoke(
        &c,
        &l,
        REGION,
        KEY,
        SECRET,
        "echo",
        b"{}",
        &[("x-amz-invocation-type", "Event")],
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 202);
    assert_eq!(r.bytes().await.unwrap().len(), 0);
    assert_eq!(l.calls().last().unwrap().invocation_type, "Event");
}
