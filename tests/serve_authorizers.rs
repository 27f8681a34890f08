//! Lambda (TOKEN, REQUEST) and Cognito authorizers through the real `apigate serve` binary
//! (`tests/serve/authorizers.yaml`): the functions run in the test Lambda Invoke-API server
//! (`tests/support/lambda.rs`, which checks the gateway's SigV4 for `lambda`); the Cognito
//! user pool is a key pair generated here, its public half given as a JWKS file (`--jwks`),
//! its tokens signed with `aws-lc-rs` (not the gateway's JWT library).

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "support/lambda.rs"]
mod lambda;
mod support;

use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::KeyPair as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use lambda::*;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};
use support::*;

const POOL_ARN: &str = "arn:aws:cognito-idp:us-west-2:123456789012:userpool/us-west-2_Test";
const ISSUER: &str = "https://cognito-idp.us-west-2.amazonaws.com/us-west-2_Test";
const KID: &str = "test-key-1";

/// The user pool's key pair (2048-bit RSA, generated once per run).
fn pool_key() -> &'static KeyPair {
    static KEY: OnceLock<KeyPair> = OnceLock::new();
    KEY.get_or_init(|| KeyPair::generate(KeySize::Rsa2048).unwrap())
}

/// The pool's JWKS document, as Cognito serves it.
fn jwks() -> Value {
    let public = pool_key().public_key();
    json!({"keys": [{
        "kty": "RSA",
        "alg": "RS256",
        "use": "sig",
        "kid": KID,
        "n": URL_SAFE_NO_PAD.encode(public.modulus().big_endian_without_leading_zero()),
        "e": URL_SAFE_NO_PAD.encode(public.exponent().big_endian_without_leading_zero()),
    }]})
}

/// A JWT with `claims`, signed RS256 by `key` under key id `kid`.
fn sign_with(key: &KeyPair, kid: &str, claims: &Value) -> String {
    let header = json!({"alg": "RS256", "kid": kid, "typ": "JWT"});
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let mut signature = vec![0u8; key.public_modulus_len()];
    key.sign(
        &aws_lc_rs::signature::RSA_PKCS1_SHA256,
        &aws_lc_rs::rand::SystemRandom::new(),
        input.as_bytes(),
        &mut signature,
    )
    .unwrap();
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// An ID token of the pool, valid for an hour.
fn id_token() -> Value {
    json!({
        "sub": "5f6e1c2a-0000-4000-8000-000000000001",
        "email": "ana@example.com",
        "token_use": "id",
        "aud": "client-1",
        "iss": ISSUER,
        "iat": now(),
        "exp": now() + 3600,
    })
}

/// An access token of the pool with `scope`.
fn access_token(scope: &str) -> Value {
    json!({
        "sub": "5f6e1c2a-0000-4000-8000-000000000001",
        "token_use": "access",
        "scope": scope,
        "client_id": "client-1",
        "iss": ISSUER,
        "iat": now(),
        "exp": now() + 3600,
    })
}

/// The gateway with the pool's JWKS file.
async fn cognito_gateway() -> (Harness, Client, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("jwks.json");
    std::fs::write(&file, jwks().to_string()).unwrap();
    let options = Options::new("tests/serve/authorizers.yaml", Store::Embedded)
        .arg("--jwks")
        .arg(&format!("{POOL_ARN}={}", file.display()));
    (start(options).await, Client::new(), dir)
}

async fn get(
    c: &Client,
    url: &str,
    auth: Option<&str>,
) -> (StatusCode, reqwest::header::HeaderMap, String) {
    let mut rb = c.get(url);
    if let Some(a) = auth {
        rb = rb.header("authorization", a);
    }
    let r = rb.send().await.unwrap();
    let status = r.status();
    let headers = r.headers().clone();
    (status, headers, r.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cognito_accepts_a_valid_token_and_passes_its_claims() {
    let (h, c, _dir) = cognito_gateway().await;
    let token = sign_with(pool_key(), KID, &id_token());
    let (status, headers, body) = get(&c, &h.url("/v1/cognito"), Some(&token)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        r#"{"sub":"5f6e1c2a-0000-4000-8000-000000000001","use":"id"}"#
    );
    assert_eq!(headers["x-email"], "ana@example.com");
    // `Bearer TOKEN` is read the same way.
    let (status, _, _) = get(&c, &h.url("/v1/cognito"), Some(&format!("Bearer {token}"))).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cognito_refuses_missing_expired_foreign_and_forged_tokens_with_401() {
    let (h, c, _dir) = cognito_gateway().await;
    let url = h.url("/v1/cognito");
    let mut expired = id_token();
    expired["exp"] = json!(now() - 10);
    let mut foreign = id_token();
    foreign["iss"] = json!("https://cognito-idp.us-west-2.amazonaws.com/us-west-2_Other");
    let mut not_a_token_use = id_token();
    not_a_token_use["token_use"] = json!("refresh");
    let other_key = KeyPair::generate(KeySize::Rsa2048).unwrap();
    let cases = [
        ("no header", None),
        ("not a JWT", Some("not-a-jwt".to_string())),
        ("expired", Some(sign_with(pool_key(), KID, &expired))),
        ("wrong issuer", Some(sign_with(pool_key(), KID, &foreign))),
        (
            "token_use",
            Some(sign_with(pool_key(), KID, &not_a_token_use)),
        ),
        (
            "unknown kid",
            Some(sign_with(pool_key(), "other-kid", &id_token())),
        ),
        ("another key", Some(sign_with(&other_key, KID, &id_token()))),
    ];
    for (what, token) in cases {
        let (status, headers, body) = get(&c, &url, token.as_deref()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}: {body}");
        assert_eq!(body, r#"{"message":"Unauthorized"}"#, "{what}");
        assert_eq!(
            headers["x-amzn-errortype"], "UnauthorizedException",
            "{what}"
        );
        // The API's UNAUTHORIZED customisation applies.
        assert_eq!(headers["x-auth-error"], "unauthorized", "{what}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cognito_scopes_need_an_access_token_that_grants_one() {
    let (h, c, _dir) = cognito_gateway().await;
    let url = h.url("/v1/cognito/scoped");
    let granted = sign_with(pool_key(), KID, &access_token("openid orders/read"));
    let (status, _, body) = get(&c, &url, Some(&granted)).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, r#"{"scope":"openid orders/read"}"#)
    );
    let missing = sign_with(pool_key(), KID, &access_token("openid orders/write"));
    let (status, _, _) = get(&c, &url, Some(&missing)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "scope not granted");
    // ID tokens carry no scopes.
    let id = sign_with(pool_key(), KID, &id_token());
    let (status, _, _) = get(&c, &url, Some(&id)).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "an ID token on a scoped method"
    );
    // Without scopes on the method, an access token is enough.
    let (status, _, _) = get(&c, &h.url("/v1/cognito"), Some(&missing)).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cognito_without_the_pools_keys_fails_closed() {
    let log = tempfile::NamedTempFile::new().unwrap();
    let options = Options::new("tests/serve/authorizers.yaml", Store::Embedded).log_to(log.path());
    let h = start(options).await;
    assert!(
        h.banner
            .iter()
            .any(|l| l.contains("no keys for Cognito user pool")
                && l.contains(&format!("--jwks {POOL_ARN}="))),
        "{:#?}",
        h.banner
    );
    let token = sign_with(pool_key(), KID, &id_token());
    let (status, headers, body) = get(&Client::new(), &h.url("/v1/cognito"), Some(&token)).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body, r#"{"message":null}"#);
    assert_eq!(
        headers["x-amzn-errortype"],
        "AuthorizerConfigurationException"
    );
    drop(h);
    let logged = std::fs::read_to_string(log.path()).unwrap();
    assert!(logged.contains("--jwks"), "{logged}");
}

// ---- Lambda authorizers ----

const KEY: &str = "AKIDGATEWAYAUTHORIZER";
const SECRET: &str = "gateway/authorizer/secret/0123456789";
/// `$context.accountId` and `apiId` of `apigate serve` (defaults), and the harness's region.
const ARN_PREFIX: &str = "arn:aws:execute-api:us-west-2:000000000000:apigate/v1";

fn policy(principal: &str, effect: &str, resource: &str, context: Value) -> Outcome {
    Outcome::json(json!({
        "principalId": principal,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}]
        },
        "context": context,
    }))
}

/// The TOKEN authorizer: what it answers depends on the token.
fn token_auth(call: &Invocation) -> Outcome {
    let event = call.json();
    let arn = event["methodArn"].as_str().unwrap().to_string();
    let api_wide = format!("{}/*", arn.split('/').next().unwrap());
    match event["authorizationToken"].as_str().unwrap() {
        "tok-allow" => policy(
            "user-1",
            "Allow",
            &api_wide,
            json!({"tenant": "acme", "level": 3, "admin": true}),
        ),
        "tok-exact" => policy("user-3", "Allow", &arn, json!({})),
        "tok-deny" => policy("user-2", "Deny", &api_wide, json!({"reason": "suspended"})),
        "tok-other" => policy(
            "user-4",
            "Allow",
            "arn:aws:execute-api:*:*:*/*/POST/elsewhere",
            json!({}),
        ),
        "tok-unauth" => Outcome::Fail {
            message: "Unauthorized".into(),
            kind: "Error".into(),
        },
        "tok-crash" => Outcome::Fail {
            message: "boom".into(),
            kind: "TypeError".into(),
        },
        "tok-malformed" => Outcome::json(json!({"policyDocument": {"Statement": []}})),
        other => panic!("unexpected token {other}"),
    }
}

/// The REQUEST authorizer: allows everything, naming the caller from X-User (header names
/// arrive as the client sent them: reqwest sends them lower-case).
fn request_auth(call: &Invocation) -> Outcome {
    let event = call.json();
    let user = event["headers"]
        .as_object()
        .and_then(|h| h.iter().find(|(k, _)| k.eq_ignore_ascii_case("x-user")))
        .and_then(|(_, v)| v.as_str())
        .unwrap_or("?")
        .to_string();
    policy(&user, "Allow", "*", json!({"user": user}))
}

/// A proxy integration's function: answers the event's `requestContext.authorizer`.
fn echo_authorizer(call: &Invocation) -> Outcome {
    let event = call.json();
    Outcome::json(json!({
        "statusCode": 200,
        "body": event["requestContext"]["authorizer"].to_string(),
    }))
}

async fn lambda_gateway() -> (Harness, Lambda, Client) {
    lambda_gateway_with(&[]).await
}

async fn lambda_gateway_with(extra: &[&str]) -> (Harness, Lambda, Client) {
    let l = start_lambda(
        LambdaSpec::new("us-west-2", KEY, SECRET)
            .function("token-auth", token_auth)
            .function("request-auth", request_auth)
            .function("echo-authorizer", echo_authorizer),
    )
    .await;
    let mut options = Options::new("tests/serve/authorizers.yaml", Store::Embedded)
        .arg("--aws-endpoint")
        .arg(&format!("lambda={}", l.endpoint))
        .env("AWS_ACCESS_KEY_ID", KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET);
    for a in extra {
        options = options.arg(a);
    }
    (start(options).await, l, Client::new())
}

async fn with_token(
    c: &Client,
    url: &str,
    token: &str,
) -> (StatusCode, reqwest::header::HeaderMap, String) {
    let r = c.get(url).header("X-Token", token).send().await.unwrap();
    let status = r.status();
    let headers = r.headers().clone();
    (status, headers, r.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_authorizer_that_allows_passes_its_principal_and_context() {
    let (h, l, c) = lambda_gateway().await;
    let (status, headers, body) = with_token(&c, &h.url("/v1/token"), "tok-allow").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        r#"{"principal":"user-1","tenant":"acme","level":"3","admin":"true"}"#
    );
    assert_eq!(headers["x-principal"], "user-1");
    assert_eq!(headers["x-tenant"], "acme");
    // The documented TOKEN event, signed for `lambda` (the server checked it).
    let calls = l.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(
        calls[0].json(),
        json!({"type": "TOKEN", "authorizationToken": "tok-allow", "methodArn": format!("{ARN_PREFIX}/GET/token")})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deny_is_403_access_denied_with_the_authorizers_context() {
    let (h, _l, c) = lambda_gateway().await;
    let (status, headers, body) = with_token(&c, &h.url("/v1/token"), "tok-deny").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // ACCESS_DENIED is customised in the definition; a deny's context reaches it.
    assert_eq!(
        body,
        r#"{"denied":"User is not authorized to access this resource with an explicit deny","reason":"suspended"}"#
    );
    assert_eq!(headers["x-denied-principal"], "user-2");
    assert_eq!(headers["x-amzn-errortype"], "AccessDeniedException");
    // A policy that allows only something else is a deny too.
    let (status, _, body) = with_token(&c, &h.url("/v1/token"), "tok-other").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        body.contains(r#""denied":"User is not authorized to access this resource""#),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unauthorized_failures_and_malformed_answers_are_401_or_500() {
    let (h, _l, c) = lambda_gateway().await;
    let url = h.url("/v1/token");
    let (status, headers, body) = with_token(&c, &url, "tok-unauth").await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::UNAUTHORIZED, r#"{"message":"Unauthorized"}"#)
    );
    assert_eq!(headers["x-auth-error"], "unauthorized");
    for token in ["tok-crash", "tok-malformed"] {
        let (status, headers, body) = with_token(&c, &url, token).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{token}");
        assert_eq!(body, r#"{"message":null}"#, "{token}");
        assert_eq!(
            headers["x-amzn-errortype"], "AuthorizerConfigurationException",
            "{token}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_or_unmatched_token_is_401_without_calling_the_function() {
    let (h, l, c) = lambda_gateway().await;
    let r = c.get(h.url("/v1/token")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // identityValidationExpression ^tok-[a-z]+$
    let (status, _, _) = with_token(&c, &h.url("/v1/token"), "Bearer tok-allow").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = with_token(&c, &h.url("/v1/token"), "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(l.count("token-auth"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_are_cached_per_identity_and_evaluated_per_method_arn() {
    let (h, l, c) = lambda_gateway_with(&["--admin-listen", "127.0.0.1:0"]).await;
    for _ in 0..3 {
        let (status, _, _) = with_token(&c, &h.url("/v1/token"), "tok-allow").await;
        assert_eq!(status, StatusCode::OK);
    }
    assert_eq!(
        l.count("token-auth"),
        1,
        "within the TTL the function is called once"
    );
    let (status, _, body) = with_token(&c, &h.url("/v1/token/1"), "tok-exact").await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, r#"{"principal":"user-3"}"#)
    );
    assert_eq!(
        l.count("token-auth"),
        2,
        "another token is another identity"
    );
    // The cached policy allows only /token/1: evaluated against /token/2's ARN, it denies,
    // and the function is not asked again.
    let (status, _, _) = with_token(&c, &h.url("/v1/token/2"), "tok-exact").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(l.count("token-auth"), 2);
    // TTL 0: every call asks.
    for _ in 0..2 {
        let (status, _, _) = with_token(&c, &h.url("/v1/nocache"), "tok-allow").await;
        assert_eq!(status, StatusCode::OK);
    }
    assert_eq!(l.count("token-auth"), 4);
    // The admin listener's metrics count the cache's answers: 3 from the cache, 4 calls.
    let metrics = get_text(&format!("{}/metrics", admin(&h))).await;
    assert!(
        metrics.contains("\napigate_authorizer_cache_hits_total 3\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("\napigate_authorizer_cache_misses_total 4\n"),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_authorizer_gets_the_request_and_caches_by_its_identity_sources() {
    let (h, l, c) = lambda_gateway().await;
    let post = |tenant: Option<&str>, user: &str| {
        let url = match tenant {
            Some(t) => h.url(&format!("/v1/request/a%20b?tenant={t}&tenant=t2&x=1")),
            None => h.url("/v1/request/a%20b"),
        };
        c.post(url)
            .header("X-User", user)
            .header("X-Extra", "e1")
            .send()
    };
    let r = post(Some("t1"), "ana").await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.text().await.unwrap(),
        r#"{"principal":"ana","user":"ana"}"#
    );
    let event = l.calls()[0].json();
    assert_eq!(event["type"], "REQUEST");
    assert_eq!(
        event["methodArn"],
        format!("{ARN_PREFIX}/POST/request/a%20b")
    );
    assert_eq!(event["resource"], "/request/{item}");
    assert_eq!(event["path"], "/request/a%20b");
    assert_eq!(event["httpMethod"], "POST");
    assert_eq!(event["headers"]["x-user"], "ana");
    assert_eq!(event["multiValueHeaders"]["x-extra"], json!(["e1"]));
    assert_eq!(
        event["queryStringParameters"],
        json!({"tenant": "t2", "x": "1"})
    );
    assert_eq!(
        event["multiValueQueryStringParameters"],
        json!({"tenant": ["t1", "t2"], "x": ["1"]})
    );
    assert_eq!(event["pathParameters"], json!({"item": "a%20b"}));
    assert_eq!(event["stageVariables"], json!({}));
    assert_eq!(event["requestContext"]["stage"], "v1");
    assert_eq!(event["requestContext"]["resourcePath"], "/request/{item}");
    assert_eq!(event["requestContext"]["httpMethod"], "POST");
    // The same identity (X-User and the last tenant) within the TTL: no second call.
    let r = post(Some("t1"), "ana").await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(l.count("request-auth"), 1);
    let r = post(Some("t1"), "bo").await.unwrap();
    assert_eq!(r.text().await.unwrap(), r#"{"principal":"bo","user":"bo"}"#);
    assert_eq!(l.count("request-auth"), 2);
    // An identity source missing: 401, the function not called.
    let r = post(None, "ana").await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(l.count("request-auth"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_lambda_endpoint_the_authorizer_fails_closed() {
    let options = Options::new("tests/serve/authorizers.yaml", Store::Embedded);
    let h = start(options).await;
    assert!(
        h.banner
            .iter()
            .any(|l| l.contains("Lambda method(s) and no --aws-endpoint for lambda")),
        "{:#?}",
        h.banner
    );
    let (status, headers, body) =
        with_token(&Client::new(), &h.url("/v1/token"), "tok-allow").await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body, r#"{"message":null}"#);
    assert_eq!(
        headers["x-amzn-errortype"],
        "AuthorizerConfigurationException"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proxy_integration_gets_the_authorizers_result_in_its_request_context() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("jwks.json");
    std::fs::write(&file, jwks().to_string()).unwrap();
    let jwks_arg = format!("{POOL_ARN}={}", file.display());
    let (h, _l, c) = lambda_gateway_with(&["--jwks", &jwks_arg]).await;
    let (status, _, body) = with_token(&c, &h.url("/v1/proxied"), "tok-allow").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let authorizer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(authorizer["principalId"], "user-1");
    assert_eq!(authorizer["tenant"], "acme");
    assert_eq!(authorizer["level"], 3);
    assert_eq!(authorizer["admin"], true);
    assert!(authorizer["integrationLatency"].is_u64(), "{authorizer}");
    let token = sign_with(pool_key(), KID, &id_token());
    let (status, _, body) = get(&c, &h.url("/v1/cognito/proxied"), Some(&token)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let authorizer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(authorizer["claims"]["email"], "ana@example.com");
    assert_eq!(authorizer["claims"]["token_use"], "id");
}
