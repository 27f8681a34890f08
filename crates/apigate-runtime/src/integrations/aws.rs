//! Calls to AWS service APIs other than S3: where they go (`--aws-endpoint [SERVICE=]URL|aws`),
//! which credentials sign them, and the signed send itself ([`AwsClient`]). Shared by Lambda's
//! Invoke API ([`super::lambda`]) and the other services ([`super::aws_service`]); S3 keeps its
//! own `--s3-endpoint` spelling and embedded store ([`super::s3`]).

use super::client::{BackendClient, Received};
use super::send_error;
use super::signer::{AssumedRoles, CredentialSource};
use crate::auth::CallerCredentials;
use crate::body;
use crate::error::GatewayError;
use crate::trace::Trace;
use apigate_core::model::Credentials as IntegrationCredentials;
use apigate_sigv4::{Identity, Payload, Service};
use bytes::Bytes;
use http::header::{HeaderValue, CONTENT_LENGTH, HOST};
use http::HeaderMap;
use std::collections::BTreeMap;
use std::time::Duration;

/// Where one service's requests go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// A local or compatible endpoint: `http://127.0.0.1:4566` (LocalStack, moto, `sam local
    /// start-lambda`, a test server). Requests are signed with the gateway's own credentials:
    /// such endpoints have no IAM to assume an integration's role in.
    Custom(String),
    /// The real regional endpoint (`https://{service}.{region}.amazonaws.com`), the
    /// integration's role assumed through STS.
    Aws,
}

/// Every `--aws-endpoint`: one per service, and one for every other service.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwsEndpoints {
    every: Option<Endpoint>,
    services: BTreeMap<String, Endpoint>,
}

impl AwsEndpoints {
    /// Reads `[SERVICE=]URL|aws` values; a later value for the same service wins.
    ///
    /// # Errors
    ///
    /// A value that is neither an http(s) URL nor `aws`, or an empty service name.
    pub fn parse<S: AsRef<str>>(values: &[S]) -> Result<AwsEndpoints, String> {
        let mut endpoints = AwsEndpoints::default();
        for value in values {
            let value = value.as_ref();
            let (service, target) = match value.split_once('=') {
                // `=` inside a URL's query is not a service prefix.
                Some((service, target)) if !service.contains(':') && !service.contains('/') => {
                    (Some(service), target)
                }
                _ => (None, value),
            };
            let endpoint = match target {
                "aws" => Endpoint::Aws,
                url if url.starts_with("http://") || url.starts_with("https://") => {
                    Endpoint::Custom(url.trim_end_matches('/').to_string())
                }
                other => {
                    return Err(format!(
                        "--aws-endpoint `{value}`: `{other}` is neither an http(s) URL nor `aws`"
                    ))
                }
            };
            match service {
                Some("") => return Err(format!("--aws-endpoint `{value}`: empty service name")),
                Some(service) => {
                    endpoints.services.insert(service.to_string(), endpoint);
                }
                None => endpoints.every = Some(endpoint),
            }
        }
        Ok(endpoints)
    }

    /// Where `service` (the name in integration URIs: `lambda`, `sqs`, …) goes.
    pub fn get(&self, service: &str) -> Option<&Endpoint> {
        self.services.get(service).or(self.every.as_ref())
    }

    /// The base URL (scheme and authority) for `service` in `region`, and the `Host` to sign;
    /// a 500 naming the flag when the service has no endpoint.
    pub fn base_url(
        &self,
        service: &str,
        region: &str,
        partition: &str,
    ) -> Result<(String, String), GatewayError> {
        match self.get(service) {
            Some(Endpoint::Custom(base)) => {
                let host = base.split_once("://").map_or(base.as_str(), |(_, h)| h);
                Ok((base.clone(), host.to_string()))
            }
            Some(Endpoint::Aws) => {
                let suffix = match partition {
                    "aws-cn" => "amazonaws.com.cn",
                    _ => "amazonaws.com",
                };
                let host = format!("{service}.{region}.{suffix}");
                Ok((format!("https://{host}"), host))
            }
            None => Err(GatewayError::configuration(format!(
                "Execution failed: no endpoint for the AWS service '{service}': start apigate with \
                 --aws-endpoint {service}=URL (a local endpoint) or --aws-endpoint {service}=aws"
            ))),
        }
    }

    /// Whether `service` goes to real AWS (roles are assumed only there).
    pub fn is_aws(&self, service: &str) -> bool {
        self.get(service) == Some(&Endpoint::Aws)
    }
}

/// One signed call to an AWS service API.
#[derive(Debug)]
pub struct Call<'a> {
    /// The service as named in integration URIs and `--aws-endpoint` (`lambda`, `sqs`, …).
    pub service: &'a str,
    /// Its SigV4 name (`states` for Step Functions, …).
    pub signing_name: &'a str,
    pub region: &'a str,
    pub partition: &'a str,
    pub method: http::Method,
    /// Already percent-encoded: `/path?query`.
    pub path_and_query: String,
    /// What the request carries besides `Host`, `Content-Length` and the signature.
    pub headers: HeaderMap,
    /// The whole payload: services other than S3 sign its hash.
    pub payload: Bytes,
    pub role: Option<&'a IntegrationCredentials>,
    pub caller: Option<&'a CallerCredentials>,
    pub timeout: Duration,
    pub trace: Option<&'a Trace>,
}

/// Signs and sends calls to AWS service APIs.
#[derive(Debug)]
pub struct AwsClient {
    endpoints: AwsEndpoints,
    credentials: CredentialSource,
    roles: AssumedRoles,
    client: BackendClient,
}

impl AwsClient {
    pub fn new(
        endpoints: AwsEndpoints,
        credentials: CredentialSource,
        client: BackendClient,
    ) -> AwsClient {
        AwsClient {
            endpoints,
            credentials,
            roles: AssumedRoles::default(),
            client,
        }
    }

    pub fn endpoints(&self) -> &AwsEndpoints {
        &self.endpoints
    }

    /// Signs `call` (SigV4 for its signing name and region) and sends it; the response head
    /// within `call.timeout` (504 past it), its body streaming.
    pub async fn send(&self, call: Call<'_>) -> Result<Received, GatewayError> {
        let (base, host) = self
            .endpoints
            .base_url(call.service, call.region, call.partition)?;
        let url = format!("{base}{}", call.path_and_query);
        let mut headers = call.headers;
        headers.insert(
            HOST,
            HeaderValue::from_str(&host)
                .map_err(|e| GatewayError::configuration(format!("host {host}: {e}")))?,
        );
        headers.insert(CONTENT_LENGTH, HeaderValue::from(call.payload.len()));
        let credentials = credentials_for(
            call.role,
            call.caller,
            self.endpoints.is_aws(call.service),
            call.region,
            &self.roles,
            &self.credentials,
        )
        .await?;
        let identity = Identity {
            access_key_id: credentials.access_key_id(),
            secret_access_key: credentials.secret_access_key(),
            session_token: credentials.session_token(),
        };
        apigate_sigv4::sign(
            Service::named(call.signing_name),
            call.method.as_str(),
            &url,
            &mut headers,
            Payload::Bytes(&call.payload),
            identity,
            call.region,
            std::time::SystemTime::now(),
        )
        .map_err(|e| GatewayError::configuration(format!("cannot sign {url}: {e}")))?;
        if let Some(t) = call.trace {
            t.log(format!("Endpoint request URI: {} {url}", call.method));
            t.log(format!(
                "Endpoint request headers: {}",
                crate::trace::headers(&headers)
            ));
        }
        let mut request = http::Request::new(body::full(call.payload));
        *request.method_mut() = call.method;
        *request.uri_mut() = url
            .parse()
            .map_err(|e| GatewayError::configuration(format!("request URL {url}: {e}")))?;
        *request.headers_mut() = headers;
        self.client
            .send(request, false, call.timeout)
            .await
            .map_err(|e| send_error(e, &url, call.timeout))
    }
}

/// The credentials a call to an AWS service is signed with: the verified caller's for
/// `arn:aws:iam::*:user/*`; the integration's role, assumed through STS, toward real AWS;
/// otherwise the gateway's own (`base`).
pub async fn credentials_for(
    role: Option<&IntegrationCredentials>,
    caller: Option<&CallerCredentials>,
    toward_aws: bool,
    region: &str,
    roles: &AssumedRoles,
    base: &CredentialSource,
) -> Result<aws_credential_types::Credentials, GatewayError> {
    match role {
        Some(IntegrationCredentials::Caller) => {
            let c = caller.ok_or_else(|| {
                GatewayError::configuration(
                    "Execution failed: the integration calls AWS as the caller \
                     (arn:aws:iam::*:user/*) but the request has no verified caller key",
                )
            })?;
            Ok(aws_credential_types::Credentials::new(
                &c.access_key_id,
                &c.secret_access_key,
                c.session_token.clone(),
                None,
                "caller",
            ))
        }
        Some(IntegrationCredentials::Role(arn)) if toward_aws => {
            roles.source(arn, region, base).await.get().await
        }
        _ => base.get().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_per_service_and_default_endpoints() {
        let e = AwsEndpoints::parse(&[
            "http://127.0.0.1:4566/",
            "lambda=http://127.0.0.1:3001",
            "sqs=aws",
        ])
        .unwrap();
        assert_eq!(
            e.get("lambda"),
            Some(&Endpoint::Custom("http://127.0.0.1:3001".into()))
        );
        assert_eq!(e.get("sqs"), Some(&Endpoint::Aws));
        assert_eq!(
            e.get("kinesis"),
            Some(&Endpoint::Custom("http://127.0.0.1:4566".into()))
        );
        assert_eq!(
            e.base_url("lambda", "eu-west-1", "aws").unwrap(),
            ("http://127.0.0.1:3001".into(), "127.0.0.1:3001".into())
        );
        assert_eq!(
            e.base_url("sqs", "eu-west-1", "aws").unwrap().1,
            "sqs.eu-west-1.amazonaws.com"
        );
        assert!(e.is_aws("sqs") && !e.is_aws("lambda"));

        let only = AwsEndpoints::parse(&["lambda=http://h:1/?a=b"]).unwrap();
        assert_eq!(only.get("s3"), None);
        let e = only.base_url("s3", "us-east-1", "aws").unwrap_err();
        assert!(e.detail.contains("--aws-endpoint s3="), "{}", e.detail);
        assert_eq!(
            AwsEndpoints::parse(&["http://h:1/x?a=b"]).unwrap().get("x"),
            Some(&Endpoint::Custom("http://h:1/x?a=b".into()))
        );
        assert!(AwsEndpoints::parse(&["lambda=ftp://x"]).is_err());
        assert!(AwsEndpoints::parse(&["=http://x"]).is_err());
        assert!(AwsEndpoints::parse(&["localhost:3001"]).is_err());
    }
}
