//! The canonical request: what SigV4 hashes and signs, built the same way for verifying a
//! caller and for signing a request to AWS.

use http::header::HOST;
use http::HeaderMap;

use crate::claim::PARAM_SIGNATURE;
use crate::encoding::{push_encoded, query_pairs, UNRESERVED, UNRESERVED_KEEP_SLASH};

/// How the canonical URI is derived from the path as sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathEncoding {
    /// Every service but S3: normalise, then URI-encode the (already encoded)
    /// path again.
    Double,
    /// Normalise only; the path as sent is the canonical URI. AWS's test-suite
    /// vectors are written for it.
    AsSent,
}

/// What a SigV4 canonical request is made of: for verifying a caller, and for signing
/// requests to S3 ([`crate::sign`]).
#[derive(Debug)]
pub struct CanonicalRequest<'a, S> {
    pub method: &'a str,
    /// The canonical URI, already derived from the path as the service wants it.
    pub uri: &'a str,
    /// The raw query; it is canonicalised here.
    pub query: Option<&'a str>,
    /// A presigned URL: its `X-Amz-Signature` is left out of the query.
    pub presigned: bool,
    pub headers: &'a HeaderMap,
    /// Lower-case names, sorted.
    pub signed_headers: &'a [S],
    /// `host`'s value when the request has no `Host` header (the URI authority).
    pub host: Option<&'a str>,
    pub payload_hash: &'a str,
    /// The bytes trimmed from both ends of header values (inner runs of spaces are
    /// collapsed to one either way).
    pub trimmed: &'a [u8],
}

impl<S: AsRef<str>> CanonicalRequest<'_, S> {
    /// The canonical request, as bytes (header values need not be UTF-8).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(512);
        for line in [
            self.method,
            self.uri,
            &canonical_query(self.query, self.presigned),
        ] {
            out.extend_from_slice(line.as_bytes());
            out.push(b'\n');
        }
        for name in self.signed_headers {
            let name = name.as_ref();
            out.extend_from_slice(name.as_bytes());
            out.push(b':');
            let mut values = self.headers.get_all(name).iter().peekable();
            if values.peek().is_none() && name == HOST.as_str() {
                if let Some(host) = self.host {
                    push_trimmed_value(&mut out, host.as_bytes(), self.trimmed);
                }
            }
            for (index, value) in values.enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                push_trimmed_value(&mut out, value.as_bytes(), self.trimmed);
            }
            out.push(b'\n');
        }
        out.push(b'\n');
        for (index, name) in self.signed_headers.iter().enumerate() {
            if index > 0 {
                out.push(b';');
            }
            out.extend_from_slice(name.as_ref().as_bytes());
        }
        out.push(b'\n');
        out.extend_from_slice(self.payload_hash.as_bytes());
        out
    }
}

/// Appends `value` with the `trimmed` bytes removed from both ends and inner runs of
/// spaces collapsed to one.
fn push_trimmed_value(out: &mut Vec<u8>, value: &[u8], trimmed: &[u8]) {
    let start = value
        .iter()
        .position(|b| !trimmed.contains(b))
        .unwrap_or(value.len());
    let end = value
        .iter()
        .rposition(|b| !trimmed.contains(b))
        .map_or(start, |last| last + 1);
    let mut previous_space = false;
    for &byte in value.get(start..end).unwrap_or_default() {
        if byte != b' ' || !previous_space {
            out.push(byte);
        }
        previous_space = byte == b' ';
    }
}

/// The canonical URI of `path` (the raw, still percent-encoded path).
pub fn canonical_uri(path: &str, encoding: PathEncoding) -> String {
    let normalized = normalize_path(path);
    match encoding {
        PathEncoding::Double => {
            let mut out = String::with_capacity(normalized.len() + 16);
            push_encoded(&mut out, &normalized, UNRESERVED_KEEP_SLASH);
            out
        }
        PathEncoding::AsSent => normalized,
    }
}

/// Removes `.` and `..` segments and empty segments (so `//` collapses),
/// keeping a trailing slash; empty → `/` (RFC 3986 §5.2.4, as `aws-sigv4`'s
/// default `UriPathNormalizationMode::Enabled` does). Works on the encoded
/// path, so `%2E%2E` is not a `..` segment.
fn normalize_path(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    let mut out = String::with_capacity(path.len() + 1);
    out.push('/');
    out.push_str(&segments.join("/"));
    let trailing_slash = path.ends_with('/') || path.ends_with("/.") || path.ends_with("/..");
    if trailing_slash && !out.ends_with('/') {
        out.push('/');
    }
    out
}

/// The canonical query string: form-decoded pairs, re-encoded, sorted.
fn canonical_query(query: Option<&str>, presigned: bool) -> String {
    let mut pairs: Vec<(String, String)> = query_pairs(query.unwrap_or_default())
        .filter(|(name, _)| !(presigned && name == PARAM_SIGNATURE))
        .map(|(name, value)| {
            let mut encoded_name = String::with_capacity(name.len());
            push_encoded(&mut encoded_name, &name, UNRESERVED);
            let mut encoded_value = String::with_capacity(value.len());
            push_encoded(&mut encoded_value, &value, UNRESERVED);
            (encoded_name, encoded_value)
        })
        .collect();
    pairs.sort();
    let mut out = String::new();
    for (index, (name, value)) in pairs.iter().enumerate() {
        if index > 0 {
            out.push('&');
        }
        out.push_str(name);
        out.push('=');
        out.push_str(value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_normalisation_matches_aws_sigv4() {
        for (path, expected) in [
            ("", "/"),
            ("/", "/"),
            ("//", "/"),
            ("/./", "/"),
            ("/.", "/"),
            ("/..", "/"),
            ("/../foo", "/foo"),
            ("/example/..", "/"),
            ("/example1/example2/../..", "/"),
            ("//example//", "/example/"),
            ("/./example", "/example"),
            ("/a/b/../c/./d", "/a/c/d"),
            ("/foo/bar/.", "/foo/bar/"),
            ("/foo/bar/..", "/foo/"),
            ("/foo/bar/../", "/foo/"),
            ("a/b", "/a/b"),
            ("/a/.b/..c/...", "/a/.b/..c/..."),
            ("/%2E%2E/x", "/%2E%2E/x"),
        ] {
            assert_eq!(normalize_path(path), expected, "{path:?}");
        }
    }

    #[test]
    fn canonical_uri_double_encodes() {
        for (path, expected) in [
            ("/a%2Fb", "/a%252Fb"),
            ("/%E1%88%B4", "/%25E1%2588%25B4"),
            ("/my%20file", "/my%2520file"),
            ("/{proxy+}", "/%7Bproxy%2B%7D"),
            ("/a:b@c!d$e,f;g=h", "/a%3Ab%40c%21d%24e%2Cf%3Bg%3Dh"),
            ("/-_.~AZaz09", "/-_.~AZaz09"),
        ] {
            assert_eq!(
                canonical_uri(path, PathEncoding::Double),
                expected,
                "{path}"
            );
        }
        assert_eq!(
            canonical_uri("/a%2Fb/./c", PathEncoding::AsSent),
            "/a%2Fb/c"
        );
    }

    #[test]
    fn canonical_query_rules() {
        for (query, expected) in [
            (None, ""),
            (Some(""), ""),
            (Some("b=2&a=1"), "a=1&b=2"),
            (Some("a=2&a=1&B=x"), "B=x&a=1&a=2"),
            (Some("a=x+y"), "a=x%20y"),
            (Some("a=x%20y"), "a=x%20y"),
            (Some("a=%2B"), "a=%2B"),
            (Some("flag"), "flag="),
            (Some("empty="), "empty="),
            (Some("&&a=1&"), "a=1"),
            (Some("k=%zz&j=%4"), "j=%254&k=%25zz"),
            (Some("q=%e2%9c%93"), "q=%E2%9C%93"),
            (Some("q=%7e%41"), "q=~A"),
            (Some("q=%FF"), "q=%EF%BF%BD"),
            (Some("a=1=2"), "a=1%3D2"),
            (
                Some("Param-3=Value3&Param=Value2&%E1%88%B4=Value1"),
                "%E1%88%B4=Value1&Param=Value2&Param-3=Value3",
            ),
        ] {
            assert_eq!(canonical_query(query, false), expected, "{query:?}");
        }
        assert_eq!(
            canonical_query(Some("X-Amz-Signature=abc&a=1"), true),
            "a=1"
        );
        assert_eq!(
            canonical_query(Some("X-Amz-Signature=abc&a=1"), false),
            "X-Amz-Signature=abc&a=1"
        );
    }

    #[test]
    fn header_values_are_trimmed_and_collapsed() {
        for (value, expected) in [
            ("value", "value"),
            ("  value1  ", "value1"),
            ("\"a   b   c\"", "\"a b c\""),
            ("\t a  \t b \t", "a \t b"),
            ("", ""),
            ("   ", ""),
        ] {
            let mut out = Vec::new();
            push_trimmed_value(&mut out, value.as_bytes(), b" \t");
            assert_eq!(String::from_utf8(out).unwrap(), expected, "{value:?}");
        }
    }
}
