//! `type: aws` integrations with S3: turns the integration URI (`s3:path/…`, `bucket.s3:path/…`
//! or `s3:action/Name&…`) and the mapped request into a path-style S3 request, signs it with
//! SigV4 and sends it, streaming the body both ways.
//!
//! Where requests go: a configured S3-compatible endpoint (the embedded store, moto, MinIO…)
//! or the real regional AWS endpoints. Credentials: see [`super::signer`]; the integration's
//! role is assumed only toward real AWS — a local store has no IAM to assume it in.

use super::client::BackendClient;
use super::signer::{self, AssumedRoles, CredentialSource, Payload};
use super::{
    encode_query, render, render_value, send_error, AwsCall, EndpointRequest, EndpointResponse,
};
use crate::auth::CallerCredentials;
use crate::body::{self, BackendFault, Body, BoxError};
use crate::error::{GatewayError, ResponseType};
use apigate_core::model::Credentials as IntegrationCredentials;
use apigate_core::uri::{AwsAction, AwsUri};
use http::header::{HeaderValue, CONTENT_LENGTH, HOST};
use http::Method;
use http_body_util::BodyExt;
use std::collections::BTreeMap;

/// Where S3 requests are sent.
#[derive(Debug, Clone)]
pub enum S3Endpoint {
    /// An S3-compatible endpoint, path-style: `http://127.0.0.1:9000`.
    Custom(String),
    /// `https://s3.{region}.amazonaws.com` (per partition).
    Aws,
}

/// An S3 endpoint in the same process (the embedded store): requests are the same signed
/// HTTP requests, handed over without a socket.
pub trait InProcessS3: Send + Sync + std::fmt::Debug {
    fn call(
        &self,
        request: http::Request<Body>,
    ) -> BoxFuture<Result<http::Response<Body>, BoxError>>;
}

/// A boxed future, as [`InProcessS3::call`] returns.
pub type BoxFuture<T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send>>;

#[derive(Debug)]
pub struct S3Backend {
    endpoint: S3Endpoint,
    credentials: CredentialSource,
    roles: AssumedRoles,
    client: BackendClient,
    /// When set, requests for the custom endpoint go to it in-process.
    in_process: Option<std::sync::Arc<dyn InProcessS3>>,
}

impl S3Backend {
    pub fn new(
        endpoint: S3Endpoint,
        credentials: CredentialSource,
        client: BackendClient,
    ) -> S3Backend {
        S3Backend {
            endpoint,
            credentials,
            roles: AssumedRoles::default(),
            client,
            in_process: None,
        }
    }

    /// Sends requests to `local` instead of over the network (the endpoint URL still names
    /// the Host that is signed).
    pub fn with_in_process(mut self, local: std::sync::Arc<dyn InProcessS3>) -> S3Backend {
        self.in_process = Some(local);
        self
    }

    pub fn endpoint(&self) -> &S3Endpoint {
        &self.endpoint
    }

    /// Sends `request` to S3 as `uri` describes. An upload of unknown length is buffered
    /// first (up to `buffer_limit`; 413 past it): S3 refuses uploads without a
    /// Content-Length.
    pub async fn send(
        &self,
        call: &AwsCall<'_>,
        request: EndpointRequest,
    ) -> Result<EndpointResponse, GatewayError> {
        let request = super::with_length(request, call.buffer_limit).await?;
        let region = super::resolve_region(&call.uri.region, call.stage_variables)?;
        let (path, mut query) = s3_path(call.uri, &request.path, call.stage_variables)?;
        query.extend(request.query.iter().cloned());
        let (base, host) = self.base_url(call.uri, &region, &request.path, call.stage_variables)?;
        let mut url = format!("{base}{path}");
        if !query.is_empty() {
            url.push('?');
            for (i, (k, v)) in query.iter().enumerate() {
                if i > 0 {
                    url.push('&');
                }
                url.extend(encode_query(k));
                if !v.is_empty() || !is_subresource(k) {
                    url.push('=');
                    url.extend(encode_query(v));
                }
            }
        }

        super::refuse_reserved_headers(
            &request.headers,
            apigate_core::model::IntegrationType::Aws,
        )?;
        let mut headers = request.headers;
        headers.insert(
            HOST,
            HeaderValue::from_str(&host)
                .map_err(|e| GatewayError::configuration(format!("S3 host {host}: {e}")))?,
        );
        let empty = body::is_empty(&request.body);
        if empty {
            if matches!(request.method, Method::PUT | Method::POST | Method::PATCH) {
                headers.insert(CONTENT_LENGTH, HeaderValue::from(0u64));
            }
        } else {
            // `with_length` buffered a body of unknown length.
            let n = request.content_length.ok_or_else(|| {
                GatewayError::configuration("S3 request body without a known length")
            })?;
            headers.insert(CONTENT_LENGTH, HeaderValue::from(n));
        }

        let credentials = self
            .credentials_for(call.role, call.caller, &region)
            .await?;
        let payload = if empty {
            Payload::Bytes(&[])
        } else {
            Payload::Unsigned
        };
        signer::sign_s3(
            request.method.as_str(),
            &url,
            &mut headers,
            payload,
            &credentials,
            &region,
            std::time::SystemTime::now(),
        )?;

        if let Some(t) = request.trace.as_deref() {
            t.log(format!("Endpoint request URI: {} {url}", request.method));
            t.log(format!(
                "Endpoint request headers: {}",
                crate::trace::headers(&headers)
            ));
        }
        let (timeout, method) = (request.timeout, request.method);
        let body = if empty { None } else { Some(request.body) };
        let Some(local) = &self.in_process else {
            let mut outbound = http::Request::new(body.unwrap_or_else(crate::body::empty));
            *outbound.method_mut() = method;
            *outbound.uri_mut() = url
                .parse()
                .map_err(|e| GatewayError::configuration(format!("S3 request URL {url}: {e}")))?;
            *outbound.headers_mut() = headers;
            let received = self
                .client
                .send(outbound, false, timeout)
                .await
                .map_err(|e| send_error(e, &url, timeout))?;
            return Ok(EndpointResponse {
                status: received.status,
                headers: received.headers,
                body: received.body,
                deadline: Some(received.deadline),
                selection: None,
            });
        };
        let path_and_query = url.get(base.len()..).unwrap_or("/");
        let mut outbound = http::Request::new(body.unwrap_or_else(crate::body::empty));
        *outbound.method_mut() = method;
        *outbound.uri_mut() = path_and_query.parse().map_err(|e| {
            GatewayError::configuration(format!("S3 request path {path_and_query}: {e}"))
        })?;
        *outbound.headers_mut() = headers;
        let deadline = self.client.deadline_in(timeout);
        let mut expiry = deadline.sleep();
        let response = tokio::select! {
            biased;
            answered = local.call(outbound) => answered.map_err(|e| {
                GatewayError::new(
                    ResponseType::IntegrationFailure,
                    format!(
                        "Execution failed due to a network error: {url}: {}",
                        super::error_chain(e.as_ref())
                    ),
                )
            })?,
            () = &mut expiry => return Err(send_error(super::client::SendError::Timeout, &url, timeout)),
        };
        let (parts, body) = response.into_parts();
        Ok(EndpointResponse {
            status: parts.status.as_u16(),
            headers: parts.headers,
            // The store's read errors are the backend's too.
            body: body
                .map_err(|e| Box::new(BackendFault::Failed(e)) as BoxError)
                .boxed_unsync(),
            deadline: Some(deadline),
            selection: None,
        })
    }

    async fn credentials_for(
        &self,
        role: Option<&IntegrationCredentials>,
        caller: Option<&CallerCredentials>,
        region: &str,
    ) -> Result<aws_credential_types::Credentials, GatewayError> {
        let toward_aws = matches!(self.endpoint, S3Endpoint::Aws);
        super::aws::credentials_for(
            role,
            caller,
            toward_aws,
            region,
            &self.roles,
            &self.credentials,
        )
        .await
    }

    /// The scheme+authority to send to and the Host header value.
    fn base_url(
        &self,
        uri: &AwsUri,
        region: &str,
        path_values: &BTreeMap<String, String>,
        stage_variables: &BTreeMap<String, String>,
    ) -> Result<(String, String), GatewayError> {
        match &self.endpoint {
            S3Endpoint::Custom(base) => {
                let base = base.trim_end_matches('/').to_string();
                let host = base
                    .split_once("://")
                    .map_or(base.as_str(), |(_, h)| h)
                    .to_string();
                Ok((base, host))
            }
            S3Endpoint::Aws => {
                let suffix = match uri.partition.as_str() {
                    "aws-cn" => "amazonaws.com.cn",
                    _ => "amazonaws.com",
                };
                let host = match &uri.subdomain {
                    Some(bucket) => format!(
                        "{}.s3.{region}.{suffix}",
                        render(bucket, path_values, stage_variables, false)?
                    ),
                    None => format!("s3.{region}.{suffix}"),
                };
                Ok((format!("https://{host}"), host))
            }
        }
    }
}

/// The path-style request path (and action query parameters) for the URI.
fn s3_path(
    uri: &AwsUri,
    path_values: &BTreeMap<String, String>,
    stage_variables: &BTreeMap<String, String>,
) -> Result<(String, Vec<(String, String)>), GatewayError> {
    let bucket_prefix = |path: String| -> Result<String, GatewayError> {
        match &uri.subdomain {
            // Virtual-hosted bucket in the URI: path-style puts it first (toward AWS the
            // bucket is in the host instead, see base_url).
            Some(bucket) => Ok(format!(
                "/{}{path}",
                render(bucket, path_values, stage_variables, false)?
            )),
            None => Ok(path),
        }
    };
    match &uri.action {
        AwsAction::Path(template) => Ok((
            bucket_prefix(render(template, path_values, stage_variables, true)?)?,
            Vec::new(),
        )),
        AwsAction::Action { name, params } => {
            let mut bucket = None;
            let mut key = None;
            let mut query = Vec::new();
            for (k, v) in params {
                let value = render_value(v, path_values, stage_variables)?;
                match k.as_str() {
                    "Bucket" => bucket = Some(value),
                    "Key" => key = Some(value),
                    _ => query.push((k.clone(), value)),
                }
            }
            let path = action_path(name, bucket.as_deref(), key.as_deref())?;
            if let Some(sub) = action_subresource(name) {
                query.push((sub.to_string(), String::new()));
            }
            Ok((path, query))
        }
    }
}

/// The REST path of the S3 actions an `action/` URI can express.
fn action_path(
    name: &str,
    bucket: Option<&str>,
    key: Option<&str>,
) -> Result<String, GatewayError> {
    let enc = |s: &str| percent_encoding::utf8_percent_encode(s, super::PATH).to_string();
    let need_bucket = || {
        bucket.ok_or_else(|| {
            GatewayError::configuration(format!("S3 action {name} needs a Bucket parameter"))
        })
    };
    let need_key = || {
        key.ok_or_else(|| {
            GatewayError::configuration(format!("S3 action {name} needs a Key parameter"))
        })
    };
    match name {
        "ListBuckets" => Ok("/".to_string()),
        "CreateBucket" | "DeleteBucket" | "HeadBucket" | "ListObjects" | "ListObjectsV2"
        | "GetBucketLocation" => Ok(format!("/{}", enc(need_bucket()?))),
        "GetObject" | "PutObject" | "DeleteObject" | "HeadObject" => {
            Ok(format!("/{}/{}", enc(need_bucket()?), enc(need_key()?)))
        }
        other => Err(GatewayError::unsupported(&format!("the S3 action {other}"))),
    }
}

fn action_subresource(name: &str) -> Option<&'static str> {
    match name {
        "GetBucketLocation" => Some("location"),
        _ => None,
    }
}

/// S3 sub-resources are written without `=` (`?location`).
fn is_subresource(name: &str) -> bool {
    matches!(
        name,
        "location" | "acl" | "tagging" | "versioning" | "policy" | "cors" | "uploads"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use apigate_core::uri::parse_aws_uri;

    fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn path_and_action_uris() {
        let vars = BTreeMap::new();
        let uri = parse_aws_uri("arn:aws:apigateway:us-east-1:s3:path/{bucket}/{object}").unwrap();
        let (p, q) = s3_path(
            &uri,
            &values(&[("bucket", "b"), ("object", "test/test.txt")]),
            &vars,
        )
        .unwrap();
        assert_eq!(p, "/b/test/test.txt");
        assert!(q.is_empty());

        let uri = parse_aws_uri("arn:aws:apigateway:us-east-1:{bucket}.s3:path/{key}").unwrap();
        let (p, _) = s3_path(&uri, &values(&[("bucket", "b"), ("key", "k")]), &vars).unwrap();
        assert_eq!(p, "/b/k");

        let uri = parse_aws_uri(
            "arn:aws:apigateway:us-east-1:s3:action/GetObject&Bucket={bucket}&Key={key}",
        )
        .unwrap();
        let (p, _) = s3_path(&uri, &values(&[("bucket", "b"), ("key", "a b")]), &vars).unwrap();
        assert_eq!(p, "/b/a%20b");

        let uri = parse_aws_uri("arn:aws:apigateway:us-east-1:s3:action/ListBuckets").unwrap();
        assert_eq!(s3_path(&uri, &values(&[]), &vars).unwrap().0, "/");

        let uri =
            parse_aws_uri("arn:aws:apigateway:us-east-1:s3:action/PutBucketAcl&Bucket=x").unwrap();
        assert!(s3_path(&uri, &values(&[]), &vars).is_err());
    }
}
