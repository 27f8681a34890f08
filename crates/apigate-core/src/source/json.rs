//! A strict RFC 8259 JSON parser that records where every value and key starts.

use super::{Key, Node, SyntaxError, Value, MAX_DEPTH};
use crate::diag::Pos;

pub(super) fn parse(text: &str) -> Result<Node, SyntaxError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut p = Parser {
        text,
        chars: text.char_indices().peekable(),
        line: 1,
        col: 1,
        depth: 0,
    };
    p.skip_ws();
    if p.peek().is_none() {
        return Err(p.error("empty document"));
    }
    let node = p.value()?;
    p.skip_ws();
    match p.peek() {
        None => Ok(node),
        Some(c) => Err(p.error(format!(
            "trailing characters after the JSON value, found {}",
            show(c)
        ))),
    }
}

struct Parser<'a> {
    text: &'a str,
    chars: std::iter::Peekable<std::str::CharIndices<'a>>,
    line: u32,
    col: u32,
    depth: usize,
}

fn show(c: char) -> String {
    if c.is_control() {
        format!("{c:?}")
    } else {
        format!("'{c}'")
    }
}

impl Parser<'_> {
    fn pos(&self) -> Pos {
        Pos {
            line: self.line,
            col: self.col,
        }
    }

    fn error(&self, message: impl Into<String>) -> SyntaxError {
        SyntaxError {
            message: message.into(),
            pos: self.pos(),
        }
    }

    fn peek(&mut self) -> Option<char> {
        self.chars.peek().map(|(_, c)| *c)
    }

    fn bump(&mut self) -> Option<char> {
        let (_, c) = self.chars.next()?;
        if c == '\n' {
            self.line += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
        Some(c)
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t' | '\n' | '\r')) {
            self.bump();
        }
    }

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
            Some('"') => Value::String(self.string()?),
            Some('t') => self.literal("true", Value::Bool(true))?,
            Some('f') => self.literal("false", Value::Bool(false))?,
            Some('n') => self.literal("null", Value::Null)?,
            Some('-' | '0'..='9') => self.number()?,
            _ => return Err(self.expect_found("a JSON value")),
        };
        Ok(Node { value, pos })
    }

    fn literal(&mut self, word: &str, value: Value) -> Result<Value, SyntaxError> {
        let start = self.pos();
        for expected in word.chars() {
            if self.peek() != Some(expected) {
                return Err(SyntaxError {
                    message: format!("invalid literal; expected `{word}`"),
                    pos: start,
                });
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
        let mut entries = Vec::new();
        self.skip_ws();
        if self.peek() == Some('}') {
            self.bump();
            self.depth -= 1;
            return Ok(Value::Object(entries));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some('"') {
                return Err(self.expect_found("a string key"));
            }
            let pos = self.pos();
            let text = self.string()?;
            self.skip_ws();
            if self.peek() != Some(':') {
                return Err(self.expect_found("':' after the object key"));
            }
            self.bump();
            self.skip_ws();
            let value = self.value()?;
            entries.push((Key { text, pos }, value));
            self.skip_ws();
            match self.peek() {
                Some(',') => {
                    let comma = self.pos();
                    self.bump();
                    self.skip_ws();
                    if self.peek() == Some('}') {
                        return Err(SyntaxError {
                            message: "trailing comma before '}'".into(),
                            pos: comma,
                        });
                    }
                }
                Some('}') => {
                    self.bump();
                    self.depth -= 1;
                    return Ok(Value::Object(entries));
                }
                _ => return Err(self.expect_found("',' or '}' after an object member")),
            }
        }
    }

    fn array(&mut self) -> Result<Value, SyntaxError> {
        self.enter()?;
        self.bump(); // '['
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(']') {
            self.bump();
            self.depth -= 1;
            return Ok(Value::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value()?);
            self.skip_ws();
            match self.peek() {
                Some(',') => {
                    let comma = self.pos();
                    self.bump();
                    self.skip_ws();
                    if self.peek() == Some(']') {
                        return Err(SyntaxError {
                            message: "trailing comma before ']'".into(),
                            pos: comma,
                        });
                    }
                }
                Some(']') => {
                    self.bump();
                    self.depth -= 1;
                    return Ok(Value::Array(items));
                }
                _ => return Err(self.expect_found("',' or ']' after an array item")),
            }
        }
    }

    fn string(&mut self) -> Result<String, SyntaxError> {
        let start = self.pos();
        self.bump(); // '"'
        let mut s = String::new();
        loop {
            self.take_plain_run(&mut s);
            let here = self.pos();
            match self.bump() {
                None => {
                    return Err(SyntaxError {
                        message: "unterminated string".into(),
                        pos: start,
                    })
                }
                Some('"') => return Ok(s),
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
                        return Err(SyntaxError {
                            message: format!("invalid escape `\\{c}` in string"),
                            pos: here,
                        })
                    }
                    None => {
                        return Err(SyntaxError {
                            message: "unterminated string".into(),
                            pos: start,
                        })
                    }
                },
                Some(c) if (c as u32) < 0x20 => {
                    return Err(SyntaxError {
                        message: format!("control character {c:?} in string (escape it)"),
                        pos: here,
                    });
                }
                Some(c) => s.push(c),
            }
        }
    }

    /// Copies the run of characters that need no escape handling in one go (the common case).
    fn take_plain_run(&mut self, s: &mut String) {
        let Some(&(i, _)) = self.chars.peek() else {
            return;
        };
        let rest = self.text.as_bytes().get(i..).unwrap_or_default();
        let run = rest
            .iter()
            .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
            .unwrap_or(rest.len());
        // The bytes that end a run are ASCII, so `i + run` is a char boundary.
        let piece = self.text.get(i..i + run).unwrap_or_default();
        if piece.is_empty() {
            return;
        }
        s.push_str(piece);
        let n = piece.chars().count();
        for _ in 0..n {
            self.chars.next();
        }
        self.col = self
            .col
            .saturating_add(u32::try_from(n).unwrap_or(u32::MAX));
    }

    fn hex4(&mut self, at: Pos) -> Result<u32, SyntaxError> {
        let mut v = 0;
        for _ in 0..4 {
            let d = self.bump().and_then(|c| c.to_digit(16));
            match d {
                Some(d) => v = v * 16 + d,
                None => {
                    return Err(SyntaxError {
                        message: "`\\u` must be followed by four hex digits".into(),
                        pos: at,
                    })
                }
            }
        }
        Ok(v)
    }

    fn unicode_escape(&mut self, at: Pos) -> Result<char, SyntaxError> {
        let hi = self.hex4(at)?;
        let lone = || SyntaxError {
            message: "lone UTF-16 surrogate in `\\u` escape".into(),
            pos: at,
        };
        if (0xD800..0xDC00).contains(&hi) {
            if self.bump() != Some('\\') || self.bump() != Some('u') {
                return Err(lone());
            }
            let lo = self.hex4(at)?;
            if !(0xDC00..0xE000).contains(&lo) {
                return Err(lone());
            }
            let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
            return char::from_u32(c).ok_or_else(lone);
        }
        if (0xDC00..0xE000).contains(&hi) {
            return Err(lone());
        }
        char::from_u32(hi).ok_or_else(lone)
    }

    fn number(&mut self) -> Result<Value, SyntaxError> {
        let start = self.pos();
        let mut text = String::new();
        let bad = |m: &str| SyntaxError {
            message: m.to_string(),
            pos: start,
        };
        if self.peek() == Some('-') {
            text.push('-');
            self.bump();
        }
        match self.peek() {
            Some('0') => {
                text.push('0');
                self.bump();
                if matches!(self.peek(), Some('0'..='9')) {
                    return Err(bad("numbers cannot have leading zeros"));
                }
            }
            Some('1'..='9') => self.digits(&mut text),
            _ => return Err(bad("invalid number: expected a digit")),
        }
        let mut float = false;
        if self.peek() == Some('.') {
            float = true;
            text.push('.');
            self.bump();
            if !matches!(self.peek(), Some('0'..='9')) {
                return Err(bad("invalid number: expected a digit after '.'"));
            }
            self.digits(&mut text);
        }
        if matches!(self.peek(), Some('e' | 'E')) {
            float = true;
            text.push('e');
            self.bump();
            if let Some(sign @ ('+' | '-')) = self.peek() {
                text.push(sign);
                self.bump();
            }
            if !matches!(self.peek(), Some('0'..='9')) {
                return Err(bad("invalid number: expected a digit in the exponent"));
            }
            self.digits(&mut text);
        }
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
            .ok_or_else(|| bad("number out of range"))
    }

    fn digits(&mut self, text: &mut String) {
        while let Some(c @ '0'..='9') = self.peek() {
            text.push(c);
            self.bump();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> (String, u32, u32) {
        let e = parse(text).unwrap_err();
        (e.message, e.pos.line, e.pos.col)
    }

    #[test]
    fn positions_of_keys_and_values() {
        let doc =
            parse("{\n  \"a\": {\n    \"uri\": \"x\",\n    \"n\": [1, 2.5, -3e2]\n  }\n}").unwrap();
        let a = doc.get("a").unwrap();
        assert_eq!(a.pos, Pos { line: 2, col: 8 });
        assert_eq!(a.get("uri").unwrap().pos, Pos { line: 3, col: 12 });
        let Value::Object(entries) = &a.value else {
            unreachable!()
        };
        assert_eq!(entries[1].0.pos, Pos { line: 4, col: 5 });
        let n = a.get("n").unwrap().as_array().unwrap();
        assert_eq!(n[1].pos, Pos { line: 4, col: 14 });
        assert_eq!(n[0].as_i64(), Some(1));
        assert_eq!(n[2].to_json(), serde_json::json!(-300.0));
    }

    #[test]
    fn columns_count_characters() {
        let doc = parse("{\"é€\": \"ü\", \"k\": 1}").unwrap();
        assert_eq!(doc.get("k").unwrap().pos, Pos { line: 1, col: 18 });
    }

    #[test]
    fn escapes_and_bom() {
        let doc = parse("\u{feff}[\"a\\n\\u00e9\\ud83d\\ude00\\/\"]").unwrap();
        assert_eq!(doc.as_array().unwrap()[0].as_str(), Some("a\né😀/"));
        assert_eq!(
            parse("18446744073709551615").unwrap().to_json(),
            serde_json::json!(18446744073709551615u64)
        );
    }

    #[test]
    fn errors_name_the_problem_and_place() {
        assert_eq!(err(""), ("empty document".into(), 1, 1));
        assert_eq!(err("{\"a\": 1,}").0, "trailing comma before '}'");
        assert_eq!(
            err("{\"a\" 1}"),
            ("expected ':' after the object key, found '1'".into(), 1, 6)
        );
        assert_eq!(
            err("{\"a\": 1 \"b\"}"),
            (
                "expected ',' or '}' after an object member, found '\"'".into(),
                1,
                9
            )
        );
        assert_eq!(
            err("[1, 2"),
            (
                "expected ',' or ']' after an array item, found the end of the file".into(),
                1,
                6
            )
        );
        assert_eq!(err("\n  \"abc").1, 2);
        assert_eq!(err("\"abc").0, "unterminated string");
        assert_eq!(
            err("\"a\u{1}\"").0,
            "control character '\\u{1}' in string (escape it)"
        );
        assert_eq!(err("\"\\x\"").0, "invalid escape `\\x` in string");
        assert_eq!(
            err("\"\\ud800\"").0,
            "lone UTF-16 surrogate in `\\u` escape"
        );
        assert_eq!(err("01").0, "numbers cannot have leading zeros");
        assert_eq!(err("1.").0, "invalid number: expected a digit after '.'");
        assert_eq!(err("tru").0, "invalid literal; expected `true`");
        assert_eq!(
            err("{} x"),
            (
                "trailing characters after the JSON value, found 'x'".into(),
                1,
                4
            )
        );
        assert_eq!(err("{'a': 1}").0, "expected a string key, found '''");
        assert_eq!(err("1e999").0, "number out of range");
    }

    #[test]
    fn depth_bomb_is_an_error_not_a_crash() {
        let deep = "[".repeat(100_000);
        assert!(err(&deep).0.starts_with("nesting deeper than"));
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse(&ok).is_ok());
    }

    #[test]
    fn duplicate_keys_are_kept() {
        let doc = parse("{\"a\": 1, \"a\": 2}").unwrap();
        assert_eq!(doc.as_object().unwrap().len(), 2);
        assert_eq!(doc.get("a").unwrap().as_i64(), Some(2));
    }
}
