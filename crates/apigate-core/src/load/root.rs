//! Root-level `x-amazon-apigateway-*` extensions: binary media types, gateway responses,
//! request validators, API key source, policy, endpoint configuration, compression.

use std::collections::BTreeMap;

use super::cx::{At, Cx, KeyAt};
use super::integration::{header_mappings, templates};
use crate::gateway_template::GatewayTemplate;
use crate::mapping::Place;
use crate::media::MediaRange;
use crate::model::{ApiKeySource, GatewayResponse, OasVersion, RequestValidator};
use crate::resource_policy::ResourcePolicy;
use crate::response_types::GatewayResponseKey;
use crate::rules;

/// What the root extensions say, for the API and for the per-operation checks.
#[derive(Debug, Default)]
pub(crate) struct RootExtensions {
    pub binary_media_types: Vec<MediaRange>,
    pub gateway_responses: BTreeMap<GatewayResponseKey, GatewayResponse>,
    pub request_validators: BTreeMap<String, RequestValidator>,
    /// The API-wide default validator (root `x-amazon-apigateway-request-validator`).
    pub default_validator: Option<String>,
    pub api_key_source: ApiKeySource,
    pub minimum_compression_size: Option<u32>,
    pub policy: Option<ResourcePolicy>,
    pub disable_execute_api_endpoint: bool,
}

pub(crate) const PREFIX: &str = "x-amazon-apigateway-";

/// Extensions that apply to HTTP APIs only (REST import ignores them).
pub(crate) const HTTP_API_ONLY: &[&str] = &[
    "x-amazon-apigateway-cors",
    "x-amazon-apigateway-importexport-version",
    "x-amazon-apigateway-integrations",
    "x-amazon-apigateway-tag-value",
];

/// Extensions read on operations or path items, reported as misplaced elsewhere.
pub(crate) const OPERATION_LEVEL: &[&str] = &[
    "x-amazon-apigateway-integration",
    "x-amazon-apigateway-auth",
    "x-amazon-apigateway-any-method",
    "x-amazon-apigateway-authtype",
    "x-amazon-apigateway-authorizer",
];

/// Reports an `x-amazon-apigateway-*` key that is not read where it stands.
pub(crate) fn report_unread_extension(
    cx: &mut Cx<'_>,
    key: &crate::source::Key,
    at: &At<'_>,
    place: &str,
) {
    let name = key.text.as_str();
    if HTTP_API_ONLY.contains(&name) {
        cx.report_hint(
            rules::EXTENSION_HTTP_API_ONLY,
            &KeyAt(key, at),
            format!("`{name}` applies to HTTP APIs only; a REST API import ignores it"),
            if name == "x-amazon-apigateway-cors" {
                "REST APIs build CORS from OPTIONS methods (mock integrations) and gateway responses"
            } else {
                "remove it, or import the definition as an HTTP API"
            },
        );
    } else if is_known(name) {
        cx.report(
            rules::EXTENSION_MISPLACED,
            &KeyAt(key, at),
            format!("`{name}` is not read {place}"),
        );
    } else {
        cx.report(
            rules::EXTENSION_UNKNOWN,
            &KeyAt(key, at),
            format!("`{name}` is not an API Gateway extension; it is ignored"),
        );
    }
}

fn is_known(name: &str) -> bool {
    OPERATION_LEVEL.contains(&name)
        || matches!(
            name,
            "x-amazon-apigateway-binary-media-types"
                | "x-amazon-apigateway-gateway-responses"
                | "x-amazon-apigateway-request-validators"
                | "x-amazon-apigateway-request-validator"
                | "x-amazon-apigateway-api-key-source"
                | "x-amazon-apigateway-policy"
                | "x-amazon-apigateway-endpoint-configuration"
                | "x-amazon-apigateway-minimum-compression-size"
                | "x-amazon-apigateway-documentation"
                | "x-amazon-apigateway-endpoint-access-mode"
                | "x-amazon-apigateway-security-policy"
        )
}

pub(crate) fn load(cx: &mut Cx<'_>, root: &At<'_>, version: OasVersion) -> RootExtensions {
    let mut ext = RootExtensions::default();
    for (key, at) in root.entries() {
        match key.text.as_str() {
            "x-amazon-apigateway-binary-media-types" => binary_media_types(cx, &at, &mut ext),
            "x-amazon-apigateway-gateway-responses" => gateway_responses(cx, &at, &mut ext),
            "x-amazon-apigateway-request-validators" => request_validators(cx, &at, &mut ext),
            "x-amazon-apigateway-request-validator" => {
                ext.default_validator = cx
                    .string(&at, "the default request validator")
                    .map(str::to_string)
            }
            "x-amazon-apigateway-api-key-source" => match at.str() {
                Some("HEADER") => ext.api_key_source = ApiKeySource::Header,
                Some("AUTHORIZER") => ext.api_key_source = ApiKeySource::Authorizer,
                _ => {
                    let v = at.node.to_json();
                    cx.report(
                        rules::API_KEY_SOURCE_INVALID,
                        &at,
                        format!("API key source {v} is not HEADER or AUTHORIZER"),
                    );
                }
            },
            "x-amazon-apigateway-minimum-compression-size" => match at.node.as_i64() {
                Some(n @ 0..=10_485_760) => ext.minimum_compression_size = u32::try_from(n).ok(),
                _ => {
                    let v = at.node.to_json();
                    cx.report(
                        rules::MIN_COMPRESSION_SIZE_RANGE,
                        &at,
                        format!(
                            "minimum compression size {v} is not an integer from 0 to 10485760"
                        ),
                    );
                }
            },
            "x-amazon-apigateway-policy" => ext.policy = resource_policy(cx, &at),
            "x-amazon-apigateway-endpoint-configuration" => {
                endpoint_configuration(cx, &at, &mut ext)
            }
            "x-amazon-apigateway-documentation" => {
                cx.object(&at, "`x-amazon-apigateway-documentation`");
            }
            "x-amazon-apigateway-endpoint-access-mode" | "x-amazon-apigateway-security-policy" => {
                cx.string(&at, &format!("`{}`", key.text));
            }
            name if name.starts_with(PREFIX) => {
                report_unread_extension(cx, key, &at, "at the document root")
            }
            _ => {}
        }
    }
    // 3.0 puts the endpoint configuration on server objects.
    if version == OasVersion::OpenApi30 {
        for server in root.get("servers").map(|s| s.items()).unwrap_or_default() {
            for (key, at) in server.entries() {
                match key.text.as_str() {
                    "x-amazon-apigateway-endpoint-configuration" => {
                        endpoint_configuration(cx, &at, &mut ext)
                    }
                    name if name.starts_with(PREFIX) => {
                        report_unread_extension(cx, key, &at, "on a server object")
                    }
                    _ => {}
                }
            }
        }
    }
    if let Some(name) = &ext.default_validator {
        if !ext.request_validators.contains_key(name) {
            if let Some(at) = root.get("x-amazon-apigateway-request-validator") {
                cx.report(rules::REQUEST_VALIDATOR_UNKNOWN, &at, format!("request validator `{name}` is not defined in `x-amazon-apigateway-request-validators`"));
            }
        }
    }
    ext
}

fn binary_media_types(cx: &mut Cx<'_>, at: &At<'_>, ext: &mut RootExtensions) {
    for item in cx
        .array(at, "`x-amazon-apigateway-binary-media-types`")
        .unwrap_or_default()
    {
        let Some(s) = cx.string(&item, "a binary media type") else {
            continue;
        };
        match MediaRange::parse(s) {
            Ok(m) => ext.binary_media_types.push(m),
            Err(why) => cx.report_hint(
                rules::BINARY_MEDIA_TYPE_INVALID,
                &item,
                why,
                "write a media type such as `image/png`, `image/*` or `*/*`",
            ),
        }
    }
}

fn gateway_responses(cx: &mut Cx<'_>, at: &At<'_>, ext: &mut RootExtensions) {
    for (key, resp) in cx
        .object(at, "`x-amazon-apigateway-gateway-responses`")
        .unwrap_or_default()
    {
        let ty = key.text.as_str();
        let Some(response_key) = GatewayResponseKey::parse(ty) else {
            cx.report_hint(
                rules::GATEWAY_RESPONSE_TYPE_UNKNOWN,
                &KeyAt(key, &resp),
                format!("`{ty}` is not a gateway response type"),
                "see docs/RULES.md or AWS's supported-gateway-response-types page (e.g. DEFAULT_4XX, MISSING_AUTHENTICATION_TOKEN)",
            );
            continue;
        };
        if cx.object(&resp, "a gateway response").is_none() {
            continue;
        }
        let status = resp
            .get("statusCode")
            .and_then(|s| match super::paths::status_code(&s) {
                Some(code) => Some(code),
                None => {
                    let v = s.node.to_json();
                    cx.report(
                        rules::GATEWAY_RESPONSE_INVALID,
                        &s,
                        format!(
                            "gateway response statusCode {v} is not a status code from 100 to 599"
                        ),
                    );
                    None
                }
            });
        let mut response_parameters = Vec::new();
        if let Some(params) = resp.get("responseParameters") {
            response_parameters = header_mappings(
                cx,
                &params,
                "gatewayresponse.header.",
                Place::GatewayResponse,
                rules::GATEWAY_RESPONSE_INVALID,
                None,
            );
        }
        let response_templates = resp
            .get("responseTemplates")
            .map(|t| templates(cx, &t))
            .unwrap_or_default()
            .into_iter()
            .map(|(content_type, text)| (content_type, GatewayTemplate::parse(&text)))
            .collect();
        ext.gateway_responses.insert(
            response_key,
            GatewayResponse {
                status,
                response_parameters,
                response_templates,
            },
        );
    }
}

fn request_validators(cx: &mut Cx<'_>, at: &At<'_>, ext: &mut RootExtensions) {
    for (key, v) in cx
        .object(at, "`x-amazon-apigateway-request-validators`")
        .unwrap_or_default()
    {
        let mut validator = RequestValidator::default();
        for (field, fv) in cx.object(&v, "a request validator").unwrap_or_default() {
            let slot = match field.text.as_str() {
                "validateRequestBody" => &mut validator.validate_request_body,
                "validateRequestParameters" => &mut validator.validate_request_parameters,
                other => {
                    cx.report(
                        rules::UNKNOWN_FIELD,
                        &KeyAt(field, &fv),
                        format!("`{other}` is not a request validator field"),
                    );
                    continue;
                }
            };
            match fv.node.as_bool() {
                Some(b) => *slot = b,
                None => {
                    let shown = fv.node.to_json();
                    cx.report(
                        rules::REQUEST_VALIDATOR_INVALID,
                        &fv,
                        format!("`{}` must be true or false, found {shown}", field.text),
                    );
                }
            }
        }
        ext.request_validators
            .insert(key.text.to_string(), validator);
    }
}

/// The resource policy, compiled; what apigate cannot evaluate is reported (every request then
/// fails closed), a malformed document is an error.
fn resource_policy(cx: &mut Cx<'_>, at: &At<'_>) -> Option<ResourcePolicy> {
    let document = policy(cx, at)?;
    match ResourcePolicy::compile(&document) {
        Ok(compiled) => {
            if let Some(why) = &compiled.unsupported {
                cx.report_hint(
                    rules::POLICY_UNSUPPORTED,
                    at,
                    format!("the resource policy cannot be evaluated here: {why}; every method answers 500 while it is set"),
                    "apigate evaluates Principal, Action, Resource and the IpAddress and String conditions on the keys listed in docs/PARITY.md",
                );
            }
            Some(compiled)
        }
        Err(why) => {
            cx.report(
                rules::POLICY_INVALID,
                at,
                format!("the resource policy is not a valid IAM policy: {why}"),
            );
            None
        }
    }
}

fn policy(cx: &mut Cx<'_>, at: &At<'_>) -> Option<serde_json::Value> {
    let value = match at.str() {
        // The console exports the policy as a JSON string.
        Some(s) => match serde_json::from_str::<serde_json::Value>(s) {
            Ok(v) => v,
            Err(e) => {
                cx.report(
                    rules::POLICY_INVALID,
                    at,
                    format!("the policy string is not JSON: {e}"),
                );
                return None;
            }
        },
        None => at.node.to_json(),
    };
    let ok = value
        .get("Statement")
        .is_some_and(|s| s.is_array() || s.is_object());
    if !ok {
        cx.report_hint(
            rules::POLICY_INVALID,
            at,
            "the resource policy has no `Statement`",
            "write an IAM policy document: {\"Version\": \"2012-10-17\", \"Statement\": [...]}",
        );
        return None;
    }
    Some(value)
}

fn endpoint_configuration(cx: &mut Cx<'_>, at: &At<'_>, ext: &mut RootExtensions) {
    for (key, v) in cx
        .object(at, "`x-amazon-apigateway-endpoint-configuration`")
        .unwrap_or_default()
    {
        match key.text.as_str() {
            "disableExecuteApiEndpoint" => match v.node.as_bool() {
                Some(b) => ext.disable_execute_api_endpoint = b,
                None => {
                    cx.report(
                        rules::ENDPOINT_CONFIGURATION_INVALID,
                        &v,
                        "`disableExecuteApiEndpoint` must be true or false",
                    );
                }
            },
            "vpcEndpointIds" | "types" => {
                let ok = v
                    .node
                    .as_array()
                    .is_some_and(|a| a.iter().all(|n| n.as_str().is_some()));
                if !ok {
                    cx.report(
                        rules::ENDPOINT_CONFIGURATION_INVALID,
                        &v,
                        format!("`{}` must be an array of strings", key.text),
                    );
                }
            }
            "ipAddressType" => {
                cx.report(
                    rules::EXTENSION_HTTP_API_ONLY,
                    &KeyAt(key, &v),
                    "`ipAddressType` in the endpoint configuration applies to HTTP APIs only",
                );
            }
            other => {
                cx.report(
                    rules::UNKNOWN_FIELD,
                    &KeyAt(key, &v),
                    format!("`{other}` is not an endpoint configuration field"),
                );
            }
        }
    }
}
