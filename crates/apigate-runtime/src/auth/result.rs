//! What an authorizer produced for a request: `$context.authorizer.*` in mappings, templates
//! and gateway responses, and the Lambda proxy event's `requestContext.authorizer`.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// The outcome of a Lambda or Cognito authorizer that let the request through.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuthorizerResult {
    /// The Lambda authorizer's `principalId` (`$context.authorizer.principalId`).
    pub principal_id: Option<String>,
    /// The Lambda authorizer's `context` map: string, number and boolean values, in the
    /// order returned (`$context.authorizer.KEY`; objects and arrays are refused by AWS and
    /// left out).
    pub context: Vec<(String, Value)>,
    /// The Cognito token's claims (`$context.authorizer.claims.NAME`), values as text.
    pub claims: Option<BTreeMap<String, String>>,
    /// The Lambda authorizer's `usageIdentifierKey` (the API key when the API's key source
    /// is `AUTHORIZER`).
    pub usage_identifier_key: Option<String>,
    /// How long the authorizer took, in milliseconds (0 when answered from the cache).
    pub integration_latency_ms: u64,
}

impl AuthorizerResult {
    /// `$context.authorizer.principalId`.
    pub fn principal_id(&self) -> Option<&str> {
        self.principal_id.as_deref()
    }

    /// `$context.authorizer.KEY`: a context value as text (numbers and booleans as JSON writes
    /// them).
    pub fn context_value(&self, key: &str) -> Option<String> {
        self.context
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| text(v))
    }

    /// `$context.authorizer.claims.NAME`.
    pub fn claim(&self, name: &str) -> Option<&str> {
        self.claims.as_ref()?.get(name).map(String::as_str)
    }

    /// The Lambda proxy event's `requestContext.authorizer`: for a Lambda authorizer
    /// `principalId`, `integrationLatency` and the context keys (values as the function
    /// returned them); for Cognito `{"claims": {..}}`. Pure: the proxy integration and the
    /// template `$context` both read it.
    pub fn to_json(&self) -> Value {
        let mut out = Map::new();
        if let Some(claims) = self.claims_json() {
            out.insert("claims".into(), claims);
            return Value::Object(out);
        }
        for (k, v) in &self.context {
            out.insert(k.clone(), v.clone());
        }
        if let Some(p) = &self.principal_id {
            out.insert("principalId".into(), Value::String(p.clone()));
        }
        out.insert(
            "integrationLatency".into(),
            Value::from(self.integration_latency_ms),
        );
        Value::Object(out)
    }

    /// `$context.authorizer` for mapping templates: the same keys, every value as text
    /// (`$context.authorizer.numberKey` prints `1`), claims nested.
    pub fn template_json(&self) -> Value {
        let mut out = Map::new();
        if let Some(claims) = self.claims_json() {
            out.insert("claims".into(), claims);
        }
        for (k, v) in &self.context {
            out.insert(k.clone(), Value::String(text(v)));
        }
        if let Some(p) = &self.principal_id {
            out.insert("principalId".into(), Value::String(p.clone()));
        }
        Value::Object(out)
    }

    /// A Cognito authorizer's claims as a JSON object of strings.
    fn claims_json(&self) -> Option<Value> {
        let claims = self.claims.as_ref()?;
        let claims = claims
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        Some(Value::Object(claims))
    }
}

/// A scalar as `$context.authorizer.KEY` shows it.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lambda_results_give_principal_context_and_latency() {
        let r = AuthorizerResult {
            principal_id: Some("user-1".into()),
            context: vec![
                ("tenant".into(), json!("acme")),
                ("level".into(), json!(3)),
                ("admin".into(), json!(true)),
            ],
            integration_latency_ms: 12,
            ..AuthorizerResult::default()
        };
        assert_eq!(r.context_value("level").as_deref(), Some("3"));
        assert_eq!(r.context_value("admin").as_deref(), Some("true"));
        assert_eq!(r.context_value("nope"), None);
        assert_eq!(
            r.to_json(),
            json!({"tenant": "acme", "level": 3, "admin": true, "principalId": "user-1", "integrationLatency": 12})
        );
        assert_eq!(
            r.template_json(),
            json!({"tenant": "acme", "level": "3", "admin": "true", "principalId": "user-1"})
        );
    }

    #[test]
    fn cognito_results_give_claims() {
        let r = AuthorizerResult {
            claims: Some(BTreeMap::from([
                ("sub".to_string(), "abc".to_string()),
                ("email".to_string(), "a@example.com".to_string()),
            ])),
            ..AuthorizerResult::default()
        };
        assert_eq!(r.claim("email"), Some("a@example.com"));
        assert_eq!(
            r.to_json(),
            json!({"claims": {"email": "a@example.com", "sub": "abc"}})
        );
    }
}
