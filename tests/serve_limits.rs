//! Mapping templates that take long, through the real `apigate serve` binary: the render
//! deadline (`--template-timeout`), renders kept off the async workers, renders stopped when
//! their client goes away or the server stops. Definition: `tests/serve/limits.yaml`, whose
//! `/hostile` template base64-encodes its body a million times.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod support;

use std::io::Write;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use support::{start, Harness, Options, Store};

/// A body large enough that each `$util.base64Encode($input.body)` is real work.
fn big_body() -> String {
    format!("{{\"data\": \"{}\"}}", "x".repeat(5 << 20))
}

async fn gateway(extra: &[&str], log: Option<&std::path::Path>) -> Harness {
    let mut options = Options::new("tests/serve/limits.yaml", Store::Embedded);
    for a in extra {
        options = options.arg(a);
    }
    if let Some(path) = log {
        options = options.log_to(path);
    }
    start(options).await
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap()
}

/// Sends the hostile request in the background.
fn hostile(h: &Harness, c: &reqwest::Client) -> tokio::task::JoinHandle<Option<StatusCode>> {
    let request = c
        .post(h.url("/hostile"))
        .header("content-type", "application/json")
        .body(big_body());
    tokio::spawn(async move { request.send().await.ok().map(|r| r.status()) })
}

/// Waits (generously) until `log` holds `needle`.
async fn wait_for_log(log: &std::path::Path, needle: &str, within: Duration) -> bool {
    let until = Instant::now() + within;
    while Instant::now() < until {
        if std::fs::read_to_string(log).is_ok_and(|t| t.contains(needle)) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_render_past_its_deadline_answers_500() {
    let h = gateway(&["--template-timeout", "300"], None).await;
    let c = client();
    let started = Instant::now();
    let r = c
        .post(h.url("/hostile"))
        .header("content-type", "application/json")
        .body(big_body())
        .send()
        .await
        .unwrap();
    let took = started.elapsed();
    assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let error_type = r.headers().get("x-amzn-errortype").cloned();
    assert_eq!(
        r.text().await.unwrap(),
        r#"{"message":"Internal server error"}"#
    );
    // Generous: the deadline is 300 ms, the whole render would take minutes.
    assert!(took < Duration::from_secs(20), "took {took:?}");
    // The same answer as any template that fails while rendering.
    let r = c
        .post(h.url("/broken"))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(r.headers().get("x-amzn-errortype").cloned(), error_type);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_renders_do_not_starve_other_requests() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    // Two async workers, three hostile renders that would each run for 60 s.
    let h = gateway(
        &["--workers", "2", "--template-timeout", "60000"],
        Some(&log),
    )
    .await;
    let c = client();
    let renders: Vec<_> = (0..3).map(|_| hostile(&h, &c)).collect();
    // Give them time to arrive and start rendering (not needed for correctness: the quick
    // request must be answered whether or not they have started).
    tokio::time::sleep(Duration::from_secs(2)).await;
    let started = Instant::now();
    let quick = tokio::time::timeout(Duration::from_secs(20), c.get(h.url("/quick")).send())
        .await
        .expect("a trivial request waited behind hostile renders")
        .unwrap();
    assert_eq!(quick.status(), StatusCode::OK);
    assert_eq!(quick.text().await.unwrap(), r#"{"quick": true}"#);
    assert!(started.elapsed() < Duration::from_secs(20));
    assert!(
        renders.iter().all(|r| !r.is_finished()),
        "the hostile renders finished first"
    );
    drop(h);
    for r in renders {
        r.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_render_stops_when_its_client_goes_away() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    let h = gateway(&["--template-timeout", "60000"], Some(&log)).await;
    let addr = h.root.trim_start_matches("http://").to_string();
    let body = big_body();
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    write!(
        stream,
        "POST /hostile HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .unwrap();
    stream.write_all(body.as_bytes()).unwrap();
    stream.flush().unwrap();
    // Let the gateway read the body and start rendering, then hang up.
    tokio::time::sleep(Duration::from_secs(2)).await;
    drop(stream);
    assert!(
        wait_for_log(
            &log,
            "template render stopped: the client went away",
            Duration::from_secs(30)
        )
        .await,
        "no sign of the render stopping; log:\n{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_hostile_renders() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    let h = gateway(&["--template-timeout", "60000"], Some(&log)).await;
    let c = client();
    let renders: Vec<_> = (0..2).map(|_| hostile(&h, &c)).collect();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let started = Instant::now();
    let status = tokio::task::spawn_blocking(move || h.stop()).await.unwrap();
    let took = started.elapsed();
    assert!(status.success(), "{status:?}");
    // Generous: without stopping them the renders would hold the drain for its 30 s grace.
    assert!(took < Duration::from_secs(15), "took {took:?}");
    for r in renders {
        let status = r.await.unwrap();
        assert!(
            matches!(status, None | Some(StatusCode::INTERNAL_SERVER_ERROR)),
            "{status:?}"
        );
    }
}

/// A list or map that holds itself prints as Java prints it, and quickly; a longer cycle
/// (`$a` holds `$b` holds `$a`), where Java's `toString` overflows its stack, answers 500.
/// Before the fix the first grew memory without bound.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collections_that_hold_themselves_print_as_java_or_fail_bounded() {
    let h = gateway(&[], None).await;
    let c = client();
    let r = c.get(h.url("/self-holding")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.text().await.unwrap(),
        "[1, (this Collection), (this Collection)] \"[1, (this Collection), (this Collection)]\" {a=(this Map)}"
    );
    let r = c.get(h.url("/cycle")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        r.text().await.unwrap(),
        r#"{"message":"Internal server error"}"#
    );
}
