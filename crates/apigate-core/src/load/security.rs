//! Security schemes (`securityDefinitions` / `components.securitySchemes`) and what an
//! operation's `security` and `x-amazon-apigateway-auth` make of them: IAM, API keys, and the
//! Lambda and Cognito authorizers of `x-amazon-apigateway-authorizer`, validated into
//! [`AuthorizerDef`]s.

use std::collections::BTreeMap;

use super::cx::{At, Cx, KeyAt};
use super::integration::credentials_value;
use super::root::{report_unread_extension, PREFIX};
use crate::model::{
    Authorization, AuthorizerDef, AuthorizerKind, IdentitySource, OasVersion, UserPool,
};
use crate::rules;
use crate::uri::{self, AwsAction, Part};

/// What a security scheme means to API Gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Scheme {
    /// `x-amazon-apigateway-authtype: awsSigv4` (any `aws*`): IAM.
    Iam,
    /// A plain `apiKey` scheme: the method requires an API key.
    ApiKey,
    /// A Lambda token/request authorizer (its definition is in [`Schemes::authorizers`]).
    Lambda,
    /// A Cognito user-pools authorizer (likewise).
    Cognito,
    /// Anything API Gateway ignores (already reported), or an authorizer that does not load
    /// (an error was reported).
    Ignored,
}

/// The document's security schemes and the authorizers among them.
#[derive(Debug, Default)]
pub(crate) struct Schemes {
    pub by_name: BTreeMap<String, Scheme>,
    pub authorizers: BTreeMap<String, AuthorizerDef>,
    /// The authorizer the root-level `security` names, with its scopes: it protects every
    /// operation without a `security` of its own.
    pub default: Option<(Authorization, Vec<String>)>,
}

/// The longest authorizer cache AWS allows (one hour).
const MAX_TTL_SECONDS: i64 = 3600;
/// AWS's default `authorizerResultTtlInSeconds`.
const DEFAULT_TTL_SECONDS: u32 = 300;

/// Fields of `x-amazon-apigateway-authorizer` a REST API reads.
const AUTHORIZER_FIELDS: &[&str] = &[
    "type",
    "authorizerUri",
    "authorizerCredentials",
    "identitySource",
    "identityValidationExpression",
    "authorizerResultTtlInSeconds",
    "providerARNs",
];
/// Fields of `x-amazon-apigateway-authorizer` that only HTTP APIs read.
const HTTP_API_AUTHORIZER_FIELDS: &[&str] = &[
    "jwtConfiguration",
    "authorizerPayloadFormatVersion",
    "enableSimpleResponses",
];

pub(crate) fn load_schemes(cx: &mut Cx<'_>, root: &At<'_>, version: OasVersion) -> Schemes {
    let container = match version {
        OasVersion::Swagger2 => root.get("securityDefinitions"),
        OasVersion::OpenApi30 => root
            .get("components")
            .and_then(|c| c.get("securitySchemes")),
    };
    let mut schemes = Schemes::default();
    if let Some(container) = container {
        for (key, at) in cx
            .object(&container, "the security schemes")
            .unwrap_or_default()
        {
            let Some(at) = cx.deref(at) else { continue };
            let scheme = load_scheme(cx, key, &at, &mut schemes.authorizers);
            schemes.by_name.insert(key.text.to_string(), scheme);
        }
    }
    schemes.default = root_security(cx, root, &schemes.by_name);
    schemes
}

fn load_scheme(
    cx: &mut Cx<'_>,
    key: &crate::source::Key,
    at: &At<'_>,
    authorizers: &mut BTreeMap<String, AuthorizerDef>,
) -> Scheme {
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
                scheme = Some(match authorizer(cx, &key.text, at, &v) {
                    Some(def) => {
                        let s = match def.kind {
                            AuthorizerKind::CognitoUserPools => Scheme::Cognito,
                            _ => Scheme::Lambda,
                        };
                        authorizers.insert(key.text.to_string(), def);
                        s
                    }
                    None => Scheme::Ignored,
                });
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

/// `x-amazon-apigateway-authorizer` of the scheme `name` (`scheme` is the scheme object: TOKEN
/// and Cognito authorizers read their header from its `name`). `None` when it does not load
/// (each problem reported).
fn authorizer(cx: &mut Cx<'_>, name: &str, scheme: &At<'_>, at: &At<'_>) -> Option<AuthorizerDef> {
    cx.object(at, "`x-amazon-apigateway-authorizer`")?;
    for (k, v) in at.entries() {
        let field = k.text.as_str();
        if HTTP_API_AUTHORIZER_FIELDS.contains(&field) {
            cx.report(
                rules::EXTENSION_HTTP_API_ONLY,
                &KeyAt(k, &v),
                format!("authorizer field `{field}` applies to HTTP APIs only"),
            );
        } else if !AUTHORIZER_FIELDS.contains(&field) {
            cx.report(
                rules::UNKNOWN_FIELD,
                &KeyAt(k, &v),
                format!("`{field}` is not an authorizer field; it is ignored"),
            );
        }
    }
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
    let kind = match ty.as_str() {
        "token" => AuthorizerKind::Token,
        "request" => AuthorizerKind::Request,
        "cognito_user_pools" => AuthorizerKind::CognitoUserPools,
        other => {
            cx.report(
                rules::AUTHORIZER_INVALID,
                &ty_at,
                format!("authorizer type `{other}` is not token, request or cognito_user_pools"),
            );
            return None;
        }
    };
    let mut ok = true;
    let function = match kind {
        AuthorizerKind::CognitoUserPools => None,
        _ => {
            let f = function(cx, at, &ty);
            ok &= f.is_some();
            f
        }
    };
    let user_pools = match kind {
        AuthorizerKind::CognitoUserPools => {
            let pools = user_pools(cx, at);
            ok &= !pools.is_empty();
            pools
        }
        _ => Vec::new(),
    };
    let credentials = at
        .get("authorizerCredentials")
        .filter(|c| c.node.value != crate::source::Value::Null)
        .and_then(|c| {
            let parsed = credentials_value(cx, &c, "`authorizerCredentials`");
            ok &= parsed.is_some();
            parsed
        });
    let explicit_ttl = at.get("authorizerResultTtlInSeconds");
    let ttl_seconds = match &explicit_ttl {
        None => None,
        Some(t) => match t.node.as_i64() {
            Some(n @ 0..=MAX_TTL_SECONDS) => u32::try_from(n).ok(),
            _ => {
                let v = t.node.to_json();
                cx.report_hint(
                    rules::AUTHORIZER_INVALID,
                    t,
                    format!("authorizerResultTtlInSeconds {v} is not an integer from 0 to 3600"),
                    "AWS caches authorizer results for at most an hour; 0 turns the cache off",
                );
                ok = false;
                None
            }
        },
    };
    let identity_sources = match kind {
        AuthorizerKind::Request => request_identity(cx, at, &mut ok),
        _ => {
            if let Some(src) = at.get("identitySource") {
                cx.report_hint(
                    rules::UNKNOWN_FIELD,
                    &src,
                    format!("a `{ty}` authorizer reads its token from the header the security scheme names; `identitySource` is ignored"),
                    "set the header in the scheme's `name` (type apiKey, in header)",
                );
            }
            match scheme_header(cx, name, scheme, &ty) {
                Some(h) => vec![IdentitySource::Header(h)],
                None => {
                    ok = false;
                    Vec::new()
                }
            }
        }
    };
    // AWS needs an identity source to key its cache: a REQUEST authorizer without one caches
    // nothing (its default TTL falls to 0), and asking for a cache is refused.
    let ttl_seconds = match (kind, ttl_seconds) {
        (AuthorizerKind::Request, Some(n)) if n > 0 && identity_sources.is_empty() => {
            if let Some(t) = &explicit_ttl {
                cx.report_hint(
                    rules::AUTHORIZER_INVALID,
                    t,
                    "a REQUEST authorizer that caches its results needs an `identitySource` (its values are the cache key)",
                    "add identitySource, or set authorizerResultTtlInSeconds: 0",
                );
            }
            ok = false;
            0
        }
        (AuthorizerKind::Request, None) if identity_sources.is_empty() => 0,
        (_, Some(n)) => n,
        (_, None) => DEFAULT_TTL_SECONDS,
    };
    let validation = at
        .get("identityValidationExpression")
        .and_then(|v| validation(cx, &v, kind, &ty, &mut ok));
    if ok && kind == AuthorizerKind::CognitoUserPools {
        let arns: Vec<&str> = user_pools.iter().map(|p| p.arn.as_str()).collect();
        cx.report_hint(
            rules::COGNITO_JWKS_REQUIRED,
            at,
            format!("Cognito authorizer `{name}` verifies tokens against its user pools' keys: {}", arns.join(", ")),
            format!("give them to apigate serve / test-invoke: --jwks {}=FILE|URL (the pool's .well-known/jwks.json)", arns.first().copied().unwrap_or("POOL_ARN")),
        );
    }
    ok.then(|| AuthorizerDef {
        name: name.to_string(),
        kind,
        function,
        credentials,
        identity_sources,
        validation,
        ttl_seconds,
        user_pools,
    })
}

/// `authorizerUri`: an AWS Lambda invocation URI,
/// `arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/FUNCTION_ARN/invocations`.
fn function(cx: &mut Cx<'_>, at: &At<'_>, ty: &str) -> Option<uri::AwsUri> {
    let Some(uri_at) = at.get("authorizerUri") else {
        cx.report_hint(
            rules::AUTHORIZER_INVALID,
            at,
            format!("a `{ty}` authorizer needs `authorizerUri`"),
            "arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/FUNCTION_ARN/invocations",
        );
        return None;
    };
    let text = cx.string(&uri_at, "`authorizerUri`")?;
    let parsed = uri::parse_aws_uri(text).and_then(|u| {
        let invocations = match &u.action {
            AwsAction::Path(t) => is_invocations_path(&t.parts),
            AwsAction::Action { .. } => false,
        };
        if u.service != "lambda" || !invocations {
            return Err("an authorizer URI must invoke a Lambda function (`lambda:path/2015-03-31/functions/FUNCTION_ARN/invocations`)".to_string());
        }
        Ok(u)
    });
    match parsed {
        Ok(u) => Some(u),
        Err(why) => {
            cx.report_hint(
                rules::AUTHORIZER_INVALID,
                &uri_at,
                format!("`{text}`: {why}"),
                "arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/FUNCTION_ARN/invocations",
            );
            None
        }
    }
}

/// Whether a URI path template is `/2015-03-31/functions/{something}/invocations`, the
/// something being literal text or stage variables (no `{placeholder}`).
fn is_invocations_path(parts: &[Part]) -> bool {
    let mut text = String::new();
    for part in parts {
        match part {
            Part::Literal(l) => text.push_str(l),
            Part::StageVariable(_) => text.push('x'),
            Part::Placeholder(_) => return false,
        }
    }
    text.strip_prefix("/2015-03-31/functions/")
        .and_then(|rest| rest.strip_suffix("/invocations"))
        .is_some_and(|function| !function.is_empty() && !function.contains('/'))
}

/// `providerARNs`: the Cognito user pools whose tokens are accepted.
fn user_pools(cx: &mut Cx<'_>, at: &At<'_>) -> Vec<UserPool> {
    let Some(arns) = at.get("providerARNs") else {
        cx.report_hint(
            rules::AUTHORIZER_INVALID,
            at,
            "a `cognito_user_pools` authorizer needs `providerARNs`",
            "providerARNs: [arn:aws:cognito-idp:REGION:ACCOUNT_ID:userpool/POOL_ID]",
        );
        return Vec::new();
    };
    let mut pools = Vec::new();
    let mut all_ok = true;
    for item in cx.array(&arns, "`providerARNs`").unwrap_or_default() {
        let Some(text) = cx.string(&item, "a provider ARN") else {
            all_ok = false;
            continue;
        };
        match UserPool::parse(text) {
            Ok(pool) => pools.push(pool),
            Err(why) => {
                cx.report(
                    rules::AUTHORIZER_INVALID,
                    &item,
                    format!("`{text}` is not a Cognito user pool ARN: {why}"),
                );
                all_ok = false;
            }
        }
    }
    if pools.is_empty() && all_ok {
        cx.report(
            rules::AUTHORIZER_INVALID,
            &arns,
            "`providerARNs` names no user pool",
        );
    }
    if all_ok {
        pools
    } else {
        Vec::new()
    }
}

/// A REQUEST authorizer's `identitySource`: comma-separated mapping expressions.
fn request_identity(cx: &mut Cx<'_>, at: &At<'_>, ok: &mut bool) -> Vec<IdentitySource> {
    let Some(src_at) = at.get("identitySource") else {
        return Vec::new();
    };
    let Some(text) = cx.string(&src_at, "`identitySource`") else {
        *ok = false;
        return Vec::new();
    };
    let mut sources = Vec::new();
    for expr in text.split(',').map(str::trim) {
        match IdentitySource::parse(expr) {
            Ok(s) => sources.push(s),
            Err(why) => {
                cx.report_hint(
                    rules::AUTHORIZER_INVALID,
                    &src_at,
                    format!("identity source `{expr}`: {why}"),
                    "e.g. method.request.header.Auth, method.request.querystring.token, stageVariables.key, context.sourceIp",
                );
                *ok = false;
            }
        }
    }
    sources
}

/// The header a TOKEN or Cognito authorizer reads: the scheme's `name` (`in: header`).
fn scheme_header(cx: &mut Cx<'_>, name: &str, scheme: &At<'_>, ty: &str) -> Option<String> {
    let header = scheme.get("name").and_then(|n| n.str().map(str::to_string));
    let in_header = scheme
        .get("in")
        .and_then(|i| i.str().map(|s| s.eq_ignore_ascii_case("header")))
        .unwrap_or(true);
    match header {
        Some(h)
            if in_header
                && IdentitySource::parse(&format!("method.request.header.{h}")).is_ok() =>
        {
            Some(h)
        }
        _ => {
            cx.report_hint(
                rules::AUTHORIZER_INVALID,
                scheme,
                format!("security scheme `{name}` has a `{ty}` authorizer but names no header to read the token from"),
                "type: apiKey, in: header, name: Authorization",
            );
            None
        }
    }
}

/// `identityValidationExpression`, compiled (Java syntax, whole-string match).
fn validation(
    cx: &mut Cx<'_>,
    at: &At<'_>,
    kind: AuthorizerKind,
    ty: &str,
    ok: &mut bool,
) -> Option<crate::java_regex::JavaRegex> {
    let text = cx.string(at, "`identityValidationExpression`")?;
    if kind == AuthorizerKind::Request {
        cx.report(
            rules::UNKNOWN_FIELD,
            at,
            format!(
                "a `{ty}` authorizer does not read `identityValidationExpression`; it is ignored"
            ),
        );
        return None;
    }
    match cx.selection_pattern(text) {
        Ok(r) => Some(r),
        Err(e) => {
            cx.report(
                rules::AUTHORIZER_INVALID,
                at,
                format!("identityValidationExpression `{text}`: {e}"),
            );
            *ok = false;
            None
        }
    }
}

/// The root-level `security`: API Gateway's import makes the first authorizer it names the
/// default of every operation without a `security` of its own (recorded on AWS: LocalStack's
/// snapshots `test_import_with_global_api_key_authorizer` and
/// `test_import_with_cognito_auth_identity_source`). Other schemes there (IAM, API keys) are
/// ignored, and reported.
fn root_security(
    cx: &mut Cx<'_>,
    root: &At<'_>,
    schemes: &BTreeMap<String, Scheme>,
) -> Option<(Authorization, Vec<String>)> {
    let (key, at) = root.entries().find(|(k, _)| k.text == "security")?;
    let mut default = None;
    let mut ignored = Vec::new();
    for req in cx.array(&at, "`security`").unwrap_or_default() {
        for (name, scopes) in cx
            .object(&req, "a security requirement")
            .unwrap_or_default()
        {
            let auth = match schemes.get(name.text.as_str()) {
                Some(Scheme::Lambda) => Authorization::Lambda(name.text.to_string()),
                Some(Scheme::Cognito) => Authorization::CognitoUserPools(name.text.to_string()),
                Some(Scheme::Ignored) => continue,
                _ => {
                    ignored.push(name.text.to_string());
                    continue;
                }
            };
            if default.is_none() {
                default = Some((auth, scope_list(cx, &scopes)));
            }
        }
    }
    if !ignored.is_empty() {
        cx.report_hint(
            rules::ROOT_SECURITY_IGNORED,
            &KeyAt(key, &at),
            format!(
                "root-level `security` sets only a default authorizer; {} is ignored",
                ignored
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            "add `security` to each operation that needs it",
        );
    }
    default
}

/// The scopes of a security requirement (`{scheme: [scopes]}`).
fn scope_list(cx: &mut Cx<'_>, at: &At<'_>) -> Vec<String> {
    cx.array(at, "the scopes of a security requirement")
        .unwrap_or_default()
        .filter_map(|s| cx.string(&s, "a scope").map(str::to_string))
        .collect()
}

/// An operation's authorization, its scopes and whether it requires an API key, from its
/// `security` (else the root's default authorizer) and `x-amazon-apigateway-auth`.
pub(crate) fn operation_auth(
    cx: &mut Cx<'_>,
    op: &At<'_>,
    schemes: &Schemes,
) -> (Authorization, Vec<String>, bool) {
    let mut auth = Authorization::None;
    let mut scopes = Vec::new();
    let mut api_key = false;
    match op.get("security") {
        Some(security) => {
            for req in cx.array(&security, "`security`").unwrap_or_default() {
                for (name, listed) in cx
                    .object(&req, "a security requirement")
                    .unwrap_or_default()
                {
                    match schemes.by_name.get(name.text.as_str()) {
                        Some(Scheme::Iam) => auth = Authorization::AwsIam,
                        Some(Scheme::ApiKey) => api_key = true,
                        Some(Scheme::Lambda) => {
                            auth = Authorization::Lambda(name.text.to_string());
                            scopes = scope_list(cx, &listed);
                        }
                        Some(Scheme::Cognito) => {
                            auth = Authorization::CognitoUserPools(name.text.to_string());
                            scopes = scope_list(cx, &listed);
                        }
                        Some(Scheme::Ignored) => {}
                        None => {
                            let conventional = name.text == "api_key";
                            api_key |= conventional;
                            cx.report_hint(
                                rules::SECURITY_SCHEME_UNDEFINED,
                                &KeyAt(name, &listed),
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
        None => {
            if let Some((default, default_scopes)) = &schemes.default {
                auth = default.clone();
                scopes.clone_from(default_scopes);
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
    if !matches!(
        auth,
        Authorization::Lambda(_) | Authorization::CognitoUserPools(_)
    ) {
        scopes.clear();
    }
    (auth, scopes, api_key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invocation_paths() {
        let path = |p: &str| match uri::parse_aws_uri(&format!(
            "arn:aws:apigateway:us-east-1:lambda:path{p}"
        ))
        .map(|u| u.action)
        {
            Ok(AwsAction::Path(t)) => is_invocations_path(&t.parts),
            _ => false,
        };
        assert!(path(
            "/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:auth/invocations"
        ));
        assert!(path("/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:${stageVariables.fn}/invocations"));
        assert!(!path("/2015-03-31/functions//invocations"));
        assert!(!path("/2015-03-31/functions/{f}/invocations"));
        assert!(!path("/2015-03-31/functions/x"));
    }
}
