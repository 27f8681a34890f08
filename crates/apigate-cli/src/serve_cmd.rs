//! `apigate serve`: load and validate the definition, start the backends (the embedded store
//! or an S3 endpoint), set up who may call AWS_IAM methods, then run the gateway until SIGINT
//! or SIGTERM.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use apigate_http_server::Limits;

use apigate_core::model::{Authorization, Target};
use apigate_core::LoadOptions;
use apigate_runtime::auth::sigv4::{CallerKey, CallerKeys};
use apigate_runtime::auth::{AuthMode, Authorizer};
use apigate_runtime::Gateway;
use clap::Args;

use crate::gateway_setup::{self, fail, BackendArgs, Failure};
use crate::{definition, deployment};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// AWS shared-credentials file whose keys may call AWS_IAM methods (in addition to the
    /// environment's AWS_ACCESS_KEY_ID; without either, a key pair is generated and printed).
    #[arg(long)]
    caller_credentials: Option<PathBuf>,
    /// Accept unsigned callers on AWS_IAM methods (verification off).
    #[arg(long)]
    no_auth: bool,
    /// Worker threads running requests (and the embedded store) [default: twice the CPUs].
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=1024))]
    workers: Option<u16>,
    /// Connections served at once; more wait in the listen backlog until one closes
    /// [default: half the file-descriptor limit].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    max_connections: Option<u32>,
    /// Seconds a client may take to send a request head (and a new connection its first
    /// request, h2c preface included).
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = seconds)]
    header_read_timeout: Duration,
    /// Seconds a connection with no request in flight may send and receive nothing before
    /// it is closed (API Gateway's idle connection timeout).
    #[arg(long, value_name = "SECS", default_value = "310", value_parser = seconds)]
    idle_timeout: Duration,
    /// Seconds a response write may make no progress (the client does not read) before the
    /// connection is closed.
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = seconds)]
    write_timeout: Duration,
    /// Where throttling and quota counters live: `redis://HOST:PORT[/DB]` keeps them in
    /// Redis, so every gateway pointed at it enforces one set of limits [default: in this
    /// process]. While Redis cannot be reached each gateway enforces the limits alone (and
    /// logs it); API keys are checked either way.
    #[arg(long, value_name = "redis://HOST:PORT")]
    state: Option<String>,
    #[command(flatten)]
    backend: BackendArgs,
    /// Definition file (JSON or YAML).
    file: PathBuf,
}

pub fn serve(args: &ServeArgs, options: &LoadOptions) -> ExitCode {
    gateway_setup::run_command(Some(worker_count(args.workers)), run(args, options), |()| {
        ExitCode::SUCCESS
    })
}

/// A timeout in seconds (fractions allowed), at least a tenth of a second.
fn seconds(text: &str) -> Result<Duration, String> {
    let secs: f64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds"))?;
    match Duration::try_from_secs_f64(secs) {
        Ok(d) if d >= Duration::from_millis(100) => Ok(d),
        _ => Err(format!("`{text}`: give at least 0.1 seconds")),
    }
}

impl ServeArgs {
    /// The connection limits and timeouts both ports (gateway and embedded store) apply.
    fn limits(&self) -> Limits {
        let mut limits = Limits {
            header_read_timeout: self.header_read_timeout,
            idle_timeout: self.idle_timeout,
            write_timeout: self.write_timeout,
            ..Limits::default()
        };
        if let Some(n) = self.max_connections {
            limits.max_connections = usize::try_from(n).unwrap_or(usize::MAX);
        }
        limits
    }
}

/// Twice the CPUs unless told. One worker per CPU left a fifth of a 2-CPU machine idle
/// under load, the workers parking and waking around each request; with two per CPU
/// another is runnable when one parks (1 KiB GETs through MyS3: +40% requests/s; README,
/// Benchmarks). Idle workers cost nothing but their stacks.
fn worker_count(asked: Option<u16>) -> usize {
    asked.map_or_else(
        || std::thread::available_parallelism().map_or(2, |n| n.get().saturating_mul(2)),
        usize::from,
    )
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

    let (api, warnings) = definition::load_api(&args.file, options)?;
    let api_name = args.file.display().to_string();
    let config = deployment::load_for(
        args.backend.config.as_deref(),
        &api,
        &api_name,
        args.backend.stage.as_deref(),
    )?;
    let settings = gateway_setup::settings(&api, &config, &args.backend, options);
    let region = options.import_variables.region.clone();
    let stage = settings.stage.clone();
    let iam_methods = api
        .methods()
        .filter(|m| m.authorization == Authorization::AwsIam)
        .count();

    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "apigate: {} ({}): {} methods, {warnings} warning(s)",
        api.title,
        args.file.display(),
        api.routes.method_count()
    );
    // Keep-alive connections for 32 concurrent backend calls per worker; more are opened
    // under a burst and closed when returned.
    let (limits, notes) =
        gateway_setup::limits(&api, &config, stage.as_deref(), args.state.as_deref()).await?;
    for line in &notes {
        let _ = writeln!(out, "{line}");
    }
    let pool = worker_count(args.workers).saturating_mul(32);
    let mut backends = gateway_setup::backends(&args.backend, &region, pool, args.limits()).await?;
    let user_pools =
        gateway_setup::user_pool_keys(&args.backend, &api, &backends.client, &mut backends.notes)
            .await?;
    for line in &backends.notes {
        let _ = writeln!(out, "{line}");
    }
    // Methods that call Lambda: their integration, or their authorizer.
    let lambda_methods = api
        .methods()
        .filter(|m| {
            matches!(&m.integration.target, Target::Aws(uri) if uri.service == "lambda")
                || matches!(&m.authorization, Authorization::Lambda(_))
        })
        .count();
    if lambda_methods > 0 {
        let _ = match backends.lambda.endpoint() {
            Some(endpoint) => writeln!(out, "apigate: Lambda calls go to {endpoint}"),
            None => writeln!(
                out,
                "apigate: WARNING: {lambda_methods} Lambda method(s) and no --aws-endpoint for lambda: they answer 500"
            ),
        };
    }

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
    if let Some(k) = gateway_setup::environment_key() {
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
            // Each generated secret is printed once (here, in the curl line); secrets from the
            // environment or a credentials file never are.
            let _ = writeln!(out, "  caller key (generated): {id}");
            let _ = writeln!(
                out,
                "  curl --aws-sigv4 \"aws:amz:{region}:execute-api\" --user \"{id}:{secret}\" {base}"
            );
        }
    }

    let gateway = Gateway {
        api,
        settings,
        limits,
        authorizer: Authorizer {
            user_pools,
            ..Authorizer::new(mode, keys, region)
        },
        s3: backends.s3,
        http: backends.http,
        lambda: backends.lambda,
        aws: backends.aws,
    };
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| fail(2, format!("cannot listen on {}: {e}", args.listen)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| fail(2, format!("listener: {e}")))?;
    // Installed before the announcement below: a signal sent once it is printed stops cleanly.
    let stop = apigate_runtime::server::shutdown_signal();
    let _ = writeln!(
        out,
        "apigate: serving on {} (Ctrl-C to stop)",
        public_base(addr, stage.as_deref())
    );
    let _ = out.flush();
    drop(out);

    apigate_runtime::server::serve(listener, Arc::new(gateway), args.limits(), stop)
        .await
        .map_err(|e| fail(2, format!("server: {e}")))?;
    eprintln!("apigate: stopped");
    if let Some(store) = backends.store {
        store.shutdown().await;
    }
    Ok(())
}

fn public_base(addr: SocketAddr, stage: Option<&str>) -> String {
    match stage {
        Some(s) => format!("http://{addr}/{s}/"),
        None => format!("http://{addr}/"),
    }
}
