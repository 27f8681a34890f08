//! Backends that stall, close, send garbage or odd statuses, through the real `apigate serve`
//! binary: raw TCP backends written here, behind `http_proxy`, `http` and S3
//! (`--s3-endpoint`) routes. Definition: `tests/serve/backend_faults.yaml` (integration
//! timeout 1 s; the gateway runs with `--backend-idle-timeout 1`).
//!
//! What must hold: a backend fault is never a 4xx; a buffered response (a template reads
//! the body) that the backend does not finish is a 504; a streamed response that the backend
//! does not finish is cut off — never complete-looking; a slow upload is not cut at the
//! integration timeout; the proxy variables are honoured.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Longest any exchange here may take; the faults are all decided within a few seconds.
const PATIENCE: Duration = Duration::from_secs(20);

/// Reads one request (head, then a Content-Length body). Returns the head and the body.
async fn read_request(s: &mut TcpStream) -> (String, Vec<u8>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = s.read(&mut chunk).await.unwrap_or(0);
        if n == 0 {
            return (String::from_utf8_lossy(&buf).into_owned(), Vec::new());
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let length = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let mut body = buf[head_end..].to_vec();
    while body.len() < length {
        let n = s.read(&mut chunk).await.unwrap_or(0);
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    (head, body)
}

/// A backend that behaves as the last segment of the request path says. Returns its
/// `127.0.0.1:PORT`.
async fn start_raw_backend() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        loop {
            let Ok((s, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(misbehave(s));
        }
    });
    addr
}

async fn misbehave(mut s: TcpStream) {
    let (head, body) = read_request(&mut s).await;
    let target = head.split(' ').nth(1).unwrap_or("/").to_string();
    let name = target
        .split('?')
        .next()
        .and_then(|p| p.rsplit('/').next())
        .unwrap_or("")
        .to_string();
    let stall = || tokio::time::sleep(Duration::from_secs(60));
    match name.as_str() {
        // The request is read, then nothing: no head ever comes.
        "never" => stall().await,
        // Headers, part of the body, then silence.
        "mid-stall" => {
            let _ = s
                .write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
                )
                .await;
            stall().await;
        }
        // Headers promising 100 bytes, then silence.
        "head-stall" => {
            let _ = s
                .write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n",
                )
                .await;
            stall().await;
        }
        // Headers promising 100 bytes, 5 of them, then the connection closes.
        "mid-close" => {
            let _ = s
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\nhello")
                .await;
        }
        // A chunk size that is not hex.
        "bad-chunk" => {
            let _ = s
                .write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\nhello\r\n0\r\n\r\n",
                )
                .await;
            stall().await;
        }
        "status-600" => {
            let _ = s
                .write_all(b"HTTP/1.1 600 Odd\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
                .await;
        }
        // The request head as the body.
        "echo-headers" => {
            let _ = s
                .write_all(
                    format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{head}",
                        head.len()
                    )
                    .as_bytes(),
                )
                .await;
        }
        "upload" => {
            let answer = format!("got {}", body.len());
            let _ = s
                .write_all(
                    format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                        answer.len()
                    )
                    .as_bytes(),
                )
                .await;
        }
        _ => {
            let _ = s
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\nConnection: close\r\n\r\ndirect")
                .await;
        }
    }
    let _ = s.shutdown().await;
}

/// The gateway in front of one raw backend (also its S3 endpoint).
async fn gateway() -> Harness {
    let backend = start_raw_backend().await;
    let mut options = Options::new("tests/serve/backend_faults.yaml", Store::Embedded)
        .arg("--stage-variable")
        .arg(&format!("backend={backend}"))
        .arg("--backend-idle-timeout")
        .arg("1");
    options.endpoint = Some(format!("http://{backend}"));
    start(options).await
}

/// Sends `request` as written to the gateway and reads until the gateway closes or resets
/// the connection. Returns the bytes and how long that took.
async fn exchange(h: &Harness, request: &[u8]) -> (Vec<u8>, Duration) {
    let addr = h.root.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).await.unwrap();
    let started = Instant::now();
    s.write_all(request).await.unwrap();
    let mut out = Vec::new();
    let mut chunk = [0u8; 4096];
    tokio::time::timeout(PATIENCE, async {
        loop {
            match s.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => out.extend_from_slice(&chunk[..n]),
            }
        }
    })
    .await
    .unwrap_or_else(|_| {
        panic!(
            "the response never ended; so far: {}",
            String::from_utf8_lossy(&out)
        )
    });
    (out, started.elapsed())
}

async fn get(h: &Harness, path: &str) -> (Vec<u8>, Duration) {
    exchange(
        h,
        format!("GET {path} HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
}

/// A response read off the wire.
struct Raw {
    status: u16,
    head: String,
    body: Vec<u8>,
}

fn parse(raw: &[u8]) -> Raw {
    let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Raw {
            status: 0,
            head: String::from_utf8_lossy(raw).into_owned(),
            body: Vec::new(),
        };
    };
    let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Raw {
        status,
        head,
        body: raw[end + 4..].to_vec(),
    }
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            (k == name).then(|| v.trim())
        })
    }

    /// Whether the framing says the whole body arrived.
    fn looks_complete(&self) -> bool {
        if self.status == 0 {
            return false;
        }
        if let Some(n) = self.header("content-length") {
            return n.parse::<usize>().ok() == Some(self.body.len());
        }
        if self.header("transfer-encoding") == Some("chunked") {
            return self.body.ends_with(b"0\r\n\r\n");
        }
        // Delimited by the close: indistinguishable from a complete body.
        true
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streamed_responses_are_cut_off_when_the_backend_goes_silent() {
    let h = gateway().await;
    for path in [
        "/v1/proxy/mid-stall",
        "/v1/proxy/head-stall",
        "/v1/plain/mid-stall",
        "/v1/s3/mid-stall",
    ] {
        let (raw, took) = get(&h, path).await;
        let r = parse(&raw);
        assert!(
            !r.looks_complete(),
            "{path}: a complete-looking response: {}",
            String::from_utf8_lossy(&raw)
        );
        assert!(r.status == 0 || r.status == 200, "{path}: {}", r.head);
        // Idle timeout 1 s: cut within two of them plus the timer's quarter second.
        assert!(took < Duration::from_secs(10), "{path}: took {took:?}");
        assert!(took >= Duration::from_millis(900), "{path}: took {took:?}");
    }
}

/// No response head within `timeoutInMillis` (1 s here) → 504, for every integration type,
/// whether or not the method request had a body (a GET's body of unknown length is never
/// sent, so the timeout must not wait for its upload).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backend_that_never_answers_is_504_within_the_timeout() {
    let h = gateway().await;
    for path in [
        "/v1/plain/never",
        "/v1/templated/never",
        "/v1/proxy/never",
        "/v1/s3/never",
    ] {
        for request in [
            format!("GET {path} HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n"),
            format!(
                "GET {path} HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
            ),
        ] {
            let (raw, took) = exchange(&h, request.as_bytes()).await;
            let r = parse(&raw);
            assert_eq!(r.status, 504, "{request:?}: {}", String::from_utf8_lossy(&raw));
            assert!(
                String::from_utf8_lossy(&r.body).contains("Endpoint request timed out"),
                "{request:?}"
            );
            assert!(took < Duration::from_secs(10), "{request:?}: took {took:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn buffered_responses_the_backend_does_not_finish_are_504() {
    let h = gateway().await;
    for path in ["/v1/templated/mid-stall", "/v1/s3-templated/mid-stall"] {
        let (raw, took) = get(&h, path).await;
        let r = parse(&raw);
        assert_eq!(r.status, 504, "{path}: {}", String::from_utf8_lossy(&raw));
        assert!(
            String::from_utf8_lossy(&r.body).contains("Endpoint request timed out"),
            "{path}"
        );
        assert_eq!(
            r.header("x-amzn-errortype"),
            Some("internalservererrorexception")
        );
        assert!(r.looks_complete(), "{path}: the 504 itself is well framed");
        assert!(took < Duration::from_secs(10), "{path}: took {took:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backend_body_faults_are_5xx_or_cut_off_never_4xx() {
    let h = gateway().await;
    for fault in ["mid-close", "bad-chunk"] {
        // Buffered: answered whole as a backend failure.
        for route in ["templated", "s3-templated"] {
            let path = format!("/v1/{route}/{fault}");
            let (raw, _) = get(&h, &path).await;
            let r = parse(&raw);
            assert_eq!(r.status, 504, "{path}: {}", String::from_utf8_lossy(&raw));
            assert!(
                String::from_utf8_lossy(&r.body).contains("Internal server error"),
                "{path}"
            );
            assert_eq!(
                r.header("x-amzn-errortype"),
                Some("internalservererrorexception")
            );
        }
        // Streamed: the head may be out already; the body is cut off.
        for route in ["proxy", "plain", "s3"] {
            let path = format!("/v1/{route}/{fault}");
            let (raw, _) = get(&h, &path).await;
            let r = parse(&raw);
            assert!(
                !(400..500).contains(&r.status),
                "{path}: {}",
                String::from_utf8_lossy(&raw)
            );
            assert!(
                !r.looks_complete() || r.status >= 500,
                "{path}: a complete-looking response: {}",
                String::from_utf8_lossy(&raw)
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_status_outside_100_to_599_is_a_backend_fault() {
    let h = gateway().await;
    for route in ["proxy", "plain", "templated", "s3"] {
        let path = format!("/v1/{route}/status-600");
        let (raw, _) = get(&h, &path).await;
        let r = parse(&raw);
        assert_eq!(r.status, 504, "{path}: {}", String::from_utf8_lossy(&raw));
        assert!(r.looks_complete());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_proxy_drops_proxy_authorization_and_connection_named_headers() {
    let h = gateway().await;
    let (raw, _) = exchange(
        &h,
        b"GET /v1/proxy/echo-headers HTTP/1.1\r\nHost: gw\r\nProxy-Authorization: Basic Zm9vOmJhcg==\r\n\
          Connection: close, X-Hop\r\nX-Hop: secret\r\nX-Kept: yes\r\n\r\n",
    )
    .await;
    let r = parse(&raw);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&raw));
    let seen = String::from_utf8_lossy(&r.body).to_ascii_lowercase();
    assert!(seen.contains("x-kept: yes"), "{seen}");
    assert!(!seen.contains("proxy-authorization"), "{seen}");
    assert!(!seen.contains("x-hop"), "{seen}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_upload_is_not_cut_by_the_integration_timeout() {
    let h = gateway().await;
    let addr = h.root.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"PUT /v1/s3/upload HTTP/1.1\r\nHost: gw\r\nContent-Type: application/octet-stream\r\nContent-Length: 30\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    // 30 bytes over ~2 s: twice the integration timeout of 1 s.
    for _ in 0..3 {
        s.write_all(b"0123456789").await.unwrap();
        tokio::time::sleep(Duration::from_millis(700)).await;
    }
    let mut out = Vec::new();
    tokio::time::timeout(PATIENCE, s.read_to_end(&mut out))
        .await
        .expect("answered")
        .unwrap();
    let r = parse(&out);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&out));
    // Chunked: "6\r\ngot 30\r\n0\r\n\r\n".
    assert!(r.looks_complete());
    assert!(
        String::from_utf8_lossy(&r.body).contains("got 30"),
        "the backend received all 30 bytes"
    );
}

/// A forward proxy that answers every request itself, recording its request line and
/// Proxy-Authorization.
async fn start_forward_proxy() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = listener.accept().await else {
                return;
            };
            let record = record.clone();
            tokio::spawn(async move {
                let (head, _) = read_request(&mut s).await;
                let mut lines = head.lines();
                let mut entry = lines.next().unwrap_or("").to_string();
                for l in lines {
                    if l.to_ascii_lowercase().starts_with("proxy-authorization:") {
                        entry.push_str(" | ");
                        entry.push_str(l);
                    }
                }
                record.lock().unwrap().push(entry);
                let _ = s
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\nConnection: close\r\n\r\nvia-proxy")
                    .await;
                let _ = s.shutdown().await;
            });
        }
    });
    (addr, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_proxy_variable_is_honoured_and_no_proxy_bypasses_it() {
    let backend = start_raw_backend().await;
    let (proxy, seen) = start_forward_proxy().await;
    let with_proxy = |no_proxy: &str| {
        Options::new("tests/serve/backend_faults.yaml", Store::Embedded)
            .arg("--stage-variable")
            .arg(&format!("backend={backend}"))
            .env("HTTP_PROXY", &format!("http://user:pass@{proxy}"))
            .env("http_proxy", "")
            .env("NO_PROXY", no_proxy)
            .env("no_proxy", no_proxy)
    };

    let h = start(with_proxy("")).await;
    let (raw, _) = get(&h, "/v1/proxy/anything?x=1").await;
    let r = parse(&raw);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&raw));
    assert_eq!(r.body, b"via-proxy");
    let lines = seen.lock().unwrap().clone();
    assert_eq!(
        lines,
        vec![format!(
            "GET http://{backend}/anything?x=1 HTTP/1.1 | proxy-authorization: Basic dXNlcjpwYXNz"
        )],
        "absolute-form request with the proxy's credentials"
    );
    drop(h);

    let h = start(with_proxy("127.0.0.1")).await;
    let (raw, _) = get(&h, "/v1/proxy/anything").await;
    let r = parse(&raw);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&raw));
    assert_eq!(
        r.body, b"direct",
        "NO_PROXY sends it straight to the backend"
    );
    assert_eq!(seen.lock().unwrap().len(), 1, "the proxy saw nothing more");
}
