//! Outbound SigV4: where the gateway's AWS credentials come from, and signing one endpoint
//! request with them (`aws-sigv4`).
//!
//! Credentials are resolved once and cached until five minutes before they expire. Sources:
//! a fixed key pair (the embedded store's), the standard AWS chain (environment, shared
//! profile files, web identity, containers), and — toward real AWS only — the integration's
//! `credentials` role assumed through STS on top of that chain.

use crate::auth::sigv4::{sha256_hex, string_to_sign, CanonicalRequest, EMPTY_SHA256};
use crate::context::civil_from_days;
use crate::error::GatewayError;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;
use http::header::{HeaderName, HeaderValue, AUTHORIZATION, HOST};
use http::HeaderMap;
use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
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

/// Headers that are never signed (as in `aws-sigv4`: changed by proxies, or the signature).
const UNSIGNED_HEADERS: [&str; 4] = [
    "authorization",
    "user-agent",
    "x-amzn-trace-id",
    "transfer-encoding",
];

/// Signs an S3 request in place: adds `x-amz-date`, `x-amz-content-sha256`,
/// `x-amz-security-token` and `authorization` to `headers`. `url` is the full request URL
/// (already percent-encoded the way it is sent).
///
/// The signature is the one `aws-sigv4`'s request signer computes for S3 (single path
/// encoding, no path normalisation, every header but `authorization`, `user-agent`,
/// `x-amzn-trace-id` and `transfer-encoding` signed; the tests hold the two to the same
/// bytes), built without its intermediate maps and strings — the canonical request by
/// `auth::sigv4::CanonicalRequest`, as inbound verification builds it — and with the signing key
/// derived once per day, region and secret rather than per request. `now` is the signing
/// time.
pub fn sign_s3(
    method: &str,
    url: &str,
    headers: &mut HeaderMap,
    payload: Payload<'_>,
    credentials: &Credentials,
    region: &str,
    now: SystemTime,
) -> Result<(), GatewayError> {
    let stamp = AmzDate::at(now);
    let payload_hash = match payload {
        Payload::Unsigned => Cow::Borrowed("UNSIGNED-PAYLOAD"),
        Payload::Bytes([]) => Cow::Borrowed(EMPTY_SHA256),
        Payload::Bytes(bytes) => Cow::Owned(sha256_hex(bytes)),
    };
    let target = Target::of(url);
    headers.insert(
        HeaderName::from_static("x-amz-date"),
        HeaderValue::from_str(stamp.iso()).map_err(|e| sign_error(url, &e))?,
    );
    headers.insert(
        HeaderName::from_static("x-amz-content-sha256"),
        HeaderValue::from_str(&payload_hash).map_err(|e| sign_error(url, &e))?,
    );
    if let Some(token) = credentials.session_token() {
        let mut value = HeaderValue::from_str(token).map_err(|e| sign_error(url, &e))?;
        value.set_sensitive(true);
        headers.insert(HeaderName::from_static("x-amz-security-token"), value);
    }
    let host_from_url = (!headers.contains_key(HOST)).then(|| target.host());
    let mut signed_headers: Vec<&str> = headers
        .keys()
        .map(HeaderName::as_str)
        .chain(host_from_url.is_some().then_some("host"))
        .filter(|name| !UNSIGNED_HEADERS.contains(name))
        .collect();
    signed_headers.sort_unstable();
    let canonical = CanonicalRequest {
        method,
        // S3: the path as sent, neither normalised nor encoded again.
        uri: target.path,
        query: target.query,
        presigned: false,
        headers,
        signed_headers: &signed_headers,
        host: host_from_url,
        payload_hash: &payload_hash,
        // As `aws-sigv4` trims (spaces only).
        trimmed: b" ",
    }
    .to_bytes();
    let scope = format!("{}/{region}/s3/aws4_request", stamp.date());
    let string_to_sign = string_to_sign(stamp.iso(), &scope, &canonical);
    let signature = with_signing_key(
        credentials.secret_access_key(),
        stamp.date(),
        region,
        now,
        |key| aws_sigv4::sign::v4::calculate_signature(key, string_to_sign.as_bytes()),
    );
    let authorization = format!(
        "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={}, Signature={signature}",
        credentials.access_key_id(),
        signed_headers.join(";")
    );
    headers.insert(
        AUTHORIZATION,
        HeaderValue::from_str(&authorization).map_err(|e| sign_error(url, &e))?,
    );
    Ok(())
}

fn sign_error(url: &str, e: &dyn std::fmt::Display) -> GatewayError {
    GatewayError::configuration(format!("cannot sign {url}: {e}"))
}

/// A request URL split the way SigV4 reads it.
struct Target<'a> {
    scheme: &'a str,
    authority: &'a str,
    /// Path as sent (S3: the canonical URI as is).
    path: &'a str,
    query: Option<&'a str>,
}

impl<'a> Target<'a> {
    fn of(url: &'a str) -> Target<'a> {
        let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, rest) = rest.split_at(authority_end);
        let (path, query) = match rest.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (rest, None),
        };
        Target {
            scheme,
            authority,
            path: if path.is_empty() { "/" } else { path },
            query: query.filter(|q| !q.is_empty()),
        }
    }

    /// The host as signed when no `Host` header is set: the authority without a default
    /// port.
    fn host(&self) -> &'a str {
        let default_port = match self.scheme {
            "http" => ":80",
            "https" => ":443",
            _ => return self.authority,
        };
        self.authority
            .strip_suffix(default_port)
            .unwrap_or(self.authority)
    }
}

/// `x-amz-date` (`YYYYMMDDTHHMMSSZ`) of an instant, in UTC.
struct AmzDate([u8; 16]);

impl AmzDate {
    fn at(time: SystemTime) -> AmzDate {
        let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let of_day = secs % 86_400;
        let (year, month, day) = civil_from_days(secs / 86_400);
        let mut out = *b"00000000T000000Z";
        let fields: [(usize, usize, u64); 6] = [
            (0, 4, year),
            (4, 2, month),
            (6, 2, day),
            (9, 2, of_day / 3600),
            (11, 2, of_day / 60 % 60),
            (13, 2, of_day % 60),
        ];
        for (at, width, mut value) in fields {
            for slot in out.iter_mut().skip(at).take(width).rev() {
                // A digit: `value % 10` is below 10.
                *slot = b'0' + (value % 10) as u8;
                value /= 10;
            }
        }
        AmzDate(out)
    }

    fn iso(&self) -> &str {
        // ASCII digits, `T` and `Z`.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// `YYYYMMDD`, the credential scope's date.
    fn date(&self) -> &str {
        self.iso().get(..8).unwrap_or_default()
    }
}

/// The SigV4 signing key for S3 (four chained HMACs of the secret), kept per thread for
/// the last (secret, date, region) it was derived for.
fn with_signing_key<T>(
    secret: &str,
    date: &str,
    region: &str,
    now: SystemTime,
    use_key: impl FnOnce(&[u8]) -> T,
) -> T {
    struct Cached {
        secret: String,
        date: String,
        region: String,
        key: Vec<u8>,
    }
    thread_local! {
        static KEY: RefCell<Option<Cached>> = const { RefCell::new(None) };
    }
    KEY.with(|slot| {
        let mut slot = slot.borrow_mut();
        let cached = match slot.take() {
            Some(c) if c.date == date && c.region == region && c.secret == secret => c,
            _ => Cached {
                secret: secret.to_owned(),
                date: date.to_owned(),
                region: region.to_owned(),
                key: aws_sigv4::sign::v4::generate_signing_key(secret, now, region, "s3")
                    .as_ref()
                    .to_vec(),
            },
        };
        let result = use_key(&cached.key);
        *slot = Some(cached);
        result
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sigv4::http_request::{
        sign, PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest,
        SigningSettings, UriPathNormalizationMode,
    };
    use aws_sigv4::sign::v4::SigningParams;

    /// A request to sign.
    struct Case<'a> {
        method: &'a str,
        url: &'a str,
        headers: HeaderMap,
        payload: Payload<'a>,
        credentials: &'a Credentials,
    }

    /// The headers `aws-sigv4`'s own request signer adds for S3, as (name, value) pairs.
    fn reference_signature(
        case: &Case<'_>,
        region: &str,
        time: SystemTime,
    ) -> Vec<(String, String)> {
        let mut settings = SigningSettings::default();
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        let identity = case.credentials.clone().into();
        let params = SigningParams::builder()
            .identity(&identity)
            .region(region)
            .name("s3")
            .time(time)
            .settings(settings)
            .build()
            .unwrap();
        let body = match case.payload {
            Payload::Unsigned => SignableBody::UnsignedPayload,
            Payload::Bytes(b) => SignableBody::Bytes(b),
        };
        let pairs = case
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.to_str().unwrap()));
        let signable = SignableRequest::new(case.method, case.url, pairs, body).unwrap();
        let (instructions, _) = sign(signable, &params.into()).unwrap().into_parts();
        let (added, _) = instructions.into_parts();
        let mut added: Vec<(String, String)> = added
            .into_iter()
            .map(|h| (h.name().to_owned(), h.value().to_owned()))
            .collect();
        added.sort();
        added
    }

    /// The headers `sign_s3` adds (and the `x-amz-date` it replaces).
    fn ours(case: &Case<'_>, region: &str, time: SystemTime) -> Vec<(String, String)> {
        let headers = &case.headers;
        let mut signed = headers.clone();
        let (method, url, payload) = (case.method, case.url, case.payload);
        sign_s3(
            method,
            url,
            &mut signed,
            payload,
            case.credentials,
            region,
            time,
        )
        .unwrap();
        let mut added: Vec<(String, String)> = signed
            .iter()
            .filter(|(name, _)| !headers.contains_key(*name) || name.as_str() == "x-amz-date")
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap().to_owned()))
            .collect();
        added.sort();
        added
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn signs_exactly_as_aws_sigv4_does() {
        let plain = Credentials::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            None,
            None,
            "t",
        );
        let session = Credentials::new(
            "ASIAEXAMPLE",
            "secret/with+chars",
            Some("FwoGZXIvYXdzEJr//////////token==".into()),
            None,
            "t",
        );
        let host = [("host", "127.0.0.1:9000")];
        let case = |method, url, headers, payload, credentials| Case {
            method,
            url,
            headers,
            payload,
            credentials,
        };
        let cases = [
            case(
                "GET",
                "http://127.0.0.1:9000/",
                headers(&host),
                Payload::Bytes(&[]),
                &plain,
            ),
            case(
                "GET",
                "http://127.0.0.1:9000/bucket/dir/key%20with%2Fslash.txt",
                headers(&host),
                Payload::Bytes(&[]),
                &plain,
            ),
            case(
                "PUT",
                "http://127.0.0.1:9000/bucket/k",
                headers(&[
                    ("host", "127.0.0.1:9000"),
                    ("content-type", "  text/plain;   charset=utf-8 "),
                    ("content-length", "5"),
                    ("x-amz-meta-tag", "a"),
                    ("x-amz-meta-tag", "b  c"),
                    ("user-agent", "apigate"),
                ]),
                Payload::Unsigned,
                &session,
            ),
            case(
                "PUT",
                "http://127.0.0.1:9000/bucket",
                headers(&host),
                Payload::Bytes(b"<CreateBucketConfiguration/>"),
                &plain,
            ),
            case(
                "GET",
                "http://127.0.0.1:9000/bucket?prefix=a%2Fb&list-type=2&delimiter=%2F&acl",
                headers(&host),
                Payload::Bytes(&[]),
                &plain,
            ),
            case(
                "GET",
                "https://s3.eu-west-1.amazonaws.com/bucket/k?versionId=x+y",
                HeaderMap::new(),
                Payload::Bytes(&[]),
                &session,
            ),
            case(
                "HEAD",
                "http://s3.amazonaws.com:80/b/k",
                HeaderMap::new(),
                Payload::Bytes(&[]),
                &plain,
            ),
        ];
        // Across a day boundary too: the cached signing key must follow the date.
        let times = [1_700_000_000, 1_700_000_001, 1_700_086_400, 951_782_400];
        for secs in times {
            let time = UNIX_EPOCH + Duration::from_secs(secs);
            for case in &cases {
                for region in ["us-east-1", "eu-west-1"] {
                    assert_eq!(
                        ours(case, region, time),
                        reference_signature(case, region, time),
                        "{} {} at {secs} in {region}",
                        case.method,
                        case.url
                    );
                }
            }
        }
    }

    #[test]
    fn dates_are_utc_civil_dates() {
        let at = |secs: u64| {
            AmzDate::at(UNIX_EPOCH + Duration::from_secs(secs))
                .iso()
                .to_owned()
        };
        assert_eq!(at(0), "19700101T000000Z");
        assert_eq!(at(951_782_400), "20000229T000000Z");
        assert_eq!(at(1_700_000_000), "20231114T221320Z");
        assert_eq!(at(4_102_444_799), "20991231T235959Z");
    }
}
