//! Loader behaviour that the data-driven `tests/validate` cases do not show: what the
//! validated model contains.

use crate::model::{Authorization, BasePathMode, HttpMethod, Target};
use crate::uri::AwsAction;
use crate::{load, rules, LoadOptions};

const MYS3: &str = include_str!("../../../../openapi/mys3.yaml");

fn opts(mode: BasePathMode) -> LoadOptions {
    LoadOptions {
        base_path_mode: mode,
        ..LoadOptions::default()
    }
}

fn mock_doc(root_extra: &str) -> String {
    format!(
        "swagger: \"2.0\"\ninfo: {{title: t, version: \"1\"}}\n{root_extra}\npaths:\n  /pets/{{id}}:\n    get:\n      parameters: [{{name: id, in: path, required: true, type: string}}]\n      responses: {{\"200\": {{description: ok}}}}\n      x-amazon-apigateway-integration: {{type: mock, responses: {{default: {{statusCode: \"200\"}}}}}}\n"
    )
}

#[test]
fn mys3_loads_into_a_complete_model() {
    let mut o = LoadOptions::default();
    o.import_variables.region = "eu-west-1".into();
    let loaded = load("mys3.yaml", MYS3, &o);
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    let api = loaded.api.unwrap();
    assert_eq!(api.title, "MyS3");
    assert_eq!(api.stage.as_deref(), Some("S3"));
    assert_eq!(api.routes.method_count(), 8);
    assert!(api
        .binary_media_types
        .iter()
        .all(|m| m.matches("image/png")));

    let m = api
        .routes
        .lookup(HttpMethod::Put, "/bucket/test%2Ftest.txt")
        .unwrap();
    assert_eq!(m.method.resource_path, "/{folder}/{item}");
    assert_eq!(
        m.path_params,
        vec![
            ("folder", "bucket".to_string()),
            ("item", "test/test.txt".to_string())
        ]
    );
    assert_eq!(m.method.authorization, Authorization::AwsIam);
    let i = &m.method.integration;
    assert_eq!(i.http_method, Some(HttpMethod::Put));
    let Target::Aws(uri) = &i.target else {
        panic!("{:?}", i.target)
    };
    assert_eq!(
        (uri.region.as_str(), uri.service.as_str()),
        ("eu-west-1", "s3")
    );
    let AwsAction::Path(path) = &uri.action else {
        panic!()
    };
    assert_eq!(path.source(), "/{bucket}/{object}");
    assert_eq!(i.request_parameters.len(), 3);
    // 4\d{2} → 400, 5\d{2} → 500, anything else → default 200.
    assert_eq!(i.select_response("404").map(|r| r.status), Some(400));
    assert_eq!(i.select_response("503").map(|r| r.status), Some(500));
    assert_eq!(i.select_response("200").map(|r| r.status), Some(200));
    assert_eq!(i.select_response("4040").map(|r| r.status), Some(200));
    assert_eq!(
        i.responses
            .last()
            .and_then(|r| r.pattern.as_ref())
            .map(|p| p.as_str()),
        None
    );

    assert!(api.routes.lookup(HttpMethod::Post, "/bucket").is_err());
    assert!(api.routes.lookup(HttpMethod::Get, "/").is_ok());
}

#[test]
fn base_path_modes() {
    let doc = mock_doc("basePath: /v1/store");
    let ignore = load("a.yaml", &doc, &opts(BasePathMode::Ignore));
    let api = ignore.api.unwrap();
    assert_eq!(api.stage.as_deref(), Some("v1"));
    assert!(api.routes.lookup(HttpMethod::Get, "/pets/1").is_ok());
    assert_eq!(
        ignore
            .diagnostics
            .iter()
            .map(|d| d.rule)
            .collect::<Vec<_>>(),
        [rules::BASE_PATH_DROPPED.id]
    );

    let split = load("a.yaml", &doc, &opts(BasePathMode::Split))
        .api
        .unwrap();
    assert_eq!(split.stage.as_deref(), Some("v1"));
    assert!(split
        .routes
        .lookup(HttpMethod::Get, "/store/pets/1")
        .is_ok());
    assert!(split.routes.lookup(HttpMethod::Get, "/pets/1").is_err());

    let prepend = load("a.yaml", &doc, &opts(BasePathMode::Prepend))
        .api
        .unwrap();
    assert_eq!(prepend.stage, None);
    let m = prepend
        .routes
        .lookup(HttpMethod::Get, "/v1/store/pets/7")
        .unwrap();
    assert_eq!(m.method.resource_path, "/pets/{id}");
    assert_eq!(m.path_params, vec![("id", "7".to_string())]);
}

#[test]
fn openapi3_stage_from_server_url_variables() {
    let doc = "openapi: 3.0.1\ninfo: {title: t, version: \"1\"}\nservers:\n  - url: https://api.example.com/{stage}\n    variables:\n      stage: {default: prod}\npaths: {}\n";
    let api = load("a.yaml", doc, &LoadOptions::default()).api.unwrap();
    assert_eq!(api.stage.as_deref(), Some("prod"));
    let doc =
        "openapi: 3.0.1\ninfo: {title: t, version: \"1\"}\nservers: [{url: /beta}]\npaths: {}\n";
    assert_eq!(
        load("a.yaml", doc, &LoadOptions::default())
            .api
            .unwrap()
            .stage
            .as_deref(),
        Some("beta")
    );
}

#[test]
fn numeric_openapi_version_is_explained() {
    let doc = "openapi: 3.0\ninfo: {title: t, version: \"1\"}\npaths: {}\n";
    let loaded = load("a.yaml", doc, &LoadOptions::default());
    let d = loaded.diagnostics.iter().next().unwrap();
    assert_eq!(d.rule, rules::UNSUPPORTED_VERSION.id);
    assert!(
        d.message.contains("must be a version string, found 3.0"),
        "{}",
        d.message
    );
}

#[test]
fn definitions_over_six_megabytes_are_refused() {
    let padding = format!("# {}\n", "x".repeat(crate::MAX_DEFINITION_BYTES));
    let doc = format!("{padding}{}", mock_doc(""));
    let loaded = load("big.yaml", &doc, &LoadOptions::default());
    assert!(loaded.api.is_none());
    let rules: Vec<&str> = loaded.diagnostics.iter().map(|d| d.rule).collect();
    assert_eq!(rules, [rules::DEFINITION_TOO_LARGE.id]);
}

#[test]
fn every_problem_is_reported_not_just_the_first() {
    let doc = mock_doc("x-amazon-apigateway-api-key-source: QUERY\nx-amazon-apigateway-minimum-compression-size: -5\nx-amazon-apigateway-binary-media-types: [bad]");
    let loaded = load("a.yaml", &doc, &LoadOptions::default());
    assert_eq!(loaded.diagnostics.error_count(), 3);
    let lines: Vec<u32> = loaded.diagnostics.iter().map(|d| d.pos.line).collect();
    assert_eq!(lines, [3, 4, 5], "sorted by position");
}

#[test]
fn mappings_from_the_greedy_parameter_are_flagged_at_load() {
    let doc = r#"swagger: "2.0"
info: {title: t, version: "1"}
paths:
  /files/{dir}/{rest+}:
    get:
      parameters:
        - {name: dir, in: path, required: true, type: string}
        - {name: rest, in: path, required: true, type: string}
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: http
        httpMethod: GET
        uri: "http://example.com/{d}/{r}"
        requestParameters:
          integration.request.path.d: method.request.path.dir
          integration.request.path.r: method.request.path.rest
          integration.request.header.X-Rest: method.request.path.rest
        responses: {default: {statusCode: "200"}}
"#;
    let loaded = load("greedy.yaml", doc, &LoadOptions::default());
    let api = loaded.api.unwrap();
    let m = api.routes.lookup(HttpMethod::Get, "/files/a/b/c").unwrap();
    let flags: Vec<(String, bool)> = m
        .method
        .integration
        .request_parameters
        .iter()
        .map(|p| (p.target.to_string(), p.greedy))
        .collect();
    assert_eq!(
        flags,
        [
            ("integration.request.path.d".to_string(), false),
            ("integration.request.path.r".to_string(), true),
            ("integration.request.header.X-Rest".to_string(), false),
        ]
    );
}

#[test]
fn authorizers_load_into_the_model_with_aws_defaults() {
    use crate::context_var::ContextVar;
    use crate::model::{AuthorizerKind, Credentials, IdentitySource};
    let doc = r#"
openapi: "3.0.1"
info: {title: t, version: "1"}
security:
  - pool: ["email"]
components:
  securitySchemes:
    tok:
      type: apiKey
      name: X-Token
      in: header
      x-amazon-apigateway-authtype: custom
      x-amazon-apigateway-authorizer:
        type: TOKEN
        authorizerUri: "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:${stageVariables.fn}/invocations"
        authorizerCredentials: "arn:aws:iam::123456789012:role/invoker"
        identityValidationExpression: "^Bearer [a-z]+$"
    req:
      type: apiKey
      name: Unused
      in: header
      x-amazon-apigateway-authorizer:
        type: request
        authorizerUri: "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:req/invocations"
        identitySource: "method.request.header.Auth,method.request.querystring.q, stageVariables.sv, context.identity.sourceIp"
        authorizerResultTtlInSeconds: 0
    pool:
      type: apiKey
      name: Authorization
      in: header
      x-amazon-apigateway-authorizer:
        type: cognito_user_pools
        providerARNs: ["arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_Abc"]
paths:
  /a:
    get:
      security: [{tok: []}]
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration: {type: mock, responses: {default: {statusCode: "200"}}}
  /b:
    get:
      security: [{req: ["ignored"]}]
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration: {type: mock, responses: {default: {statusCode: "200"}}}
  /c:
    get:
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration: {type: mock, responses: {default: {statusCode: "200"}}}
  /d:
    get:
      security: [{pool: ["openid", "email"]}]
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration: {type: mock, responses: {default: {statusCode: "200"}}}
"#;
    let loaded = load("a.yaml", doc, &LoadOptions::default());
    assert!(!loaded.diagnostics.has_errors(), "{:?}", loaded.diagnostics);
    let api = loaded.api.unwrap();
    let tok = &api.authorizers["tok"];
    assert_eq!(tok.kind, AuthorizerKind::Token);
    assert_eq!(tok.ttl_seconds, 300, "AWS's default TTL");
    assert_eq!(
        tok.identity_sources,
        [IdentitySource::Header("X-Token".into())]
    );
    assert_eq!(
        tok.credentials,
        Some(Credentials::Role(
            "arn:aws:iam::123456789012:role/invoker".into()
        ))
    );
    assert!(tok.validation.as_ref().unwrap().is_match("Bearer abc"));
    assert!(!tok.validation.as_ref().unwrap().is_match("Basic abc"));
    assert_eq!(tok.function.as_ref().unwrap().service, "lambda");

    let req = &api.authorizers["req"];
    assert_eq!(req.kind, AuthorizerKind::Request);
    assert_eq!(req.ttl_seconds, 0);
    assert_eq!(
        req.identity_sources,
        [
            IdentitySource::Header("Auth".into()),
            IdentitySource::QueryString("q".into()),
            IdentitySource::StageVariable("sv".into()),
            IdentitySource::Context(ContextVar::IdentitySourceIp),
        ]
    );

    let pool = &api.authorizers["pool"];
    assert_eq!(pool.kind, AuthorizerKind::CognitoUserPools);
    assert_eq!(
        pool.user_pools[0].issuer(),
        "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Abc"
    );
    assert_eq!(
        pool.identity_sources,
        [IdentitySource::Header("Authorization".into())]
    );

    let method = |path: &str| api.routes.lookup(HttpMethod::Get, path).unwrap().method;
    assert_eq!(
        method("/a").authorization,
        Authorization::Lambda("tok".into())
    );
    assert!(method("/a").authorization_scopes.is_empty());
    assert_eq!(
        method("/b").authorization,
        Authorization::Lambda("req".into())
    );
    // The root's `security` is the default authorizer, with its scopes.
    assert_eq!(
        method("/c").authorization,
        Authorization::CognitoUserPools("pool".into())
    );
    assert_eq!(method("/c").authorization_scopes, ["email"]);
    assert_eq!(method("/d").authorization_scopes, ["openid", "email"]);
}
