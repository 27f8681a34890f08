//! A strict RFC 8259 JSON parser that records where every value and key starts.
//!
//! Recursive descent with an explicit depth counter ([`MAX_DEPTH`]), so no input can exhaust
//! the stack. Lines end at `\n`, `\r\n` or a lone `\r` (as the YAML reader counts them);
//! columns count Unicode scalar values. A leading BOM is skipped and takes no column.

use std::borrow::Cow;

use super::{Facts, Interner, Key, Node, SyntaxError, Value, MAX_DEPTH};
use crate::diag::Pos;

pub(super) fn parse(text: &str) -> Result<(Node, Facts), SyntaxError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut p = Parser {
        text,
        i: 0,
        line: 1,
        col: 1,
        depth: 0,
        items: Vec::new(),
        entries: Vec::new(),
        strings: Interner::default(),
        facts: Facts::default(),
    };
    p.skip_ws();
    if p.peek().is_none() {
        return Err(SyntaxError {
            message: "empty document".into(),
            pos: Pos { line: 1, col: 1 },
        });
    }
    let node = p.value()?;
    p.skip_ws();
    match p.peek() {
        None => {
            let facts = p.strings.facts(p.facts);
            Ok((node, facts))
        }
        Some(c) => Err(p.error(format!(
            "trailing characters after the JSON value, found {}",
            show(c)
        ))),
    }
}

struct Parser<'a> {
    text: &'a str,
    /// Byte offset of the next character (always on a char boundary).
    i: usize,
    line: u32,
    col: u32,
    depth: usize,
    /// Finished items of the open arrays, innermost last; each array takes its own off the
    /// top into a vector of the exact size when it closes (no growth reallocations).
    items: Vec<Node>,
    /// Finished members of the open objects, likewise.
    entries: Vec<(Key, Node)>,
    strings: Interner,
    facts: Facts,
}

/// A character for a message: quoted, escaped when it would not be visible.
fn show(c: char) -> String {
    if c == '\'' {
        "\"'\"".into()
    } else if c.is_control() || (c.is_whitespace() && c != ' ') || c == '\u{feff}' {
        format!("'{}'", c.escape_unicode())
    } else {
        format!("'{c}'")
    }
}

fn error_at(message: impl Into<String>, pos: Pos) -> SyntaxError {
    SyntaxError {
        message: message.into(),
        pos,
    }
}

impl<'a> Parser<'a> {
    fn pos(&self) -> Pos {
        Pos {
            line: self.line,
            col: self.col,
        }
    }

    fn error(&self, message: impl Into<String>) -> SyntaxError {
        error_at(message, self.pos())
    }

    fn peek(&self) -> Option<char> {
        match *self.text.as_bytes().get(self.i)? {
            b if b.is_ascii() => Some(char::from(b)),
            _ => self.text.get(self.i..)?.chars().next(),
        }
    }

    /// Byte offset of the next character (the text's length at the end).
    fn offset(&self) -> usize {
        self.i
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.i += c.len_utf8();
        match c {
            '\n' => self.newline(),
            '\r' if self.peek() != Some('\n') => self.newline(),
            _ => self.col = self.col.saturating_add(1),
        }
        Some(c)
    }

    fn newline(&mut self) {
        self.line = self.line.saturating_add(1);
        self.col = 1;
    }

    /// Skips blanks and line breaks, byte by byte (they are all ASCII).
    fn skip_ws(&mut self) {
        let bytes = self.text.as_bytes();
        while let Some(&b) = bytes.get(self.i) {
            match b {
                b' ' | b'\t' => self.col = self.col.saturating_add(1),
                b'\n' => self.newline(),
                b'\r' if bytes.get(self.i + 1) != Some(&b'\n') => self.newline(),
                b'\r' => self.col = self.col.saturating_add(1),
                _ => return,
            }
            self.i += 1;
        }
    }

    /// "expected WHAT, found X", at the character found.
    fn expect_found(&mut self, what: &str) -> SyntaxError {
        match self.peek() {
            Some(c) => self.error(format!("expected {what}, found {}", show(c))),
            None => self.error(format!("expected {what}, found the end of the file")),
        }
    }

    fn value(&mut self) -> Result<Node, SyntaxError> {
        let pos = self.pos();
        let value = match self.peek() {
            Some('{') => self.object()?,
            Some('[') => self.array()?,
            Some('"') => {
                let s = self.string()?;
                Value::String(self.strings.text(&s))
            }
            Some('t') => self.literal("true", Value::Bool(true))?,
            Some('f') => self.literal("false", Value::Bool(false))?,
            Some('n') => self.literal("null", Value::Null)?,
            Some('-' | '0'..='9') => self.number()?,
            _ => return Err(self.expect_found("a JSON value")),
        };
        Ok(Node { value, pos })
    }

    fn literal(&mut self, word: &str, value: Value) -> Result<Value, SyntaxError> {
        for expected in word.chars() {
            if self.peek() != Some(expected) {
                return Err(self.expect_found(&format!("`{word}`")));
            }
            self.bump();
        }
        Ok(value)
    }

    fn enter(&mut self) -> Result<(), SyntaxError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(format!("nesting deeper than {MAX_DEPTH} levels")));
        }
        Ok(())
    }

    fn object(&mut self) -> Result<Value, SyntaxError> {
        self.enter()?;
        self.bump(); // '{'
        self.skip_ws();
        if self.peek() == Some('}') {
            self.bump();
            self.depth -= 1;
            return Ok(Value::Object(Vec::new()));
        }
        let start = self.entries.len();
        loop {
            self.skip_ws();
            if self.peek() != Some('"') {
                return Err(self.expect_found("a string key"));
            }
            let pos = self.pos();
            let text = self.string()?;
            let text = self.strings.text(&text);
            self.skip_ws();
            if self.peek() != Some(':') {
                return Err(self.expect_found("':' after the object key"));
            }
            self.bump();
            self.skip_ws();
            let value = self.value()?;
            self.entries.push((Key { text, pos }, value));
            self.skip_ws();
            match self.peek() {
                Some(',') => {
                    let comma = self.pos();
                    self.bump();
                    self.skip_ws();
                    if self.peek() == Some('}') {
                        return Err(error_at("trailing comma before '}'", comma));
                    }
                }
                Some('}') => {
                    self.bump();
                    self.depth -= 1;
                    self.facts
                        .object(self.entries.get(start..).unwrap_or_default());
                    return Ok(Value::Object(self.entries.drain(start..).collect()));
                }
                _ => return Err(self.expect_found("',' or '}' after an object member")),
            }
        }
    }

    fn array(&mut self) -> Result<Value, SyntaxError> {
        self.enter()?;
        self.bump(); // '['
        self.skip_ws();
        if self.peek() == Some(']') {
            self.bump();
            self.depth -= 1;
            return Ok(Value::Array(Vec::new()));
        }
        let start = self.items.len();
        loop {
            self.skip_ws();
            let item = self.value()?;
            self.items.push(item);
            self.skip_ws();
            match self.peek() {
                Some(',') => {
                    let comma = self.pos();
                    self.bump();
                    self.skip_ws();
                    if self.peek() == Some(']') {
                        return Err(error_at("trailing comma before ']'", comma));
                    }
                }
                Some(']') => {
                    self.bump();
                    self.depth -= 1;
                    return Ok(Value::Array(self.items.drain(start..).collect()));
                }
                _ => return Err(self.expect_found("',' or ']' after an array item")),
            }
        }
    }

    /// A string, from its opening quote; unterminated strings are reported at that quote.
    /// Borrowed from the text when it has no escapes (the common case).
    fn string(&mut self) -> Result<Cow<'a, str>, SyntaxError> {
        let start = self.pos();
        self.bump(); // '"'
        let run = self.plain_run();
        if self.text.as_bytes().get(self.i) == Some(&b'"') {
            self.bump();
            return Ok(Cow::Borrowed(run));
        }
        let mut s = String::from(run);
        loop {
            s.push_str(self.plain_run());
            let here = self.pos();
            match self.bump() {
                None => return Err(error_at("unterminated string", start)),
                Some('"') => return Ok(Cow::Owned(s)),
                Some('\\') => match self.bump() {
                    Some('"') => s.push('"'),
                    Some('\\') => s.push('\\'),
                    Some('/') => s.push('/'),
                    Some('b') => s.push('\u{8}'),
                    Some('f') => s.push('\u{c}'),
                    Some('n') => s.push('\n'),
                    Some('r') => s.push('\r'),
                    Some('t') => s.push('\t'),
                    Some('u') => s.push(self.unicode_escape(here)?),
                    Some(c) => {
                        let message = if c.is_control() || c.is_whitespace() {
                            format!("invalid escape in string: `\\` followed by {}", show(c))
                        } else {
                            format!("invalid escape `\\{c}` in string")
                        };
                        return Err(error_at(message, here));
                    }
                    None => return Err(error_at("unterminated string", start)),
                },
                Some(c) if (c as u32) < 0x20 => {
                    return Err(error_at(
                        format!(
                            "control character U+{:04X} in string (write it as an escape)",
                            c as u32
                        ),
                        here,
                    ));
                }
                Some(c) => s.push(c),
            }
        }
    }

    /// Skips the run of characters that need no escape handling in one go (the common case)
    /// and returns it.
    fn plain_run(&mut self) -> &'a str {
        let text = self.text;
        let i = self.i;
        let rest = text.as_bytes().get(i..).unwrap_or_default();
        let run = rest
            .iter()
            .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
            .unwrap_or(rest.len());
        // The bytes that end a run are ASCII, so `i + run` is a char boundary.
        let piece = text.get(i..i + run).unwrap_or_default();
        self.i += piece.len();
        let n = if piece.is_ascii() {
            piece.len()
        } else {
            piece.chars().count()
        };
        self.col = self
            .col
            .saturating_add(u32::try_from(n).unwrap_or(u32::MAX));
        piece
    }

    fn hex4(&mut self, at: Pos) -> Result<u32, SyntaxError> {
        let mut v = 0;
        for _ in 0..4 {
            match self.peek().and_then(|c| c.to_digit(16)) {
                Some(d) => v = v * 16 + d,
                None => return Err(error_at("`\\u` must be followed by four hex digits", at)),
            }
            self.bump();
        }
        Ok(v)
    }

    /// The character of a `\uXXXX` escape (`at` is its backslash), joining surrogate pairs.
    fn unicode_escape(&mut self, at: Pos) -> Result<char, SyntaxError> {
        let lone = || {
            error_at(
                "lone UTF-16 surrogate in `\\u` escape (a high surrogate \\uD800-\\uDBFF \
                 must be followed by a low one \\uDC00-\\uDFFF)",
                at,
            )
        };
        let hi = self.hex4(at)?;
        if (0xD800..0xDC00).contains(&hi) {
            if self.peek() != Some('\\') {
                return Err(lone());
            }
            let second = self.pos();
            self.bump();
            if self.bump() != Some('u') {
                return Err(lone());
            }
            let lo = self.hex4(second)?;
            if !(0xDC00..0xE000).contains(&lo) {
                return Err(lone());
            }
            let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
            return char::from_u32(c).ok_or_else(lone);
        }
        char::from_u32(hi).ok_or_else(lone)
    }

    fn number(&mut self) -> Result<Value, SyntaxError> {
        let start = self.pos();
        let from = self.offset();
        if self.peek() == Some('-') {
            self.bump();
        }
        match self.peek() {
            Some('0') => {
                self.bump();
                if matches!(self.peek(), Some('0'..='9')) {
                    return Err(error_at("numbers cannot have leading zeros", start));
                }
            }
            Some('1'..='9') => self.digits(),
            _ => return Err(self.expect_found("a digit after '-'")),
        }
        let mut float = false;
        if self.peek() == Some('.') {
            float = true;
            self.bump();
            if !matches!(self.peek(), Some('0'..='9')) {
                return Err(self.expect_found("a digit after '.' in the number"));
            }
            self.digits();
        }
        if matches!(self.peek(), Some('e' | 'E')) {
            float = true;
            self.bump();
            if matches!(self.peek(), Some('+' | '-')) {
                self.bump();
            }
            if !matches!(self.peek(), Some('0'..='9')) {
                return Err(self.expect_found("a digit in the number's exponent"));
            }
            self.digits();
        }
        let to = self.offset();
        let text = self.text.get(from..to).unwrap_or_default();
        if !float {
            if let Ok(i) = text.parse::<i64>() {
                return Ok(Value::Number(i.into()));
            }
            if let Ok(u) = text.parse::<u64>() {
                return Ok(Value::Number(u.into()));
            }
        }
        text.parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| {
                error_at(
                    "number out of range (beyond what a 64-bit float can hold)",
                    start,
                )
            })
    }

    fn digits(&mut self) {
        while let Some('0'..='9') = self.peek() {
            self.bump();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(text: &str) -> Result<Node, SyntaxError> {
        super::parse(text).map(|(node, _)| node)
    }

    fn facts(text: &str) -> Facts {
        super::parse(text).unwrap().1
    }

    fn err(text: &str) -> (String, u32, u32) {
        let e = parse(text).unwrap_err();
        (e.message, e.pos.line, e.pos.col)
    }

    fn at(line: u32, col: u32) -> Pos {
        Pos { line, col }
    }

    fn e(message: &str, line: u32, col: u32) -> (String, u32, u32) {
        (message.to_string(), line, col)
    }

    #[test]
    fn positions_of_keys_and_values() {
        let text = "{\n  \"paths\": {\n    \"/x\": {\n      \"uri\": \"arn:x\",\n      \"n\": [1, 2.5, -3e2, true, null, {}]\n    }\n  }\n}";
        let doc = parse(text).unwrap();
        assert_eq!(doc.pos, at(1, 1));
        let paths = doc.get("paths").unwrap();
        assert_eq!(paths.pos, at(2, 12));
        let x = paths.get("/x").unwrap();
        assert_eq!(x.pos, at(3, 11));
        assert_eq!(x.get("uri").unwrap().pos, at(4, 14));
        assert_eq!(x.get("uri").unwrap().as_str(), Some("arn:x"));
        let keys: Vec<(&str, Pos)> = x
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, _)| (k.text.as_str(), k.pos))
            .collect();
        assert_eq!(keys, [("uri", at(4, 7)), ("n", at(5, 7))]);
        assert_eq!(doc.as_object().unwrap()[0].0.pos, at(2, 3));
        let n = x.get("n").unwrap().as_array().unwrap();
        let cols: Vec<u32> = n.iter().map(|v| v.pos.col).collect();
        assert_eq!(cols, [13, 16, 21, 27, 33, 39]);
        assert_eq!(
            x.get("n").unwrap().to_json(),
            json!([1, 2.5, -300.0, true, null, {}])
        );
    }

    #[test]
    fn columns_count_characters() {
        let doc = parse("{\"é€\": \"ü\", \"k\": 1, \"😀\": [\"\\u00e9\", 2]}").unwrap();
        assert_eq!(doc.get("k").unwrap().pos, at(1, 18));
        let arr = doc.get("😀").unwrap().as_array().unwrap();
        assert_eq!(arr[0].pos, at(1, 27));
        assert_eq!(arr[1].pos, at(1, 37));
        // Escapes count as written, not as decoded.
        let (_, line, col) = err("[\"é\\u00e9😀\" x]");
        assert_eq!((line, col), (1, 13));
    }

    #[test]
    fn line_breaks() {
        let doc = parse("{\r\n\"a\":\r\n 1,\r\"b\": 2,\n\"c\": 3}").unwrap();
        assert_eq!(doc.get("a").unwrap().pos, at(3, 2));
        assert_eq!(doc.get("b").unwrap().pos, at(4, 6));
        assert_eq!(doc.get("c").unwrap().pos, at(5, 6));
    }

    #[test]
    fn escapes() {
        let doc = parse(r#"["a\"b\\c\/d\be\ff\ng\rh\ti", "\u00e9\u20AC\ud83d\ude00\u0000", "plain ünïcödé 😀", ""]"#).unwrap();
        let a = doc.as_array().unwrap();
        assert_eq!(a[0].as_str(), Some("a\"b\\c/d\u{8}e\u{c}f\ng\rh\ti"));
        assert_eq!(a[1].as_str(), Some("é€😀\u{0}"));
        assert_eq!(a[2].as_str(), Some("plain ünïcödé 😀"));
        assert_eq!(a[3].as_str(), Some(""));
        // Keys are unescaped too.
        let doc = parse(r#"{"a\/b": 1}"#).unwrap();
        assert_eq!(doc.get("a/b").unwrap().as_i64(), Some(1));
        // DEL and non-ASCII controls need no escape.
        assert_eq!(
            parse("\"\u{7f}\u{85}\"").unwrap().as_str(),
            Some("\u{7f}\u{85}")
        );
    }

    #[test]
    fn bom_is_skipped() {
        let doc = parse("\u{feff}{\"a\": \"x\"}").unwrap();
        assert_eq!(doc.pos, at(1, 1));
        assert_eq!(doc.get("a").unwrap().pos, at(1, 7));
        assert_eq!(err("\u{feff}"), e("empty document", 1, 1));
        assert_eq!(
            err("[\u{feff}]"),
            e("expected a JSON value, found '\\u{feff}'", 1, 2)
        );
    }

    #[test]
    fn numbers() {
        let n = |t: &str| parse(t).unwrap().value;
        let num = |v: serde_json::Value| match v {
            serde_json::Value::Number(n) => Value::Number(n),
            _ => unreachable!(),
        };
        assert_eq!(n("0"), num(json!(0)));
        assert_eq!(n("-0"), num(json!(0)));
        assert_eq!(n("42"), num(json!(42)));
        assert_eq!(n("-9223372036854775808"), num(json!(i64::MIN)));
        assert_eq!(n("9223372036854775807"), num(json!(i64::MAX)));
        assert_eq!(n("18446744073709551615"), num(json!(u64::MAX)));
        assert_eq!(
            n("18446744073709551616"),
            num(json!(18446744073709551616.0))
        );
        assert_eq!(
            n("-9223372036854775809"),
            num(json!(-9223372036854775809.0))
        );
        assert_eq!(n("1.0"), num(json!(1.0)));
        assert_eq!(n("1e2"), num(json!(100.0)));
        assert_eq!(n("1E+2"), num(json!(100.0)));
        assert_eq!(n("-1.5e-3"), num(json!(-0.0015)));
        assert_eq!(n("0.1"), num(json!(0.1)));
        assert_eq!(n("1e-400"), num(json!(0.0)));
        assert!(parse("1").unwrap().as_i64() == Some(1));
        assert!(parse("1.0").unwrap().as_i64().is_none());
        assert_eq!(
            err("1e999"),
            e(
                "number out of range (beyond what a 64-bit float can hold)",
                1,
                1
            )
        );
        assert_eq!(
            err("[-1e400]"),
            e(
                "number out of range (beyond what a 64-bit float can hold)",
                1,
                2
            )
        );
    }

    #[test]
    fn errors_name_the_problem_and_place() {
        assert_eq!(err(""), e("empty document", 1, 1));
        assert_eq!(err("  \n\t\r\n "), e("empty document", 1, 1));
        assert_eq!(err("{\"a\": 1,}"), e("trailing comma before '}'", 1, 8));
        assert_eq!(err("[1,\n 2 , ]"), e("trailing comma before ']'", 2, 4));
        assert_eq!(
            err("{\"a\" 1}"),
            e("expected ':' after the object key, found '1'", 1, 6)
        );
        assert_eq!(
            err("{\"a\": 1 \"b\"}"),
            e(
                "expected ',' or '}' after an object member, found '\"'",
                1,
                9
            )
        );
        assert_eq!(
            err("{\"a\": 1 x"),
            e(
                "expected ',' or '}' after an object member, found 'x'",
                1,
                9
            )
        );
        assert_eq!(
            err("{\"a\": 1"),
            e(
                "expected ',' or '}' after an object member, found the end of the file",
                1,
                8
            )
        );
        assert_eq!(
            err("[1, 2"),
            e(
                "expected ',' or ']' after an array item, found the end of the file",
                1,
                6
            )
        );
        assert_eq!(
            err("[1 2]"),
            e("expected ',' or ']' after an array item, found '2'", 1, 4)
        );
        assert_eq!(
            err("{'a': 1}"),
            e("expected a string key, found \"'\"", 1, 2)
        );
        assert_eq!(err("{a: 1}"), e("expected a string key, found 'a'", 1, 2));
        assert_eq!(err("{,}"), e("expected a string key, found ','", 1, 2));
        assert_eq!(err("{\"a\":}"), e("expected a JSON value, found '}'", 1, 6));
        assert_eq!(err("[,1]"), e("expected a JSON value, found ','", 1, 2));
        assert_eq!(
            err("[\n  ]]"),
            e("trailing characters after the JSON value, found ']'", 2, 4)
        );
        assert_eq!(
            err("{} x"),
            e("trailing characters after the JSON value, found 'x'", 1, 4)
        );
        assert_eq!(
            err("1 2"),
            e("trailing characters after the JSON value, found '2'", 1, 3)
        );
        assert_eq!(
            err("{}\u{a0}"),
            e(
                "trailing characters after the JSON value, found '\\u{a0}'",
                1,
                3
            )
        );
        // Literals.
        assert_eq!(
            err("tru"),
            e("expected `true`, found the end of the file", 1, 4)
        );
        assert_eq!(err("[nul]"), e("expected `null`, found ']'", 1, 5));
        assert_eq!(err("fAlse"), e("expected `false`, found 'A'", 1, 2));
        assert_eq!(err("True"), e("expected a JSON value, found 'T'", 1, 1));
        assert_eq!(err("NaN"), e("expected a JSON value, found 'N'", 1, 1));
        assert_eq!(
            err("truex"),
            e("trailing characters after the JSON value, found 'x'", 1, 5)
        );
        // Numbers.
        assert_eq!(err("01"), e("numbers cannot have leading zeros", 1, 1));
        assert_eq!(err("[-01]"), e("numbers cannot have leading zeros", 1, 2));
        assert_eq!(
            err("-"),
            e(
                "expected a digit after '-', found the end of the file",
                1,
                2
            )
        );
        assert_eq!(err("-x"), e("expected a digit after '-', found 'x'", 1, 2));
        assert_eq!(
            err("1."),
            e(
                "expected a digit after '.' in the number, found the end of the file",
                1,
                3
            )
        );
        assert_eq!(
            err("1.e5"),
            e("expected a digit after '.' in the number, found 'e'", 1, 3)
        );
        assert_eq!(
            err("1e+"),
            e(
                "expected a digit in the number's exponent, found the end of the file",
                1,
                4
            )
        );
        assert_eq!(err("[.5]"), e("expected a JSON value, found '.'", 1, 2));
        assert_eq!(err("+1"), e("expected a JSON value, found '+'", 1, 1));
        assert_eq!(
            err("0x1F"),
            e("trailing characters after the JSON value, found 'x'", 1, 2)
        );
        // Strings.
        assert_eq!(err("\n  \"abc"), e("unterminated string", 2, 3));
        assert_eq!(err("[\"abc\\"), e("unterminated string", 1, 2));
        assert_eq!(
            err("\"a\u{1}\""),
            e(
                "control character U+0001 in string (write it as an escape)",
                1,
                3
            )
        );
        assert_eq!(
            err("{\"k\": \"line\nbreak\"}"),
            e(
                "control character U+000A in string (write it as an escape)",
                1,
                12
            )
        );
        assert_eq!(
            err("[\"é\ttab\"]"),
            e(
                "control character U+0009 in string (write it as an escape)",
                1,
                4
            )
        );
        assert_eq!(err("\"ab\\x\""), e("invalid escape `\\x` in string", 1, 4));
        assert_eq!(err("\"\\'\""), e("invalid escape `\\'` in string", 1, 2));
        assert_eq!(
            err("\"\\\n\""),
            e("invalid escape in string: `\\` followed by '\\u{a}'", 1, 2)
        );
        assert_eq!(
            err("\"\\u12G4\""),
            e("`\\u` must be followed by four hex digits", 1, 2)
        );
        assert_eq!(
            err("\"\\u12\""),
            e("`\\u` must be followed by four hex digits", 1, 2)
        );
        let lone = "lone UTF-16 surrogate in `\\u` escape (a high surrogate \\uD800-\\uDBFF \
                    must be followed by a low one \\uDC00-\\uDFFF)";
        assert_eq!(err("\"x\\ud800\""), e(lone, 1, 3));
        assert_eq!(err("\"\\ud800\\n\""), e(lone, 1, 2));
        assert_eq!(err("\"\\ud800\\u0041\""), e(lone, 1, 2));
        assert_eq!(err("\"\\udc00\\ud800\""), e(lone, 1, 2));
        assert_eq!(
            err("\"\\ud800\\u00\""),
            e("`\\u` must be followed by four hex digits", 1, 8)
        );
    }

    #[test]
    fn depth_is_bounded() {
        for bomb in [
            "[".repeat(100_000),
            "{\"a\":".repeat(100_000),
            "[{\"a\":".repeat(50_000),
        ] {
            let (m, line, _) = err(&bomb);
            assert_eq!(m, format!("nesting deeper than {MAX_DEPTH} levels"));
            assert_eq!(line, 1);
        }
        assert_eq!(
            err(&"[".repeat(100_000)),
            e("nesting deeper than 128 levels", 1, 129)
        );
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse(&ok).is_ok());
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert!(parse(&deep).is_err());
    }

    #[test]
    fn duplicate_keys_are_kept() {
        let doc = parse("{\"a\": 1, \"b\": 0, \"a\": 2}").unwrap();
        let entries = doc.as_object().unwrap();
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[0].0.text, "a");
        assert_eq!(entries[2].0.text, "a");
        assert_eq!(entries[2].0.pos, at(1, 18));
        assert_eq!(doc.get("a").unwrap().as_i64(), Some(2));
    }

    #[test]
    fn scalar_documents() {
        assert_eq!(parse(" \"s\" ").unwrap().as_str(), Some("s"));
        assert_eq!(parse("\n\nnull").unwrap().pos, at(3, 1));
        assert_eq!(parse("false").unwrap().as_bool(), Some(false));
    }

    #[test]
    fn facts_note_variables_duplicates_and_refs() {
        let none = Facts::default();
        assert_eq!(facts(r#"{"a": {"b": [1, "x", {"c": "$AWS"}]}}"#), none);
        let f = facts(r#"{"a": [{"u": "arn:${AWS::Region}"}]}"#);
        assert!(f.import_variables && !f.duplicate_keys && !f.refs);
        assert!(facts(r#"{"k${AWS::Partition}": 1}"#).import_variables);
        // Escapes are decoded before the check.
        assert!(facts(r#"{"a": "${AWS::Region}"}"#).import_variables);
        let f = facts(r#"{"a": {"b": 1, "c": {"d": 1, "d": 2}}}"#);
        assert!(f.duplicate_keys && !f.refs && !f.import_variables);
        // Repeats in large objects (the set path) and the same key in sibling objects.
        let big: Vec<String> = (0..20).map(|i| format!("\"k{i}\": {i}")).collect();
        assert!(!facts(&format!("{{{}}}", big.join(", "))).duplicate_keys);
        assert!(facts(&format!("{{{}, \"k3\": 0}}", big.join(", "))).duplicate_keys);
        assert!(!facts(r#"[{"a": 1}, {"a": 2}]"#).duplicate_keys);
        let f = facts(r##"{"x": [{"$ref": "#/y"}], "y": {}}"##);
        assert!(f.refs && !f.duplicate_keys);
        // `$ref` as a value is not a reference.
        assert!(!facts(r#"{"a": "$ref"}"#).refs);
    }
}
