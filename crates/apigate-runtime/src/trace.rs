//! The execution log of one request, as the API Gateway console's Test tab shows it: method
//! request, endpoint request after mapping, endpoint response, selected integration response,
//! method response. Recorded only when a request carries a [`Trace`] (`apigate
//! test-invoke`); otherwise every hook is a no-op and costs nothing.

use http::HeaderMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Instant;

/// Bodies longer than this are cut in the log (the console truncates too).
pub const MAX_LOGGED_BODY: usize = 64 * 1024;

#[derive(Debug)]
pub struct Trace {
    started: Instant,
    lines: Mutex<Vec<String>>,
}

impl Default for Trace {
    fn default() -> Self {
        Trace::new()
    }
}

impl Trace {
    pub fn new() -> Trace {
        Trace {
            started: Instant::now(),
            lines: Mutex::new(Vec::new()),
        }
    }

    /// Appends one line, stamped with the time since the request started.
    pub fn log(&self, line: impl AsRef<str>) {
        let ms = self.started.elapsed().as_secs_f64() * 1000.0;
        if let Ok(mut lines) = self.lines.lock() {
            lines.push(format!("{ms:>8.1} ms : {}", line.as_ref()));
        }
    }

    /// The lines so far.
    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

/// Logs through an optional trace (the common case: `None`, nothing happens).
pub fn log(trace: Option<&Trace>, line: impl FnOnce() -> String) {
    if let Some(t) = trace {
        t.log(line());
    }
}

/// `{Name=value, Name2=value2}` as the console prints headers; credentials are masked.
pub fn headers(h: &HeaderMap) -> String {
    let mut out = String::from("{");
    for (i, (name, value)) in h.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let shown = if matches!(name.as_str(), "authorization" | "x-amz-security-token") {
            mask(&String::from_utf8_lossy(value.as_bytes()))
        } else {
            String::from_utf8_lossy(value.as_bytes()).into_owned()
        };
        let _ = write!(out, "{}={shown}", name.as_str());
    }
    out.push('}');
    out
}

/// `{k=v, k2=v2}` of name/value pairs.
pub fn pairs<'a>(items: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::from("{");
    for (i, (k, v)) in items.into_iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "{k}={v}");
    }
    out.push('}');
    out
}

/// A body for the log: lossy UTF-8, cut at [`MAX_LOGGED_BODY`].
pub fn body(bytes: &[u8]) -> String {
    let cut = bytes.get(..MAX_LOGGED_BODY).unwrap_or(bytes);
    let mut text = String::from_utf8_lossy(cut).into_owned();
    if bytes.len() > MAX_LOGGED_BODY {
        let _ = write!(text, " [TRUNCATED: {} bytes in all]", bytes.len());
    }
    text
}

/// Keeps the first characters of a credential-bearing value.
fn mask(value: &str) -> String {
    let keep: String = value.chars().take(24).collect();
    format!("{keep}****")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_listed_and_credentials_masked() {
        let mut h = HeaderMap::new();
        h.insert("content-type", "text/plain".parse().unwrap());
        h.insert(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKID/20261125/us-east-1/s3/aws4_request, Signature=abc"
                .parse()
                .unwrap(),
        );
        let s = headers(&h);
        assert!(
            s.starts_with("{content-type=text/plain, authorization=AWS4-HMAC-SHA256 Credent****"),
            "{s}"
        );
        assert!(!s.contains("Signature=abc"));
    }

    #[test]
    fn bodies_are_cut() {
        let big = vec![b'a'; MAX_LOGGED_BODY + 10];
        assert!(body(&big).ends_with(&format!(
            "[TRUNCATED: {} bytes in all]",
            MAX_LOGGED_BODY + 10
        )));
        assert_eq!(body(b"\xffok"), "\u{fffd}ok");
    }

    #[test]
    fn log_is_a_no_op_without_a_trace() {
        let mut called = false;
        log(None, || {
            called = true;
            String::new()
        });
        assert!(!called);
        let t = Trace::new();
        log(Some(&t), || "hello".into());
        assert!(t.lines()[0].ends_with(" ms : hello"));
    }
}
