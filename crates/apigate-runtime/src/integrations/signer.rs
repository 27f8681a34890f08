//! Outbound SigV4: where the gateway's AWS credentials come from, and signing one endpoint
//! request with them (`aws-sigv4`).
//!
//! Credentials are resolved once and cached until five minutes before they expire. Sources:
//! a fixed key pair (the embedded store's), the standard AWS chain (environment, shared
//! profile files, web identity, containers), and — toward real AWS only — the integration's
//! `credentials` role assumed through STS on top of that chain.

use crate::error::GatewayError;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    sign, PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings,
    UriPathNormalizationMode,
};
use aws_sigv4::sign::v4::SigningParams;
use http::HeaderMap;
use std::collections::HashMap;
use std::time::{Duration, SystemTime};
use tokio::sync::Mutex;

/// A credentials source with a cache in front of it.
#[derive(Debug)]
pub struct CredentialSource {
    provider: SharedCredentialsProvider,
    cached: Mutex<Option<Credentials>>,
}

impl CredentialSource {
    pub fn fixed(access_key_id: &str, secret_access_key: &str) -> CredentialSource {
        CredentialSource::from_provider(SharedCredentialsProvider::new(Credentials::new(
            access_key_id,
            secret_access_key,
            None,
            None,
            "apigate",
        )))
    }

    pub fn from_provider(provider: SharedCredentialsProvider) -> CredentialSource {
        CredentialSource {
            provider,
            cached: Mutex::new(None),
        }
    }

    /// The standard AWS credential chain (environment, profiles, SSO cache-less, web identity,
    /// ECS; instance metadata only when `AWS_EC2_METADATA_DISABLED` is not set).
    pub async fn default_chain() -> CredentialSource {
        let chain = aws_config::default_provider::credentials::DefaultCredentialsChain::builder()
            .build()
            .await;
        CredentialSource::from_provider(SharedCredentialsProvider::new(chain))
    }

    /// Current credentials, refreshed when they expire within five minutes.
    pub async fn get(&self) -> Result<Credentials, GatewayError> {
        let mut cached = self.cached.lock().await;
        if let Some(c) = cached.as_ref() {
            let fresh = c.expiry().is_none_or(|exp| {
                exp.duration_since(SystemTime::now())
                    .is_ok_and(|left| left > Duration::from_secs(300))
            });
            if fresh {
                return Ok(c.clone());
            }
        }
        let creds = self.provider.provide_credentials().await.map_err(|e| {
            GatewayError::configuration(format!(
                "Execution failed: no AWS credentials to sign the integration request: {e}"
            ))
        })?;
        *cached = Some(creds.clone());
        Ok(creds)
    }

    pub fn provider(&self) -> SharedCredentialsProvider {
        self.provider.clone()
    }
}

/// Roles assumed through STS, one cached source per role ARN.
#[derive(Debug, Default)]
pub struct AssumedRoles {
    roles: Mutex<HashMap<String, std::sync::Arc<CredentialSource>>>,
}

impl AssumedRoles {
    pub async fn source(
        &self,
        role_arn: &str,
        region: &str,
        base: &CredentialSource,
    ) -> std::sync::Arc<CredentialSource> {
        let mut roles = self.roles.lock().await;
        if let Some(s) = roles.get(role_arn) {
            return s.clone();
        }
        // Boxed: this once-per-role future is ~13 KB, and inline it would make every
        // request's future that large (moved and copied on each request).
        let provider = Box::pin(
            aws_config::sts::AssumeRoleProvider::builder(role_arn)
                .session_name("apigate")
                .region(aws_config::Region::new(region.to_string()))
                .build_from_provider(base.provider()),
        )
        .await;
        let source = std::sync::Arc::new(CredentialSource::from_provider(
            SharedCredentialsProvider::new(provider),
        ));
        roles.insert(role_arn.to_string(), source.clone());
        source
    }
}

/// How the payload is covered by the signature.
#[derive(Debug, Clone, Copy)]
pub enum Payload<'a> {
    /// `UNSIGNED-PAYLOAD`: the body streams unhashed (S3 allows it).
    Unsigned,
    Bytes(&'a [u8]),
}

/// Signs an S3 request in place: adds `x-amz-date`, `x-amz-content-sha256`,
/// `x-amz-security-token` and `authorization` to `headers`. `url` is the full request URL
/// (already percent-encoded the way it is sent).
pub fn sign_s3(
    method: &str,
    url: &str,
    headers: &mut HeaderMap,
    payload: Payload<'_>,
    credentials: &Credentials,
    region: &str,
) -> Result<(), GatewayError> {
    let mut settings = SigningSettings::default();
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    let identity = credentials.clone().into();
    let params = SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("s3")
        .time(SystemTime::now())
        .settings(settings)
        .build()
        .map_err(|e| GatewayError::configuration(format!("SigV4 parameters: {e}")))?;
    let body = match payload {
        Payload::Unsigned => SignableBody::UnsignedPayload,
        Payload::Bytes(b) => SignableBody::Bytes(b),
    };
    let pairs: Vec<(&str, &str)> = headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str(), v.to_str().ok()?)))
        .collect();
    let signable = SignableRequest::new(method, url, pairs.into_iter(), body)
        .map_err(|e| GatewayError::configuration(format!("cannot sign {url}: {e}")))?;
    let (instructions, _signature) = sign(signable, &params.into())
        .map_err(|e| GatewayError::configuration(format!("cannot sign {url}: {e}")))?
        .into_parts();
    let (signed_headers, _) = instructions.into_parts();
    for header in signed_headers {
        let value = http::HeaderValue::from_str(header.value()).map_err(|e| {
            GatewayError::configuration(format!("signature header {}: {e}", header.name()))
        })?;
        headers.insert(header.name(), value);
    }
    Ok(())
}
