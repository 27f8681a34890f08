//! `java.lang.String` methods as templates call them, with Java's UTF-16 indexing, and the
//! regex-based ones (`replaceAll`, `replaceFirst`, `matches`, `split`) through apigate-core's
//! Java-regex translator.

use regex::Regex;

/// Why a string method failed (Java would throw).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JavaException(pub String);

/// UTF-16 code units of `s`.
pub fn utf16(s: &str) -> Vec<u16> {
    s.encode_utf16().collect()
}

/// A string from UTF-16 units (lone surrogates become U+FFFD).
pub fn from_utf16(u: &[u16]) -> String {
    String::from_utf16_lossy(u)
}

/// `s.length()`.
pub fn length(s: &str) -> usize {
    s.encode_utf16().count()
}

/// `s.substring(begin, end)`.
pub fn substring(s: &str, begin: i64, end: Option<i64>) -> Result<String, JavaException> {
    let u = utf16(s);
    let len = i64::try_from(u.len()).unwrap_or(i64::MAX);
    let end = end.unwrap_or(len);
    if begin < 0 || end > len || begin > end {
        return Err(JavaException(format!(
            "java.lang.StringIndexOutOfBoundsException: begin {begin}, end {end}, length {len}"
        )));
    }
    let (b, e) = (
        usize::try_from(begin).unwrap_or(0),
        usize::try_from(end).unwrap_or(0),
    );
    Ok(from_utf16(u.get(b..e).unwrap_or_default()))
}

/// `s.charAt(i)`.
pub fn char_at(s: &str, i: i64) -> Result<String, JavaException> {
    let u = utf16(s);
    usize::try_from(i)
        .ok()
        .and_then(|i| u.get(i))
        .map(|c| from_utf16(&[*c]))
        .ok_or_else(|| {
            JavaException(format!(
                "java.lang.StringIndexOutOfBoundsException: index {i}, length {}",
                u.len()
            ))
        })
}

/// `s.indexOf(needle, from)` in UTF-16 units.
pub fn index_of(s: &str, needle: &str, from: i64) -> i64 {
    let h = utf16(s);
    let n = utf16(needle);
    let start = usize::try_from(from.max(0)).unwrap_or(0);
    if n.is_empty() {
        return i64::try_from(start.min(h.len())).unwrap_or(-1);
    }
    if n.len() > h.len() {
        return -1;
    }
    (start..=h.len() - n.len())
        .find(|&k| h.get(k..k + n.len()) == Some(n.as_slice()))
        .map_or(-1, |k| i64::try_from(k).unwrap_or(-1))
}

/// `s.lastIndexOf(needle, from)` in UTF-16 units.
/// `String.valueOf(codePoint)` for `indexOf(int)` / `lastIndexOf(int)`: the character a code
/// point names (`None` for a value that is not one, which Java never finds).
pub fn code_point_string(cp: i64) -> Option<String> {
    u32::try_from(cp)
        .ok()
        .and_then(char::from_u32)
        .map(String::from)
}

pub fn last_index_of(s: &str, needle: &str, from: Option<i64>) -> i64 {
    let h = utf16(s);
    let n = utf16(needle);
    if n.len() > h.len() {
        return -1;
    }
    let max_start = h.len() - n.len();
    let start = match from {
        Some(f) if f < 0 => return -1,
        Some(f) => usize::try_from(f).unwrap_or(usize::MAX).min(max_start),
        None => max_start,
    };
    (0..=start)
        .rev()
        .find(|&k| h.get(k..k + n.len()) == Some(n.as_slice()))
        .map_or(-1, |k| i64::try_from(k).unwrap_or(-1))
}

/// Java's `String.trim()`: strips chars <= U+0020 at both ends.
pub fn trim(s: &str) -> String {
    s.trim_matches(|c: char| c <= ' ').to_string()
}

/// `compareTo`: UTF-16 lexicographic difference as Java computes it.
pub fn compare_to(a: &str, b: &str) -> i64 {
    let (x, y) = (utf16(a), utf16(b));
    for (p, q) in x.iter().zip(&y) {
        if p != q {
            return i64::from(*p) - i64::from(*q);
        }
    }
    i64::try_from(x.len()).unwrap_or(0) - i64::try_from(y.len()).unwrap_or(0)
}

/// Java `equalsIgnoreCase` (char-wise case folding).
pub fn equals_ignore_case(a: &str, b: &str) -> bool {
    let (x, y) = (utf16(a), utf16(b));
    x.len() == y.len()
        && x.iter().zip(&y).all(|(p, q)| {
            let (cp, cq) = (char::from_u32(u32::from(*p)), char::from_u32(u32::from(*q)));
            match (cp, cq) {
                (Some(cp), Some(cq)) => {
                    cp == cq
                        || cp.to_uppercase().eq(cq.to_uppercase())
                        || cp.to_lowercase().eq(cq.to_lowercase())
                }
                _ => p == q,
            }
        })
}

/// Compiles a Java regex for searching (not anchored).
pub fn compile(java: &str) -> Result<Regex, JavaException> {
    let translated = apigate_java_regex::translate(java)
        .map_err(|e| JavaException(format!("java.util.regex.PatternSyntaxException: {e}")))?;
    let inner = translated
        .strip_prefix(r"\A(?:")
        .and_then(|s| s.strip_suffix(r")\z"))
        .unwrap_or(&translated);
    regex::RegexBuilder::new(inner)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| JavaException(format!("java.util.regex.PatternSyntaxException: {e}")))
}

/// Compiles a Java regex for whole-string matching (`String.matches`).
pub fn compile_whole(java: &str) -> Result<Regex, JavaException> {
    let translated = apigate_java_regex::translate(java)
        .map_err(|e| JavaException(format!("java.util.regex.PatternSyntaxException: {e}")))?;
    regex::RegexBuilder::new(&translated)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| JavaException(format!("java.util.regex.PatternSyntaxException: {e}")))
}

/// Expands a Java replacement string (`$1`, `${name}`, `\x`) for one match.
fn expand(
    caps: &regex::Captures<'_>,
    re: &Regex,
    repl: &str,
    out: &mut String,
) -> Result<(), JavaException> {
    let chars: Vec<char> = repl.chars().collect();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        match c {
            '\\' => {
                i += 1;
                match chars.get(i) {
                    Some(&n) => out.push(n),
                    None => return Err(JavaException(
                        "java.lang.IllegalArgumentException: character to be escaped is missing"
                            .into(),
                    )),
                }
                i += 1;
            }
            '$' => {
                i += 1;
                match chars.get(i) {
                    Some('{') => {
                        let s = i + 1;
                        let mut e = s;
                        while chars.get(e).is_some_and(|c| *c != '}') {
                            e += 1;
                        }
                        let name: String = chars.get(s..e).unwrap_or_default().iter().collect();
                        if chars.get(e).is_none()
                            || re.capture_names().all(|n| n != Some(name.as_str()))
                        {
                            return Err(JavaException(format!(
                                "java.lang.IllegalArgumentException: No group with name {{{name}}}"
                            )));
                        }
                        out.push_str(caps.name(&name).map_or("", |m| m.as_str()));
                        i = e + 1;
                    }
                    Some(d) if d.is_ascii_digit() => {
                        let mut g = d.to_digit(10).unwrap_or(0) as usize;
                        if g >= caps.len() {
                            return Err(JavaException(format!(
                                "java.lang.IndexOutOfBoundsException: No group {g}"
                            )));
                        }
                        i += 1;
                        // Java takes further digits while the group number stays valid.
                        while let Some(d2) = chars.get(i).and_then(|c| c.to_digit(10)) {
                            let ng = g * 10 + d2 as usize;
                            if ng < caps.len() {
                                g = ng;
                                i += 1;
                            } else {
                                break;
                            }
                        }
                        out.push_str(caps.get(g).map_or("", |m| m.as_str()));
                    }
                    _ => {
                        return Err(JavaException(
                            "java.lang.IllegalArgumentException: Illegal group reference".into(),
                        ))
                    }
                }
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(())
}

/// The matches `java.util.regex.Matcher.find()` returns one after another: each search starts
/// where the previous match ended, and only after an empty match one character further on. So
/// unlike `Regex::captures_iter`, an empty match right after a non-empty one counts
/// (`"aaa".replaceAll("a*", "-")` is `--` in Java).
pub fn java_matches<'h>(re: &'h Regex, s: &'h str) -> impl Iterator<Item = regex::Captures<'h>> {
    let mut next = Some(0usize);
    std::iter::from_fn(move || {
        let at = next?;
        let caps = re.captures_at(s, at)?;
        let m = caps.get(0)?;
        next = if m.start() == m.end() {
            s.get(m.end()..)
                .and_then(|rest| rest.chars().next())
                .map(|c| m.end() + c.len_utf8())
        } else {
            Some(m.end())
        };
        Some(caps)
    })
}

/// `replaceAll` / `replaceFirst`.
pub fn replace_regex(s: &str, re: &Regex, repl: &str, all: bool) -> Result<String, JavaException> {
    let mut out = String::new();
    let mut last = 0;
    for caps in java_matches(re, s) {
        let Some(m) = caps.get(0) else { continue };
        out.push_str(s.get(last..m.start()).unwrap_or(""));
        expand(&caps, re, repl, &mut out)?;
        last = m.end();
        if !all {
            break;
        }
    }
    out.push_str(s.get(last..).unwrap_or(""));
    Ok(out)
}

/// Java's `String.split(regex, limit)` (`Pattern.split`): the pieces between the matches
/// `Matcher.find()` returns, no empty leading piece for a zero-width match at the start, at
/// most `limit` pieces when it is positive, trailing empty pieces dropped when it is 0.
pub fn split(s: &str, re: &Regex, limit: i64) -> Vec<String> {
    let limited = limit > 0;
    let cap = usize::try_from(limit.saturating_sub(1)).unwrap_or(0);
    let mut parts: Vec<String> = Vec::new();
    let mut index = 0;
    for caps in java_matches(re, s) {
        let Some(m) = caps.get(0) else { continue };
        if limited && parts.len() >= cap {
            break;
        }
        if index == 0 && m.start() == 0 && m.end() == 0 {
            continue;
        }
        parts.push(s.get(index..m.start()).unwrap_or("").to_string());
        index = m.end();
    }
    if index == 0 {
        return vec![s.to_string()];
    }
    parts.push(s.get(index..).unwrap_or("").to_string());
    if limit == 0 {
        while parts.last().is_some_and(String::is_empty) {
            parts.pop();
        }
    }
    parts
}

/// Java's `String.replace(CharSequence, CharSequence)` (literal, all occurrences).
pub fn replace_literal(s: &str, from: &str, to: &str) -> String {
    if from.is_empty() {
        // Java inserts the replacement between every UTF-16 unit and at both ends.
        let u = utf16(s);
        let mut out = String::from(to);
        for c in u {
            out.push_str(&from_utf16(&[c]));
            out.push_str(to);
        }
        return out;
    }
    s.replace(from, to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_follows_java() {
        let re = |p: &str| {
            compile(p).unwrap_or_else(|_| Regex::new("x").unwrap_or_else(|_| unreachable!()))
        };
        assert_eq!(split("Hello, World", &re(","), 0), vec!["Hello", " World"]);
        assert_eq!(split("Hello, World", &re("."), 0), Vec::<String>::new());
        assert_eq!(split("a,b,,", &re(","), 0), vec!["a", "b"]);
        assert_eq!(split("a,b,,", &re(","), -1), vec!["a", "b", "", ""]);
        assert_eq!(split("abc", &re(""), 0), vec!["a", "b", "c"]);
        assert_eq!(split("", &re(","), 0), vec![""]);
        assert_eq!(split("a,b,c", &re(","), 2), vec!["a", "b,c"]);
    }

    #[test]
    fn replacement_groups() {
        let re = compile("(\\w+)@(\\w+)").unwrap_or_else(|_| unreachable!());
        assert_eq!(
            replace_regex("me@host", &re, "$2 at $1", true),
            Ok("host at me".into())
        );
        assert!(replace_regex("me@host", &re, "$", true).is_err());
    }
}
