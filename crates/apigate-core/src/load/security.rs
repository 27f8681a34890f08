//! Security schemes (`securityDefinitions` / `components.securitySchemes`) and what an
//! operation's `security` and `x-amazon-apigateway-auth` make of them.

use std::collections::BTreeMap;

use super::cx::{At, Cx, KeyAt};
use super::root::{report_unread_extension, PREFIX};
use crate::model::{Authorization, OasVersion};
use crate::rules;

/// What a security scheme means to API Gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Scheme {
    /// `x-amazon-apigateway-authtype: awsSigv4` (any `aws*`): IAM.
    Iam,
    /// A plain `apiKey` scheme: the method requires an API key.
    ApiKey,
    /// A Lambda token/request authorizer.
    Lambda,
    /// A Cognito user-pools authorizer.
    Cognito,
    /// Anything API Gateway ignores (already reported).
    Ignored,
}

pub(crate) fn load_schemes(
    cx: &mut Cx<'_>,
    root: &At<'_>,
    version: OasVersion,
) -> BTreeMap<String, Scheme> {
    let container = match version {
        OasVersion::Swagger2 => root.get("securityDefinitions"),
        OasVersion::OpenApi30 => root
            .get("components")
            .and_then(|c| c.get("securitySchemes")),
    };
    let mut schemes = BTreeMap::new();
    let Some(container) = container else {
        return schemes;
    };
    for (key, at) in cx
        .object(&container, "the security schemes")
        .unwrap_or_default()
    {
        let Some(at) = cx.deref(at) else { continue };
        let scheme = load_scheme(cx, key, &at);
        schemes.insert(key.text.to_string(), scheme);
    }
    schemes
}

fn load_scheme(cx: &mut Cx<'_>, key: &crate::source::Key, at: &At<'_>) -> Scheme {
    if cx.object(at, "a security scheme").is_none() {
        return Scheme::Ignored;
    }
    let ty = at
        .get("type")
        .and_then(|t| t.str().map(str::to_string))
        .unwrap_or_default();
    let mut scheme = None;
    for (k, v) in at.entries() {
        match k.text.as_str() {
            "x-amazon-apigateway-authtype" => {
                if let Some(s) = cx.string(&v, "`x-amazon-apigateway-authtype`") {
                    if s.to_ascii_lowercase().starts_with("aws") {
                        scheme = Some(Scheme::Iam);
                    }
                }
            }
            "x-amazon-apigateway-authorizer" => {
                if let Some(s) = authorizer(cx, &v) {
                    scheme = Some(s);
                }
            }
            name if name.starts_with(PREFIX) => {
                report_unread_extension(cx, k, &v, "on a security scheme")
            }
            _ => {}
        }
    }
    if let Some(s) = scheme {
        return s;
    }
    if ty == "apiKey" {
        return Scheme::ApiKey;
    }
    cx.report_hint(
        rules::SECURITY_SCHEME_UNSUPPORTED,
        &KeyAt(key, at),
        format!("security scheme `{}` of type `{ty}` has no meaning to API Gateway; methods using it are open", key.text),
        "API Gateway reads `apiKey` schemes with x-amazon-apigateway-authtype / -authorizer",
    );
    Scheme::Ignored
}

fn authorizer(cx: &mut Cx<'_>, at: &At<'_>) -> Option<Scheme> {
    cx.object(at, "`x-amazon-apigateway-authorizer`")?;
    let Some(ty_at) = at.get("type") else {
        cx.report(
            rules::AUTHORIZER_INVALID,
            at,
            "the authorizer has no `type` (token, request or cognito_user_pools)",
        );
        return None;
    };
    let ty = cx
        .string(&ty_at, "the authorizer `type`")?
        .to_ascii_lowercase();
    let (scheme, required) = match ty.as_str() {
        "token" | "request" => (Scheme::Lambda, "authorizerUri"),
        "cognito_user_pools" => (Scheme::Cognito, "providerARNs"),
        other => {
            cx.report(
                rules::AUTHORIZER_INVALID,
                &ty_at,
                format!("authorizer type `{other}` is not token, request or cognito_user_pools"),
            );
            return None;
        }
    };
    if at.get(required).is_none() {
        cx.report(
            rules::AUTHORIZER_INVALID,
            at,
            format!("a `{ty}` authorizer needs `{required}`"),
        );
        return None;
    }
    cx.report_hint(
        rules::AUTHORIZER_NOT_LOCAL,
        at,
        format!("`{ty}` authorizers cannot run locally; methods that use this scheme answer 500"),
        "use AWS_IAM (SigV4) or no authorization for local runs; see docs/PARITY.md",
    );
    Some(scheme)
}

/// An operation's authorization from its `security` and `x-amazon-apigateway-auth`.
pub(crate) fn operation_auth(
    cx: &mut Cx<'_>,
    op: &At<'_>,
    schemes: &BTreeMap<String, Scheme>,
) -> (Authorization, bool) {
    let mut auth = Authorization::None;
    let mut api_key = false;
    if let Some(security) = op.get("security") {
        for req in cx.array(&security, "`security`").unwrap_or_default() {
            for (name, scopes) in cx
                .object(&req, "a security requirement")
                .unwrap_or_default()
            {
                match schemes.get(name.text.as_str()) {
                    Some(Scheme::Iam) => auth = Authorization::AwsIam,
                    Some(Scheme::ApiKey) => api_key = true,
                    Some(Scheme::Lambda) => auth = Authorization::Lambda(name.text.to_string()),
                    Some(Scheme::Cognito) => {
                        auth = Authorization::CognitoUserPools(name.text.to_string())
                    }
                    Some(Scheme::Ignored) => {}
                    None => {
                        let conventional = name.text == "api_key";
                        api_key |= conventional;
                        cx.report_hint(
                            rules::SECURITY_SCHEME_UNDEFINED,
                            &KeyAt(name, &scopes),
                            if conventional {
                                "security scheme `api_key` is not defined; it is read as AWS's API-key convention (x-api-key header required)".to_string()
                            } else {
                                format!("security scheme `{}` is not defined; it does not protect this method", name.text)
                            },
                            "define it under securityDefinitions (2.0) or components.securitySchemes (3.0)",
                        );
                    }
                }
            }
        }
    }
    if let Some(at) = op.get("x-amazon-apigateway-auth") {
        if cx.object(&at, "`x-amazon-apigateway-auth`").is_some() {
            match at.get("type") {
                Some(t) => match t.str().map(str::to_ascii_uppercase).as_deref() {
                    Some("AWS_IAM") => auth = Authorization::AwsIam,
                    Some("NONE") => auth = Authorization::None,
                    _ => {
                        let v = t.node.to_json();
                        cx.report(
                            rules::AUTH_TYPE_INVALID,
                            &t,
                            format!("`x-amazon-apigateway-auth` type {v} is not NONE or AWS_IAM"),
                        );
                    }
                },
                None => {
                    cx.report(
                        rules::AUTH_TYPE_INVALID,
                        &at,
                        "`x-amazon-apigateway-auth` has no `type` (NONE or AWS_IAM)",
                    );
                }
            }
        }
    }
    (auth, api_key)
}
