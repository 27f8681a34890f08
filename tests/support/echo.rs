//! An HTTP backend for the http/http_proxy tests (hyper on 127.0.0.1:0): answers every
//! request with a JSON description of what it received. `x-echo-status: N` sets the status;
//! `GET …/bytes/N` streams N bytes instead.

use bytes::Bytes;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use sha2::Digest;
use std::convert::Infallible;

type EchoBody = http_body_util::combinators::BoxBody<Bytes, Infallible>;

/// Starts the backend; returns `127.0.0.1:PORT`.
pub async fn start_echo() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), hyper::service::service_fn(echo))
                    .await;
            });
        }
    });
    addr.to_string()
}

async fn echo(req: Request<Incoming>) -> Result<Response<EchoBody>, Infallible> {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_string();
    if let Some(n) = path
        .rsplit_once("/bytes/")
        .and_then(|(_, n)| n.parse::<usize>().ok())
    {
        // 64 KiB chunks of a repeating pattern.
        let chunks = (0..n.div_ceil(65_536)).map(move |i| {
            let len = (n - i * 65_536).min(65_536);
            let chunk: Vec<u8> = (0..len).map(|j| ((i * 65_536 + j) % 251) as u8).collect();
            Ok::<_, Infallible>(Frame::data(Bytes::from(chunk)))
        });
        let body = StreamBody::new(futures_util::stream::iter(chunks)).boxed();
        return Ok(Response::builder()
            .header("content-type", "application/octet-stream")
            .body(body)
            .unwrap());
    }
    let bytes = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let mut headers = serde_json::Map::new();
    for (name, value) in &parts.headers {
        headers.insert(
            name.as_str().to_string(),
            serde_json::Value::String(String::from_utf8_lossy(value.as_bytes()).into_owned()),
        );
    }
    let description = serde_json::json!({
        "method": parts.method.as_str(),
        "path": path,
        "query": parts.uri.query(),
        "headers": headers,
        "body_len": bytes.len(),
        "body_sha256": hex::encode(sha2::Sha256::digest(&bytes)),
    });
    let status = parts
        .headers
        .get("x-echo-status")
        .and_then(|v| v.to_str().ok()?.parse::<u16>().ok())
        .unwrap_or(200);
    Ok(Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("x-echo-method", parts.method.as_str())
        .header("server", "echo/1")
        .header("www-authenticate", "Basic realm=echo")
        .header("x-custom", "kept")
        .body(Full::new(Bytes::from(description.to_string())).boxed())
        .unwrap())
}
