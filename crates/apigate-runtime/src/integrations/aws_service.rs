//! `type: aws` integrations with AWS services other than S3 and Lambda (SQS, SNS, Kinesis,
//! DynamoDB, Step Functions, EventBridge, Firehose: `apigate_core::aws_services`), in both URI
//! forms:
//!
//! - `…:{service}:path/{path}`: the rendered path with the integration's verb, mapped query
//!   string, headers and body (SQS's `path/{account}/{queue}`);
//! - `…:{service}:action/{Action}[&Name=value…]`: the service's own protocol — Query services
//!   get `Action` and `Version` first in a form body when the request has one, else in the
//!   query string (with the URI's parameters); JSON services
//!   get `POST /` with `X-Amz-Target: {prefix}.{Action}` and their
//!   `application/x-amz-json-1.x` Content-Type. Mapped headers win.
//!
//! The request is signed for the service's signing name in the URI's region
//! ([`super::aws::AwsClient`]); the service's status, headers and body are the integration
//! response, streamed.

use super::aws::{AwsClient, Call};
use super::{encode_query, render, render_value, AwsCall, EndpointRequest, EndpointResponse};
use crate::body;
use crate::error::GatewayError;
use apigate_core::aws_services::{self, Protocol};
use apigate_core::uri::AwsAction;
use http::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use std::sync::Arc;

/// Calls the services of `apigate_core::aws_services`.
#[derive(Debug)]
pub struct AwsServiceBackend {
    aws: Arc<AwsClient>,
}

impl AwsServiceBackend {
    pub fn new(aws: Arc<AwsClient>) -> AwsServiceBackend {
        AwsServiceBackend { aws }
    }

    /// Sends `request` to the service `uri` names. The payload is read whole (within
    /// `buffer_limit`): these services sign its hash.
    pub async fn send(
        &self,
        call: &AwsCall<'_>,
        request: EndpointRequest,
    ) -> Result<EndpointResponse, GatewayError> {
        let service = aws_services::service(&call.uri.service).ok_or_else(|| {
            GatewayError::configuration(format!(
                "Execution failed: the AWS service '{}' cannot be called yet",
                call.uri.service
            ))
        })?;
        let region = super::resolve_region(&call.uri.region, call.stage_variables)?;
        let mut headers = request.headers;
        let mut payload = body::collect(request.body, call.buffer_limit)
            .await
            .map_err(|e| e.into_gateway_error("request body"))?;
        let mut query: Vec<(String, String)> = Vec::new();
        let path = match &call.uri.action {
            AwsAction::Path(template) => {
                render(template, &request.path, call.stage_variables, true)?
            }
            AwsAction::Action { name, params } => {
                match service.protocol {
                    Protocol::Query { version } => {
                        let mut action = vec![("Action".to_string(), name.clone())];
                        if !params.iter().any(|(k, _)| k == "Version") {
                            action.push(("Version".into(), version.into()));
                        }
                        if is_form(&headers) && !payload.is_empty() {
                            // A form body carries the parameters: the action goes with them.
                            payload = prepend_form(&action, &payload);
                        } else {
                            query.extend(action);
                        }
                    }
                    Protocol::Json {
                        version,
                        target_prefix,
                    } => json_protocol(&mut headers, name, version, target_prefix)?,
                }
                for (k, v) in params {
                    query.push((
                        k.clone(),
                        render_value(v, &request.path, call.stage_variables)?,
                    ));
                }
                "/".to_string()
            }
        };
        query.extend(request.query);
        let mut path_and_query = path;
        for (i, (k, v)) in query.iter().enumerate() {
            path_and_query.push(if i == 0 { '?' } else { '&' });
            path_and_query.extend(encode_query(k));
            path_and_query.push('=');
            path_and_query.extend(encode_query(v));
        }
        super::refuse_reserved_headers(&headers, apigate_core::model::IntegrationType::Aws)?;
        let received = self
            .aws
            .send(Call {
                service: &call.uri.service,
                signing_name: service.signing_name,
                region: &region,
                partition: &call.uri.partition,
                method: request.method,
                path_and_query,
                headers,
                payload,
                role: call.role,
                caller: call.caller,
                timeout: request.timeout,
                trace: request.trace.as_deref(),
            })
            .await?;
        Ok(received.into())
    }
}

/// Whether the payload is a form (`application/x-www-form-urlencoded`).
fn is_form(headers: &http::HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            apigate_core::media::essence(v)
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// `pairs` form-encoded, then `&` and the form `body`.
fn prepend_form(pairs: &[(String, String)], body: &[u8]) -> bytes::Bytes {
    let mut form = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        form.append_pair(k, v);
    }
    let mut out = form.finish().into_bytes();
    out.push(b'&');
    out.extend_from_slice(body);
    out.into()
}

/// A JSON-protocol action: `X-Amz-Target` and the service's Content-Type, unless mapped (a
/// Content-Type of `application/json`, the default a payload gets, counts as unmapped).
fn json_protocol(
    headers: &mut http::HeaderMap,
    action: &str,
    version: &str,
    target_prefix: &str,
) -> Result<(), GatewayError> {
    let target = HeaderName::from_static("x-amz-target");
    if !headers.contains_key(&target) {
        let value = HeaderValue::from_str(&format!("{target_prefix}.{action}"))
            .map_err(|e| GatewayError::configuration(format!("action {action}: {e}")))?;
        headers.insert(target, value);
    }
    let defaulted = headers
        .get(CONTENT_TYPE)
        .is_none_or(|v| v.as_bytes().eq_ignore_ascii_case(b"application/json"));
    if defaulted {
        let value = HeaderValue::from_str(&format!("application/x-amz-json-{version}"))
            .map_err(|e| GatewayError::configuration(format!("JSON version {version}: {e}")))?;
        headers.insert(CONTENT_TYPE, value);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_actions_go_into_a_form_body() {
        let action = [("Action".to_string(), "Publish".to_string())];
        assert_eq!(
            &prepend_form(&action, b"Message=a%20b")[..],
            b"Action=Publish&Message=a%20b"
        );
        let mut h = http::HeaderMap::new();
        assert!(!is_form(&h));
        h.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("Application/X-WWW-Form-Urlencoded; charset=utf-8"),
        );
        assert!(is_form(&h));
    }

    #[test]
    fn json_actions_get_their_target_and_content_type() {
        let mut h = http::HeaderMap::new();
        h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        json_protocol(&mut h, "PutRecord", "1.1", "Kinesis_20131202").unwrap();
        assert_eq!(h["x-amz-target"], "Kinesis_20131202.PutRecord");
        assert_eq!(h[CONTENT_TYPE], "application/x-amz-json-1.1");

        let mut h = http::HeaderMap::new();
        h.insert(
            "x-amz-target",
            HeaderValue::from_static("AWSEvents.PutEvents"),
        );
        h.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/x-amz-json-1.1"),
        );
        json_protocol(&mut h, "Other", "1.0", "X").unwrap();
        assert_eq!(h["x-amz-target"], "AWSEvents.PutEvents", "mapped wins");
        assert_eq!(h[CONTENT_TYPE], "application/x-amz-json-1.1");
    }
}
