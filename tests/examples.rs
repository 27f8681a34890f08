//! The walk-throughs of `examples/*/README.md`, run against the real binary.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod support;

use reqwest::{Client, StatusCode};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mock_cors() {
    let h = start(Options::new("examples/mock-cors/api.yaml", Store::Embedded)).await;
    let c = Client::new();
    let r = c
        .request(reqwest::Method::OPTIONS, h.url("/dev/greeting"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    assert_eq!(r.headers()["access-control-allow-methods"], "GET,OPTIONS");
    assert_eq!(
        r.headers()["access-control-allow-headers"],
        "Content-Type,Authorization"
    );
    assert_eq!(r.text().await.unwrap(), "");

    let r = c.get(h.url("/dev/greeting")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    assert_eq!(
        r.text().await.unwrap(),
        r#"{"message": "hello from a mock integration"}"#
    );

    let r = c.get(h.url("/dev/nothing-here")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(r.headers()["access-control-allow-origin"], "*");

    let o = Command::new(env!("CARGO_BIN_EXE_apigate"))
        .args([
            "test-invoke",
            "examples/mock-cors/api.yaml",
            "OPTIONS",
            "/greeting",
        ])
        .current_dir(repo())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
}

/// Python's http.server on a free port, serving the repository.
struct PythonServer(Child);

impl Drop for PythonServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_proxy() {
    let port = free_port();
    let python = PythonServer(
        Command::new("python3")
            .args([
                "-m",
                "http.server",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
            ])
            .current_dir(repo())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let c = Client::new();
    let backend = format!("127.0.0.1:{port}");
    let mut ready = false;
    for _ in 0..100 {
        if c.get(format!("http://{backend}/")).send().await.is_ok() {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(ready, "python http.server did not start");

    let options = Options::new("examples/http-proxy/api.yaml", Store::Embedded)
        .arg("--stage-variable")
        .arg(&format!("backend={backend}"));
    let h = start(options).await;
    let r = c
        .get(h.url("/prod/files/examples/http-proxy/README.md"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let server = r.headers()["x-amzn-remapped-server"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(server.starts_with("SimpleHTTP/"), "{server}");
    let expected = std::fs::read_to_string(repo().join("examples/http-proxy/README.md")).unwrap();
    assert_eq!(r.text().await.unwrap(), expected);

    let r = c
        .get(h.url("/prod/files/no/such/file"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::NOT_FOUND,
        "the backend's status passes through"
    );
    drop(python);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_binary_images() {
    s3_binary_images_on(Store::Embedded).await;
}

/// The same walk-through against moto's S3: the object must be stored with the client's
/// Content-Type (issue 13, point 10), or the raw GET would be base64-decoded and fail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_binary_images_on_moto() {
    s3_binary_images_on(Store::Moto).await;
}

async fn s3_binary_images_on(store: Store) {
    use base64::Engine as _;
    let h = start(Options::new("examples/s3-binary-images/api.yaml", store)).await;
    let c = Client::new();
    let png = std::fs::read(repo().join("tests/fixtures/apigate.png")).unwrap();
    let b64 = base64::engine::general_purpose::STANDARD.encode(&png);

    // S3 (and moto) want the region's LocationConstraint outside us-east-1.
    let r = c
        .put(h.url("/v1/images/photos"))
        .header("content-type", "application/xml")
        .body(format!(
            "<CreateBucketConfiguration><LocationConstraint>{REGION}</LocationConstraint></CreateBucketConfiguration>"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = c
        .put(h.url("/v1/images/photos/raw.png"))
        .header("content-type", "application/octet-stream")
        .body(png.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = c
        .put(h.url("/v1/images/photos/b64.png"))
        .header("content-type", "application/json")
        .body(b64.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    // Both uploads stored the same object: raw bytes back for a binary Accept.
    for key in ["raw.png", "b64.png"] {
        let r = c
            .get(h.url(&format!("/v1/images/photos/{key}")))
            .header("accept", "application/octet-stream")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()["content-type"], "application/octet-stream");
        assert!(r.bytes().await.unwrap() == png, "{key}: raw bytes");
    }
    // Base64 in JSON through the response template.
    let r = c
        .get(h.url("/v1/images/photos/raw.png"))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.text().await.unwrap(), format!("{{\"image\": \"{b64}\"}}"));
}

/// `examples/handlebars`: Handlebars request and response templates at the root, VTL on one
/// integration, against the embedded store.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handlebars_templates() {
    let h = start(Options::new(
        "examples/handlebars/api.yaml",
        Store::Embedded,
    ))
    .await;
    let c = Client::new();
    let r = c.post(h.url("/dev/setup")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    // Sent as curl sends it, `X-User` in that case (templates see names as sent; reqwest
    // would send `x-user`).
    let body = r#"{"title": "Buy \"milk\"", "tags": ["home", "today"]}"#;
    let addr = h
        .url("")
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let answers = raw_exchange(
        &addr,
        &[format!(
            "PUT /dev/notes/n1 HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\nX-User: ana\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )],
    )
    .await;
    assert_eq!(answers, [r#"{"stored": "n1"}"#]);

    let r = c.get(h.url("/dev/notes/n1")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.text().await.unwrap(),
        "{\"title\": \"Buy \\\"milk\\\"\", \"tags\": \"home,today\", \"by\": \"ana\", \"link\": \"Buy+%22milk%22\"}\n"
    );

    let r = c.get(h.url("/dev/notes/n1/vtl")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.text().await.unwrap(),
        r#"{"title": "Buy "milk"", "tagCount": 2}"#
    );

    let r = c.get(h.url("/dev/notes/missing")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(r.text().await.unwrap(), r#"{"missing": "missing"}"#);
}

/// `examples/sqs-queue`: a message sent through the API, received through the API, and seen by
/// boto3 in moto's queue.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqs_queue() {
    let moto = start_moto().await;
    let queue_url = sdk(
        &moto,
        "print(json.dumps(c('sqs').create_queue(QueueName='orders')['QueueUrl']))",
    );
    let queue_url = queue_url.as_str().unwrap();
    let options = Options::new("examples/sqs-queue/api.yaml", Store::Embedded)
        .arg("--aws-endpoint")
        .arg(&moto.endpoint)
        .arg("--stage-variable")
        .arg("queue=orders")
        .arg("--stage-variable")
        .arg(&format!("queueUrl={queue_url}"))
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing");
    let h = start(options).await;
    let c = Client::new();
    let r = c
        .post(h.url("/prod/orders"))
        .header("content-type", "application/json")
        .body(r#"{"item": "book", "qty": 2}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let queued: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    let id = queued["queued"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 36, "a message id: {queued}");

    let r = c.get(h.url("/prod/orders")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "text/xml");
    let xml = r.text().await.unwrap();
    assert!(
        xml.contains(&format!("<MessageId>{id}</MessageId>")),
        "{xml}"
    );
    assert!(
        xml.contains("{&quot;item&quot;: &quot;book&quot;, &quot;qty&quot;: 2}"),
        "{xml}"
    );
    assert!(h.stop().success());
}

/// `examples/lambda-authorizer`: allow (principal and context reach the function), deny, the
/// authorizer's own `Unauthorized`, and no token, against `functions.py`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lambda_authorizer() {
    let port = free_port();
    let _functions = PythonServer(
        Command::new("python3")
            .arg(repo().join("examples/lambda-authorizer/functions.py"))
            .arg(port.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let c = Client::new();
    let endpoint = format!("http://127.0.0.1:{port}");
    let mut ready = false;
    for _ in 0..100 {
        if c.post(format!("{endpoint}/")).send().await.is_ok() {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(ready, "functions.py did not start");
    let options = Options::new("examples/lambda-authorizer/api.yaml", Store::Embedded)
        .arg("--aws-endpoint")
        .arg(&format!("lambda={endpoint}"))
        .env("AWS_ACCESS_KEY_ID", "local")
        .env("AWS_SECRET_ACCESS_KEY", "local");
    let h = start(options).await;
    let get = |token: Option<&str>| {
        let mut r = c.get(h.url("/dev/hello?name=apigate"));
        if let Some(t) = token {
            r = r.header("Authorization", t);
        }
        r.send()
    };
    let r = get(Some("allow-alice")).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.text().await.unwrap(),
        r#"{"message": "hello, apigate", "principal": "alice", "plan": "gold"}"#
    );
    let r = get(Some("deny")).await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        r.text().await.unwrap(),
        r#"{"Message":"User is not authorized to access this resource with an explicit deny"}"#
    );
    for token in [Some("nobody"), None] {
        let r = get(token).await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{token:?}");
        assert_eq!(r.text().await.unwrap(), r#"{"message":"Unauthorized"}"#);
    }
    assert!(h.stop().success());
}
