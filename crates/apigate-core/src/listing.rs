//! The route table as people read it: one row per method (stage, verb, resource path,
//! integration type and target, authorization). `apigate routes` prints it; the admin
//! listener's `/routes` returns it as JSON.

use crate::model::{Api, Method, Target};
use crate::uri::AwsAction;

/// One method of the route table, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteRow {
    /// The definition's stage (`-` without one).
    pub stage: String,
    pub method: String,
    /// The resource path as written (`/pets/{id}`).
    pub path: String,
    pub integration: String,
    /// Where the integration goes (`-` for a mock).
    pub target: String,
    /// `NONE`, `AWS_IAM`, `CUSTOM`, `COGNITO_USER_POOLS`, with `+API_KEY` when a key is required.
    pub authorization: String,
}

/// Every method of `api`, grouped by resource in path order.
pub fn rows(api: &Api) -> Vec<RouteRow> {
    api.methods().map(|m| RouteRow::new(api, m)).collect()
}

impl RouteRow {
    pub fn new(api: &Api, m: &Method) -> RouteRow {
        let i = &m.integration;
        let verb = i.http_method.map(|v| v.as_str()).unwrap_or("");
        let target = match &i.target {
            Target::Mock => "-".to_string(),
            Target::Http(u) => format!(
                "{verb} {}://{}{}",
                if u.https { "https" } else { "http" },
                u.authority.source(),
                u.path_and_query.source()
            ),
            Target::Aws(u) => {
                let sub = u
                    .subdomain
                    .as_ref()
                    .map(|s| format!("{}.", s.source()))
                    .unwrap_or_default();
                match &u.action {
                    AwsAction::Path(p) => {
                        format!("{verb} {sub}{}:{} {}", u.service, u.region, p.source())
                    }
                    AwsAction::Action { name, .. } => {
                        format!("{verb} {sub}{}:{} action {name}", u.service, u.region)
                    }
                }
            }
        };
        let mut authorization = m.authorization.as_str().to_string();
        if m.api_key_required {
            authorization.push_str("+API_KEY");
        }
        RouteRow {
            stage: api.stage.clone().unwrap_or_else(|| "-".into()),
            method: m.verb.as_str().to_string(),
            path: m.resource_path.clone(),
            integration: i.kind.as_str().to_string(),
            target,
            authorization,
        }
    }

    /// `{"stage", "method", "path", "integration", "target", "authorization"}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "stage": self.stage,
            "method": self.method,
            "path": self.path,
            "integration": self.integration,
            "target": self.target,
            "authorization": self.authorization,
        })
    }
}

/// The rows of `api` as a JSON array.
pub fn to_json(api: &Api) -> serde_json::Value {
    serde_json::Value::Array(rows(api).iter().map(RouteRow::to_json).collect())
}
