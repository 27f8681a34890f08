//! `$context`: what the gateway knows about one request, as mapping sources (`context.X`) and
//! gateway-response templates read it.

use crate::auth::sigv4::Caller;
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
    pub path: String,
    pub http_method: String,
    pub domain_name: String,
    pub source_ip: String,
    pub user_agent: String,
    pub request_time_epoch_ms: u128,
    pub caller: Option<Caller>,
    /// Set when the request fails: (responseType, message).
    pub error: Option<(&'static str, String)>,
    /// The execution log, when the request is traced (`apigate test-invoke`).
    pub trace: Option<std::sync::Arc<crate::trace::Trace>>,
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

    /// `$context` for mapping templates: every variable of [`RequestContext::get`] (and the
    /// caller's identity) as a nested JSON object.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::{Map, Value};
        let mut root = Map::new();
        for name in [
            "requestId",
            "extendedRequestId",
            "apiId",
            "accountId",
            "stage",
            "resourcePath",
            "resourceId",
            "path",
            "httpMethod",
            "protocol",
            "domainName",
            "domainPrefix",
            "requestTime",
            "isCanaryRequest",
        ] {
            if let Some(v) = self.get(name) {
                root.insert(name.to_string(), Value::String(v));
            }
        }
        root.insert(
            "requestTimeEpoch".into(),
            Value::from(u64::try_from(self.request_time_epoch_ms).unwrap_or(u64::MAX)),
        );
        let mut identity = Map::new();
        for name in [
            "sourceIp",
            "userAgent",
            "caller",
            "user",
            "userArn",
            "accountId",
            "accessKey",
        ] {
            if let Some(v) = self.get(&format!("identity.{name}")) {
                identity.insert(name.to_string(), Value::String(v));
            }
        }
        root.insert("identity".into(), Value::Object(identity));
        Value::Object(root)
    }

    /// The value of `context.NAME` (`None` = not set for this request).
    pub fn get(&self, name: &str) -> Option<String> {
        let caller = self.caller.as_ref();
        let s = |v: &str| (!v.is_empty()).then(|| v.to_string());
        match name {
            "requestId" | "awsEndpointRequestId" => s(&self.request_id),
            "extendedRequestId" => s(&self.extended_request_id),
            "apiId" => s(&self.api_id),
            "accountId" => s(&self.account_id),
            "stage" => s(&self.stage),
            "resourcePath" => s(&self.resource_path),
            "resourceId" => s(&resource_id(&self.resource_path)),
            "path" => s(&self.path),
            "httpMethod" => s(&self.http_method),
            "protocol" => Some("HTTP/1.1".to_string()),
            "domainName" => s(&self.domain_name),
            "domainPrefix" => s(self.domain_name.split('.').next().unwrap_or_default()),
            "requestTime" => Some(clf_time(self.request_time_epoch_ms)),
            "requestTimeEpoch" => Some(self.request_time_epoch_ms.to_string()),
            "isCanaryRequest" => Some("false".to_string()),
            "identity.sourceIp" => s(&self.source_ip),
            "identity.userAgent" => s(&self.user_agent),
            "identity.caller" | "identity.accessKey" => caller.map(|c| c.access_key_id.clone()),
            "identity.user" => caller.map(|c| c.access_key_id.clone()),
            "identity.userArn" => caller.map(|c| c.arn.clone()),
            "identity.accountId" => caller.map(|c| c.account_id.clone()),
            "error.message" => self.error.as_ref().map(|(_, m)| m.clone()),
            "error.messageString" => self
                .error
                .as_ref()
                .map(|(_, m)| serde_json::Value::String(m.clone()).to_string()),
            "error.responseType" => self.error.as_ref().map(|(t, _)| (*t).to_string()),
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
        cx.error = Some(("MISSING_AUTHENTICATION_TOKEN", "say \"hi\"".into()));
        assert_eq!(
            cx.get("error.messageString").as_deref(),
            Some(r#""say \"hi\"""#)
        );
        assert_eq!(cx.get("protocol").as_deref(), Some("HTTP/1.1"));
        assert_eq!(cx.request_id.len(), 36);
    }
}
