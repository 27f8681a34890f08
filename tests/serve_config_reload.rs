//! The deployment config file through the real `apigate serve` binary, over HTTP: its
//! `Stage.AccessLogSetting.Format` writes the access log (and `--access-log-format`
//! overrides it), and the file is watched: an edit swaps the stage, its variables, the
//! access-log format, the keys and the limits at once (a spent quota stays spent), and an
//! edit with errors keeps the last good set and prints its diagnostics.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use reqwest::Client;
use support::{configured, repo, start, wait_for, with_api_key};

/// The `pets` fixture (`GET /pets`, answering its stage and `greeting` variable, among
/// others), its method needing an API key.
fn api() -> String {
    let text = std::fs::read_to_string(repo().join("tests/fixtures/multiapi/pets.yaml")).unwrap();
    with_api_key(&text)
}

const ALICE: &str = "alice-0123456789abcdefghij";
const BOB: &str = "bob-0123456789abcdefghijk";

/// A config: stage `stage` with `greeting`, an access-log format ending in `tag`, alice in a
/// plan with a quota of 3 a day (and `more` appended: other keys).
fn config(stage: &str, greeting: &str, tag: &str, more: &str) -> String {
    format!(
        "Stage:\n  StageName: {stage}\n  Variables: {{greeting: {greeting}}}\n  AccessLogSetting: {{Format: '$context.requestId $context.stage $context.status {tag}'}}\nApiKeys:\n  - {{Name: alice, Value: {ALICE}, Enabled: true}}\n{more}UsagePlans:\n  - {{UsagePlanName: p, ApiStages: [{{Stage: {stage}}}], ApiKeys: [alice{}], Quota: {{Limit: 3, Period: DAY}}}}\n",
        if more.is_empty() { "" } else { ", bob" }
    )
}

async fn serve(dir: &Path, config_text: &str, extra: &[&str]) -> support::Harness {
    std::fs::write(dir.join("api.yaml"), api()).unwrap();
    std::fs::write(dir.join("deploy.yaml"), config_text).unwrap();
    let mut options = configured(dir.join("api.yaml").to_str().unwrap(), dir);
    for a in extra {
        options = options.arg(a);
    }
    start(options).await
}

/// The status, the request id and the body's `stage` and `greeting`.
async fn get(c: &Client, url: String, key: &str) -> (u16, String, String) {
    let r = c.get(url).header("x-api-key", key).send().await.unwrap();
    let status = r.status().as_u16();
    let id = r.headers()["x-amzn-requestid"]
        .to_str()
        .unwrap()
        .to_string();
    let body: serde_json::Value =
        serde_json::from_str(&r.text().await.unwrap()).unwrap_or_default();
    let shown = match (&body["stage"], &body["greeting"], &body["message"]) {
        (serde_json::Value::String(s), serde_json::Value::String(g), _) => format!("{s} {g}"),
        (_, _, serde_json::Value::String(m)) => m.clone(),
        _ => body.to_string(),
    };
    (status, id, shown)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_config_files_access_log_format_applies() {
    let dir = tempfile::tempdir().unwrap();
    let h = serve(dir.path(), &config("v1", "hello", "CFG", ""), &[]).await;
    let c = Client::new();
    let (status, id, body) = get(&c, h.url("/v1/pets"), ALICE).await;
    assert_eq!(status, 200, "{body}");
    let log = wait_for(&dir.path().join("access.log"), "CFG", 1).await;
    assert_eq!(log, format!("{id} v1 200 CFG\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_log_format_overrides_the_config_files() {
    let dir = tempfile::tempdir().unwrap();
    let h = serve(
        dir.path(),
        &config("v1", "hello", "CFG", ""),
        &["--access-log-format", "FLAG $context.requestId"],
    )
    .await;
    let c = Client::new();
    let (status, id, _) = get(&c, h.url("/v1/pets"), ALICE).await;
    assert_eq!(status, 200);
    let log = wait_for(&dir.path().join("access.log"), "FLAG", 1).await;
    assert_eq!(log, format!("FLAG {id}\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_config_format_aws_refuses_stops_serve() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("api.yaml"), api()).unwrap();
    let config_path = dir.path().join("deploy.yaml");
    std::fs::write(
        &config_path,
        "Stage:\n  AccessLogSetting: {Format: '$context.status $context.nope'}\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_apigate"))
        .arg("serve")
        .arg(dir.path().join("api.yaml"))
        .args(["--listen", "127.0.0.1:0", "--config"])
        .arg(&config_path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("deploy.yaml:2:30: error[config-access-log-format-invalid]"),
        "{stderr}"
    );
}

/// An edit of the config file swaps stage, variables, format, keys and limits within 2 s;
/// the quota's counter carries on; an edit with errors keeps the last good set.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_config_edit_is_reloaded() {
    let dir = tempfile::tempdir().unwrap();
    let h = serve(dir.path(), &config("v1", "hello", "ONE", ""), &[]).await;
    let c = Client::new();
    let (status, _, body) = get(&c, h.url("/v1/pets"), ALICE).await;
    assert_eq!(status, 200);
    assert_eq!(body, "v1 hello");
    assert_eq!(get(&c, h.url("/v1/pets"), BOB).await.0, 403, "no bob yet");

    // Stage v2, another greeting and format, and bob.
    let bob = format!("  - {{Name: bob, Value: {BOB}, Enabled: true}}\n");
    std::fs::write(
        dir.path().join("deploy.yaml"),
        config("v2", "bye", "TWO", &bob),
    )
    .unwrap();
    let edited = Instant::now();
    let gateway_log = dir.path().join("gateway.log");
    wait_for(&gateway_log, "apigate: reloaded", 1).await;
    assert!(
        edited.elapsed() < Duration::from_secs(2),
        "{:?}",
        edited.elapsed()
    );
    let (status, id, body) = get(&c, h.url("/v2/pets"), BOB).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, "v2 bye");
    assert_eq!(get(&c, h.url("/v1/pets"), ALICE).await.0, 403, "v1 is gone");
    let log = wait_for(&dir.path().join("access.log"), "TWO", 1).await;
    assert!(log.contains(&format!("{id} v2 200 TWO\n")), "{log}");
    // alice's quota (3): one spent on v1, two now; the next is over.
    assert_eq!(get(&c, h.url("/v2/pets"), ALICE).await.0, 200);
    assert_eq!(get(&c, h.url("/v2/pets"), ALICE).await.0, 200);
    let (status, _, body) = get(&c, h.url("/v2/pets"), ALICE).await;
    assert_eq!(
        (status, body.as_str()),
        (429, "Limit Exceeded"),
        "the quota's counter carried on"
    );

    // A misspelt property: refused, v2 keeps serving.
    std::fs::write(
        dir.path().join("deploy.yaml"),
        config("v3", "bye", "TWO", &bob).replace("StageName", "StageNme"),
    )
    .unwrap();
    let text = wait_for(&gateway_log, "refused", 1).await;
    assert!(text.contains("error[config-field-unknown]"), "{text}");
    assert_eq!(get(&c, h.url("/v2/pets"), BOB).await.0, 200);
    assert_eq!(get(&c, h.url("/v3/pets"), BOB).await.0, 403);
}
