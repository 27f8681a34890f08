//! Running `apigate serve` as a production gateway, through the real binary: TLS (a
//! certificate generated here with rcgen; HTTP/1.1 and HTTP/2 by ALPN; the certificate
//! replaced while serving; a Lambda proxy event over TLS), the admin listener (`/metrics`
//! parsed by Python prometheus-client's OpenMetrics parser and checked after known requests,
//! `/healthz`, `/readyz`, `/routes`), access logs in a CLF and a JSON format, hot reload (under
//! load, a request in flight across a reload, an invalid edit, SIGHUP with `--no-watch`) and
//! shutdown (readiness off, `--drain-timeout`). Definitions: `tests/serve/ops.yaml`,
//! `tests/serve/lambda.yaml`.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod support;

#[path = "support/echo.rs"]
mod echo;
#[path = "support/lambda.rs"]
mod lambda;

use echo::start_echo;
use reqwest::{Client, StatusCode};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::*;

/// The definition, with the echo backend and a closed port as stage variables.
fn options(definition: &Path, echo: &str) -> Options {
    let mut o = Options::new("tests/serve/ops.yaml", Store::Embedded)
        .arg("--stage-variable")
        .arg(&format!("backend={echo}"))
        .arg("--stage-variable")
        .arg(&format!("dead=127.0.0.1:{}", free_port()));
    o.definition = definition.to_path_buf();
    o
}

fn definition() -> PathBuf {
    repo().join("tests/serve/ops.yaml")
}

/// One sample of the exposition: name, labels, value.
#[derive(Debug, serde::Deserialize)]
struct Sample(String, HashMap<String, String>, f64);

/// `/metrics` parsed by prometheus-client's OpenMetrics parser (Python), which refuses
/// anything that is not valid exposition text.
async fn metrics(admin: &str) -> Vec<Sample> {
    let r = Client::new()
        .get(format!("{admin}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()["content-type"],
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
    let text = r.text().await.unwrap();
    let python = std::env::var_os("APIGATE_MOTO_SERVER")
        .map(PathBuf::from)
        .and_then(|p| Some(p.parent()?.join("python")))
        .unwrap_or_else(|| "python3".into());
    let script = "import sys, json\n\
        from prometheus_client.openmetrics.parser import text_string_to_metric_families\n\
        out = [[s.name, s.labels, s.value] for f in text_string_to_metric_families(sys.stdin.read()) for s in f.samples]\n\
        print(json.dumps(out))\n";
    let mut child = Command::new(python)
        .arg("-c")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python with prometheus-client (scripts/test installs it with moto)");
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the parser refused the exposition: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The value of the sample `name` whose labels include `labels`.
fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    samples
        .iter()
        .find(|Sample(n, l, _)| {
            n == name
                && labels
                    .iter()
                    .all(|(k, v)| l.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|s| s.2)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_known_requests() {
    let echo = start_echo().await;
    let h = start(
        options(&definition(), &echo)
            .arg("--admin-listen")
            .arg("127.0.0.1:0"),
    )
    .await;
    let admin = admin(&h);
    let c = Client::new();
    let get = |path: &str| c.get(h.url(&format!("/dev{path}"))).send();

    for _ in 0..3 {
        assert_eq!(get("/pets").await.unwrap().status(), StatusCode::OK);
    }
    for _ in 0..2 {
        assert_eq!(
            get("/pets/404").await.unwrap().status(),
            StatusCode::NOT_FOUND
        );
    }
    assert_eq!(get("/pets/7").await.unwrap().status(), StatusCode::OK);
    assert_eq!(get("/nope").await.unwrap().status(), StatusCode::FORBIDDEN);
    let r = c
        .post(h.url("/dev/echo/upload"))
        .body(vec![b'x'; 1000])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let echoed = r.bytes().await.unwrap().len();
    let r = c
        .get(h.url("/dev/echo/unavailable"))
        .header("x-echo-status", "503")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    let r = get("/dead").await.unwrap();
    assert_eq!(r.status(), StatusCode::GATEWAY_TIMEOUT);

    let s = metrics(&admin).await;
    let requests = |resource: &str, status: &str| {
        value(
            &s,
            "apigate_requests_total",
            &[("stage", "dev"), ("resource", resource), ("status", status)],
        )
    };
    assert_eq!(requests("/pets", "200"), Some(3.0));
    assert_eq!(requests("/pets/{id}", "404"), Some(2.0));
    assert_eq!(requests("/pets/{id}", "200"), Some(1.0));
    assert_eq!(requests("/echo/{proxy+}", "200"), Some(1.0));
    assert_eq!(requests("/echo/{proxy+}", "503"), Some(1.0));
    assert_eq!(requests("/dead", "504"), Some(1.0));
    assert_eq!(
        value(
            &s,
            "apigate_requests_total",
            &[("method", "GET"), ("resource", ""), ("status", "403")]
        ),
        Some(1.0),
        "an unrouted request: its verb, no resource"
    );
    assert_eq!(requests("/pets", "404"), None, "no series without a value");
    let count = |name: &str, resource: &str| {
        value(&s, name, &[("resource", resource)]).unwrap_or_else(|| panic!("{name} {resource}"))
    };
    assert_eq!(
        count("apigate_request_duration_seconds_count", "/pets"),
        3.0
    );
    assert_eq!(
        count("apigate_request_duration_seconds_count", "/pets/{id}"),
        3.0
    );
    assert!(count("apigate_request_duration_seconds_sum", "/pets") > 0.0);
    assert_eq!(
        count(
            "apigate_integration_duration_seconds_count",
            "/echo/{proxy+}"
        ),
        2.0
    );
    assert_eq!(
        count("apigate_integration_duration_seconds_count", "/dead"),
        1.0
    );
    assert_eq!(
        value(
            &s,
            "apigate_integration_duration_seconds_count",
            &[("resource", "/pets")]
        ),
        None,
        "a mock calls no integration"
    );
    assert_eq!(
        value(
            &s,
            "apigate_integration_errors_total",
            &[("type", "INTEGRATION_FAILURE")]
        ),
        Some(1.0)
    );
    assert_eq!(value(&s, "apigate_requests_in_flight", &[]), Some(0.0));
    assert_eq!(value(&s, "apigate_request_bytes_total", &[]), Some(1000.0));
    let out = value(&s, "apigate_response_bytes_total", &[]).unwrap();
    assert!(out >= echoed as f64 + 3.0 * 26.0, "{out}");
    for zero in [
        "apigate_throttled_total",
        "apigate_quota_exceeded_total",
        "apigate_reloads_total",
        "apigate_reload_failures_total",
        "apigate_access_log_dropped_lines_total",
    ] {
        assert_eq!(value(&s, zero, &[]), Some(0.0), "{zero}");
    }

    let r = c.get(format!("{admin}/healthz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = c.get(format!("{admin}/readyz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let routes: serde_json::Value = serde_json::from_str(
        &c.get(format!("{admin}/routes"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    )
    .unwrap();
    let paths: Vec<&str> = routes
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["/dead", "/echo/{proxy+}", "/pets", "/pets/{id}"]);
    assert_eq!(routes[2]["integration"], "mock");
    assert_eq!(routes[2]["stage"], "dev");
    let r = c.get(format!("{admin}/nothing")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = c.post(format!("{admin}/metrics")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
}

/// Waits until `path` holds at least `n` lines.
async fn lines(path: &Path, n: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let lines: Vec<String> = text.lines().map(str::to_string).collect();
        if lines.len() >= n {
            return lines;
        }
        assert!(
            Instant::now() < deadline,
            "{} lines of {n}:\n{text}",
            lines.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The requests both format tests make: (path, status, request id, body length, client ms).
async fn logged_requests(h: &Harness) -> Vec<(&'static str, u16, String, usize, u128)> {
    let c = Client::new();
    let mut seen = Vec::new();
    for path in ["/pets", "/pets/404", "/echo/hello", "/nope"] {
        let started = Instant::now();
        let r = c.get(h.url(&format!("/dev{path}"))).send().await.unwrap();
        let status = r.status().as_u16();
        let id = r.headers()["x-amzn-requestid"]
            .to_str()
            .unwrap()
            .to_string();
        let length = r.bytes().await.unwrap().len();
        seen.push((path, status, id, length, started.elapsed().as_millis()));
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_log_lines_in_clf() {
    let echo = start_echo().await;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.log");
    // --access-log alone: the console's CLF preset.
    let h = start(
        options(&definition(), &echo)
            .arg("--access-log")
            .arg(log.to_str().unwrap()),
    )
    .await;
    let seen = logged_requests(&h).await;
    let lines = lines(&log, seen.len()).await;
    let resources = ["/pets", "/pets/{id}", "/echo/{proxy+}", "-"];
    for ((_, status, id, length, _), resource) in seen.iter().zip(resources) {
        let line = lines
            .iter()
            .find(|l| l.ends_with(id.as_str()))
            .unwrap_or_else(|| panic!("no line for {id} in {lines:#?}"));
        // 127.0.0.1 - - [07/Dec/2026:10:00:00 +0000] "GET /pets HTTP/1.1" 200 26 {id}
        let (head, rest) = line.split_once(" [").unwrap();
        assert_eq!(head, "127.0.0.1 - -");
        let (time, rest) = rest.split_once("] ").unwrap();
        assert_eq!(time.len(), "07/Dec/2026:10:00:00 +0000".len(), "{time}");
        assert!(time.ends_with(" +0000"));
        assert_eq!(
            rest,
            format!("\"GET {resource} HTTP/1.1\" {status} {length} {id}")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_log_lines_in_json() {
    let echo = start_echo().await;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.json");
    let format = r#"{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","requestTime":"$context.requestTime","httpMethod":"$context.httpMethod","resourcePath":"$context.resourcePath","path":"$context.path","status":$context.status,"protocol":"$context.protocol","responseLength":$context.responseLength,"responseLatency":$context.responseLatency,"integrationLatency":"$context.integrationLatency","integrationStatus":"$context.integration.status","error":"$context.error.message","ua":"$context.identity.userAgent"}"#;
    let h = start(
        options(&definition(), &echo)
            .arg("--access-log")
            .arg(log.to_str().unwrap())
            .arg("--access-log-format")
            .arg(format),
    )
    .await;
    let seen = logged_requests(&h).await;
    let lines = lines(&log, seen.len()).await;
    let entries: Vec<serde_json::Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    for (path, status, id, length, client_ms) in &seen {
        let e = entries
            .iter()
            .find(|e| e["requestId"] == id.as_str())
            .unwrap_or_else(|| panic!("no entry for {id}: {entries:#?}"));
        assert_eq!(e["status"], *status, "{e}");
        assert_eq!(e["responseLength"], *length as u64, "{e}");
        assert_eq!(e["httpMethod"], "GET");
        assert_eq!(e["path"], format!("/dev{path}"));
        assert_eq!(e["ip"], "127.0.0.1");
        assert_eq!(e["protocol"], "HTTP/1.1");
        assert!(e["ua"].is_string());
        let latency = e["responseLatency"].as_u64().unwrap();
        assert!(
            u128::from(latency) <= *client_ms + 5,
            "the gateway's latency {latency} ms within the client's {client_ms} ms: {e}"
        );
        match *path {
            "/pets" | "/pets/404" => {
                assert_eq!(
                    e["resourcePath"],
                    if *path == "/pets" {
                        "/pets"
                    } else {
                        "/pets/{id}"
                    }
                );
                assert_eq!(e["integrationLatency"], "-", "a mock has none: {e}");
                assert_eq!(e["error"], "-");
            }
            "/echo/hello" => {
                assert_eq!(e["resourcePath"], "/echo/{proxy+}");
                let ms: u64 = e["integrationLatency"].as_str().unwrap().parse().unwrap();
                assert!(ms <= latency, "{e}");
                assert_eq!(e["integrationStatus"], "200");
            }
            _ => {
                assert_eq!(e["resourcePath"], "-");
                assert_eq!(e["error"], "Missing Authentication Token");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_access_log_format_is_refused_at_start() {
    let out = Command::new(env!("CARGO_BIN_EXE_apigate"))
        .args(["serve", "tests/serve/ops.yaml", "--listen", "127.0.0.1:0"])
        .args(["--access-log-format", "$context.status $context.nope"])
        .current_dir(repo())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("$context.nope"), "{err}");
}

/// A self-signed certificate for `localhost`, written as `NAME.crt` and `NAME.key` in `dir`;
/// returns its PEM.
fn certificate(dir: &Path, name: &str) -> String {
    let rcgen::CertifiedKey { cert, signing_key } =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    std::fs::write(dir.join(format!("{name}.crt")), cert.pem()).unwrap();
    std::fs::write(dir.join(format!("{name}.key")), signing_key.serialize_pem()).unwrap();
    cert.pem()
}

/// A client that trusts only `pem`, reaching `localhost` at `addr`.
fn tls_client(pem: &str, addr: SocketAddr, http1: bool) -> Client {
    let b = Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(pem.as_bytes()).unwrap()])
        .resolve("localhost", addr);
    let b = if http1 { b.http1_only() } else { b };
    b.build().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_with_http1_and_http2_and_a_certificate_replaced_while_serving() {
    let echo = start_echo().await;
    let dir = tempfile::tempdir().unwrap();
    let first = certificate(dir.path(), "gateway");
    let log = dir.path().join("access.log");
    let h = start(
        options(&definition(), &echo)
            .arg("--tls-cert")
            .arg(dir.path().join("gateway.crt").to_str().unwrap())
            .arg("--tls-key")
            .arg(dir.path().join("gateway.key").to_str().unwrap())
            .arg("--access-log")
            .arg(log.to_str().unwrap())
            .arg("--access-log-format")
            .arg("$context.requestId $context.protocol $context.status"),
    )
    .await;
    assert!(h.root.starts_with("https://"), "{}", h.root);
    let addr: SocketAddr = h.root.trim_start_matches("https://").parse().unwrap();
    let url = format!("https://localhost:{}/dev/pets", addr.port());

    let mut ids = Vec::new();
    for (http1, version) in [
        (true, reqwest::Version::HTTP_11),
        (false, reqwest::Version::HTTP_2),
    ] {
        let r = tls_client(&first, addr, http1)
            .get(&url)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.version(), version, "ALPN");
        ids.push(
            r.headers()["x-amzn-requestid"]
                .to_str()
                .unwrap()
                .to_string(),
        );
        assert_eq!(r.text().await.unwrap(), r#"[{"id": 1, "name": "Rex"}]"#);
    }
    let lines = lines(&log, 2).await;
    assert!(
        lines.contains(&format!("{} HTTP/1.1 200", ids[0])),
        "{lines:?}"
    );
    assert!(
        lines.contains(&format!("{} HTTP/2.0 200", ids[1])),
        "{lines:?}"
    );

    // Plain HTTP on the TLS port is not served.
    let plain = Client::new()
        .get(format!("http://{addr}/dev/pets"))
        .timeout(Duration::from_secs(5))
        .send()
        .await;
    assert!(plain.is_err() || plain.unwrap().status() != StatusCode::OK);

    // A new certificate replaces the files: the watcher reloads it for new connections.
    let second_dir = tempfile::tempdir().unwrap();
    let second = certificate(second_dir.path(), "gateway");
    for ext in ["key", "crt"] {
        let name = format!("gateway.{ext}");
        let staged = dir.path().join(format!("{name}.new"));
        std::fs::copy(second_dir.path().join(&name), &staged).unwrap();
        std::fs::rename(&staged, dir.path().join(&name)).unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let r = tls_client(&second, addr, true).get(&url).send().await;
        if let Ok(r) = r {
            assert_eq!(r.status(), StatusCode::OK);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the new certificate is not served"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        tls_client(&first, addr, true)
            .get(&url)
            .send()
            .await
            .is_err(),
        "the old certificate is no longer shown"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_tls_a_lambda_proxy_event_says_https() {
    const KEY: &str = "AKIDGATEWAYLAMBDA";
    const SECRET: &str = "gateway/lambda/secret/0123456789";
    let l = lambda::start_lambda(lambda::LambdaSpec::new("us-east-2", KEY, SECRET).function(
        "proxied",
        |inv| {
            lambda::Outcome::json(serde_json::json!({
                "statusCode": 200,
                "body": inv.json()["headers"].to_string(),
            }))
        },
    ))
    .await;
    let dir = tempfile::tempdir().unwrap();
    let pem = certificate(dir.path(), "gateway");
    let h = start(
        Options::new("tests/serve/lambda.yaml", Store::Embedded)
            .arg("--aws-endpoint")
            .arg(&format!("lambda={}", l.endpoint))
            .arg("--stage-variable")
            .arg("fn=proxied")
            .arg("--tls-cert")
            .arg(dir.path().join("gateway.crt").to_str().unwrap())
            .arg("--tls-key")
            .arg(dir.path().join("gateway.key").to_str().unwrap())
            .env("AWS_ACCESS_KEY_ID", KEY)
            .env("AWS_SECRET_ACCESS_KEY", SECRET),
    )
    .await;
    let addr: SocketAddr = h.root.trim_start_matches("https://").parse().unwrap();
    let r = tls_client(&pem, addr, false)
        .get(format!("https://localhost:{}/dev/proxy/x", addr.port()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let headers: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(headers["X-Forwarded-Proto"], "https", "{headers}");
    assert_eq!(headers["X-Forwarded-Port"], addr.port().to_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_turns_readiness_off_and_drains_within_the_drain_timeout() {
    const KEY: &str = "AKIDGATEWAYLAMBDA";
    const SECRET: &str = "gateway/lambda/secret/0123456789";
    let l = lambda::start_lambda(
        lambda::LambdaSpec::new("us-east-2", KEY, SECRET).function("slow", |_| {
            lambda::Outcome::Slow(Duration::from_secs(20), b"{}".to_vec())
        }),
    )
    .await;
    let h = start(
        Options::new("tests/serve/lambda.yaml", Store::Embedded)
            .arg("--aws-endpoint")
            .arg(&format!("lambda={}", l.endpoint))
            .arg("--stage-variable")
            .arg("fn=slow")
            .arg("--admin-listen")
            .arg("127.0.0.1:0")
            .arg("--drain-timeout")
            .arg("0.5")
            .env("AWS_ACCESS_KEY_ID", KEY)
            .env("AWS_SECRET_ACCESS_KEY", SECRET),
    )
    .await;
    let admin = admin(&h);
    let c = Client::new();
    assert_eq!(
        c.get(format!("{admin}/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    // A request that would take 20 s (the integration's timeout is 1.5 s: it would answer 504
    // then, long after the 0.5 s drain timeout has cut it off).
    let slow = tokio::spawn({
        let url = h.url("/dev/proxy/x");
        async move { Client::new().get(url).send().await }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let pid = h.pid().to_string();
    let stopped = Instant::now();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    tokio::time::sleep(Duration::from_millis(100)).await;
    let r = c.get(format!("{admin}/readyz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE, "draining");
    assert_eq!(r.text().await.unwrap(), "draining\n");
    let status = tokio::task::spawn_blocking(move || h.stop()).await.unwrap();
    let took = stopped.elapsed();
    assert!(status.success(), "{status:?}");
    assert!(
        took < Duration::from_secs(3),
        "stopped after {took:?}, not within the 0.5 s drain timeout (with slack)"
    );
    // The request in flight was cut off (no answer) rather than waited for (it would have
    // answered 504 at 1.5 s).
    assert!(slow.await.unwrap().is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_in_flight_finishes_on_the_api_it_started_with() {
    const KEY: &str = "AKIDGATEWAYLAMBDA";
    const SECRET: &str = "gateway/lambda/secret/0123456789";
    let l = lambda::start_lambda(lambda::LambdaSpec::new("us-east-2", KEY, SECRET).function(
        "slowish",
        |_| {
            lambda::Outcome::Slow(
                Duration::from_millis(1000),
                br#"{"statusCode": 200, "body": "old"}"#.to_vec(),
            )
        },
    ))
    .await;
    let dir = tempfile::tempdir().unwrap();
    let api = dir.path().join("lambda.yaml");
    let base = std::fs::read_to_string(repo().join("tests/serve/lambda.yaml")).unwrap();
    std::fs::write(&api, &base).unwrap();
    let stderr = dir.path().join("stderr.log");
    let mut options = Options::new("tests/serve/lambda.yaml", Store::Embedded)
        .arg("--aws-endpoint")
        .arg(&format!("lambda={}", l.endpoint))
        .arg("--stage-variable")
        .arg("fn=slowish")
        .env("AWS_ACCESS_KEY_ID", KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET)
        .log_to(&stderr);
    options.definition = api.clone();
    let h = start(options).await;
    let slow = tokio::spawn({
        let url = h.url("/dev/proxy/x");
        async move {
            let r = Client::new().get(url).send().await.unwrap();
            (r.status(), r.text().await.unwrap())
        }
    });
    tokio::time::sleep(Duration::from_millis(150)).await;
    // The route the request is on goes away.
    replace(
        &api,
        &base.replace("/proxy/{proxy+}:", "/elsewhere/{proxy+}:"),
    );
    let deadline = Instant::now() + Duration::from_secs(2);
    while !std::fs::read_to_string(&stderr)
        .unwrap()
        .contains("apigate: reloaded")
    {
        assert!(Instant::now() < deadline, "not reloaded");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        !slow.is_finished(),
        "the request is still in flight after the reload"
    );
    let r = Client::new()
        .get(h.url("/dev/proxy/y"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::FORBIDDEN,
        "new requests get the new API"
    );
    assert_eq!(
        slow.await.unwrap(),
        (StatusCode::OK, "old".to_string()),
        "the request in flight finished on the old API"
    );
}

/// The definition with one more mock route, `/cats`.
fn with_cats(base: &str) -> String {
    base.replace(
        "paths:\n",
        "paths:\n  /cats:\n    get:\n      responses: {\"200\": {description: ok}}\n      x-amazon-apigateway-integration:\n        type: mock\n        requestTemplates: {application/json: '{\"statusCode\": 200}'}\n        responses:\n          default: {statusCode: \"200\", responseTemplates: {application/json: '{\"cats\": true}'}}\n",
    )
}

/// Replaces `path`'s content at once (a rename, as editors and deploy tools do).
fn replace(path: &Path, text: &str) {
    let staged = path.with_extension("staged");
    std::fs::write(&staged, text).unwrap();
    std::fs::rename(&staged, path).unwrap();
}

/// Polls `url` until it answers 200; the time it took.
async fn until_ok(c: &Client, url: &str, limit: Duration) -> Duration {
    let started = Instant::now();
    loop {
        if let Ok(r) = c.get(url).send().await {
            if r.status() == StatusCode::OK {
                return started.elapsed();
            }
        }
        assert!(
            started.elapsed() < limit,
            "{url} did not answer 200 within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hot_reload_under_load() {
    let echo = start_echo().await;
    let dir = tempfile::tempdir().unwrap();
    let api = dir.path().join("api.yaml");
    let base = std::fs::read_to_string(definition()).unwrap();
    std::fs::write(&api, &base).unwrap();
    let stderr = dir.path().join("stderr.log");
    let h = start(
        options(&api, &echo)
            .arg("--admin-listen")
            .arg("127.0.0.1:0")
            .log_to(&stderr),
    )
    .await;
    let admin = admin(&h);
    let c = Client::new();
    let cats = h.url("/dev/cats");
    assert_eq!(
        c.get(&cats).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );

    // Clients loop requests on the API while it is edited.
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let mut clients = Vec::new();
    for _ in 0..4 {
        let (stop, done, failed) = (stop.clone(), done.clone(), failed.clone());
        let url = h.url("/dev/pets");
        let echo_url = h.url("/dev/echo/loop");
        clients.push(tokio::spawn(async move {
            let c = Client::new();
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let target = if n.is_multiple_of(2) { &url } else { &echo_url };
                n += 1;
                match c.get(target).send().await {
                    Ok(r) if r.status() == StatusCode::OK => {
                        if r.bytes().await.is_err() {
                            failed.lock().unwrap().push("body cut".into());
                        }
                    }
                    Ok(r) => failed
                        .lock()
                        .unwrap()
                        .push(format!("{target}: {}", r.status())),
                    Err(e) => failed.lock().unwrap().push(format!("{target}: {e}")),
                }
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;

    // A valid edit: the new route answers within 2 s.
    replace(&api, &with_cats(&base));
    let took = until_ok(&c, &cats, Duration::from_secs(2)).await;
    eprintln!("the new route answered {took:?} after the edit");
    tokio::time::sleep(Duration::from_millis(300)).await;

    // An invalid edit (written in place): the last good API keeps serving.
    std::fs::write(&api, format!("{}\n  /broken: [\n", with_cats(&base))).unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !std::fs::read_to_string(&stderr)
        .unwrap()
        .contains("refused")
    {
        assert!(Instant::now() < deadline, "no refusal reported");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let r = c.get(&cats).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.text().await.unwrap(), r#"{"cats": true}"#);
    tokio::time::sleep(Duration::from_millis(300)).await;

    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.await.unwrap();
    }
    let failed = failed.lock().unwrap().clone();
    assert!(
        failed.is_empty(),
        "{} failed requests: {:?}",
        failed.len(),
        &failed[..failed.len().min(10)]
    );
    let done = done.load(Ordering::Relaxed);
    assert!(done >= 40, "only {done} requests during the edits");

    let log = std::fs::read_to_string(&stderr).unwrap();
    assert!(log.contains("apigate: reloaded"), "{log}");
    assert!(
        log.contains("error[syntax]"),
        "the diagnostics as validate prints them: {log}"
    );
    assert!(log.contains("still serving the last good API"), "{log}");
    let s = metrics(&admin).await;
    assert_eq!(value(&s, "apigate_reloads_total", &[]), Some(1.0));
    assert!(value(&s, "apigate_reload_failures_total", &[]).unwrap() >= 1.0);
    // /routes shows the API in force.
    let routes = get_text(&format!("{admin}/routes")).await;
    assert!(routes.contains("\"/cats\""), "{routes}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_with_watching_off() {
    let echo = start_echo().await;
    let dir = tempfile::tempdir().unwrap();
    let api = dir.path().join("api.yaml");
    let base = std::fs::read_to_string(definition()).unwrap();
    std::fs::write(&api, &base).unwrap();
    let h = start(options(&api, &echo).arg("--no-watch")).await;
    assert!(
        !h.banner.iter().any(|l| l.contains("watching")),
        "{:#?}",
        h.banner
    );
    let c = Client::new();
    let cats = h.url("/dev/cats");
    replace(&api, &with_cats(&base));
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        c.get(&cats).send().await.unwrap().status(),
        StatusCode::FORBIDDEN,
        "not watched"
    );
    let sent = Command::new("kill")
        .args(["-HUP", &h.pid().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    until_ok(&c, &cats, Duration::from_secs(2)).await;
    assert!(h.stop().success());
}
