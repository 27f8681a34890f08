//! The resource policy in the authorize stage, combined with the method's authorization as
//! API Gateway's authorization-flow page describes (`apigateway-authorization-flow`):
//!
//! - before any authorizer runs, an explicit `Deny` for the (still anonymous) caller refuses
//!   the request — a Lambda authorizer is not called;
//! - no authorization: the policy must explicitly allow the anonymous caller;
//! - AWS_IAM: evaluated for the verified caller; an explicit deny refuses; an implicit deny
//!   refuses a caller from another account (same-account callers are allowed by their IAM
//!   policies, which apigate does not hold: a verified key counts as allowed);
//! - Lambda and Cognito authorizers: past the explicit-deny check, their own answer decides.
//!
//! A refusal is 403 ACCESS_DENIED with AWS's message: `User: {anonymous|caller ARN} is not
//! authorized to perform: execute-api:Invoke on resource: {method ARN}[ with an explicit deny]`.

use crate::error::{GatewayError, ResponseType};
use apigate_core::model::Authorization;
use apigate_core::resource_policy::{Decision, Request, ResourcePolicy};
use apigate_sigv4::Caller;

/// What the policy sees of the request.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    pub method_arn: &'a str,
    /// `{stage}/{VERB}/{path}`: the method ARN after the API id.
    pub resource: &'a str,
    pub source_ip: Option<std::net::IpAddr>,
    pub user_agent: Option<&'a str>,
    pub referer: Option<&'a str>,
}

impl Facts<'_> {
    fn request<'c>(&'c self, caller: Option<&'c Caller>) -> Request<'c> {
        Request {
            method_arn: self.method_arn,
            resource: self.resource,
            source_ip: self.source_ip,
            caller_arn: caller.map(|c| c.arn.as_str()),
            caller_account: caller.map(|c| c.account_id.as_str()),
            user_agent: self.user_agent,
            referer: self.referer,
        }
    }
}

/// Before authorization: a policy that cannot be evaluated fails closed (500); an explicit
/// deny refuses; without authorization (or an IAM method whose caller is not verified,
/// `--no-auth`) nothing but an explicit allow admits.
pub fn before_authorizers(
    policy: &ResourcePolicy,
    authorization: &Authorization,
    verified_callers: bool,
    facts: &Facts<'_>,
) -> Result<(), GatewayError> {
    if let Some(why) = &policy.unsupported {
        return Err(GatewayError::configuration(format!(
            "Execution failed: the resource policy cannot be evaluated: {why}"
        )));
    }
    let iam = *authorization == Authorization::AwsIam && verified_callers;
    if iam {
        // Evaluated once the caller is known.
        return Ok(());
    }
    match policy.evaluate(&facts.request(None)) {
        Decision::ExplicitDeny => Err(denied(None, facts.method_arn, true)),
        Decision::ImplicitDeny
            if matches!(authorization, Authorization::None | Authorization::AwsIam) =>
        {
            Err(denied(None, facts.method_arn, false))
        }
        _ => Ok(()),
    }
}

/// After SigV4 verification on an AWS_IAM method: the policy for the verified caller.
pub fn for_iam_caller(
    policy: &ResourcePolicy,
    caller: Option<&Caller>,
    api_account: &str,
    facts: &Facts<'_>,
) -> Result<(), GatewayError> {
    match policy.evaluate(&facts.request(caller)) {
        Decision::Allow => Ok(()),
        Decision::ExplicitDeny => Err(denied(caller, facts.method_arn, true)),
        Decision::ImplicitDeny => match caller {
            Some(c) if c.account_id == api_account => Ok(()),
            _ => Err(denied(caller, facts.method_arn, false)),
        },
    }
}

fn denied(caller: Option<&Caller>, method_arn: &str, explicit: bool) -> GatewayError {
    let user = caller.map_or("anonymous", |c| c.arn.as_str());
    let message =
        format!(
        "User: {user} is not authorized to perform: execute-api:Invoke on resource: {method_arn}{}",
        if explicit { " with an explicit deny" } else { "" }
    );
    GatewayError::with_message(
        ResponseType::AccessDenied,
        message.clone(),
        format!("resource policy: {message}"),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    const ARN: &str = "arn:aws:execute-api:us-east-1:123456789012:apigate/prod/GET/pets";

    fn facts() -> Facts<'static> {
        Facts {
            method_arn: ARN,
            resource: "prod/GET/pets",
            source_ip: "127.0.0.1".parse().ok(),
            user_agent: None,
            referer: None,
        }
    }

    fn caller(account: &str) -> Caller {
        Caller {
            access_key_id: "AKID".into(),
            arn: format!("arn:aws:iam::{account}:user/u"),
            account_id: account.into(),
        }
    }

    #[test]
    fn combines_with_the_authorization_type() {
        let empty = ResourcePolicy::compile(&json!({"Statement": []})).unwrap();
        // No authorization: an implicit deny refuses.
        let e = before_authorizers(&empty, &Authorization::None, true, &facts()).unwrap_err();
        assert_eq!(e.kind, ResponseType::AccessDenied);
        assert_eq!(
            e.message,
            format!("User: anonymous is not authorized to perform: execute-api:Invoke on resource: {ARN}")
        );
        // A Lambda authorizer decides past the explicit-deny check.
        assert!(
            before_authorizers(&empty, &Authorization::Lambda("a".into()), true, &facts()).is_ok()
        );
        // IAM: same account allowed by IAM, another account needs the policy.
        assert!(for_iam_caller(
            &empty,
            Some(&caller("123456789012")),
            "123456789012",
            &facts()
        )
        .is_ok());
        let e = for_iam_caller(
            &empty,
            Some(&caller("999999999999")),
            "123456789012",
            &facts(),
        )
        .unwrap_err();
        assert!(e
            .message
            .starts_with("User: arn:aws:iam::999999999999:user/u is not"));

        let deny = ResourcePolicy::compile(&json!({"Statement": {"Effect": "Deny",
            "Principal": "*", "Action": "*", "Resource": "*"}}))
        .unwrap();
        let e = before_authorizers(&deny, &Authorization::Lambda("a".into()), true, &facts())
            .unwrap_err();
        assert!(e.message.ends_with(" with an explicit deny"));
        let e = for_iam_caller(
            &deny,
            Some(&caller("123456789012")),
            "123456789012",
            &facts(),
        )
        .unwrap_err();
        assert!(e.message.ends_with(" with an explicit deny"));
    }
}
