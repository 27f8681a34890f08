//! Connection hardening through the real `apigate serve` binary, over raw sockets: silent
//! connections and unfinished heads or h2c prefaces are closed, `--max-connections` holds
//! new connections back while established ones are served, a client that stops reading is
//! disconnected, and the embedded store's port applies the same limits. Backend: the echo
//! server (`tests/support/echo.rs`) behind `tests/serve/http.yaml`'s `http_proxy`.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

#[path = "support/echo.rs"]
mod echo;

use std::time::{Duration, Instant};
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The gateway in front of a fresh echo backend, with `args` added.
async fn gateway(args: &[&str]) -> Harness {
    let backend = echo::start_echo().await;
    let mut options = Options::new("tests/serve/http.yaml", Store::Embedded)
        .arg("--stage-variable")
        .arg(&format!("backend={backend}"));
    for a in args {
        options = options.arg(a);
    }
    start(options).await
}

async fn connect(h: &Harness) -> TcpStream {
    TcpStream::connect(h.root.trim_start_matches("http://"))
        .await
        .unwrap()
}

/// Waits (up to `within`) for the server to close `s`; returns how long that took, and the
/// bytes it sent first. Panics if it stays open.
async fn closed_within(s: &mut TcpStream, within: Duration) -> (Duration, Vec<u8>) {
    let started = Instant::now();
    let mut got = Vec::new();
    let read = tokio::time::timeout(within, async {
        let mut buf = [0u8; 4096];
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(
        read.is_ok(),
        "the connection is still open after {within:?}; it sent {:?}",
        String::from_utf8_lossy(&got)
    );
    (started.elapsed(), got)
}

/// Sends a keep-alive GET through the http_proxy and reads one whole response (the echo's
/// JSON, with a Content-Length or chunked); returns its status.
async fn get(s: &mut TcpStream, path: &str) -> u16 {
    s.write_all(format!("GET /v1/proxy/{path} HTTP/1.1\r\nHost: gw\r\n\r\n").as_bytes())
        .await
        .unwrap();
    read_response(s).await
}

async fn read_response(s: &mut TcpStream) -> u16 {
    let mut data = Vec::new();
    let mut buf = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = s.read(&mut buf).await.unwrap();
        assert!(n > 0, "closed before a response head");
        data.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&data[..head_end]).to_ascii_lowercase();
    let status: u16 = head[9..12].parse().unwrap();
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map(|v| v.trim().parse::<usize>().unwrap());
    let complete = |data: &[u8]| match length {
        Some(n) => data.len() >= head_end + n,
        None => data.ends_with(b"0\r\n\r\n"),
    };
    while !complete(&data) {
        let n = s.read(&mut buf).await.unwrap();
        assert!(n > 0, "closed inside a response body");
        data.extend_from_slice(&buf[..n]);
    }
    status
}

/// A connection that sends nothing, and one that goes quiet after a response, are closed
/// after the idle timeout; one that keeps making requests is not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_connections_are_closed_after_the_idle_timeout() {
    let h = gateway(&["--idle-timeout", "1"]).await;

    let mut silent = connect(&h).await;
    let (took, sent) = closed_within(&mut silent, Duration::from_secs(10)).await;
    assert!(took >= Duration::from_millis(900), "closed after {took:?}");
    assert!(sent.is_empty(), "{:?}", String::from_utf8_lossy(&sent));

    let mut busy = connect(&h).await;
    let mut quiet = connect(&h).await;
    assert_eq!(get(&mut quiet, "first").await, 200);
    // Requests every 300 ms for 2 s keep `busy` open past the idle timeout.
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(2) {
        assert_eq!(get(&mut busy, "again").await, 200);
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let (took, _) = closed_within(&mut quiet, Duration::from_secs(10)).await;
    assert!(took < Duration::from_secs(10));
    assert_eq!(get(&mut busy, "still-open").await, 200);
}

/// An h2c preface that stops half way, and an HTTP/1 head that does, are closed after the
/// header-read timeout although the idle timeout is far off.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_h2c_prefaces_and_heads_are_closed() {
    let h = gateway(&["--header-read-timeout", "1", "--idle-timeout", "60"]).await;
    let opened = Instant::now();
    let mut preface = connect(&h).await;
    preface.write_all(b"PRI * HTTP/2.0\r\n").await.unwrap();
    let mut head = connect(&h).await;
    head.write_all(b"GET /v1/proxy/x HTTP/1.1\r\nHost: gw\r\n")
        .await
        .unwrap();
    for s in [&mut preface, &mut head] {
        let (_, sent) = closed_within(s, Duration::from_secs(10)).await;
        let took = opened.elapsed();
        assert!(took >= Duration::from_millis(800), "closed after {took:?}");
        assert!(
            sent.is_empty() || sent.starts_with(b"HTTP/1.1 408"),
            "{:?}",
            String::from_utf8_lossy(&sent)
        );
    }
    // A complete h2c preface and request is still served: the server answers with SETTINGS.
    let mut h2 = connect(&h).await;
    h2.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")
        .await
        .unwrap();
    let mut frame = [0u8; 9];
    tokio::time::timeout(Duration::from_secs(5), h2.read_exact(&mut frame))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(frame[3], 0x4, "a SETTINGS frame first");
}

/// Between requests a keep-alive connection is idle, not slow: it outlives the header-read
/// timeout and is closed at the idle timeout. A head begun between requests must still
/// complete within the header-read timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_alive_connections_wait_for_the_idle_timeout_not_the_head_timeout() {
    let h = gateway(&["--header-read-timeout", "1", "--idle-timeout", "4"]).await;
    let mut kept = connect(&h).await;
    assert_eq!(get(&mut kept, "first").await, 200);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        get(&mut kept, "after-two-idle-seconds").await,
        200,
        "still open past the 1 s head timeout"
    );
    let (took, sent) = closed_within(&mut kept, Duration::from_secs(15)).await;
    assert!(took >= Duration::from_millis(3500), "closed after {took:?}");
    assert!(sent.is_empty(), "{:?}", String::from_utf8_lossy(&sent));

    let mut slow = connect(&h).await;
    assert_eq!(get(&mut slow, "first").await, 200);
    slow.write_all(b"GET /v1/proxy/x HTTP/1.1\r\nHost: gw\r\n")
        .await
        .unwrap();
    let (took, _) = closed_within(&mut slow, Duration::from_secs(15)).await;
    assert!(
        took < Duration::from_millis(3000),
        "a half-sent head is closed at the head timeout, not the idle one: {took:?}"
    );
}

/// With `--max-connections 4` a fifth connection waits (no answer, nothing refused) while
/// the four are served, and is served as soon as one of them closes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_limit_wait_until_one_closes() {
    let h = gateway(&["--max-connections", "4"]).await;
    let mut four = Vec::new();
    for i in 0..4 {
        let mut s = connect(&h).await;
        assert_eq!(get(&mut s, &format!("c{i}")).await, 200);
        four.push(s);
    }
    let mut fifth = connect(&h).await;
    fifth
        .write_all(b"GET /v1/proxy/fifth HTTP/1.1\r\nHost: gw\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 64];
    assert!(
        tokio::time::timeout(Duration::from_millis(1500), fifth.read(&mut buf))
            .await
            .is_err(),
        "the fifth connection is held back while four are open"
    );
    for (i, s) in four.iter_mut().enumerate() {
        assert_eq!(get(s, &format!("again{i}")).await, 200, "connection {i}");
    }
    drop(four.pop());
    let status = tokio::time::timeout(Duration::from_secs(10), read_response(&mut fifth))
        .await
        .expect("served once a slot is free");
    assert_eq!(status, 200);
}

/// A client that stops reading a large response is disconnected after the write timeout,
/// not held (with the response's buffers) for as long as it likes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_is_disconnected() {
    let h = gateway(&["--write-timeout", "1"]).await;
    let mut s = connect(&h).await;
    // 1 GiB: far more than the socket buffers on both ends hold.
    s.write_all(b"GET /v1/proxy/bytes/1073741824 HTTP/1.1\r\nHost: gw\r\n\r\n")
        .await
        .unwrap();
    let mut head = [0u8; 12];
    s.read_exact(&mut head).await.unwrap();
    assert_eq!(&head, b"HTTP/1.1 200");
    // Stop reading for well over the write timeout, then drain what is left.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let mut total = 0usize;
    let mut buf = vec![0u8; 1 << 16];
    let drained = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => total += n,
            }
            assert!(
                total < 128 << 20,
                "still streaming after {total} more bytes: not disconnected"
            );
        }
    })
    .await;
    assert!(drained.is_ok(), "the connection stayed open");
}

/// The embedded store's port closes a request head that does not arrive in time (it had
/// no head timeout) and an idle connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embedded_store_closes_slow_heads() {
    let h = gateway(&["--header-read-timeout", "1"]).await;
    let store = h
        .banner
        .iter()
        .find_map(|l| l.strip_prefix("apigate: embedded S3 store at http://"))
        .and_then(|rest| rest.split(',').next())
        .expect("the banner names the store's endpoint")
        .to_string();
    let mut slow = TcpStream::connect(&store).await.unwrap();
    slow.write_all(b"GET /bucket/key HTTP/1.1\r\nHost: s3\r\n")
        .await
        .unwrap();
    let (took, sent) = closed_within(&mut slow, Duration::from_secs(10)).await;
    assert!(took >= Duration::from_millis(800), "closed after {took:?}");
    assert!(
        sent.is_empty() || sent.starts_with(b"HTTP/1.1 408"),
        "{:?}",
        String::from_utf8_lossy(&sent)
    );
}

/// Out of file descriptors (`ulimit -n 64`, a connection limit above it): accepting fails
/// with EMFILE, the loop backs off with one log line for the whole streak instead of one per
/// attempt, an established connection is still served, and once connections close new ones
/// are accepted again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_descriptors_backs_off_quietly_and_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("gateway.log");
    let backend = echo::start_echo().await;
    let h = start(
        Options::new("tests/serve/http.yaml", Store::Embedded)
            .arg("--stage-variable")
            .arg(&format!("backend={backend}"))
            .arg("--max-connections")
            .arg("1000")
            .fd_limit(64)
            .log_to(&log),
    )
    .await;
    let mut established = connect(&h).await;
    assert_eq!(get(&mut established, "before").await, 200);
    let mut flood = Vec::new();
    for _ in 0..120 {
        flood.push(connect(&h).await);
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        get(&mut established, "during").await,
        200,
        "an established connection is served while accepts fail"
    );
    drop(flood);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut fresh = connect(&h).await;
    let served = tokio::time::timeout(Duration::from_secs(10), get(&mut fresh, "after"))
        .await
        .expect("a new connection is served once descriptors are free again");
    assert_eq!(served, 200);
    let text = std::fs::read_to_string(&log).unwrap();
    let backing_off = text.matches("accept failed; backing off").count();
    assert!(
        (1..=3).contains(&backing_off),
        "one warning per streak of failed accepts, not one per attempt: {backing_off}\n{text}"
    );
    assert!(text.contains("accepting again"), "{text}");
}
