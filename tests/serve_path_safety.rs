//! Path safety through the real `apigate serve` binary: a path parameter value can never take
//! a backend request outside the URI prefix the author wrote (`..`, `.`, `%2e`, `%2F..`), and
//! no two raw values decode to one (invalid UTF-8, malformed escapes) — for http and
//! http_proxy in front of the echo backend (`tests/serve/path_safety.yaml`), and for S3 keys
//! through the embedded store (`openapi/mys3.yaml`).
//!
//! Requests go out over a plain socket, byte for byte: HTTP clients resolve dot segments
//! before sending (and refuse bytes a hostile client may still send).

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

#[path = "support/echo.rs"]
mod echo;

use serde_json::Value;
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The gateway in front of the echo backend.
async fn gateway() -> Harness {
    let backend = echo::start_echo().await;
    let options = Options::new("tests/serve/path_safety.yaml", Store::Embedded)
        .arg("--stage-variable")
        .arg(&format!("backend={backend}"));
    start(options).await
}

/// Sends `METHOD target HTTP/1.0` exactly as given (no normalisation, any header bytes) and
/// reads the response to the end: HTTP/1.0 makes the server delimit it by closing.
async fn raw(
    h: &Harness,
    method: &str,
    target: &str,
    headers: &[(&str, &[u8])],
    body: &[u8],
) -> (u16, Vec<u8>) {
    let addr = h.root.strip_prefix("http://").unwrap();
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut req = format!("{method} {target} HTTP/1.0\r\nHost: {addr}\r\n").into_bytes();
    for (name, value) in headers {
        req.extend_from_slice(name.as_bytes());
        req.extend_from_slice(b": ");
        req.extend_from_slice(value);
        req.extend_from_slice(b"\r\n");
    }
    req.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
    req.extend_from_slice(body);
    s.write_all(&req).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    let split = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no response head: {:?}", String::from_utf8_lossy(&out)));
    let head = String::from_utf8_lossy(&out[..split]).into_owned();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line: {head}"));
    (status, out[split + 4..].to_vec())
}

/// GET `target`; the path the echo backend received, or the status when it was refused.
async fn backend_path(h: &Harness, target: &str) -> Result<String, u16> {
    let (status, body) = raw(h, "GET", target, &[], b"").await;
    if status != 200 {
        return Err(status);
    }
    let seen: Value = serde_json::from_slice(&body).unwrap_or_else(|_| {
        panic!(
            "{target}: not the echo's JSON: {:?}",
            String::from_utf8_lossy(&body)
        )
    });
    Ok(seen["path"].as_str().unwrap().to_string())
}

/// Every way a value could climb out of `/public/`, for each resource shape. Before the fix
/// each reached the echo backend as `/admin…` (or as `/public/..%2Fadmin`, which nginx and
/// others decode and resolve); now each is refused with 400 and the backend sees nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dot_segments_never_leave_the_uri_prefix() {
    let h = gateway().await;
    let escapes = [
        "..%2Fadmin%2Fsecret",
        "a/../../admin",
        "%2e%2e/admin",
        "%2E%2E%2Fadmin",
        ".%2e/admin",
        "./admin",
        "a/%2e/b",
        "..%5Cadmin",
        "..",
        "%2e%2e",
    ];
    for prefix in ["/v1/proxy/", "/v1/http/"] {
        for escape in escapes {
            let target = format!("{prefix}{escape}");
            assert_eq!(
                backend_path(&h, &target).await,
                Err(400),
                "greedy {target} must be refused"
            );
        }
    }
    // Single-segment placeholders: `%2F` keeps the value in one segment on the way in, but
    // backends decode it before resolving dot segments.
    for prefix in ["/v1/proxy-one/", "/v1/http-one/"] {
        for escape in [
            "..%2Fadmin",
            "%2e%2e",
            "..",
            "%2E",
            ".%2e%2Fadmin",
            "x%2F..%2F..%2Fadmin",
        ] {
            let target = format!("{prefix}{escape}");
            assert_eq!(
                backend_path(&h, &target).await,
                Err(400),
                "single-segment {target} must be refused"
            );
        }
    }
    // Dots that are not whole segments are ordinary characters.
    assert_eq!(
        backend_path(&h, "/v1/proxy/a..b/...c/.well-known/x.txt").await,
        Ok("/public/a..b/...c/.well-known/x.txt".into())
    );
    assert_eq!(
        backend_path(&h, "/v1/http/a/b.txt").await,
        Ok("/public/a/b.txt".into())
    );
    assert_eq!(
        backend_path(&h, "/v1/http-one/a%2Fb..c").await,
        Ok("/public/a%2Fb..c".into())
    );
}

/// A placeholder fed from the query string never went through routing: the rendered URI is
/// checked too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mapped_values_cannot_climb_out_either() {
    let h = gateway().await;
    for v in [
        "..",
        "..%2Fadmin",
        "%2e%2e%2Fadmin",
        "a%2F..%2F..%2Fadmin",
        ".",
    ] {
        let target = format!("/v1/mapped?v={v}");
        assert_eq!(backend_path(&h, &target).await, Err(400), "{target}");
    }
    assert_eq!(
        backend_path(&h, "/v1/mapped?v=a..b").await,
        Ok("/public/a..b".into())
    );
}

/// Distinct raw bytes must stay distinct: invalid UTF-8 and malformed escapes are refused
/// (400) in the path, the query string and the headers a mapping reads, instead of all
/// decoding to U+FFFD (or `%zz` and `%25zz` both to `%zz`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undecodable_values_are_refused_not_aliased() {
    let h = gateway().await;
    for target in [
        "/v1/http-one/%FF%FE",
        "/v1/http-one/%80%81",
        "/v1/http-one/%zz",
        "/v1/http-one/a%2",
        "/v1/proxy/%C3",
        "/v1/mapped?v=%FF",
        "/v1/mapped?v=ok&w=%zz",
    ] {
        assert_eq!(backend_path(&h, target).await, Err(400), "{target}");
    }
    // Valid UTF-8 and `%25` still pass, each to its own value.
    assert_eq!(
        backend_path(&h, "/v1/http-one/%E2%82%AC%25zz").await,
        Ok("/public/%E2%82%AC%25zz".into())
    );
    // Header values that are not UTF-8 (obs-text) would all read as U+FFFD.
    for value in [&b"\xff"[..], b"caf\xe9"] {
        let (status, _) = raw(&h, "GET", "/v1/mapped?v=ok", &[("X-Name", value)], b"").await;
        assert_eq!(status, 400, "header {value:?}");
    }
    let (status, body) = raw(
        &h,
        "GET",
        "/v1/mapped?v=ok",
        &[("X-Name", "café".as_bytes())],
        b"",
    )
    .await;
    assert_eq!(status, 200);
    let seen: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(seen["headers"]["x-name"], "café");
}

/// S3 keys through the embedded store: `PUT …/%FF%FE` then `GET …/%80%81` returned the first
/// object (both keys decoded to U+FFFD U+FFFD). Both are refused now, as are keys with dot
/// segments, which path-style S3 URLs cannot carry safely.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_keys_never_alias() {
    let h = start(Options::new("openapi/mys3.yaml", Store::Embedded).arg("--no-auth")).await;
    let (status, body) = raw(&h, "PUT", "/S3/path-safety", &[], b"").await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let put = |target: &'static str, body: &'static [u8]| {
        let h = &h;
        async move {
            raw(h, "PUT", target, &[("Content-Type", b"text/plain")], body)
                .await
                .0
        }
    };
    assert_eq!(put("/S3/path-safety/%FF%FE", b"first").await, 400);
    assert_eq!(
        raw(&h, "GET", "/S3/path-safety/%80%81", &[], b"").await.0,
        400
    );
    for key in ["a%2F..%2Fb", "..", "%2e%2e", "a%2F.%2Fb"] {
        let target = format!("/S3/path-safety/{key}");
        let (status, _) = raw(&h, "PUT", &target, &[("Content-Type", b"text/plain")], b"x").await;
        assert_eq!(status, 400, "{target}");
    }
    // Keys that are valid UTF-8 and free of dot segments round-trip, each to its own object.
    assert_eq!(put("/S3/path-safety/%E2%82%AC", b"euro").await, 200);
    assert_eq!(put("/S3/path-safety/a..b", b"dots").await, 200);
    let (status, body) = raw(&h, "GET", "/S3/path-safety/%E2%82%AC", &[], b"").await;
    assert_eq!((status, body.as_slice()), (200, &b"euro"[..]));
    let (status, body) = raw(&h, "GET", "/S3/path-safety/a..b", &[], b"").await;
    assert_eq!((status, body.as_slice()), (200, &b"dots"[..]));
}
