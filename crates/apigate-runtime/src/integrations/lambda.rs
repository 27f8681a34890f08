//! Calling a Lambda function through the Invoke API
//! (`POST /2015-03-31/functions/{FunctionName}/invocations`, SigV4 for service `lambda`), as
//! AWS Lambda, `sam local start-lambda`, LocalStack and the runtime interface emulator serve
//! it. Used by `aws` and `aws_proxy` integrations ([`crate::lambda_proxy`] builds the proxy
//! event) and by Lambda authorizers.
//!
//! Where calls go: `--aws-endpoint lambda=URL` (or one URL for every service, or `aws`); see
//! [`super::aws`]. Credentials: the integration's role toward real AWS, the caller's for
//! `arn:aws:iam::*:user/*`, else the gateway's own.

use super::aws::{self, AwsClient, Call};
use super::{render, AwsCall, EndpointRequest, EndpointResponse};
use crate::auth::CallerCredentials;
use crate::body::{self, BackendFault, BoxError};
use crate::error::{GatewayError, ResponseType};
use crate::trace::Trace;
use apigate_core::model::Credentials as IntegrationCredentials;
use apigate_core::uri::{AwsAction, AwsUri};
use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// The Invoke API's path prefix in integration and authorizer URIs.
const INVOKE_PREFIX: &str = "/2015-03-31/functions/";
const INVOKE_SUFFIX: &str = "/invocations";

/// A function to invoke: its region and its name as the URI gives it (an ARN, possibly with
/// a qualifier, or a plain name), stage variables resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Function {
    pub region: String,
    pub partition: String,
    pub name: String,
}

/// The function an integration or authorizer URI names
/// (`arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function}/invocations`).
/// The region is the function ARN's when it has one, else the URI's.
pub fn function_of(
    uri: &AwsUri,
    stage_variables: &BTreeMap<String, String>,
) -> Result<Function, GatewayError> {
    let not_invoke = || {
        GatewayError::configuration(format!(
            "Execution failed due to configuration error: the Lambda URI path is not \
             {INVOKE_PREFIX}{{function}}{INVOKE_SUFFIX}"
        ))
    };
    let AwsAction::Path(template) = &uri.action else {
        return Err(not_invoke());
    };
    // Literals and stage variables only: the function is not taken from the request.
    let path = render(template, &BTreeMap::new(), stage_variables, true)?;
    let name = path
        .strip_prefix(INVOKE_PREFIX)
        .and_then(|rest| rest.strip_suffix(INVOKE_SUFFIX))
        .filter(|name| !name.is_empty() && !name.contains('/'))
        .ok_or_else(not_invoke)?;
    let region = match name.split(':').collect::<Vec<_>>().as_slice() {
        ["arn", _, "lambda", region, ..] if !region.is_empty() => (*region).to_string(),
        _ => super::resolve_region(&uri.region, stage_variables)?,
    };
    Ok(Function {
        region,
        partition: uri.partition.clone(),
        name: name.to_string(),
    })
}

/// One invocation.
#[derive(Debug)]
pub struct Invoke<'a> {
    pub function: &'a Function,
    pub payload: Bytes,
    /// The integration's (or authorizer's) `credentials`.
    pub role: Option<&'a IntegrationCredentials>,
    pub caller: Option<&'a CallerCredentials>,
    /// `X-Amz-Invocation-Type: Event`: Lambda queues the call and answers 202 at once.
    pub asynchronous: bool,
    pub timeout: Duration,
    pub trace: Option<&'a Trace>,
}

/// The Invoke API's answer.
#[derive(Debug)]
pub struct Invoked {
    /// 200 (`RequestResponse`), 202 (`Event`); other statuses are errors ([`LambdaBackend::invoke`]).
    pub status: u16,
    /// `X-Amz-Function-Error` (`Unhandled`, `Handled`): the payload is the error object.
    pub function_error: Option<String>,
    pub payload: Bytes,
}

/// Calls Lambda's Invoke API.
#[derive(Debug)]
pub struct LambdaBackend {
    aws: Arc<AwsClient>,
    /// Most bytes of a function's answer read (Lambda's own limit is 6 MB).
    limit: u64,
}

impl LambdaBackend {
    pub fn new(aws: Arc<AwsClient>, limit: u64) -> LambdaBackend {
        LambdaBackend { aws, limit }
    }

    /// Where calls go (`aws` for the regional endpoints), `None` without an endpoint.
    pub fn endpoint(&self) -> Option<String> {
        self.aws.endpoints().get("lambda").map(|e| match e {
            aws::Endpoint::Custom(url) => url.clone(),
            aws::Endpoint::Aws => "the regional AWS endpoints".to_string(),
        })
    }

    /// Invokes the function and reads its whole answer, all within `call.timeout` (504 past
    /// it). An Invoke API error (the function does not exist, the signature or permission is
    /// refused, Lambda throttles) is a 500, as API Gateway answers when it cannot invoke.
    pub async fn invoke(&self, call: Invoke<'_>) -> Result<Invoked, GatewayError> {
        let function = call.function;
        let mut headers = http::HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if call.asynchronous {
            headers.insert(
                HeaderName::from_static("x-amz-invocation-type"),
                HeaderValue::from_static("Event"),
            );
        }
        let received = self
            .aws
            .send(Call {
                service: "lambda",
                signing_name: "lambda",
                region: &function.region,
                partition: &function.partition,
                method: http::Method::POST,
                path_and_query: format!(
                    "{INVOKE_PREFIX}{}{INVOKE_SUFFIX}",
                    super::encode_query(&function.name)
                ),
                headers,
                payload: call.payload,
                role: call.role,
                caller: call.caller,
                timeout: call.timeout,
                trace: call.trace,
            })
            .await?;
        let function_error = received
            .headers
            .get("x-amz-function-error")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let status = received.status;
        let bounded = received.deadline.bound(received.body);
        let payload = body::collect(bounded, self.limit).await.map_err(|e| {
            match e {
                body::CollectError::Read(e) => {
                    body::CollectError::Backend(BackendFault::Failed(e as BoxError))
                }
                other => other,
            }
            .into_gateway_error("Lambda response")
        })?;
        if let Some(t) = call.trace {
            t.log(format!(
                "Endpoint response status: {status}, function error: {}",
                function_error.as_deref().unwrap_or("none")
            ));
            t.log(format!(
                "Endpoint response body: {}",
                String::from_utf8_lossy(&payload)
            ));
        }
        if !matches!(status, 200 | 202 | 204) {
            return Err(invoke_failed(status, &payload, &function.name));
        }
        Ok(Invoked {
            status,
            function_error,
            payload,
        })
    }
}

impl LambdaBackend {
    /// An `aws` (non-proxy) integration: the mapped body (the request template's output) is
    /// the payload; the function's result is the integration response body, and a function
    /// error's `errorMessage` is what response selection matches (`""` on success: recorded
    /// on AWS, LocalStack's snapshot `test_lambda_selection_patterns`). A mapped
    /// `X-Amz-Invocation-Type: Event` header makes the call asynchronous.
    pub async fn send(
        &self,
        call: &AwsCall<'_>,
        request: EndpointRequest,
    ) -> Result<EndpointResponse, GatewayError> {
        let function = function_of(call.uri, call.stage_variables)?;
        let payload = body::collect(request.body, call.buffer_limit)
            .await
            .map_err(|e| e.into_gateway_error("request body"))?;
        let asynchronous = request
            .headers
            .get("x-amz-invocation-type")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"Event"));
        let invoked = self
            .invoke(Invoke {
                function: &function,
                payload,
                role: call.role,
                caller: call.caller,
                asynchronous,
                timeout: request.timeout,
                trace: request.trace.as_deref(),
            })
            .await?;
        let selection = match invoked.function_error {
            Some(_) => error_message(&invoked.payload),
            None => String::new(),
        };
        let mut headers = http::HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        Ok(EndpointResponse {
            status: invoked.status,
            headers,
            body: body::full(invoked.payload),
            deadline: None,
            selection: Some(selection),
        })
    }
}

/// A function error's `errorMessage` (`""` when the payload has none).
fn error_message(payload: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(payload)
        .ok()
        .and_then(|v| v.get("errorMessage")?.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// An Invoke API error (not the function's): 500, as API Gateway answers when it cannot
/// invoke ("Invalid permissions on Lambda function", an unknown function, throttling).
fn invoke_failed(status: u16, payload: &[u8], function: &str) -> GatewayError {
    let kind = serde_json::from_slice::<serde_json::Value>(payload)
        .ok()
        .and_then(|v| {
            v.get("Type")
                .or_else(|| v.get("__type"))
                .or_else(|| v.get("code"))
                .and_then(|t| t.as_str().map(str::to_string))
        })
        .unwrap_or_default();
    GatewayError::new(
        ResponseType::ApiConfigurationError,
        format!(
            "Execution failed due to configuration error: Lambda answered {status} {kind} to the \
             invocation of {function}: {}",
            String::from_utf8_lossy(payload)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use apigate_core::uri::parse_aws_uri;

    #[test]
    fn function_from_invoke_uris() {
        let vars = BTreeMap::from([("alias".to_string(), "live".to_string())]);
        let uri = parse_aws_uri(
            "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/\
             arn:aws:lambda:eu-west-1:123456789012:function:calc:${stageVariables.alias}/invocations",
        )
        .unwrap();
        assert_eq!(
            function_of(&uri, &vars).unwrap(),
            Function {
                region: "eu-west-1".into(),
                partition: "aws".into(),
                name: "arn:aws:lambda:eu-west-1:123456789012:function:calc:live".into(),
            }
        );
        let uri = parse_aws_uri(
            "arn:aws:apigateway:us-west-2:lambda:path/2015-03-31/functions/calc/invocations",
        )
        .unwrap();
        assert_eq!(function_of(&uri, &vars).unwrap().region, "us-west-2");
        for bad in [
            "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/invocations",
            "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/a/b/invocations",
            "arn:aws:apigateway:us-east-1:lambda:action/Invoke",
        ] {
            let uri = parse_aws_uri(bad).unwrap();
            assert!(function_of(&uri, &vars).is_err(), "{bad}");
        }
        let uri = parse_aws_uri(
            "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/f:${stageVariables.none}/invocations",
        )
        .unwrap();
        assert!(function_of(&uri, &vars).is_err());
    }
}
