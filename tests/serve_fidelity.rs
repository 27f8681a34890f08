//! Answers recorded on real AWS (issue 13), through the real `apigate serve` binary: each test
//! is named after the behaviour and the definition (`tests/serve/fidelity.yaml`) names the
//! recording. The VTL corpus (`tests/vtl/`) covers the same behaviours construct by construct.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "support/echo.rs"]
mod echo;
mod support;

use reqwest::{Client, StatusCode};
use support::*;

/// The gateway in front of an echo backend, and a client.
async fn gateway() -> (Harness, Client) {
    let backend = echo::start_echo().await;
    let options = Options::new("tests/serve/fidelity.yaml", Store::Embedded)
        .arg("--stage-variable")
        .arg(&format!("backend={backend}"));
    (start(options).await, Client::new())
}

async fn text(r: reqwest::Response) -> (StatusCode, String) {
    let status = r.status();
    (status, r.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_input_path_renders_empty_and_equals_null_and_empty() {
    let (h, c) = gateway().await;
    let r = c
        .post(h.url("/v1/unresolved/input-path"))
        .send()
        .await
        .unwrap();
    // Byte for byte what AWS answered for the same template.
    assert_eq!(
        text(r).await,
        (
            StatusCode::OK,
            r#"{"body": , "nested": , "isNull": "true", "isEmptyString": "true"}"#.to_string()
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unresolvable_references_are_the_empty_string_in_every_position() {
    let (h, c) = gateway().await;
    let r = c
        .get(h.url("/v1/unresolved/positions"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        text(r).await,
        (
            StatusCode::OK,
            "[unset] [$undefined][][] [][][eq][{a=1}]".to_string()
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn maps_nested_in_context_print_empty_but_work_as_maps() {
    let (h, c) = gateway().await;
    let r = c.get(h.url("/v1/unresolved/context")).send().await.unwrap();
    assert_eq!(
        text(r).await,
        (StatusCode::OK, "[][][] [][true] [127.0.0.1]".to_string())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn input_path_objects_are_live_parts_of_one_parsed_payload() {
    let (h, c) = gateway().await;
    let r = c.get(h.url("/v1/live/input-path")).send().await.unwrap();
    assert_eq!(
        text(r).await,
        (StatusCode::OK, r#""yes"|1|GET"#.to_string())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn velocity_details_follow_velocity_1_7() {
    let (h, c) = gateway().await;
    let r = c.get(h.url("/v1/details/velocity")).send().await.unwrap();
    assert_eq!(
        text(r).await,
        (
            StatusCode::OK,
            "4|{a={b=1, c=2}}|1|5|--|_x__z_|4".to_string()
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn include_and_parse_fail_the_render() {
    let (h, c) = gateway().await;
    let r = c.get(h.url("/v1/details/include")).send().await.unwrap();
    assert_eq!(
        r.headers()["x-amzn-ErrorType"],
        "InternalServerErrorException"
    );
    assert_eq!(
        text(r).await,
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            r#"{"message":"Internal server error"}"#.to_string()
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resource_without_the_verb_falls_back_to_a_greedy_sibling() {
    let (h, c) = gateway().await;
    for (verb, path, message) in [
        ("OPTIONS", "/v1/route/test", "OPTIONS"),
        ("POST", "/v1/route/test", "POST"),
        ("OPTIONS", "/v1/route/test/any", "ANY"),
        ("GET", "/v1/route/test/any", "ANY"),
    ] {
        let r = c
            .request(verb.parse().unwrap(), h.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(
            text(r).await,
            (
                StatusCode::OK,
                format!(r#"{{"message": "{message} request"}}"#)
            ),
            "{verb} {path}"
        );
    }
    // No sibling has GET for /route/test: AWS's 403.
    let r = c.get(h.url("/v1/route/test")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

/// Every name AWS reserves, mapped onto a method response: each arrives as
/// `x-amzn-Remapped-<name>`, Transfer-Encoding not at all, and the body is framed by its real
/// length — the client reads it to the end (before, a mapped Content-Length or
/// Transfer-Encoding left it waiting).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reserved_method_response_headers_are_remapped_and_the_response_completes() {
    let (h, c) = gateway().await;
    let r = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        c.get(h.url("/v1/reserved/response-headers")).send(),
    )
    .await
    .expect("the response head arrives")
    .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let hd = |n: &str| {
        r.headers()
            .get_all(n)
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    for (name, value) in [
        ("authorization", "Bearer x"),
        ("connection", "close"),
        ("content-length", "99999"),
        ("content-md5", "md5"),
        ("date", "Mon, 01 Jan 2024 00:00:00 GMT"),
        ("expect", "100-continue"),
        ("host", "example.com"),
        ("max-forwards", "3"),
        ("proxy-authenticate", "Basic"),
        ("server", "backend/1"),
        ("trailer", "X-Checksum"),
        ("upgrade", "websocket"),
        ("user-agent", "agent/1"),
        ("www-authenticate", "Basic"),
    ] {
        assert_eq!(
            hd(&format!("x-amzn-remapped-{name}")),
            vec![value],
            "{name}"
        );
    }
    for name in [
        "authorization",
        "expect",
        "host",
        "max-forwards",
        "proxy-authenticate",
        "trailer",
        "upgrade",
        "user-agent",
        "www-authenticate",
        "content-md5",
        "transfer-encoding",
    ] {
        assert!(hd(name).is_empty(), "{name} is not sent as mapped");
    }
    assert_ne!(
        hd("date"),
        vec!["Mon, 01 Jan 2024 00:00:00 GMT"],
        "the gateway's own Date"
    );
    assert_eq!(hd("content-length"), vec!["18"]);
    assert_eq!(hd("x-plain"), vec!["kept"]);
    let body = tokio::time::timeout(std::time::Duration::from_secs(10), r.text())
        .await
        .expect("the body completes")
        .unwrap();
    assert_eq!(body, r#"{"complete": true}"#);
}

async fn internal_error(r: reqwest::Response) {
    assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        r.headers()["x-amzn-ErrorType"],
        "InternalServerErrorException"
    );
    assert_eq!(
        r.text().await.unwrap(),
        r#"{"message":"Internal server error"}"#
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reserved_integration_request_headers_fail_the_call_or_are_not_sent() {
    let (h, c) = gateway().await;
    for path in [
        "/v1/reserved/http-length",
        "/v1/reserved/http-encoding",
        "/v1/reserved/aws-authorization",
    ] {
        internal_error(c.get(h.url(path)).send().await.unwrap()).await;
    }
    let r = c.get(h.url("/v1/reserved/http/x")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let echoed: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    let headers = echoed["headers"].as_object().unwrap();
    assert_eq!(headers["x-plain"], "sent");
    for name in ["proxy-authenticate", "te", "via", "expect"] {
        assert!(
            !headers.contains_key(name),
            "{name} is not sent: {headers:?}"
        );
    }
    assert_ne!(
        headers.get("connection").and_then(|v| v.as_str()),
        Some("keep-alive")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_gateway_error_carries_an_error_type() {
    let (h, c) = gateway().await;
    internal_error(
        c.get(h.url("/v1/unset/stage-variable"))
            .send()
            .await
            .unwrap(),
    )
    .await;
}

/// What the echo backend saw: its `headers` object.
async fn backend_headers(r: reqwest::Response) -> serde_json::Map<String, serde_json::Value> {
    assert_eq!(r.status(), StatusCode::OK);
    let echoed: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    echoed["headers"].as_object().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_proxy_http_backend_gets_aws_headers() {
    let (h, c) = gateway().await;
    // No body: exactly AWS's set, Content-Length 0 included.
    let r = c
        .post(h.url("/v1/backend/headers"))
        .header("X-Client", "not forwarded")
        .send()
        .await
        .unwrap();
    let headers = backend_headers(r).await;
    let mut names: Vec<&str> = headers.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "accept",
            "content-length",
            "host",
            "user-agent",
            "x-amzn-apigateway-api-id",
            "x-amzn-trace-id"
        ]
    );
    assert_eq!(headers["accept"], "application/json");
    assert_eq!(headers["content-length"], "0");
    assert!(headers["user-agent"]
        .as_str()
        .unwrap()
        .starts_with("AmazonAPIGateway_"));
    let trace = headers["x-amzn-trace-id"].as_str().unwrap();
    let parts: Vec<&str> = trace.split('-').collect();
    assert_eq!(parts.len(), 3, "{trace}");
    assert_eq!(parts[0], "Root=1");
    assert!(parts[1].len() == 8 && parts[1].chars().all(|c| c.is_ascii_hexdigit()));
    assert!(parts[2].len() == 24 && parts[2].chars().all(|c| c.is_ascii_hexdigit()));

    // A payload goes with the client's Content-Type (application/json without one) and its
    // length, also when the client streamed it chunked.
    let r = c
        .post(h.url("/v1/backend/headers"))
        .header("Content-Type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    let headers = backend_headers(r).await;
    assert_eq!(headers["content-type"], "text/plain");
    assert_eq!(headers["content-length"], "5");
    let chunks = futures_util::stream::iter(vec![
        Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"{\"a\":")),
        Ok(bytes::Bytes::from_static(b"1}")),
    ]);
    let r = c
        .post(h.url("/v1/backend/headers"))
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await
        .unwrap();
    let headers = backend_headers(r).await;
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers["content-length"], "7");
    assert!(!headers.contains_key("transfer-encoding"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mock_carries_its_request_overrides_into_its_response_template() {
    use base64::Engine as _;
    let (h, c) = gateway().await;
    for (message, expected) in [
        ("path1", "path was path one"),
        ("path2", "path was path two"),
        ("other", "this is the else clause"),
    ] {
        let path = base64::engine::general_purpose::STANDARD
            .encode(format!(r#"{{"message": "{message}"}}"#));
        let r = c
            .get(h.url(&format!("/v1/mock/carry/{path}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let body: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
        assert_eq!(body, serde_json::json!({"response": expected}));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mock_request_template_sets_the_response_status_and_headers() {
    let (h, c) = gateway().await;
    let r = c
        .get(h.url("/v1/mock/response-override"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 444);
    assert_eq!(r.headers()["foo"], "bar");
    let body: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"statusOverride": "444", "fooHeader": "bar", "custom": "is also passed around"})
    );
    // Without a response template: the status and header still apply, the body is empty.
    let r = c
        .get(h.url("/v1/mock/response-override-bare"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 444);
    assert_eq!(r.headers()["foo"], "bar");
    assert_eq!(r.text().await.unwrap(), "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lenient_imports_load_and_answer_as_aws() {
    // The definition itself holds both cases: the gateway started with it.
    let (h, c) = gateway().await;
    for (code, expected) in [("200", "selected 200"), ("404", "selected 404")] {
        let r = c
            .get(h.url(&format!("/v1/lenient/mock?code={code}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_str(), code);
        assert_eq!(r.text().await.unwrap(), expected);
    }
    internal_error(c.get(h.url("/v1/lenient/lambda")).send().await.unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn templates_over_payloads_converted_to_binary_answer_500() {
    let (h, c) = gateway().await;
    // Payloads that are valid base64, so the conversion itself succeeds.
    let r = c
        .post(h.url("/v1/binary/request"))
        .header("Content-Type", "application/json")
        .body("eyJhIjogMX0=")
        .send()
        .await
        .unwrap();
    internal_error(r).await;
    let r = c
        .put(h.url("/v1/binary/response"))
        .header("Content-Type", "text/plain")
        .body("aGVsbG8=")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = c
        .get(h.url("/v1/binary/response"))
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    internal_error(r).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn templates_see_header_names_as_the_client_sent_them() {
    let (h, _) = gateway().await;
    let addr = h
        .url("")
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let req = |names: (&str, &str), body: &str| {
        format!(
            "POST /v1/case/headers HTTP/1.1\r\nHost: gateway\r\n{}: t\r\n{}: m\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
            names.0,
            names.1,
            body.len()
        )
    };
    // Two requests on one keep-alive connection, each with its own spelling, a body between.
    let bodies = raw_exchange(
        &addr,
        &[
            req(("x-trace", "X-Mixed-CASE"), "hello"),
            req(("X-Trace", "x-mixed-case"), ""),
        ],
    )
    .await;
    assert_eq!(bodies[0], "[t][][m],x-trace,X-Mixed-CASE");
    assert_eq!(bodies[1], "[][t][],X-Trace,x-mixed-case");
}
