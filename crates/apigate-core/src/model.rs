//! The validated model: what the runtime executes. Built only by [`crate::load`], only when the
//! definition has no errors. Every regex is compiled and every expression parsed here.

use std::collections::BTreeMap;

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
    pub policy: Option<serde_json::Value>,
    pub disable_execute_api_endpoint: bool,
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
