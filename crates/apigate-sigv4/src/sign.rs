//! Outbound signing: one request to an AWS service (S3, Lambda, …), signed in place.

use std::borrow::Cow;
use std::time::SystemTime;

use http::header::{HeaderName, HeaderValue, InvalidHeaderValue, AUTHORIZATION, HOST};
use http::HeaderMap;

use crate::canonical::{canonical_uri, CanonicalRequest, PathEncoding};
use crate::key::{cached_signature, sha256_hex, string_to_sign, EMPTY_SHA256};
use crate::time::AmzDate;
use crate::{ALGORITHM, TERMINATOR};

/// The credentials a request is signed with.
#[derive(Clone, Copy)]
pub struct Identity<'a> {
    pub access_key_id: &'a str,
    pub secret_access_key: &'a str,
    /// For temporary credentials: sent as `x-amz-security-token`.
    pub session_token: Option<&'a str>,
}

impl std::fmt::Debug for Identity<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
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

/// The service a request is signed for, and the rules SigV4 applies to it.
#[derive(Debug, Clone, Copy)]
pub struct Service<'a> {
    /// The signing name (`s3`, `lambda`, `sqs`, …).
    pub name: &'a str,
    /// S3 signs the path as sent and adds `x-amz-content-sha256`; every other service
    /// normalises the path, encodes it again and sends no payload-hash header (the defaults of
    /// `aws-sigv4`'s request signer).
    pub s3_rules: bool,
}

impl Service<'static> {
    pub const S3: Service<'static> = Service {
        name: "s3",
        s3_rules: true,
    };
}

impl<'a> Service<'a> {
    /// A service with the standard rules (not S3).
    pub fn named(name: &'a str) -> Service<'a> {
        Service {
            name,
            s3_rules: false,
        }
    }
}

/// Signs a request to `service` in place: adds `x-amz-date`, `x-amz-security-token` and
/// `authorization` to `headers` (and `x-amz-content-sha256` for S3). `url` is the full request
/// URL (already percent-encoded the way it is sent); `now` is the signing time.
///
/// The signature is the one `aws-sigv4`'s request signer computes (for S3: single path
/// encoding, no path normalisation; elsewhere its defaults; every header but `authorization`,
/// `user-agent`, `x-amzn-trace-id` and `transfer-encoding` signed; the tests hold the two to
/// the same bytes), built without its intermediate maps and strings — the canonical request by
/// [`CanonicalRequest`], as inbound verification builds it — and with the signing key derived
/// once per day, region, service and secret rather than per request.
///
/// # Errors
///
/// A session token or URL that cannot be a header value.
#[allow(clippy::too_many_arguments)]
pub fn sign(
    service: Service<'_>,
    method: &str,
    url: &str,
    headers: &mut HeaderMap,
    payload: Payload<'_>,
    identity: Identity<'_>,
    region: &str,
    now: SystemTime,
) -> Result<(), InvalidHeaderValue> {
    let stamp = AmzDate::at(now);
    let payload_hash = match payload {
        Payload::Unsigned => Cow::Borrowed("UNSIGNED-PAYLOAD"),
        Payload::Bytes([]) => Cow::Borrowed(EMPTY_SHA256),
        Payload::Bytes(bytes) => Cow::Owned(sha256_hex(bytes)),
    };
    let target = Target::of(url);
    headers.insert(
        HeaderName::from_static("x-amz-date"),
        HeaderValue::from_str(stamp.as_str())?,
    );
    if service.s3_rules {
        headers.insert(
            HeaderName::from_static("x-amz-content-sha256"),
            HeaderValue::from_str(&payload_hash)?,
        );
    }
    if let Some(token) = identity.session_token {
        let mut value = HeaderValue::from_str(token)?;
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
    // S3: the path as sent, neither normalised nor encoded again.
    let uri = if service.s3_rules {
        Cow::Borrowed(target.path)
    } else {
        Cow::Owned(canonical_uri(target.path, PathEncoding::Double))
    };
    let canonical = CanonicalRequest {
        method,
        uri: &uri,
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
    let scope = format!("{}/{region}/{}/{TERMINATOR}", stamp.date(), service.name);
    let string_to_sign = string_to_sign(stamp.as_str(), &scope, &canonical);
    let signature = cached_signature(
        identity.secret_access_key,
        now,
        region,
        service.name,
        &string_to_sign,
    );
    let authorization = format!(
        "{ALGORITHM} Credential={}/{scope}, SignedHeaders={}, Signature={signature}",
        identity.access_key_id,
        signed_headers.join(";")
    );
    headers.insert(AUTHORIZATION, HeaderValue::from_str(&authorization)?);
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;
    use aws_credential_types::Credentials;
    use aws_sigv4::http_request::{
        sign as reference_sign, PayloadChecksumKind, PercentEncodingMode, SignableBody,
        SignableRequest, SigningSettings, UriPathNormalizationMode,
    };
    use aws_sigv4::sign::v4::SigningParams;
    use std::time::{Duration, UNIX_EPOCH};

    /// A request to sign.
    struct Case<'a> {
        method: &'a str,
        url: &'a str,
        headers: HeaderMap,
        payload: Payload<'a>,
        credentials: &'a Credentials,
    }

    /// The headers `aws-sigv4`'s own request signer adds (with its S3 settings for S3, its
    /// defaults otherwise), as (name, value) pairs.
    fn reference_signature(
        service: Service<'_>,
        case: &Case<'_>,
        region: &str,
        time: SystemTime,
    ) -> Vec<(String, String)> {
        let mut settings = SigningSettings::default();
        if service.s3_rules {
            settings.percent_encoding_mode = PercentEncodingMode::Single;
            settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
            settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        }
        let identity = case.credentials.clone().into();
        let params = SigningParams::builder()
            .identity(&identity)
            .region(region)
            .name(service.name)
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
        let (instructions, _) = reference_sign(signable, &params.into())
            .unwrap()
            .into_parts();
        let (added, _) = instructions.into_parts();
        let mut added: Vec<(String, String)> = added
            .into_iter()
            .map(|h| (h.name().to_owned(), h.value().to_owned()))
            .collect();
        added.sort();
        added
    }

    /// The headers `sign` adds (and the `x-amz-date` it replaces).
    fn ours(
        service: Service<'_>,
        case: &Case<'_>,
        region: &str,
        time: SystemTime,
    ) -> Vec<(String, String)> {
        let headers = &case.headers;
        let mut signed = headers.clone();
        let (method, url, payload) = (case.method, case.url, case.payload);
        let identity = Identity {
            access_key_id: case.credentials.access_key_id(),
            secret_access_key: case.credentials.secret_access_key(),
            session_token: case.credentials.session_token(),
        };
        sign(
            service,
            method,
            url,
            &mut signed,
            payload,
            identity,
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
        agree(Service::S3, &cases);
    }

    /// Services other than S3 (Lambda's Invoke API here): the path normalised and encoded
    /// twice, the payload hashed, no `x-amz-content-sha256`.
    #[test]
    fn signs_other_services_exactly_as_aws_sigv4_does() {
        let plain = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG", None, None, "t");
        let session = Credentials::new("ASIA", "s/+", Some("tok==".into()), None, "t");
        let invoke = "http://127.0.0.1:9001/2015-03-31/functions/\
                      arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Acalc/invocations";
        let body = br#"{"a":1,"b":"x y"}"#;
        let cases = [
            Case {
                method: "POST",
                url: invoke,
                headers: headers(&[
                    ("host", "127.0.0.1:9001"),
                    ("content-type", "application/json"),
                    ("x-amz-invocation-type", "Event"),
                    ("user-agent", "apigate"),
                ]),
                payload: Payload::Bytes(body),
                credentials: &plain,
            },
            Case {
                method: "POST",
                url: "https://lambda.eu-west-1.amazonaws.com/2015-03-31/functions/f%20g/invocations?Qualifier=live",
                headers: HeaderMap::new(),
                payload: Payload::Bytes(&[]),
                credentials: &session,
            },
            Case {
                method: "GET",
                url: "http://127.0.0.1:9001/a//b/./c/../d%2Fe",
                headers: headers(&[("host", "127.0.0.1:9001")]),
                payload: Payload::Bytes(b"x"),
                credentials: &plain,
            },
        ];
        agree(Service::named("lambda"), &cases);
    }

    /// Our signature and `aws-sigv4`'s agree for every case, region and time — across a day
    /// boundary too: the cached signing key must follow the date.
    fn agree(service: Service<'_>, cases: &[Case<'_>]) {
        let times = [1_700_000_000, 1_700_000_001, 1_700_086_400, 951_782_400];
        for secs in times {
            let time = UNIX_EPOCH + Duration::from_secs(secs);
            for case in cases {
                for region in ["us-east-1", "eu-west-1"] {
                    assert_eq!(
                        ours(service, case, region, time),
                        reference_signature(service, case, region, time),
                        "{} {} {} at {secs} in {region}",
                        service.name,
                        case.method,
                        case.url
                    );
                }
            }
        }
    }
}
