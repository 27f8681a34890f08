//! API keys, usage plans and throttling through the real `apigate serve` binary, over HTTP:
//! AWS's `api-keys-swagger2.json` sample (`../shared/aws-samples`; its `http_proxy` backend
//! pointed at the echo server) served with a config file — no, unknown or disabled key →
//! 403, a valid one → 200, a throttled key → 429 Too Many Requests, a spent quota → 429
//! Limit Exceeded; two gateways sharing one Redis (`--state`) enforce one plan; with Redis
//! down each gateway enforces the limits alone and says so, and shares them again once Redis
//! is back. Also `validate --config` and `test-invoke --config`.
//!
//! Rates are far below one request per second (0.01/s) wherever a test counts admissions, so
//! only the burst decides, whatever the machine's speed.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

#[path = "support/echo.rs"]
mod echo;
#[path = "support/lambda.rs"]
mod lambda;
#[path = "support/redis.rs"]
mod redis;

use std::process::Command;
use std::time::{Duration, Instant};

use reqwest::Client;
use serde_json::Value;
use support::*;

const ALICE: &str = "alice-0123456789abcdefghij";
const BOB: &str = "bob-0123456789abcdefghijk";
const OFF: &str = "off-0123456789abcdefghijk";

/// The sample's `api_key` methods, `GET` and `POST /pets`, behind one usage plan: `GET` has
/// a burst of 2 of its own per key, `POST` the plan's (100); the quota is 5 requests a day
/// per key. Stage throttling: burst 6 for `POST /pets`, every caller together.
const CONFIG: &str = r#"
Stage:
  StageName: v1
  MethodSettings:
    - {ResourcePath: /pets, HttpMethod: POST, ThrottlingRateLimit: 0.01, ThrottlingBurstLimit: 6}
ApiKeys:
  - {Name: alice, Value: alice-0123456789abcdefghij, Enabled: true}
  - {Name: bob, Value: bob-0123456789abcdefghijk, Enabled: true}
  - {Name: off, Value: off-0123456789abcdefghijk, Enabled: false}
UsagePlans:
  - UsagePlanName: basic
    ApiStages: [{Stage: v1, Throttle: {"/pets/GET": {RateLimit: 0.01, BurstLimit: 2}}}]
    Throttle: {RateLimit: 0.01, BurstLimit: 100}
    Quota: {Limit: 5, Period: DAY}
    ApiKeys: [alice, bob, off]
"#;

/// `api-keys-swagger2.json` with its backend at `backend`.
fn keys_sample(backend: &str) -> String {
    aws_sample_text("api-keys-swagger2.json").replace(
        "http://petstore-demo-endpoint.execute-api.com",
        &format!("http://{backend}"),
    )
}

/// A directory with `api.json` and `config.yaml`.
fn files(definition: &str, config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("api.json"), definition).unwrap();
    std::fs::write(dir.path().join("config.yaml"), config).unwrap();
    dir
}

async fn serve(dir: &tempfile::TempDir, extra: &[&str]) -> Harness {
    let mut options = Options::new(
        dir.path().join("api.json").to_str().unwrap(),
        Store::Embedded,
    )
    .arg("--config")
    .arg(dir.path().join("config.yaml").to_str().unwrap());
    for a in extra {
        options = options.arg(a);
    }
    start(options).await
}

/// One request; (status, body, x-amzn-ErrorType).
async fn call(c: &Client, h: &Harness, verb: &str, key: Option<&str>) -> (u16, String, String) {
    let mut rb = c.request(verb.parse().unwrap(), h.url("/v1/pets"));
    if let Some(k) = key {
        rb = rb.header("x-api-key", k);
    }
    let r = rb.send().await.unwrap();
    let status = r.status().as_u16();
    let error_type = r
        .headers()
        .get("x-amzn-errortype")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, r.text().await.unwrap(), error_type)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_api_keys_sample_with_a_config_file() {
    let backend = echo::start_echo().await;
    let definition = keys_sample(&backend);
    let dir = files(&definition, CONFIG);
    let h = serve(&dir, &[]).await;
    assert!(
        h.banner
            .iter()
            .any(|l| l.contains("3 API key(s), 2 usable on this stage; 1 usage plan(s)")),
        "{:#?}",
        h.banner
    );
    let c = Client::new();
    let forbidden = (
        403,
        r#"{"message":"Forbidden"}"#.to_string(),
        "ForbiddenException".to_string(),
    );
    // No key, an unknown key, a disabled key: 403 before the backend is called.
    assert_eq!(call(&c, &h, "GET", None).await, forbidden);
    assert_eq!(
        call(&c, &h, "GET", Some("nobody-0123456789abcdefg")).await,
        forbidden
    );
    assert_eq!(call(&c, &h, "GET", Some(OFF)).await, forbidden);
    // A valid key: the backend answers (the key passes through http_proxy as any header).
    let (status, body, _) = call(&c, &h, "GET", Some(ALICE)).await;
    assert_eq!(status, 200, "{body}");
    let echoed: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(echoed["path"], "/petstore/pets/");
    assert_eq!(echoed["headers"]["x-api-key"], ALICE);
    // GET's own bucket holds 2: the third is throttled, and does not count toward the quota.
    assert_eq!(call(&c, &h, "GET", Some(ALICE)).await.0, 200);
    let too_many = (
        429,
        r#"{"message":"Too Many Requests"}"#.to_string(),
        "TooManyRequestsException".to_string(),
    );
    assert_eq!(call(&c, &h, "GET", Some(ALICE)).await, too_many);
    // Bob has buckets of his own.
    assert_eq!(call(&c, &h, "GET", Some(BOB)).await.0, 200);
    // POST uses the plan's bucket: alice's quota (5 a day) has 3 left, then Limit Exceeded.
    for _ in 0..3 {
        assert_eq!(call(&c, &h, "POST", Some(ALICE)).await.0, 200);
    }
    let limit_exceeded = (
        429,
        r#"{"message":"Limit Exceeded"}"#.to_string(),
        "LimitExceededException".to_string(),
    );
    assert_eq!(call(&c, &h, "POST", Some(ALICE)).await, limit_exceeded);
    assert_eq!(call(&c, &h, "GET", Some(ALICE)).await.0, 429);
    // The stage's POST bucket (6, every caller): 3 taken by alice (her refusals took
    // nothing), 3 for bob, then the stage throttles bob although his plan has room.
    for _ in 0..3 {
        assert_eq!(call(&c, &h, "POST", Some(BOB)).await.0, 200);
    }
    assert_eq!(call(&c, &h, "POST", Some(BOB)).await, too_many);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_gateways_sharing_one_redis_enforce_one_plan() {
    let backend = echo::start_echo().await;
    let definition = keys_sample(&backend);
    let redis = redis::Redis::start();
    let dir = files(&definition, CONFIG);
    let state = redis.url();
    let a = serve(&dir, &["--state", &state]).await;
    let b = serve(&dir, &["--state", &state]).await;
    assert!(
        a.banner
            .iter()
            .any(|l| l.contains(&format!("shared through Redis at {state}"))),
        "{:#?}",
        a.banner
    );
    let c = Client::new();
    // GET's per-key bucket (2) holds across both gateways.
    assert_eq!(call(&c, &a, "GET", Some(ALICE)).await.0, 200);
    assert_eq!(call(&c, &b, "GET", Some(ALICE)).await.0, 200);
    assert_eq!(call(&c, &a, "GET", Some(ALICE)).await.0, 429);
    assert_eq!(call(&c, &b, "GET", Some(ALICE)).await.0, 429);
    // The quota (5 a day): 2 used, 3 more alternating between the gateways, then 429.
    for h in [&a, &b, &a] {
        assert_eq!(call(&c, h, "POST", Some(ALICE)).await.0, 200);
    }
    let (status, body, _) = call(&c, &b, "POST", Some(ALICE)).await;
    assert_eq!(
        (status, body.as_str()),
        (429, r#"{"message":"Limit Exceeded"}"#)
    );
    assert_eq!(call(&c, &a, "POST", Some(ALICE)).await.0, 429);
    // The stage's POST bucket (6 for everyone): 3 taken, bob gets 3 more across both.
    for h in [&b, &a, &b] {
        assert_eq!(call(&c, h, "POST", Some(BOB)).await.0, 200);
    }
    assert_eq!(call(&c, &a, "POST", Some(BOB)).await.0, 429);
    // Redis holds the counters (keys under the API's and stage's namespace), and they
    // expire: buckets once they would be full again, the quota when its day ends.
    let keys = redis.cli(&["KEYS", "apigate:keys-api/v1:*"]).unwrap();
    assert!(keys.contains("plan:basic:key:"), "{keys}");
    assert!(keys.contains(":quota:"), "{keys}");
    assert!(keys.contains("stage:POST /pets"), "{keys}");
    for key in keys.lines() {
        let ttl: i64 = redis.cli(&["TTL", key]).unwrap().parse().unwrap();
        assert!(
            ttl > 0 || key.ends_with("first-quota-period"),
            "{key}: TTL {ttl}"
        );
    }
}

/// Redis unreachable: documented choice (README, PARITY) — each gateway keeps to the limits
/// on its own, logs one line, and goes back to Redis when it answers. Keys are still checked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redis_down_a_gateway_enforces_the_limits_alone_until_it_is_back() {
    let backend = echo::start_echo().await;
    let definition = keys_sample(&backend);
    let mut redis = redis::Redis::start();
    let dir = files(&definition, CONFIG);
    let log = dir.path().join("gateway.log");
    let state = redis.url();
    let mut options = Options::new(
        dir.path().join("api.json").to_str().unwrap(),
        Store::Embedded,
    )
    .arg("--config")
    .arg(dir.path().join("config.yaml").to_str().unwrap())
    .arg("--state")
    .arg(&state)
    .log_to(&log);
    options = options.env("APIGATE_LOG", "info");
    let h = start(options).await;
    let c = Client::new();
    // Shared: alice's GET bucket spent in Redis.
    assert_eq!(call(&c, &h, "GET", Some(ALICE)).await.0, 200);
    assert_eq!(call(&c, &h, "GET", Some(ALICE)).await.0, 200);
    assert_eq!(call(&c, &h, "GET", Some(ALICE)).await.0, 429);
    redis.stop();
    // Down: the gateway's own buckets (fresh: 2 more), still per key; bad keys still 403.
    assert_eq!(call(&c, &h, "GET", Some(ALICE)).await.0, 200);
    assert_eq!(call(&c, &h, "GET", Some(ALICE)).await.0, 200);
    assert_eq!(call(&c, &h, "GET", Some(ALICE)).await.0, 429);
    assert_eq!(call(&c, &h, "GET", Some(OFF)).await.0, 403);
    assert_eq!(call(&c, &h, "GET", None).await.0, 403);
    let unreachable = format!("Redis at {state} is unreachable");
    let logged = std::fs::read_to_string(&log).unwrap();
    assert_eq!(
        logged.matches(&unreachable).count(),
        1,
        "one line per outage:\n{logged}"
    );
    // Back (empty): once the gateway retries (a second after the failure), the limits are
    // Redis's again — alice's bucket there is new, so she gets her burst back.
    redis.restart();
    let deadline = Instant::now() + Duration::from_secs(20);
    let answers_again = format!("Redis at {state} answers again");
    while !std::fs::read_to_string(&log)
        .unwrap()
        .contains(&answers_again)
    {
        assert!(
            Instant::now() < deadline,
            "the gateway never went back to Redis"
        );
        let _ = call(&c, &h, "GET", Some(BOB)).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(call(&c, &h, "GET", Some(ALICE)).await.0, 200);
    let keys = redis.cli(&["KEYS", "apigate:*"]).unwrap();
    assert!(
        keys.contains("plan:basic:key:"),
        "counters are in Redis again: {keys}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_starts_while_redis_is_down() {
    let backend = echo::start_echo().await;
    let definition = keys_sample(&backend);
    let dir = files(&definition, CONFIG);
    let url = format!("redis://127.0.0.1:{}", free_port());
    let h = serve(&dir, &["--state", &url]).await;
    assert!(
        h.banner.iter().any(|l| l.contains(&format!(
            "WARNING: Redis at {url} is unreachable: throttles and quotas are enforced by this gateway alone"
        ))),
        "{:#?}",
        h.banner
    );
    let c = Client::new();
    assert_eq!(call(&c, &h, "GET", Some(ALICE)).await.0, 200);
    assert_eq!(call(&c, &h, "GET", Some(ALICE)).await.0, 200);
    assert_eq!(call(&c, &h, "GET", Some(ALICE)).await.0, 429);
}

/// An API whose key source is `AUTHORIZER`: the Lambda TOKEN authorizer's
/// `usageIdentifierKey` is the key, checked as a header's would be.
const AUTHORIZER_SOURCED: &str = r#"
swagger: "2.0"
info: {title: authorizer-keys, version: "1"}
basePath: /v1
x-amazon-apigateway-api-key-source: AUTHORIZER
securityDefinitions:
  api_key: {type: apiKey, name: x-api-key, in: header}
  keyAuth:
    type: apiKey
    name: X-Token
    in: header
    x-amazon-apigateway-authtype: custom
    x-amazon-apigateway-authorizer:
      type: token
      authorizerUri: arn:aws:apigateway:us-west-2:lambda:path/2015-03-31/functions/arn:aws:lambda:us-west-2:123456789012:function:key-auth/invocations
      authorizerResultTtlInSeconds: 0
paths:
  /metered:
    get:
      security: [{keyAuth: [], api_key: []}]
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses:
          default:
            statusCode: "200"
            responseTemplates:
              application/json: '{"key": "$context.identity.apiKey", "principal": "$context.authorizer.principalId"}'
"#;

/// The TOKEN authorizer: allows every token, naming a key for `tok-alice`, an unknown one
/// for `tok-stranger`, none for `tok-none`.
fn key_auth(call: &lambda::Invocation) -> lambda::Outcome {
    let event = call.json();
    let arn = event["methodArn"].as_str().unwrap().to_string();
    let token = event["authorizationToken"].as_str().unwrap().to_string();
    let mut answer = serde_json::json!({
        "principalId": token,
        "policyDocument": {"Version": "2012-10-17", "Statement": [
            {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": arn}
        ]},
    });
    match token.as_str() {
        "tok-alice" => answer["usageIdentifierKey"] = ALICE.into(),
        "tok-stranger" => answer["usageIdentifierKey"] = "stranger-0123456789abcdef".into(),
        _ => {}
    }
    lambda::Outcome::json(answer)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_authorizer_can_be_the_key_source() {
    const KEY: &str = "AKIDGATEWAYKEYSOURCE";
    const SECRET: &str = "gateway/key/source/secret/0123456789";
    let l = lambda::start_lambda(
        lambda::LambdaSpec::new("us-west-2", KEY, SECRET).function("key-auth", key_auth),
    )
    .await;
    let config = "ApiKeys:\n  - {Name: alice, Value: alice-0123456789abcdefghij, Enabled: true}\nUsagePlans:\n  - {ApiStages: [{Stage: v1}], ApiKeys: [alice], Quota: {Limit: 1, Period: DAY}}\n";
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("api.yaml"), AUTHORIZER_SOURCED).unwrap();
    std::fs::write(dir.path().join("config.yaml"), config).unwrap();
    let h = start(
        Options::new(
            dir.path().join("api.yaml").to_str().unwrap(),
            Store::Embedded,
        )
        .arg("--config")
        .arg(dir.path().join("config.yaml").to_str().unwrap())
        .arg("--aws-endpoint")
        .arg(&format!("lambda={}", l.endpoint))
        .env("AWS_ACCESS_KEY_ID", KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET),
    )
    .await;
    let c = Client::new();
    let get = |token: &'static str, header: Option<&'static str>| {
        let mut rb = c.get(h.url("/v1/metered")).header("x-token", token);
        if let Some(k) = header {
            rb = rb.header("x-api-key", k);
        }
        async move {
            let r = rb.send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    // The authorizer names no key: 403, even with a valid x-api-key header (not read).
    assert_eq!(get("tok-none", Some(ALICE)).await.0, 403);
    // A key the config does not define: 403.
    assert_eq!(get("tok-stranger", None).await.0, 403);
    // Alice's key: the authorizer's principal and the key reach the template.
    let (status, body) = get("tok-alice", None).await;
    assert_eq!(status, 200, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"key": ALICE, "principal": "tok-alice"})
    );
    // Her plan's quota (1 a day) counts it.
    assert_eq!(
        get("tok-alice", None).await,
        (429, r#"{"message":"Limit Exceeded"}"#.to_string())
    );
    assert_eq!(
        l.count("key-auth"),
        4,
        "the authorizer runs before the key is checked"
    );
}

fn apigate(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_apigate"))
        .args(args)
        .current_dir(repo())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .output()
        .unwrap()
}

#[test]
fn validate_checks_the_config_file_with_the_definition() {
    let definition = keys_sample("127.0.0.1:8081");
    // Problems of the file alone.
    let bad = "Stage:\n  StageName: v1\nApiKeys:\n  - {Name: a, Value: short}\nUsagePlan: []\n";
    let dir = files(&definition, bad);
    let api = dir.path().join("api.json");
    let config = dir.path().join("config.yaml");
    let validate = |config: &std::path::Path| {
        apigate(&[
            "validate",
            "--config",
            config.to_str().unwrap(),
            api.to_str().unwrap(),
        ])
    };
    let out = validate(&config);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let c = config.display();
    let a = api.display();
    let expected = [
        format!("{c}:4:22: error[config-value-invalid]: API key `a`: the value must be at least 20 characters (it has 5) (at /ApiKeys/0/Value)"),
        format!("{c}:5:1: error[config-field-unknown]: `UsagePlan` is not a section of the config file (at /UsagePlan)"),
        "  hint: the sections are Stage, ApiKeys, UsagePlans, Apis, Stages, DomainNames, BasePathMappings".to_string(),
        "2 files checked: 2 errors, 0 warnings".to_string(),
    ];
    for line in expected {
        assert!(
            stdout.lines().any(|l| l == line),
            "no {line:?} in:\n{stdout}"
        );
    }
    // Problems of the file with the definition.
    let against = "Stage:\n  StageName: v1\n  MethodSettings:\n    - {ResourcePath: /cats, HttpMethod: GET, ThrottlingRateLimit: 1}\n";
    std::fs::write(&config, against).unwrap();
    let out = validate(&config);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let expected = [
        format!("{c}:1:1: warning[api-keys-unusable]: 2 method(s) of {a} require an API key, and no enabled key is in a usage plan for the served stage: every call to them answers 403 (at the document root)"),
        format!("{c}:4:7: error[config-method-unknown]: {a} has no method GET /cats (at /Stage/MethodSettings/0)"),
        format!("  hint: {a} has no resource /cats"),
        "2 files checked: 1 error, 1 warning".to_string(),
    ];
    for line in expected {
        assert!(
            stdout.lines().any(|l| l == line),
            "no {line:?} in:\n{stdout}"
        );
    }
    // The good config: no problem with the sample.
    std::fs::write(&config, CONFIG).unwrap();
    let out = apigate(&[
        "validate",
        "--deny-warnings",
        "--config",
        config.to_str().unwrap(),
        api.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "`off` is disabled: a warning\n{stdout}"
    );
    assert!(
        stdout.contains("warning[api-key-disabled]: API key `off` is disabled"),
        "{stdout}"
    );
    let out = apigate(&[
        "validate",
        "--config",
        config.to_str().unwrap(),
        api.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    // An unreadable config file: exit 2.
    let out = apigate(&[
        "validate",
        "--config",
        "/nonexistent/config.yaml",
        api.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    // serve stops on a config with errors, printing them as validate does (exit 1).
    std::fs::write(&config, bad).unwrap();
    let out = apigate(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--config",
        config.to_str().unwrap(),
        api.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains(&format!("{c}:4:22: error[config-value-invalid]")),
        "{stderr}"
    );
}

#[test]
fn test_invoke_takes_the_stage_and_variables_and_skips_keys() {
    let dir = tempfile::tempdir().unwrap();
    let api = dir.path().join("api.yaml");
    std::fs::write(
        &api,
        r#"
swagger: "2.0"
info: {title: t, version: "1"}
paths:
  /pets:
    get:
      security: [{api_key: []}]
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses:
          default:
            statusCode: "200"
            responseTemplates: {application/json: '{"stage": "$context.stage", "color": "$stageVariables.color", "size": "$stageVariables.size"}'}
securityDefinitions:
  api_key: {type: apiKey, name: x-api-key, in: header}
"#,
    )
    .unwrap();
    let config = dir.path().join("config.yaml");
    std::fs::write(
        &config,
        "Stage: {StageName: prod, Variables: {color: blue, size: small}}\n",
    )
    .unwrap();
    let out = apigate(&[
        "test-invoke",
        api.to_str().unwrap(),
        "GET",
        "/pets",
        "--config",
        config.to_str().unwrap(),
        "--stage-variable",
        "size=large",
        "--format",
        "json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answer: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answer["request"], "GET /prod/pets");
    let body: Value = serde_json::from_str(answer["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"stage": "prod", "color": "blue", "size": "large"})
    );
}

/// The README's example config file validates against an API with the methods it names.
#[test]
fn the_readme_example_config_validates() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let section = readme
        .split("### The deployment config file (`--config`)")
        .nth(1)
        .unwrap();
    let example = section
        .split("```yaml\n")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let api = dir.path().join("api.yaml");
    std::fs::write(
        &api,
        "swagger: \"2.0\"\ninfo: {title: t, version: \"1\"}\nsecurityDefinitions:\n  api_key: {type: apiKey, name: x-api-key, in: header}\npaths:\n  /pets:\n    get:\n      security: [{api_key: []}]\n      responses: {\"200\": {description: ok}}\n      x-amazon-apigateway-integration: {type: mock, requestTemplates: {application/json: '{\"statusCode\": 200}'}, responses: {default: {statusCode: \"200\"}}}\n",
    )
    .unwrap();
    let config = dir.path().join("deploy.yaml");
    std::fs::write(&config, example).unwrap();
    let out = apigate(&[
        "validate",
        "--deny-warnings",
        "--config",
        config.to_str().unwrap(),
        api.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.ends_with("2 files checked: 0 errors, 0 warnings\n"),
        "{stdout}"
    );
}

/// A reloaded definition (here: a method added, so the methods are numbered anew) keeps
/// the config's keys and limits, and their counters: a spent quota stays spent, a bucket
/// stays empty; the new method gets its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reloaded_definition_keeps_the_counters() {
    let mock = |path: &str| {
        format!(
            "  {path}:\n    get:\n      security: [{{api_key: []}}]\n      responses: {{\"200\": {{description: ok}}}}\n      x-amazon-apigateway-integration: {{type: mock, requestTemplates: {{application/json: '{{\"statusCode\": 200}}'}}, responses: {{default: {{statusCode: \"200\"}}}}}}\n"
        )
    };
    let head = "swagger: \"2.0\"\ninfo: {title: reload, version: \"1\"}\nbasePath: /v1\nsecurityDefinitions:\n  api_key: {type: apiKey, name: x-api-key, in: header}\npaths:\n";
    let config = "Stage:\n  MethodSettings: [{ResourcePath: /b, HttpMethod: GET, ThrottlingRateLimit: 0.01, ThrottlingBurstLimit: 1}]\nApiKeys:\n  - {Name: alice, Value: alice-0123456789abcdefghij, Enabled: true}\nUsagePlans:\n  - {UsagePlanName: p, ApiStages: [{Stage: v1}], ApiKeys: [alice], Quota: {Limit: 2, Period: DAY}}\n";
    let dir = tempfile::tempdir().unwrap();
    let api = dir.path().join("api.yaml");
    std::fs::write(&api, format!("{head}{}{}", mock("/a"), mock("/b"))).unwrap();
    std::fs::write(dir.path().join("config.yaml"), config).unwrap();
    let log = dir.path().join("gateway.log");
    let h = start(
        Options::new(api.to_str().unwrap(), Store::Embedded)
            .arg("--config")
            .arg(dir.path().join("config.yaml").to_str().unwrap())
            .log_to(&log),
    )
    .await;
    let c = Client::new();
    let get = |path: &str| {
        c.get(h.url(&format!("/v1{path}")))
            .header("x-api-key", ALICE)
            .send()
    };
    assert_eq!(get("/a").await.unwrap().status(), 200);
    assert_eq!(get("/b").await.unwrap().status(), 200);
    assert_eq!(
        get("/a").await.unwrap().status(),
        429,
        "the quota (2) is spent"
    );
    // A method before the others: /a and /b get other numbers.
    std::fs::write(
        &api,
        format!("{head}{}{}{}", mock("/0"), mock("/a"), mock("/b")),
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !std::fs::read_to_string(&log)
        .unwrap()
        .contains("apigate: reloaded")
    {
        assert!(Instant::now() < deadline, "not reloaded");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let r = get("/0").await.unwrap();
    assert_eq!(
        r.status(),
        429,
        "the new method counts toward the same quota"
    );
    assert_eq!(r.text().await.unwrap(), r#"{"message":"Limit Exceeded"}"#);
    // The stage bucket of GET /b is still empty: throttled before the quota is looked at.
    let r = c
        .get(h.url("/v1/b"))
        .header("x-api-key", ALICE)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.text().await.unwrap(),
        r#"{"message":"Too Many Requests"}"#
    );
    // Keys are still checked on the reloaded API.
    let r = c.get(h.url("/v1/0")).send().await.unwrap();
    assert_eq!(r.status(), 403);
}
