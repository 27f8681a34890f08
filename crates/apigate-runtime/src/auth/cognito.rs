//! Cognito user-pool authorizers (`COGNITO_USER_POOLS`): the gateway verifies the token in
//! the identity header itself (no function is called).
//!
//! A token is accepted when it is a JWT signed RS256 by a key of one of the authorizer's
//! user pools (their JWKS, given with `--jwks POOL_ARN=FILE|URL`), its `iss` is that pool's
//! (`https://cognito-idp.{region}.amazonaws.com/{poolId}`), it has not expired, its
//! `token_use` is `id` or `access`, and — when the method lists authorization scopes — it is
//! an access token whose `scope` claim holds one of them. Any failure is 401 UNAUTHORIZED; a
//! pool whose keys were not given fails closed (500, the log names `--jwks`). The claims
//! become `$context.authorizer.claims.NAME`.
//!
//! The header may hold the raw token or `Bearer TOKEN` (docs/PARITY.md, authorizers).

use std::collections::{BTreeMap, HashMap};

use apigate_core::model::{AuthorizerDef, UserPool};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

use super::lambda::unauthorized;
use super::result::AuthorizerResult;
use crate::error::{GatewayError, ResponseType};

/// One user pool's signing keys, by key id.
struct PoolKeys {
    keys: Vec<(String, DecodingKey)>,
}

impl std::fmt::Debug for PoolKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("PoolKeys").field("kids", &ids).finish()
    }
}

/// The user pools' signing keys, by pool ARN (`--jwks`).
#[derive(Debug, Default)]
pub struct UserPoolKeys {
    pools: HashMap<String, PoolKeys>,
}

impl UserPoolKeys {
    /// Adds the keys of the pool `arn` from its JWKS document (`{"keys": [..]}`, as Cognito
    /// serves it at `.well-known/jwks.json`). RSA keys with a `kid` are kept; a document
    /// without one is refused.
    pub fn add(&mut self, arn: &str, jwks: &[u8]) -> Result<usize, String> {
        UserPool::parse(arn).map_err(|e| format!("`{arn}` is not a user pool ARN: {e}"))?;
        if jsonwebtoken::crypto::CryptoProvider::try_get_default().is_none() {
            return Err("no JWT crypto provider is built in".into());
        }
        let set: JwkSet = serde_json::from_slice(jwks)
            .map_err(|e| format!("the JWKS of {arn} is not a JSON Web Key Set: {e}"))?;
        let mut keys = Vec::new();
        for jwk in &set.keys {
            let Some(kid) = jwk.common.key_id.clone() else {
                continue;
            };
            if let Ok(key) = DecodingKey::from_jwk(jwk) {
                if matches!(
                    jwk.algorithm,
                    jsonwebtoken::jwk::AlgorithmParameters::RSA(_)
                ) {
                    keys.push((kid, key));
                }
            }
        }
        if keys.is_empty() {
            return Err(format!("the JWKS of {arn} holds no RSA key with a kid"));
        }
        let n = keys.len();
        self.pools
            .entry(arn.to_string())
            .or_insert(PoolKeys { keys: Vec::new() })
            .keys
            .extend(keys);
        Ok(n)
    }

    /// Whether keys were given for the pool `arn`.
    pub fn has(&self, arn: &str) -> bool {
        self.pools.contains_key(arn)
    }

    pub fn is_empty(&self) -> bool {
        self.pools.is_empty()
    }
}

/// Verifies `header_value` (the identity header) for the Cognito authorizer `def`; `scopes`
/// are the method's authorization scopes. `now` is the Unix time in seconds.
pub fn verify(
    def: &AuthorizerDef,
    keys: &UserPoolKeys,
    header_value: &str,
    scopes: &[String],
    now: u64,
) -> Result<AuthorizerResult, GatewayError> {
    let refuse = |why: String| unauthorized(format!("authorizer {}: {why}", def.name));
    let token = token_of(header_value);
    if token.is_empty() {
        return Err(refuse("no token".into()));
    }
    let header =
        jsonwebtoken::decode_header(token).map_err(|e| refuse(format!("not a JWT: {e}")))?;
    if header.alg != Algorithm::RS256 {
        return Err(refuse(format!(
            "the token is signed {:?}, not RS256",
            header.alg
        )));
    }
    // The issuer picks the pool (and so the keys); the signature is checked below.
    let unverified: Map<String, Value> = jsonwebtoken::dangerous::insecure_decode_claims(token)
        .map_err(|e| refuse(format!("unreadable claims: {e}")))?;
    let issuer = unverified
        .get("iss")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let pool = def
        .user_pools
        .iter()
        .find(|p| p.issuer() == issuer)
        .ok_or_else(|| {
            refuse(format!(
                "issuer `{issuer}` is none of the authorizer's user pools"
            ))
        })?;
    let Some(pool_keys) = keys.pools.get(&pool.arn) else {
        return Err(GatewayError::new(
            ResponseType::AuthorizerConfigurationError,
            format!(
                "Execution failed due to configuration error: authorizer {}: no keys for user pool {}; give them with --jwks {}=FILE|URL",
                def.name, pool.arn, pool.arn
            ),
        ));
    };
    let kid = header.kid.unwrap_or_default();
    let key = pool_keys
        .keys
        .iter()
        .find(|(k, _)| *k == kid)
        .map(|(_, key)| key)
        .ok_or_else(|| refuse(format!("no key `{kid}` in the JWKS of {}", pool.arn)))?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[issuer.as_str()]);
    validation.set_required_spec_claims(&["exp", "iss"]);
    validation.validate_aud = false;
    validation.leeway = 0;
    let data = jsonwebtoken::decode::<Map<String, Value>>(token, key, &validation)
        .map_err(|e| refuse(format!("token refused: {e}")))?;
    let claims = data.claims;
    // jsonwebtoken reads the clock itself; `now` makes expiry exact for callers that pass it.
    if claims
        .get("exp")
        .and_then(Value::as_u64)
        .is_some_and(|exp| exp <= now)
    {
        return Err(refuse("the token has expired".into()));
    }
    let token_use = claims
        .get("token_use")
        .and_then(Value::as_str)
        .unwrap_or("");
    if !matches!(token_use, "id" | "access") {
        return Err(refuse(format!(
            "token_use `{token_use}` is not id or access"
        )));
    }
    if !scopes.is_empty() {
        if token_use != "access" {
            return Err(refuse(
                "the method requires scopes, which only access tokens carry".into(),
            ));
        }
        let granted = claims.get("scope").and_then(Value::as_str).unwrap_or("");
        if !granted.split(' ').any(|g| scopes.iter().any(|s| s == g)) {
            return Err(refuse(format!(
                "the token's scopes `{granted}` include none of {scopes:?}"
            )));
        }
    }
    if let Some(pattern) = &def.validation {
        let aud = claims.get("aud").and_then(Value::as_str).unwrap_or("");
        if !pattern.is_match(aud) {
            return Err(refuse(format!(
                "aud `{aud}` does not match identityValidationExpression `{}`",
                pattern.as_str()
            )));
        }
    }
    let claims: BTreeMap<String, String> = claims
        .into_iter()
        .map(|(k, v)| {
            let text = match v {
                Value::String(s) => s,
                other => other.to_string(),
            };
            (k, text)
        })
        .collect();
    Ok(AuthorizerResult {
        claims: Some(claims),
        ..AuthorizerResult::default()
    })
}

/// Most bytes of a JWKS document read from a URL.
const JWKS_LIMIT: u64 = 1024 * 1024;

/// Reads a JWKS document from `url` (http or https) with the gateway's backend client.
pub async fn fetch_jwks(
    client: &crate::integrations::client::BackendClient,
    url: &str,
) -> Result<bytes::Bytes, String> {
    let request = http::Request::get(url)
        .header(http::header::ACCEPT, "application/json")
        .body(crate::body::empty())
        .map_err(|e| format!("`{url}` is not a URL: {e}"))?;
    let received = client
        .send(request, false, std::time::Duration::from_secs(10))
        .await
        .map_err(|e| format!("GET {url}: {e:?}"))?;
    if received.status != 200 {
        return Err(format!("GET {url}: status {}", received.status));
    }
    crate::body::collect(received.body, JWKS_LIMIT)
        .await
        .map_err(|e| format!("GET {url}: {}", e.into_gateway_error("the JWKS").detail))
}

/// The token in the identity header: the value itself, or what follows `Bearer `.
fn token_of(value: &str) -> &str {
    let value = value.trim();
    match value.get(..7) {
        Some(prefix) if prefix.eq_ignore_ascii_case("bearer ") => {
            value.get(7..).unwrap_or("").trim()
        }
        _ => value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_prefix_is_optional() {
        assert_eq!(token_of("abc.def.ghi"), "abc.def.ghi");
        assert_eq!(token_of("Bearer abc.def.ghi"), "abc.def.ghi");
        assert_eq!(token_of("bearer  abc"), "abc");
        assert_eq!(token_of("Bearer"), "Bearer");
    }

    #[test]
    fn jwks_documents_must_hold_rsa_keys() {
        let arn = "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_X";
        let mut keys = UserPoolKeys::default();
        assert!(keys.add("not-an-arn", b"{}").is_err());
        assert!(keys.add(arn, b"not json").is_err());
        assert!(keys.add(arn, br#"{"keys": []}"#).is_err());
        // The RFC 7517 appendix A.1 RSA public key.
        let jwks = br#"{"keys": [{"kty": "RSA", "kid": "2011-04-29", "alg": "RS256", "e": "AQAB",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"}]}"#;
        assert_eq!(keys.add(arn, jwks), Ok(1));
        assert!(keys.has(arn));
    }
}
