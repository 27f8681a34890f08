//! `apigate test-invoke`: the printed execution log and the exit codes, on MyS3 (embedded
//! store) and on a mock API.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn invoke(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_apigate"))
        .arg("test-invoke")
        .args(args)
        .current_dir(repo())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn has_line(out: &str, needle: &str) {
    assert!(
        out.lines().any(|l| l.contains(needle)),
        "no line with {needle:?} in:\n{out}"
    );
}

#[test]
fn mys3_upload_download_and_a_missing_key() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("s3");
    let data = data.to_str().unwrap();
    let mys3 = "openapi/mys3.yaml";

    let o = invoke(&[mys3, "PUT", "/ti-bucket", "--data-dir", data]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    let o = invoke(&[
        mys3,
        "PUT",
        "/ti-bucket/hello.txt",
        "-H",
        "Content-Type: text/plain",
        "-d",
        "Hello, World!",
        "--data-dir",
        data,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = text(&o);
    has_line(
        &out,
        "Method request path: {folder=ti-bucket, item=hello.txt}",
    );
    has_line(
        &out,
        "Method request headers: {host=localhost, content-type=text/plain",
    );
    has_line(
        &out,
        "Method request body before transformations: Hello, World!",
    );
    has_line(&out, "Endpoint request URI: PUT http://127.0.0.1:");
    has_line(&out, "/ti-bucket/hello.txt");
    has_line(
        &out,
        "Endpoint request headers: {content-type=text/plain, host=127.0.0.1:",
    );
    has_line(&out, "authorization=AWS4-HMAC-SHA256 Credent****");

    let o = invoke(&[mys3, "GET", "/ti-bucket/hello.txt", "--data-dir", data]);
    assert_eq!(o.status.code(), Some(0));
    let out = text(&o);
    assert!(
        out.starts_with("Request: GET /S3/ti-bucket/hello.txt\nStatus: 200\n"),
        "{out}"
    );
    has_line(&out, "Response body:");
    assert!(out.contains("\nHello, World!\n"), "{out}");
    has_line(&out, "Received response. Status: 200");
    has_line(
        &out,
        "Endpoint response body before transformations: Hello, World!",
    );
    has_line(
        &out,
        "Selected integration response: default → method response status 200",
    );
    has_line(&out, "Method response headers: {content-type=text/plain}");
    has_line(&out, "Method completed with status: 200");

    // S3's 404 → 400 by `4\d{2}`: exit 1.
    let o = invoke(&[
        mys3,
        "GET",
        "/ti-bucket/missing",
        "--data-dir",
        data,
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["status"], 400);
    assert!(v["body"].as_str().unwrap().contains("NoSuchKey"));
    let log: Vec<&str> = v["log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert!(
        log.iter()
            .any(|l| l.contains("Received response. Status: 404")),
        "{log:#?}"
    );
    assert!(
        log.iter().any(|l| l.contains(
            r#"Selected integration response: pattern "4\\d{2}" → method response status 400"#
        )),
        "{log:#?}"
    );
}

#[test]
fn mock_api_and_exit_codes() {
    let features = "tests/serve/features.yaml";
    let o = invoke(&[features, "OPTIONS", "/cors"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = text(&o);
    has_line(&out, "Mock integration: selector Some(\"200\")");
    has_line(&out, "access-control-allow-origin=*");

    let o = invoke(&[features, "GET", "/teapot"]);
    assert_eq!(o.status.code(), Some(1), "418 is not 2xx/3xx");
    assert!(text(&o).contains("{\"short\": \"and stout\"}"));

    let o = invoke(&[features, "GET", "/no/such/route"]);
    assert_eq!(o.status.code(), Some(1));
    has_line(&text(&o), "no route for GET /no/such/route");

    // Usage errors: exit 2.
    let o = invoke(&[features, "G@T", "/cors"]);
    assert_eq!(o.status.code(), Some(2));
    let o = invoke(&[features, "GET", "cors"]);
    assert_eq!(o.status.code(), Some(2));
    // A definition with errors: exit 1, nothing run.
    let o = invoke(&["tests/validate/arn-malformed.json", "GET", "/items/1"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).is_empty());
}

/// The console's Test tab skips authorization: Lambda (TOKEN, REQUEST) and Cognito methods
/// run their integration without a token, a Lambda endpoint or the pool's keys.
#[test]
fn authorizers_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("s3");
    let data = data.to_str().unwrap();
    let api = "tests/serve/authorizers.yaml";
    for (verb, path) in [
        ("GET", "/token"),
        ("POST", "/request/x"),
        ("GET", "/cognito"),
        ("GET", "/cognito/scoped"),
    ] {
        let o = invoke(&[api, verb, path, "--data-dir", data]);
        let out = text(&o);
        assert_eq!(o.status.code(), Some(0), "{verb} {path}: {out}");
        has_line(&out, "Status: 200");
    }
}

/// A body that fails its model: the execution log says why in AWS's words (the line AWS's
/// execution log has), the client gets 400 `Invalid request body`, and the exit code is 1.
/// AWS's calculator sample (POST /calc validates against `Input`), from beside the
/// repository.
#[test]
fn a_body_failing_its_model_is_explained_in_the_log() {
    let sample = std::env::var_os("APIGATE_AWS_SAMPLES")
        .map_or_else(|| repo().join("../shared/aws-samples"), PathBuf::from)
        .join("calc-lambda-get-post-swagger2.json");
    assert!(
        sample.is_file(),
        "{} is missing: the tests need AWS's samples beside the repository (or APIGATE_AWS_SAMPLES=DIR)",
        sample.display()
    );
    let sample = sample.to_str().unwrap();
    let o = invoke(&[
        sample,
        "POST",
        "/calc",
        "-H",
        "Content-Type: application/json",
        "-d",
        r#"{"a": 1, "b": 2}"#,
    ]);
    assert_eq!(o.status.code(), Some(1));
    let out = text(&o);
    has_line(&out, "Status: 400");
    has_line(
        &out,
        r#"Request body does not match model schema for content type application/json: [object has missing required properties (["op"])]"#,
    );
    has_line(&out, r#"{"message":"Invalid request body"}"#);
}
