//! In-process test harness: a [`Gateway`] built from a definition's text, requests handed
//! straight to [`lifecycle::handle`] — no `apigate` process and no socket in front of the
//! gateway, so a behaviour test costs a definition load and a function call. Backends are
//! real: an echo server on a loopback socket started by the test (`tests/support/echo.rs` at
//! the repository's root), or the embedded S3 store reached in-process as `apigate serve`
//! reaches it ([`Setup::with_store`]).
//!
//! Modelled on linkerd2-proxy's `linkerd/app/integration`: real servers and clients, in the
//! test's own runtime. What only the binary does (the accept loop, timeouts, flags, signals)
//! stays in the end-to-end tests under the repository's `tests/`.
//!
//! ```ignore
//! let gw = Setup::file("tests/serve/features.yaml").stage_variable("env", "x").start().await;
//! let reply = gw.request("GET", "/teapot").send().await;
//! assert_eq!(reply.status, 418);
//! ```

#![allow(dead_code, clippy::expect_used, clippy::panic)]

use apigate_core::config::DeploymentConfig;
use apigate_core::limits::UsageLimits;
use apigate_core::LoadOptions;
use apigate_runtime::auth::cognito::UserPoolKeys;
use apigate_runtime::auth::sigv4::CallerKeys;
use apigate_runtime::auth::{AuthMode, Authorizer};
use apigate_runtime::body::{self, BoxError};
use apigate_runtime::integrations::aws::{AwsClient, AwsEndpoints};
use apigate_runtime::integrations::aws_service::AwsServiceBackend;
use apigate_runtime::integrations::client::{BackendClient, ClientOptions};
use apigate_runtime::integrations::http::HttpBackend;
use apigate_runtime::integrations::lambda::LambdaBackend;
use apigate_runtime::integrations::s3::{BoxFuture, InProcessS3, S3Backend, S3Endpoint};
use apigate_runtime::integrations::signer::CredentialSource;
use apigate_runtime::throttle::Limits;
use apigate_runtime::{lifecycle, Gateway, Settings};
use apigate_s3store::{EmbeddedS3, LocalClient, StoreConfig};
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use http_body_util::BodyExt;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// `$context.apiId`, as `apigate serve` sets it.
pub const API_ID: &str = "apigate";
/// The embedded store's key pair (the store and the gateway share it, as in `serve`).
const STORE_KEY: &str = "AKIAINPROCESSHARNESS";
const STORE_SECRET: &str = "in/process/harness/secret/0123456789abcd";

/// The repository's root (definitions are named relative to it).
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// How to build the gateway: the definition and what `serve`'s flags would set.
#[derive(Debug)]
pub struct Setup {
    name: String,
    text: String,
    stage: Option<String>,
    stage_variables: BTreeMap<String, String>,
    store: bool,
    user_pools: UserPoolKeys,
    /// `--config`: the deployment config file's text (YAML or JSON).
    config: Option<String>,
}

impl Setup {
    /// A definition file, relative to the repository's root.
    pub fn file(path: &str) -> Setup {
        let full = repo().join(path);
        let text = std::fs::read_to_string(&full)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", full.display()));
        Setup::text(path, &text)
    }

    /// A definition's text; `name` (its extension: `.json` or `.yaml`) names it in diagnostics.
    pub fn text(name: &str, text: &str) -> Setup {
        Setup {
            name: name.to_string(),
            text: text.to_string(),
            stage: None,
            stage_variables: BTreeMap::new(),
            store: false,
            user_pools: UserPoolKeys::default(),
            config: None,
        }
    }

    /// `--config FILE`, given its text: the stage's name, variables and method throttling,
    /// API keys and usage plans (its errors fail the test).
    pub fn config(mut self, text: &str) -> Setup {
        self.config = Some(text.to_string());
        self
    }

    /// `--stage NAME` (default: the definition's basePath stage, else served at `/`).
    pub fn stage(mut self, name: &str) -> Setup {
        self.stage = Some(name.to_string());
        self
    }

    /// `--stage-variable NAME=VALUE`.
    pub fn stage_variable(mut self, name: &str, value: &str) -> Setup {
        self.stage_variables
            .insert(name.to_string(), value.to_string());
        self
    }

    /// `--jwks ARN=FILE`: the signing keys of a Cognito user pool (a JWKS document).
    pub fn jwks(mut self, pool_arn: &str, document: &[u8]) -> Setup {
        self.user_pools
            .add(pool_arn, document)
            .unwrap_or_else(|e| panic!("--jwks {pool_arn}: {e}"));
        self
    }

    /// S3 integrations go to an embedded store (in a temporary directory) reached
    /// in-process; without it they go to a port nothing listens on.
    pub fn with_store(mut self) -> Setup {
        self.store = true;
        self
    }

    /// Loads the definition (its errors fail the test, with the diagnostics) and builds the
    /// gateway with authorization off (`--no-auth`).
    pub async fn start(self) -> InProcess {
        let options = LoadOptions::default();
        let loaded = apigate_core::load(&self.name, &self.text, &options);
        let Some(api) = loaded.api else {
            let lines: Vec<String> = loaded
                .diagnostics
                .iter()
                .map(|d| format!("{}:{}: {} ({})", d.pos.line, d.pos.col, d.message, d.rule))
                .collect();
            panic!("{} does not load:\n{}", self.name, lines.join("\n"));
        };
        let client = BackendClient::new(&ClientOptions {
            idle_timeout: Duration::from_secs(300),
            max_idle_per_host: 4,
        })
        .expect("backend client");
        let region = options.import_variables.region.clone();
        let (s3, store) = if self.store {
            let dir = tempfile::tempdir().expect("temporary directory");
            let store = EmbeddedS3::start(StoreConfig {
                data_dir: dir.path().join("s3"),
                listen: SocketAddr::from(([127, 0, 0, 1], 0)),
                access_key_id: STORE_KEY.into(),
                secret_access_key: STORE_SECRET.into(),
                region: region.clone(),
            })
            .await
            .expect("embedded store");
            let s3 = S3Backend::new(
                S3Endpoint::Custom(store.endpoint()),
                CredentialSource::fixed(STORE_KEY, STORE_SECRET),
                client.clone(),
            )
            .with_in_process(Arc::new(Local(store.local_client())));
            (s3, Some((store, dir)))
        } else {
            let nowhere = S3Endpoint::Custom(format!("http://127.0.0.1:{}", closed_port()));
            let s3 = S3Backend::new(
                nowhere,
                CredentialSource::fixed(STORE_KEY, STORE_SECRET),
                client.clone(),
            );
            (s3, None)
        };
        let aws = Arc::new(AwsClient::new(
            AwsEndpoints::default(),
            CredentialSource::fixed(STORE_KEY, STORE_SECRET),
            client.clone(),
        ));
        let config = match &self.config {
            None => DeploymentConfig::default(),
            Some(text) => {
                let name = if text.trim_start().starts_with('{') {
                    "config.json"
                } else {
                    "config.yaml"
                };
                let loaded = apigate_core::config::load(name, text);
                loaded
                    .config
                    .unwrap_or_else(|| panic!("the config does not load: {:?}", loaded.diagnostics))
            }
        };
        let stage = self
            .stage
            .or_else(|| config.stage.name.clone())
            .or_else(|| api.stage.clone());
        let mut stage_variables = config.stage.variables.clone();
        stage_variables.extend(self.stage_variables);
        let usage = UsageLimits::resolve(&api, &config, stage.as_deref(), &mut |_| {
            "generated-key-value-0123456789".to_string()
        });
        let limits = Limits::in_process(&api, config, usage);
        let gateway = Gateway {
            limits,
            settings: Settings {
                stage,
                api_id: API_ID.into(),
                account_id: options.import_variables.account_id.clone(),
                stage_variables,
                buffer_limit: 10 << 20,
                templates: Default::default(),
            },
            api,
            authorizer: Arc::new(Authorizer {
                user_pools: self.user_pools,
                ..Authorizer::new(AuthMode::Off, CallerKeys::default(), region)
            }),
            s3: Arc::new(s3),
            lambda: Arc::new(LambdaBackend::new(aws.clone(), 10 << 20)),
            aws: Arc::new(AwsServiceBackend::new(aws)),
            http: Arc::new(HttpBackend::new(client, API_ID)),
            observe: Default::default(),
        };
        InProcess {
            gateway,
            _store: store,
        }
    }
}

/// A port nothing listens on (bound, then released).
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a loopback port")
}

/// The embedded store as the gateway's in-process S3 endpoint (as `serve` wires it).
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

/// A gateway running in the test's process.
#[derive(Debug)]
pub struct InProcess {
    pub gateway: Gateway,
    /// The embedded store and its directory, removed when the harness is dropped.
    _store: Option<(EmbeddedS3, tempfile::TempDir)>,
}

/// Where requests come from (`$context.identity.sourceIp`).
pub const REMOTE: SocketAddr = SocketAddr::new(
    std::net::IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 1)),
    40000,
);

impl InProcess {
    /// A request to `path` (stage included, as a client would send it).
    pub fn request(&self, method: &str, path: &str) -> RequestBuilder<'_> {
        RequestBuilder {
            gw: self,
            inner: http::Request::builder()
                .method(method)
                .uri(path)
                .header("host", "127.0.0.1:8080"),
            body: Bytes::new(),
        }
    }

    /// Runs `request` through the lifecycle and reads the whole response.
    pub async fn send(&self, request: http::Request<body::Body>) -> Reply {
        let response = lifecycle::handle(&self.gateway, request, REMOTE).await;
        let (head, body) = response.into_parts();
        let body = body
            .collect()
            .await
            .expect("the response body reads")
            .to_bytes();
        Reply {
            status: head.status,
            headers: head.headers,
            body,
        }
    }
}

/// A request being built.
#[derive(Debug)]
pub struct RequestBuilder<'a> {
    gw: &'a InProcess,
    inner: http::request::Builder,
    body: Bytes,
}

impl RequestBuilder<'_> {
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.inner = self.inner.header(name, value);
        self
    }

    /// The body, with its Content-Length (as an HTTP client sends it).
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self.inner = self.inner.header("content-length", self.body.len());
        self
    }

    pub async fn send(self) -> Reply {
        let request = self
            .inner
            .body(body::full(self.body))
            .expect("a well-formed request");
        self.gw.send(request).await
    }
}

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    /// The body as UTF-8 text.
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.body).expect("a UTF-8 body")
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    /// Every value of header `name`, in order.
    pub fn header_values(&self, name: &str) -> Vec<&str> {
        self.headers
            .get_all(name)
            .iter()
            .map(|v| v.to_str().expect("a visible-ASCII header"))
            .collect()
    }

    /// The single value of header `name`, if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(name)
            .map(|v| v.to_str().expect("a visible-ASCII header"))
    }
}
