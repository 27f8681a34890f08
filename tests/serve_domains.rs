//! Several APIs in one `apigate serve` (the binary, over HTTP): two APIs of
//! `tests/fixtures/multiapi/` behind base path mappings on custom domains named by `Host`
//! — `/v1/…` one API, `/v2/…` the other, a multi-level base path taking the longest match,
//! the `(none)` mapping for the rest, 403 Forbidden for a path no mapping takes — and the
//! execute-api way (`/{stage}/…`) on any other host. `$context.domainName`, `path`, `stage`
//! and `apiId`, per-API stage variables and access-log formats; `/routes` names each API; an
//! edit of the config file is served within 2 s, an edit with errors keeps the last good set.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use reqwest::header::HOST;
use reqwest::Client;
use serde_json::Value;
use support::{configured, get_text, repo, start, with_api_key, Harness, Options, Store};

/// Copies the fixtures into `dir` and serves them (no definition argument: `Apis`).
async fn serve(dir: &Path, extra: &[&str]) -> Harness {
    for f in ["pets.yaml", "orders.yaml", "deploy.yaml"] {
        std::fs::copy(repo().join("tests/fixtures/multiapi").join(f), dir.join(f)).unwrap();
    }
    let mut options = configured("", dir);
    for a in extra {
        options = options.arg(a);
    }
    start(options).await
}

/// GET `path` with `Host: host` (none: the address's own); the status and the JSON body
/// (`Value::Null` when it is not JSON).
async fn get(h: &Harness, host: Option<&str>, path: &str) -> (u16, Value, String) {
    let mut request = Client::new().get(h.url(path));
    if let Some(host) = host {
        request = request.header(HOST, host);
    }
    let r = request.send().await.unwrap();
    let status = r.status().as_u16();
    let id = r
        .headers()
        .get("x-amzn-requestid")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = serde_json::from_str(&r.text().await.unwrap()).unwrap_or(Value::Null);
    (status, body, id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn base_paths_on_a_custom_domain_reach_their_apis() {
    let dir = tempfile::tempdir().unwrap();
    let h = serve(dir.path(), &[]).await;
    let domain = Some("api.example.com");

    let (status, body, _) = get(&h, domain, "/v1/pets").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        serde_json::json!({"api": "pets", "apiId": "pets", "stage": "v1", "path": "/v1/pets",
            "resource": "/pets", "domain": "api.example.com", "greeting": "woof"})
    );
    let (status, body, _) = get(&h, domain, "/v2/orders").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["api"], "orders");
    assert_eq!(body["stage"], "prod");
    assert_eq!(
        body["path"], "/v2/orders",
        "$context.path keeps the base path"
    );
    assert_eq!(
        body["greeting"], "thanks",
        "each API has its stage's variables"
    );
    // The longest base path wins: v1/legacy over v1.
    let (_, body, _) = get(&h, domain, "/v1/legacy/orders").await;
    assert_eq!(body["api"], "orders");
    // The API's own paths below a base path: v1 has no /orders.
    let (status, body, _) = get(&h, domain, "/v1/orders").await;
    assert_eq!(status, 403);
    assert_eq!(body["message"], "Missing Authentication Token");
    // Any other first segment: the (none) mapping, the path as it is.
    let (status, body, _) = get(&h, domain, "/pets").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (&body["api"], &body["path"]),
        (&"pets".into(), &"/pets".into())
    );
    // The Host's port does not matter, nor its case.
    let (_, body, _) = get(&h, Some("API.Example.com:8443"), "/v2/orders").await;
    assert_eq!(body["api"], "orders");
    // A domain without a (none) mapping: AWS's 403 for a path no mapping takes.
    let (status, body, id) = get(&h, Some("shop.example.com"), "/nope/orders").await;
    assert_eq!(status, 403);
    assert_eq!(body, serde_json::json!({"message": "Forbidden"}));
    assert_eq!(id.len(), 36, "a request id as on every answer: {id:?}");
    let (status, body, _) = get(&h, Some("shop.example.com"), "/store/orders").await;
    assert_eq!((status, &body["api"]), (200, &"orders".into()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_hosts_reach_each_api_by_its_stage() {
    let dir = tempfile::tempdir().unwrap();
    let h = serve(dir.path(), &[]).await;
    let (status, body, _) = get(&h, None, "/v1/pets").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (&body["api"], &body["path"]),
        (&"pets".into(), &"/v1/pets".into())
    );
    assert!(body["domain"].as_str().unwrap().starts_with("127.0.0.1"));
    let (status, body, _) = get(&h, None, "/prod/orders").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (&body["api"], &body["stage"]),
        (&"orders".into(), &"prod".into())
    );
    // No stage of that name; no base path mapping on this host either.
    assert_eq!(get(&h, None, "/v2/orders").await.0, 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_stage_writes_its_access_log_format() {
    let dir = tempfile::tempdir().unwrap();
    let h = serve(dir.path(), &[]).await;
    let (_, _, pets) = get(&h, Some("api.example.com"), "/v1/pets").await;
    let (_, _, orders) = get(&h, None, "/prod/orders").await;
    let log = dir.path().join("access.log");
    let deadline = Instant::now() + Duration::from_secs(10);
    let text = loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if text.lines().count() >= 2 {
            break text;
        }
        assert!(Instant::now() < deadline, "{text}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(
        text.contains(&format!("PETS {pets} v1 /v1/pets v1\n")),
        "{text}"
    );
    assert!(
        text.contains(&format!("ORDERS {orders} prod /prod/orders -\n")),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routes_name_each_api() {
    let dir = tempfile::tempdir().unwrap();
    let admin = support::free_port();
    let h = serve(dir.path(), &["--admin-listen", &admin.to_string()]).await;
    let text = get_text(&format!("http://127.0.0.1:{admin}/routes")).await;
    let rows: Value = serde_json::from_str(&text).unwrap();
    let rows: Vec<(String, String, String)> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["api"].as_str().unwrap().to_string(),
                r["stage"].as_str().unwrap().to_string(),
                r["path"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("pets".into(), "v1".into(), "/pets".into()),
            ("orders".into(), "prod".into(), "/orders".into())
        ]
    );
    drop(h);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_config_edit_swaps_the_mappings() {
    let dir = tempfile::tempdir().unwrap();
    let h = serve(dir.path(), &[]).await;
    let domain = Some("api.example.com");
    assert_eq!(get(&h, domain, "/v3/orders").await.1["api"], Value::Null);
    let config = dir.path().join("deploy.yaml");
    let text = std::fs::read_to_string(&config).unwrap();
    let edited = text.replace(
        "  - {DomainName: api.example.com, RestApiId: pets}\n",
        "  - {DomainName: api.example.com, RestApiId: pets}\n  - {DomainName: api.example.com, BasePath: v3, RestApiId: orders}\n",
    );
    assert_ne!(edited, text);
    std::fs::write(&config, &edited).unwrap();
    let written = Instant::now();
    loop {
        let (status, body, _) = get(&h, domain, "/v3/orders").await;
        if status == 200 {
            assert_eq!(body["api"], "orders");
            break;
        }
        assert!(
            written.elapsed() < Duration::from_secs(2),
            "{status} {body}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // An edit with an error: refused, the last good set keeps serving.
    std::fs::write(
        &config,
        edited.replace("RestApiId: orders}", "RestApiId: ghost}"),
    )
    .unwrap();
    let log = dir.path().join("gateway.log");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !std::fs::read_to_string(&log).unwrap().contains("refused") {
        assert!(Instant::now() < deadline, "not refused");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("error[config-api-undefined]"), "{text}");
    assert_eq!(get(&h, domain, "/v3/orders").await.1["api"], "orders");
    // A definition edit alone reloads the set too (the config made good again first).
    let reloads = || {
        std::fs::read_to_string(&log)
            .unwrap()
            .matches("apigate: reloaded")
            .count()
    };
    let before = reloads();
    std::fs::write(&config, &edited).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while reloads() == before {
        assert!(Instant::now() < deadline, "the good config is not reloaded");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let pets = dir.path().join("pets.yaml");
    let text = std::fs::read_to_string(&pets).unwrap();
    std::fs::write(&pets, text.replace("/pets:", "/cats:")).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while get(&h, domain, "/v1/cats").await.0 != 200 {
        assert!(
            Instant::now() < deadline,
            "the edited definition is not served"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(get(&h, domain, "/v1/pets").await.0, 403);
}

/// Keys and usage plans are shared: one plan over both APIs' stages (`ApiId`) counts one
/// quota per key across them; a stage's throttling stays its API's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_usage_plan_spans_the_apis() {
    let dir = tempfile::tempdir().unwrap();
    for f in ["pets.yaml", "orders.yaml"] {
        let text = std::fs::read_to_string(repo().join("tests/fixtures/multiapi").join(f)).unwrap();
        let keyed = with_api_key(&text);
        std::fs::write(dir.path().join(f), keyed).unwrap();
    }
    std::fs::write(
        dir.path().join("deploy.yaml"),
        "Apis:\n  - {Name: pets, Definition: pets.yaml}\n  - {Name: orders, Definition: orders.yaml}\nStages:\n  - {RestApiId: pets, StageName: v1}\n  - {RestApiId: orders, StageName: prod}\nApiKeys:\n  - {Name: alice, Value: alice-0123456789abcdefghij, Enabled: true}\nUsagePlans:\n  - {UsagePlanName: p, ApiStages: [{ApiId: pets, Stage: v1}, {ApiId: orders, Stage: prod}], ApiKeys: [alice], Quota: {Limit: 3, Period: DAY}}\n",
    )
    .unwrap();
    let h = start(
        Options::new("", Store::Embedded)
            .arg("--config")
            .arg(dir.path().join("deploy.yaml").to_str().unwrap()),
    )
    .await;
    let c = Client::new();
    let call = |path: &str| {
        c.get(h.url(path))
            .header("x-api-key", "alice-0123456789abcdefghij")
            .send()
    };
    assert_eq!(c.get(h.url("/v1/pets")).send().await.unwrap().status(), 403);
    assert_eq!(call("/v1/pets").await.unwrap().status(), 200);
    assert_eq!(call("/prod/orders").await.unwrap().status(), 200);
    assert_eq!(call("/prod/orders").await.unwrap().status(), 200);
    let r = call("/v1/pets").await.unwrap();
    assert_eq!(r.status(), 429, "the quota (3) is spent across both APIs");
    assert_eq!(r.text().await.unwrap(), r#"{"message":"Limit Exceeded"}"#);
}
