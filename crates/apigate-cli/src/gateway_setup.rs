//! What `serve` and `test-invoke` share besides loading the definition
//! ([`crate::definition`]): the gateway's settings and the backends — the S3 side
//! (`--s3-endpoint`, else the embedded store) and the HTTP clients.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use apigate_core::config::DeploymentConfig;
use apigate_core::limits::UsageLimits;
use apigate_core::{Api, LoadOptions};
use apigate_runtime::auth::cognito::UserPoolKeys;
use apigate_runtime::auth::sigv4::CallerKey;
use apigate_runtime::body::{self, BoxError};
use apigate_runtime::integrations::aws::{AwsClient, AwsEndpoints, Endpoint};
use apigate_runtime::integrations::aws_service::AwsServiceBackend;
use apigate_runtime::integrations::client::{BackendClient, ClientOptions};
use apigate_runtime::integrations::http::HttpBackend;
use apigate_runtime::integrations::lambda::LambdaBackend;
use apigate_runtime::integrations::s3::{BoxFuture, InProcessS3, S3Backend, S3Endpoint};
use apigate_runtime::integrations::signer::CredentialSource;
use apigate_runtime::template_runner::{TemplateRunner, DEFAULT_TEMPLATE_TIMEOUT_MS};
use apigate_runtime::throttle::Limits;
use apigate_runtime::{Gateway, Settings};
use apigate_s3store::{EmbeddedS3, StoreConfig};
use clap::Args;
use http_body_util::BodyExt;
use std::sync::Arc;

/// `$context.apiId` of the served API.
pub const API_ID: &str = "apigate";

/// A command failure: the message and the exit code.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub code: u8,
}

pub fn fail(code: u8, message: impl Into<String>) -> Failure {
    Failure {
        message: message.into(),
        code,
    }
}

/// Runs a command's `work` on a multi-threaded tokio runtime (`workers` threads, else
/// tokio's default) and turns its outcome into the exit code: `done`'s for a result, the
/// failure's own code (its message on stderr) otherwise. A runtime that cannot start
/// exits 2.
pub fn run_command<T>(
    workers: Option<usize>,
    work: impl std::future::Future<Output = Result<T, Failure>>,
    done: impl FnOnce(T) -> ExitCode,
) -> ExitCode {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(workers) = workers {
        builder.worker_threads(workers);
    }
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("apigate: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(work) {
        Ok(outcome) => done(outcome),
        Err(Failure { message, code }) => {
            eprintln!("apigate: {message}");
            ExitCode::from(code)
        }
    }
}

/// Where integrations go and how the stage is set up (shared by `serve` and `test-invoke`).
#[derive(Debug, Args)]
pub struct BackendArgs {
    /// The deployment config file (YAML or JSON, CloudFormation's property names): `Stage`
    /// (StageName, Variables, MethodSettings throttling, AccessLogSetting.Format), `ApiKeys`,
    /// `UsagePlans` (per-key throttling and quotas); for serve, several APIs with `Apis`,
    /// `Stages`, `DomainNames` and `BasePathMappings`. Checked as `validate --config` checks
    /// it; errors stop the command. serve watches it with the definition; test-invoke takes
    /// its stage and variables (keys and limits are skipped, as in the console).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Stage to serve under (/{stage}/...) [default: the config file's StageName, else the
    /// stage the definition's basePath names; without one, the API is served at /].
    #[arg(long, value_parser = parse_stage)]
    pub stage: Option<String>,
    /// A stage variable (`stageVariables.NAME` mappings, `${stageVariables.NAME}` in URIs);
    /// repeatable; overrides the config file's variable of the same name.
    #[arg(long = "stage-variable", value_name = "NAME=VALUE", value_parser = parse_stage_variable)]
    pub stage_variables: Vec<(String, String)>,
    /// Where S3 integrations go: an S3-compatible endpoint URL (path-style), or `aws` for the
    /// real regional AWS endpoints [default: --aws-endpoint's for s3, else an embedded S3
    /// store in-process].
    #[arg(long, value_name = "URL|aws")]
    pub s3_endpoint: Option<String>,
    /// Where an AWS service's calls go (Lambda's Invoke API, …): SERVICE=URL for one service
    /// (`lambda=http://127.0.0.1:3001`, as named in integration URIs), URL alone for every
    /// service (one LocalStack or moto endpoint), `aws` for the real regional endpoints (the
    /// integration's role assumed through STS). Local endpoints are called with this
    /// environment's AWS credentials. Repeatable. A service without an endpoint answers 500.
    #[arg(long = "aws-endpoint", value_name = "[SERVICE=]URL|aws")]
    pub aws_endpoints: Vec<String>,
    /// Directory of the embedded store's buckets
    /// [default: $XDG_DATA_HOME/apigate/s3, else ~/.local/share/apigate/s3].
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Most bytes of a body buffered when a stage needs it whole (signature hashing without
    /// x-amz-content-sha256, text conversion, uploads of unknown length); bigger → 413.
    /// Streamed bodies are not limited.
    #[arg(long, default_value_t = 10 * 1024 * 1024)]
    pub buffer_limit: u64,
    /// Longest a mapping template may render, in milliseconds; past it the request fails
    /// with 500. Renders that outlast a millisecond leave the async workers for the
    /// blocking pool (at most one per CPU at a time).
    #[arg(long, value_name = "MS", default_value_t = DEFAULT_TEMPLATE_TIMEOUT_MS,
          value_parser = clap::value_parser!(u64).range(1..=3_600_000))]
    pub template_timeout: u64,

    /// Seconds a streamed backend response (http_proxy, S3 or http without a template) may
    /// send nothing before it is cut off [default: 300, AWS's idle timeout for streamed
    /// responses of Regional APIs].
    #[arg(long, value_name = "SECONDS", default_value_t = 300,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub backend_idle_timeout: u64,

    /// A Cognito user pool's signing keys, for COGNITO_USER_POOLS authorizers: the pool's ARN
    /// (as in providerARNs) and its JWKS document, a file or an http(s) URL read once at
    /// start (https://cognito-idp.REGION.amazonaws.com/POOL_ID/.well-known/jwks.json);
    /// repeatable. A pool without keys answers 500. test-invoke reads them but skips
    /// authorization.
    #[arg(long = "jwks", value_name = "POOL_ARN=FILE|URL", value_parser = parse_jwks)]
    pub jwks: Vec<(String, String)>,
}

/// The gateway's settings for `api` deployed with `config`: the stage (`--stage`, else the
/// file's `StageName`, else the definition's basePath) and its variables (the file's, each
/// `--stage-variable` overriding its name).
pub fn settings(
    api: &Api,
    config: &DeploymentConfig,
    args: &BackendArgs,
    options: &LoadOptions,
) -> Settings {
    Settings {
        stage: crate::deployment::served_stage(args.stage.as_deref(), config, api),
        api_id: API_ID.into(),
        account_id: options.import_variables.account_id.clone(),
        stage_variables: stage_variables(config, &args.stage_variables),
        buffer_limit: args.buffer_limit,
        templates: TemplateRunner::new(Duration::from_millis(args.template_timeout)),
    }
}

/// The config file's stage variables, each `--stage-variable` (`overrides`) replacing its name.
pub fn stage_variables(
    config: &DeploymentConfig,
    overrides: &[(String, String)],
) -> std::collections::BTreeMap<String, String> {
    let mut variables = config.stage.variables.clone();
    variables.extend(overrides.iter().cloned());
    variables
}

/// The API keys, usage plans and throttling of `config` for `api` on `stage`, counted
/// in-process or, with `state` (`redis://HOST:PORT`), in Redis; and what to tell the user
/// about them (generated key values included: each is printed once, here).
pub async fn limits(
    api: &Api,
    config: &DeploymentConfig,
    stage: Option<&str>,
    state: Option<&str>,
) -> Result<(Limits, Vec<String>), Failure> {
    let usage = UsageLimits::resolve(api, config, stage, &mut |_| generated_key_value());
    let mut notes = Vec::new();
    let key_methods = api.methods().filter(|m| m.api_key_required).count();
    let usable = usage
        .keys
        .iter()
        .filter(|k| k.enabled && k.plan.is_some())
        .count();
    let stage_throttled = usage.stage.iter().filter(|t| t.is_some()).count();
    if !config.api_keys.is_empty() || !config.usage_plans.is_empty() || stage_throttled > 0 {
        notes.push(format!(
            "apigate: {} API key(s), {usable} usable on this stage; {} usage plan(s) for it; {stage_throttled} method(s) with stage throttling",
            usage.keys.len(),
            usage.plans.len(),
        ));
    }
    for key in usage.keys.iter().filter(|k| k.generated) {
        notes.push(format!("  API key {} (generated): {}", key.name, key.value));
    }
    if key_methods > 0 && usable == 0 {
        notes.push(format!(
            "apigate: WARNING: {key_methods} method(s) require an API key and no key is usable on this stage (--config: ApiKeys, UsagePlans): they answer 403"
        ));
    }
    let limits = match state {
        None => Limits::in_process(api, config.clone(), usage),
        Some(url) => {
            let namespace = format!("{}/{}", api.title, stage.unwrap_or("-"));
            let limits = Limits::shared(api, config.clone(), usage, url, &namespace)
                .await
                .map_err(|e| fail(2, e))?;
            if limits.reachable().await {
                notes.push(format!(
                    "apigate: throttles and quotas are shared through Redis at {url}"
                ));
            } else {
                notes.push(format!(
                    "apigate: WARNING: Redis at {url} is unreachable: throttles and quotas are enforced by this gateway alone until it answers"
                ));
            }
            limits
        }
    };
    Ok((limits, notes))
}

/// A value for a key the config file gives none: 40 random letters and digits (AWS's
/// generated values look alike).
fn generated_key_value() -> String {
    let mut value = String::with_capacity(40);
    while value.len() < 40 {
        let (_, random) = apigate_s3store::generate_credentials();
        value.extend(random.chars().filter(char::is_ascii_alphanumeric));
    }
    value.truncate(40);
    value
}

/// The integrations' backends, and the embedded store when one was started.
#[derive(Debug)]
pub struct Backends {
    pub s3: S3Backend,
    pub http: HttpBackend,
    pub lambda: LambdaBackend,
    pub aws: AwsServiceBackend,
    /// The backend client (also reads `--jwks` URLs).
    pub client: BackendClient,
    pub store: Option<EmbeddedS3>,
    /// What to tell the user about them (serve prints it).
    pub notes: Vec<String>,
}

/// Starts the backends. `max_idle_per_host` sizes the client's keep-alive pool; `limits` are
/// the embedded store's connection limits and timeouts (`serve`'s own).
pub async fn backends(
    args: &BackendArgs,
    region: &str,
    max_idle_per_host: usize,
    limits: apigate_http_server::Limits,
) -> Result<Backends, Failure> {
    // Redirects are not followed: API Gateway hands a backend's 3xx (an S3
    // `301 PermanentRedirect`, an HTTP backend's `302`) to response selection like any other
    // status.
    let client = BackendClient::new(&ClientOptions {
        idle_timeout: Duration::from_secs(args.backend_idle_timeout),
        max_idle_per_host,
    })
    .map_err(|e| fail(2, format!("backend client (TLS): {e}")))?;
    let mut notes = Vec::new();
    let endpoints = AwsEndpoints::parse(&args.aws_endpoints).map_err(|e| fail(2, e))?;
    let s3_choice = args.s3_endpoint.clone().or_else(|| {
        endpoints.get("s3").map(|e| match e {
            Endpoint::Aws => "aws".to_string(),
            Endpoint::Custom(url) => url.clone(),
        })
    });
    let (s3_endpoint, credentials, store) = match s3_choice.as_deref() {
        Some("aws") => (
            S3Endpoint::Aws,
            CredentialSource::default_chain(region).await,
            None,
        ),
        Some(url) if url.starts_with("http://") || url.starts_with("https://") => (
            S3Endpoint::Custom(url.to_string()),
            CredentialSource::default_chain(region).await,
            None,
        ),
        Some(other) => {
            return Err(fail(
                2,
                format!("--s3-endpoint must be an http(s) URL or `aws`, not `{other}`"),
            ))
        }
        None => {
            let data_dir = args.data_dir.clone().unwrap_or_else(default_data_dir);
            let (key_id, secret, generated) = match environment_key() {
                Some(k) => (k.access_key_id, k.secret_access_key, false),
                None => {
                    let (id, secret) = apigate_s3store::generate_credentials();
                    (id, secret, true)
                }
            };
            let store = EmbeddedS3::start_with_limits(
                StoreConfig {
                    data_dir,
                    listen: SocketAddr::from(([127, 0, 0, 1], 0)),
                    access_key_id: key_id.clone(),
                    secret_access_key: secret.clone(),
                    region: region.to_string(),
                },
                limits,
            )
            .await
            .map_err(|e| fail(2, format!("embedded S3 store: {e}")))?;
            let endpoint = store.endpoint();
            notes.push(format!(
                "apigate: embedded S3 store at {endpoint}, data in {}",
                store.data_dir().display()
            ));
            if generated {
                notes.push(format!(
                    "  store credentials (generated): AWS_ACCESS_KEY_ID={key_id} AWS_SECRET_ACCESS_KEY={secret}"
                ));
            } else {
                notes.push(format!(
                    "  store credentials: this environment's AWS_ACCESS_KEY_ID ({key_id})"
                ));
            }
            notes.push(format!(
                "  inspect it: AWS_ACCESS_KEY_ID={key_id} AWS_SECRET_ACCESS_KEY=… aws --endpoint-url {endpoint} s3 ls"
            ));
            (
                S3Endpoint::Custom(endpoint),
                CredentialSource::fixed(&key_id, &secret),
                Some(store),
            )
        }
    };
    let mut s3 = S3Backend::new(s3_endpoint, credentials, client.clone());
    if let Some(store) = &store {
        // The gateway and its store share the process: requests skip the socket.
        s3 = s3.with_in_process(Arc::new(EmbeddedStore(store.local_client())));
    }
    let aws = Arc::new(AwsClient::new(
        endpoints,
        CredentialSource::default_chain(region).await,
        client.clone(),
    ));
    Ok(Backends {
        s3,
        lambda: LambdaBackend::new(aws.clone(), args.buffer_limit),
        aws: AwsServiceBackend::new(aws),
        http: HttpBackend::new(client.clone(), API_ID),
        client,
        store,
        notes,
    })
}

/// The embedded store as an in-process S3 endpoint.
#[derive(Debug)]
struct EmbeddedStore(apigate_s3store::LocalClient);

impl InProcessS3 for EmbeddedStore {
    fn call(
        &self,
        request: http::Request<body::Body>,
    ) -> BoxFuture<Result<http::Response<body::Body>, BoxError>> {
        let client = self.0.clone();
        Box::pin(async move {
            let response = client.call(request).await?;
            Ok(response.map(|b| b.boxed_unsync()))
        })
    }
}

/// The user pools' keys of `--jwks`, read from their files or URLs; what was loaded is
/// described in `notes`. Pools the API's authorizers name without keys are named too (their
/// methods answer 500).
pub async fn user_pool_keys(
    args: &BackendArgs,
    api: &Api,
    client: &BackendClient,
    notes: &mut Vec<String>,
) -> Result<UserPoolKeys, Failure> {
    let mut keys = UserPoolKeys::default();
    for (arn, source) in &args.jwks {
        let document = if source.starts_with("http://") || source.starts_with("https://") {
            apigate_runtime::auth::cognito::fetch_jwks(client, source)
                .await
                .map_err(|e| fail(2, format!("--jwks {arn}: {e}")))?
                .to_vec()
        } else {
            std::fs::read(source)
                .map_err(|e| fail(2, format!("--jwks {arn}: cannot read {source}: {e}")))?
        };
        let n = keys
            .add(arn, &document)
            .map_err(|e| fail(2, format!("--jwks {arn}: {e}")))?;
        notes.push(format!(
            "apigate: user pool {arn}: {n} signing key(s) from {source}"
        ));
    }
    let missing: std::collections::BTreeSet<&str> = api
        .authorizers
        .values()
        .flat_map(|a| a.user_pools.iter())
        .map(|p| p.arn.as_str())
        .filter(|arn| !keys.has(arn))
        .collect();
    for arn in missing {
        notes.push(format!(
            "apigate: WARNING: no keys for Cognito user pool {arn}: its methods answer 500 (give --jwks {arn}=FILE|URL)"
        ));
    }
    Ok(keys)
}

/// `POOL_ARN=FILE|URL`.
fn parse_jwks(s: &str) -> Result<(String, String), String> {
    let (arn, source) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}` is not POOL_ARN=FILE|URL"))?;
    apigate_core::model::UserPool::parse(arn)
        .map_err(|e| format!("`{arn}` is not a Cognito user pool ARN: {e}"))?;
    if source.is_empty() {
        return Err(format!("`{s}`: no file or URL after `=`"));
    }
    Ok((arn.to_string(), source.to_string()))
}

/// `NAME=VALUE`, with AWS's rules: names alphanumeric or `_`, values of
/// `A-Za-z0-9-._~:/?#&=,` up to 512 characters.
fn parse_stage_variable(s: &str) -> Result<(String, String), String> {
    let (name, value) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}` is not NAME=VALUE"))?;
    apigate_core::config::check_stage_variable(name, value)?;
    Ok((name.to_string(), value.to_string()))
}

/// `--stage NAME`: AWS's stage name rule.
fn parse_stage(s: &str) -> Result<String, String> {
    apigate_core::config::check_stage_name(s)?;
    Ok(s.to_string())
}

/// The environment's static AWS key, if any (also the gateway's own caller identity).
pub fn environment_key() -> Option<CallerKey> {
    let id = std::env::var("AWS_ACCESS_KEY_ID")
        .ok()
        .filter(|s| !s.is_empty())?;
    let secret = std::env::var("AWS_SECRET_ACCESS_KEY")
        .ok()
        .filter(|s| !s.is_empty())?;
    Some(CallerKey {
        arn: "arn:aws:iam::000000000000:user/environment".into(),
        account_id: "000000000000".into(),
        access_key_id: id,
        secret_access_key: secret,
        session_token: std::env::var("AWS_SESSION_TOKEN")
            .ok()
            .filter(|s| !s.is_empty()),
    })
}

fn default_data_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        return Path::new(&d).join("apigate/s3");
    }
    if let Some(h) = std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        return Path::new(&h).join(".local/share/apigate/s3");
    }
    PathBuf::from(".apigate/s3")
}

/// The command line's overrides of what a config file deploys.
#[derive(Debug, Clone)]
pub struct Overrides {
    /// `--stage` (never with `Apis`).
    pub stage: Option<String>,
    /// `--stage-variable`s (every API's, with `Apis`).
    pub stage_variables: Vec<(String, String)>,
    /// `--access-log-format` was given: `AccessLogSetting.Format` does not apply.
    pub format_overridden: bool,
}

/// What `config` (the config as `api`, named `name` with `Apis`, sees it) deploys `api` as,
/// the command line's `overrides` applied.
pub fn redeployment(
    name: Option<&str>,
    config: DeploymentConfig,
    api: &Api,
    overrides: &Overrides,
) -> apigate_runtime::lifecycle::Redeployment {
    apigate_runtime::lifecycle::Redeployment {
        stage: crate::deployment::served_stage(overrides.stage.as_deref(), &config, api),
        stage_variables: stage_variables(&config, &overrides.stage_variables),
        access_log_format: crate::serve_cmd::config_access_log_format(
            &config,
            overrides.format_overridden,
        ),
        api_id: name.unwrap_or(API_ID).to_string(),
        scope: name.map(|n| format!("{n}:")).unwrap_or_default(),
        config: Arc::new(config),
    }
}

/// The gateways of `apis`, each `base` redeployed (its backends and authorizer shared).
pub fn gateways_of(
    base: &Gateway,
    apis: Vec<crate::deployment::ServedApi>,
    overrides: &Overrides,
    observer: &Arc<apigate_runtime::observe::Observer>,
) -> Vec<(String, Gateway)> {
    apis.into_iter()
        .map(|served| {
            let r = redeployment(Some(&served.name), served.config, &served.api, overrides);
            (served.name, base.redeployed(served.api, r, Some(observer)))
        })
        .collect()
}

/// `first` and `more` gateways, and the table that routes requests to them from `config`'s
/// domain names and base path mappings.
pub fn deployment_of(
    first: (String, Gateway),
    more: Vec<(String, Gateway)>,
    config: &DeploymentConfig,
) -> apigate_runtime::server::Deployment {
    let names: Vec<&str> = std::iter::once(first.0.as_str())
        .chain(more.iter().map(|(n, _)| n.as_str()))
        .collect();
    let mappings: Vec<apigate_runtime::server::Mapping> = config
        .base_path_mappings
        .iter()
        .filter_map(|m| {
            Some(apigate_runtime::server::Mapping {
                domain: m.domain.clone(),
                base_path: m.base_path.clone(),
                api: names.iter().position(|n| *n == m.api)?,
            })
        })
        .collect();
    let domains: Vec<String> = config.domain_names.iter().map(|d| d.name.clone()).collect();
    apigate_runtime::server::Deployment::new(first, more, &domains, &mappings)
}
