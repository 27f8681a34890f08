//! Test harness: a real store on 127.0.0.1:0 in a temporary directory, and a client that
//! signs requests with the `aws-sigv4` crate (an independent SigV4 implementation) and
//! sends them over real HTTP with reqwest.
#![allow(dead_code)]
// each test binary uses a different part of the harness
// Test support code: failing loudly is what it should do.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::time::{Duration, SystemTime};

use apigate_s3store::{generate_credentials, EmbeddedS3, StoreConfig};
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    sign, PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest,
    SignatureLocation, SigningSettings, UriPathNormalizationMode,
};
use aws_sigv4::sign::v4;
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

pub struct TestStore {
    pub store: EmbeddedS3,
    pub client: S3Client,
    pub dir: tempfile::TempDir,
}

pub async fn start() -> TestStore {
    start_in_region("us-east-1").await
}

pub async fn start_in_region(region: &str) -> TestStore {
    let dir = tempfile::tempdir().unwrap();
    let (store, client) = start_at(dir.path().join("data"), region).await;
    TestStore { store, client, dir }
}

/// Starts a store over an existing (or new) data directory.
pub async fn start_at(data_dir: std::path::PathBuf, region: &str) -> (EmbeddedS3, S3Client) {
    let (access_key_id, secret_access_key) = generate_credentials();
    let store = EmbeddedS3::start(StoreConfig {
        data_dir,
        listen: "127.0.0.1:0".parse().unwrap(),
        access_key_id: access_key_id.clone(),
        secret_access_key: secret_access_key.clone(),
        region: region.to_owned(),
    })
    .await
    .unwrap();
    let client = S3Client {
        http: reqwest::Client::builder().no_proxy().build().unwrap(),
        endpoint: store.endpoint(),
        access_key_id,
        secret_access_key,
        region: region.to_owned(),
    };
    (store, client)
}

#[derive(Clone)]
pub struct S3Client {
    pub http: reqwest::Client,
    pub endpoint: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub region: String,
}

/// How the request body is covered by the signature.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Payload {
    /// `x-amz-content-sha256` is the body's SHA-256.
    Signed,
    /// `x-amz-content-sha256: UNSIGNED-PAYLOAD`, as the gateway streams bodies.
    Unsigned,
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    }

    /// The unescaped text of every `<tag>…</tag>` in the body, in order.
    pub fn xml_values(&self, tag: &str) -> Vec<String> {
        xml_values(&self.text(), tag)
    }

    pub fn xml_value(&self, tag: &str) -> Option<String> {
        self.xml_values(tag).into_iter().next()
    }

    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(
            self.status,
            status,
            "unexpected status; body: {}",
            self.text()
        );
        assert_eq!(
            self.xml_value("Code").as_deref(),
            Some(code),
            "body: {}",
            self.text()
        );
    }
}

pub fn xml_values(xml: &str, tag: &str) -> Vec<String> {
    let open = format!("<{tag}");
    let close = format!("</{tag}>");
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find(&open) {
        let after_name = &rest[start + open.len()..];
        // Only `<tag>` or `<tag attr…>`, not `<tagLonger>`.
        if !after_name.starts_with(['>', ' ', '/']) {
            rest = after_name;
            continue;
        }
        let Some(gt) = after_name.find('>') else {
            break;
        };
        if after_name[..gt].ends_with('/') {
            out.push(String::new());
            rest = &after_name[gt + 1..];
            continue;
        }
        let content = &after_name[gt + 1..];
        let Some(end) = content.find(&close) else {
            break;
        };
        out.push(xml_unescape(&content[..end]));
        rest = &content[end + close.len()..];
    }
    out
}

fn xml_unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// URL-encodes a key for a request path the way AWS SDKs do: everything but unreserved
/// characters and `/`.
pub fn encode_key(key: &str) -> String {
    const PATH: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~')
        .remove(b'/');
    utf8_percent_encode(key, PATH).to_string()
}

/// Encodes a query-string value (RFC 3986 unreserved kept).
pub fn encode_query(value: &str) -> String {
    const QUERY: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    utf8_percent_encode(value, QUERY).to_string()
}

/// What SDKs do with `EncodingType=url` values: form decoding (`+` is a space).
pub fn form_decode(s: &str) -> String {
    percent_decode_str(&s.replace('+', " "))
        .decode_utf8()
        .unwrap()
        .into_owned()
}

fn settings() -> SigningSettings {
    let mut settings = SigningSettings::default();
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    settings
}

impl S3Client {
    pub fn with_secret(&self, secret: &str) -> S3Client {
        S3Client {
            secret_access_key: secret.to_owned(),
            ..self.clone()
        }
    }

    pub fn with_access_key(&self, access_key_id: &str) -> S3Client {
        S3Client {
            access_key_id: access_key_id.to_owned(),
            ..self.clone()
        }
    }

    pub fn url(&self, path_and_query: &str) -> String {
        format!("{}{}", self.endpoint, path_and_query)
    }

    fn credentials(&self) -> Credentials {
        Credentials::new(
            &self.access_key_id,
            &self.secret_access_key,
            None,
            None,
            "test",
        )
    }

    /// Signs (SigV4, Authorization header) and sends a request. `path_and_query` must
    /// already be URL-encoded.
    pub async fn send(
        &self,
        method: &str,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
        payload: Payload,
    ) -> Resp {
        let request = self.signed_request(method, path_and_query, headers, body, payload);
        self.execute(request).await
    }

    /// A signed request, ready to send.
    pub fn signed_request(
        &self,
        method: &str,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
        payload: Payload,
    ) -> http::Request<Vec<u8>> {
        let url = self.url(path_and_query);
        let identity = self.credentials().into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name("s3")
            .time(SystemTime::now())
            .settings(settings())
            .build()
            .unwrap()
            .into();
        let signable_body = match payload {
            Payload::Signed => SignableBody::Bytes(&body),
            Payload::Unsigned => SignableBody::UnsignedPayload,
        };
        let signable =
            SignableRequest::new(method, &url, headers.iter().copied(), signable_body).unwrap();
        let (instructions, _signature) = sign(signable, &params).unwrap().into_parts();
        let mut request = http::Request::builder().method(method).uri(&url);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let mut request = request.body(body).unwrap();
        instructions.apply_to_request_http1x(&mut request);
        request
    }

    /// Sends a request with no signature at all.
    pub async fn send_anonymous(&self, method: &str, path_and_query: &str, body: Vec<u8>) -> Resp {
        let request = http::Request::builder()
            .method(method)
            .uri(self.url(path_and_query))
            .body(body)
            .unwrap();
        self.execute(request).await
    }

    pub async fn execute(&self, request: http::Request<Vec<u8>>) -> Resp {
        let request = reqwest::Request::try_from(request).unwrap();
        let response = self.http.execute(request).await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.bytes().await.unwrap().to_vec();
        Resp {
            status,
            headers,
            body,
        }
    }

    /// A presigned URL (signature in the query string) valid for `expires_in`.
    pub fn presign(&self, method: &str, path: &str, expires_in: Duration) -> String {
        let url = self.url(path);
        let identity = self.credentials().into();
        let mut settings = settings();
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(expires_in);
        settings.payload_checksum_kind = PayloadChecksumKind::NoHeader;
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name("s3")
            .time(SystemTime::now())
            .settings(settings)
            .build()
            .unwrap()
            .into();
        let signable = SignableRequest::new(
            method,
            &url,
            std::iter::empty(),
            SignableBody::UnsignedPayload,
        )
        .unwrap();
        let (instructions, _signature) = sign(signable, &params).unwrap().into_parts();
        let mut request = http::Request::builder()
            .method(method)
            .uri(&url)
            .body(())
            .unwrap();
        instructions.apply_to_request_http1x(&mut request);
        request.uri().to_string()
    }

    /// PutObject with a chunked, per-chunk-signed body
    /// (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`), as the AWS SDKs stream uploads.
    pub async fn put_streaming(
        &self,
        path: &str,
        body: &[u8],
        chunk_size: usize,
        tamper: bool,
    ) -> Resp {
        const STREAMING: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
        let url = self.url(path);
        let identity = self.credentials().into();
        let time = SystemTime::now();
        let chunk_params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name("s3")
            .time(time)
            .settings(())
            .build()
            .unwrap();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name("s3")
            .time(time)
            .settings(settings())
            .build()
            .unwrap()
            .into();
        let decoded_len = body.len().to_string();
        let headers = [
            ("content-encoding", "aws-chunked"),
            ("x-amz-decoded-content-length", decoded_len.as_str()),
        ];
        let signable = SignableRequest::new(
            "PUT",
            &url,
            headers.iter().copied(),
            SignableBody::Precomputed(STREAMING.to_owned()),
        )
        .unwrap();
        let (instructions, seed_signature) = sign(signable, &params).unwrap().into_parts();

        let mut encoded = Vec::new();
        let mut previous = seed_signature;
        let mut chunks: Vec<&[u8]> = body.chunks(chunk_size).collect();
        chunks.push(&[]);
        for chunk in chunks {
            let signature = aws_sigv4::sign::v4::sign_chunk(
                &bytes::Bytes::copy_from_slice(chunk),
                &previous,
                &chunk_params,
            )
            .unwrap()
            .into_parts()
            .1;
            encoded.extend_from_slice(
                format!("{:x};chunk-signature={signature}\r\n", chunk.len()).as_bytes(),
            );
            encoded.extend_from_slice(chunk);
            encoded.extend_from_slice(b"\r\n");
            previous = signature;
        }
        if tamper {
            // Flip one byte of the first chunk's data, after its signature was computed.
            let at = encoded.iter().position(|b| *b == b'\n').unwrap() + 1;
            encoded[at] ^= 0x01;
        }
        let mut request = http::Request::builder().method("PUT").uri(&url);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let mut request = request.body(encoded).unwrap();
        instructions.apply_to_request_http1x(&mut request);
        self.execute(request).await
    }

    // Shorthands for the common operations.

    pub async fn create_bucket(&self, bucket: &str) -> Resp {
        self.send(
            "PUT",
            &format!("/{bucket}"),
            &[],
            Vec::new(),
            Payload::Signed,
        )
        .await
    }

    pub async fn put_object(
        &self,
        bucket: &str,
        key: &str,
        body: &[u8],
        content_type: Option<&str>,
    ) -> Resp {
        let headers: Vec<(&str, &str)> = content_type
            .map(|ct| ("content-type", ct))
            .into_iter()
            .collect();
        self.send(
            "PUT",
            &format!("/{bucket}/{}", encode_key(key)),
            &headers,
            body.to_vec(),
            Payload::Signed,
        )
        .await
    }

    pub async fn get_object(&self, bucket: &str, key: &str) -> Resp {
        self.get_object_with(bucket, key, &[]).await
    }

    pub async fn get_object_with(&self, bucket: &str, key: &str, headers: &[(&str, &str)]) -> Resp {
        self.send(
            "GET",
            &format!("/{bucket}/{}", encode_key(key)),
            headers,
            Vec::new(),
            Payload::Signed,
        )
        .await
    }

    pub async fn head_object(&self, bucket: &str, key: &str) -> Resp {
        self.send(
            "HEAD",
            &format!("/{bucket}/{}", encode_key(key)),
            &[],
            Vec::new(),
            Payload::Signed,
        )
        .await
    }

    pub async fn delete_object(&self, bucket: &str, key: &str) -> Resp {
        self.send(
            "DELETE",
            &format!("/{bucket}/{}", encode_key(key)),
            &[],
            Vec::new(),
            Payload::Signed,
        )
        .await
    }

    pub async fn list(&self, bucket: &str, query: &str) -> Resp {
        let path = if query.is_empty() {
            format!("/{bucket}")
        } else {
            format!("/{bucket}?{query}")
        };
        self.send("GET", &path, &[], Vec::new(), Payload::Signed)
            .await
    }
}

/// Deterministic pseudo-random bytes (xorshift), so large bodies are not repetitive.
pub fn pseudo_random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(len);
    out
}

pub fn md5_hex(data: &[u8]) -> String {
    use s3s::crypto::{Checksum, Md5};
    hex::encode(Md5::checksum(data))
}
