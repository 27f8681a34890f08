//! `aws_proxy` integrations: the method request as Lambda's payload-format-1.0 event, and the
//! function's `{statusCode, headers, multiValueHeaders, body, isBase64Encoded}` answer as the
//! method response. No mapping applies either way.
//!
//! What settled each detail (docs/PARITY.md, "Lambda proxy"): AWS's developer guide
//! (set-up-lambda-proxy-integrations: the fields, `null` for empty maps, the last value in the
//! single-value views, base64 for binary media types) and answers recorded on AWS in
//! LocalStack's snapshot tests `test_lambda_aws_proxy_integration` (2024-08-02: header names
//! as sent except `Authorization` and `User-Agent`, which arrive Title-Cased; no
//! `Content-Length`; query values form-decoded, `+` a space; `path` and `pathParameters` as
//! sent, not decoded; `requestContext.identity`'s keys present with `null` values) and
//! `test_aws_proxy_response_payload_format_validation` (2024-11-15: which answers are
//! malformed → 502, boolean header values, a string `statusCode`, the `multiValueHeaders`
//! merge, `Content-Type` defaulting to `application/json`).

use crate::body::{self, Body};
use crate::context::RequestContext;
use crate::error::{GatewayError, ResponseType};
use crate::integrations::http::proxy_response_headers;
use crate::request::NameCase;
use apigate_core::media::MediaRange;
use base64::Engine;
use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use http::request::Parts;
use http::{HeaderMap, Response, StatusCode};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// Request headers the event leaves out (recorded on AWS: a POST's event has no
/// `Content-Length`; `Connection` is hop-by-hop, §10.4).
const LEFT_OUT: [&str; 2] = ["content-length", "connection"];

/// Names the event spells Title-Case whatever the client sent (recorded on AWS).
const TITLE_CASED: [(&str, &str); 2] = [
    ("authorization", "Authorization"),
    ("user-agent", "User-Agent"),
];

/// What the event is built from.
#[derive(Debug)]
pub struct EventSource<'a> {
    pub parts: &'a Parts,
    /// The request path below the stage, as sent (`/pets/a%2Fb`).
    pub path: &'a str,
    /// The resource path template (`/{proxy+}`).
    pub resource: &'a str,
    pub name_case: NameCase<'a>,
    pub cx: &'a RequestContext,
    pub stage_variables: &'a BTreeMap<String, String>,
    pub binary_media_types: &'a [MediaRange],
    /// Headers the gateway adds on the way (`X-Amzn-Trace-Id`, `X-Forwarded-*`).
    pub added: &'a [(&'static str, String)],
    pub body: Bytes,
}

/// The payload-format-1.0 event, serialised.
pub fn event(source: &EventSource<'_>) -> Vec<u8> {
    let (headers, multi_headers) = event_headers(source);
    let (query, multi_query) = query_parameters(source.parts.uri.query());
    let path_parameters = path_parameters(source.resource, source.path);
    let (body, is_base64) = event_body(source);
    let stage_variables = (!source.stage_variables.is_empty()).then(|| {
        source
            .stage_variables
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect::<Map<_, _>>()
    });
    let event = json!({
        "resource": source.resource,
        // Through a custom domain the base path stays in (recorded by users of AWS:
        // aws/serverless-java-container#112).
        "path": event_path(if source.cx.base_path.is_some() {
            source.parts.uri.path()
        } else {
            source.path
        }),
        "httpMethod": source.parts.method.as_str(),
        "headers": non_empty(headers),
        "multiValueHeaders": non_empty(multi_headers),
        "queryStringParameters": non_empty(query),
        "multiValueQueryStringParameters": non_empty(multi_query),
        "pathParameters": non_empty(path_parameters),
        "stageVariables": stage_variables,
        "requestContext": request_context(source.cx),
        "body": body,
        "isBase64Encoded": is_base64,
    });
    event.to_string().into_bytes()
}

/// `null` for an empty map, as AWS sends.
fn non_empty(map: Map<String, Value>) -> Value {
    if map.is_empty() {
        Value::Null
    } else {
        Value::Object(map)
    }
}

/// The path as sent, with the leading run of slashes made one (recorded: `//x` → `/x`).
pub(crate) fn event_path(path: &str) -> String {
    format!("/{}", path.trim_start_matches('/'))
}

/// `headers` (each name's last value) and `multiValueHeaders`, names as sent.
fn event_headers(source: &EventSource<'_>) -> (Map<String, Value>, Map<String, Value>) {
    let mut single = Map::new();
    let mut multi: Map<String, Value> = Map::new();
    let mut add = |name: String, value: String| {
        single.insert(name.clone(), Value::String(value.clone()));
        match multi.get_mut(&name) {
            Some(Value::Array(values)) => values.push(Value::String(value)),
            _ => {
                multi.insert(name, Value::Array(vec![Value::String(value)]));
            }
        }
    };
    for (name, value) in &source.parts.headers {
        let lower = name.as_str();
        if LEFT_OUT.contains(&lower) {
            continue;
        }
        let shown = TITLE_CASED
            .iter()
            .find(|(l, _)| *l == lower)
            .map_or_else(|| source.name_case.show(lower), |(_, t)| (*t).to_string());
        add(
            shown,
            String::from_utf8_lossy(value.as_bytes()).into_owned(),
        );
    }
    for (name, value) in source.added {
        if !source.parts.headers.contains_key(*name) {
            add((*name).to_string(), value.clone());
        }
    }
    (single, multi)
}

/// `queryStringParameters` (last value) and `multiValueQueryStringParameters`, names and
/// values form-decoded (`+` is a space: recorded on AWS).
pub(crate) fn query_parameters(raw: Option<&str>) -> (Map<String, Value>, Map<String, Value>) {
    let mut single = Map::new();
    let mut multi: Map<String, Value> = Map::new();
    for (name, value) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        let (name, value) = (name.into_owned(), value.into_owned());
        single.insert(name.clone(), Value::String(value.clone()));
        match multi.get_mut(&name) {
            Some(Value::Array(values)) => values.push(Value::String(value)),
            _ => {
                multi.insert(name, Value::Array(vec![Value::String(value)]));
            }
        }
    }
    (single, multi)
}

/// `pathParameters`: each `{name}` of the resource path with the request's segment as sent
/// (not decoded: recorded on AWS), a greedy `{name+}` with the rest of the path (a trailing
/// slash left out).
pub(crate) fn path_parameters(resource: &str, path: &str) -> Map<String, Value> {
    let mut out = Map::new();
    let mut segments = path.trim_start_matches('/').split('/');
    for part in resource.trim_start_matches('/').split('/') {
        let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) else {
            segments.next();
            continue;
        };
        match name.strip_suffix('+') {
            Some(greedy) => {
                let rest = segments.by_ref().collect::<Vec<_>>().join("/");
                let rest = rest.strip_suffix('/').unwrap_or(&rest);
                out.insert(greedy.to_string(), Value::String(rest.to_string()));
            }
            None => {
                let value = segments.next().unwrap_or_default();
                out.insert(name.to_string(), Value::String(value.to_string()));
            }
        }
    }
    out
}

/// `body` (`null` without one) and `isBase64Encoded`: base64 when the Content-Type is one of
/// the API's binary media types, or when the payload is not UTF-8 text (nothing is lost).
fn event_body(source: &EventSource<'_>) -> (Value, bool) {
    if source.body.is_empty() {
        return (Value::Null, false);
    }
    let content_type = source
        .parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json");
    let binary = source
        .binary_media_types
        .iter()
        .any(|r| r.matches(content_type));
    match std::str::from_utf8(&source.body) {
        Ok(text) if !binary => (Value::String(text.to_string()), false),
        _ => (
            Value::String(base64::engine::general_purpose::STANDARD.encode(&source.body)),
            true,
        ),
    }
}

/// `requestContext`: the `$context` variables a proxy event carries.
pub(crate) fn request_context(cx: &RequestContext) -> Value {
    use apigate_core::context_var::ContextVar;
    let text = |var: ContextVar| cx.get(&var).map_or(Value::Null, Value::String);
    let caller = cx.caller.as_ref();
    let from_caller = |f: fn(&crate::auth::sigv4::Caller) -> &str| {
        caller.map_or(Value::Null, |c| Value::String(f(c).to_string()))
    };
    let mut context = json!({
        "accountId": text(ContextVar::AccountId),
        "apiId": text(ContextVar::ApiId),
        "deploymentId": text(ContextVar::DeploymentId),
        "domainName": text(ContextVar::DomainName),
        "domainPrefix": text(ContextVar::DomainPrefix),
        "extendedRequestId": text(ContextVar::ExtendedRequestId),
        "httpMethod": text(ContextVar::HttpMethod),
        "identity": {
            "accessKey": from_caller(|c| &c.access_key_id),
            "accountId": from_caller(|c| &c.account_id),
            "caller": from_caller(|c| &c.access_key_id),
            "cognitoAuthenticationProvider": null,
            "cognitoAuthenticationType": null,
            "cognitoIdentityId": null,
            "cognitoIdentityPoolId": null,
            "principalOrgId": null,
            "sourceIp": text(ContextVar::IdentitySourceIp),
            "user": from_caller(|c| &c.access_key_id),
            "userAgent": text(ContextVar::IdentityUserAgent),
            "userArn": from_caller(|c| &c.arn),
        },
        "path": text(ContextVar::Path),
        "protocol": text(ContextVar::Protocol),
        "requestId": text(ContextVar::RequestId),
        "requestTime": text(ContextVar::RequestTime),
        "requestTimeEpoch": u64::try_from(cx.request_time_epoch_ms).unwrap_or(u64::MAX),
        "resourceId": text(ContextVar::ResourceId),
        "resourcePath": text(ContextVar::ResourcePath),
        "stage": text(ContextVar::Stage),
    });
    // What a Lambda or Cognito authorizer produced (principalId, context, integrationLatency;
    // claims), when the method has one.
    if let (Some(authorizer), Value::Object(map)) = (&cx.authorizer, &mut context) {
        map.insert("authorizer".into(), authorizer.to_json());
    }
    // A key-required method's key (absent otherwise, as AWS's recorded events show).
    if let (Some((key, id)), Some(identity)) = (
        &cx.api_key,
        context.get_mut("identity").and_then(Value::as_object_mut),
    ) {
        identity.insert("apiKey".into(), Value::String(key.clone()));
        identity.insert("apiKeyId".into(), Value::String(id.clone()));
    }
    context
}

/// The keys a proxy answer may have; any other makes it malformed (recorded on AWS).
const ANSWER_KEYS: [&str; 5] = [
    "statusCode",
    "headers",
    "multiValueHeaders",
    "body",
    "isBase64Encoded",
];

/// The method response for the function's answer. `accept_binary`: the client's `Accept`
/// names one of the API's binary media types (then an `isBase64Encoded` body is decoded).
/// A malformed answer is a 502.
pub fn response(payload: &[u8], accept_binary: bool) -> Result<Response<Body>, GatewayError> {
    let answer: Value = serde_json::from_slice(payload)
        .map_err(|e| malformed(format!("the answer is not JSON: {e}")))?;
    let Value::Object(answer) = answer else {
        return Err(malformed("the answer is not a JSON object".into()));
    };
    if let Some(key) = answer.keys().find(|k| !ANSWER_KEYS.contains(&k.as_str())) {
        return Err(malformed(format!("unknown field {key}")));
    }
    let status = status_of(answer.get("statusCode"))?;
    let headers = merged_headers(answer.get("headers"), answer.get("multiValueHeaders"))?;
    let base64 = match answer.get("isBase64Encoded") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => return Err(malformed(format!("isBase64Encoded is {other}"))),
    };
    let body = match answer.get("body") {
        None | Some(Value::Null) => Bytes::new(),
        Some(Value::String(s)) if base64 && accept_binary => {
            let decoded = crate::convert::decode_base64(s.as_bytes()).map_err(|e| {
                GatewayError::configuration(format!(
                    "Execution failed: the Lambda proxy body is not base64: {e:?}"
                ))
            })?;
            Bytes::from(decoded)
        }
        Some(Value::String(s)) => Bytes::from(s.clone()),
        Some(other) => return Err(malformed(format!("body is not a string: {other}"))),
    };
    let mut response = Response::new(body::full(body));
    *response.status_mut() = status;
    let mut headers = proxy_response_headers(&headers);
    if !headers.contains_key(CONTENT_TYPE) {
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    }
    *response.headers_mut() = headers;
    Ok(response)
}

/// `statusCode`: a number or a numeric string, 200 when absent.
fn status_of(value: Option<&Value>) -> Result<StatusCode, GatewayError> {
    let code = match value {
        None | Some(Value::Null) => return Ok(StatusCode::OK),
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse::<u64>().ok(),
        Some(_) => None,
    };
    code.and_then(|c| u16::try_from(c).ok())
        .filter(|c| (100..=599).contains(c))
        .and_then(|c| StatusCode::from_u16(c).ok())
        .ok_or_else(|| malformed(format!("statusCode {}", value.unwrap_or(&Value::Null))))
}

/// `headers` and `multiValueHeaders` merged: a name in both gets the multi values first, then
/// the single one, under the multi-value spelling (recorded on AWS).
fn merged_headers(
    single: Option<&Value>,
    multi: Option<&Value>,
) -> Result<HeaderMap, GatewayError> {
    let single = object_or_null(single, "headers")?;
    let multi = object_or_null(multi, "multiValueHeaders")?;
    let mut out = HeaderMap::new();
    let mut append = |name: &str, value: &Value| -> Result<(), GatewayError> {
        let text = header_text(value).ok_or_else(|| {
            malformed(format!("header {name} has the value {value}, not a string"))
        })?;
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| malformed(format!("header name {name:?}")))?;
        let value = HeaderValue::from_str(&text)
            .map_err(|_| malformed(format!("header {name} value {text:?}")))?;
        out.append(name, value);
        Ok(())
    };
    for (name, values) in &multi {
        let Value::Array(values) = values else {
            return Err(malformed(format!("multiValueHeaders.{name} is not a list")));
        };
        for v in values {
            append(name, v)?;
        }
        if let Some((_, v)) = single.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
            append(name, v)?;
        }
    }
    for (name, value) in &single {
        if !multi.keys().any(|n| n.eq_ignore_ascii_case(name)) {
            append(name, value)?;
        }
    }
    Ok(out)
}

fn object_or_null(value: Option<&Value>, what: &str) -> Result<Map<String, Value>, GatewayError> {
    match value {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(m)) => Ok(m.clone()),
        Some(other) => Err(malformed(format!("{what} is {other}, not an object"))),
    }
}

/// A header value: a string, or a boolean as `true`/`false` (recorded on AWS).
fn header_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// 502 `Internal server error`: what AWS answers for a malformed proxy answer.
fn malformed(why: String) -> GatewayError {
    GatewayError::new(
        ResponseType::ApiConfigurationError,
        format!(
            "Execution failed due to configuration error: Malformed Lambda proxy response: {why}"
        ),
    )
    .with_status(502)
}

/// 502 for a function that failed (`X-Amz-Function-Error`), as AWS answers.
pub fn function_failed(function: &str, payload: &[u8]) -> GatewayError {
    GatewayError::new(
        ResponseType::ApiConfigurationError,
        format!(
            "Lambda execution failed with status 200 due to customer function error: {} ({function})",
            String::from_utf8_lossy(payload)
        ),
    )
    .with_status(502)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_parameters_as_sent() {
        let p = path_parameters("/{proxy+}", "/proxy-value/api/user/test%2Balias@gmail.com");
        assert_eq!(p["proxy"], "proxy-value/api/user/test%2Balias@gmail.com");
        assert_eq!(path_parameters("/{proxy+}", "/a/")["proxy"], "a");
        assert_eq!(path_parameters("/{proxy+}", "//a//b")["proxy"], "a//b");
        let p = path_parameters("/pets/{id}/toys/{toy}", "/pets/7/toys/a%20b");
        assert_eq!(p["id"], "7");
        assert_eq!(p["toy"], "a%20b");
        assert!(path_parameters("/hardcoded", "/hardcoded").is_empty());
    }

    #[test]
    fn query_views_form_decode() {
        let (single, multi) = query_parameters(Some(
            "email=test%2Balias@gmail.com&plus=test+alias@gmail.com&price=10&price=20&flag",
        ));
        assert_eq!(single["email"], "test+alias@gmail.com");
        assert_eq!(single["plus"], "test alias@gmail.com");
        assert_eq!(single["price"], "20");
        assert_eq!(multi["price"], json!(["10", "20"]));
        assert_eq!(single["flag"], "");
        assert!(query_parameters(None).0.is_empty());
    }

    fn answer(v: Value) -> Result<Response<Body>, GatewayError> {
        response(v.to_string().as_bytes(), false)
    }

    #[test]
    fn answers_recorded_on_aws() {
        let r = answer(
            json!({"statusCode": 200, "headers": {"test-header": "value", "header-bool": true}}),
        )
        .unwrap();
        assert_eq!(r.headers()["header-bool"], "true");
        assert_eq!(r.headers()["content-type"], "application/json");
        let r = answer(json!({"statusCode": "201"})).unwrap();
        assert_eq!(r.status(), 201);
        let r = answer(json!({"headers": {"x": "y"}})).unwrap();
        assert_eq!(r.status(), 200);
        let r = answer(json!({"statusCode": 200, "multiValueHeaders": {"tesT-Multi": ["value-multi"]}, "headers": {"test-multi": "value-solo"}})).unwrap();
        let values: Vec<_> = r.headers().get_all("test-multi").iter().collect();
        assert_eq!(values, ["value-multi", "value-solo"]);
        for bad in [
            json!({"statusCode": 200, "wrongValue": "value"}),
            json!({"statusCode": "test"}),
            json!({"statusCode": 200, "multiValueHeaders": {"a": "value1"}}),
            json!("justAString"),
            json!({"statusCode": 200, "headers": {"n": 1}}),
            json!({"statusCode": 200, "body": {"a": 1}}),
        ] {
            let e = answer(bad.clone()).unwrap_err();
            assert_eq!(e.status(), 502, "{bad}");
        }
        assert_eq!(response(b"not json", false).unwrap_err().status(), 502);
    }
}
