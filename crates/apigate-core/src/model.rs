//! The validated model: what the runtime executes. Built only by [`crate::load`], only when the
//! definition has no errors. Every regex is compiled and every expression parsed here.

use std::collections::BTreeMap;

use crate::context_var::ContextVar;
use crate::gateway_template::GatewayTemplate;
use crate::java_regex::JavaRegex;
use crate::mapping::{ParamLocation, RequestTarget, Source};
use crate::media::MediaRange;
use crate::response_types::GatewayResponseKey;
use crate::routes::RouteTable;
use crate::uri::{AwsUri, HttpUri};

/// Which OpenAPI dialect the definition was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OasVersion {
    Swagger2,
    OpenApi30,
}

/// How basePath maps onto resources and the stage (AWS's `basepath` import parameter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BasePathMode {
    /// Resources are the paths as written; the first basePath segment is the stage (default).
    #[default]
    Ignore,
    /// basePath segments become resources; no stage is implied.
    Prepend,
    /// The first basePath segment is the stage; the rest is prepended to every path.
    Split,
}

impl std::str::FromStr for BasePathMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "ignore" => Ok(BasePathMode::Ignore),
            "prepend" => Ok(BasePathMode::Prepend),
            "split" => Ok(BasePathMode::Split),
            other => Err(format!(
                "`{other}` is not a basePath mode (ignore, prepend, split)"
            )),
        }
    }
}

/// An HTTP verb API Gateway routes on (`Any` = `x-amazon-apigateway-any-method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HttpMethod {
    Get,
    Put,
    Post,
    Delete,
    Patch,
    Head,
    Options,
    Any,
}

impl HttpMethod {
    pub const VERBS: [HttpMethod; 7] = [
        HttpMethod::Delete,
        HttpMethod::Get,
        HttpMethod::Head,
        HttpMethod::Options,
        HttpMethod::Patch,
        HttpMethod::Post,
        HttpMethod::Put,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Put => "PUT",
            HttpMethod::Post => "POST",
            HttpMethod::Delete => "DELETE",
            HttpMethod::Patch => "PATCH",
            HttpMethod::Head => "HEAD",
            HttpMethod::Options => "OPTIONS",
            HttpMethod::Any => "ANY",
        }
    }

    /// Parses an upper- or lower-case verb name (`ANY` included).
    pub fn parse(s: &str) -> Option<HttpMethod> {
        const ALL: [(&str, HttpMethod); 8] = [
            ("GET", HttpMethod::Get),
            ("PUT", HttpMethod::Put),
            ("POST", HttpMethod::Post),
            ("DELETE", HttpMethod::Delete),
            ("PATCH", HttpMethod::Patch),
            ("HEAD", HttpMethod::Head),
            ("OPTIONS", HttpMethod::Options),
            ("ANY", HttpMethod::Any),
        ];
        ALL.iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(s))
            .map(|&(_, m)| m)
    }
}

/// A loaded, validated API.
#[derive(Debug)]
pub struct Api {
    pub title: String,
    pub version: OasVersion,
    /// The stage the definition implies (from basePath), if any.
    pub stage: Option<String>,
    pub base_path_mode: BasePathMode,
    pub routes: RouteTable,
    pub binary_media_types: Vec<MediaRange>,
    pub gateway_responses: BTreeMap<GatewayResponseKey, GatewayResponse>,
    pub request_validators: BTreeMap<String, RequestValidator>,
    pub api_key_source: ApiKeySource,
    pub minimum_compression_size: Option<u32>,
    /// The resource policy (`x-amazon-apigateway-policy`), compiled.
    pub policy: Option<crate::resource_policy::ResourcePolicy>,
    pub disable_execute_api_endpoint: bool,
    /// Lambda and Cognito authorizers, by security scheme name (methods name them in
    /// [`Authorization::Lambda`] / [`Authorization::CognitoUserPools`]).
    pub authorizers: BTreeMap<String, AuthorizerDef>,
}

impl Api {
    /// Every method, in route-table order.
    pub fn methods(&self) -> impl Iterator<Item = &Method> {
        self.routes.methods()
    }
}

/// One method of one resource.
#[derive(Debug)]
pub struct Method {
    pub verb: HttpMethod,
    /// The resource path template, e.g. `/{folder}/{item}`.
    pub resource_path: String,
    /// JSON pointer of the operation in the source document.
    pub pointer: String,
    pub operation_id: Option<String>,
    pub parameters: Vec<MethodParameter>,
    pub authorization: Authorization,
    /// The scopes of the method's `security` requirement (`{scheme: [scopes]}`): a Cognito
    /// authorizer requires an access token whose `scope` claim holds one of them.
    pub authorization_scopes: Vec<String>,
    pub api_key_required: bool,
    /// Name of the request validator in force (method override, else API default).
    pub request_validator: Option<String>,
    /// Request models by content type, compiled; loaded only when the validator in force has
    /// `validateRequestBody: true` (empty otherwise).
    pub request_models: Vec<crate::body_validation::RequestModel>,
    /// Method responses: status → declared header names.
    pub responses: BTreeMap<u16, Vec<String>>,
    pub integration: Integration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodParameter {
    pub location: ParamLocation,
    pub name: String,
    pub required: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authorization {
    None,
    AwsIam,
    /// A Lambda (token/request) authorizer, by security scheme name.
    Lambda(String),
    /// A Cognito user-pools authorizer, by security scheme name.
    CognitoUserPools(String),
}

impl Authorization {
    pub fn as_str(&self) -> &str {
        match self {
            Authorization::None => "NONE",
            Authorization::AwsIam => "AWS_IAM",
            Authorization::Lambda(_) => "CUSTOM",
            Authorization::CognitoUserPools(_) => "COGNITO_USER_POOLS",
        }
    }
}

/// An `x-amazon-apigateway-authorizer`, validated: what the authorize stage runs for the
/// methods that name its security scheme.
#[derive(Debug, Clone)]
pub struct AuthorizerDef {
    /// The security scheme's name.
    pub name: String,
    pub kind: AuthorizerKind,
    /// The Lambda function (`authorizerUri`, an `arn:…:apigateway:…:lambda:path/2015-03-31/
    /// functions/{arn}/invocations` URI, which may use `${stageVariables.x}`); `None` for
    /// Cognito.
    pub function: Option<AwsUri>,
    /// `authorizerCredentials`: the role API Gateway assumes to invoke the function.
    pub credentials: Option<Credentials>,
    /// Where the identity is read, in order. TOKEN and Cognito: the scheme's header.
    pub identity_sources: Vec<IdentitySource>,
    /// `identityValidationExpression`, compiled: TOKEN authorizers match it against the
    /// token, Cognito authorizers against the token's `aud` claim (whole-string match).
    pub validation: Option<JavaRegex>,
    /// `authorizerResultTtlInSeconds` (0–3600, default 300); 0 turns the cache off.
    pub ttl_seconds: u32,
    /// Cognito: the user pools whose tokens are accepted (`providerARNs`).
    pub user_pools: Vec<UserPool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthorizerKind {
    /// A Lambda authorizer given one token (the scheme's header).
    Token,
    /// A Lambda authorizer given the request's parameters.
    Request,
    /// A Cognito user pool's JWTs, verified by the gateway itself.
    CognitoUserPools,
}

impl AuthorizerKind {
    /// The `type` as AWS's API spells it (`TOKEN`, `REQUEST`, `COGNITO_USER_POOLS`).
    pub fn as_str(self) -> &'static str {
        match self {
            AuthorizerKind::Token => "TOKEN",
            AuthorizerKind::Request => "REQUEST",
            AuthorizerKind::CognitoUserPools => "COGNITO_USER_POOLS",
        }
    }
}

/// One identity source: a request value an authorizer needs (its absence answers 401 without
/// calling the authorizer) and that keys its cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentitySource {
    /// `method.request.header.NAME`.
    Header(String),
    /// `method.request.querystring.NAME`.
    QueryString(String),
    /// `stageVariables.NAME`.
    StageVariable(String),
    /// `context.NAME`.
    Context(ContextVar),
}

impl IdentitySource {
    /// Parses one mapping expression of an `identitySource` list.
    pub fn parse(expr: &str) -> Result<IdentitySource, String> {
        let name_ok =
            |n: &str| !n.is_empty() && !n.chars().any(|c| c.is_whitespace() || c.is_control());
        if let Some(n) = expr.strip_prefix("method.request.header.") {
            if name_ok(n)
                && n.bytes()
                    .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b))
            {
                return Ok(IdentitySource::Header(n.to_string()));
            }
            return Err(format!("`{n}` is not a header name"));
        }
        if let Some(n) = expr.strip_prefix("method.request.querystring.") {
            if name_ok(n) {
                return Ok(IdentitySource::QueryString(n.to_string()));
            }
            return Err(format!("`{n}` is not a query string parameter name"));
        }
        if let Some(n) = expr.strip_prefix("stageVariables.") {
            if !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Ok(IdentitySource::StageVariable(n.to_string()));
            }
            return Err(format!(
                "`{n}` is not a stage variable name (A-Z a-z 0-9 _)"
            ));
        }
        if let Some(n) = expr.strip_prefix("context.") {
            return ContextVar::parse(n)
                .map(IdentitySource::Context)
                .ok_or_else(|| format!("`context.{n}` is not a context variable"));
        }
        if expr.starts_with("method.request.path.") {
            return Err("path parameters cannot be identity sources".into());
        }
        Err(format!(
            "`{expr}` is not method.request.header.NAME, method.request.querystring.NAME, stageVariables.NAME or context.NAME"
        ))
    }

    /// The expression as written in `identitySource`.
    pub fn expression(&self) -> String {
        match self {
            IdentitySource::Header(n) => format!("method.request.header.{n}"),
            IdentitySource::QueryString(n) => format!("method.request.querystring.{n}"),
            IdentitySource::StageVariable(n) => format!("stageVariables.{n}"),
            IdentitySource::Context(v) => format!("context.{v}"),
        }
    }
}

/// A Cognito user pool named by a `providerARNs` entry
/// (`arn:aws:cognito-idp:REGION:ACCOUNT:userpool/POOL_ID`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserPool {
    pub arn: String,
    pub region: String,
    pub pool_id: String,
}

impl UserPool {
    /// Parses a user pool ARN.
    pub fn parse(arn: &str) -> Result<UserPool, String> {
        let fields: Vec<&str> = arn.splitn(6, ':').collect();
        let ["arn", partition, "cognito-idp", region, account, resource] = fields.as_slice() else {
            return Err("expected arn:aws:cognito-idp:REGION:ACCOUNT_ID:userpool/POOL_ID".into());
        };
        if !partition.starts_with("aws") {
            return Err(format!("`{partition}` is not an AWS partition"));
        }
        if region.is_empty()
            || !region
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(format!("`{region}` is not an AWS region"));
        }
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("`{account}` is not a 12-digit account id"));
        }
        let pool_id = resource
            .strip_prefix("userpool/")
            .filter(|id| {
                !id.is_empty()
                    && id
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            })
            .ok_or_else(|| format!("`{resource}` is not userpool/POOL_ID"))?;
        Ok(UserPool {
            arn: arn.to_string(),
            region: (*region).to_string(),
            pool_id: pool_id.to_string(),
        })
    }

    /// The `iss` claim of the pool's tokens: `https://cognito-idp.{region}.amazonaws.com/{id}`.
    pub fn issuer(&self) -> String {
        format!(
            "https://cognito-idp.{}.amazonaws.com/{}",
            self.region, self.pool_id
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntegrationType {
    Aws,
    AwsProxy,
    Http,
    HttpProxy,
    Mock,
}

impl IntegrationType {
    /// The integration-request header names API Gateway reserves for this type (lower case):
    /// a mapping onto one imports, and calling the method answers 500 (recorded on AWS:
    /// LocalStack's snapshot test_apigateway_header_remapping, 2024-12-11; docs/PARITY.md).
    pub fn reserved_request_headers(self) -> &'static [&'static str] {
        match self {
            IntegrationType::Http | IntegrationType::HttpProxy => {
                &["content-length", "transfer-encoding"]
            }
            IntegrationType::Aws | IntegrationType::AwsProxy => &[
                "authorization",
                "connection",
                "content-length",
                "expect",
                "proxy-authenticate",
                "te",
                "transfer-encoding",
            ],
            IntegrationType::Mock => &[],
        }
    }

    pub fn parse(s: &str) -> Option<IntegrationType> {
        const ALL: [(&str, IntegrationType); 5] = [
            ("aws", IntegrationType::Aws),
            ("aws_proxy", IntegrationType::AwsProxy),
            ("http", IntegrationType::Http),
            ("http_proxy", IntegrationType::HttpProxy),
            ("mock", IntegrationType::Mock),
        ];
        ALL.iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(s))
            .map(|&(_, t)| t)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            IntegrationType::Aws => "aws",
            IntegrationType::AwsProxy => "aws_proxy",
            IntegrationType::Http => "http",
            IntegrationType::HttpProxy => "http_proxy",
            IntegrationType::Mock => "mock",
        }
    }

    pub fn is_proxy(self) -> bool {
        matches!(self, IntegrationType::AwsProxy | IntegrationType::HttpProxy)
    }
}

/// Where the integration sends the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Mock,
    Http(HttpUri),
    /// An AWS service; `S3` is executed, others fail closed at run time.
    Aws(AwsUri),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Passthrough {
    WhenNoMatch,
    WhenNoTemplates,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentHandling {
    ConvertToBinary,
    ConvertToText,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    /// An IAM role to assume.
    Role(String),
    /// `arn:aws:iam::*:user/*`: call the backend as the caller.
    Caller,
}

/// A request-parameter mapping `target ← source`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestMapping {
    pub target: RequestTarget,
    pub source: Source,
    /// The source is the method's greedy `{name+}` path parameter: its value is a path, and its
    /// `/` stay unencoded in the integration URI.
    pub greedy: bool,
}

/// A method-response header mapping `method.response.header.NAME ← source`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderMapping {
    pub header: String,
    pub source: Source,
}

#[derive(Debug)]
pub struct Integration {
    pub kind: IntegrationType,
    pub target: Target,
    /// Verb toward the backend; `None` for mock, `Some(Any)` = the incoming verb.
    pub http_method: Option<HttpMethod>,
    pub credentials: Option<Credentials>,
    pub request_parameters: Vec<RequestMapping>,
    /// Request templates in document order.
    pub request_templates: Vec<MappingTemplate>,
    pub passthrough: Passthrough,
    pub content_handling: Option<ContentHandling>,
    pub timeout_ms: u32,
    pub cache_key_parameters: Vec<String>,
    pub tls_insecure_skip_verification: bool,
    /// Pattern responses in document order, then the default (if any) last.
    pub responses: Vec<IntegrationResponse>,
}

impl Integration {
    /// Picks the integration response for a backend status / Lambda error string:
    /// the first pattern (document order) that matches the whole string, else the default.
    pub fn select_response(&self, selector: &str) -> Option<&IntegrationResponse> {
        self.responses
            .iter()
            .find(|r| r.pattern.as_ref().is_some_and(|p| p.is_match(selector)))
            .or_else(|| self.responses.iter().find(|r| r.pattern.is_none()))
    }
}

#[derive(Debug)]
pub struct IntegrationResponse {
    /// `None` = the `default` response.
    pub pattern: Option<JavaRegex>,
    pub status: u16,
    pub response_parameters: Vec<HeaderMapping>,
    /// Response templates in document order.
    pub response_templates: Vec<MappingTemplate>,
    pub content_handling: Option<ContentHandling>,
}

/// A mapping template (VTL, or Handlebars where the definition opts in), compiled at load time.
#[derive(Debug, Clone)]
pub struct MappingTemplate {
    /// The media type that selects it (`application/json`).
    pub content_type: String,
    pub source: String,
    /// `None` when the template does not parse (reported as `template-syntax`); a request
    /// that selects it answers 500, as AWS does.
    pub compiled: Option<std::sync::Arc<apigate_template::Compiled>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayResponse {
    pub status: Option<u16>,
    pub response_parameters: Vec<HeaderMapping>,
    /// Content type → template, parsed at load.
    pub response_templates: Vec<(String, GatewayTemplate)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RequestValidator {
    pub validate_request_body: bool,
    pub validate_request_parameters: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ApiKeySource {
    #[default]
    Header,
    Authorizer,
}
