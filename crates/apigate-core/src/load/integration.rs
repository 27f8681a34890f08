//! `x-amazon-apigateway-integration`: type, URI, verb, credentials, request parameter
//! mappings, templates, passthrough, content handling, timeout and integration responses.

use super::cx::{At, Cx, KeyAt};
use super::paths::{status_code, MethodContext};
use crate::java_regex::JavaRegexError;
use crate::mapping::{self, MappingError, ParamLocation, Place, RequestTarget, Source};
use crate::media::MediaRange;
use crate::model::{
    ContentHandling, Credentials, HeaderMapping, HttpMethod, Integration, IntegrationResponse,
    IntegrationType, MappingTemplate, Passthrough, RequestMapping, Target,
};
use crate::rules::{self, Rule};
use crate::uri::{self, AwsAction};
use apigate_template::Engine;

/// AWS's largest mapping template.
pub const MAX_TEMPLATE_BYTES: usize = 300 * 1024;

const KNOWN_FIELDS: &[&str] = &[
    // apigate's own: the mapping-template engine of this integration.
    "x-apigate-template-engine",
    "type",
    "uri",
    "httpMethod",
    "credentials",
    "requestParameters",
    "requestTemplates",
    "passthroughBehavior",
    "contentHandling",
    "cacheKeyParameters",
    "cacheNamespace",
    "timeoutInMillis",
    "connectionType",
    "connectionId",
    "integrationTarget",
    "tlsConfig",
    "responseTransferMode",
    "responses",
];

pub(crate) fn load(cx: &mut Cx<'_>, at: &At<'_>, m: &MethodContext<'_>) -> Option<Integration> {
    cx.object(at, "`x-amazon-apigateway-integration`")?;
    for (k, v) in at.entries() {
        let name = k.text.as_str();
        if matches!(name, "integrationSubtype" | "payloadFormatVersion") {
            cx.report(
                rules::EXTENSION_HTTP_API_ONLY,
                &KeyAt(k, &v),
                format!("integration field `{name}` applies to HTTP APIs only"),
            );
        } else if !KNOWN_FIELDS.contains(&name) {
            cx.report(
                rules::UNKNOWN_FIELD,
                &KeyAt(k, &v),
                format!("`{name}` is not an integration field; it is ignored"),
            );
        }
    }
    let kind = match at.get("type") {
        None => {
            cx.report(rules::MISSING_FIELD, at, "the integration has no `type`");
            None
        }
        Some(t) => match t.str().and_then(IntegrationType::parse) {
            Some(k) => Some(k),
            None => {
                let v = t.node.to_json();
                cx.report_hint(
                    rules::INTEGRATION_TYPE_UNKNOWN,
                    &t,
                    format!("integration type {v} is not known"),
                    "use aws, aws_proxy, http, http_proxy or mock",
                );
                None
            }
        },
    };
    // The integration's own engine, else the API's, compiles its request and response templates.
    let engine = at
        .get(TEMPLATE_ENGINE_KEY)
        .and_then(|e| template_engine(cx, &e))
        .unwrap_or(cx.template_engine);
    let http_method = http_method(cx, at, kind);
    let (request_parameters, mapped_targets) = request_parameters(cx, at, m, kind);
    let request_templates = at
        .get("requestTemplates")
        .map(|t| mapping_templates(cx, &t, engine))
        .unwrap_or_default();
    let target =
        kind.and_then(|k| target(cx, at, k, http_method, &mapped_targets, &request_templates));
    let credentials = credentials(cx, at);
    let passthrough = passthrough(cx, at);
    let content_handling = at
        .get("contentHandling")
        .and_then(|c| content_handling(cx, &c));
    let timeout_ms = timeout(cx, at);
    let cache_key_parameters = cache_keys(cx, at, m);
    connection(cx, at);
    let tls_insecure_skip_verification = at
        .get("tlsConfig")
        .and_then(|t| t.get("insecureSkipVerification"))
        .and_then(|b| cx.boolean(&b, "`insecureSkipVerification`"))
        .unwrap_or(false);
    let responses = match (at.get("responses"), kind) {
        (Some(r), Some(k)) if k.is_proxy() => {
            proxy_responses(cx, &r);
            Vec::new()
        }
        (Some(r), _) => responses(cx, &r, m, engine),
        (None, _) => Vec::new(),
    };
    if kind.is_some_and(IntegrationType::is_proxy) && !request_templates.is_empty() {
        if let Some(t) = at.get("requestTemplates") {
            cx.report(
                rules::PROXY_RESPONSES_IGNORED,
                &t,
                "proxy integrations pass the request through; `requestTemplates` are ignored",
            );
        }
    }
    Some(Integration {
        kind: kind?,
        target: target?,
        http_method,
        credentials,
        request_parameters,
        request_templates,
        passthrough,
        content_handling,
        timeout_ms,
        cache_key_parameters,
        tls_insecure_skip_verification,
        responses,
    })
}

fn http_method(cx: &mut Cx<'_>, at: &At<'_>, kind: Option<IntegrationType>) -> Option<HttpMethod> {
    let Some(m) = at.get("httpMethod") else {
        if kind.is_some_and(|k| k != IntegrationType::Mock) {
            cx.report_hint(
                rules::INTEGRATION_HTTP_METHOD_MISSING,
                at,
                "the integration has no `httpMethod`",
                "set the verb sent to the backend (ANY = the request's own verb)",
            );
        }
        return None;
    };
    let s = cx.string(&m, "`httpMethod`")?;
    match HttpMethod::parse(s) {
        Some(v) => Some(v),
        None => {
            cx.report(
                rules::INTEGRATION_HTTP_METHOD_INVALID,
                &m,
                format!("`{s}` is not an HTTP method"),
            );
            None
        }
    }
}

fn target(
    cx: &mut Cx<'_>,
    at: &At<'_>,
    kind: IntegrationType,
    verb: Option<HttpMethod>,
    mapped: &[RequestTarget],
    templates: &[MappingTemplate],
) -> Option<Target> {
    if kind == IntegrationType::Mock {
        return Some(Target::Mock);
    }
    let Some(uri_at) = at.get("uri") else {
        cx.report(
            rules::INTEGRATION_URI_MISSING,
            at,
            format!("a `{}` integration needs a `uri`", kind.as_str()),
        );
        return None;
    };
    let uri = cx.string(&uri_at, "`uri`")?;
    let (target, placeholders): (Target, Vec<String>) = match kind {
        IntegrationType::Http | IntegrationType::HttpProxy => match uri::parse_http_uri(uri) {
            Ok(u) => {
                let p = u.placeholders().map(str::to_string).collect();
                (Target::Http(u), p)
            }
            Err(why) => {
                cx.report(
                    rules::INTEGRATION_URI_INVALID,
                    &uri_at,
                    format!("`{uri}`: {why}"),
                );
                return None;
            }
        },
        IntegrationType::Aws | IntegrationType::AwsProxy | IntegrationType::Mock => {
            match uri::parse_aws_uri(uri) {
                Ok(u) => {
                    let mut p: Vec<String> = u
                        .subdomain
                        .iter()
                        .flat_map(|s| s.placeholders())
                        .map(str::to_string)
                        .collect();
                    if u.service == "lambda" {
                        check_lambda(cx, at, verb);
                    } else if kind == IntegrationType::AwsProxy {
                        cx.report(rules::AWS_PROXY_NOT_LAMBDA, &uri_at, format!("`aws_proxy` integrations call Lambda functions; `{}` is not Lambda", u.service));
                        return None;
                    } else if u.service != "s3" {
                        check_service(cx, &uri_at, &u);
                    }
                    // Lambda URIs hold `{…}`-free ARNs; only S3-style templates carry placeholders.
                    if u.service != "lambda" {
                        match &u.action {
                            AwsAction::Path(t) => p.extend(t.placeholders().map(str::to_string)),
                            AwsAction::Action { params, .. } => p.extend(
                                params
                                    .iter()
                                    .flat_map(|(_, t)| t.placeholders())
                                    .map(str::to_string),
                            ),
                        }
                    }
                    (Target::Aws(u), p)
                }
                Err(why) => {
                    cx.report_hint(
                        rules::ARN_MALFORMED,
                        &uri_at,
                        format!("`{uri}`: {why}"),
                        "e.g. arn:aws:apigateway:us-west-2:s3:path/{bucket}/{key}",
                    );
                    return None;
                }
            }
        }
    };
    let mut ok = true;
    for name in placeholders {
        let mapped = mapped
            .iter()
            .any(|t| t.location == ParamLocation::Path && t.name == name);
        let overridden = templates
            .iter()
            .any(|t| t.source.contains(&format!("requestOverride.path.{name}")));
        if !mapped && !overridden {
            cx.report_hint(
                rules::URI_PLACEHOLDER_UNMAPPED,
                &uri_at,
                format!("`{{{name}}}` in the URI has no value: nothing maps `integration.request.path.{name}`"),
                format!("add \"integration.request.path.{name}\": \"method.request.path.{name}\" to requestParameters"),
            );
            ok = false;
        }
    }
    ok.then_some(target)
}

/// A service other than S3 and Lambda: one apigate calls (`aws_services`), with an action it
/// has; anything else is reported.
fn check_service(cx: &mut Cx<'_>, uri_at: &At<'_>, u: &uri::AwsUri) {
    let Some(service) = crate::aws_services::service(&u.service) else {
        let known: Vec<&str> = crate::aws_services::SERVICES
            .iter()
            .map(|s| s.name)
            .collect();
        cx.report_hint(
            rules::INTEGRATION_NOT_LOCAL,
            uri_at,
            format!(
                "AWS service `{}` cannot be called yet; this method answers 500",
                u.service
            ),
            format!(
                "apigate calls S3, Lambda and {}; see docs/PARITY.md",
                known.join(", ")
            ),
        );
        return;
    };
    if let AwsAction::Action { name, .. } = &u.action {
        if !service.has_operation(name) {
            cx.report_hint(
                rules::AWS_ACTION_UNKNOWN,
                uri_at,
                format!("`{name}` is not an action of {}", u.service),
                "action names are case-sensitive, as in the service's API reference",
            );
        }
    }
}

fn check_lambda(cx: &mut Cx<'_>, at: &At<'_>, verb: Option<HttpMethod>) {
    if let Some(v) = verb.filter(|v| *v != HttpMethod::Post) {
        if let Some(m) = at.get("httpMethod") {
            cx.report_hint(
                rules::LAMBDA_HTTP_METHOD_NOT_POST,
                &m,
                format!(
                    "Lambda integrations are invoked with POST, not {}: every call answers 500",
                    v.as_str()
                ),
                "set httpMethod: POST",
            );
        }
    }
}

fn credentials(cx: &mut Cx<'_>, at: &At<'_>) -> Option<Credentials> {
    let c = at.get("credentials")?;
    if c.node.value == crate::source::Value::Null {
        return None;
    }
    credentials_value(cx, &c, "`credentials`")
}

/// An IAM role ARN (or `arn:aws:iam::*:user/*`) in `c`, the field `what` (an integration's
/// `credentials`, an authorizer's `authorizerCredentials`).
pub(crate) fn credentials_value(cx: &mut Cx<'_>, c: &At<'_>, what: &str) -> Option<Credentials> {
    let c = *c;
    let s = cx.string(&c, what)?;
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", _, "iam", "", "*", "user/*"] => Some(Credentials::Caller),
        ["arn", _, "iam", "", account, role]
            if (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())
                || account.contains("${"))
                && role.starts_with("role/")
                && role.len() > 5 =>
        {
            Some(Credentials::Role(s.to_string()))
        }
        _ if s.contains("${stageVariables.") => Some(Credentials::Role(s.to_string())),
        _ => {
            cx.report_hint(
                rules::CREDENTIALS_INVALID,
                &c,
                format!("`{s}` is not an IAM role ARN"),
                "use arn:aws:iam::ACCOUNT_ID:role/NAME, or arn:aws:iam::*:user/* to call as the caller",
            );
            None
        }
    }
}

fn passthrough(cx: &mut Cx<'_>, at: &At<'_>) -> Passthrough {
    let Some(p) = at.get("passthroughBehavior") else {
        return Passthrough::WhenNoMatch;
    };
    match p.str().map(str::to_ascii_lowercase).as_deref() {
        Some("when_no_match") => Passthrough::WhenNoMatch,
        Some("when_no_templates") => Passthrough::WhenNoTemplates,
        Some("never") => Passthrough::Never,
        _ => {
            let v = p.node.to_json();
            cx.report(
                rules::PASSTHROUGH_INVALID,
                &p,
                format!("passthroughBehavior {v} is not when_no_match, when_no_templates or never"),
            );
            Passthrough::WhenNoMatch
        }
    }
}

fn content_handling(cx: &mut Cx<'_>, at: &At<'_>) -> Option<ContentHandling> {
    match at.str().map(str::to_ascii_uppercase).as_deref() {
        Some("CONVERT_TO_BINARY") => Some(ContentHandling::ConvertToBinary),
        Some("CONVERT_TO_TEXT") => Some(ContentHandling::ConvertToText),
        _ => {
            let v = at.node.to_json();
            cx.report_hint(
                rules::CONTENT_HANDLING_INVALID,
                at,
                format!("contentHandling {v} is not CONVERT_TO_BINARY or CONVERT_TO_TEXT"),
                "leave contentHandling out for pass-through",
            );
            None
        }
    }
}

fn timeout(cx: &mut Cx<'_>, at: &At<'_>) -> u32 {
    let Some(t) = at.get("timeoutInMillis") else {
        return 29_000;
    };
    match t.node.as_i64() {
        Some(n @ 50..=29_000) => u32::try_from(n).unwrap_or(29_000),
        _ => {
            let v = t.node.to_json();
            cx.report_hint(
                rules::TIMEOUT_OUT_OF_RANGE,
                &t,
                format!("timeoutInMillis {v} is outside 50..29000"),
                "AWS's integration timeout is 50 ms to 29 s",
            );
            29_000
        }
    }
}

fn connection(cx: &mut Cx<'_>, at: &At<'_>) {
    let Some(c) = at.get("connectionType") else {
        return;
    };
    match c.str() {
        Some("INTERNET") => {}
        Some("VPC_LINK") => {
            if at.get("connectionId").is_none() && at.get("integrationTarget").is_none() {
                cx.report(
                    rules::CONNECTION_TYPE_INVALID,
                    &c,
                    "a VPC_LINK integration needs a `connectionId`",
                );
            } else {
                cx.report(
                    rules::VPC_LINK_NOT_LOCAL,
                    &c,
                    "VPC links do not exist locally; requests go straight to the URI's host",
                );
            }
        }
        _ => {
            let v = c.node.to_json();
            cx.report(
                rules::CONNECTION_TYPE_INVALID,
                &c,
                format!("connectionType {v} is not INTERNET or VPC_LINK"),
            );
        }
    }
}

fn cache_keys(cx: &mut Cx<'_>, at: &At<'_>, m: &MethodContext<'_>) -> Vec<String> {
    let Some(list) = at.get("cacheKeyParameters") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for item in cx.array(&list, "`cacheKeyParameters`").unwrap_or_default() {
        let Some(s) = cx.string(&item, "a cache key parameter") else {
            continue;
        };
        let declared = match mapping::parse_source(s, Place::IntegrationRequest) {
            Ok(Source::MethodRequest { location, name, .. }) => m.declares(location, &name),
            _ => s.starts_with("integration.request.") && mapping::parse_request_target(s).is_ok(),
        };
        if declared {
            out.push(s.to_string());
        } else {
            cx.report(
                rules::CACHE_KEY_UNDECLARED,
                &item,
                format!("cache key `{s}` is not a declared method request parameter"),
            );
        }
    }
    out
}

/// The valid mappings, and every well-formed target (even when its source was refused, so
/// one mistake is reported once).
fn request_parameters(
    cx: &mut Cx<'_>,
    at: &At<'_>,
    m: &MethodContext<'_>,
    kind: Option<IntegrationType>,
) -> (Vec<RequestMapping>, Vec<RequestTarget>) {
    let Some(params) = at.get("requestParameters") else {
        return (Vec::new(), Vec::new());
    };
    let mut out = Vec::new();
    let mut targets = Vec::new();
    for (key, value) in cx
        .object(&params, "`requestParameters`")
        .unwrap_or_default()
    {
        let target = match mapping::parse_request_target(&key.text) {
            Ok(t) => Some(t),
            Err(why) => {
                cx.report_hint(
                    rules::MAPPING_TARGET_INVALID,
                    &KeyAt(key, &value),
                    format!("`{}` is not an integration request target: {why}", key.text),
                    "targets are integration.request.{path|querystring|header}.NAME",
                );
                None
            }
        };
        if let (Some(t), Some(kind)) = (&target, kind) {
            let name = t.name.to_ascii_lowercase();
            if t.location == ParamLocation::Header
                && kind.reserved_request_headers().contains(&name.as_str())
            {
                cx.report_hint(
                    rules::INTEGRATION_HEADER_RESERVED,
                    &KeyAt(key, &value),
                    format!(
                        "`{}` maps the header `{}`, which API Gateway reserves for {} integrations: every call answers 500",
                        key.text,
                        t.name,
                        kind.as_str()
                    ),
                    "remove the mapping (the gateway sets this header itself)",
                );
            }
        }
        targets.extend(target.clone());
        let source = source(cx, &value, Place::IntegrationRequest);
        if let Some(Source::MethodRequest {
            location,
            name,
            multi,
        }) = &source
        {
            if !m.declares(*location, name) {
                let expr = value.str().unwrap_or_default();
                let declared_in = if *location == ParamLocation::QueryString {
                    "query"
                } else {
                    location.as_str()
                };
                cx.report_hint(
                    rules::MAPPING_PARAM_UNDECLARED,
                    &value,
                    format!("`{expr}` reads a {}{} parameter `{name}` the method does not declare", if *multi { "multi-value " } else { "" }, location.as_str()),
                    format!("declare it in the operation's parameters: {{name: {name}, in: {declared_in}}}"),
                );
                continue;
            }
        }
        if let (Some(target), Some(source)) = (target, source) {
            // A value from the path's `{name+}` parameter is a path: its `/` stay in the URI.
            let greedy = match &source {
                Source::MethodRequest {
                    location: ParamLocation::Path,
                    name,
                    ..
                } => target.location == ParamLocation::Path && m.greedy == Some(name.as_str()),
                _ => false,
            };
            out.push(RequestMapping {
                target,
                source,
                greedy,
            });
        }
    }
    (out, targets)
}

/// Parses one mapping value for `place`, reporting why it is refused.
fn source(cx: &mut Cx<'_>, value: &At<'_>, place: Place) -> Option<Source> {
    let expr = cx.string(value, "a mapping source")?;
    match mapping::parse_source(expr, place) {
        Ok(s) => Some(s),
        Err(MappingError::UnterminatedStatic) => {
            cx.report_hint(
                rules::MAPPING_STATIC_UNTERMINATED,
                value,
                format!("static value {expr} has no closing `'`"),
                "static values are written between single quotes: \"'application/json'\"",
            );
            None
        }
        Err(MappingError::UnknownContext(name)) => {
            cx.report_hint(
                rules::MAPPING_CONTEXT_UNKNOWN,
                value,
                format!("`context.{name}` is not a context variable mappings can read"),
                "see AWS's $context reference (e.g. context.requestId, context.identity.sourceIp)",
            );
            None
        }
        Err(MappingError::Invalid(why)) => {
            cx.report(
                rules::MAPPING_SOURCE_INVALID,
                value,
                format!("`{expr}`: {why}"),
            );
            None
        }
    }
}

/// `{prefix}NAME → source` header mappings (method responses, gateway responses).
/// With `declared`, each NAME must be one of those headers (compared ignoring case).
pub(crate) fn header_mappings(
    cx: &mut Cx<'_>,
    params: &At<'_>,
    prefix: &str,
    place: Place,
    target_rule: Rule,
    declared: Option<(&[String], u16)>,
) -> Vec<HeaderMapping> {
    let mut out = Vec::new();
    for (key, value) in cx
        .object(params, "`responseParameters`")
        .unwrap_or_default()
    {
        let header = match mapping::parse_header_target(&key.text, prefix) {
            Ok(h) => Some(h.to_string()),
            Err(why) => {
                cx.report(
                    target_rule,
                    &KeyAt(key, &value),
                    format!("`{}` is not a valid target here: {why}", key.text),
                );
                None
            }
        };
        if let (Some(h), Some((headers, status))) = (&header, declared) {
            if !headers.iter().any(|d| d.eq_ignore_ascii_case(h)) {
                cx.report_hint(
                    rules::MAPPING_HEADER_UNDECLARED,
                    &KeyAt(key, &value),
                    format!("`{}` maps header `{h}`, which the {status} method response does not declare", key.text),
                    format!("declare it under responses.\"{status}\".headers"),
                );
                continue;
            }
        }
        let source = source(cx, &value, place);
        if let (Some(header), Some(source)) = (header, source) {
            out.push(HeaderMapping { header, source });
        }
    }
    out
}

/// A content-type → template map.
/// The templates of `at`, each parsed as VTL; a template that does not parse is reported
/// with its line and column and kept without a compiled form.
fn mapping_templates(cx: &mut Cx<'_>, at: &At<'_>, engine: Engine) -> Vec<MappingTemplate> {
    let sources = templates(cx, at);
    let mut out = Vec::with_capacity(sources.len());
    for (content_type, source) in sources {
        let compiled = match apigate_template::Compiled::parse(engine, &source) {
            Ok(t) => Some(std::sync::Arc::new(t)),
            Err(e) => {
                if let Some(value) = at.get(&content_type) {
                    let (rule, language, hint) = match engine {
                        Engine::Velocity => (
                            rules::TEMPLATE_SYNTAX,
                            "valid VTL",
                            "requests that select this template answer 500 (Velocity 1.7 syntax)",
                        ),
                        Engine::Handlebars => (
                            rules::HANDLEBARS_SYNTAX,
                            "a valid Handlebars template",
                            "fix the template (Handlebars syntax), or drop `x-apigate-template-engine` to use VTL",
                        ),
                    };
                    cx.report_hint(
                        rule,
                        &value,
                        format!(
                            "the `{content_type}` mapping template is not {language}: line {}, column {} of the template: {}",
                            e.line, e.col, e.message
                        ),
                        hint,
                    );
                }
                None
            }
        };
        out.push(MappingTemplate {
            content_type,
            source,
            compiled,
        });
    }
    out
}

pub(crate) fn templates(cx: &mut Cx<'_>, at: &At<'_>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (key, value) in cx.object(at, "the templates").unwrap_or_default() {
        if let Err(why) = MediaRange::parse(&key.text) {
            cx.report(
                rules::TEMPLATE_CONTENT_TYPE_INVALID,
                &KeyAt(key, &value),
                why,
            );
            continue;
        }
        let Some(body) = cx.string(&value, "a mapping template") else {
            continue;
        };
        if body.len() > MAX_TEMPLATE_BYTES {
            cx.report(
                rules::TEMPLATE_TOO_LARGE,
                &value,
                format!(
                    "the `{}` template is {} bytes; AWS allows {MAX_TEMPLATE_BYTES}",
                    key.text,
                    body.len()
                ),
            );
            continue;
        }
        out.push((key.text.to_string(), body.to_string()));
    }
    out
}

fn proxy_responses(cx: &mut Cx<'_>, at: &At<'_>) {
    let ignored = at.entries().into_iter().any(|(_, r)| {
        r.get("responseParameters")
            .is_some_and(|p| !p.entries().is_empty())
            || r.get("responseTemplates")
                .is_some_and(|t| !t.entries().is_empty())
    });
    if ignored {
        cx.report(rules::PROXY_RESPONSES_IGNORED, at, "proxy integrations return the backend's response as is; these response mappings are ignored");
    }
}

fn responses(
    cx: &mut Cx<'_>,
    at: &At<'_>,
    m: &MethodContext<'_>,
    engine: Engine,
) -> Vec<IntegrationResponse> {
    let mut patterns = Vec::new();
    let mut default = None;
    for (key, resp) in cx
        .object(at, "the integration `responses`")
        .unwrap_or_default()
    {
        let pattern = if key.text == "default" || key.text.is_empty() {
            None
        } else {
            match cx.selection_pattern(&key.text) {
                Ok(r) => Some(r),
                Err(JavaRegexError::Unsupported { construct, .. }) => {
                    cx.report_hint(
                        rules::SELECTION_PATTERN_UNSUPPORTED,
                        &KeyAt(key, &resp),
                        format!("selection pattern `{}` uses {construct}, which apigate cannot evaluate", key.text),
                        "rewrite it with plain Java constructs (no lookaround, backreferences, possessive or atomic parts); see docs/PARITY.md",
                    );
                    continue;
                }
                Err(e @ JavaRegexError::Invalid { .. }) => {
                    cx.report(
                        rules::SELECTION_PATTERN_INVALID,
                        &KeyAt(key, &resp),
                        format!("selection pattern `{}` is not a valid regex: {e}", key.text),
                    );
                    continue;
                }
            }
        };
        if cx.object(&resp, "an integration response").is_none() {
            continue;
        }
        let Some(status_at) = resp.get("statusCode") else {
            cx.report(
                rules::RESPONSE_STATUS_MISSING,
                &resp,
                format!("integration response `{}` has no statusCode", key.text),
            );
            continue;
        };
        let Some(status) = status_code(&status_at) else {
            let v = status_at.node.to_json();
            cx.report(
                rules::RESPONSE_STATUS_INVALID,
                &status_at,
                format!("statusCode {v} is not a status code from 100 to 599"),
            );
            continue;
        };
        let declared = m.responses.get(&status);
        if declared.is_none() {
            let list: Vec<String> = m.responses.keys().map(u16::to_string).collect();
            cx.report_hint(
                rules::RESPONSE_STATUS_UNDECLARED,
                &status_at,
                format!("integration response `{}` selects status {status}, which the method does not declare (declared: {}); AWS answers 500 when it is selected", key.text, if list.is_empty() { "none".into() } else { list.join(", ") }),
                format!("add \"{status}\" to the operation's responses"),
            );
        }
        let no_headers = Vec::new();
        let response_parameters = resp
            .get("responseParameters")
            .map(|p| {
                header_mappings(
                    cx,
                    &p,
                    "method.response.header.",
                    Place::MethodResponse,
                    rules::MAPPING_TARGET_INVALID,
                    Some((declared.unwrap_or(&no_headers).as_slice(), status))
                        .filter(|_| declared.is_some()),
                )
            })
            .unwrap_or_default();
        let response_templates = resp
            .get("responseTemplates")
            .map(|t| mapping_templates(cx, &t, engine))
            .unwrap_or_default();
        let content_handling = resp
            .get("contentHandling")
            .and_then(|c| content_handling(cx, &c));
        let r = IntegrationResponse {
            pattern,
            status,
            response_parameters,
            response_templates,
            content_handling,
        };
        if r.pattern.is_none() {
            default = Some(r);
        } else {
            patterns.push(r);
        }
    }
    patterns.extend(default);
    patterns
}

/// The key that chooses the mapping-template engine (an apigate extension).
pub(crate) const TEMPLATE_ENGINE_KEY: &str = "x-apigate-template-engine";

/// `velocity` or `handlebars`; anything else is reported.
pub(crate) fn template_engine(cx: &mut Cx<'_>, at: &At<'_>) -> Option<Engine> {
    let engine = at.str().and_then(Engine::parse);
    if engine.is_none() {
        let v = at.node.to_json();
        cx.report_hint(
            rules::TEMPLATE_ENGINE_UNKNOWN,
            at,
            format!("template engine {v} is not known"),
            "use velocity (API Gateway's VTL, the default) or handlebars",
        );
    }
    engine
}
