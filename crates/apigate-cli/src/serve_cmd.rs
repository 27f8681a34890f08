//! `apigate serve`: load and validate the definition, start the S3 side (the embedded store,
//! or an endpoint), set up who may call AWS_IAM methods, then run the gateway until SIGINT or
//! SIGTERM.

use std::collections::BTreeMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use apigate_core::model::Authorization;
use apigate_core::LoadOptions;
use apigate_runtime::auth::sigv4::{CallerKey, CallerKeys};
use apigate_runtime::auth::{AuthMode, Authorizer};
use apigate_runtime::integrations::http::HttpBackend;
use apigate_runtime::integrations::s3::{S3Backend, S3Endpoint};
use apigate_runtime::integrations::signer::CredentialSource;
use apigate_runtime::{Gateway, Settings};
use apigate_s3store::{EmbeddedS3, StoreConfig};
use clap::Args;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Stage to serve under (/{stage}/...) [default: the stage the definition's basePath
    /// names; without one, the API is served at /].
    #[arg(long)]
    stage: Option<String>,
    /// Where S3 integrations go: an S3-compatible endpoint URL (path-style), or `aws` for the
    /// real regional AWS endpoints. Without it, an embedded S3 store runs in-process.
    #[arg(long, value_name = "URL|aws")]
    s3_endpoint: Option<String>,
    /// Directory of the embedded store's buckets
    /// [default: $XDG_DATA_HOME/apigate/s3, else ~/.local/share/apigate/s3].
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// AWS shared-credentials file whose keys may call AWS_IAM methods (in addition to the
    /// environment's AWS_ACCESS_KEY_ID; without either, a key pair is generated and printed).
    #[arg(long)]
    caller_credentials: Option<PathBuf>,
    /// Accept unsigned callers on AWS_IAM methods (verification off).
    #[arg(long)]
    no_auth: bool,
    /// A stage variable (`$stageVariables.NAME`, `stageVariables.NAME` mappings,
    /// `${stageVariables.NAME}` in URIs); repeatable.
    #[arg(long = "stage-variable", value_name = "NAME=VALUE", value_parser = parse_stage_variable)]
    stage_variables: Vec<(String, String)>,
    /// Most bytes of a body buffered when a stage needs it whole (signature hashing without
    /// x-amz-content-sha256, text conversion, uploads of unknown length); bigger → 413.
    /// Streamed bodies are not limited.
    #[arg(long, default_value_t = 10 * 1024 * 1024)]
    buffer_limit: u64,
    /// Definition file (JSON or YAML).
    file: PathBuf,
}

pub fn serve(args: &ServeArgs, options: &LoadOptions) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("apigate: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(run(args, options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure { message, code }) => {
            eprintln!("apigate: {message}");
            ExitCode::from(code)
        }
    }
}

struct Failure {
    message: String,
    code: u8,
}

fn fail(code: u8, message: impl Into<String>) -> Failure {
    Failure {
        message: message.into(),
        code,
    }
}

async fn run(args: &ServeArgs, options: &LoadOptions) -> Result<(), Failure> {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("APIGATE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();

    let name = args.file.display().to_string();
    let text = std::fs::read_to_string(&args.file)
        .map_err(|e| fail(2, format!("cannot read {name}: {e}")))?;
    let loaded = apigate_core::load(&name, &text, options);
    let errors = loaded.diagnostics.error_count();
    let warnings = loaded.diagnostics.warning_count();
    for d in loaded.diagnostics.iter() {
        eprintln!(
            "{}:{}:{}: {}[{}]: {} (at {})",
            name,
            d.pos.line,
            d.pos.col,
            d.severity.as_str(),
            d.rule,
            d.message,
            d.pointer
        );
    }
    let api = match loaded.api {
        Some(api) if errors == 0 => api,
        _ => {
            return Err(fail(
                1,
                format!("{name} has {errors} error(s); fix them first (apigate validate {name})"),
            ))
        }
    };
    let region = options.import_variables.region.clone();
    let stage = args.stage.clone().or_else(|| api.stage.clone());
    let iam_methods = api
        .methods()
        .filter(|m| m.authorization == Authorization::AwsIam)
        .count();

    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "apigate: {} ({name}): {} methods, {warnings} warning(s)",
        api.title,
        api.routes.method_count()
    );

    // The S3 side.
    let env_key = environment_key();
    let (s3_endpoint, credentials, store) = match args.s3_endpoint.as_deref() {
        Some("aws") => (
            S3Endpoint::Aws,
            CredentialSource::default_chain().await,
            None,
        ),
        Some(url) if url.starts_with("http://") || url.starts_with("https://") => (
            S3Endpoint::Custom(url.to_string()),
            CredentialSource::default_chain().await,
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
            let (key_id, secret, generated) = match &env_key {
                Some(k) => (k.access_key_id.clone(), k.secret_access_key.clone(), false),
                None => {
                    let (id, secret) = apigate_s3store::generate_credentials();
                    (id, secret, true)
                }
            };
            let store = EmbeddedS3::start(StoreConfig {
                data_dir: data_dir.clone(),
                listen: SocketAddr::from(([127, 0, 0, 1], 0)),
                access_key_id: key_id.clone(),
                secret_access_key: secret.clone(),
                region: region.clone(),
            })
            .await
            .map_err(|e| fail(2, format!("embedded S3 store: {e}")))?;
            let endpoint = store.endpoint();
            let _ = writeln!(
                out,
                "apigate: embedded S3 store at {endpoint}, data in {}",
                store.data_dir().display()
            );
            if generated {
                let _ = writeln!(
                    out,
                    "  store credentials (generated): AWS_ACCESS_KEY_ID={key_id} AWS_SECRET_ACCESS_KEY={secret}"
                );
            } else {
                let _ = writeln!(
                    out,
                    "  store credentials: this environment's AWS_ACCESS_KEY_ID ({key_id})"
                );
            }
            let _ = writeln!(
                out,
                "  inspect it: AWS_ACCESS_KEY_ID={key_id} AWS_SECRET_ACCESS_KEY=… aws --endpoint-url {endpoint} s3 ls"
            );
            (
                S3Endpoint::Custom(endpoint),
                CredentialSource::fixed(&key_id, &secret),
                Some(store),
            )
        }
    };

    // Who may call AWS_IAM methods.
    let mode = if args.no_auth {
        AuthMode::Off
    } else {
        AuthMode::Verify
    };
    let mut keys = CallerKeys::default();
    if let Some(path) = &args.caller_credentials {
        let text = std::fs::read_to_string(path)
            .map_err(|e| fail(2, format!("cannot read {}: {e}", path.display())))?;
        keys = CallerKeys::parse_shared_credentials(&text)
            .map_err(|e| fail(2, format!("{}: {e}", path.display())))?;
    }
    if let Some(k) = env_key {
        keys.insert(k);
    }
    if mode == AuthMode::Off {
        let _ = writeln!(
            out,
            "apigate: WARNING: --no-auth: SigV4 verification is OFF; the {iam_methods} AWS_IAM method(s) accept anyone{}",
            if args.listen.ip().is_loopback() {
                String::new()
            } else {
                format!(" on {} (not a loopback address)", args.listen)
            }
        );
    } else if iam_methods > 0 {
        let generated = if keys.is_empty() {
            let (id, secret) = apigate_s3store::generate_credentials();
            keys.insert(CallerKey {
                access_key_id: id.clone(),
                secret_access_key: secret.clone(),
                session_token: None,
                arn: format!(
                    "arn:aws:iam::{}:user/apigate-local",
                    options.import_variables.account_id
                ),
                account_id: options.import_variables.account_id.clone(),
            });
            Some((id, secret))
        } else {
            None
        };
        let _ = writeln!(
            out,
            "apigate: {iam_methods} AWS_IAM method(s) verify SigV4 (service execute-api, region {region}); {} caller key(s) accepted",
            keys.len()
        );
        if let Some((id, secret)) = generated {
            let base = public_base(args.listen, stage.as_deref());
            let _ = writeln!(out, "  caller key (generated): {id} / {secret}");
            let _ = writeln!(
                out,
                "  curl --aws-sigv4 \"aws:amz:{region}:execute-api\" --user \"{id}:{secret}\" {base}"
            );
        }
    }

    let client = http_client(false)?;
    let insecure_client = http_client(true)?;
    let gateway = Gateway {
        api,
        settings: Settings {
            stage: stage.clone(),
            api_id: API_ID.into(),
            account_id: options.import_variables.account_id.clone(),
            region: region.clone(),
            stage_variables: args
                .stage_variables
                .iter()
                .cloned()
                .collect::<BTreeMap<_, _>>(),
            buffer_limit: args.buffer_limit,
        },
        authorizer: Authorizer { mode, keys, region },
        s3: S3Backend::new(s3_endpoint, credentials, client.clone()),
        http: HttpBackend::new(client, insecure_client, API_ID),
    };
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| fail(2, format!("cannot listen on {}: {e}", args.listen)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| fail(2, format!("listener: {e}")))?;
    let _ = writeln!(
        out,
        "apigate: serving on {} (Ctrl-C to stop)",
        public_base(addr, stage.as_deref())
    );
    let _ = out.flush();
    drop(out);

    apigate_runtime::server::serve(
        listener,
        Arc::new(gateway),
        apigate_runtime::server::shutdown_signal(),
    )
    .await
    .map_err(|e| fail(2, format!("server: {e}")))?;
    eprintln!("apigate: stopped");
    if let Some(store) = store {
        store.shutdown().await;
    }
    Ok(())
}

/// `$context.apiId` of the served API.
const API_ID: &str = "apigate";

/// The client for backend calls: TCP_NODELAY, and a read timeout so a stalled backend body
/// cannot hold a request forever. `insecure` skips TLS verification
/// (`tlsConfig.insecureSkipVerification`).
fn http_client(insecure: bool) -> Result<reqwest::Client, Failure> {
    reqwest::Client::builder()
        .tcp_nodelay(true)
        .read_timeout(Duration::from_secs(60))
        .danger_accept_invalid_certs(insecure)
        .build()
        .map_err(|e| fail(2, format!("HTTP client: {e}")))
}

/// `NAME=VALUE`, with AWS's rules: names alphanumeric or `_`, values of
/// `A-Za-z0-9-._~:/?#&=,` up to 512 characters.
fn parse_stage_variable(s: &str) -> Result<(String, String), String> {
    let (name, value) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}` is not NAME=VALUE"))?;
    if name.is_empty()
        || name.len() > 64
        || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(format!(
            "stage variable name `{name}` must be 1-64 characters of A-Z a-z 0-9 _"
        ));
    }
    if value.len() > 512
        || !value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._~:/?#&=,".contains(c))
    {
        return Err(format!(
            "stage variable value `{value}` must be at most 512 characters of A-Z a-z 0-9 - . _ ~ : / ? # & = ,"
        ));
    }
    Ok((name.to_string(), value.to_string()))
}

/// The environment's static AWS key, if any (also the gateway's own caller identity).
fn environment_key() -> Option<CallerKey> {
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

fn public_base(addr: SocketAddr, stage: Option<&str>) -> String {
    match stage {
        Some(s) => format!("http://{addr}/{s}/"),
        None => format!("http://{addr}/"),
    }
}
