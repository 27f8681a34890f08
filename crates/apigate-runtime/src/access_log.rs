//! Access logs as API Gateway's stages write them: a format of `$context` variables in any
//! shape (CLF, JSON, CSV, XML), one line per request.
//!
//! The format is parsed once ([`AccessLogFormat::parse`]): every variable is resolved to what
//! it reads, and a name AWS does not define is refused at start-up, as is a format without
//! `$context.requestId` or `$context.extendedRequestId` (AWS's rule). A variable without a
//! value for the request prints `-`, as AWS's lines do.
//!
//! Lines are rendered when the response ends (its length and latency are known then) and
//! handed to a writer thread through a bounded queue ([`AccessLog::log`]): a request never
//! waits for the log. When the queue is full the line is dropped and counted
//! (`apigate_access_log_dropped_lines_total`). The writer flushes whenever it has caught up.

use crate::context::{clf_time, RequestContext};
use apigate_core::config::DeploymentConfig;
use apigate_core::context_var::ContextVar;
use apigate_core::{rules, Diagnostic};
use prometheus_client::metrics::counter::Counter;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::time::Duration;

/// Lines waiting for the writer at most; past it lines are dropped (and counted).
pub const QUEUE_LINES: usize = 16_384;

/// How long the writer sleeps after catching up before it looks at the queue again: the
/// lines of this long (at most [`QUEUE_LINES`]) are written in one batch. A line reaches the
/// file within this of its response, or sooner when the writer was idle.
const BATCH_INTERVAL: Duration = Duration::from_millis(10);

/// What a variable of the format reads.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Var {
    /// One of the variables mapping templates also read.
    Context(ContextVar),
    /// `$context.status`: the method response status.
    Status,
    /// `$context.responseLength`.
    ResponseLength,
    /// `$context.responseLatency` (ms).
    ResponseLatency,
    /// `$context.integrationLatency`, `$context.integration.latency` (ms).
    IntegrationLatency,
    /// `$context.integration.status`: the backend's status (a Lambda proxy function's own).
    IntegrationStatus,
    /// `$context.integrationStatus`, `$context.integration.integrationStatus`: the
    /// backend's status (for Lambda, the Invoke API's).
    IntegrationServiceStatus,
    /// `$context.integration.error`, `$context.integrationErrorMessage`.
    IntegrationError,
    /// `$context.authorizer.integrationLatency`, `$context.authorizer.latency`: how long the
    /// Lambda authorizer took (0 from the cache).
    AuthorizerLatency,
    /// `$context.customDomain.basePathMatched`: the base path a custom-domain request
    /// matched (`-` for `(none)` and the execute-api way).
    BasePathMatched,
    /// A variable AWS defines that apigate has no value for (WAF, X-Ray, the authorize and
    /// authenticate phases): always `-`.
    Unset,
}

/// The access-log-only variables AWS lists, beyond the ones mapping templates read
/// ([`ContextVar`]).
fn access_only(name: &str) -> Option<Var> {
    Some(match name {
        "customDomain.basePathMatched" => Var::BasePathMatched,
        "status" => Var::Status,
        "responseLength" => Var::ResponseLength,
        "responseLatency" => Var::ResponseLatency,
        "integrationLatency" | "integration.latency" => Var::IntegrationLatency,
        "integration.status" => Var::IntegrationStatus,
        "integrationStatus" | "integration.integrationStatus" => Var::IntegrationServiceStatus,
        "integration.error" | "integrationErrorMessage" => Var::IntegrationError,
        "integration.requestId" => Var::Context(ContextVar::AwsEndpointRequestId),
        "authorizer.integrationLatency" | "authorizer.latency" => Var::AuthorizerLatency,
        "authenticate.error"
        | "authenticate.latency"
        | "authenticate.status"
        | "authorize.error"
        | "authorize.latency"
        | "authorize.status"
        | "authorizer.error"
        | "authorizer.integrationStatus"
        | "authorizer.requestId"
        | "authorizer.status"
        | "waf.error"
        | "waf.latency"
        | "waf.status"
        | "xrayTraceId" => Var::Unset,
        _ => return None,
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Var(Var),
}

/// A parsed access-log format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessLogFormat {
    parts: Vec<Part>,
    /// The format is a JSON object: values are escaped as JSON string contents, so every
    /// line parses.
    json: bool,
}

impl AccessLogFormat {
    /// The deployment config's `Stage.AccessLogSetting.Format` checked as
    /// `--access-log-format` is: the diagnostic `validate --config` and `serve` report.
    pub fn check_config(config: &DeploymentConfig) -> Option<Diagnostic> {
        let setting = config.stage.access_log_format.as_ref()?;
        let why = AccessLogFormat::parse(&setting.format).err()?;
        let rule = rules::CONFIG_ACCESS_LOG_FORMAT_INVALID;
        Some(Diagnostic {
            severity: rule.severity,
            rule: rule.id,
            message: format!("`AccessLogSetting.Format`: {why}"),
            pointer: setting.place.pointer.clone(),
            pos: setting.place.pos,
            hint: Some(
                "the variables are those AWS lists for access logging (see README, Access log)"
                    .into(),
            ),
        })
    }

    /// Parses `format`: text with `$context.NAME` variables (NAME: identifiers joined by
    /// `.`). The error is worded for the user.
    pub fn parse(format: &str) -> Result<AccessLogFormat, String> {
        if let Some(c) = format.chars().find(|c| c.is_control()) {
            return Err(format!(
                "the access log format has a control character ({:?}); it must be one line",
                c
            ));
        }
        const PREFIX: &str = "$context.";
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut rest = format;
        let mut has_id = false;
        while let Some(at) = rest.find(PREFIX) {
            text.push_str(rest.get(..at).unwrap_or_default());
            let after = rest.get(at + PREFIX.len()..).unwrap_or_default();
            let len = name_len(after);
            if len == 0 {
                text.push_str(PREFIX);
                rest = after;
                continue;
            }
            let name = after.get(..len).unwrap_or_default();
            let var = match access_only(name) {
                Some(v) => v,
                None => match ContextVar::parse(name) {
                    Some(v) => Var::Context(v),
                    None => {
                        return Err(format!(
                            "$context.{name} is not a variable API Gateway defines for access logs"
                        ))
                    }
                },
            };
            has_id |= matches!(
                var,
                Var::Context(ContextVar::RequestId | ContextVar::ExtendedRequestId)
            );
            if !text.is_empty() {
                parts.push(Part::Text(std::mem::take(&mut text)));
            }
            parts.push(Part::Var(var));
            rest = after.get(len..).unwrap_or_default();
        }
        text.push_str(rest);
        if !text.is_empty() {
            parts.push(Part::Text(text));
        }
        if !has_id {
            return Err(
                "the access log format must include $context.requestId or $context.extendedRequestId (as AWS requires)"
                    .into(),
            );
        }
        Ok(AccessLogFormat {
            parts,
            json: format.trim_start().starts_with('{'),
        })
    }

    /// The line for one finished request (without the newline).
    pub fn render(&self, cx: &RequestContext, out: &mut String) {
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Var(v) => {
                    let start = out.len();
                    write_value(v, cx, out);
                    if out.len() == start {
                        out.push('-');
                    } else {
                        escape_from(out, start, self.json);
                    }
                }
            }
        }
    }
}

/// Bytes of a variable name at the start of `s`: `[A-Za-z0-9_]+` segments joined by `.`
/// (a trailing `.` is text: `$context.status.` ends a sentence).
fn name_len(s: &str) -> usize {
    let bytes = s.as_bytes();
    let word = |i: usize| {
        bytes
            .get(i..)
            .unwrap_or_default()
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
            .count()
    };
    let mut len = word(0);
    if len == 0 {
        return 0;
    }
    while bytes.get(len) == Some(&b'.') {
        let next = word(len + 1);
        if next == 0 {
            break;
        }
        len += 1 + next;
    }
    len
}

/// Writes `var`'s value (nothing when it has none).
fn write_value(var: &Var, cx: &RequestContext, out: &mut String) {
    let o = &cx.outcome;
    let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    // Writing to a String cannot fail.
    let _ = match var {
        Var::Status => write!(out, "{}", o.status),
        Var::ResponseLength => write!(out, "{}", o.response_length),
        Var::ResponseLatency => write!(out, "{}", ms(o.response_latency)),
        Var::IntegrationLatency => match o.integration_latency {
            Some(d) => write!(out, "{}", ms(d)),
            None => Ok(()),
        },
        Var::IntegrationStatus => match o.proxy_status.or(o.integration_status) {
            Some(s) => write!(out, "{s}"),
            None => Ok(()),
        },
        Var::IntegrationServiceStatus => match o.integration_status {
            Some(s) => write!(out, "{s}"),
            None => Ok(()),
        },
        Var::IntegrationError => {
            if let Some((_, detail)) = &o.integration_error {
                out.push_str(detail);
            }
            Ok(())
        }
        Var::AuthorizerLatency => match &cx.authorizer {
            Some(a) if a.principal_id.is_some() => write!(out, "{}", a.integration_latency_ms),
            _ => Ok(()),
        },
        Var::BasePathMatched => {
            if let Some(base) = cx.base_path.and_then(|n| cx.path.get(1..n)) {
                out.push_str(base);
            }
            Ok(())
        }
        Var::Unset => Ok(()),
        Var::Context(c) => {
            // The frequent ones straight from the context, the rest through `get`.
            match c {
                ContextVar::RequestId => out.push_str(&cx.request_id),
                ContextVar::ExtendedRequestId => out.push_str(&cx.extended_request_id),
                ContextVar::HttpMethod => out.push_str(&cx.http_method),
                ContextVar::ResourcePath => out.push_str(&cx.resource_path),
                ContextVar::Path => out.push_str(&cx.path),
                ContextVar::Stage => out.push_str(&cx.stage),
                ContextVar::IdentitySourceIp => out.push_str(&cx.source_ip),
                ContextVar::IdentityUserAgent => out.push_str(&cx.user_agent),
                ContextVar::DomainName => out.push_str(&cx.domain_name),
                ContextVar::Protocol => out.push_str(cx.protocol_text()),
                ContextVar::RequestTime => out.push_str(&clf_time(cx.request_time_epoch_ms)),
                ContextVar::RequestTimeEpoch => {
                    let _ = write!(out, "{}", cx.request_time_epoch_ms);
                }
                other => {
                    if let Some(v) = cx.get(other) {
                        out.push_str(&v);
                    }
                }
            }
            Ok(())
        }
    };
}

/// Escapes what was written from `start` on: control characters always (one line per
/// request), and in a JSON format `"` and `\` too.
fn escape_from(out: &mut String, start: usize, json: bool) {
    let value = out.get(start..).unwrap_or_default();
    let needs = value
        .chars()
        .any(|c| c.is_control() || (json && (c == '"' || c == '\\')));
    if !needs {
        return;
    }
    let value = value.to_string();
    out.truncate(start);
    for c in value.chars() {
        match c {
            '"' if json => out.push_str("\\\""),
            '\\' if json => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
}

/// Where the lines go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    Stdout,
    /// Appended to; reopened on [`AccessLog::reopen`] (log rotation).
    File(PathBuf),
}

enum Message {
    Line(String),
    Reopen,
    /// Flush, then answer.
    Sync(mpsc::Sender<()>),
}

/// The access log: the format and the queue to its writer thread.
#[derive(Debug)]
pub struct AccessLog {
    format: AccessLogFormat,
    queue: SyncSender<Message>,
    dropped: Counter,
}

impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Message::Line(_) => "Line",
            Message::Reopen => "Reopen",
            Message::Sync(_) => "Sync",
        })
    }
}

impl AccessLog {
    /// Opens `destination` and starts the writer thread; `dropped` counts lines the queue
    /// had no room for.
    pub fn start(
        format: AccessLogFormat,
        destination: Destination,
        dropped: Counter,
    ) -> std::io::Result<AccessLog> {
        let mut sink = Sink::open(destination)?;
        let (queue, lines) = mpsc::sync_channel(QUEUE_LINES);
        std::thread::Builder::new()
            .name("apigate-access-log".into())
            .spawn(move || sink.run(&lines))?;
        Ok(AccessLog {
            format,
            queue,
            dropped,
        })
    }

    /// Renders and queues the line of a finished request; never waits.
    pub fn log(&self, cx: &RequestContext) {
        self.log_as(None, cx);
    }

    /// [`AccessLog::log`] in `format` (a stage's own) instead of the log's.
    pub fn log_as(&self, format: Option<&AccessLogFormat>, cx: &RequestContext) {
        let mut line = String::with_capacity(256);
        format.unwrap_or(&self.format).render(cx, &mut line);
        line.push('\n');
        if let Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) =
            self.queue.try_send(Message::Line(line))
        {
            self.dropped.inc();
        }
    }

    /// Reopens the file (after a rotation moved it); stdout stays.
    pub fn reopen(&self) {
        let _ = self.queue.try_send(Message::Reopen);
    }

    /// Waits (at most `timeout`) until the lines queued so far are written and flushed.
    pub fn sync(&self, timeout: Duration) {
        let (done, wait) = mpsc::channel();
        if self.queue.send(Message::Sync(done)).is_ok() {
            let _ = wait.recv_timeout(timeout);
        }
    }
}

/// The writer thread's end.
struct Sink {
    destination: Destination,
    out: std::io::BufWriter<Box<dyn std::io::Write + Send>>,
}

impl Sink {
    fn open(destination: Destination) -> std::io::Result<Sink> {
        let out = std::io::BufWriter::with_capacity(64 * 1024, writer(&destination)?);
        Ok(Sink { destination, out })
    }

    fn run(&mut self, lines: &Receiver<Message>) {
        let mut errors_logged = false;
        while let Ok(first) = lines.recv() {
            let mut next = Some(first);
            while let Some(message) = next.take() {
                match message {
                    Message::Line(line) => {
                        if let Err(e) = self.out.write_all(line.as_bytes()) {
                            if !errors_logged {
                                errors_logged = true;
                                tracing::error!(error = %e, "writing the access log (further errors not logged)");
                            }
                        }
                    }
                    Message::Reopen => self.reopen(),
                    Message::Sync(done) => {
                        let _ = self.out.flush();
                        let _ = done.send(());
                    }
                }
                next = lines.try_recv().ok();
            }
            // Caught up: what is buffered goes out now. Then the writer sleeps a moment
            // before it looks again, so under load requests queue their lines without
            // waking it (a wake-up per line cost a futex call and a context switch per
            // request); idle, it blocks in `recv` and the next line wakes it.
            let _ = self.out.flush();
            std::thread::sleep(BATCH_INTERVAL);
        }
        let _ = self.out.flush();
    }

    fn reopen(&mut self) {
        let _ = self.out.flush();
        if self.destination == Destination::Stdout {
            return;
        }
        match writer(&self.destination) {
            Ok(w) => self.out = std::io::BufWriter::with_capacity(64 * 1024, w),
            Err(e) => {
                tracing::error!(error = %e, "reopening the access log; still writing to the old file")
            }
        }
    }
}

fn writer(destination: &Destination) -> std::io::Result<Box<dyn std::io::Write + Send>> {
    Ok(match destination {
        Destination::Stdout => Box::new(std::io::stdout()),
        Destination::File(path) => Box::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)?,
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::SystemTime;

    fn context() -> RequestContext {
        let mut cx =
            RequestContext::new(SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_597_273));
        cx.http_method = "GET".into();
        cx.resource_path = "/pets/{id}".into();
        cx.path = "/dev/pets/7".into();
        cx.stage = "dev".into();
        cx.source_ip = "10.0.0.9".into();
        cx.user_agent = "curl \"8\"".into();
        cx.protocol = "HTTP/2.0";
        cx.outcome.status = 200;
        cx.outcome.response_length = 42;
        cx.outcome.response_latency = Duration::from_millis(17);
        cx.outcome.integration_latency = Some(Duration::from_millis(12));
        cx.outcome.integration_status = Some(201);
        cx
    }

    fn render(format: &str, cx: &RequestContext) -> String {
        let mut out = String::new();
        AccessLogFormat::parse(format).unwrap().render(cx, &mut out);
        out
    }

    #[test]
    fn clf_json_csv_and_xml_lines() {
        let cx = context();
        let id = cx.request_id.clone();
        assert_eq!(
            render(
                "$context.identity.sourceIp $context.identity.caller $context.identity.user [$context.requestTime] \"$context.httpMethod $context.resourcePath $context.protocol\" $context.status $context.responseLength $context.requestId",
                &cx
            ),
            format!("10.0.0.9 - - [25/Nov/2026:09:01:13 +0000] \"GET /pets/{{id}} HTTP/2.0\" 200 42 {id}")
        );
        let json = render(
            r#"{"requestId":"$context.requestId","ua":"$context.identity.userAgent","status":$context.status,"latency":$context.responseLatency,"integrationLatency":$context.integrationLatency,"integrationStatus":"$context.integration.status","error":"$context.error.message"}"#,
            &cx,
        );
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["requestId"], id.as_str());
        assert_eq!(v["ua"], "curl \"8\"");
        assert_eq!(v["status"], 200);
        assert_eq!(v["latency"], 17);
        assert_eq!(v["integrationLatency"], 12);
        assert_eq!(v["integrationStatus"], "201");
        assert_eq!(v["error"], "-");
        assert_eq!(
            render(
                "$context.requestId,$context.httpMethod,$context.waf.status,$context.status.",
                &cx
            ),
            format!("{id},GET,-,200.")
        );
        assert_eq!(
            render(
                "<r id=\"$context.extendedRequestId\" s=\"$context.status\"/>",
                &cx
            ),
            format!("<r id=\"{}\" s=\"200\"/>", cx.extended_request_id)
        );
    }

    #[test]
    fn formats_are_checked_once() {
        assert!(AccessLogFormat::parse("$context.status")
            .unwrap_err()
            .contains("$context.requestId"));
        assert!(AccessLogFormat::parse("$context.requestId $context.nope")
            .unwrap_err()
            .contains("$context.nope"));
        assert!(AccessLogFormat::parse("$context.requestId\n").is_err());
        // `$context.` without a name is text.
        let cx = context();
        assert_eq!(
            render("$context. $context.requestId", &cx),
            format!("$context. {}", cx.request_id)
        );
    }

    #[test]
    fn values_cannot_break_the_line() {
        let mut cx = context();
        cx.error = Some(("INTEGRATION_FAILURE", Some("line one\nline \"two\"".into())));
        assert_eq!(
            render("$context.requestId $context.error.message", &cx),
            format!("{} line one\\nline \"two\"", cx.request_id)
        );
    }

    #[test]
    fn a_full_queue_drops_and_counts() {
        let (queue, _unread) = mpsc::sync_channel(1);
        let dropped = Counter::default();
        let log = AccessLog {
            format: AccessLogFormat::parse("$context.requestId").unwrap(),
            queue,
            dropped: dropped.clone(),
        };
        for _ in 0..3 {
            log.log(&context());
        }
        assert_eq!(dropped.get(), 2, "one line fits, two are dropped");
    }

    #[test]
    fn lines_reach_the_file_and_survive_a_rotation() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("access.log");
        let dropped = Counter::default();
        let format = AccessLogFormat::parse("$context.requestId $context.status").unwrap();
        let log =
            AccessLog::start(format, Destination::File(path.clone()), dropped.clone()).unwrap();
        let cx = context();
        for _ in 0..3 {
            log.log(&cx);
        }
        log.sync(Duration::from_secs(5));
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, format!("{} 200\n", cx.request_id).repeat(3));
        assert_eq!(dropped.get(), 0);
        // Rotation: the file moved away, reopen writes a new one.
        std::fs::rename(&path, dir.path().join("access.log.1")).unwrap();
        log.reopen();
        log.log(&cx);
        log.sync(Duration::from_secs(5));
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            format!("{} 200\n", cx.request_id)
        );
    }
}
