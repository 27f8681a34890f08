//! Integrations: the backend call of the lifecycle. The lifecycle builds an
//! [`EndpointRequest`] from the method request and its mappings; an integration sends it and
//! returns the [`EndpointResponse`] that integration-response selection works on.

pub mod aws;
pub mod aws_service;
pub mod client;
pub mod connector;
pub mod http;
pub mod lambda;
pub mod s3;
pub mod signer;

use crate::body::{self, Body};
use crate::error::GatewayError;
use ::http::HeaderMap;
use apigate_core::model::{Integration, IntegrationType, Target};
use apigate_core::path_safety;
use apigate_core::uri::{Part, Template};
use std::collections::{BTreeMap, BTreeSet};

/// What an `aws` integration's call needs besides the endpoint request: the integration's
/// URI and role, the caller's credentials (for `arn:aws:iam::*:user/*` pass-through), the
/// stage variables the URI may name, and the most bytes read when the payload must be read
/// whole (services that sign its hash; S3 for an upload of unknown length).
#[derive(Debug, Clone, Copy)]
pub struct AwsCall<'a> {
    pub uri: &'a apigate_core::uri::AwsUri,
    pub role: Option<&'a apigate_core::model::Credentials>,
    pub caller: Option<&'a crate::auth::CallerCredentials>,
    pub stage_variables: &'a BTreeMap<String, String>,
    pub buffer_limit: u64,
}

/// The request toward the backend, after parameter mapping.
#[derive(Debug)]
pub struct EndpointRequest {
    pub method: ::http::Method,
    /// `integration.request.path.N` values (decoded).
    pub path: BTreeMap<String, String>,
    /// Names in `path` whose values come from a greedy `{name+}` parameter: their `/` stay.
    pub greedy: BTreeSet<String>,
    /// `integration.request.querystring.N` values, in mapping order.
    pub query: Vec<(String, String)>,
    /// `integration.request.header.N` values.
    pub headers: HeaderMap,
    pub body: Body,
    /// The body's length when known (S3 needs it for uploads).
    pub content_length: Option<u64>,
    pub timeout: std::time::Duration,
    /// The execution log, when the request is traced.
    pub trace: Option<std::sync::Arc<crate::trace::Trace>>,
}

/// The backend's answer.
#[derive(Debug)]
pub struct EndpointResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Body,
    /// The end of the integration timeout, for a body read whole (`None`: no backend).
    pub deadline: Option<client::Deadline>,
    /// What integration-response selection matches instead of the status: a Lambda
    /// function's `errorMessage` (`""` when it succeeded).
    pub selection: Option<String>,
}

impl From<client::Received> for EndpointResponse {
    /// A backend's answer, selected on its status.
    fn from(received: client::Received) -> EndpointResponse {
        EndpointResponse {
            status: received.status,
            headers: received.headers,
            body: received.body,
            deadline: Some(received.deadline),
            selection: None,
        }
    }
}

/// Whether the integration can run here: `mock`, `http`/`http_proxy` with a URL, `aws` toward
/// S3, Lambda and the services of `apigate_core::aws_services`, `aws_proxy` toward Lambda; any
/// other AWS service is a 500 (not yet called).
pub fn check_runnable(integration: &Integration) -> Result<(), GatewayError> {
    match (&integration.kind, &integration.target) {
        (IntegrationType::Mock, _) => Ok(()),
        (IntegrationType::Aws, Target::Aws(uri))
            if uri.service == "s3"
                || apigate_core::aws_services::service(&uri.service).is_some() =>
        {
            Ok(())
        }
        (IntegrationType::Aws | IntegrationType::AwsProxy, Target::Aws(uri))
            if uri.service == "lambda" =>
        {
            match integration.http_method {
                Some(apigate_core::HttpMethod::Post) => Ok(()),
                // Lambda is invoked with POST: AWS imports another verb and every call fails
                // (recorded on AWS: LocalStack's snapshot
                // test_lambda_aws_proxy_integration_non_post_method).
                other => Err(GatewayError::configuration(format!(
                    "Execution failed due to configuration error: Lambda integrations are \
                     invoked with POST, not {}",
                    other.map_or("no verb", |v| v.as_str())
                ))),
            }
        }
        (IntegrationType::Aws | IntegrationType::AwsProxy, Target::Aws(uri)) => {
            Err(GatewayError::configuration(format!(
                "Execution failed: the AWS service '{}' cannot be called yet (see docs/PARITY.md)",
                uri.service
            )))
        }
        (IntegrationType::Http | IntegrationType::HttpProxy, Target::Http(_)) => Ok(()),
        _ => Err(GatewayError::configuration(
            "integration without a usable target",
        )),
    }
}

/// The gateway error for a backend call that failed before its response head.
/// The request with its body's length known: a non-empty body of unknown length is read whole
/// (within `limit`): S3 refuses uploads without a length, and AWS sends one to http
/// backends.
pub async fn with_length(
    request: EndpointRequest,
    limit: u64,
) -> Result<EndpointRequest, GatewayError> {
    if request.content_length.is_some() || body::is_empty(&request.body) {
        return Ok(request);
    }
    let bytes = body::collect(request.body, limit)
        .await
        .map_err(|e| e.into_gateway_error("request body"))?;
    Ok(EndpointRequest {
        content_length: Some(bytes.len() as u64),
        body: body::full(bytes),
        ..request
    })
}

/// Refuses an endpoint request whose mapped headers (`requestParameters`, `requestOverride`)
/// name one the integration type reserves ([`IntegrationType::reserved_request_headers`]):
/// AWS imports such a mapping and fails the call with a 500 (docs/PARITY.md).
pub fn refuse_reserved_headers(
    mapped: &HeaderMap,
    kind: IntegrationType,
) -> Result<(), GatewayError> {
    let reserved = kind.reserved_request_headers();
    match reserved.iter().find(|n| mapped.contains_key(**n)) {
        Some(name) => Err(GatewayError::configuration(format!(
            "Execution failed due to configuration error: the integration request maps the reserved header {name}"
        ))),
        None => Ok(()),
    }
}

pub fn send_error(e: client::SendError, url: &str, timeout: std::time::Duration) -> GatewayError {
    use crate::error::ResponseType;
    match e {
        client::SendError::Timeout => GatewayError::new(
            ResponseType::IntegrationTimeout,
            format!(
                "Execution failed: endpoint request to {url} timed out after {} ms",
                timeout.as_millis()
            ),
        ),
        client::SendError::Failed(e) => GatewayError::new(
            ResponseType::IntegrationFailure,
            format!(
                "Execution failed due to a network error: {url}: {}",
                error_chain(e.as_ref())
            ),
        ),
        client::SendError::BadStatus(status) => GatewayError::new(
            ResponseType::IntegrationFailure,
            format!("Execution failed: {url} answered the invalid status {status}"),
        ),
    }
}

/// Characters percent-encoded in a path segment value: everything but RFC 3986 unreserved
/// (SigV4's set, so signing does not re-encode).
const SEGMENT: &percent_encoding::AsciiSet = apigate_sigv4::encoding::UNRESERVED;

/// Like [`SEGMENT`] but keeps `/`: for values that are paths (S3 keys, greedy parameters).
const PATH: &percent_encoding::AsciiSet = apigate_sigv4::encoding::UNRESERVED_KEEP_SLASH;

/// Percent-encodes a query name or value with SigV4's unreserved set (so signing does not
/// re-encode it).
pub fn encode_query(s: &str) -> percent_encoding::PercentEncode<'_> {
    percent_encoding::utf8_percent_encode(s, SEGMENT)
}

/// Renders a URI template: literals as written, `${stageVariables.N}` as the value, and
/// placeholders from `integration.request.path.N` percent-encoded (keeping `/` when
/// `keep_slash`). A placeholder without a value fails closed (docs/SEMANTICS.md §5.1, `[I]`).
pub fn render(
    template: &Template,
    path: &BTreeMap<String, String>,
    stage_variables: &BTreeMap<String, String>,
    keep_slash: bool,
) -> Result<String, GatewayError> {
    render_with(template, path, stage_variables, |_| keep_slash)
}

/// [`render`] deciding per placeholder name whether its `/` stay.
///
/// Path safety: placeholder values come from the client (path, query string, headers, body),
/// so the rendered path must not contain a `.` or `..` segment once a backend decodes it
/// (`..`, `%2E%2E`, `..%2F` inside a `%2F`-encoded value). Such a request is a 400 and nothing
/// is sent: encoding cannot help, as backends decode `%2E`/`%2F` before resolving dot
/// segments. Routing refuses most such values already; this covers mapped ones.
pub fn render_with(
    template: &Template,
    path: &BTreeMap<String, String>,
    stage_variables: &BTreeMap<String, String>,
    keeps_slash: impl Fn(&str) -> bool,
) -> Result<String, GatewayError> {
    let mut out = String::new();
    for part in &template.parts {
        match part {
            Part::Literal(s) => out.push_str(s),
            Part::Placeholder(name) => {
                let value = path.get(name).ok_or_else(|| {
                    GatewayError::configuration(format!(
                        "Execution failed due to configuration error: Illegal character in path: \
                         no value for URI placeholder {{{name}}}"
                    ))
                })?;
                let set = if keeps_slash(name) { PATH } else { SEGMENT };
                out.extend(percent_encoding::utf8_percent_encode(value, set));
            }
            Part::StageVariable(name) => {
                let value = stage_variables.get(name).ok_or_else(|| {
                    GatewayError::configuration(format!(
                        "Execution failed due to configuration error: stage variable {name} is not set"
                    ))
                })?;
                // Stage variable values are restricted to URI characters
                // (`A-Za-z0-9-._~:/?#&=,`) and are meant as URI text: `host:port`, a path.
                out.push_str(value);
            }
        }
    }
    let has_placeholder = template
        .parts
        .iter()
        .any(|p| matches!(p, Part::Placeholder(_)));
    let path = out.split(['?', '#']).next().unwrap_or_default();
    if has_placeholder && path_safety::encoded_path_has_dot_segment(path) {
        return Err(GatewayError::bad_request(format!(
            "Execution failed: the integration URI path {path} would have a . or .. segment"
        )));
    }
    Ok(out)
}

/// The region of the URI, resolving `${stageVariables.x}`.
pub fn resolve_region(
    region: &str,
    stage_variables: &BTreeMap<String, String>,
) -> Result<String, GatewayError> {
    match region
        .strip_prefix("${stageVariables.")
        .and_then(|r| r.strip_suffix('}'))
    {
        Some(name) => stage_variables.get(name).cloned().ok_or_else(|| {
            GatewayError::configuration(format!("stage variable {name} (the region) is not set"))
        }),
        None => Ok(region.to_string()),
    }
}

/// A URI parameter's value (`action/Name&Key={key}`), decoded: it is used raw, then encoded
/// again in the query string.
pub fn render_value(
    t: &Template,
    path_values: &BTreeMap<String, String>,
    stage_variables: &BTreeMap<String, String>,
) -> Result<String, GatewayError> {
    let encoded = render(t, path_values, stage_variables, true)?;
    Ok(percent_encoding::percent_decode_str(&encoded)
        .decode_utf8_lossy()
        .into_owned())
}

/// The error and its causes, for the execution log.
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_encodes_values() {
        let t = Template::parse("/{bucket}/{object}").unwrap();
        let mut path = BTreeMap::new();
        path.insert("bucket".to_string(), "b".to_string());
        path.insert("object".to_string(), "a b/c+d%e€".to_string());
        let vars = BTreeMap::new();
        assert_eq!(
            render(&t, &path, &vars, true).unwrap(),
            "/b/a%20b/c%2Bd%25e%E2%82%AC"
        );
        assert_eq!(
            render(&t, &path, &vars, false).unwrap(),
            "/b/a%20b%2Fc%2Bd%25e%E2%82%AC"
        );
        path.remove("bucket");
        assert!(render(&t, &path, &vars, true).is_err());
    }

    #[test]
    fn render_refuses_values_that_leave_the_prefix() {
        let t = Template::parse("/public/{v}").unwrap();
        let vars = BTreeMap::new();
        for (value, keep_slash) in [
            ("..", false),
            ("../admin", true),
            ("../admin", false),
            ("a/../../admin", true),
            (".", true),
            ("x\\..", false),
        ] {
            let path = BTreeMap::from([("v".to_string(), value.to_string())]);
            let e = render(&t, &path, &vars, keep_slash).unwrap_err();
            assert_eq!(e.kind.default_status(), 400, "{value:?}");
        }
        let path = BTreeMap::from([("v".to_string(), "a..b/.c".to_string())]);
        assert_eq!(render(&t, &path, &vars, true).unwrap(), "/public/a..b/.c");
        // Values in the URI's query string are not path segments.
        let t = Template::parse("/public/x?q={v}").unwrap();
        let path = BTreeMap::from([("v".to_string(), "..".to_string())]);
        assert_eq!(render(&t, &path, &vars, true).unwrap(), "/public/x?q=..");
    }

    #[test]
    fn region_from_stage_variable() {
        let vars = BTreeMap::from([("region".to_string(), "eu-west-1".to_string())]);
        assert_eq!(
            resolve_region("${stageVariables.region}", &vars).unwrap(),
            "eu-west-1"
        );
        assert!(resolve_region("${stageVariables.other}", &vars).is_err());
        assert_eq!(resolve_region("us-east-1", &vars).unwrap(), "us-east-1");
    }
}
