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

mod support;

use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::KeyPair as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
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
