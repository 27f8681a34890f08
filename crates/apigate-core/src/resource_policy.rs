//! Resource policies (`x-amazon-apigateway-policy`): the IAM policy language as API Gateway
//! evaluates it for `execute-api:Invoke`, compiled at load ([`ResourcePolicy::compile`]) and
//! evaluated per request ([`ResourcePolicy::evaluate`]) against what the request tells: its
//! method ARN, source address and verified caller.
//!
//! Supported: `Effect`; `Principal` (`*`, `{"AWS": "*"}`, account ids, `arn:…:root`, user and
//! role ARNs — matched to the SigV4 caller), `NotPrincipal`; `Action` / `NotAction`; `Resource` /
//! `NotResource` as full ARNs or `execute-api:/{stage}/{VERB}/{path}`, with `*` and `?`; and
//! `Condition` with `IpAddress` / `NotIpAddress` on `aws:SourceIp` and the `String*` operators
//! (`…IgnoreCase`, `…IfExists`) on `aws:SourceIp`, `aws:PrincipalArn`, `aws:PrincipalAccount`,
//! `aws:userid`, `aws:username`, `aws:UserAgent`, `aws:Referer`, `aws:SourceVpc`,
//! `aws:SourceVpce` (never present locally). Anything else — another operator or key — cannot
//! be evaluated: the policy compiles with the reason, and every request fails closed.

use serde_json::Value;
use std::net::IpAddr;

/// The outcome of evaluating a policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// A `Deny` statement applies.
    ExplicitDeny,
    /// No statement allows the call.
    ImplicitDeny,
}

/// What a request offers to the policy.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// `arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{VERB}/{path}`.
    pub method_arn: &'a str,
    /// The part after `{apiId}/`: `{stage}/{VERB}/{path}` (for `execute-api:/…` resources).
    pub resource: &'a str,
    pub source_ip: Option<IpAddr>,
    /// The verified SigV4 caller's ARN and account (`None`: anonymous).
    pub caller_arn: Option<&'a str>,
    pub caller_account: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub referer: Option<&'a str>,
}

/// A compiled resource policy.
#[derive(Debug, Clone)]
pub struct ResourcePolicy {
    statements: Vec<Statement>,
    /// Why the policy cannot be evaluated (then every request fails closed).
    pub unsupported: Option<String>,
}

/// A statement's `Effect`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

#[derive(Debug, Clone)]
struct Statement {
    effect: Effect,
    principals: Principals,
    actions: Patterns,
    resources: Patterns,
    conditions: Vec<Condition>,
}

#[derive(Debug, Clone)]
struct Principals {
    /// `None`: any principal (`*`).
    names: Option<Vec<String>>,
    /// `NotPrincipal`.
    negated: bool,
}

#[derive(Debug, Clone)]
struct Patterns {
    patterns: Vec<String>,
    negated: bool,
}

#[derive(Debug, Clone)]
struct Condition {
    test: Test,
    key: Key,
    values: Vec<String>,
    /// `…IfExists`: an absent key passes.
    if_exists: bool,
}

#[derive(Debug, Clone)]
enum Test {
    Ip {
        cidrs: Vec<(IpAddr, u8)>,
        negated: bool,
    },
    String {
        like: bool,
        ignore_case: bool,
        negated: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    SourceIp,
    PrincipalArn,
    PrincipalAccount,
    UserId,
    UserName,
    UserAgent,
    Referer,
    /// `aws:SourceVpc`, `aws:SourceVpce`: no request reaches apigate through a VPC endpoint.
    Vpc,
}

impl ResourcePolicy {
    /// Compiles a policy document. A malformed one is an error; one using what apigate cannot
    /// evaluate compiles with [`ResourcePolicy::unsupported`] set.
    pub fn compile(document: &Value) -> Result<ResourcePolicy, String> {
        let statements = match document.get("Statement") {
            Some(Value::Array(list)) => list.iter().collect::<Vec<_>>(),
            Some(one @ Value::Object(_)) => vec![one],
            _ => return Err("the policy has no `Statement`".into()),
        };
        let mut compiled = Vec::new();
        let mut unsupported = None;
        for (i, st) in statements.into_iter().enumerate() {
            match statement(st) {
                Ok(s) => compiled.push(s),
                Err(Problem::Malformed(why)) => return Err(format!("Statement {i}: {why}")),
                Err(Problem::Unsupported(why)) => {
                    unsupported.get_or_insert(format!("Statement {i}: {why}"));
                }
            }
        }
        Ok(ResourcePolicy {
            statements: compiled,
            unsupported,
        })
    }

    /// Evaluates the policy for `execute-api:Invoke` on the request: an applying `Deny` wins,
    /// else an applying `Allow` allows, else the call is implicitly denied.
    pub fn evaluate(&self, request: &Request<'_>) -> Decision {
        let mut allowed = false;
        for st in &self.statements {
            if !st.applies(request) {
                continue;
            }
            match st.effect {
                Effect::Deny => return Decision::ExplicitDeny,
                Effect::Allow => allowed = true,
            }
        }
        if allowed {
            Decision::Allow
        } else {
            Decision::ImplicitDeny
        }
    }
}

enum Problem {
    Malformed(String),
    Unsupported(String),
}

fn statement(st: &Value) -> Result<Statement, Problem> {
    let malformed = |why: String| Problem::Malformed(why);
    let effect = match st.get("Effect").and_then(Value::as_str) {
        Some("Allow") => Effect::Allow,
        Some("Deny") => Effect::Deny,
        other => return Err(malformed(format!("Effect {other:?} is not Allow or Deny"))),
    };
    let principals = match (st.get("Principal"), st.get("NotPrincipal")) {
        (Some(p), None) => principals(p, false)?,
        (None, Some(p)) => principals(p, true)?,
        _ => return Err(malformed("needs one of Principal or NotPrincipal".into())),
    };
    let actions = patterns(st, "Action", "NotAction")?;
    let resources = patterns(st, "Resource", "NotResource")?;
    let mut conditions = Vec::new();
    if let Some(c) = st.get("Condition") {
        let Value::Object(ops) = c else {
            return Err(malformed("Condition is not an object".into()));
        };
        for (op, keys) in ops {
            let Value::Object(keys) = keys else {
                return Err(malformed(format!("Condition {op} is not an object")));
            };
            for (key, values) in keys {
                conditions.push(condition(op, key, values)?);
            }
        }
    }
    Ok(Statement {
        effect,
        principals,
        actions,
        resources,
        conditions,
    })
}

fn strings(value: &Value, what: &str) -> Result<Vec<String>, Problem> {
    match value {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(list) => list
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| Problem::Malformed(format!("{what} holds a non-string")))
            })
            .collect(),
        Value::Bool(b) => Ok(vec![b.to_string()]),
        Value::Number(n) => Ok(vec![n.to_string()]),
        _ => Err(Problem::Malformed(format!(
            "{what} is neither a string nor a list of strings"
        ))),
    }
}

fn principals(value: &Value, negated: bool) -> Result<Principals, Problem> {
    let names = match value {
        Value::String(s) if s == "*" => None,
        Value::Object(map) => {
            let mut names = Vec::new();
            for (kind, v) in map {
                if kind != "AWS" {
                    return Err(Problem::Unsupported(format!(
                        "Principal {kind} (only AWS principals call APIs)"
                    )));
                }
                let list = strings(v, "Principal.AWS")?;
                if list.iter().any(|n| n == "*") {
                    return Ok(Principals {
                        names: None,
                        negated,
                    });
                }
                names.extend(list);
            }
            Some(names)
        }
        _ => {
            return Err(Problem::Malformed(
                "Principal is neither \"*\" nor an object".into(),
            ))
        }
    };
    Ok(Principals { names, negated })
}

fn patterns(st: &Value, positive: &str, negative: &str) -> Result<Patterns, Problem> {
    match (st.get(positive), st.get(negative)) {
        (Some(v), None) => Ok(Patterns {
            patterns: strings(v, positive)?,
            negated: false,
        }),
        (None, Some(v)) => Ok(Patterns {
            patterns: strings(v, negative)?,
            negated: true,
        }),
        _ => Err(Problem::Malformed(format!(
            "needs one of {positive} or {negative}"
        ))),
    }
}

fn condition(op: &str, key: &str, values: &Value) -> Result<Condition, Problem> {
    let unsupported = |why: String| Problem::Unsupported(why);
    let (base, if_exists) = match op.strip_suffix("IfExists") {
        Some(base) => (base, true),
        None => (op, false),
    };
    let key = match key.to_ascii_lowercase().as_str() {
        "aws:sourceip" => Key::SourceIp,
        "aws:principalarn" => Key::PrincipalArn,
        "aws:principalaccount" => Key::PrincipalAccount,
        "aws:userid" => Key::UserId,
        "aws:username" => Key::UserName,
        "aws:useragent" => Key::UserAgent,
        "aws:referer" => Key::Referer,
        "aws:sourcevpc" | "aws:sourcevpce" => Key::Vpc,
        _ => {
            return Err(unsupported(format!(
                "the condition key {key} cannot be evaluated by apigate"
            )))
        }
    };
    let values = strings(values, &format!("Condition {op} {key:?}"))?;
    let test = match base {
        "IpAddress" | "NotIpAddress" => {
            if key != Key::SourceIp {
                return Err(unsupported(format!(
                    "{op} on a key other than aws:SourceIp"
                )));
            }
            let cidrs = values
                .iter()
                .map(|v| {
                    cidr(v).ok_or_else(|| {
                        Problem::Malformed(format!("{v} is not an IP address or CIDR block"))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            Test::Ip {
                cidrs,
                negated: base == "NotIpAddress",
            }
        }
        "StringEquals"
        | "StringNotEquals"
        | "StringEqualsIgnoreCase"
        | "StringNotEqualsIgnoreCase"
        | "StringLike"
        | "StringNotLike" => Test::String {
            like: base.contains("Like"),
            ignore_case: base.ends_with("IgnoreCase"),
            negated: base.contains("Not"),
        },
        other => {
            return Err(unsupported(format!(
                "the condition operator {other} cannot be evaluated by apigate"
            )))
        }
    };
    Ok(Condition {
        test,
        key,
        values,
        if_exists,
    })
}

/// `10.0.0.0/8`, `192.0.2.1` (a /32 or /128).
fn cidr(text: &str) -> Option<(IpAddr, u8)> {
    let (addr, bits) = match text.split_once('/') {
        Some((a, b)) => (a.parse::<IpAddr>().ok()?, b.parse::<u8>().ok()?),
        None => {
            let a = text.parse::<IpAddr>().ok()?;
            (a, if a.is_ipv4() { 32 } else { 128 })
        }
    };
    let max = if addr.is_ipv4() { 32 } else { 128 };
    (bits <= max).then_some((addr, bits))
}

fn in_cidr(ip: IpAddr, (net, bits): (IpAddr, u8)) -> bool {
    let (ip, net, width) = match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => (u128::from(u32::from(a)), u128::from(u32::from(b)), 32),
        (IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(a), u128::from(b), 128),
        (IpAddr::V6(a), IpAddr::V4(b)) => match a.to_ipv4_mapped() {
            Some(a) => (u128::from(u32::from(a)), u128::from(u32::from(b)), 32),
            None => return false,
        },
        _ => return false,
    };
    let shift = width - u32::from(bits);
    shift >= width || (ip >> shift) == (net >> shift)
}

impl Statement {
    fn applies(&self, r: &Request<'_>) -> bool {
        self.principals.cover(r)
            && self.actions.cover_with(action_matches)
            && self.resources.cover_with(|p| resource_matches(p, r))
            && self.conditions.iter().all(|c| c.holds(r))
    }
}

impl Principals {
    fn cover(&self, r: &Request<'_>) -> bool {
        let matched = match &self.names {
            None => true,
            Some(names) => names.iter().any(|n| principal_matches(n, r)),
        };
        matched != self.negated
    }
}

impl Patterns {
    fn cover_with(&self, matches: impl Fn(&str) -> bool) -> bool {
        self.patterns.iter().any(|p| matches(p)) != self.negated
    }
}

/// A principal: an account id or `arn:…:iam::{account}:root` covers the account's callers;
/// another ARN covers that caller (its `*`/`?` wildcards as IAM's).
fn principal_matches(name: &str, r: &Request<'_>) -> bool {
    let account = name
        .strip_prefix("arn:")
        .and_then(|rest| rest.split_once(":iam::"))
        .and_then(|(_, rest)| rest.strip_suffix(":root"))
        .unwrap_or(name);
    if account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) {
        return r.caller_account == Some(account);
    }
    r.caller_arn
        .is_some_and(|arn| wildcard_match(name, arn, false))
}

fn action_matches(pattern: &str) -> bool {
    ["execute-api:Invoke"]
        .iter()
        .any(|action| wildcard_match(pattern, action, true))
}

/// A full ARN pattern against the method ARN; `execute-api:/{stage}/{VERB}/{path}` against
/// the part after the API id.
fn resource_matches(pattern: &str, r: &Request<'_>) -> bool {
    match pattern.strip_prefix("execute-api:/") {
        Some(short) => wildcard_match(short, r.resource, false),
        None => wildcard_match(pattern, r.method_arn, false),
    }
}

impl Condition {
    fn holds(&self, r: &Request<'_>) -> bool {
        let ip_text;
        let value = match self.key {
            Key::SourceIp => {
                ip_text = r.source_ip.map(|ip| ip.to_string());
                ip_text.as_deref()
            }
            Key::PrincipalArn => r.caller_arn,
            Key::PrincipalAccount => r.caller_account,
            Key::UserId | Key::UserName => r.caller_arn.and_then(|a| a.rsplit('/').next()),
            Key::UserAgent => r.user_agent,
            Key::Referer => r.referer,
            Key::Vpc => None,
        };
        let Some(value) = value else {
            // An absent key: `…IfExists` passes; otherwise only a negated operator holds.
            return self.if_exists
                || matches!(
                    self.test,
                    Test::Ip { negated: true, .. } | Test::String { negated: true, .. }
                );
        };
        match &self.test {
            Test::Ip { cidrs, negated } => {
                let inside = r
                    .source_ip
                    .is_some_and(|ip| cidrs.iter().any(|&c| in_cidr(ip, c)));
                inside != *negated
            }
            Test::String {
                like,
                ignore_case,
                negated,
            } => {
                let any = self.values.iter().any(|v| {
                    if *like {
                        wildcard_match(v, value, *ignore_case)
                    } else if *ignore_case {
                        v.eq_ignore_ascii_case(value)
                    } else {
                        v == value
                    }
                });
                any != *negated
            }
        }
    }
}

/// IAM's wildcard match: `*` any run of characters (`/` and `:` included), `?` any one
/// character, everything else literal; the whole value must match. Linear backtracking on the
/// last `*` (no regex is built per request).
pub fn wildcard_match(pattern: &str, value: &str, case_insensitive: bool) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let v: Vec<char> = value.chars().collect();
    let same = |a: char, b: char| {
        if case_insensitive {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    };
    let (mut pi, mut vi) = (0usize, 0usize);
    // Where the last `*` was, and where in the value it began matching.
    let mut star: Option<(usize, usize)> = None;
    while vi < v.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, vi));
                pi += 1;
            }
            Some(&c) if c == '?' || v.get(vi).is_some_and(|&x| same(c, x)) => {
                pi += 1;
                vi += 1;
            }
            _ => match star {
                Some((sp, sv)) => {
                    pi = sp + 1;
                    vi = sv + 1;
                    star = Some((sp, sv + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|&c| c == '*'))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    const ARN: &str = "arn:aws:execute-api:us-east-1:123456789012:apigate/prod/GET/pets/42";

    fn request(ip: &str, caller: Option<(&'static str, &'static str)>) -> Request<'static> {
        Request {
            method_arn: ARN,
            resource: "prod/GET/pets/42",
            source_ip: ip.parse().ok(),
            caller_arn: caller.map(|c| c.0),
            caller_account: caller.map(|c| c.1),
            user_agent: Some("curl/8"),
            referer: None,
        }
    }

    fn decide(doc: Value, r: &Request<'_>) -> Decision {
        ResourcePolicy::compile(&doc).unwrap().evaluate(r)
    }

    fn statement(effect: &str, extra: Value) -> Value {
        let mut st = json!({"Effect": effect, "Principal": "*", "Action": "execute-api:Invoke",
                            "Resource": "execute-api:/*"});
        if let (Value::Object(st), Value::Object(extra)) = (&mut st, extra) {
            st.extend(extra);
        }
        st
    }

    #[test]
    fn ip_allow_lists_and_deny_lists() {
        let allow_net = json!({"Statement": [statement("Allow", json!({
            "Condition": {"IpAddress": {"aws:SourceIp": ["192.0.2.0/24", "198.51.100.7"]}}}))]});
        assert_eq!(
            decide(allow_net.clone(), &request("192.0.2.9", None)),
            Decision::Allow
        );
        assert_eq!(
            decide(allow_net.clone(), &request("198.51.100.7", None)),
            Decision::Allow
        );
        assert_eq!(
            decide(allow_net, &request("203.0.113.1", None)),
            Decision::ImplicitDeny
        );

        let deny_outside = json!({"Statement": [
            statement("Allow", json!({})),
            statement("Deny", json!({"Condition": {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}))]});
        assert_eq!(
            decide(deny_outside.clone(), &request("10.1.2.3", None)),
            Decision::Allow
        );
        assert_eq!(
            decide(deny_outside, &request("127.0.0.1", None)),
            Decision::ExplicitDeny
        );
        assert!(in_cidr(
            "::ffff:10.0.0.1".parse().unwrap(),
            cidr("10.0.0.0/8").unwrap()
        ));
        assert!(in_cidr(
            "2001:db8::1".parse().unwrap(),
            cidr("2001:db8::/32").unwrap()
        ));
        assert!(in_cidr(
            "1.2.3.4".parse().unwrap(),
            cidr("0.0.0.0/0").unwrap()
        ));
    }

    #[test]
    fn principals_resources_and_actions() {
        let alice = Some(("arn:aws:iam::123456789012:user/alice", "123456789012"));
        let bob = Some(("arn:aws:iam::999999999999:user/bob", "999999999999"));
        let doc = json!({"Statement": {"Effect": "Allow",
            "Principal": {"AWS": ["arn:aws:iam::123456789012:root"]},
            "Action": "execute-api:*", "Resource": "arn:aws:execute-api:*:*:apigate/prod/GET/pets/*"}});
        assert_eq!(
            decide(doc.clone(), &request("127.0.0.1", alice)),
            Decision::Allow
        );
        assert_eq!(
            decide(doc.clone(), &request("127.0.0.1", bob)),
            Decision::ImplicitDeny
        );
        assert_eq!(
            decide(doc, &request("127.0.0.1", None)),
            Decision::ImplicitDeny
        );

        let doc = json!({"Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:user/bob"},
             "Action": "execute-api:Invoke", "Resource": "execute-api:/prod/*"},
            {"Effect": "Deny", "Principal": "*", "NotAction": "execute-api:Invoke",
             "Resource": "*"},
            {"Effect": "Deny", "Principal": "*", "Action": "*",
             "NotResource": "execute-api:/prod/GET/*"}]});
        assert_eq!(
            decide(doc.clone(), &request("127.0.0.1", bob)),
            Decision::Allow
        );
        let mut post = request("127.0.0.1", bob);
        post.resource = "prod/POST/pets";
        assert_eq!(decide(doc, &post), Decision::ExplicitDeny);
    }

    #[test]
    fn string_conditions_and_absent_keys() {
        let alice = Some(("arn:aws:iam::123456789012:user/alice", "123456789012"));
        let doc = json!({"Statement": [statement("Allow", json!({"Condition": {
            "StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/a*"},
            "StringNotEqualsIfExists": {"aws:SourceVpce": "vpce-1"}}}))]});
        assert_eq!(
            decide(doc.clone(), &request("127.0.0.1", alice)),
            Decision::Allow
        );
        assert_eq!(
            decide(doc, &request("127.0.0.1", None)),
            Decision::ImplicitDeny
        );
        let vpce_only = json!({"Statement": [statement("Allow", json!({"Condition": {
            "StringEquals": {"aws:SourceVpce": "vpce-1"}}}))]});
        assert_eq!(
            decide(vpce_only, &request("127.0.0.1", alice)),
            Decision::ImplicitDeny
        );
    }

    #[test]
    fn what_cannot_be_evaluated_is_reported() {
        for (op, key) in [
            ("DateGreaterThan", "aws:CurrentTime"),
            ("StringEquals", "aws:RequestTag/x"),
            ("Bool", "aws:SecureTransport"),
        ] {
            let doc =
                json!({"Statement": [statement("Allow", json!({"Condition": {op: {key: "x"}}}))]});
            let p = ResourcePolicy::compile(&doc).unwrap();
            assert!(p.unsupported.is_some(), "{op} {key}");
        }
        assert!(ResourcePolicy::compile(&json!({"Statement": [{"Effect": "Maybe"}]})).is_err());
        assert!(ResourcePolicy::compile(&json!({"Version": "2012-10-17"})).is_err());
    }

    #[test]
    fn wildcards() {
        assert!(wildcard_match("arn:*:execute-api:*", ARN, false));
        assert!(wildcard_match("*/GET/pets/??", ARN, false));
        assert!(!wildcard_match("*/POST/*", ARN, false));
        assert!(wildcard_match("Execute-API:*", "execute-api:Invoke", true));
    }
}
