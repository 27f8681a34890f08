//! The IAM policy a Lambda authorizer returns, evaluated against a request's method ARN
//! (`arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{VERB}/{path}`) as API Gateway
//! evaluates it: statements whose `Action` covers `execute-api:Invoke` and whose `Resource`
//! covers the ARN apply (`*` and `?` wildcards); an applicable `Deny` wins over any `Allow`;
//! no applicable `Allow` is a deny too.
//!
//! The policy is parsed once ([`Policy::parse`], when the authorizer answers) and evaluated
//! per request ([`Policy::evaluate`]): a cached policy is evaluated against each request's own
//! method ARN.

use serde_json::Value;

pub use apigate_core::resource_policy::Decision;
use apigate_core::resource_policy::Effect;

/// One statement: its effect, and the action and resource patterns it names (a
/// `NotAction`/`NotResource` statement applies where none of its patterns match).
#[derive(Debug, Clone)]
struct Statement {
    effect: Effect,
    actions: Patterns,
    resources: Patterns,
}

#[derive(Debug, Clone)]
struct Patterns {
    patterns: Vec<String>,
    /// `NotAction` / `NotResource`.
    negated: bool,
}

impl Patterns {
    fn covers(&self, value: &str, case_insensitive: bool) -> bool {
        let any = self
            .patterns
            .iter()
            .any(|p| wildcard_match(p, value, case_insensitive));
        any != self.negated
    }
}

/// A parsed `policyDocument`.
#[derive(Debug, Clone)]
pub struct Policy {
    statements: Vec<Statement>,
}

impl Policy {
    /// Parses a `policyDocument` object. `Statement` is one statement or a list; each has
    /// `Effect` (`Allow` or `Deny`), `Action` or `NotAction`, `Resource` or `NotResource`
    /// (each a string or a list of strings). Anything else is an error (AWS answers 500:
    /// "Could not parse policy").
    pub fn parse(document: &Value) -> Result<Policy, String> {
        let object = document
            .as_object()
            .ok_or("policyDocument is not an object")?;
        let statements = match object.get("Statement") {
            Some(Value::Array(list)) => list.iter().collect::<Vec<_>>(),
            Some(one @ Value::Object(_)) => vec![one],
            Some(_) => return Err("Statement is neither a statement nor a list".into()),
            None => return Err("policyDocument has no Statement".into()),
        };
        let statements = statements
            .into_iter()
            .map(statement)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Policy { statements })
    }

    /// Whether the policy lets the caller invoke `method_arn`.
    pub fn evaluate(&self, method_arn: &str) -> Decision {
        let mut allowed = false;
        for s in &self.statements {
            let applies = s.actions.covers("execute-api:Invoke", true)
                && s.resources.covers(method_arn, false);
            match (applies, s.effect) {
                (true, Effect::Deny) => return Decision::ExplicitDeny,
                (true, Effect::Allow) => allowed = true,
                (false, _) => {}
            }
        }
        if allowed {
            Decision::Allow
        } else {
            Decision::ImplicitDeny
        }
    }
}

fn statement(value: &Value) -> Result<Statement, String> {
    let object = value.as_object().ok_or("a Statement is not an object")?;
    let effect = match object.get("Effect").and_then(Value::as_str) {
        Some("Allow") => Effect::Allow,
        Some("Deny") => Effect::Deny,
        _ => return Err("a Statement's Effect is not Allow or Deny".into()),
    };
    let actions = patterns(object, "Action", "NotAction")?;
    let resources = patterns(object, "Resource", "NotResource")?;
    Ok(Statement {
        effect,
        actions,
        resources,
    })
}

/// `field` or `not_field` (exactly one of them): a string or a list of strings.
fn patterns(
    object: &serde_json::Map<String, Value>,
    field: &str,
    not_field: &str,
) -> Result<Patterns, String> {
    let (value, negated) = match (object.get(field), object.get(not_field)) {
        (Some(v), None) => (v, false),
        (None, Some(v)) => (v, true),
        (Some(_), Some(_)) => return Err(format!("a Statement has both {field} and {not_field}")),
        (None, None) => return Err(format!("a Statement has no {field}")),
    };
    let patterns = match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| format!("{field} lists something that is not a string"))
            })
            .collect::<Result<Vec<_>, _>>()?,
        _ => return Err(format!("{field} is neither a string nor a list of strings")),
    };
    Ok(Patterns { patterns, negated })
}

pub use apigate_core::resource_policy::wildcard_match;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    const ARN: &str = "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets/42";

    fn decide(doc: Value) -> Decision {
        Policy::parse(&doc).unwrap().evaluate(ARN)
    }

    fn allow(resource: Value) -> Value {
        json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": resource}
        ]})
    }

    #[test]
    fn wildcards() {
        assert!(wildcard_match("*", "", false));
        assert!(wildcard_match("a*c", "abbbc", false));
        assert!(wildcard_match("a?c", "abc", false));
        assert!(!wildcard_match("a?c", "ac", false));
        assert!(!wildcard_match("abc", "abcd", false));
        assert!(wildcard_match("*/GET/*", "x/prod/GET/pets/1", false));
        assert!(wildcard_match("a*b*c", "axxbyyc", false));
        assert!(!wildcard_match("a*b*c", "axxbyy", false));
        assert!(!wildcard_match("ABC", "abc", false));
        assert!(wildcard_match("Execute-API:*", "execute-api:Invoke", true));
        assert!(wildcard_match("**", "anything", false));
    }

    #[test]
    fn the_exact_arn_and_wildcards_allow() {
        assert_eq!(decide(allow(json!(ARN))), Decision::Allow);
        assert_eq!(
            decide(allow(json!(
                "arn:aws:execute-api:us-east-1:123456789012:abc123/*"
            ))),
            Decision::Allow
        );
        assert_eq!(
            decide(allow(json!(
                "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/*/pets/*"
            ))),
            Decision::Allow
        );
        assert_eq!(
            decide(allow(json!(
                "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets/4?"
            ))),
            Decision::Allow
        );
        assert_eq!(decide(allow(json!(["x", ARN]))), Decision::Allow);
    }

    #[test]
    fn another_resource_or_action_is_an_implicit_deny() {
        assert_eq!(
            decide(allow(json!(
                "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/POST/*"
            ))),
            Decision::ImplicitDeny
        );
        let other_action = json!({"Statement": [
            {"Effect": "Allow", "Action": "execute-api:InvalidateCache", "Resource": "*"}
        ]});
        assert_eq!(decide(other_action), Decision::ImplicitDeny);
        assert_eq!(decide(json!({"Statement": []})), Decision::ImplicitDeny);
        let star_action = json!({"Statement":
            {"Effect": "Allow", "Action": ["execute-api:*"], "Resource": ["*"]}});
        assert_eq!(decide(star_action), Decision::Allow);
    }

    #[test]
    fn an_applicable_deny_wins_whatever_the_order() {
        let doc = json!({"Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": "execute-api:Invoke", "Resource": "*/GET/pets/*"}
        ]});
        assert_eq!(decide(doc), Decision::ExplicitDeny);
        let inapplicable = json!({"Statement": [
            {"Effect": "Deny", "Action": "execute-api:Invoke", "Resource": "*/DELETE/*"},
            {"Effect": "Allow", "Action": "*", "Resource": "*"}
        ]});
        assert_eq!(decide(inapplicable), Decision::Allow);
    }

    #[test]
    fn not_action_and_not_resource_apply_where_nothing_matches() {
        let doc = json!({"Statement": [
            {"Effect": "Allow", "Action": "execute-api:Invoke", "NotResource": "*/DELETE/*"}
        ]});
        assert_eq!(decide(doc), Decision::Allow);
        let doc = json!({"Statement": [
            {"Effect": "Allow", "NotAction": "execute-api:Invoke", "Resource": "*"}
        ]});
        assert_eq!(decide(doc), Decision::ImplicitDeny);
    }

    #[test]
    fn malformed_documents_are_refused() {
        for bad in [
            json!("Allow"),
            json!({}),
            json!({"Statement": "x"}),
            json!({"Statement": [{"Effect": "allow", "Action": "*", "Resource": "*"}]}),
            json!({"Statement": [{"Effect": "Allow", "Resource": "*"}]}),
            json!({"Statement": [{"Effect": "Allow", "Action": "*"}]}),
            json!({"Statement": [{"Effect": "Allow", "Action": 1, "Resource": "*"}]}),
            json!({"Statement": [{"Effect": "Allow", "Action": "*", "NotAction": "*", "Resource": "*"}]}),
        ] {
            assert!(Policy::parse(&bad).is_err(), "{bad}");
        }
    }
}
