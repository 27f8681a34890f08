//! Escapes: Java's `escape()` and the numeric, Unicode and named forms, and `\p{…}` families.

use super::class::Pred;
use super::{Esc, PResult, Parser};
use crate::flags::{ALL, CASE_INSENSITIVE, CR, LF, UNICODE_CHARACTER_CLASS, UNIX_LINES};
use crate::literal::NEVER;
use crate::node::{Anchor, Node};
use crate::property::{
    for_property, posix_unicode, script, unicode_property, ASCII_SPACE, HWS, VWS, WORD_U,
};

fn is_octal(c: char) -> bool {
    ('0'..='7').contains(&c)
}

pub(super) fn digit_value(c: char) -> u32 {
    c.to_digit(16).unwrap_or(0)
}

impl Parser {
    /// Java's `escape()`; the cursor is on the `\`.
    pub(super) fn escape(&mut self, inclass: bool, isrange: bool) -> PResult<Esc> {
        let start = self.cursor;
        let uc = self.has(UNICODE_CHARACTER_CLASS);
        let ch = self.skip();
        let set = |re: &str, mask: u8| Ok(Esc::Set(Pred::set(re, mask)));
        let not = |re: &str, mask: u8| Ok(Esc::Set(Pred::Not(Box::new(Pred::set(re, mask)), 1)));
        let illegal = |p: &Parser| Err(p.error("Illegal/unsupported escape sequence"));
        match ch {
            '0' => self.octal().map(Esc::Char),
            '1'..='9' if !inclass => {
                self.backref(ch);
                let text = self.text(start, self.cursor);
                self.unsupported(format!("backreference `{text}`"), start);
                Ok(Esc::Node(Node::Empty))
            }
            'A' if !inclass => Ok(Esc::Node(Node::Assert(r"\A"))),
            'B' if !inclass => Ok(Esc::Node(Node::Assert(if uc {
                r"\B"
            } else {
                r"(?-u:\B)"
            }))),
            'D' if uc => not(r"\p{Nd}", 0),
            'D' => not("[0-9]", 0),
            'G' if !inclass => {
                self.unsupported("`\\G` (end of the previous match)", start);
                Ok(Esc::Node(Node::Empty))
            }
            'H' => not(HWS, 0),
            'N' => {
                self.named_char()?;
                let text = self.text(start, self.cursor);
                self.unsupported(format!("named character `{text}`"), start);
                Ok(Esc::Char(u32::from('?')))
            }
            'R' if !inclass => Ok(Esc::Node(Node::LineBreak {
                offset: self.offset(start),
            })),
            'S' if uc => not(r"\p{White_Space}", ALL),
            'S' => not(ASCII_SPACE, LF | CR),
            'V' => not(VWS, ALL),
            'W' if uc => not(WORD_U, 0),
            'W' => not("[0-9A-Z_a-z]", 0),
            'X' if !inclass => {
                self.unsupported("grapheme cluster `\\X`", start);
                Ok(Esc::Node(Node::Empty))
            }
            'Z' if !inclass => Ok(Esc::Node(Node::Anchor {
                kind: Anchor::Dollar {
                    unix: self.has(UNIX_LINES),
                },
                offset: self.offset(start),
            })),
            'a' => Ok(Esc::Char(0x07)),
            'b' if !inclass => {
                if self.peek() == '{' {
                    if self.skip() == 'g' {
                        if self.read() == '}' {
                            self.unsupported("grapheme cluster boundary `\\b{g}`", start);
                            return Ok(Esc::Node(Node::Empty));
                        }
                        return illegal(self);
                    }
                    self.unread();
                    self.unread();
                }
                Ok(Esc::Node(Node::Assert(if uc {
                    r"\b"
                } else {
                    r"(?-u:\b)"
                })))
            }
            'c' => {
                if self.cursor < self.len {
                    Ok(Esc::Char(u32::from(self.read()) ^ 64))
                } else {
                    Err(self.error("Illegal control escape sequence"))
                }
            }
            'd' if uc => set(r"\p{Nd}", 0),
            'd' => set("[0-9]", 0),
            'e' => Ok(Esc::Char(0x1B)),
            'f' => Ok(Esc::Char(0x0C)),
            'h' => set(HWS, 0),
            'k' if !inclass => {
                if self.read() != '<' {
                    return Err(self.error("\\k is not followed by '<' for named capturing group"));
                }
                let first = self.read();
                let name = self.groupname(first)?;
                if !self.names.contains(&name) {
                    return Err(
                        self.error(format!("named capturing group <{name}> does not exist"))
                    );
                }
                self.unsupported(format!("named backreference `\\k<{name}>`"), start);
                Ok(Esc::Node(Node::Empty))
            }
            'n' => Ok(Esc::Char(0x0A)),
            'r' => Ok(Esc::Char(0x0D)),
            's' if uc => set(r"\p{White_Space}", ALL),
            's' => set(ASCII_SPACE, LF | CR),
            't' => Ok(Esc::Char(0x09)),
            'u' => self.unicode_escape().map(Esc::Char),
            // Since Java 8 `\v` is vertical whitespace, but still VT as a range bound.
            'v' if isrange => Ok(Esc::Char(0x0B)),
            'v' => set(VWS, ALL),
            'w' if uc => set(WORD_U, 0),
            'w' => set("[0-9A-Z_a-z]", 0),
            'x' => self.hex_escape().map(Esc::Char),
            'z' if !inclass => Ok(Esc::Node(Node::Assert(r"\z"))),
            c if c.is_ascii_alphanumeric() => illegal(self),
            c => Ok(Esc::Char(u32::from(c))),
        }
    }

    /// Java's `ref()`: consumes the further digits of a backreference.
    fn backref(&mut self, first: char) {
        let mut n = digit_value(first) as usize;
        loop {
            let ch = self.peek();
            if !ch.is_ascii_digit() {
                break;
            }
            let next = n * 10 + digit_value(ch) as usize;
            if self.capturing < next {
                break;
            }
            n = next;
            self.read();
        }
    }

    fn octal(&mut self) -> PResult<u32> {
        let n = self.read();
        if is_octal(n) {
            let m = self.read();
            if is_octal(m) {
                let o = self.read();
                if is_octal(o) && n <= '3' {
                    return Ok(digit_value(n) * 64 + digit_value(m) * 8 + digit_value(o));
                }
                self.unread();
                return Ok(digit_value(n) * 8 + digit_value(m));
            }
            self.unread();
            return Ok(digit_value(n));
        }
        Err(self.error("Illegal octal escape sequence"))
    }

    fn hex_escape(&mut self) -> PResult<u32> {
        let n = self.read();
        if n.is_ascii_hexdigit() {
            let m = self.read();
            if m.is_ascii_hexdigit() {
                return Ok(digit_value(n) * 16 + digit_value(m));
            }
        } else if n == '{' && self.peek().is_ascii_hexdigit() {
            let mut ch: u32 = 0;
            loop {
                let n = self.read();
                if !n.is_ascii_hexdigit() {
                    if n != '}' {
                        return Err(self.error("Unclosed hexadecimal escape sequence"));
                    }
                    return Ok(ch);
                }
                ch = (ch << 4) + digit_value(n);
                if ch > 0x10FFFF {
                    return Err(self.error("Hexadecimal codepoint is too big"));
                }
            }
        }
        Err(self.error("Illegal hexadecimal escape sequence"))
    }

    fn uxxxx(&mut self) -> PResult<u32> {
        let mut n = 0;
        for _ in 0..4 {
            let ch = self.read();
            if !ch.is_ascii_hexdigit() {
                return Err(self.error("Illegal Unicode escape sequence"));
            }
            n = n * 16 + digit_value(ch);
        }
        Ok(n)
    }

    fn unicode_escape(&mut self) -> PResult<u32> {
        let n = self.uxxxx()?;
        if (0xD800..=0xDBFF).contains(&n) {
            let cur = self.cursor;
            if self.read() == '\\' && self.read() == 'u' {
                let n2 = self.uxxxx()?;
                if (0xDC00..=0xDFFF).contains(&n2) {
                    return Ok(0x10000 + ((n - 0xD800) << 10) + (n2 - 0xDC00));
                }
            }
            self.cursor = cur;
        }
        Ok(n)
    }

    /// `\N{name}`: checks the syntax only (resolving names needs the Unicode name table).
    fn named_char(&mut self) -> PResult<()> {
        if self.read() == '{' {
            while self.read() != '}' {
                if self.cursor >= self.len {
                    return Err(self.error("Unclosed character name escape sequence"));
                }
            }
            return Ok(());
        }
        Err(self.error("Illegal character name escape sequence"))
    }

    /// A `\p…` / `\P…` family, in a class or outside one; the cursor is on the `p`.
    pub(super) fn property_family(&mut self, complement: bool) -> PResult<Pred> {
        let start = self.cursor.saturating_sub(1);
        let mut single = true;
        if self.next() != '{' {
            self.unread();
        } else {
            single = false;
        }
        self.family(single, complement, start)
    }

    /// Java's `family()`: a `\p` property; the cursor is on the `p` or the `{`.
    fn family(&mut self, single: bool, complement: bool, start: usize) -> PResult<Pred> {
        self.next();
        let name: String = if single {
            let c = self.at(self.cursor);
            self.read();
            c.to_string()
        } else {
            let i = self.cursor;
            if let Some(t) = self.temp.get_mut(self.len) {
                *t = '}';
            }
            while self.read() != '}' {
                if self.cursor > self.len + 2 {
                    break;
                }
            }
            if let Some(t) = self.temp.get_mut(self.len) {
                *t = '\0';
            }
            let j = self.cursor;
            if j > self.len {
                return Err(self.error("Unclosed character family"));
            }
            if i + 1 >= j {
                return Err(self.error("Empty character family"));
            }
            self.text(i, j - 1)
        };
        let ci = self.has(CASE_INSENSITIVE);
        let found = if let Some((key, value)) = name.split_once('=') {
            let key = key.to_lowercase();
            let found = match key.as_str() {
                "sc" | "script" => self.script(value),
                "gc" | "general_category" => for_property(value, ci),
                "blk" | "block" => {
                    self.unsupported(format!("Unicode block `\\p{{{name}}}`"), start);
                    Some((NEVER.to_string(), 0))
                }
                _ => None,
            };
            if found.is_none() {
                return Err(self.error(format!(
                    "Unknown Unicode property {{name=<{key}>, value=<{value}>}}"
                )));
            }
            found
        } else if name.starts_with("In") {
            self.unsupported(format!("Unicode block `\\p{{{name}}}`"), start);
            Some((NEVER.to_string(), 0))
        } else if let Some(short) = name.strip_prefix("Is") {
            unicode_property(&short.to_uppercase(), ci)
                .or_else(|| for_property(short, ci))
                .or_else(|| self.script(short))
        } else {
            let posix = if self.has(UNICODE_CHARACTER_CLASS) {
                posix_unicode(&name.to_uppercase(), ci)
            } else {
                None
            };
            posix.or_else(|| for_property(&name, ci))
        };
        let Some((re, mask)) = found else {
            return Err(self.error(format!("Unknown character property name {{{name}}}")));
        };
        let p = Pred::Set {
            re,
            mask,
            chars: false,
        };
        Ok(if complement {
            Pred::Not(Box::new(p), 1)
        } else {
            p
        })
    }

    fn script(&mut self, name: &str) -> Option<(String, u8)> {
        if let Some(found) = self.scripts.get(name) {
            return found.clone();
        }
        let found = script(name);
        self.scripts.insert(name.to_string(), found.clone());
        found
    }
}
