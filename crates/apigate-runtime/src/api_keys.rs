//! The API key stage (docs/SEMANTICS.md §16), after authorization as on AWS: a method that
//! requires a key (`security` with an API-key scheme) is called with one — from the
//! `x-api-key` header (`x-amazon-apigateway-api-key-source: HEADER`, the default) or from
//! the Lambda authorizer's `usageIdentifierKey` (`AUTHORIZER`) — that is defined, enabled
//! and in a usage plan for the served stage. Anything else is 403 `{"message":"Forbidden"}`
//! (INVALID_API_KEY, customisable by gateway responses). A valid key sets
//! `$context.identity.apiKey` and `apiKeyId` and names the caller for the usage plan's
//! throttle and quota.

use apigate_core::limits::{KeyCheck, UsageLimits};
use apigate_core::model::ApiKeySource;
use apigate_core::Method;
use http::HeaderMap;

use crate::error::{GatewayError, ResponseType};
use crate::throttle::Client;

/// The header API keys come in (`X-API-Key`, any case).
pub const HEADER: &str = "x-api-key";

/// A caller identified by a valid key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identified {
    pub client: Client,
    /// `$context.identity.apiKey`.
    pub value: String,
    /// `$context.identity.apiKeyId`.
    pub id: String,
}

/// The key the request presents for `source`: the `x-api-key` header, or what the Lambda
/// authorizer returned as `usageIdentifierKey`.
pub fn presented<'a>(
    source: ApiKeySource,
    headers: &'a HeaderMap,
    usage_identifier_key: Option<&'a str>,
) -> Option<&'a str> {
    match source {
        ApiKeySource::Header => headers.get(HEADER).and_then(|v| v.to_str().ok()),
        ApiKeySource::Authorizer => usage_identifier_key,
    }
}

/// Checks the key a request to `method` presents (`None` when the method does not require
/// one). The log says why a key was refused, never the key itself.
pub fn identify(
    usage: &UsageLimits,
    method: &Method,
    source: ApiKeySource,
    presented: Option<&str>,
) -> Result<Option<Identified>, GatewayError> {
    if !method.api_key_required {
        return Ok(None);
    }
    let refused = |why: String| GatewayError::new(ResponseType::InvalidApiKey, why);
    let from = match source {
        ApiKeySource::Header => "the x-api-key header",
        ApiKeySource::Authorizer => "the authorizer's usageIdentifierKey",
    };
    match usage.check_key(presented) {
        KeyCheck::Valid { key, index, plan } => Ok(Some(Identified {
            client: Client { key: index, plan },
            value: key.value.clone(),
            id: key.id.clone(),
        })),
        KeyCheck::Missing => Err(refused(format!("API key required: none in {from}"))),
        KeyCheck::Unknown => Err(refused(format!(
            "Invalid API key: the key in {from} is not defined"
        ))),
        KeyCheck::Disabled(key) => Err(refused(format!(
            "Invalid API key: key {} ({}) is disabled",
            key.name, key.id
        ))),
        KeyCheck::NoPlan(key) => Err(refused(format!(
            "Invalid API key: key {} ({}) is in no usage plan for this stage",
            key.name, key.id
        ))),
    }
}
