//! `apigate serve`: load and validate the definition, start the backends (the embedded store
//! or an S3 endpoint), set up who may call AWS_IAM methods, then run the gateway (plain or
//! TLS; with the admin listener, metrics and access log when asked) until SIGINT or SIGTERM,
//! reloading the definition when it changes or on SIGHUP ([`crate::reload`]).

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use apigate_http_server::{Limits, Tls};

use apigate_core::model::{Authorization, Target};
use apigate_core::LoadOptions;
use apigate_runtime::access_log::{AccessLog, AccessLogFormat, Destination};
use apigate_runtime::admin::Admin;
use apigate_runtime::auth::sigv4::{CallerKey, CallerKeys};
use apigate_runtime::auth::{AuthMode, Authorizer};
use apigate_runtime::metrics::Metrics;
use apigate_runtime::observe::{Observe, Observer};
use apigate_runtime::server::Live;
use apigate_runtime::Gateway;
use clap::Args;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::deployment;
use crate::gateway_setup::{self, fail, BackendArgs, Failure};
use crate::reload::{self, Reloader};

/// The access-log format `--access-log` uses without `--access-log-format`: the console's
/// CLF preset.
pub const CLF: &str = "$context.identity.sourceIp $context.identity.caller $context.identity.user [$context.requestTime] \"$context.httpMethod $context.resourcePath $context.protocol\" $context.status $context.responseLength $context.requestId";

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
    /// Seconds requests in flight get to finish after SIGINT/SIGTERM (the listener closes
    /// at once; what is still running then is cut off).
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = seconds)]
    drain_timeout: Duration,
    /// Serve TLS with this PEM certificate chain (leaf first); needs --tls-key. HTTP/2 and
    /// HTTP/1.1 by ALPN. Read again on reload (SIGHUP, or when the file changes).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert (PKCS#8, PKCS#1 or SEC1).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Serve /healthz, /readyz, /metrics (Prometheus/OpenMetrics text) and /routes (JSON)
    /// on this address; a port alone (9090 or :9090) is on 127.0.0.1 [default: off].
    #[arg(long, value_name = "ADDR", value_parser = admin_address)]
    admin_listen: Option<SocketAddr>,
    /// Write the access log (one line per request) to FILE, appending; SIGHUP reopens it
    /// [default format: CLF, see --access-log-format].
    #[arg(long, value_name = "FILE")]
    access_log: Option<PathBuf>,
    /// The access-log format: text with $context variables as API Gateway's
    /// AccessLogSetting.Format (CLF, JSON, CSV, XML, …); it must include
    /// $context.requestId or $context.extendedRequestId. Without --access-log the lines go
    /// to stdout.
    #[arg(long, value_name = "FORMAT")]
    access_log_format: Option<String>,
    /// Do not watch the definition, the --config file and the TLS files for changes; SIGHUP
    /// still reloads them.
    #[arg(long)]
    no_watch: bool,
    #[command(flatten)]
    backend: BackendArgs,
    /// Definition file (JSON or YAML); none when the --config file lists `Apis`.
    file: Option<PathBuf>,
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

/// `--admin-listen`: an address, or a port alone (`9090`, `:9090`) on loopback.
fn admin_address(text: &str) -> Result<SocketAddr, String> {
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(addr);
    }
    let port = text.strip_prefix(':').unwrap_or(text);
    port.parse::<u16>()
        .map(|p| SocketAddr::from(([127, 0, 0, 1], p)))
        .map_err(|_| format!("`{text}` is not an address (HOST:PORT) or a port"))
}

impl ServeArgs {
    /// The connection limits and timeouts both ports (gateway and embedded store) apply.
    fn limits(&self) -> Limits {
        let mut limits = Limits {
            header_read_timeout: self.header_read_timeout,
            idle_timeout: self.idle_timeout,
            write_timeout: self.write_timeout,
            shutdown_grace: self.drain_timeout,
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

    // Checked before anything starts: a wrong format or certificate is a usage error.
    let format_flag = args
        .access_log_format
        .as_deref()
        .map(|f| {
            AccessLogFormat::parse(f).map_err(|e| fail(2, format!("--access-log-format: {e}")))
        })
        .transpose()?;
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => {
            Some(Tls::from_pem_files(cert, key).map_err(|e| fail(2, format!("TLS: {e}")))?)
        }
        _ => None,
    };

    let overrides = gateway_setup::Overrides {
        stage: args.backend.stage.clone(),
        stage_variables: args.backend.stage_variables.clone(),
        format_overridden: format_flag.is_some(),
    };
    let (file, mut set) = load_served(args, options)?;
    let set_paths: Option<Vec<PathBuf>> = set
        .as_ref()
        .map(|(apis, _)| apis.iter().map(|a| a.path.clone()).collect());
    let (name, file_shown, api, warnings, config, mut settings) = match set.as_mut() {
        None => {
            let deployment::Deployed {
                api,
                warnings,
                config,
                settings,
            } = deployment::load_deployed(&file, &args.backend, options)?;
            (
                None,
                file.display().to_string(),
                api,
                warnings,
                config,
                settings,
            )
        }
        Some((apis, _)) => {
            let first = apis.remove(0);
            let settings =
                gateway_setup::settings(&first.api, &first.config, &args.backend, options);
            let shown = first.path.display().to_string();
            (
                Some(first.name),
                shown,
                first.api,
                first.warnings,
                first.config,
                settings,
            )
        }
    };
    if let Some(name) = &name {
        settings.api_id.clone_from(name);
    }
    let region = options.import_variables.region.clone();
    let stage = settings.stage.clone();
    // Every API's methods (with `Apis`, the first and the others).
    let all_apis = || {
        std::iter::once(&api).chain(set.iter().flat_map(|(apis, _)| apis.iter().map(|a| &a.api)))
    };
    let iam_methods = all_apis()
        .flat_map(|a| a.methods())
        .filter(|m| m.authorization == Authorization::AwsIam)
        .count();

    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "apigate: {} ({file_shown}): {} methods, {warnings} warning(s)",
        api.title,
        api.routes.method_count()
    );
    for served in set.iter().flat_map(|(apis, _)| apis) {
        let _ = writeln!(
            out,
            "apigate: {} ({}): {} methods, {} warning(s)",
            served.api.title,
            served.path.display(),
            served.api.routes.method_count(),
            served.warnings
        );
    }
    let (mut limits, notes) =
        gateway_setup::limits(&api, &config, stage.as_deref(), args.state.as_deref()).await?;
    if let Some(name) = &name {
        // With `Apis` each API's methods count apart (their keys and plans together).
        limits = limits.reconfigured(
            &api,
            Arc::new(config.clone()),
            stage.as_deref(),
            &format!("{name}:"),
        );
    }
    for line in &notes {
        let _ = writeln!(out, "{line}");
    }
    // Keep-alive connections for 32 concurrent backend calls per worker; more are opened
    // under a burst and closed when returned.
    let pool = worker_count(args.workers).saturating_mul(32);
    let mut backends = gateway_setup::backends(&args.backend, &region, pool, args.limits()).await?;
    let user_pools =
        gateway_setup::user_pool_keys(&args.backend, &api, &backends.client, &mut backends.notes)
            .await?;
    for line in &backends.notes {
        let _ = writeln!(out, "{line}");
    }
    // Methods that call Lambda: their integration, or their authorizer.
    let lambda_methods = all_apis()
        .flat_map(|a| a.methods())
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
            let base = public_base(args.listen, stage.as_deref(), args.tls_cert.is_some());
            // Each generated secret is printed once (here, in the curl line); secrets from the
            // environment or a credentials file never are.
            let _ = writeln!(out, "  caller key (generated): {id}");
            let _ = writeln!(
                out,
                "  curl --aws-sigv4 \"aws:amz:{region}:execute-api\" --user \"{id}:{secret}\" {base}"
            );
        }
    }

    // Metrics when the admin listener shows them; the access log when asked for: in
    // --access-log-format, else the config file's AccessLogSetting.Format (checked with the
    // file), else CLF.
    let metrics = args.admin_listen.map(|_| Arc::new(Metrics::new()));
    let stage_format = config_access_log_format(&config, format_flag.is_some());
    let access_format = match (format_flag, &stage_format, &args.access_log) {
        (Some(f), _, _) => Some(f),
        (None, Some(f), _) => Some(f.as_ref().clone()),
        (None, None, Some(_)) => {
            Some(AccessLogFormat::parse(CLF).map_err(|e| fail(2, format!("CLF: {e}")))?)
        }
        (None, None, None) => None,
    };
    let access_log = match access_format {
        Some(format) => {
            let destination = match &args.access_log {
                Some(path) => Destination::File(path.clone()),
                None => Destination::Stdout,
            };
            let dropped = metrics
                .as_ref()
                .map(|m| m.access_log_dropped.clone())
                .unwrap_or_default();
            let log = AccessLog::start(format, destination.clone(), dropped)
                .map_err(|e| fail(2, format!("access log {destination:?}: {e}")))?;
            let _ = match &destination {
                Destination::File(path) => {
                    writeln!(out, "apigate: access log to {}", path.display())
                }
                Destination::Stdout => writeln!(out, "apigate: access log to stdout"),
            };
            Some(log)
        }
        None => None,
    };
    let observer = Arc::new(Observer {
        metrics: metrics.clone(),
        access_log,
    });
    let observe = Observe::with_format(
        observer.clone(),
        &api,
        stage.as_deref().unwrap_or(""),
        stage_format,
    );
    let mut authorizer = Authorizer {
        user_pools,
        ..Authorizer::new(mode, keys, region)
    };
    if let Some(m) = &metrics {
        authorizer.cache.hits = m.authorizer_cache_hits.clone();
        authorizer.cache.misses = m.authorizer_cache_misses.clone();
    }
    let gateway = Gateway {
        api,
        settings,
        limits,
        authorizer: Arc::new(authorizer),
        s3: Arc::new(backends.s3),
        http: Arc::new(backends.http),
        lambda: Arc::new(backends.lambda),
        aws: Arc::new(backends.aws),
        observe,
    };
    let live = match set {
        None => Live::new(gateway),
        Some((apis, whole)) => {
            let more = gateway_setup::gateways_of(&gateway, apis, &overrides, &observer);
            let first = (name.clone().unwrap_or_default(), gateway);
            Live::of(gateway_setup::deployment_of(first, more, &whole))
        }
    };
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| fail(2, format!("cannot listen on {}: {e}", args.listen)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| fail(2, format!("listener: {e}")))?;

    let ready = Arc::new(AtomicBool::new(false));
    let (admin_stop, admin_stopped) = tokio::sync::oneshot::channel::<()>();
    let admin_task = match args.admin_listen {
        Some(admin_addr) => {
            let admin_listener = tokio::net::TcpListener::bind(admin_addr)
                .await
                .map_err(|e| {
                    fail(
                        2,
                        format!("cannot listen on {admin_addr} (--admin-listen): {e}"),
                    )
                })?;
            let bound = admin_listener
                .local_addr()
                .map_err(|e| fail(2, format!("admin listener: {e}")))?;
            let admin = Admin {
                live: live.clone(),
                metrics: metrics.clone(),
                ready: ready.clone(),
            };
            let _ = writeln!(
                out,
                "apigate: admin on http://{bound} (/healthz /readyz /metrics /routes)"
            );
            let admin_limits = Limits {
                max_connections: 64,
                shutdown_grace: Duration::from_secs(1),
                ..args.limits()
            };
            Some(tokio::spawn(admin.serve(
                admin_listener,
                admin_limits,
                async {
                    let _ = admin_stopped.await;
                },
            )))
        }
        None => None,
    };

    // Reloads: SIGHUP always; file changes unless --no-watch.
    let (watched, config_file, set_files) = match &set_paths {
        Some(paths) => (
            args.backend.config.clone().unwrap_or_default(),
            None,
            Some(paths.clone()),
        ),
        None => (file.to_path_buf(), args.backend.config.clone(), None),
    };
    let reloader = Reloader {
        live: live.clone(),
        file: watched,
        options: options.clone(),
        overrides,
        config: config_file,
        set: set_files,
        observer: observer.clone(),
        tls: tls.clone(),
    };
    let reload_task = reload::start(reloader, !args.no_watch).map_err(|e| fail(2, e))?;
    if !args.no_watch {
        let config = args
            .backend
            .config
            .as_ref()
            .map(|c| format!(" and {}", c.display()))
            .unwrap_or_default();
        let what = match &set_paths {
            Some(paths) => format!("{} definition(s)", paths.len()),
            None => file.display().to_string(),
        };
        let _ = writeln!(
            out,
            "apigate: watching {what}{config} for changes (SIGHUP reloads too; --no-watch to stop watching)"
        );
    }

    // Installed before the announcement below: a signal sent once it is printed stops cleanly.
    let stop = apigate_runtime::server::shutdown_signal();
    let stop = {
        let ready = ready.clone();
        async move {
            stop.await;
            ready.store(false, Ordering::Release);
        }
    };
    ready.store(true, Ordering::Release);
    let _ = writeln!(
        out,
        "apigate: serving on {} (Ctrl-C to stop)",
        public_base(addr, stage.as_deref(), tls.is_some())
    );
    let _ = out.flush();
    drop(out);

    apigate_runtime::server::serve(listener, live, args.limits(), tls, stop)
        .await
        .map_err(|e| fail(2, format!("server: {e}")))?;
    reload_task.abort();
    let _ = admin_stop.send(());
    if let Some(task) = admin_task {
        let _ = task.await;
    }
    if let Some(log) = &observer.access_log {
        log.sync(Duration::from_secs(2));
    }
    eprintln!("apigate: stopped");
    if let Some(store) = backends.store {
        store.shutdown().await;
    }
    Ok(())
}

/// What `serve` serves: the definition FILE (with its `--config`), or — when the config file
/// lists `Apis` — every API it names (`Some`), loaded and checked, diagnostics printed.
fn load_served(
    args: &ServeArgs,
    options: &LoadOptions,
) -> Result<(PathBuf, Option<deployment::LoadedSet>), Failure> {
    let found = match &args.backend.config {
        Some(path) => Some((path, deployment::load(path).map_err(|e| fail(2, e))?)),
        None => None,
    };
    let has_apis = found
        .as_ref()
        .and_then(|(_, d)| d.loaded.config.as_ref())
        .is_some_and(|c| !c.apis.is_empty());
    match (&args.file, found) {
        (Some(file), _) if !has_apis => Ok((file.clone(), None)),
        (Some(_), Some((path, _))) => Err(fail(
            2,
            format!(
                "{} lists `Apis`: serve takes no definition FILE with it",
                path.display()
            ),
        )),
        (None, Some((path, d))) => {
            if args.backend.stage.is_some() {
                return Err(fail(
                    2,
                    "--stage: with `Apis` each API's stage is in `Stages`",
                ));
            }
            let set =
                deployment::load_set(d, path, options).map_err(|(code, why)| fail(code, why))?;
            Ok((path.clone(), Some(set)))
        }
        _ => Err(fail(
            2,
            "serve needs a definition FILE (or a --config file that lists `Apis`)",
        )),
    }
}

/// The config file's `AccessLogSetting.Format`, parsed (it was checked with the file), unless
/// `--access-log-format` (`overridden`) replaces it.
pub fn config_access_log_format(
    config: &apigate_core::config::DeploymentConfig,
    overridden: bool,
) -> Option<Arc<AccessLogFormat>> {
    if overridden {
        return None;
    }
    let setting = config.stage.access_log_format.as_ref()?;
    AccessLogFormat::parse(&setting.format).ok().map(Arc::new)
}

fn public_base(addr: SocketAddr, stage: Option<&str>, tls: bool) -> String {
    let scheme = if tls { "https" } else { "http" };
    match stage {
        Some(s) => format!("{scheme}://{addr}/{s}/"),
        None => format!("{scheme}://{addr}/"),
    }
}
