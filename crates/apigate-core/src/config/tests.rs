#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use super::*;
use crate::limits::{KeyCheck, PlanBucket, Throttle, UsageLimits};
use crate::{load as load_api, LoadOptions};

/// The issue's example.
const EXAMPLE: &str = r#"
Stage:                              # AWS::ApiGateway::Stage
  StageName: v1
  Variables: {bucket: my-bucket}
  MethodSettings:                   # "/*" and "*" for all
    - {ResourcePath: /pets, HttpMethod: GET, ThrottlingRateLimit: 100, ThrottlingBurstLimit: 50}
ApiKeys:                            # AWS::ApiGateway::ApiKey
  - {Name: alice, Value: alice-0123456789abcdefghij, Enabled: true}
UsagePlans:                         # AWS::ApiGateway::UsagePlan (ApiKeys by Name)
  - UsagePlanName: basic
    ApiStages: [{Stage: v1, Throttle: {"/pets/GET": {RateLimit: 1, BurstLimit: 1}}}]
    Throttle: {RateLimit: 5, BurstLimit: 10}
    Quota: {Limit: 1000, Period: DAY}       # DAY | WEEK | MONTH, optional Offset
    ApiKeys: [alice]
"#;

const API: &str = r#"
swagger: "2.0"
info: {title: pets, version: "1"}
basePath: /v1
paths:
  /:
    get:
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration: {type: mock, requestTemplates: {application/json: '{"statusCode": 200}'}, responses: {default: {statusCode: "200"}}}
  /pets:
    get:
      security: [{api_key: []}]
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration: {type: mock, requestTemplates: {application/json: '{"statusCode": 200}'}, responses: {default: {statusCode: "200"}}}
    post:
      security: [{api_key: []}]
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration: {type: mock, requestTemplates: {application/json: '{"statusCode": 200}'}, responses: {default: {statusCode: "200"}}}
securityDefinitions:
  api_key: {type: apiKey, name: x-api-key, in: header}
"#;

fn api() -> crate::Api {
    let loaded = load_api("api.yaml", API, &LoadOptions::default());
    loaded.api.expect("the test API loads")
}

/// `(rule, line:col)` of every diagnostic.
fn found(text: &str) -> Vec<(&'static str, String)> {
    load("config.yaml", text)
        .diagnostics
        .iter()
        .map(|d| (d.rule, d.pos.to_string()))
        .collect()
}

#[test]
fn the_issue_example_loads() {
    let loaded = load("config.yaml", EXAMPLE);
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    let c = loaded.config.unwrap();
    assert_eq!(c.stage.name.as_deref(), Some("v1"));
    assert_eq!(
        c.stage.variables.get("bucket").map(String::as_str),
        Some("my-bucket")
    );
    let setting = &c.stage.method_settings[0];
    assert_eq!(
        setting.methods,
        MethodSelector::One(MethodRef {
            resource_path: "/pets".into(),
            verb: HttpMethod::Get
        })
    );
    assert_eq!(setting.throttle.rate_limit, Some(100.0));
    assert_eq!(setting.throttle.burst_limit, Some(50));
    assert_eq!(setting.place.pos, Pos { line: 6, col: 7 });
    let key = &c.api_keys[0];
    assert_eq!((key.name.as_str(), key.enabled), ("alice", true));
    assert_eq!(key.value.as_deref(), Some("alice-0123456789abcdefghij"));
    let plan = &c.usage_plans[0];
    assert_eq!(plan.name, "basic");
    assert_eq!(plan.api_stages[0].stage, "v1");
    let (m, t, _) = &plan.api_stages[0].method_throttles[0];
    assert_eq!(m.to_string(), "GET /pets");
    assert_eq!((t.rate_limit, t.burst_limit), (Some(1.0), Some(1)));
    assert_eq!(
        plan.quota,
        Some(QuotaSettings {
            limit: 1000,
            offset: 0,
            period: Period::Day
        })
    );
    assert_eq!(plan.api_keys[0].name, "alice");
}

#[test]
fn json_reads_the_same() {
    let json = r#"{"Stage": {"StageName": "v1", "MethodSettings": [{"ResourcePath": "/*", "HttpMethod": "*", "ThrottlingRateLimit": "2.5"}]},
                   "ApiKeys": [{"Name": "k", "Value": "0123456789abcdefghij", "Enabled": "true"}]}"#;
    let loaded = load("config.json", json);
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    let c = loaded.config.unwrap();
    assert_eq!(c.stage.method_settings[0].methods, MethodSelector::All);
    assert_eq!(c.stage.method_settings[0].throttle.rate_limit, Some(2.5));
    assert!(c.api_keys[0].enabled);
}

#[test]
fn unknown_keys_are_errors_with_a_hint_and_cloudformation_extras_are_warnings() {
    let text = "Stage:\n  stageName: v1\n  TracingEnabled: true\nApikeys: []\nLogging: {}\n";
    let loaded = load("c.yaml", text);
    let d: Vec<_> = loaded.diagnostics.iter().collect();
    assert_eq!(d.len(), 4, "{d:?}");
    assert_eq!(
        (d[0].rule, d[0].pos.to_string()),
        ("config-field-unknown", "2:3".into())
    );
    assert_eq!(
        d[0].hint
            .as_deref()
            .map(|h| h.starts_with("did you mean `StageName`?")),
        Some(true)
    );
    assert_eq!(
        (d[1].rule, d[1].pos.to_string()),
        ("config-field-ignored", "3:3".into())
    );
    assert_eq!(d[2].rule, "config-field-unknown");
    assert_eq!(d[2].hint.as_deref(), Some("did you mean `ApiKeys`?"));
    assert_eq!(
        d[3].hint.as_deref(),
        Some("the sections are Stage, ApiKeys, UsagePlans, Apis, Stages, DomainNames, BasePathMappings")
    );
    assert!(loaded.config.is_none());
}

#[test]
fn values_outside_aws_rules_are_reported_where_they_are() {
    let text = r#"
Stage:
  StageName: "v 1"
  Variables: {ok: fine, "bad name": x, url: "a b"}
  MethodSettings:
    - {ResourcePath: /pets, HttpMethod: FETCH}
    - {ResourcePath: /pets, HttpMethod: "*"}
    - {ResourcePath: /x, HttpMethod: GET, ThrottlingRateLimit: -1, ThrottlingBurstLimit: 1.5}
    - {HttpMethod: GET}
ApiKeys:
  - {Name: short, Value: tooshort, Enabled: true}
  - {Name: spaced, Value: "has a space in it 0123456789"}
  - {Value: 01234567890123456789}
  - {Name: e, Enabled: yes-please}
UsagePlans:
  - ApiStages: [{Stage: v1, Throttle: {"/pets": {RateLimit: 1}, "/pets/GET": {Rate: 1}}}]
    Quota: {Limit: 10, Offset: 10, Period: DAY}
  - Quota: {Limit: 10, Period: YEAR}
  - Throttle: {RateLimit: {Ref: Rate}}
"#;
    let got = found(text);
    let want: Vec<(&str, &str)> = vec![
        ("config-value-invalid", "3:14"),
        ("config-value-invalid", "4:37"),
        ("config-value-invalid", "4:45"),
        ("config-value-invalid", "6:41"),
        ("config-value-invalid", "7:7"),
        ("config-value-invalid", "8:64"),
        ("invalid-type", "8:90"),
        ("missing-field", "9:7"),
        ("config-value-invalid", "11:26"),
        ("config-value-invalid", "12:27"),
        ("missing-field", "13:5"),
        ("invalid-type", "14:24"),
        ("config-value-invalid", "16:40"),
        ("config-field-unknown", "16:79"),
        ("config-value-invalid", "17:32"),
        ("config-value-invalid", "18:32"),
        ("invalid-type", "19:27"),
    ];
    let got: Vec<(&str, &str)> = got.iter().map(|(r, p)| (*r, p.as_str())).collect();
    assert_eq!(got, want);
    let hint = load("c.yaml", text)
        .diagnostics
        .iter()
        .find(|d| d.pos.line == 19)
        .and_then(|d| d.hint.clone());
    assert_eq!(
        hint.as_deref(),
        Some("CloudFormation functions (Ref, Fn::*) are not evaluated: write the value itself")
    );
}

#[test]
fn keys_and_plans_are_cross_checked() {
    let text = r#"
ApiKeys:
  - {Name: a, Value: aaaaaaaaaaaaaaaaaaaa, Enabled: true}
  - {Name: a, Value: bbbbbbbbbbbbbbbbbbbb, Enabled: true}
  - {Name: c, Value: aaaaaaaaaaaaaaaaaaaa, Enabled: true}
  - {Name: off, Value: cccccccccccccccccccc}
UsagePlans:
  - {UsagePlanName: p1, ApiStages: [{Stage: v1}], ApiKeys: [a, ghost]}
  - {UsagePlanName: p2, ApiStages: [{Stage: v1}, {Stage: v2}], ApiKeys: [a]}
  - {UsagePlanName: p2, ApiStages: [{Stage: v3}]}
"#;
    let got = found(text);
    let rules: Vec<&str> = got.iter().map(|(r, _)| *r).collect();
    assert_eq!(
        rules,
        vec![
            "config-name-duplicate", // second `a`
            "config-name-duplicate", // `c` repeats a's value
            "api-key-disabled",
            "config-key-undefined", // ghost
            "api-key-plan-conflict",
            "config-name-duplicate", // plan p2 twice
        ]
    );
    assert_eq!(got[3].1, "8:64");
    let disabled = load("c.yaml", text);
    let d = disabled
        .diagnostics
        .iter()
        .find(|d| d.rule == "api-key-disabled")
        .unwrap();
    assert_eq!(
        d.hint.as_deref(),
        Some("`Enabled` is false unless set, as in AWS: add `Enabled: true`")
    );
}

#[test]
fn cloudformation_escaped_paths_and_root_method_paths() {
    assert_eq!(resource_path("/~1pets~1{id}"), "/pets/{id}");
    assert_eq!(resource_path("/pets/{id}"), "/pets/{id}");
    assert_eq!(resource_path("/"), "/");
    let text = r#"
Stage:
  MethodSettings: [{ResourcePath: "/~1pets", HttpMethod: POST, ThrottlingRateLimit: 3}]
UsagePlans:
  - ApiStages: [{Stage: v1, Throttle: {"//GET": {RateLimit: 2}, "/~1pets/GET": {BurstLimit: 4}}}]
"#;
    let loaded = load("c.yaml", text);
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    let c = loaded.config.unwrap();
    assert_eq!(
        c.stage.method_settings[0].methods,
        MethodSelector::One(MethodRef {
            resource_path: "/pets".into(),
            verb: HttpMethod::Post
        })
    );
    let throttles = &c.usage_plans[0].api_stages[0].method_throttles;
    assert_eq!(throttles[0].0.to_string(), "GET /");
    assert_eq!(throttles[1].0.to_string(), "GET /pets");
    assert_eq!(c.usage_plans[0].name, "usage-plan-1");
}

#[test]
fn syntax_errors_and_empty_files() {
    let d = found("Stage: [\n");
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].0, "syntax");
    let empty = load("c.yaml", "");
    assert!(empty.diagnostics.is_empty(), "{:?}", empty.diagnostics);
    assert_eq!(empty.config, Some(DeploymentConfig::default()));
    assert_eq!(found("[1, 2]")[0].0, "invalid-type");
}

#[test]
fn checked_against_the_api() {
    let text = r#"
Stage:
  MethodSettings:
    - {ResourcePath: /pets, HttpMethod: DELETE, ThrottlingRateLimit: 1}
    - {ResourcePath: /cats, HttpMethod: GET, ThrottlingRateLimit: 1}
ApiKeys:
  - {Name: a, Value: aaaaaaaaaaaaaaaaaaaa, Enabled: true}
UsagePlans:
  - {UsagePlanName: p, ApiStages: [{Stage: prod, Throttle: {"/pets/PUT": {RateLimit: 1}}}], ApiKeys: [a]}
"#;
    let config = load("c.yaml", text).config.unwrap();
    let d = check_against(&config, &api(), "api.yaml", Some("v1"));
    let got: Vec<(&str, String, Option<String>)> = d
        .iter()
        .map(|d| (d.rule, d.pos.to_string(), d.hint.clone()))
        .collect();
    assert_eq!(got[0].0, "api-keys-unusable");
    assert_eq!(
        got[1],
        (
            "config-method-unknown",
            "4:7".into(),
            Some("api.yaml has GET, POST on /pets".into())
        )
    );
    assert_eq!(
        got[2],
        (
            "config-method-unknown",
            "5:7".into(),
            Some("api.yaml has no resource /cats".into())
        )
    );
    assert_eq!(got[3].0, "usage-plan-stage-unserved");
    assert_eq!(got[4].0, "config-method-unknown");
    assert_eq!(got.len(), 5);
    // Served on the plan's stage, the key is usable and the plan covers the stage.
    let d = check_against(&config, &api(), "api.yaml", Some("prod"));
    let rules: Vec<&str> = d.iter().map(|d| d.rule).collect();
    assert_eq!(rules, vec!["config-method-unknown"; 3]);
}

#[test]
fn limits_resolve_per_method_key_and_plan() {
    let text = r#"
Stage:
  MethodSettings:
    - {ResourcePath: /*, HttpMethod: "*", ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200}
    - {ResourcePath: /pets, HttpMethod: GET, ThrottlingBurstLimit: 5}
ApiKeys:
  - {Name: alice, Value: alice-0123456789abcdefghij, Enabled: true}
  - {Name: bob, Enabled: true}
  - {Name: carol, Value: carol-0123456789abcdefghij}
  - {Name: dave, Value: dave-0123456789abcdefghij, Enabled: true}
UsagePlans:
  - UsagePlanName: basic
    ApiStages: [{Stage: v1, Throttle: {"/pets/GET": {RateLimit: 1}}}]
    Throttle: {RateLimit: 5, BurstLimit: 10}
    Quota: {Limit: 1000, Period: WEEK, Offset: 10}
    ApiKeys: [alice, bob, carol]
  - {UsagePlanName: other, ApiStages: [{Stage: v2}], ApiKeys: [dave]}
"#;
    let config = load("c.yaml", text).config.unwrap();
    let api = api();
    let mut n = 0;
    let limits = UsageLimits::resolve(&api, &config, Some("v1"), &mut |_| {
        n += 1;
        format!("generated-value-{n:05}-abcdef")
    });
    let get_pets = api.routes.find("/pets", HttpMethod::Get).unwrap();
    let post_pets = api.routes.find("/pets", HttpMethod::Post).unwrap();
    let root = api.routes.find("/", HttpMethod::Get).unwrap();
    assert_eq!(
        limits.stage[get_pets],
        Some(Throttle {
            rate: 100.0,
            burst: 5
        })
    );
    assert_eq!(
        limits.stage[post_pets],
        Some(Throttle {
            rate: 100.0,
            burst: 200
        })
    );
    assert_eq!(
        limits.stage[root],
        Some(Throttle {
            rate: 100.0,
            burst: 200
        })
    );
    // Keys: valid, generated, disabled, in a plan for another stage, unknown, missing.
    let KeyCheck::Valid { key, index, plan } = limits.check_key(Some("alice-0123456789abcdefghij"))
    else {
        panic!("alice is valid")
    };
    assert_eq!(
        (key.name.as_str(), key.id.len(), index, plan),
        ("alice", 10, 0, 0)
    );
    assert!(key
        .id
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
    let bob = &limits.keys[1];
    assert!(bob.generated);
    assert_eq!(bob.value, "generated-value-00001-abcdef");
    assert!(matches!(
        limits.check_key(Some(&bob.value)),
        KeyCheck::Valid { .. }
    ));
    assert!(matches!(
        limits.check_key(Some("carol-0123456789abcdefghij")),
        KeyCheck::Disabled(_)
    ));
    assert!(matches!(
        limits.check_key(Some("dave-0123456789abcdefghij")),
        KeyCheck::NoPlan(_)
    ));
    assert_eq!(
        limits.check_key(Some("nobody-0123456789abcdef")),
        KeyCheck::Unknown
    );
    assert_eq!(limits.check_key(Some("")), KeyCheck::Missing);
    assert_eq!(limits.check_key(None), KeyCheck::Missing);
    // The plan: GET /pets has its own bucket (burst from the plan), POST /pets the plan's.
    assert_eq!(
        limits.plan_bucket(0, get_pets),
        Some(PlanBucket::Method(
            get_pets,
            Throttle {
                rate: 1.0,
                burst: 10
            }
        ))
    );
    assert_eq!(
        limits.plan_bucket(0, post_pets),
        Some(PlanBucket::Plan(Throttle {
            rate: 5.0,
            burst: 10
        }))
    );
    assert_eq!(limits.plans.len(), 1, "only plans covering v1");
    assert_eq!(limits.plans[0].quota.unwrap().offset, 10);
    // Ids are stable (derived from names).
    let again = UsageLimits::resolve(&api, &config, Some("v1"), &mut |_| "x".repeat(20));
    assert_eq!(again.keys[0].id, limits.keys[0].id);
    assert_ne!(limits.keys[0].id, limits.keys[1].id);
}

#[test]
fn a_limit_without_its_rate_or_burst_takes_the_account_default() {
    let text = "Stage:\n  MethodSettings: [{ResourcePath: /pets, HttpMethod: GET, ThrottlingRateLimit: 7}]\n";
    let config = load("c.yaml", text).config.unwrap();
    let api = api();
    let limits = UsageLimits::resolve(&api, &config, Some("v1"), &mut |_| String::new());
    let get_pets = api.routes.find("/pets", HttpMethod::Get).unwrap();
    assert_eq!(
        limits.stage[get_pets],
        Some(Throttle {
            rate: 7.0,
            burst: 5000
        })
    );
    let root = api.routes.find("/", HttpMethod::Get).unwrap();
    assert_eq!(limits.stage[root], None);
    assert!(!limits.is_empty());
    let none = UsageLimits::resolve(&api, &DeploymentConfig::default(), None, &mut |_| {
        String::new()
    });
    assert!(none.is_empty());
}
