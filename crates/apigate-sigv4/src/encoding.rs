//! The one percent-encoder: the `percent-encoding` crate with SigV4's unreserved set, and
//! query parsing with `form_urlencoded` (what the `aws-sigv4` signer uses).
//!
//! SigV4's `UriEncode` leaves `A-Za-z0-9-_.~` as is and writes every other byte as `%XX`
//! with upper-case hex; in a path, `/` stays too. The gateway also encodes integration URI
//! parameters with these sets, so a value it sends is already canonical when signed.

use std::borrow::Cow;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Everything but SigV4's unreserved characters `A-Za-z0-9-_.~` (RFC 3986 unreserved):
/// for query names and values and for path segments.
pub const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// [`UNRESERVED`] keeping `/`: for paths (the second encoding of a canonical URI, S3 keys,
/// greedy path parameters).
pub const UNRESERVED_KEEP_SLASH: &AsciiSet = &UNRESERVED.remove(b'/');

/// Appends `input` percent-encoded with `set`.
pub fn push_encoded(out: &mut String, input: &str, set: &'static AsciiSet) {
    out.extend(utf8_percent_encode(input, set));
}

/// `application/x-www-form-urlencoded` pairs of a raw query, as the `aws-sigv4` signer reads
/// it: empty pieces skipped, `+` is a space, `%XX` decoded (malformed escapes kept
/// literally), invalid UTF-8 replaced.
pub fn query_pairs(query: &str) -> form_urlencoded::Parse<'_> {
    form_urlencoded::parse(query.as_bytes())
}

/// The first value of query parameter `name` (compared after decoding).
pub fn query_param<'a>(query: Option<&'a str>, name: &str) -> Option<Cow<'a, str>> {
    query_pairs(query?)
        .find(|(candidate, _)| candidate == name)
        .map(|(_, value)| value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_keep_exactly_the_unreserved_characters() {
        let mut out = String::new();
        push_encoded(&mut out, "-_.~AZaz09/ +%é", UNRESERVED);
        assert_eq!(out, "-_.~AZaz09%2F%20%2B%25%C3%A9");
        out.clear();
        push_encoded(&mut out, "a/b c", UNRESERVED_KEEP_SLASH);
        assert_eq!(out, "a/b%20c");
    }

    #[test]
    fn queries_are_form_decoded() {
        let pairs: Vec<(String, String)> = query_pairs("&a=x+y&&b=%2B%zz&c&=v&d=1=2")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let expected = [
            ("a", "x y"),
            ("b", "+%zz"),
            ("c", ""),
            ("", "v"),
            ("d", "1=2"),
        ];
        assert_eq!(
            pairs,
            expected.map(|(k, v)| (k.to_owned(), v.to_owned())).to_vec()
        );
        assert_eq!(query_param(Some("x=1&y=%41"), "y").as_deref(), Some("A"));
        assert_eq!(query_param(Some("x=1"), "y"), None);
        assert_eq!(query_param(None, "y"), None);
    }
}
