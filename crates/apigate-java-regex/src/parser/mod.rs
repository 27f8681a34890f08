//! The parser: a port of `java.util.regex.Pattern`'s, producing the translated tree. In parts:
//! Java's cursor primitives (`cursor`), expressions and quantifiers (here), groups and inline
//! flags (`group`), escapes and `\p{…}` families (`escape`), character classes (`class`), and
//! the `\Q…\E` pre-pass (`quote`).

mod class;
mod cursor;
mod escape;
mod group;
mod quote;

use crate::flags::{
    range_mask, ALL, CASE_INSENSITIVE, DOTALL, LF, MULTILINE, UNICODE_CASE, UNIX_LINES,
};
use crate::literal::{ascii_lower, ascii_upper, literal_re};
use crate::node::{Anchor, Node};
use crate::{JavaRegexError, MAX_DEPTH};
use class::{Bits, Pred};
use escape::digit_value;
use quote::remove_qe_quoting;

/// What an escape sequence stands for.
enum Esc {
    Char(u32),
    Set(Pred),
    Node(Node),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Quant {
    Greedy,
    Lazy,
    Possessive,
}

pub(crate) struct Parser {
    /// The pattern's chars after `\Q…\E` removal, then two NUL terminators (Java's `temp`).
    temp: Vec<char>,
    /// The char offset in the original pattern of each `temp` entry.
    origin: Vec<usize>,
    /// Java's `patternLength`.
    len: usize,
    cursor: usize,
    flags: u32,
    names: std::collections::HashSet<String>,
    /// Script names already looked up (checking one compiles a regex).
    scripts: std::collections::HashMap<String, Option<(String, u8)>>,
    capturing: usize,
    depth: usize,
    bits: Vec<Bits>,
    /// The first construct found that cannot be translated; parsing goes on so that a later
    /// syntax error still wins, as it would in Java.
    pub(crate) unsupported: Option<JavaRegexError>,
}

type PResult<T> = Result<T, JavaRegexError>;

impl Parser {
    pub(crate) fn new(java: &str) -> Parser {
        let chars: Vec<char> = java.chars().collect();
        let (mut temp, mut origin) = remove_qe_quoting(&chars);
        let len = temp.len();
        temp.extend(['\0', '\0']);
        origin.extend([chars.len(), chars.len()]);
        Parser {
            temp,
            origin,
            len,
            cursor: 0,
            flags: 0,
            names: std::collections::HashSet::new(),
            scripts: std::collections::HashMap::new(),
            capturing: 0,
            depth: 0,
            bits: Vec::new(),
            unsupported: None,
        }
    }

    // --- errors -------------------------------------------------------------------------

    fn offset(&self, i: usize) -> usize {
        self.origin
            .get(i)
            .or(self.origin.last())
            .copied()
            .unwrap_or(0)
    }

    /// A syntax error where Java reports it (just before the cursor).
    fn error(&self, message: impl Into<String>) -> JavaRegexError {
        JavaRegexError::Invalid {
            message: message.into(),
            offset: Some(self.offset(self.cursor.saturating_sub(1))),
        }
    }

    fn unsupported(&mut self, construct: impl Into<String>, at: usize) {
        if self.unsupported.is_none() {
            self.unsupported = Some(JavaRegexError::Unsupported {
                construct: construct.into(),
                offset: self.offset(at),
            });
        }
    }

    fn enter(&mut self, at: usize) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(JavaRegexError::Unsupported {
                construct: format!("groups or classes nested more than {MAX_DEPTH} deep"),
                offset: self.offset(at),
            });
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// The source text between two `temp` positions (for messages).
    fn text(&self, from: usize, to: usize) -> String {
        self.temp
            .get(from..to.min(self.len))
            .unwrap_or(&[])
            .iter()
            .collect()
    }

    // --- expressions ----------------------------------------------------------------------

    pub(crate) fn parse(&mut self) -> PResult<Node> {
        let node = self.expr()?;
        if self.cursor != self.len {
            if self.peek() == ')' {
                return Err(JavaRegexError::Invalid {
                    message: "Unmatched closing ')'".into(),
                    offset: Some(self.offset(self.cursor)),
                });
            }
            if self.cursor == self.len + 1 && self.len > 0 && self.at(self.len - 1) == '\\' {
                return Err(self.error("Unescaped trailing backslash"));
            }
            return Err(self.error("Unexpected internal error"));
        }
        Ok(node)
    }

    fn expr(&mut self) -> PResult<Node> {
        let mut alternatives = Vec::new();
        loop {
            alternatives.push(self.sequence()?);
            if self.peek() != '|' {
                break;
            }
            self.next();
        }
        Ok(if alternatives.len() == 1 {
            alternatives.pop().unwrap_or(Node::Empty)
        } else {
            Node::Alt(alternatives)
        })
    }

    fn sequence(&mut self) -> PResult<Node> {
        let mut items = Vec::new();
        loop {
            let before = self.cursor;
            let ch = self.peek();
            let node = match ch {
                '(' => {
                    if let Some(group) = self.group0()? {
                        items.push(group);
                    }
                    continue;
                }
                '[' => {
                    let p = self.clazz(true)?;
                    self.class_leaf(&p)?
                }
                '\\' => {
                    let ch = self.next_escaped();
                    if ch == 'p' || ch == 'P' {
                        self.property_escape(ch == 'P')?
                    } else {
                        self.unread();
                        self.atom()?
                    }
                }
                '^' => {
                    let offset = self.offset(self.cursor);
                    self.next();
                    if self.has(MULTILINE) {
                        let unix = self.has(UNIX_LINES);
                        Node::Anchor {
                            kind: Anchor::MultilineCaret { unix },
                            offset,
                        }
                    } else {
                        Node::Assert(r"\A")
                    }
                }
                '$' => {
                    let offset = self.offset(self.cursor);
                    self.next();
                    let unix = self.has(UNIX_LINES);
                    let kind = if self.has(MULTILINE) {
                        Anchor::MultilineDollar { unix }
                    } else {
                        Anchor::Dollar { unix }
                    };
                    Node::Anchor { kind, offset }
                }
                '.' => {
                    self.next();
                    if self.has(DOTALL) {
                        Node::Leaf {
                            re: "(?s:.)".into(),
                            mask: ALL,
                        }
                    } else if self.has(UNIX_LINES) {
                        Node::Leaf {
                            re: r"[^\n]".into(),
                            mask: ALL & !LF,
                        }
                    } else {
                        Node::Leaf {
                            re: r"[^\n\r\x{85}\x{2028}\x{2029}]".into(),
                            mask: 0,
                        }
                    }
                }
                '|' | ')' => break,
                '?' | '*' | '+' => {
                    self.next();
                    return Err(self.error(format!("Dangling meta character '{ch}'")));
                }
                '\0' if self.cursor >= self.len => break,
                _ => self.atom()?,
            };
            let node = self.closure(node)?;
            items.push(node);
            if self.cursor <= before {
                // Every branch above consumes; never loop forever if one did not.
                return Err(self.error("Unexpected internal error"));
            }
        }
        Ok(if items.len() == 1 {
            items.pop().unwrap_or(Node::Empty)
        } else {
            Node::Concat(items)
        })
    }

    /// A literal char, under the current case-insensitivity flags.
    fn literal(&self, c: u32) -> Node {
        let mask = range_mask(c, c);
        let re = if self.has(CASE_INSENSITIVE) && self.has(UNICODE_CASE) {
            match char::from_u32(c) {
                Some(ch) if ch.is_alphabetic() || !ch.is_ascii() => {
                    format!("(?i:{})", literal_re(c))
                }
                _ => literal_re(c),
            }
        } else if self.has(CASE_INSENSITIVE) && ascii_lower(c) != ascii_upper(c) {
            let (lo, up) = (ascii_lower(c), ascii_upper(c));
            format!("[{}{}]", literal_re(up), literal_re(lo))
        } else {
            literal_re(c)
        };
        Node::Leaf { re, mask }
    }

    /// Java's `atom()`, one char at a time (a quantifier binds to the last char anyway).
    fn atom(&mut self) -> PResult<Node> {
        let ch = self.peek();
        match ch {
            '*' | '+' | '?' | '{' | '$' | '.' | '^' | '(' | '[' | '|' | ')' => Ok(Node::Empty),
            '\\' => {
                let ch = self.next_escaped();
                if ch == 'p' || ch == 'P' {
                    return self.property_escape(ch == 'P');
                }
                self.unread();
                match self.escape(false, false)? {
                    Esc::Char(c) => Ok(self.literal(c)),
                    Esc::Set(p) => self.class_leaf(&p),
                    Esc::Node(n) => Ok(n),
                }
            }
            '\0' if self.cursor >= self.len => Ok(Node::Empty),
            _ => {
                self.next();
                Ok(self.literal(u32::from(ch)))
            }
        }
    }

    /// `\p…` / `\P…` outside a class; the cursor is on the `p`.
    fn property_escape(&mut self, complement: bool) -> PResult<Node> {
        let p = self.property_family(complement)?;
        self.class_leaf(&p)
    }

    /// Quantifiers after `prev`.
    fn closure(&mut self, prev: Node) -> PResult<Node> {
        let start = self.cursor;
        let (min, max) = match self.peek() {
            '?' => (0, Some(1)),
            '*' => (0, None),
            '+' => (1, None),
            '{' => {
                let mut ch = self.skip();
                if !ch.is_ascii_digit() {
                    return Err(self.error("Illegal repetition"));
                }
                let mut cmin: u32 = 0;
                loop {
                    cmin = push_digit(cmin, ch)
                        .ok_or_else(|| self.error("Illegal repetition range"))?;
                    ch = self.read();
                    if !ch.is_ascii_digit() {
                        break;
                    }
                }
                let cmax;
                if ch == ',' {
                    ch = self.read();
                    if ch == '}' {
                        self.unread();
                        let q = self.qtype(start);
                        return Ok(repeat(prev, cmin, None, q, self.offset(start)));
                    }
                    let mut m: u32 = 0;
                    while ch.is_ascii_digit() {
                        m = push_digit(m, ch)
                            .ok_or_else(|| self.error("Illegal repetition range"))?;
                        ch = self.read();
                    }
                    cmax = m;
                } else {
                    cmax = cmin;
                }
                if ch != '}' {
                    return Err(self.error("Unclosed counted closure"));
                }
                if cmax < cmin {
                    return Err(self.error("Illegal repetition range"));
                }
                self.unread();
                let q = self.qtype(start);
                return Ok(repeat(prev, cmin, Some(cmax), q, self.offset(start)));
            }
            _ => return Ok(prev),
        };
        let q = self.qtype(start);
        Ok(repeat(prev, min, max, q, self.offset(start)))
    }

    /// The `?`/`+` after a quantifier; the cursor is on the quantifier's last char.
    fn qtype(&mut self, start: usize) -> Quant {
        let ch = self.next();
        if ch == '?' {
            self.next();
            Quant::Lazy
        } else if ch == '+' {
            let text = self.text(start, self.cursor + 1);
            self.unsupported(format!("possessive quantifier `{text}`"), start);
            self.next();
            Quant::Possessive
        } else {
            Quant::Greedy
        }
    }
}

fn push_digit(n: u32, ch: char) -> Option<u32> {
    n.checked_mul(10)
        .and_then(|n| n.checked_add(digit_value(ch)))
        .filter(|n| i32::try_from(*n).is_ok())
}

fn repeat(node: Node, min: u32, max: Option<u32>, q: Quant, offset: usize) -> Node {
    Node::Repeat {
        node: Box::new(node),
        min,
        max,
        lazy: q == Quant::Lazy,
        offset,
    }
}
