//! Lambda authorizers (`TOKEN` and `REQUEST`): the identity read from the request (missing →
//! 401 without calling the function), the event the function gets, the call through the
//! gateway's Lambda client ([`LambdaBackend`]), what its answer means, and the result cache.
//!
//! The answers, as AWS gives them (docs/PARITY.md, authorizers, names the sources):
//!
//! | the function | the client gets |
//! |---|---|
//! | a policy that allows the method ARN | the method runs; `principalId`, `context` in `$context.authorizer` |
//! | a policy with an applicable `Deny` | 403 ACCESS_DENIED, "User is not authorized to access this resource with an explicit deny" |
//! | a policy that allows something else | 403 ACCESS_DENIED, "User is not authorized to access this resource" |
//! | fails with the message `Unauthorized` | 401 UNAUTHORIZED |
//! | fails otherwise, cannot be called, answers without `principalId` or a parseable `policyDocument` | 500 AUTHORIZER_CONFIGURATION_ERROR, `{"message":null}` |

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use apigate_core::model::{AuthorizerDef, AuthorizerKind, IdentitySource};
use bytes::Bytes;
use serde_json::{json, Map, Value};

use super::cache::ResultCache;
use super::policy::{Decision, Policy};
use super::result::AuthorizerResult;
use crate::context::RequestContext;
use crate::error::{GatewayError, ResponseType};
use crate::integrations::lambda::{function_of, Invoke, LambdaBackend};
use crate::request::MethodRequest;

/// How long the gateway waits for an authorizer function ([I]: AWS does not document it; the
/// integration limit).
pub const AUTHORIZER_TIMEOUT: Duration = Duration::from_secs(29);

/// What a Lambda authorizer answered, parsed: kept in the cache and evaluated per request.
#[derive(Debug, Clone)]
pub struct Output {
    pub principal_id: String,
    pub policy: Policy,
    pub context: Vec<(String, Value)>,
    pub usage_identifier_key: Option<String>,
}

/// The request as a Lambda authorizer sees it.
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    pub parts: &'a http::request::Parts,
    /// The request path below the stage, as sent.
    pub path: &'a str,
    pub request: &'a MethodRequest<'a>,
    pub context: &'a RequestContext,
    pub stage_variables: &'a BTreeMap<String, String>,
    /// `arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{VERB}/{path}`.
    pub method_arn: &'a str,
}

/// Runs the Lambda authorizer `def` for one request. A deny keeps what the function
/// answered: the ACCESS_DENIED gateway response may read `$context.authorizer.*`.
pub async fn authorize(
    def: &AuthorizerDef,
    call: Call<'_>,
    lambda: &LambdaBackend,
    cache: &ResultCache<Output>,
) -> Result<AuthorizerResult, Denied> {
    let identity = identity(def, call)?;
    if def.kind == AuthorizerKind::Token {
        if let (Some(pattern), Some(token)) = (&def.validation, identity.first()) {
            if !pattern.is_match(token) {
                return Err(unauthorized(format!(
                    "the token does not match identityValidationExpression `{}`",
                    pattern.as_str()
                ))
                .into());
            }
        }
    }
    let key = (def.name.clone(), identity);
    let started = Instant::now();
    let (output, latency) = match cache.get(&key, started) {
        Some(output) => (output, 0),
        None => {
            let output = invoke(def, call, &key.1, lambda).await?;
            let latency = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
            let ttl = Duration::from_secs(u64::from(def.ttl_seconds));
            cache.insert(key, output.clone(), ttl, Instant::now());
            (output, latency)
        }
    };
    let decision = output.policy.evaluate(call.method_arn);
    let result = AuthorizerResult {
        principal_id: Some(output.principal_id),
        context: output.context,
        claims: None,
        usage_identifier_key: output.usage_identifier_key,
        integration_latency_ms: latency,
    };
    let (message, why) = match decision {
        Decision::Allow => return Ok(result),
        Decision::ExplicitDeny => (
            "User is not authorized to access this resource with an explicit deny",
            "denies",
        ),
        Decision::ImplicitDeny => (
            "User is not authorized to access this resource",
            "does not allow",
        ),
    };
    Err(Denied {
        error: GatewayError::with_message(
            ResponseType::AccessDenied,
            message,
            format!(
                "authorizer {}: the policy {why} {}",
                def.name, call.method_arn
            ),
        ),
        authorizer: Some(result),
    })
}

/// An authorizer's refusal, with what it answered when it answered (a deny's principal and
/// context).
#[derive(Debug)]
pub struct Denied {
    pub error: GatewayError,
    pub authorizer: Option<AuthorizerResult>,
}

impl From<GatewayError> for Denied {
    fn from(error: GatewayError) -> Denied {
        Denied {
            error,
            authorizer: None,
        }
    }
}

/// The 401 a missing or refused identity gets (the function is not called).
pub fn unauthorized(detail: impl Into<String>) -> GatewayError {
    GatewayError::new(ResponseType::Unauthorized, detail)
}

/// The identity-source values, in order; any missing or empty → 401.
fn identity(def: &AuthorizerDef, call: Call<'_>) -> Result<Vec<String>, GatewayError> {
    def.identity_sources
        .iter()
        .map(|source| {
            identity_value(source, call)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| {
                    unauthorized(format!(
                        "authorizer {}: identity source {} is missing or empty",
                        def.name,
                        source.expression()
                    ))
                })
        })
        .collect()
}

fn identity_value(source: &IdentitySource, call: Call<'_>) -> Option<String> {
    match source {
        IdentitySource::Header(name) => call.request.header_last(name).map(|v| v.into_owned()),
        IdentitySource::QueryString(name) => call.request.query_last(name).map(str::to_string),
        IdentitySource::StageVariable(name) => call.stage_variables.get(name).cloned(),
        IdentitySource::Context(var) => call.context.get(var),
    }
}

/// Calls the function and parses its answer.
async fn invoke(
    def: &AuthorizerDef,
    call: Call<'_>,
    identity: &[String],
    lambda: &LambdaBackend,
) -> Result<Output, GatewayError> {
    let uri = def
        .function
        .as_ref()
        .ok_or_else(|| configuration(def, "the authorizer has no function".to_string()))?;
    let function =
        function_of(uri, call.stage_variables).map_err(|e| configuration(def, e.detail))?;
    let event = match def.kind {
        AuthorizerKind::Token => {
            token_event(identity.first().map_or("", String::as_str), call.method_arn)
        }
        _ => request_event(call),
    };
    let answer = lambda
        .invoke(Invoke {
            function: &function,
            payload: Bytes::from(event.to_string()),
            role: def.credentials.as_ref(),
            caller: None,
            asynchronous: false,
            timeout: AUTHORIZER_TIMEOUT,
            trace: None,
        })
        .await
        .map_err(|e| {
            configuration(
                def,
                format!(
                    "the function {} could not be called: {}",
                    function.name, e.detail
                ),
            )
        })?;
    if let Some(kind) = &answer.function_error {
        let message = serde_json::from_slice::<Value>(&answer.payload)
            .ok()
            .and_then(|v| {
                v.get("errorMessage")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            });
        if message.as_deref() == Some("Unauthorized") {
            return Err(unauthorized(format!(
                "authorizer {}: the function answered Unauthorized",
                def.name
            )));
        }
        return Err(configuration(
            def,
            format!(
                "the function failed ({kind}): {}",
                message.unwrap_or_else(|| String::from_utf8_lossy(&answer.payload).into_owned())
            ),
        ));
    }
    parse_output(&answer.payload).map_err(|why| configuration(def, why))
}

/// AUTHORIZER_CONFIGURATION_ERROR (500, message `null`), with `why` for the log.
fn configuration(def: &AuthorizerDef, why: String) -> GatewayError {
    GatewayError::new(
        ResponseType::AuthorizerConfigurationError,
        format!(
            "Execution failed due to configuration error: authorizer {}: {why}",
            def.name
        ),
    )
}

/// The TOKEN event.
pub fn token_event(token: &str, method_arn: &str) -> Value {
    json!({"type": "TOKEN", "authorizationToken": token, "methodArn": method_arn})
}

/// The REQUEST event, as the developer guide documents it ("Input to an API Gateway Lambda
/// authorizer"): the method ARN, resource and path, the headers and query string (single-
/// and multi-value), path parameters, stage variables and the request context. Empty maps
/// are `{}` (the guide's example); the query string, path parameters and request context
/// are read as for the Lambda proxy event ([`crate::lambda_proxy`], recorded on AWS).
pub fn request_event(call: Call<'_>) -> Value {
    use crate::lambda_proxy::{event_path, path_parameters, query_parameters, request_context};
    let request = call.request;
    let cx = call.context;
    let mut headers = Map::new();
    let mut multi_headers: Map<String, Value> = Map::new();
    for name in request.headers.keys() {
        let shown = request.name_case.show(name.as_str());
        let values: Vec<Value> = request
            .headers
            .get_all(name)
            .iter()
            .map(|v| Value::String(String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        if let Some(last) = values.last() {
            headers.insert(shown.clone(), last.clone());
        }
        multi_headers.insert(shown, Value::Array(values));
    }
    let (query, multi_query) = query_parameters(call.parts.uri.query());
    let stage_variables: Map<String, Value> = call
        .stage_variables
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    json!({
        "type": "REQUEST",
        "methodArn": call.method_arn,
        "resource": cx.resource_path,
        "path": event_path(call.path),
        "httpMethod": call.parts.method.as_str(),
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": path_parameters(&cx.resource_path, call.path),
        "stageVariables": stage_variables,
        "requestContext": request_context(cx),
    })
}

/// Parses a Lambda authorizer's answer: `principalId` (a string), `policyDocument` (a policy),
/// `context` (string, number and boolean values only), `usageIdentifierKey`.
pub fn parse_output(payload: &[u8]) -> Result<Output, String> {
    let value: Value =
        serde_json::from_slice(payload).map_err(|e| format!("Invalid JSON in response: {e}"))?;
    let object = value.as_object().ok_or("the answer is not a JSON object")?;
    let principal_id = match object.get("principalId") {
        Some(Value::String(s)) => s.clone(),
        Some(n @ (Value::Number(_) | Value::Bool(_))) => n.to_string(),
        _ => return Err("the answer has no principalId".into()),
    };
    let document = object
        .get("policyDocument")
        .ok_or("the answer has no policyDocument")?;
    let policy = Policy::parse(document).map_err(|e| format!("Could not parse policy: {e}"))?;
    let context = match object.get("context") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| match v {
                Value::String(_) | Value::Number(_) | Value::Bool(_) => Ok((k.clone(), v.clone())),
                _ => Err(format!(
                    "context value `{k}` is not a string, number or boolean"
                )),
            })
            .collect::<Result<Vec<_>, _>>()?,
        Some(_) => return Err("context is not an object".into()),
    };
    let usage_identifier_key = match object.get("usageIdentifierKey") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err("usageIdentifierKey is not a string".into()),
    };
    Ok(Output {
        principal_id,
        policy,
        context,
        usage_identifier_key,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn outputs_parse_as_aws_documents_them() {
        let out = parse_output(
            br#"{"principalId": "yyyyyyyy", "policyDocument": {"Version": "2012-10-17",
                "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": "*"}]},
                "context": {"stringKey": "value", "numberKey": 1, "booleanKey": true},
                "usageIdentifierKey": "key-1"}"#,
        )
        .unwrap();
        assert_eq!(out.principal_id, "yyyyyyyy");
        assert_eq!(out.policy.evaluate("arn:x"), Decision::Allow);
        assert_eq!(out.context.len(), 3);
        assert_eq!(out.usage_identifier_key.as_deref(), Some("key-1"));
    }

    #[test]
    fn malformed_outputs_are_refused() {
        let policy = r#""policyDocument": {"Statement": []}"#;
        for bad in [
            "null".to_string(),
            "not json".to_string(),
            format!("{{{policy}}}"),
            r#"{"principalId": "p"}"#.to_string(),
            r#"{"principalId": "p", "policyDocument": {}}"#.to_string(),
            format!(r#"{{"principalId": "p", {policy}, "context": {{"o": {{}}}}}}"#),
            format!(r#"{{"principalId": "p", {policy}, "context": []}}"#),
            format!(r#"{{"principalId": "p", {policy}, "usageIdentifierKey": 1}}"#),
        ] {
            assert!(parse_output(bad.as_bytes()).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_token_event_is_the_documented_one() {
        assert_eq!(
            token_event(
                "allow",
                "arn:aws:execute-api:us-west-2:123456789012:ymy8tbxw7b/*/GET/"
            ),
            json!({"type": "TOKEN", "authorizationToken": "allow",
                   "methodArn": "arn:aws:execute-api:us-west-2:123456789012:ymy8tbxw7b/*/GET/"})
        );
    }
}
