//! An HTTP backend for the http/http_proxy tests (hyper on 127.0.0.1:0): answers every
//! request with a JSON description of what it received. `x-echo-status: N` sets the status,
//! `x-echo-location: L` a `Location` header;
//! `GET …/bytes/N` streams N bytes instead; `PUT /store/KEY` keeps the body and its
//! Content-Type in memory and `GET /store/KEY` returns them.

use bytes::Bytes;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use sha2::Digest;
use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};

/// Objects kept by `PUT /store/KEY`: key → (content type, bytes).
type Objects = Arc<Mutex<HashMap<String, (Option<String>, Bytes)>>>;

type EchoBody = http_body_util::combinators::BoxBody<Bytes, Infallible>;

/// Starts the backend; returns `127.0.0.1:PORT`.
pub async fn start_echo() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let objects = Objects::default();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let objects = objects.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req| echo(req, objects.clone()));
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr.to_string()
}

async fn echo(req: Request<Incoming>, objects: Objects) -> Result<Response<EchoBody>, Infallible> {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_string();
    if let Some(key) = path.strip_prefix("/store/") {
        let key = key.to_string();
        if parts.method == hyper::Method::PUT {
            let bytes = body
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            let ct = parts
                .headers
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_string());
            objects.lock().unwrap().insert(key, (ct, bytes));
            return Ok(Response::new(Full::new(Bytes::new()).boxed()));
        }
        let found = objects.lock().unwrap().get(&key).cloned();
        return Ok(match found {
            Some((ct, bytes)) => {
                let mut r = Response::builder();
                if let Some(ct) = ct {
                    r = r.header("content-type", ct);
                }
                r.body(Full::new(bytes).boxed()).unwrap()
            }
            None => Response::builder()
                .status(404)
                .body(Full::new(Bytes::from_static(b"no such object")).boxed())
                .unwrap(),
        });
    }
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
    let mut response = Response::builder();
    if let Some(location) = parts.headers.get("x-echo-location") {
        response = response.header("location", location);
    }
    Ok(response
        .status(status)
        .header("content-type", "application/json")
        .header("x-echo-method", parts.method.as_str())
        .header("server", "echo/1")
        .header("www-authenticate", "Basic realm=echo")
        .header("x-custom", "kept")
        .body(Full::new(Bytes::from(description.to_string())).boxed())
        .unwrap())
}
