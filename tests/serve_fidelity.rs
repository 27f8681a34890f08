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
    // (x-amzn-ErrorType on this 500 is issue 13's point 8.)
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
