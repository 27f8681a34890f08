//! `$context`: what the gateway knows about one request, as mapping sources (`context.X`) and
//! gateway-response templates read it.

use crate::auth::sigv4::Caller;
use crate::auth::AuthorizerResult;
use apigate_core::context_var::ContextVar;
use std::time::{SystemTime, UNIX_EPOCH};

/// Per-request context variables. Built once when the request arrives; routing and
/// authorization fill in the rest.
#[derive(Debug, Default)]
pub struct RequestContext {
    pub request_id: String,
    pub extended_request_id: String,
    pub api_id: String,
    pub account_id: String,
    pub stage: String,
    /// Template form, e.g. `/{folder}/{item}`; empty until routed.
    pub resource_path: String,
    /// The request path including the stage, e.g. `/S3/bucket/key`.
    /// Through a custom domain: the length of the base path (`/v1`) at the start of
    /// `path`; `None` the execute-api way.
    pub base_path: Option<usize>,
    pub path: String,
    pub http_method: String,
    pub domain_name: String,
    pub source_ip: String,
    pub user_agent: String,
    pub request_time_epoch_ms: u128,
    pub caller: Option<Caller>,
    /// The API key of a key-required method's call: (`identity.apiKey`, `identity.apiKeyId`).
    pub api_key: Option<(String, String)>,
    /// What a Lambda or Cognito authorizer produced (`$context.authorizer.*`).
    pub authorizer: Option<AuthorizerResult>,
    /// Set when the request fails: (responseType, message); a `None` message is AWS's
    /// `null` (`$context.error.messageString` is `null`).
    pub error: Option<(&'static str, Option<String>)>,
    /// Set when the body failed its model: `$context.error.validationErrorString`.
    pub validation_error: Option<String>,
    /// What a mock integration's request template left in `$context.requestOverride` and
    /// `$context.responseOverride`.
    pub mock_overrides: Option<MockOverrides>,
    /// `$context.protocol`: the request's HTTP version (`HTTP/1.1`, `HTTP/2.0`).
    pub protocol: &'static str,
    /// The routed method's id in the route table (`RouteMatch::id`); `None` until routed.
    pub route: Option<usize>,
    /// What the lifecycle records for the access log and metrics (`$context.status`,
    /// `integrationLatency`, …); see [`Outcome`].
    pub outcome: Outcome,
}

/// What happened to a request, recorded as the lifecycle runs: the values of the access
/// log's `$context.status`, `responseLength`, `responseLatency`, `integrationLatency`,
/// `integration.status` and `integration.error`. Plain numbers, set without allocating
/// (the integration error's text excepted).
#[derive(Debug, Default, Clone)]
pub struct Outcome {
    /// The method response status.
    pub status: u16,
    /// Bytes of the response body sent.
    pub response_length: u64,
    /// From the request's arrival to its response's last byte.
    pub response_latency: std::time::Duration,
    /// From the endpoint request sent to the endpoint response's head; `None` without a
    /// backend call (mock, or a failure before the integration).
    pub integration_latency: Option<std::time::Duration>,
    /// The backend's status (for Lambda: the Invoke API's).
    pub integration_status: Option<u16>,
    /// For a Lambda proxy integration, the status the function's answer gave.
    pub proxy_status: Option<u16>,
    /// Why the integration failed: the gateway-response type and the detail.
    pub integration_error: Option<(&'static str, String)>,
}

/// A mock integration's request-template overrides, carried across: its response template
/// sees them in `$context`, and the response takes the status and headers set there, with or
/// without a response template (recorded on AWS; docs/PARITY.md).
#[derive(Debug, Default)]
pub struct MockOverrides {
    /// `{"requestOverride": {..}, "responseOverride": {..}}` as the template left them.
    pub context: serde_json::Value,
    /// `$context.responseOverride.status` and `.header`.
    pub response: apigate_template::Overrides,
}

impl RequestContext {
    pub fn new(now: SystemTime) -> RequestContext {
        let id = uuid::Uuid::new_v4();
        let simple = id.simple().to_string();
        RequestContext {
            request_id: id.to_string(),
            extended_request_id: simple.get(..16).unwrap_or(&simple).to_string(),
            request_time_epoch_ms: now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis()),
            ..RequestContext::default()
        }
    }

    /// `$context.protocol`: `HTTP/1.1` unless the request said otherwise.
    pub fn protocol_text(&self) -> &'static str {
        if self.protocol.is_empty() {
            "HTTP/1.1"
        } else {
            self.protocol
        }
    }

    /// `$context` for mapping templates: the request's variables (and the caller's identity)
    /// as a nested JSON object.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::{Map, Value};
        let mut root = Map::new();
        for var in [
            ContextVar::RequestId,
            ContextVar::ExtendedRequestId,
            ContextVar::ApiId,
            ContextVar::AccountId,
            ContextVar::Stage,
            ContextVar::ResourcePath,
            ContextVar::ResourceId,
            ContextVar::Path,
            ContextVar::HttpMethod,
            ContextVar::Protocol,
            ContextVar::DomainName,
            ContextVar::DomainPrefix,
            ContextVar::RequestTime,
            ContextVar::IsCanaryRequest,
        ] {
            if let Some(v) = self.get(&var) {
                root.insert(var.name().into_owned(), Value::String(v));
            }
        }
        root.insert(
            "requestTimeEpoch".into(),
            Value::from(u64::try_from(self.request_time_epoch_ms).unwrap_or(u64::MAX)),
        );
        let mut identity = Map::new();
        for var in [
            ContextVar::IdentitySourceIp,
            ContextVar::IdentityUserAgent,
            ContextVar::IdentityCaller,
            ContextVar::IdentityUser,
            ContextVar::IdentityUserArn,
            ContextVar::IdentityAccountId,
            ContextVar::IdentityAccessKey,
            ContextVar::IdentityApiKey,
            ContextVar::IdentityApiKeyId,
        ] {
            if let Some(v) = self.get(&var) {
                let name = var.name();
                let key = name.strip_prefix("identity.").unwrap_or(&name);
                identity.insert(key.to_string(), Value::String(v));
            }
        }
        root.insert("identity".into(), Value::Object(identity));
        if let Some(authorizer) = &self.authorizer {
            root.insert("authorizer".into(), authorizer.template_json());
        }
        if let Some(Value::Object(carried)) = self.mock_overrides.as_ref().map(|m| &m.context) {
            for (k, v) in carried {
                root.insert(k.clone(), v.clone());
            }
        }
        Value::Object(root)
    }

    /// The value of `context.NAME` (`None` = not set for this request).
    pub fn get(&self, var: &ContextVar) -> Option<String> {
        let caller = self.caller.as_ref();
        let s = |v: &str| (!v.is_empty()).then(|| v.to_string());
        match var {
            ContextVar::RequestId | ContextVar::AwsEndpointRequestId => s(&self.request_id),
            ContextVar::ExtendedRequestId => s(&self.extended_request_id),
            ContextVar::ApiId => s(&self.api_id),
            ContextVar::AccountId => s(&self.account_id),
            ContextVar::Stage => s(&self.stage),
            ContextVar::ResourcePath => s(&self.resource_path),
            ContextVar::ResourceId => s(&resource_id(&self.resource_path)),
            // One deployment per run: derived from the API and stage, stable across restarts.
            ContextVar::DeploymentId => Some(resource_id(&format!(
                "deployment {} {}",
                self.api_id, self.stage
            ))),
            ContextVar::Path => s(&self.path),
            ContextVar::HttpMethod => s(&self.http_method),
            ContextVar::Protocol => Some(self.protocol_text().to_string()),
            ContextVar::DomainName => s(&self.domain_name),
            ContextVar::DomainPrefix => s(self.domain_name.split('.').next().unwrap_or_default()),
            ContextVar::RequestTime => Some(clf_time(self.request_time_epoch_ms)),
            ContextVar::RequestTimeEpoch => Some(self.request_time_epoch_ms.to_string()),
            ContextVar::IsCanaryRequest => Some("false".to_string()),
            ContextVar::IdentitySourceIp => s(&self.source_ip),
            ContextVar::IdentityUserAgent => s(&self.user_agent),
            ContextVar::IdentityCaller
            | ContextVar::IdentityUser
            | ContextVar::IdentityAccessKey => caller.map(|c| c.access_key_id.clone()),
            ContextVar::IdentityUserArn => caller.map(|c| c.arn.clone()),
            ContextVar::IdentityAccountId => caller.map(|c| c.account_id.clone()),
            ContextVar::IdentityApiKey => self.api_key.as_ref().map(|(value, _)| value.clone()),
            ContextVar::IdentityApiKeyId => self.api_key.as_ref().map(|(_, id)| id.clone()),
            ContextVar::ErrorMessage => self
                .error
                .as_ref()
                .map(|(_, m)| m.clone().unwrap_or_default()),
            ContextVar::ErrorMessageString => self.error.as_ref().map(|(_, m)| match m {
                Some(m) => serde_json::Value::String(m.clone()).to_string(),
                None => "null".to_string(),
            }),
            ContextVar::AuthorizerPrincipalId => self
                .authorizer
                .as_ref()
                .and_then(|a| a.principal_id().map(str::to_string)),
            ContextVar::AuthorizerKey(k) => self.authorizer.as_ref()?.context_value(k),
            ContextVar::AuthorizerClaim(k) => {
                self.authorizer.as_ref()?.claim(k).map(str::to_string)
            }
            ContextVar::ErrorResponseType => self.error.as_ref().map(|(t, _)| (*t).to_string()),
            ContextVar::ErrorValidationErrorString => self.validation_error.clone(),
            _ => None,
        }
    }
}

/// A stable short id for a resource path (AWS uses random ids; ours are derived so they do not
/// change between restarts).
fn resource_id(resource_path: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in resource_path.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("{:06x}", h & 0xff_ffff)
}

/// Common Log Format time in UTC: `25/Nov/2026:09:01:13 +0000`.
pub fn clf_time(epoch_ms: u128) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = u64::try_from(epoch_ms / 1000).unwrap_or(0);
    let (y, m, d) = apigate_sigv4::time::civil_from_days(secs / 86_400);
    let t = secs % 86_400;
    let month = MONTHS.get(m.saturating_sub(1) as usize).unwrap_or(&"Jan");
    format!(
        "{d:02}/{month}/{y}:{:02}:{:02}:{:02} +0000",
        t / 3600,
        t % 3600 / 60,
        t % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clf_time_formats_utc() {
        // 2026-11-25T09:01:13Z
        assert_eq!(clf_time(1_795_597_273_000), "25/Nov/2026:09:01:13 +0000");
        assert_eq!(clf_time(0), "01/Jan/1970:00:00:00 +0000");
        // 2024-02-29T23:59:59Z
        assert_eq!(clf_time(1_709_251_199_000), "29/Feb/2024:23:59:59 +0000");
    }

    #[test]
    fn error_message_string_is_json_quoted() {
        let mut cx = RequestContext::new(SystemTime::now());
        cx.error = Some(("MISSING_AUTHENTICATION_TOKEN", Some("say \"hi\"".into())));
        assert_eq!(
            cx.get(&ContextVar::ErrorMessageString).as_deref(),
            Some(r#""say \"hi\"""#)
        );
        assert_eq!(cx.get(&ContextVar::Protocol).as_deref(), Some("HTTP/1.1"));
        assert_eq!(cx.request_id.len(), 36);
    }

    #[test]
    fn template_context_nests_identity() {
        let mut cx = RequestContext::new(SystemTime::now());
        cx.stage = "dev".into();
        cx.source_ip = "127.0.0.1".into();
        cx.user_agent = "curl".into();
        let json = cx.to_json();
        assert_eq!(json["stage"], "dev");
        assert_eq!(json["protocol"], "HTTP/1.1");
        assert!(json.get("apiId").is_none(), "unset variables are left out");
        assert_eq!(
            json["identity"],
            serde_json::json!({"sourceIp": "127.0.0.1", "userAgent": "curl"})
        );
    }
}
