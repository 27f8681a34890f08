//! A Lambda Invoke-API server for the tests (hyper on 127.0.0.1:0): `POST
//! /2015-03-31/functions/{FunctionName}/invocations`, as AWS Lambda, `sam local start-lambda`
//! and LocalStack serve it, running the test's functions (Rust closures).
//!
//! It refuses what Lambda refuses: a call that is not SigV4-signed for service `lambda` in its
//! region with its key pair gets 403 (`MissingAuthenticationTokenException` unsigned,
//! `InvalidSignatureException` otherwise). The signature is recomputed with the `aws-sigv4`
//! crate — an implementation independent of apigate's — from the request as received. The
//! function name may be a name or an ARN (URL-encoded, with or without a qualifier).
//! Answers as the Invoke API documents them: `RequestResponse` → 200 with the result;
//! `Event` → 202, the function run after the answer; `DryRun` → 204; a function error → 200 with
//! `X-Amz-Function-Error: Unhandled` and `{"errorMessage", "errorType", "stackTrace"}`; an
//! unknown function → 404 `ResourceNotFoundException`; a payload that is not JSON → 400
//! `InvalidRequestContentException`.

#![allow(
    dead_code,
    clippy::indexing_slicing,
    clippy::result_large_err,
    clippy::too_many_arguments
)]

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The account the server's ARNs name.
pub const LAMBDA_ACCOUNT: &str = "123456789012";

/// What a function does with one invocation.
pub enum Outcome {
    /// Returns this payload (usually JSON).
    Return(Vec<u8>),
    /// Fails as an unhandled exception: `errorMessage`, `errorType`.
    Fail { message: String, kind: String },
    /// Waits this long, then returns the payload.
    Slow(Duration, Vec<u8>),
}

impl Outcome {
    /// Returns `value` serialised as JSON.
    pub fn json(value: serde_json::Value) -> Outcome {
        Outcome::Return(value.to_string().into_bytes())
    }
}

/// One call the server received (signed correctly: refused calls are not recorded).
#[derive(Debug, Clone)]
pub struct Invocation {
    /// The function's name (qualifier and ARN prefix removed).
    pub function: String,
    /// `X-Amz-Invocation-Type` (`RequestResponse` when absent).
    pub invocation_type: String,
    pub payload: Bytes,
    /// The request's headers, names lower case.
    pub headers: Vec<(String, String)>,
}

impl Invocation {
    /// The payload parsed as JSON (panics when it is not: a test expects JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.payload).expect("the invocation payload is JSON")
    }
}

type Function = Arc<dyn Fn(&Invocation) -> Outcome + Send + Sync>;

/// The server's settings: region, key pair, functions.
pub struct LambdaSpec {
    region: String,
    key: String,
    secret: String,
    functions: HashMap<String, Function>,
}

impl LambdaSpec {
    pub fn new(region: &str, key: &str, secret: &str) -> LambdaSpec {
        LambdaSpec {
            region: region.into(),
            key: key.into(),
            secret: secret.into(),
            functions: HashMap::new(),
        }
    }

    /// Adds a function.
    pub fn function(
        mut self,
        name: &str,
        f: impl Fn(&Invocation) -> Outcome + Send + Sync + 'static,
    ) -> LambdaSpec {
        self.functions.insert(name.into(), Arc::new(f));
        self
    }
}

/// A running server.
pub struct Lambda {
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    calls: Arc<Mutex<Vec<Invocation>>>,
}

impl Lambda {
    /// The calls received so far, in order.
    pub fn calls(&self) -> Vec<Invocation> {
        self.calls.lock().unwrap().clone()
    }

    /// How many calls `function` received.
    pub fn count(&self, function: &str) -> usize {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .filter(|c| c.function == function)
            .count()
    }

    /// The ARN the server gives `function`.
    pub fn arn(region: &str, function: &str) -> String {
        format!("arn:aws:lambda:{region}:{LAMBDA_ACCOUNT}:function:{function}")
    }
}

/// Starts the server.
pub async fn start_lambda(spec: LambdaSpec) -> Lambda {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let spec = Arc::new(spec);
    let calls: Arc<Mutex<Vec<Invocation>>> = Arc::default();
    let recorded = Arc::clone(&calls);
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let (spec, calls) = (Arc::clone(&spec), Arc::clone(&recorded));
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req| {
                    invoke(req, Arc::clone(&spec), Arc::clone(&calls))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Lambda {
        endpoint: format!("http://{addr}"),
        calls,
    }
}

fn answer(status: u16, headers: &[(&str, &str)], body: Vec<u8>) -> Response<Full<Bytes>> {
    let mut r = Response::builder().status(status);
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    r.body(Full::new(Bytes::from(body))).unwrap()
}

/// Lambda's error answer: JSON `{"Type": "User", "message": …}` and `x-amzn-ErrorType`.
fn error(status: u16, kind: &str, message: &str) -> Response<Full<Bytes>> {
    let body = serde_json::json!({"Type": "User", "message": message}).to_string();
    answer(
        status,
        &[
            ("content-type", "application/json"),
            ("x-amzn-ErrorType", kind),
        ],
        body.into_bytes(),
    )
}

async fn invoke(
    req: Request<Incoming>,
    spec: Arc<LambdaSpec>,
    calls: Arc<Mutex<Vec<Invocation>>>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = req.into_parts();
    let payload = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    if let Err(refusal) = verify(&parts, &payload, &spec) {
        return Ok(refusal);
    }
    let path = parts.uri.path();
    let Some(name) = path
        .strip_prefix("/2015-03-31/functions/")
        .and_then(|rest| rest.strip_suffix("/invocations"))
        .filter(|_| parts.method == hyper::Method::POST)
    else {
        return Ok(error(404, "UnknownOperationException", "Unknown operation"));
    };
    let decoded = percent_encoding::percent_decode_str(name)
        .decode_utf8_lossy()
        .into_owned();
    // `arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]`, `NAME[:QUALIFIER]`.
    let bare = decoded
        .rsplit_once(":function:")
        .map_or(decoded.as_str(), |(_, n)| n);
    let function = bare.split(':').next().unwrap_or(bare).to_string();
    let Some(f) = spec.functions.get(&function).cloned() else {
        let arn = Lambda::arn(&spec.region, &function);
        return Ok(error(
            404,
            "ResourceNotFoundException",
            &format!("Function not found: {arn}"),
        ));
    };
    // Lambda takes JSON payloads only (an empty one is `{}`).
    if !payload.is_empty() {
        if let Err(e) = serde_json::from_slice::<serde_json::Value>(&payload) {
            return Ok(error(
                400,
                "InvalidRequestContentException",
                &format!("Could not parse request body into json: {e}"),
            ));
        }
    }
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let invocation = Invocation {
        function,
        invocation_type: parts
            .headers
            .get("x-amz-invocation-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("RequestResponse")
            .to_string(),
        payload,
        headers,
    };
    calls.lock().unwrap().push(invocation.clone());
    match invocation.invocation_type.as_str() {
        "Event" => {
            tokio::task::spawn_blocking(move || drop(f(&invocation)));
            return Ok(answer(202, &[], Vec::new()));
        }
        "DryRun" => return Ok(answer(204, &[], Vec::new())),
        "RequestResponse" => {}
        other => {
            return Ok(error(
                400,
                "InvalidParameterValueException",
                &format!("Invalid invocation type: {other}"),
            ))
        }
    }
    let outcome = tokio::task::spawn_blocking(move || f(&invocation))
        .await
        .unwrap();
    let executed = [("X-Amz-Executed-Version", "$LATEST")];
    Ok(match outcome {
        Outcome::Return(bytes) => answer(200, &executed, bytes),
        Outcome::Slow(wait, bytes) => {
            tokio::time::sleep(wait).await;
            answer(200, &executed, bytes)
        }
        Outcome::Fail { message, kind } => {
            let body = serde_json::json!({
                "errorMessage": message,
                "errorType": kind,
                "stackTrace": [],
            });
            answer(
                200,
                &[
                    ("X-Amz-Executed-Version", "$LATEST"),
                    ("X-Amz-Function-Error", "Unhandled"),
                    ("content-type", "application/json"),
                ],
                body.to_string().into_bytes(),
            )
        }
    })
}

/// Checks the request's SigV4 signature by signing the same request again with `aws-sigv4`:
/// service `lambda`, the server's region and key pair, the time of its `x-amz-date`, exactly
/// the headers it says it signed.
fn verify(
    parts: &hyper::http::request::Parts,
    payload: &[u8],
    spec: &LambdaSpec,
) -> Result<(), Response<Full<Bytes>>> {
    use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
    use aws_sigv4::sign::v4::SigningParams;
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let Some(auth) = header("authorization") else {
        return Err(error(
            403,
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        ));
    };
    let invalid = |why: &str| {
        error(
            403,
            "InvalidSignatureException",
            &format!("The request signature we calculated does not match the signature you provided ({why})"),
        )
    };
    let field = |name: &str| {
        auth.split([' ', ','])
            .find_map(|p| p.trim().strip_prefix(name))
            .map(str::to_string)
    };
    let (Some(credential), Some(signed), Some(signature)) = (
        field("Credential="),
        field("SignedHeaders="),
        field("Signature="),
    ) else {
        return Err(invalid("malformed Authorization header"));
    };
    let scope: Vec<&str> = credential.split('/').collect();
    let [key, _, region, service, "aws4_request"] = scope.as_slice() else {
        return Err(invalid("malformed credential scope"));
    };
    if *key != spec.key {
        return Err(error(
            403,
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        ));
    }
    if *service != "lambda" || *region != spec.region {
        return Err(invalid(&format!(
            "credential scope names {service} in {region}, not lambda in {}",
            spec.region
        )));
    }
    let Some(time) = header("x-amz-date").and_then(|d| amz_time(&d)) else {
        return Err(invalid("no valid x-amz-date"));
    };
    let token = header("x-amz-security-token");
    let identity =
        aws_credential_types::Credentials::new(&spec.key, &spec.secret, token, None, "lambda-test")
            .into();
    let params = SigningParams::builder()
        .identity(&identity)
        .region(&spec.region)
        .name("lambda")
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let signed: Vec<&str> = signed.split(';').collect();
    let headers: Vec<(String, String)> = signed
        .iter()
        .filter(|n| !matches!(**n, "x-amz-date" | "x-amz-security-token"))
        .map(|n| (n.to_string(), header(n).unwrap_or_default()))
        .collect();
    let host = header("host").unwrap_or_default();
    let url = format!("http://{host}{}", parts.uri);
    let body = match header("x-amz-content-sha256").as_deref() {
        Some("UNSIGNED-PAYLOAD") => SignableBody::UnsignedPayload,
        _ => SignableBody::Bytes(payload),
    };
    let signable = SignableRequest::new(
        parts.method.as_str(),
        &url,
        headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        body,
    )
    .map_err(|e| invalid(&e.to_string()))?;
    let (instructions, _) = sign(signable, &params)
        .map_err(|e| invalid(&e.to_string()))?
        .into_parts();
    let expected = instructions
        .headers()
        .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        .and_then(|(_, v)| v.split("Signature=").nth(1).map(str::to_string))
        .unwrap_or_default();
    if expected != signature {
        return Err(invalid("signature mismatch"));
    }
    Ok(())
}

/// `YYYYMMDDTHHMMSSZ` → the instant.
fn amz_time(s: &str) -> Option<SystemTime> {
    let digits = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    if s.len() != 16 || s.get(8..9) != Some("T") || !s.ends_with('Z') {
        return None;
    }
    let (y, m, d) = (digits(0..4)?, digits(4..6)?, digits(6..8)?);
    let (hh, mm, ss) = (digits(9..11)?, digits(11..13)?, digits(13..15)?);
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + hh * 3600 + mm * 60 + ss;
    Some(UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).ok()?))
}

/// A call to the server signed as a Lambda client signs it (`aws-sigv4`, service `lambda`):
/// what the tests use to check the server itself.
pub fn signed_invoke(
    client: &reqwest::Client,
    lambda: &Lambda,
    region: &str,
    key: &str,
    secret: &str,
    function: &str,
    payload: &[u8],
    extra: &[(&str, &str)],
) -> reqwest::RequestBuilder {
    use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
    use aws_sigv4::sign::v4::SigningParams;
    let identity = aws_credential_types::Credentials::new(key, secret, None, None, "test").into();
    let params = SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("lambda")
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    // Everything but RFC 3986's unreserved characters, as the SDKs encode a function name.
    const NAME: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    let encoded = percent_encoding::utf8_percent_encode(function, NAME).to_string();
    let url = format!(
        "{}/2015-03-31/functions/{encoded}/invocations",
        lambda.endpoint
    );
    let host = lambda.endpoint.trim_start_matches("http://").to_string();
    let mut headers: Vec<(&str, &str)> = extra.to_vec();
    headers.push(("host", &host));
    let signable = SignableRequest::new(
        "POST",
        &url,
        headers.clone().into_iter(),
        SignableBody::Bytes(payload),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let mut rb = client.post(&url);
    for (k, v) in extra {
        rb = rb.header(*k, *v);
    }
    for (k, v) in instructions.headers() {
        rb = rb.header(k, v);
    }
    rb.body(payload.to_vec())
}
