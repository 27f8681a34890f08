//! Binary support, byte for byte, through the real `apigate serve` binary: every cell of the
//! request (docs/SEMANTICS.md §8.2) and response (§8.3) conversion tables, with a real PNG,
//! against S3 (the embedded store) and against an http backend (the echo server's object
//! store).
//!
//! Each API is generated here (binary media types `image/png`, or none) with three routes that
//! differ only in `contentHandling`: `/raw` (unset), `/text` (CONVERT_TO_TEXT) and `/bin`
//! (CONVERT_TO_BINARY). Stored bytes are read from the backend directly, not through the
//! gateway, so each cell checks one conversion.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod support;

#[path = "support/echo.rs"]
mod echo;

use base64::Engine as _;
use reqwest::{Client, StatusCode};
use std::time::SystemTime;
use support::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    S3,
    Http,
}

fn png() -> Vec<u8> {
    std::fs::read(repo().join("tests/fixtures/apigate.png")).unwrap()
}

fn b64(bytes: &[u8]) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .encode(bytes)
        .into_bytes()
}

fn lossy(bytes: &[u8]) -> Vec<u8> {
    String::from_utf8_lossy(bytes).into_owned().into_bytes()
}

/// The API under test, as YAML.
fn definition(binary_types: bool, backend: Backend) -> String {
    let mut y = String::from("openapi: 3.0.1\ninfo: {title: binary, version: \"1\"}\n");
    if binary_types {
        y.push_str("x-amazon-apigateway-binary-media-types: [image/png]\n");
    }
    y.push_str("paths:\n");
    let (kind, uri) = match backend {
        Backend::S3 => ("aws", "arn:aws:apigateway:us-east-1:s3:path/binarytest/{k}"),
        Backend::Http => ("http", "http://${stageVariables.backend}/store/{k}"),
    };
    if backend == Backend::S3 {
        y.push_str(
            "  /bucket:\n    put:\n      responses: {\"200\": {description: ok}}\n      x-amazon-apigateway-integration: {type: aws, httpMethod: PUT, uri: \"arn:aws:apigateway:us-east-1:s3:path/binarytest\", responses: {default: {statusCode: \"200\"}}}\n",
        );
    }
    for (route, handling) in [
        ("raw", ""),
        ("text", "contentHandling: CONVERT_TO_TEXT, "),
        ("bin", "contentHandling: CONVERT_TO_BINARY, "),
    ] {
        y.push_str(&format!(
            r#"  /{route}/{{key}}:
    put:
      parameters:
        - {{name: key, in: path, required: true, schema: {{type: string}}}}
        - {{name: Content-Type, in: header, schema: {{type: string}}}}
      responses: {{"200": {{description: ok}}}}
      x-amazon-apigateway-integration:
        {{type: {kind}, httpMethod: PUT, uri: "{uri}", {handling}requestParameters: {{integration.request.path.k: method.request.path.key, integration.request.header.Content-Type: method.request.header.Content-Type}}, responses: {{default: {{statusCode: "200"}}}}}}
    get:
      parameters:
        - {{name: key, in: path, required: true, schema: {{type: string}}}}
      responses: {{"200": {{description: ok, headers: {{Content-Type: {{schema: {{type: string}}}}}}}}}}
      x-amazon-apigateway-integration:
        {{type: {kind}, httpMethod: GET, uri: "{uri}", requestParameters: {{integration.request.path.k: method.request.path.key}}, responses: {{default: {{statusCode: "200", {handling}responseParameters: {{method.response.header.Content-Type: integration.response.header.Content-Type}}}}}}}}
"#
        ));
    }
    y
}

/// A gateway for the generated API, and direct access to what its backend stores.
struct Setup {
    h: Harness,
    c: Client,
    backend: Backend,
    echo: String,
    store: Option<(String, String, String)>,
    _dir: tempfile::TempDir,
}

async fn setup(binary_types: bool, backend: Backend) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("binary.yaml");
    std::fs::write(&file, definition(binary_types, backend)).unwrap();
    let echo = echo::start_echo().await;
    let mut options = Options::new("openapi/mys3.yaml", Store::Embedded)
        .arg("--stage-variable")
        .arg(&format!("backend={echo}"));
    options.definition = file;
    let h = start(options).await;
    let store = h.banner.iter().find_map(|l| {
        l.strip_prefix("apigate: embedded S3 store at ")
            .map(|rest| rest.split(',').next().unwrap().to_string())
    });
    let keys = h.banner.iter().find_map(|l| {
        let rest = l.trim().strip_prefix("store credentials (generated): ")?;
        let (id, secret) = rest.split_once(' ')?;
        Some((
            id.strip_prefix("AWS_ACCESS_KEY_ID=")?.to_string(),
            secret.strip_prefix("AWS_SECRET_ACCESS_KEY=")?.to_string(),
        ))
    });
    let store = store.zip(keys).map(|(e, (id, s))| (e, id, s));
    let c = Client::new();
    if backend == Backend::S3 {
        let r = c.put(h.url("/bucket")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
    Setup {
        h,
        c,
        backend,
        echo,
        store,
        _dir: dir,
    }
}

impl Setup {
    /// A request straight to the embedded store, signed for S3.
    fn s3(
        &self,
        method: &str,
        key: &str,
        content_type: Option<&str>,
        body: &[u8],
    ) -> reqwest::RequestBuilder {
        use aws_sigv4::http_request::{
            sign, PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest,
            SigningSettings, UriPathNormalizationMode,
        };
        let (endpoint, id, secret) = self.store.clone().expect("embedded store banner");
        let url = format!("{endpoint}/binarytest/{key}");
        let host = endpoint.trim_start_matches("http://").to_string();
        let mut settings = SigningSettings::default();
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        let identity = aws_credential_types::Credentials::new(id, secret, None, None, "t").into();
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region("us-east-1")
            .name("s3")
            .time(SystemTime::now())
            .settings(settings)
            .build()
            .unwrap()
            .into();
        let mut headers = vec![("host", host.as_str())];
        if let Some(ct) = content_type {
            headers.push(("content-type", ct));
        }
        let signable = SignableRequest::new(
            method,
            &url,
            headers.clone().into_iter(),
            SignableBody::Bytes(body),
        )
        .unwrap();
        let (instructions, _) = sign(signable, &params).unwrap().into_parts();
        let mut rb = self.c.request(method.parse().unwrap(), &url);
        for (k, v) in headers.iter().filter(|(k, _)| *k != "host") {
            rb = rb.header(*k, *v);
        }
        for (k, v) in instructions.headers() {
            rb = rb.header(k, v);
        }
        rb.body(body.to_vec())
    }

    /// The bytes the backend holds under `key`.
    async fn stored(&self, key: &str) -> Option<Vec<u8>> {
        let r = match self.backend {
            Backend::S3 => self.s3("GET", key, None, b"").send().await.unwrap(),
            Backend::Http => self
                .c
                .get(format!("http://{}/store/{key}", self.echo))
                .send()
                .await
                .unwrap(),
        };
        (r.status() == StatusCode::OK).then_some(r.bytes().await.unwrap().to_vec())
    }

    /// Puts `bytes` with `content_type` straight into the backend.
    async fn seed(&self, key: &str, content_type: &str, bytes: &[u8]) {
        let r = match self.backend {
            Backend::S3 => self
                .s3("PUT", key, Some(content_type), bytes)
                .send()
                .await
                .unwrap(),
            Backend::Http => self
                .c
                .put(format!("http://{}/store/{key}", self.echo))
                .header("content-type", content_type)
                .body(bytes.to_vec())
                .send()
                .await
                .unwrap(),
        };
        assert_eq!(r.status(), StatusCode::OK);
    }

    /// Uploads through the gateway; returns the status.
    async fn upload(&self, route: &str, key: &str, content_type: &str, body: &[u8]) -> u16 {
        self.c
            .put(self.h.url(&format!("/{route}/{key}")))
            .header("content-type", content_type)
            .body(body.to_vec())
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    /// Downloads through the gateway with `accept`; returns status and bytes.
    async fn download(&self, route: &str, key: &str, accept: &str) -> (u16, Vec<u8>) {
        let r = self
            .c
            .get(self.h.url(&format!("/{route}/{key}")))
            .header("accept", accept)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.bytes().await.unwrap().to_vec())
    }
}

/// §8.2 with binary media types [image/png].
async fn request_table(backend: Backend) {
    let s = setup(true, backend).await;
    let p = png();
    // (Content-Type, route, body, expected stored bytes)
    let cells: Vec<(&str, &str, Vec<u8>, Vec<u8>)> = vec![
        ("text/plain", "raw", p.clone(), lossy(&p)),
        ("text/plain", "text", p.clone(), lossy(&p)),
        ("text/plain", "bin", b64(&p), p.clone()),
        ("image/png", "raw", p.clone(), p.clone()),
        ("image/png", "bin", p.clone(), p.clone()),
        ("image/png", "text", p.clone(), b64(&p)),
    ];
    for (i, (ct, route, body, expected)) in cells.into_iter().enumerate() {
        let key = format!("req-{i}");
        assert_eq!(
            s.upload(route, &key, ct, &body).await,
            200,
            "{ct} via /{route}"
        );
        let stored = s.stored(&key).await.unwrap();
        assert!(
            stored == expected,
            "{backend:?}: {ct} via /{route}: stored {} bytes, expected {}",
            stored.len(),
            expected.len()
        );
    }
    // Text that is not base64 with CONVERT_TO_BINARY: 500, nothing stored.
    assert_eq!(
        s.upload("bin", "req-bad", "text/plain", b"not base64!")
            .await,
        500
    );
    assert_eq!(s.stored("req-bad").await, None);
}

/// §8.2, binary media types undefined: every payload is text.
async fn request_table_without_binary_types(backend: Backend) {
    let s = setup(false, backend).await;
    let p = png();
    let cells: Vec<(&str, &str, Vec<u8>, Vec<u8>)> = vec![
        ("image/png", "raw", p.clone(), lossy(&p)),
        ("image/png", "text", p.clone(), lossy(&p)),
        ("image/png", "bin", b64(&p), p.clone()),
    ];
    for (i, (ct, route, body, expected)) in cells.into_iter().enumerate() {
        let key = format!("undef-{i}");
        assert_eq!(
            s.upload(route, &key, ct, &body).await,
            200,
            "{ct} via /{route}"
        );
        let stored = s.stored(&key).await.unwrap();
        assert!(
            stored == expected,
            "{backend:?}: {ct} via /{route} (no binary types)"
        );
    }
}

/// §8.3 with binary media types [image/png]: payload binary = stored Content-Type image/png;
/// Accept binary = first Accept type image/png.
async fn response_table(backend: Backend) {
    let s = setup(true, backend).await;
    let p = png();
    s.seed("png", "image/png", &p).await;
    s.seed("b64", "text/plain", &b64(&p)).await;
    s.seed("txt", "text/plain", &p).await;
    let bin = "image/png";
    let text = "application/json";
    // (object, route, Accept, expected status, expected bytes)
    let cells: Vec<(&str, &str, &str, u16, Vec<u8>)> = vec![
        // binary payload
        ("png", "raw", bin, 200, p.clone()),
        ("png", "raw", text, 200, b64(&p)),
        ("png", "text", bin, 200, b64(&p)),
        ("png", "text", text, 200, b64(&p)),
        ("png", "bin", bin, 200, p.clone()),
        ("png", "bin", text, 200, p.clone()),
        // text payload
        ("txt", "raw", text, 200, lossy(&p)),
        ("b64", "raw", bin, 200, p.clone()),
        (
            "txt",
            "raw",
            bin,
            500,
            br#"{"message":"Internal server error"}"#.to_vec(),
        ),
        ("txt", "text", text, 200, lossy(&p)),
        ("b64", "text", bin, 200, b64(&p)),
        ("b64", "bin", text, 200, p.clone()),
        ("b64", "bin", bin, 200, p.clone()),
        (
            "txt",
            "bin",
            text,
            500,
            br#"{"message":"Internal server error"}"#.to_vec(),
        ),
    ];
    for (object, route, accept, status, expected) in cells {
        let (got_status, got) = s.download(route, object, accept).await;
        assert_eq!(
            got_status, status,
            "{backend:?}: {object} via /{route}, Accept {accept}"
        );
        assert!(
            got == expected,
            "{backend:?}: {object} via /{route}, Accept {accept}: {} bytes, expected {}",
            got.len(),
            expected.len()
        );
    }
}

/// §8.3, binary media types undefined: payloads are text whatever their type.
async fn response_table_without_binary_types(backend: Backend) {
    let s = setup(false, backend).await;
    let p = png();
    s.seed("png", "image/png", &p).await;
    s.seed("b64", "image/png", &b64(&p)).await;
    let cells: Vec<(&str, &str, &str, Vec<u8>)> = vec![
        ("png", "raw", "image/png", lossy(&p)),
        ("png", "text", "image/png", lossy(&p)),
        ("b64", "bin", "application/json", p.clone()),
    ];
    for (object, route, accept, expected) in cells {
        let (status, got) = s.download(route, object, accept).await;
        assert_eq!(status, 200);
        assert!(
            got == expected,
            "{backend:?}: {object} via /{route} (no binary types)"
        );
    }
}

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod s3 { $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(super::Backend::S3).await; }
        )* }
        mod http { $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(super::Backend::Http).await; }
        )* }
    };
}

on_both_backends!(
    request_table,
    request_table_without_binary_types,
    response_table,
    response_table_without_binary_types,
);
