//! `http` and `http_proxy` integrations through the real `apigate serve` binary, in front of
//! an echo backend started here (`tests/support/echo.rs`). Definition: `tests/serve/http.yaml`.
//! Template behaviour in front of the same backend runs in-process:
//! `crates/apigate-runtime/tests/http_templates.rs` and the serve cases (`tests/serve/cases/`).

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod support;

#[path = "support/echo.rs"]
mod echo;

use reqwest::{Client, StatusCode};
use serde_json::Value;
use support::*;

/// The gateway, a client, and the backend's `127.0.0.1:PORT`.
async fn gateway() -> (Harness, Client, String) {
    let backend = echo::start_echo().await;
    let options = Options::new("tests/serve/http.yaml", Store::Embedded)
        .arg("--stage-variable")
        .arg(&format!("backend={backend}"));
    (start(options).await, Client::new(), backend)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_sends_only_what_is_mapped() {
    let (h, c, backend) = gateway().await;
    let r = c
        .get(h.url("/v1/pets/a%20b?q=dogs&other=1"))
        .header("X-Trace", "t-1")
        .header("X-Unmapped", "stays behind")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()["x-echo-method"],
        "POST",
        "mapped response header"
    );
    assert_eq!(r.headers()["content-type"], "application/json");
    assert!(
        r.headers().get("x-custom").is_none(),
        "unmapped backend headers stay behind"
    );
    let seen: Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    assert_eq!(seen["method"], "POST", "the integration's verb");
    assert_eq!(
        seen["path"], "/echo/pets/a%20b",
        "placeholder value re-encoded"
    );
    assert_eq!(seen["query"], "search=dogs", "only the mapped query string");
    let headers = seen["headers"].as_object().unwrap();
    assert_eq!(headers["x-forwarded-trace"], "t-1");
    assert!(!headers.contains_key("x-unmapped"));
    assert_eq!(headers["user-agent"], "AmazonAPIGateway_apigate");
    assert_eq!(headers["accept"], "application/json");
    assert_eq!(headers["host"], backend.as_str());
}

/// `method.request.body.PATH` and `integration.response.body.PATH` read JSON with the JSONPath
/// of `$input.path` (Jayway 2.0): strings unquoted, other values as compact JSON, a wildcard
/// gives an array, and a negative index, a JSON null or a missing member give no value.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn body_jsonpath_mappings_both_ways() {
    let (h, c, _) = gateway().await;
    let r = c
        .post(h.url("/v1/body-mappings"))
        .header("content-type", "application/json")
        .body(r#"{"pets":[{"name":"rex"},{"name":"tom","age":3}],"odd.key":"dotted","none":null}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["x-echo-path"], "/echo/body");
    let len: usize = r.headers()["x-echo-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(len > 0, "a number as its JSON text");
    assert!(
        r.headers().get("x-echo-missing").is_none(),
        "a negative index finds nothing in the response body either"
    );
    let seen: Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    let headers = seen["headers"].as_object().unwrap();
    assert_eq!(headers["x-first"], "rex");
    assert_eq!(headers["x-names"], r#"["rex","tom"]"#);
    assert_eq!(headers["x-pet"], r#"{"name":"tom","age":3}"#);
    assert_eq!(headers["x-quoted"], "dotted");
    assert!(
        !headers.contains_key("x-last"),
        "Jayway 2.0: a negative index finds nothing"
    );
    assert!(!headers.contains_key("x-null"), "JSON null maps to nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_selects_the_response_by_backend_status() {
    let (h, c, _) = gateway().await;
    let r = c
        .get(h.url("/v1/pets/1"))
        .header("X-Status", "404")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // Backend 503 matches no pattern: the default (200), as AWS does.
    let r = c
        .get(h.url("/v1/pets/1"))
        .header("X-Status", "503")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_proxy_passes_the_request_through() {
    let (h, c, backend) = gateway().await;
    let r = c
        .put(h.url("/v1/proxy/a/b%20c/d?x=1&x=2&y"))
        .header("X-Client", "hello")
        .header("X-Override", "from-client")
        .header("Via", "1.1 somewhere")
        .body("some body")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // docs/SEMANTICS.md §10.4, response direction.
    assert_eq!(r.headers()["x-custom"], "kept");
    assert_eq!(r.headers()["x-amzn-remapped-server"], "echo/1");
    assert_eq!(
        r.headers()["x-amzn-remapped-www-authenticate"],
        "Basic realm=echo"
    );
    assert!(r.headers().contains_key("x-amzn-remapped-date"));
    assert!(r.headers().get("www-authenticate").is_none());
    assert!(r.headers().contains_key("x-amzn-requestid"));
    let seen: Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    assert_eq!(seen["method"], "PUT", "ANY: the client's verb");
    assert_eq!(
        seen["path"], "/echo/a/b%20c/d",
        "greedy value keeps its slashes"
    );
    assert_eq!(
        seen["query"], "x=1&x=2&y&added=yes",
        "client query, then mapped values"
    );
    assert_eq!(seen["body_len"], 9);
    let headers = seen["headers"].as_object().unwrap();
    assert_eq!(headers["x-client"], "hello");
    assert_eq!(
        headers["x-override"], "from-gateway",
        "mapped headers override"
    );
    assert!(!headers.contains_key("via"), "Via is dropped");
    assert_eq!(
        headers["host"],
        backend.as_str(),
        "Host is the integration's"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_proxy_passes_backend_status_and_streams() {
    let (h, c, _) = gateway().await;
    let r = c
        .get(h.url("/v1/proxy/anything"))
        .header("x-echo-status", "418")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 418, "backend status passes through");

    let n = 3 * 1024 * 1024 + 17;
    let r = c
        .get(h.url(&format!("/v1/proxy/bytes/{n}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/octet-stream");
    let body = r.bytes().await.unwrap();
    assert_eq!(body.len(), n);
    assert!(body.iter().enumerate().all(|(i, b)| *b == (i % 251) as u8));
}

/// A backend's redirect is answered, not followed: its status, `Location` and body reach the
/// client as AWS returns them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_proxy_returns_backend_redirects_unfollowed() {
    let (h, _, _) = gateway().await;
    let c = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for status in ["301", "302", "307"] {
        let r = c
            .get(h.url("/v1/proxy/moved"))
            .header("x-echo-status", status)
            .header("x-echo-location", "/store/elsewhere")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_str(), status);
        assert_eq!(r.headers()["location"], "/store/elsewhere");
        let body: Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
        assert_eq!(body["method"], "GET", "the backend's own answer: {body}");
        assert!(body["path"].as_str().unwrap().ends_with("/moved"), "{body}");
    }
}
