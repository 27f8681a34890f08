//! Test harness: runs the real `apigate serve` binary on 127.0.0.1:0 in front of a real S3
//! implementation — its embedded store (s3s), or moto's server — and signs requests with the
//! `aws-sigv4` crate, an independent SigV4 implementation.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime};

pub const REGION: &str = "us-west-2";
pub const CALLER_KEY: &str = "AKIDAPIGATETESTCALLER";
pub const CALLER_SECRET: &str = "apigate/test/caller/secret/key/0123456789";

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// Where AWS's published sample definitions are: `APIGATE_AWS_SAMPLES`, else
/// `../shared/aws-samples` beside the repository.
pub fn aws_samples_dir() -> PathBuf {
    std::env::var_os("APIGATE_AWS_SAMPLES")
        .map_or_else(|| repo().join("../shared/aws-samples"), PathBuf::from)
}

/// The path of AWS's sample `name`. Missing, the test fails: it holds apigate to AWS's own
/// definitions and proves nothing without them.
pub fn aws_sample_path(name: &str) -> String {
    let path = aws_samples_dir().join(name);
    assert!(
        path.is_file(),
        "AWS's sample {} is missing: the tests need ../shared/aws-samples beside the repository (or APIGATE_AWS_SAMPLES=DIR)",
        path.display()
    );
    path.to_string_lossy().into_owned()
}

/// The text of AWS's sample `name` (see [`aws_sample_path`]).
pub fn aws_sample_text(name: &str) -> String {
    std::fs::read_to_string(aws_sample_path(name)).unwrap()
}

/// Which S3 implementation backs the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    /// `apigate serve` without `--s3-endpoint`.
    Embedded,
    /// moto's server, started here; the gateway gets `--s3-endpoint`.
    Moto,
}

/// moto's S3 server as a child process on a free loopback port.
///
/// The program is `APIGATE_MOTO_SERVER` when set (`scripts/test` sets it to the `moto_server` of
/// the project's virtualenv), otherwise `moto_server` on the PATH.
pub struct Moto {
    child: Child,
    pub endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub async fn start_moto() -> Moto {
    let port = free_port();
    let program = std::env::var_os("APIGATE_MOTO_SERVER").unwrap_or_else(|| "moto_server".into());
    let child = Command::new(&program)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot start {}: {e}; scripts/test installs moto's server and runs the tests",
                program.to_string_lossy()
            )
        });
    let moto = Moto {
        child,
        endpoint: format!("http://127.0.0.1:{port}"),
    };
    // Ready when it answers (its start-up takes a second or two).
    let client = reqwest::Client::new();
    for _ in 0..300 {
        let probe = format!("{}/moto-api/", moto.endpoint);
        if client.get(probe).send().await.is_ok() {
            return moto;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("moto_server did not start on {}", moto.endpoint);
}

/// Runs `script` with boto3 against moto; `c(name)` is a client for service `name`. Its
/// stdout, parsed as JSON, is the answer.
pub fn sdk(moto: &Moto, script: &str) -> serde_json::Value {
    let python = std::env::var_os("APIGATE_MOTO_SERVER")
        .map(std::path::PathBuf::from)
        .and_then(|p| Some(p.parent()?.join("python")))
        .unwrap_or_else(|| "python3".into());
    let prelude = format!(
        "import boto3, json, base64\n\
         def c(name):\n    return boto3.client(name, endpoint_url='{}', region_name='us-east-1',\n        \
         aws_access_key_id='testing', aws_secret_access_key='testing')\n",
        moto.endpoint
    );
    let out = Command::new(python)
        .arg("-c")
        .arg(format!("{prelude}{script}"))
        .output()
        .expect("python with boto3 (scripts/test installs it with moto)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

/// A port nothing listens on (just released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// How to start the gateway.
pub struct Options {
    pub definition: PathBuf,
    pub store: Store,
    /// `--s3-endpoint` (overrides `store`).
    pub endpoint: Option<String>,
    pub extra: Vec<String>,
    /// Where the gateway's stderr (its log) goes; discarded when `None`.
    pub log: Option<PathBuf>,
    /// Environment variables set for the gateway.
    pub env: Vec<(String, String)>,
    /// The gateway's limit on open files (`ulimit -n`), when set.
    pub fd_limit: Option<u32>,
}

impl Options {
    pub fn new(definition: &str, store: Store) -> Options {
        Options {
            definition: repo().join(definition),
            store,
            endpoint: None,
            extra: Vec::new(),
            log: None,
            env: Vec::new(),
            fd_limit: None,
        }
    }

    /// Starts the gateway with at most `n` open files.
    pub fn fd_limit(mut self, n: u32) -> Options {
        self.fd_limit = Some(n);
        self
    }

    /// Writes the gateway's stderr (its log) to `path`.
    pub fn log_to(mut self, path: &std::path::Path) -> Options {
        self.log = Some(path.to_path_buf());
        self
    }

    /// Sets an environment variable for the gateway.
    pub fn env(mut self, name: &str, value: &str) -> Options {
        self.env.push((name.to_string(), value.to_string()));
        self
    }

    pub fn arg(mut self, a: &str) -> Options {
        self.extra.push(a.to_string());
        self
    }
}

/// A running `apigate serve`.
pub struct Harness {
    child: Child,
    /// `http://127.0.0.1:PORT` (no stage).
    pub root: String,
    /// What it printed before serving.
    pub banner: Vec<String>,
    _moto: Option<Moto>,
    _dir: tempfile::TempDir,
}

impl Drop for Harness {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Harness {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.root)
    }

    /// The gateway's process id (to signal it).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGTERM, then the exit status.
    pub fn stop(mut self) -> std::process::ExitStatus {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        self.child.wait().unwrap()
    }
}

pub async fn start(options: Options) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let creds = dir.path().join("callers");
    std::fs::write(
        &creds,
        format!(
            "[tester]\naws_access_key_id = {CALLER_KEY}\naws_secret_access_key = {CALLER_SECRET}\n"
        ),
    )
    .unwrap();
    let moto = match (&options.endpoint, options.store) {
        (None, Store::Moto) => Some(start_moto().await),
        _ => None,
    };
    let mut cmd = match options.fd_limit {
        None => Command::new(env!("CARGO_BIN_EXE_apigate")),
        Some(n) => {
            let mut sh = Command::new("sh");
            sh.args(["-c", &format!("ulimit -n {n} && exec \"$0\" \"$@\"")])
                .arg(env!("CARGO_BIN_EXE_apigate"));
            sh
        }
    };
    cmd.arg("serve");
    // An empty definition: the config file (`Apis`) names them.
    if options.definition != repo() {
        cmd.arg(&options.definition);
    }
    cmd.args(["--listen", "127.0.0.1:0", "--region", REGION])
        .arg("--caller-credentials")
        .arg(&creds)
        .arg("--data-dir")
        .arg(dir.path().join("s3"))
        .args(&options.extra)
        .current_dir(repo())
        // moto accepts any key; the embedded store gets a generated one.
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env("AWS_CONFIG_FILE", dir.path().join("no-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            dir.path().join("no-credentials"),
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .envs(options.env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::piped())
        .stderr(match &options.log {
            Some(path) => Stdio::from(std::fs::File::create(path).unwrap()),
            None => Stdio::null(),
        });
    let endpoint = options
        .endpoint
        .clone()
        .or_else(|| moto.as_ref().map(|m| m.endpoint.clone()));
    if let Some(e) = &endpoint {
        cmd.args(["--s3-endpoint", e])
            .env("AWS_ACCESS_KEY_ID", "AKIDMOTOTESTKEY00000")
            .env("AWS_SECRET_ACCESS_KEY", "moto-accepts-any-secret");
    }
    let mut child = cmd.spawn().expect("start apigate serve");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut banner = Vec::new();
    let root = loop {
        let line = lines
            .next()
            .unwrap_or_else(|| panic!("serve exited early; printed: {banner:#?}"))
            .unwrap();
        if let Some(rest) = line.strip_prefix("apigate: serving on ") {
            let url = rest.split(' ').next().unwrap();
            let root = url.splitn(4, '/').take(3).collect::<Vec<_>>().join("/");
            banner.push(line);
            break root;
        }
        banner.push(line);
    };
    // Keep draining stdout so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Harness {
        child,
        root,
        banner,
        _moto: moto,
        _dir: dir,
    }
}

/// A request signed for `execute-api` with `aws-sigv4` (curl and the AWS SDKs sign the same way).
pub fn signed(
    client: &reqwest::Client,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    secret: &str,
    time: SystemTime,
) -> reqwest::RequestBuilder {
    use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
    use aws_sigv4::sign::v4::SigningParams;
    let identity =
        aws_credential_types::Credentials::new(CALLER_KEY, secret, None, None, "test").into();
    let params = SigningParams::builder()
        .identity(&identity)
        .region(REGION)
        .name("execute-api")
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let host = url.split('/').nth(2).unwrap().to_string();
    let mut all: Vec<(&str, &str)> = headers.to_vec();
    all.push(("host", &host));
    let signable =
        SignableRequest::new(method, url, all.into_iter(), SignableBody::Bytes(body)).unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let mut rb = client.request(method.parse().unwrap(), url);
    for (k, v) in headers {
        rb = rb.header(*k, *v);
    }
    for (k, v) in instructions.headers() {
        rb = rb.header(k, v);
    }
    rb.body(body.to_vec())
}

/// Sends raw HTTP/1.1 requests on one connection (reqwest lower-cases header names) and
/// returns each response's body.
#[allow(clippy::indexing_slicing)]
pub async fn raw_exchange(addr: &str, requests: &[String]) -> Vec<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut bodies = Vec::new();
    let mut pending = Vec::new();
    for request in requests {
        stream.write_all(request.as_bytes()).await.unwrap();
        // Read one response: head, then Content-Length bytes.
        loop {
            if let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&pending[..end]).to_string();
                let length: usize = head
                    .lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("content-length")
                            .then(|| v.trim().parse().ok())?
                    })
                    .unwrap_or(0);
                if pending.len() >= end + 4 + length {
                    let body = pending[end + 4..end + 4 + length].to_vec();
                    pending.drain(..end + 4 + length);
                    bodies.push(String::from_utf8(body).unwrap());
                    break;
                }
            }
            let mut buf = [0u8; 4096];
            let n = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read(&mut buf))
                .await
                .expect("a response")
                .unwrap();
            assert!(n > 0, "connection closed early");
            pending.extend_from_slice(&buf[..n]);
        }
    }
    bodies
}

/// `definition` (YAML) with every `get` needing an API key (`x-api-key`).
pub fn with_api_key(definition: &str) -> String {
    definition
        .replace(
            "paths:\n",
            "securityDefinitions:\n  api_key: {type: apiKey, name: x-api-key, in: header}\npaths:\n",
        )
        .replace("    get:\n", "    get:\n      security: [{api_key: []}]\n")
}

/// `apigate serve` of `definition` (`""`: none, the config file's `Apis`) with `--config
/// DIR/deploy.yaml`, the access log in `DIR/access.log` and the gateway's log in
/// `DIR/gateway.log`.
pub fn configured(definition: &str, dir: &Path) -> Options {
    Options::new(definition, Store::Embedded)
        .arg("--config")
        .arg(dir.join("deploy.yaml").to_str().unwrap())
        .arg("--access-log")
        .arg(dir.join("access.log").to_str().unwrap())
        .log_to(&dir.join("gateway.log"))
}

/// The `http://ADDR` of a gateway's admin listener, from its banner.
pub fn admin(h: &Harness) -> String {
    h.banner
        .iter()
        .find_map(|l| l.strip_prefix("apigate: admin on "))
        .map(|rest| rest.split(' ').next().unwrap().to_string())
        .unwrap_or_else(|| panic!("no admin line in {:#?}", h.banner))
}

/// The body of a GET of `url`.
pub async fn get_text(url: &str) -> String {
    reqwest::get(url).await.unwrap().text().await.unwrap()
}

/// Waits (at most 10 s) until `file` holds `text` `count` times; its content then.
pub async fn wait_for(file: &Path, text: &str, count: usize) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let now = std::fs::read_to_string(file).unwrap_or_default();
        if now.matches(text).count() >= count {
            return now;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{} never had {count}× {text:?}:\n{now}",
            file.display()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
