//! API Gateway's `$util` functions (UTF-8 throughout), as AWS's Java implementation behaves:
//! commons-lang 2 `escapeJavaScript`, `java.net.URLEncoder`/`URLDecoder` and
//! `java.util.Base64`. `$input` and `$context` are built in `eval`.

use crate::java_string::JavaException;

/// `$util.escapeJavaScript(s)`: commons-lang 2.6 `StringEscapeUtils.escapeJavaScript`
/// (`'` → `\'`, `/` → `\/`, non-ASCII as upper-case `\uXXXX` UTF-16 units).
pub fn escape_javascript(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for unit in s.encode_utf16() {
        match unit {
            0x08 => out.push_str("\\b"),
            0x0A => out.push_str("\\n"),
            0x09 => out.push_str("\\t"),
            0x0C => out.push_str("\\f"),
            0x0D => out.push_str("\\r"),
            0x27 => out.push_str("\\'"),
            0x22 => out.push_str("\\\""),
            0x5C => out.push_str("\\\\"),
            0x2F => out.push_str("\\/"),
            u if !(0x20..=0x7F).contains(&u) => out.push_str(&format!("\\u{u:04X}")),
            u => out.push(char::from(u8::try_from(u).unwrap_or(b'?'))),
        }
    }
    out
}

/// `$util.urlEncode(s)`: `application/x-www-form-urlencoded` over UTF-8 (`URLEncoder`:
/// `A-Za-z0-9.-*_` as is, space as `+`, every other byte `%XX`), which is
/// `form_urlencoded::byte_serialize`.
pub fn url_encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// `$util.urlDecode(s)`: `URLDecoder.decode(s, "UTF-8")` (`+` is a space; a malformed `%`
/// escape is an error; invalid UTF-8 becomes U+FFFD).
pub fn url_decode(s: &str) -> Result<String, JavaException> {
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => {
                out.push(' ');
                i += 1;
            }
            b'%' => {
                let mut buf = Vec::new();
                while bytes.get(i) == Some(&b'%') {
                    let hex = bytes
                        .get(i + 1..i + 3)
                        .and_then(|h| std::str::from_utf8(h).ok());
                    let v = hex
                        .filter(|h| h.chars().all(|c| c.is_ascii_hexdigit()))
                        .and_then(|h| u8::from_str_radix(h, 16).ok());
                    match v {
                        Some(v) => buf.push(v),
                        None => {
                            return Err(JavaException(
                                "java.lang.IllegalArgumentException: URLDecoder: Illegal hex characters in escape (%) pattern".into(),
                            ))
                        }
                    }
                    i += 3;
                }
                out.push_str(&String::from_utf8_lossy(&buf));
            }
            _ => {
                let ch_len = utf8_len(b);
                out.push_str(s.get(i..i + ch_len).unwrap_or(""));
                i += ch_len;
            }
        }
    }
    Ok(out)
}

fn utf8_len(first: u8) -> usize {
    match first {
        0..=0x7F => 1,
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// `$util.base64Encode(s)`: RFC 4648 with padding over the UTF-8 bytes.
pub fn base64_encode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b0 = u32::from(chunk.first().copied().unwrap_or(0));
        let b1 = u32::from(chunk.get(1).copied().unwrap_or(0));
        let b2 = u32::from(chunk.get(2).copied().unwrap_or(0));
        let n = (b0 << 16) | (b1 << 8) | b2;
        let sym = |k: u32| char::from(B64.get(((n >> k) & 63) as usize).copied().unwrap_or(b'A'));
        out.push(sym(18));
        out.push(sym(12));
        out.push(if chunk.len() > 1 { sym(6) } else { '=' });
        out.push(if chunk.len() > 2 { sym(0) } else { '=' });
    }
    out
}

/// `$util.base64Decode(s)`: strict `java.util.Base64` decoding (missing padding accepted,
/// any other stray character an error), the bytes read as UTF-8.
pub fn base64_decode(s: &str) -> Result<String, JavaException> {
    let bad = |m: &str| JavaException(format!("java.lang.IllegalArgumentException: {m}"));
    let body = s.trim_end_matches('=');
    let pad = s.len() - body.len();
    if pad > 2 {
        return Err(bad("Input byte array has incorrect ending byte"));
    }
    let mut vals = Vec::with_capacity(body.len());
    for c in body.bytes() {
        let v = B64
            .iter()
            .position(|&x| x == c)
            .ok_or_else(|| bad(&format!("Illegal base64 character {c:x}")))?;
        vals.push(u32::try_from(v).unwrap_or(0));
    }
    if vals.len() % 4 == 1 || (pad > 0 && !(vals.len() + pad).is_multiple_of(4)) {
        return Err(bad("Last unit does not have enough valid bits"));
    }
    let mut bytes = Vec::with_capacity(vals.len() * 3 / 4);
    for chunk in vals.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (k, v)| acc | (v << (18 - 6 * k as u32)));
        bytes.push(((n >> 16) & 0xFF) as u8);
        if chunk.len() > 2 {
            bytes.push(((n >> 8) & 0xFF) as u8);
        }
        if chunk.len() > 3 {
            bytes.push((n & 0xFF) as u8);
        }
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_javascript_like_commons_lang() {
        assert_eq!(
            escape_javascript("it's \"x\" a/b\n"),
            "it\\'s \\\"x\\\" a\\/b\\n"
        );
        assert_eq!(escape_javascript("é"), "\\u00E9");
        assert_eq!(escape_javascript("\u{1}"), "\\u0001");
    }

    #[test]
    fn url_and_base64() {
        assert_eq!(url_encode("a b&c=é*~"), "a+b%26c%3D%C3%A9*%7E");
        assert_eq!(url_decode("a+b%26c%3D%C3%A9"), Ok("a b&c=é".to_string()));
        assert!(url_decode("%zz").is_err());
        assert_eq!(base64_encode("hello"), "aGVsbG8=");
        assert_eq!(base64_decode("aGVsbG8="), Ok("hello".to_string()));
        assert_eq!(base64_decode("aGVsbG8"), Ok("hello".to_string()));
        assert!(base64_decode("aGVs bG8=").is_err());
    }
}
