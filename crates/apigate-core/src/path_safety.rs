//! The decoding rule for request path segments, query strings and the values they carry, and
//! the dot-segment rule for values that end up in a backend URI path.
//!
//! Decoding is strict so that two distinct raw values never become one: every `%` must start
//! two hex digits (AWS answers 400 to malformed escapes) and the decoded bytes must be UTF-8
//! (lossy decoding would turn `%FF%FE` and `%80%81` alike into U+FFFD U+FFFD — one S3 key).
//!
//! A `.` or `..` segment in a value would let it climb out of the URI prefix the API's author
//! wrote. Percent-encoding the dots or the `/` does not help: backends such as nginx decode
//! `%2E` and `%2F` before resolving dot segments, and URL parsers (WHATWG, so `reqwest`) treat
//! `%2e%2e` as `..`. So such values are refused, not encoded.

use std::borrow::Cow;
use std::fmt;

use percent_encoding::percent_decode_str;

/// Why a raw path segment, query component or value is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathError {
    /// A `%` not followed by two hex digits.
    MalformedEscape,
    /// The decoded bytes are not UTF-8.
    NotUtf8,
    /// A `.` or `..` segment (after decoding, with `/` and `\` as separators).
    DotSegment,
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PathError::MalformedEscape => "a % that does not start two hex digits",
            PathError::NotUtf8 => "percent-encoded bytes that are not UTF-8",
            PathError::DotSegment => "a . or .. path segment",
        })
    }
}

impl std::error::Error for PathError {}

/// Percent-decodes `raw` strictly: malformed escapes and non-UTF-8 results are errors, so the
/// mapping from raw text to decoded text is one-to-one. Borrows when there is nothing to decode.
pub fn decode(raw: &str) -> Result<Cow<'_, str>, PathError> {
    check_escapes(raw)?;
    percent_decode_str(raw)
        .decode_utf8()
        .map_err(|_| PathError::NotUtf8)
}

/// Whether every `%` in `raw` starts two hex digits.
fn check_escapes(raw: &str) -> Result<(), PathError> {
    let bytes = raw.as_bytes();
    let mut at = 0;
    while let Some(offset) = bytes
        .get(at..)
        .and_then(|rest| rest.iter().position(|b| *b == b'%'))
    {
        let p = at + offset;
        let hex = |i: usize| bytes.get(i).is_some_and(u8::is_ascii_hexdigit);
        if !(hex(p + 1) && hex(p + 2)) {
            return Err(PathError::MalformedEscape);
        }
        at = p + 3;
    }
    Ok(())
}

/// Whether the decoded `value` has a `.` or `..` segment, splitting at `/` and at `\` (which
/// some servers also treat as a separator). `a..b`, `.well-known` and `...` are not dot
/// segments.
pub fn has_dot_segment(value: &str) -> bool {
    value
        .split(['/', '\\'])
        .any(|segment| segment == "." || segment == "..")
}

/// Decodes a request path segment or parameter value and refuses dot segments in it: the rule
/// for everything that can reach a backend URI path.
pub fn decode_path_value(raw: &str) -> Result<Cow<'_, str>, PathError> {
    let decoded = decode(raw)?;
    if has_dot_segment(&decoded) {
        return Err(PathError::DotSegment);
    }
    Ok(decoded)
}

/// Whether a rendered, percent-encoded URI path would, once a backend decodes each segment
/// and resolves dot segments, contain a `.` or `..` segment. The check of last resort where
/// values from any source have been placed into an integration URI.
pub fn encoded_path_has_dot_segment(path: &str) -> bool {
    path.split('/').any(|segment| {
        let decoded = percent_decode_str(segment).decode_utf8_lossy();
        has_dot_segment(&decoded)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_is_strict_and_one_to_one() {
        assert_eq!(decode("plain").unwrap(), "plain");
        assert!(matches!(decode("plain").unwrap(), Cow::Borrowed(_)));
        assert_eq!(decode("a%20b%2Fc").unwrap(), "a b/c");
        assert_eq!(decode("%E2%82%AC").unwrap(), "€");
        assert_eq!(decode("%e2%82%ac").unwrap(), "€");
        assert_eq!(decode("%25zz").unwrap(), "%zz");
        // Would alias `%25zz` if kept literally.
        assert_eq!(decode("%zz"), Err(PathError::MalformedEscape));
        assert_eq!(decode("a%2"), Err(PathError::MalformedEscape));
        assert_eq!(decode("%"), Err(PathError::MalformedEscape));
        assert_eq!(decode("%%41"), Err(PathError::MalformedEscape));
        // Both would be U+FFFD U+FFFD if decoded lossily.
        assert_eq!(decode("%FF%FE"), Err(PathError::NotUtf8));
        assert_eq!(decode("%80%81"), Err(PathError::NotUtf8));
        assert_eq!(decode("%C3"), Err(PathError::NotUtf8));
        assert_eq!(decode("%C3%A9").unwrap(), "é");
    }

    #[test]
    fn dot_segments_in_values() {
        for bad in [
            ".",
            "..",
            "../admin",
            "a/..",
            "a/./b",
            "..\\admin",
            "a\\.",
            "/..",
            "../",
        ] {
            assert!(has_dot_segment(bad), "{bad:?}");
        }
        for good in [
            "a..b",
            "...",
            ".well-known",
            "a.",
            ".a/b.",
            "",
            "a//b",
            "x.txt",
        ] {
            assert!(!has_dot_segment(good), "{good:?}");
        }
        assert_eq!(decode_path_value("..%2Fadmin"), Err(PathError::DotSegment));
        assert_eq!(decode_path_value("%2e%2E"), Err(PathError::DotSegment));
        assert_eq!(decode_path_value(".%2e"), Err(PathError::DotSegment));
        assert_eq!(decode_path_value("%2E"), Err(PathError::DotSegment));
        assert_eq!(decode_path_value("x%5C..%5Cy"), Err(PathError::DotSegment));
        assert_eq!(decode_path_value("a..b").unwrap(), "a..b");
        assert_eq!(decode_path_value("%FF.."), Err(PathError::NotUtf8));
    }

    #[test]
    fn rendered_paths() {
        assert!(encoded_path_has_dot_segment("/public/../admin"));
        assert!(encoded_path_has_dot_segment("/public/%2e%2e/admin"));
        assert!(encoded_path_has_dot_segment("/public/..%2Fadmin"));
        assert!(encoded_path_has_dot_segment("/public/x%2F.%2Fy"));
        assert!(encoded_path_has_dot_segment("/public/.%5Cadmin"));
        assert!(!encoded_path_has_dot_segment("/public/a..b/.well-known"));
        assert!(!encoded_path_has_dot_segment("/public/a%2Fb"));
        assert!(!encoded_path_has_dot_segment("/"));
    }
}
