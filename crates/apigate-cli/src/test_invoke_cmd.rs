//! `apigate test-invoke`: one request through the full lifecycle, in-process, printed as the
//! API Gateway console's Test tab shows it — the response, then the execution log (method
//! request, endpoint request after mapping, endpoint response, selected integration response,
//! method response). Authorization is not checked, as in the console.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use apigate_core::LoadOptions;
use apigate_runtime::auth::sigv4::CallerKeys;
use apigate_runtime::auth::{AuthMode, Authorizer};
use apigate_runtime::trace::Trace;
use apigate_runtime::{body, lifecycle, Gateway};
use clap::{Args, ValueEnum};
use http_body_util::BodyExt;

use crate::deployment;
use crate::gateway_setup::{self, fail, BackendArgs, Failure};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InvokeFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct TestInvokeArgs {
    /// Definition file (JSON or YAML).
    file: PathBuf,
    /// HTTP method: GET, PUT, POST, DELETE, PATCH, HEAD, OPTIONS.
    method: String,
    /// Request path after the stage, with an optional query string (`/pets/1?type=dog`).
    path: String,
    /// A request header, `Name: value`; repeatable.
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE")]
    headers: Vec<String>,
    /// The request body, or `@FILE` to read it from a file.
    #[arg(short = 'd', long = "data", value_name = "BODY|@FILE")]
    data: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = InvokeFormat::Text)]
    format: InvokeFormat,
    #[command(flatten)]
    backend: BackendArgs,
}

pub fn test_invoke(args: &TestInvokeArgs, options: &LoadOptions) -> ExitCode {
    gateway_setup::run_command(None, run(args, options), |status| {
        if status < 400 {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        }
    })
}

/// Runs the request; returns the method response status.
async fn run(args: &TestInvokeArgs, options: &LoadOptions) -> Result<u16, Failure> {
    let deployment::Deployed { api, settings, .. } =
        deployment::load_deployed(&args.file, &args.backend, options)?;
    let request = build_request(args, settings.stage.as_deref())?;
    let region = options.import_variables.region.clone();
    let mut backends = gateway_setup::backends(
        &args.backend,
        &region,
        1,
        apigate_http_server::Limits::default(),
    )
    .await?;
    // Read (so a bad --jwks is reported as `serve` reports it), though nothing is authorized.
    let user_pools =
        gateway_setup::user_pool_keys(&args.backend, &api, &backends.client, &mut backends.notes)
            .await?;
    let gateway = Gateway {
        api,
        settings,
        // API keys and throttling are skipped, as the console's Test tab skips them.
        limits: Default::default(),
        authorizer: Arc::new(Authorizer {
            user_pools,
            ..Authorizer::new(AuthMode::Skip, CallerKeys::default(), region)
        }),
        s3: Arc::new(backends.s3),
        http: Arc::new(backends.http),
        lambda: Arc::new(backends.lambda),
        aws: Arc::new(backends.aws),
        observe: Default::default(),
    };

    let trace = Arc::new(Trace::new());
    trace.log("Test invocation: authorization is not checked (as the console's Test tab)");
    let started = Instant::now();
    let request_line = format!("{} {}", request.method(), request.uri());
    let response = lifecycle::handle_traced(
        &gateway,
        request,
        SocketAddr::from(([127, 0, 0, 1], 0)),
        trace.clone(),
    )
    .await;
    let (head, body) = response.into_parts();
    let bytes = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .map_err(|e| fail(2, format!("reading the response: {e}")))?;
    let latency_ms = started.elapsed().as_millis();
    if let Some(store) = backends.store {
        store.shutdown().await;
    }

    let status = head.status.as_u16();
    match args.format {
        InvokeFormat::Text => {
            println!("Request: {request_line}");
            println!("Status: {status}");
            println!("Latency: {latency_ms} ms");
            println!("Response body:");
            println!("{}", apigate_runtime::trace::body(&bytes));
            println!(
                "Response headers: {}",
                apigate_runtime::trace::headers(&head.headers)
            );
            println!();
            println!("Execution log:");
            for line in trace.lines() {
                println!("{line}");
            }
        }
        InvokeFormat::Json => {
            let headers: serde_json::Map<String, serde_json::Value> = head
                .headers
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_string(),
                        serde_json::Value::String(String::from_utf8_lossy(v.as_bytes()).into()),
                    )
                })
                .collect();
            let mut out = serde_json::json!({
                "request": request_line,
                "status": status,
                "latency_ms": latency_ms,
                "headers": headers,
                "body": String::from_utf8_lossy(&bytes),
                "log": trace.lines(),
            });
            if let (Err(_), Some(fields)) = (std::str::from_utf8(&bytes), out.as_object_mut()) {
                use base64::Engine as _;
                fields.insert(
                    "body_base64".into(),
                    base64::engine::general_purpose::STANDARD
                        .encode(&bytes)
                        .into(),
                );
            }
            println!("{out:#}");
        }
    }
    Ok(status)
}

/// The method request: `/{stage}{path}`, the headers, the body.
fn build_request(
    args: &TestInvokeArgs,
    stage: Option<&str>,
) -> Result<http::Request<body::Body>, Failure> {
    let method = http::Method::from_bytes(args.method.to_ascii_uppercase().as_bytes())
        .map_err(|_| fail(2, format!("`{}` is not an HTTP method", args.method)))?;
    if !args.path.starts_with('/') {
        return Err(fail(
            2,
            format!("the path must start with `/`: `{}`", args.path),
        ));
    }
    let uri = match stage {
        Some(s) => format!("/{s}{}", args.path),
        None => args.path.clone(),
    };
    let mut builder = http::Request::builder()
        .method(method)
        .uri(&uri)
        .header(http::header::HOST, "localhost");
    for h in &args.headers {
        let (name, value) = h
            .split_once(':')
            .ok_or_else(|| fail(2, format!("header `{h}` is not `Name: value`")))?;
        builder = builder.header(name.trim(), value.trim());
    }
    let data = match args.data.as_deref() {
        None => Vec::new(),
        Some(d) => match d.strip_prefix('@') {
            Some(file) => {
                std::fs::read(file).map_err(|e| fail(2, format!("cannot read {file}: {e}")))?
            }
            None => d.as_bytes().to_vec(),
        },
    };
    if !data.is_empty() {
        builder = builder.header(http::header::CONTENT_LENGTH, data.len());
    }
    builder
        .body(body::full(data))
        .map_err(|e| fail(2, format!("invalid request: {e}")))
}
