//! `EncodingType=url` for list responses, as S3 applies it.
//!
//! S3 encodes keys the way HTML forms encode values: unreserved characters and `/` stay,
//! a space becomes `+`, every other byte of the UTF-8 form becomes `%XX`. AWS SDKs decode
//! with form decoding (`+` → space), so a key containing `+`, `%` or a space round-trips
//! only if both halves agree — which is why an unencoded key under `EncodingType=url`
//! (what s3s-fs sends) comes back wrong.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Everything but ASCII letters, digits, `-`, `_`, `.`, `/` and `*` is escaped (space is
/// handled separately).
const ESCAPED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'/')
    .remove(b'*');

pub(crate) fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for (i, part) in value.split(' ').enumerate() {
        if i > 0 {
            out.push('+');
        }
        out.extend(utf8_percent_encode(part, ESCAPED));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::encode;

    #[test]
    fn keeps_unreserved_and_slash() {
        assert_eq!(encode("photos/2006/Jan-x_y.z*"), "photos/2006/Jan-x_y.z*");
    }

    #[test]
    fn space_plus_and_percent_are_distinguishable() {
        assert_eq!(encode("a b+c%d"), "a+b%2Bc%25d");
    }

    #[test]
    fn unicode_is_utf8_percent_encoded() {
        assert_eq!(encode("é/日"), "%C3%A9/%E6%97%A5");
    }

    #[test]
    fn xml_special_characters_are_encoded() {
        assert_eq!(encode("<&>\"'"), "%3C%26%3E%22%27");
    }
}
