//! Header names as the client spelled them. hyper hands a request's header names over
//! lower-cased (its own record of the original case is private), but API Gateway shows mapping
//! templates the names as sent (`$input.params('x-trace')` finds a header sent as `x-trace`,
//! not as `X-Trace`). So each HTTP/1 connection's incoming bytes are also read here: every
//! request head is parsed again (`httparse`, hyper's own parser) for its names, the body is
//! skipped by its `Content-Length`, and the request hyper hands the service gets the names in a
//! [`HeaderSpelling`] extension.
//!
//! The reading gives up, for the rest of the connection, where it could lose count: a chunked
//! or upgraded body, a head too large, HTTP/2. Before a spelling is attached it is checked
//! against the request hyper parsed (the same names, ignoring case), and a mismatch also stops
//! it: a request never carries names that are not its own. Without a spelling, consumers fall
//! back to their own casing.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// The header names of one HTTP/1 request, in the order and case the client sent them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderSpelling(pub Arc<[Box<str>]>);

impl HeaderSpelling {
    /// The name as sent for `lower` (a lower-case name hyper reports), if the client sent it.
    pub fn of(&self, lower: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|n| n.eq_ignore_ascii_case(lower))
            .map(|n| &**n)
    }
}

/// Longest request head followed; a longer one stops the reading (hyper's own limit is about
/// this size, and such a request is refused anyway).
const MAX_HEAD: usize = 64 * 1024;

/// Most spellings read ahead of their requests (pipelined heads hyper has not handed over
/// yet); more stops the reading, so the queue stays bounded whatever a client sends.
const MAX_READY: usize = 1024;

/// Most header lines in one head that are parsed (hyper's default is 100).
const MAX_HEADERS: usize = 128;

#[derive(Debug)]
enum State {
    /// Collecting a request head: the bytes so far, and how far they were searched for its
    /// end already.
    Head(Vec<u8>, usize),
    /// Skipping this many body bytes.
    Body(u64),
    /// Not followed any more.
    Off,
}

#[derive(Debug)]
struct Inner {
    state: State,
    /// Spellings of heads read, not yet claimed by their requests.
    ready: VecDeque<HeaderSpelling>,
}

/// One connection's reading of its request heads (`on: false`: none, at no cost).
#[derive(Debug)]
pub(crate) struct Tap {
    on: bool,
    inner: Mutex<Inner>,
}

impl Default for Tap {
    fn default() -> Self {
        Tap {
            on: true,
            inner: Mutex::new(Inner {
                state: State::Head(Vec::new(), 0),
                ready: VecDeque::new(),
            }),
        }
    }
}

impl Tap {
    /// A tap that follows nothing (servers that do not need the spelling).
    pub(crate) fn off() -> Tap {
        Tap {
            on: false,
            inner: Mutex::new(Inner {
                state: State::Off,
                ready: VecDeque::new(),
            }),
        }
    }

    /// Follows `bytes`, just read from the connection. Body bytes are only counted; head
    /// bytes are collected until the head is complete. Linear in what is read: a head is
    /// scanned once however it is split across reads, and a read holding many pipelined
    /// requests is walked with a cursor (no copying of the rest, no recursion).
    pub(crate) fn read(&self, bytes: &[u8]) {
        if !self.on {
            return;
        }
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        let inner = &mut *inner;
        // Body bytes straight from the read, without copying them.
        let mut input = bytes;
        if let State::Body(left) = &mut inner.state {
            let n = usize::try_from(*left)
                .unwrap_or(usize::MAX)
                .min(input.len());
            *left -= n as u64;
            input = input.get(n..).unwrap_or_default();
            if *left > 0 {
                return;
            }
            inner.state = State::Head(Vec::new(), 0);
        }
        let (mut buf, mut scanned) = match &mut inner.state {
            State::Head(buf, scanned) => (std::mem::take(buf), *scanned),
            State::Body(_) | State::Off => return,
        };
        buf.extend_from_slice(input);
        let mut pos = 0;
        loop {
            let view = buf.get(pos..).unwrap_or_default();
            // An HTTP/2 connection (its preface) is not followed.
            if view.starts_with(b"PRI ") {
                inner.state = State::Off;
                return;
            }
            // Empty lines before a request line are allowed (RFC 9112 §2.2).
            let skip = view
                .chunks(2)
                .take_while(|c| *c == b"\r\n")
                .count()
                .saturating_mul(2);
            let from = scanned.max(skip);
            let Some(end) = find_head_end(view, from) else {
                if view.len() > MAX_HEAD {
                    inner.state = State::Off;
                } else {
                    // Keep the partial head; next time scan only what is new.
                    let kept = view.len();
                    buf.drain(..pos);
                    inner.state = State::Head(buf, kept.saturating_sub(3));
                }
                return;
            };
            let Some((spelling, next)) = parse(view.get(skip..end).unwrap_or_default()) else {
                inner.state = State::Off;
                return;
            };
            if inner.ready.len() >= MAX_READY {
                inner.state = State::Off;
                inner.ready.clear();
                return;
            }
            inner.ready.push_back(spelling);
            pos += end;
            scanned = 0;
            match next {
                State::Body(left) => {
                    let available = buf.len().saturating_sub(pos);
                    let n = usize::try_from(left).unwrap_or(usize::MAX).min(available);
                    pos += n;
                    let left = left - n as u64;
                    if left > 0 {
                        inner.state = State::Body(left);
                        return;
                    }
                }
                State::Head(..) => {}
                State::Off => {
                    inner.state = State::Off;
                    return;
                }
            }
        }
    }

    /// The spelling for a request hyper parsed with `names` (lower case), if the reading kept
    /// count: the next one read, when it has the same names.
    pub(crate) fn claim<'a>(&self, names: impl Iterator<Item = &'a str>) -> Option<HeaderSpelling> {
        if !self.on {
            return None;
        }
        let mut inner = self.inner.lock().ok()?;
        let spelling = inner.ready.pop_front()?;
        let mut theirs: Vec<&str> = names.collect();
        let mut ours: Vec<String> = spelling.0.iter().map(|n| n.to_ascii_lowercase()).collect();
        theirs.sort_unstable();
        ours.sort_unstable();
        if theirs.len() == ours.len() && theirs.iter().zip(&ours).all(|(a, b)| a == b) {
            Some(spelling)
        } else {
            inner.state = State::Off;
            inner.ready.clear();
            None
        }
    }
}

/// The index just past the `\r\n\r\n` that ends a head, searching from `from`.
fn find_head_end(buf: &[u8], from: usize) -> Option<usize> {
    buf.get(from..)?
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| from + i + 4)
}

/// A head's names and how its body is framed (`None`: not followable).
fn parse(head: &[u8]) -> Option<(HeaderSpelling, State)> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(head) {
        Ok(httparse::Status::Complete(_)) => {}
        _ => return None,
    }
    let mut length = 0u64;
    let mut followable = !matches!(request.method, Some("CONNECT"));
    for h in request.headers.iter() {
        if h.name.eq_ignore_ascii_case("transfer-encoding")
            || h.name.eq_ignore_ascii_case("upgrade")
        {
            followable = false;
        } else if h.name.eq_ignore_ascii_case("content-length") {
            match std::str::from_utf8(h.value)
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
            {
                Some(n) => length = n,
                None => followable = false,
            }
        }
    }
    let names: Arc<[Box<str>]> = request.headers.iter().map(|h| h.name.into()).collect();
    let next = match (followable, length) {
        (false, _) => State::Off,
        (true, 0) => State::Head(Vec::new(), 0),
        (true, n) => State::Body(n),
    };
    Some((HeaderSpelling(names), next))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(s: &HeaderSpelling) -> Vec<&str> {
        s.0.iter().map(|n| &**n).collect()
    }

    #[test]
    fn heads_are_read_across_reads_and_bodies_skipped() {
        let tap = Tap::default();
        tap.read(b"POST /a HTTP/1.1\r\nHost: x\r\nx-trace: 1\r\nContent-Length: 5\r\n\r\nhel");
        tap.read(b"loGET /b HTTP/1.1\r\nHOST: x\r\nX-Other");
        tap.read(b": 2\r\n\r\n");
        let first = tap
            .claim(["host", "x-trace", "content-length"].into_iter())
            .expect("first");
        assert_eq!(names(&first), ["Host", "x-trace", "Content-Length"]);
        assert_eq!(first.of("x-trace"), Some("x-trace"));
        let second = tap.claim(["host", "x-other"].into_iter()).expect("second");
        assert_eq!(names(&second), ["HOST", "X-Other"]);
    }

    #[test]
    fn pipelined_requests_in_one_read_are_read_and_the_queue_is_bounded() {
        let tap = Tap::default();
        let one = b"POST / HTTP/1.1\r\nA-b: 1\r\nContent-Length: 2\r\n\r\nok";
        let many: Vec<u8> = one.iter().copied().cycle().take(one.len() * 1000).collect();
        tap.read(&many);
        for _ in 0..1000 {
            let s = tap
                .claim(["a-b", "content-length"].into_iter())
                .expect("each request");
            assert_eq!(s.of("a-b"), Some("A-b"));
        }
        assert_eq!(tap.claim(std::iter::empty()), None);
        // More heads read ahead than a connection may queue: the reading stops, bounded.
        let flood: Vec<u8> = one.iter().copied().cycle().take(one.len() * 5000).collect();
        tap.read(&flood);
        assert_eq!(tap.claim(["a-b", "content-length"].into_iter()), None);
    }

    #[test]
    fn a_mismatch_or_an_unfollowable_body_stops_the_reading() {
        let tap = Tap::default();
        tap.read(b"GET / HTTP/1.1\r\nA: 1\r\n\r\nGET / HTTP/1.1\r\nB: 1\r\n\r\n");
        assert_eq!(tap.claim(["z"].into_iter()), None);
        assert_eq!(
            tap.claim(["b"].into_iter()),
            None,
            "stopped after a mismatch"
        );

        let tap = Tap::default();
        tap.read(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
        tap.read(b"GET / HTTP/1.1\r\nA: 1\r\n\r\n");
        assert!(tap.claim(["transfer-encoding"].into_iter()).is_some());
        assert_eq!(
            tap.claim(["a"].into_iter()),
            None,
            "not followed past a chunked body"
        );

        let tap = Tap::default();
        tap.read(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
        assert_eq!(tap.claim(std::iter::empty()), None);
    }
}
