//! CPU cost of one request through the lifecycle, without client sockets: `lifecycle::handle`
//! called in a loop on a single-threaded runtime, the MyS3 definition (`openapi/mys3.yaml`)
//! in front of the embedded store reached in-process — routing, parameter mapping, SigV4
//! signing, the store (SigV4 verification, file read), response selection and mapping.
//!
//! Run: `cargo bench -p apigate-runtime --bench lifecycle [-- ITERATIONS] [CASE...]` (cases
//! `get`, `head`, `put`, and `store`: the same GET handed to the store alone, signed once
//! and replayed — what the store costs without the gateway, as behind nginx in
//! `benches/proxy.sh`; all by default). Prints the CPU µs per request of each case (and the
//! wall-clock µs); `benches/proxy.sh` measures the same paths over HTTP under load.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use apigate_core::LoadOptions;
use apigate_runtime::auth::sigv4::CallerKeys;
use apigate_runtime::auth::{AuthMode, Authorizer};
use apigate_runtime::body::{self, BoxError};
use apigate_runtime::integrations::aws::{AwsClient, AwsEndpoints};
use apigate_runtime::integrations::aws_service::AwsServiceBackend;
use apigate_runtime::integrations::client::{BackendClient, ClientOptions};
use apigate_runtime::integrations::http::HttpBackend;
use apigate_runtime::integrations::lambda::LambdaBackend;
use apigate_runtime::integrations::s3::{BoxFuture, InProcessS3, S3Backend, S3Endpoint};
use apigate_runtime::integrations::signer::{sign_s3, CredentialSource, Payload};
use apigate_runtime::{lifecycle, Gateway, Settings};
use apigate_s3store::{EmbeddedS3, LocalClient, StoreConfig};
use http_body_util::BodyExt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

// The allocator the `apigate` binary uses.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const KEY_ID: &str = "AKIABENCHLIFECYCLE01";
const SECRET: &str = "benchlifecyclebenchlifecyclebenchlifecyc";

#[derive(Debug)]
struct Local(LocalClient);

impl InProcessS3 for Local {
    fn call(
        &self,
        request: http::Request<body::Body>,
    ) -> BoxFuture<Result<http::Response<body::Body>, BoxError>> {
        let client = self.0.clone();
        Box::pin(async move { Ok(client.call(request).await?.map(|b| b.boxed_unsync())) })
    }
}

/// Nanoseconds this thread has run on a CPU (Linux's schedstat): unlike wall time, not
/// inflated by other processes on a shared machine.
fn thread_cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let iterations: u32 = args.iter().find_map(|a| a.parse().ok()).unwrap_or(20_000);
    let cases: Vec<String> = args
        .iter()
        .filter(|a| a.parse::<u32>().is_err())
        .map(|a| a.to_ascii_uppercase())
        .collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run(iterations, &cases));
}

async fn run(iterations: u32, only: &[String]) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../openapi/mys3.yaml");
    let text = std::fs::read_to_string(&root).expect("openapi/mys3.yaml");
    let options = LoadOptions::default();
    let api = apigate_core::load("mys3.yaml", &text, &options)
        .api
        .expect("mys3.yaml loads");
    let data = std::env::temp_dir().join(format!("apigate-bench-lifecycle-{}", std::process::id()));
    let store = EmbeddedS3::start(StoreConfig {
        data_dir: data.clone(),
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        access_key_id: KEY_ID.into(),
        secret_access_key: SECRET.into(),
        region: options.import_variables.region.clone(),
    })
    .await
    .expect("embedded store");
    let client = BackendClient::new(&ClientOptions {
        idle_timeout: std::time::Duration::from_secs(300),
        max_idle_per_host: 32,
    })
    .expect("backend client");
    let s3 = S3Backend::new(
        S3Endpoint::Custom(store.endpoint()),
        CredentialSource::fixed(KEY_ID, SECRET),
        client.clone(),
    )
    .with_in_process(Arc::new(Local(store.local_client())));
    let aws = Arc::new(AwsClient::new(
        AwsEndpoints::default(),
        CredentialSource::fixed(KEY_ID, SECRET),
        client.clone(),
    ));
    let gw = Gateway {
        settings: Settings {
            stage: api.stage.clone(),
            api_id: "apigate".into(),
            account_id: options.import_variables.account_id.clone(),
            stage_variables: Default::default(),
            buffer_limit: 10 << 20,
            templates: Default::default(),
        },
        api,
        limits: Default::default(),
        authorizer: Arc::new(Authorizer::new(
            AuthMode::Off,
            CallerKeys::default(),
            options.import_variables.region.clone(),
        )),
        s3: Arc::new(s3),
        lambda: Arc::new(LambdaBackend::new(aws.clone(), 10 << 20)),
        aws: Arc::new(AwsServiceBackend::new(aws)),
        http: Arc::new(HttpBackend::new(client, "apigate")),
        observe: Default::default(),
    };
    let prefix = gw
        .settings
        .stage
        .as_deref()
        .map(|s| format!("/{s}"))
        .unwrap_or_default();
    let remote = SocketAddr::from(([127, 0, 0, 1], 40000));

    let send = |method: &str, path: &str, payload: Option<&'static [u8]>| {
        let mut request = http::Request::builder()
            .method(method)
            .uri(format!("{prefix}{path}"))
            .header("host", "127.0.0.1:8080")
            .header("user-agent", "bench");
        let body = match payload {
            Some(bytes) => {
                request = request
                    .header("content-type", "application/octet-stream")
                    .header("content-length", bytes.len());
                body::full(bytes::Bytes::from_static(bytes))
            }
            None => body::empty(),
        };
        let request = request.body(body).expect("request");
        let gw = &gw;
        async move { read_whole(lifecycle::handle(gw, request, remote).await).await }
    };

    static OBJECT: [u8; 1024] = [7u8; 1024];
    assert_eq!(send("PUT", "/bench", None).await.0, 200, "create bucket");
    assert_eq!(
        send("PUT", "/bench/1k", Some(&OBJECT)).await.0,
        200,
        "upload"
    );

    let cases: [(&str, &str, &str, Option<&'static [u8]>); 3] = [
        ("GET 1 KiB object", "GET", "/bench/1k", None),
        ("HEAD object", "HEAD", "/bench/1k", None),
        ("PUT 1 KiB object", "PUT", "/bench/put-1k", Some(&OBJECT)),
    ];
    println!("lifecycle bench: {iterations} requests per case, one thread, in-process store");
    let cases = cases
        .into_iter()
        .filter(|(_, method, _, _)| only.is_empty() || only.iter().any(|c| c == method));
    for (name, method, path, payload) in cases {
        measure(name, iterations, || send(method, path, payload)).await;
    }
    if only.is_empty() || only.iter().any(|c| c == "STORE") {
        // The store alone: one signed GET replayed (SigV4 allows it within 15 minutes).
        let local = store.local_client();
        let url = format!("{}/bench/1k", store.endpoint());
        let host = url.split('/').nth(2).unwrap_or_default().to_owned();
        let mut headers = http::HeaderMap::new();
        headers.insert("host", host.parse().expect("host"));
        let credentials =
            aws_credential_types::Credentials::new(KEY_ID, SECRET, None, None, "bench");
        sign_s3(
            "GET",
            &url,
            &mut headers,
            Payload::Bytes(&[]),
            &credentials,
            &gw.authorizer.region,
            std::time::SystemTime::now(),
        )
        .expect("signed");
        let get = || {
            let mut request = http::Request::new(body::empty());
            *request.uri_mut() = "/bench/1k".parse().expect("uri");
            *request.headers_mut() = headers.clone();
            let local = &local;
            async move { read_whole(local.call(request).await.expect("store answers")).await }
        };
        measure("store alone (GET)", iterations, get).await;
    }
    store.shutdown().await;
    let _ = std::fs::remove_dir_all(data);
}

/// Runs `request` a tenth of `iterations` to warm up, then `iterations` times (each must
/// answer 200), and prints the CPU and wall-clock time per request.
async fn measure<F, Fut>(name: &str, iterations: u32, mut request: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = (http::StatusCode, bytes::Bytes)>,
{
    for _ in 0..iterations / 10 {
        request().await;
    }
    let (started, cpu_started) = (Instant::now(), thread_cpu_ns());
    for _ in 0..iterations {
        let (status, bytes) = request().await;
        assert_eq!(status, 200, "{name}: {}", String::from_utf8_lossy(&bytes));
    }
    let per = |total: f64| total / 1e3 / f64::from(iterations);
    let wall = per(started.elapsed().as_nanos() as f64);
    match (cpu_started, thread_cpu_ns()) {
        (Some(a), Some(b)) => println!(
            "  {name:<18} {:>7.2} us CPU/request ({wall:.2} us wall)",
            per((b - a) as f64)
        ),
        _ => println!("  {name:<18} {wall:>7.2} us/request (wall)"),
    }
}

async fn read_whole<B>(response: http::Response<B>) -> (http::StatusCode, bytes::Bytes)
where
    B: http_body::Body,
    B::Error: std::fmt::Debug,
{
    let status = response.status();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (status, bytes)
}
