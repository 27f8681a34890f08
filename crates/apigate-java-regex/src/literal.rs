//! Code points written as `regex`-crate syntax, inside and outside a class, and Java's
//! ASCII-only case mapping.

/// A class matching nothing (what a lone surrogate matches in a Rust string).
pub(crate) const NEVER: &str = r"[^\x{0}-\x{10FFFF}]";

pub(crate) fn ascii_upper(c: u32) -> u32 {
    if (u32::from(b'a')..=u32::from(b'z')).contains(&c) {
        c - 0x20
    } else {
        c
    }
}

pub(crate) fn ascii_lower(c: u32) -> u32 {
    if (u32::from(b'A')..=u32::from(b'Z')).contains(&c) {
        c + 0x20
    } else {
        c
    }
}

/// A code point as a `regex` literal outside a class.
pub(crate) fn literal_re(c: u32) -> String {
    match char::from_u32(c) {
        None => NEVER.to_string(),
        Some(ch) if ch.is_ascii_alphanumeric() => ch.to_string(),
        Some(ch) if ch.is_ascii_graphic() => regex::escape(&ch.to_string()),
        Some(ch) if !ch.is_ascii() && ch.is_alphanumeric() => ch.to_string(),
        Some(_) => format!("\\x{{{c:X}}}"),
    }
}

/// A code point as a member of a `regex` class (never a lone surrogate).
pub(crate) fn class_char_re(c: u32, out: &mut String) {
    match char::from_u32(c) {
        Some(ch) if ch.is_alphanumeric() => out.push(ch),
        _ => out.push_str(&format!("\\x{{{c:X}}}")),
    }
}

/// Appends the range `lo..=hi` as class members, minus the surrogates.
pub(crate) fn push_range(lo: u32, hi: u32, out: &mut String) {
    let mut parts = [(lo, hi.min(0xD7FF)), (lo.max(0xE000), hi.min(0x10FFFF))];
    if hi < 0xD800 || lo > 0xDFFF {
        parts = [(lo, hi.min(0x10FFFF)), (1, 0)];
    }
    for (a, b) in parts {
        if a > b {
            continue;
        }
        class_char_re(a, out);
        if b > a {
            out.push('-');
            class_char_re(b, out);
        }
    }
}
