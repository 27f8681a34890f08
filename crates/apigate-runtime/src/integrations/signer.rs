//! Outbound SigV4: where the gateway's AWS credentials come from, and signing one endpoint
//! request with them (`apigate_sigv4::sign`).
//!
//! Credentials are resolved once and cached until five minutes before they expire. Sources:
//! a fixed key pair (the embedded store's), the standard AWS chain (environment, shared
//! profile files, web identity, containers), and — toward real AWS only — the integration's
//! `credentials` role assumed through STS on top of that chain.

use crate::error::GatewayError;
use apigate_sigv4::{Identity, Service};
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;
use http::HeaderMap;
use std::collections::HashMap;
use std::time::{Duration, SystemTime};
use tokio::sync::Mutex;

pub use apigate_sigv4::Payload;

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
    /// ECS; instance metadata only when `AWS_EC2_METADATA_DISABLED` is not set). `region` is
    /// the chain's own (for STS-based sources), given so it is not looked up.
    pub async fn default_chain(region: &str) -> CredentialSource {
        let chain = aws_config::default_provider::credentials::DefaultCredentialsChain::builder()
            .region(aws_config::Region::new(region.to_string()))
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

/// Signs an S3 request in place with `credentials` (see [`apigate_sigv4::sign`]: the
/// canonical request built as inbound verification builds it, the signing key cached per
/// day; its tests hold it to `aws-sigv4`'s own request signer byte for byte). `url` is the
/// full request URL, already percent-encoded the way it is sent; `now` is the signing time.
pub fn sign_s3(
    method: &str,
    url: &str,
    headers: &mut HeaderMap,
    payload: Payload<'_>,
    credentials: &Credentials,
    region: &str,
    now: SystemTime,
) -> Result<(), GatewayError> {
    let identity = Identity {
        access_key_id: credentials.access_key_id(),
        secret_access_key: credentials.secret_access_key(),
        session_token: credentials.session_token(),
    };
    apigate_sigv4::sign(
        Service::S3,
        method,
        url,
        headers,
        payload,
        identity,
        region,
        now,
    )
    .map_err(|e| GatewayError::configuration(format!("cannot sign {url}: {e}")))
}
