//! Java (`java.util.regex.Pattern`) selection patterns, translated to the `regex` crate and
//! matched against the whole string, as API Gateway matches them (`Pattern.matches`).
//!
//! Translated: Java's ASCII `\d \w \s \b`, `.` (never matches a Java line terminator unless
//! DOTALL), `\Q…\E`, `\h \H \v \V \R`, `\Z`, `\e \a \cX \0ooo \uhhhh`, POSIX and `java*`
//! `\p{…}` classes, named groups, inline flags `i m s x`. Refused as
//! [`JavaRegexError::Unsupported`] (the `regex` crate cannot express them): lookaround,
//! atomic groups, backreferences, possessive quantifiers, `\G`.

use std::fmt;

/// Longest pattern accepted.
pub const MAX_PATTERN_LEN: usize = 64 * 1024;

/// A Java-syntax regex compiled for whole-string matching.
#[derive(Debug, Clone)]
pub struct JavaRegex {
    source: String,
    regex: regex::Regex,
}

impl JavaRegex {
    pub fn compile(java: &str) -> Result<JavaRegex, JavaRegexError> {
        let translated = translate(java)?;
        let regex = regex::RegexBuilder::new(&translated)
            .size_limit(1 << 20)
            .nest_limit(100)
            .build()
            .map_err(|e| JavaRegexError::Invalid {
                message: first_line(&e.to_string()),
                offset: None,
            })?;
        Ok(JavaRegex {
            source: java.to_string(),
            regex,
        })
    }

    /// Whole-string match, like Java's `Pattern.matches`.
    pub fn is_match(&self, text: &str) -> bool {
        self.regex.is_match(text)
    }

    /// The Java source.
    pub fn as_str(&self) -> &str {
        &self.source
    }
}

fn first_line(s: &str) -> String {
    s.lines()
        .rev()
        .find(|l| l.starts_with("error:"))
        .unwrap_or(s.lines().next().unwrap_or(""))
        .to_string()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JavaRegexError {
    /// Valid Java, but not expressible with the `regex` crate.
    Unsupported { construct: String, offset: usize },
    /// Not a valid regex.
    Invalid {
        message: String,
        offset: Option<usize>,
    },
}

impl fmt::Display for JavaRegexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JavaRegexError::Unsupported { construct, offset } => {
                write!(f, "{construct} at offset {offset} is not supported")
            }
            JavaRegexError::Invalid {
                message,
                offset: Some(o),
            } => write!(f, "{message} (at offset {o})"),
            JavaRegexError::Invalid {
                message,
                offset: None,
            } => f.write_str(message),
        }
    }
}

const LINE_TERMINATORS: &str = r"\n\r\x{85}\x{2028}\x{2029}";
const SPACE: &str = r" \t\n\x0B\x0C\r";
const HSPACE: &str = r" \t\xA0\x{1680}\x{180e}\x{2000}-\x{200a}\x{202f}\x{205f}\x{3000}";
const VSPACE: &str = r"\n\x0B\x0C\r\x{85}\x{2028}\x{2029}";

/// Translates a Java pattern into an anchored `regex`-crate pattern.
pub fn translate(java: &str) -> Result<String, JavaRegexError> {
    if java.len() > MAX_PATTERN_LEN {
        return Err(JavaRegexError::Invalid {
            message: format!("pattern longer than {MAX_PATTERN_LEN} bytes"),
            offset: None,
        });
    }
    let mut t = Translator {
        chars: java.chars().collect(),
        i: 0,
        out: String::with_capacity(java.len() + 16),
        flags: vec![Flags::default()],
    };
    t.out.push_str(r"\A(?:");
    t.sequence()?;
    if t.i < t.chars.len() {
        return Err(t.invalid("unmatched closing ')'"));
    }
    t.out.push_str(r")\z");
    Ok(t.out)
}

#[derive(Debug, Clone, Copy, Default)]
struct Flags {
    dotall: bool,
    multiline: bool,
}

struct Translator {
    chars: Vec<char>,
    i: usize,
    out: String,
    flags: Vec<Flags>,
}

impl Translator {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.i).copied()
    }

    fn peek_at(&self, k: usize) -> Option<char> {
        self.chars.get(self.i + k).copied()
    }

    fn invalid(&self, message: &str) -> JavaRegexError {
        JavaRegexError::Invalid {
            message: message.to_string(),
            offset: Some(self.i),
        }
    }

    fn unsupported(&self, construct: &str, at: usize) -> JavaRegexError {
        JavaRegexError::Unsupported {
            construct: construct.to_string(),
            offset: at,
        }
    }

    fn flags(&self) -> Flags {
        self.flags.last().copied().unwrap_or_default()
    }

    /// Alternatives up to a `)` (not consumed) or the end.
    fn sequence(&mut self) -> Result<(), JavaRegexError> {
        let mut can_quantify = false;
        while let Some(c) = self.peek() {
            match c {
                ')' => return Ok(()),
                '|' => {
                    self.i += 1;
                    self.out.push('|');
                    can_quantify = false;
                }
                '*' | '+' | '?' | '{' => {
                    if !can_quantify {
                        return Err(if c == '{' {
                            self.invalid("illegal repetition")
                        } else {
                            self.invalid(&format!("dangling meta character '{c}'"))
                        });
                    }
                    self.quantifier()?;
                    can_quantify = false;
                }
                '(' => {
                    self.group()?;
                    can_quantify = true;
                }
                '[' => {
                    self.i += 1;
                    let class = self.class()?;
                    self.out.push_str(&class);
                    can_quantify = true;
                }
                '.' => {
                    self.i += 1;
                    if self.flags().dotall {
                        self.out.push_str("(?s:.)");
                    } else {
                        self.out.push_str(&format!("[^{LINE_TERMINATORS}]"));
                    }
                    can_quantify = true;
                }
                '^' => {
                    self.i += 1;
                    self.out.push_str(if self.flags().multiline {
                        "(?m:^)"
                    } else {
                        r"\A"
                    });
                    can_quantify = false;
                }
                '$' => {
                    self.i += 1;
                    self.out.push_str(if self.flags().multiline {
                        "(?m:$)"
                    } else {
                        r"\z"
                    });
                    can_quantify = false;
                }
                '\\' => {
                    can_quantify = self.escape()?;
                }
                c => {
                    self.i += 1;
                    self.out.push_str(&regex::escape(&c.to_string()));
                    can_quantify = true;
                }
            }
        }
        Ok(())
    }

    fn quantifier(&mut self) -> Result<(), JavaRegexError> {
        let start = self.i;
        let c = self.peek().unwrap_or('*');
        self.i += 1;
        if c == '{' {
            let mut body = String::new();
            loop {
                match self.peek() {
                    Some('}') => {
                        self.i += 1;
                        break;
                    }
                    Some(d) if d.is_ascii_digit() || d == ',' => {
                        body.push(d);
                        self.i += 1;
                    }
                    _ => {
                        return Err(JavaRegexError::Invalid {
                            message: "illegal repetition".into(),
                            offset: Some(start),
                        })
                    }
                }
            }
            let valid = match body.split_once(',') {
                None => !body.is_empty(),
                Some((lo, hi)) => !lo.is_empty() && !hi.contains(','),
            };
            if !valid {
                return Err(JavaRegexError::Invalid {
                    message: format!("illegal repetition {{{body}}}"),
                    offset: Some(start),
                });
            }
            self.out.push('{');
            self.out.push_str(&body);
            self.out.push('}');
        } else {
            self.out.push(c);
        }
        match self.peek() {
            Some('?') => {
                self.i += 1;
                self.out.push('?');
            }
            Some('+') => return Err(self.unsupported("possessive quantifier", self.i)),
            _ => {}
        }
        Ok(())
    }

    fn group(&mut self) -> Result<(), JavaRegexError> {
        let start = self.i;
        self.i += 1; // '('
        let mut scoped = self.flags();
        if self.peek() == Some('?') {
            self.i += 1;
            match self.peek() {
                Some(':') => {
                    self.i += 1;
                    self.out.push_str("(?:");
                }
                Some('=') => return Err(self.unsupported("lookahead `(?=`", start)),
                Some('!') => return Err(self.unsupported("negative lookahead `(?!`", start)),
                Some('>') => return Err(self.unsupported("atomic group `(?>`", start)),
                Some('<') => match self.peek_at(1) {
                    Some('=') => return Err(self.unsupported("lookbehind `(?<=`", start)),
                    Some('!') => return Err(self.unsupported("negative lookbehind `(?<!`", start)),
                    _ => {
                        self.i += 1;
                        let mut name = String::new();
                        while let Some(c) = self.peek() {
                            self.i += 1;
                            if c == '>' {
                                break;
                            }
                            name.push(c);
                        }
                        let ok = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                            && name.chars().all(|c| c.is_ascii_alphanumeric());
                        if !ok {
                            return Err(JavaRegexError::Invalid {
                                message: format!("bad group name `{name}`"),
                                offset: Some(start),
                            });
                        }
                        self.out.push_str(&format!("(?P<{name}>"));
                    }
                },
                _ => {
                    // Inline flags: (?imsx-imsx) or (?imsx-imsx:...)
                    let mut on = true;
                    let mut spec = String::new();
                    loop {
                        match self.peek() {
                            Some(')') => {
                                self.i += 1;
                                if let Some(top) = self.flags.last_mut() {
                                    *top = scoped;
                                }
                                if !spec.is_empty() {
                                    self.out.push_str(&format!("(?{spec})"));
                                }
                                return Ok(());
                            }
                            Some(':') => {
                                self.i += 1;
                                self.out.push_str(&format!("(?{spec}:"));
                                break;
                            }
                            Some('-') => {
                                on = false;
                                spec.push('-');
                                self.i += 1;
                            }
                            Some(f @ ('i' | 'x')) => {
                                spec.push(f);
                                self.i += 1;
                            }
                            Some('s') => {
                                scoped.dotall = on;
                                self.i += 1;
                            }
                            Some('m') => {
                                scoped.multiline = on;
                                self.i += 1;
                            }
                            Some(f @ ('d' | 'u' | 'U' | 'c')) => {
                                return Err(self.unsupported(&format!("inline flag `{f}`"), start))
                            }
                            _ => {
                                return Err(JavaRegexError::Invalid {
                                    message: "unknown inline modifier".into(),
                                    offset: Some(self.i),
                                })
                            }
                        }
                    }
                }
            }
        } else {
            self.out.push('(');
        }
        self.flags.push(scoped);
        self.sequence()?;
        self.flags.pop();
        if self.peek() != Some(')') {
            return Err(JavaRegexError::Invalid {
                message: "unclosed group".into(),
                offset: Some(start),
            });
        }
        self.i += 1;
        self.out.push(')');
        Ok(())
    }

    /// An escape outside a class; returns whether it can be quantified.
    fn escape(&mut self) -> Result<bool, JavaRegexError> {
        let start = self.i;
        self.i += 1;
        let Some(c) = self.peek() else {
            return Err(self.invalid("unexpected end after '\\'"));
        };
        match c {
            'b' | 'B' => {
                self.i += 1;
                self.out
                    .push_str(if c == 'b' { r"(?-u:\b)" } else { r"(?-u:\B)" });
                Ok(false)
            }
            'A' => {
                self.i += 1;
                self.out.push_str(r"\A");
                Ok(false)
            }
            'z' | 'Z' => {
                self.i += 1;
                self.out.push_str(r"\z");
                Ok(false)
            }
            'G' => Err(self.unsupported("`\\G`", start)),
            'R' => {
                self.i += 1;
                self.out.push_str(&format!(r"(?:\r\n|[{VSPACE}])"));
                Ok(true)
            }
            'Q' => {
                self.i += 1;
                let lit = self.quoted();
                self.out.push_str(&format!("(?:{})", regex::escape(&lit)));
                Ok(true)
            }
            'E' => {
                // A stray \E is ignored by Java.
                self.i += 1;
                Ok(false)
            }
            '1'..='9' => Err(self.unsupported("backreference", start)),
            'k' if self.peek_at(1) == Some('<') => {
                Err(self.unsupported("named backreference `\\k<…>`", start))
            }
            _ => {
                let piece = self.class_escape(start)?;
                self.out.push_str(&piece.as_atom());
                Ok(true)
            }
        }
    }

    /// Escapes valid both inside and outside classes. `self.i` is at the char after `\`.
    fn class_escape(&mut self, start: usize) -> Result<Piece, JavaRegexError> {
        let Some(c) = self.peek() else {
            return Err(self.invalid("unexpected end after '\\'"));
        };
        self.i += 1;
        let set = |body: &str, negated: bool| {
            Ok(Piece::Set {
                body: body.to_string(),
                negated,
            })
        };
        match c {
            'd' => set("0-9", false),
            'D' => set("0-9", true),
            'w' => set("a-zA-Z_0-9", false),
            'W' => set("a-zA-Z_0-9", true),
            's' => set(SPACE, false),
            'S' => set(SPACE, true),
            'h' => set(HSPACE, false),
            'H' => set(HSPACE, true),
            'v' => set(VSPACE, false),
            'V' => set(VSPACE, true),
            't' => Ok(Piece::Char('\t')),
            'n' => Ok(Piece::Char('\n')),
            'r' => Ok(Piece::Char('\r')),
            'f' => Ok(Piece::Char('\u{c}')),
            'a' => Ok(Piece::Char('\u{7}')),
            'e' => Ok(Piece::Char('\u{1b}')),
            'c' => {
                let x = self
                    .peek()
                    .ok_or_else(|| self.invalid("illegal control escape"))?;
                self.i += 1;
                char::from_u32((x as u32) ^ 64)
                    .map(Piece::Char)
                    .ok_or_else(|| self.invalid("illegal control escape"))
            }
            '0' => {
                let mut v = 0u32;
                let mut n = 0;
                while let Some(d) = self.peek().and_then(|d| d.to_digit(8)) {
                    if n == 3 || v * 8 + d > 0o377 {
                        break;
                    }
                    v = v * 8 + d;
                    n += 1;
                    self.i += 1;
                }
                if n == 0 {
                    return Err(self.invalid("illegal octal escape"));
                }
                char::from_u32(v)
                    .map(Piece::Char)
                    .ok_or_else(|| self.invalid("illegal octal escape"))
            }
            'x' => {
                let hex: String = if self.peek() == Some('{') {
                    self.i += 1;
                    let mut h = String::new();
                    loop {
                        match self.peek() {
                            Some('}') => {
                                self.i += 1;
                                break;
                            }
                            Some(d) if d.is_ascii_hexdigit() => {
                                h.push(d);
                                self.i += 1;
                            }
                            _ => return Err(self.invalid("illegal hexadecimal escape")),
                        }
                    }
                    h
                } else {
                    self.take_hex(2)?
                };
                u32::from_str_radix(&hex, 16)
                    .ok()
                    .and_then(char::from_u32)
                    .map(Piece::Char)
                    .ok_or_else(|| self.invalid("illegal hexadecimal escape"))
            }
            'u' => {
                let hex = self.take_hex(4)?;
                u32::from_str_radix(&hex, 16)
                    .ok()
                    .and_then(char::from_u32)
                    .map(Piece::Char)
                    .ok_or_else(|| self.invalid("illegal Unicode escape"))
            }
            'p' | 'P' => self.property(c == 'P', start),
            c if c.is_ascii_alphanumeric() => Err(JavaRegexError::Invalid {
                message: format!("illegal/unsupported escape sequence `\\{c}`"),
                offset: Some(start),
            }),
            c => Ok(Piece::Char(c)),
        }
    }

    /// The literal text after `\Q`, up to `\E` or the end (which it consumes).
    fn quoted(&mut self) -> String {
        let mut lit = String::new();
        while let Some(c) = self.peek() {
            if c == '\\' && self.peek_at(1) == Some('E') {
                self.i += 2;
                break;
            }
            lit.push(c);
            self.i += 1;
        }
        lit
    }

    fn take_hex(&mut self, n: usize) -> Result<String, JavaRegexError> {
        let mut h = String::new();
        for _ in 0..n {
            match self.peek() {
                Some(d) if d.is_ascii_hexdigit() => {
                    h.push(d);
                    self.i += 1;
                }
                _ => return Err(self.invalid("illegal hexadecimal escape")),
            }
        }
        Ok(h)
    }

    fn property(&mut self, negated: bool, start: usize) -> Result<Piece, JavaRegexError> {
        let name: String = if self.peek() == Some('{') {
            self.i += 1;
            let mut n = String::new();
            loop {
                match self.peek() {
                    Some('}') => {
                        self.i += 1;
                        break;
                    }
                    Some(c) => {
                        n.push(c);
                        self.i += 1;
                    }
                    None => {
                        return Err(JavaRegexError::Invalid {
                            message: "unclosed character family".into(),
                            offset: Some(start),
                        })
                    }
                }
            }
            n
        } else {
            let c = self
                .peek()
                .ok_or_else(|| self.invalid("illegal character family"))?;
            self.i += 1;
            c.to_string()
        };
        let ascii = |body: &str| {
            Ok(Piece::Set {
                body: body.to_string(),
                negated,
            })
        };
        let unicode = |prop: &str| {
            Ok(Piece::Prop {
                name: prop.to_string(),
                negated,
            })
        };
        match name.as_str() {
            "Lower" => ascii("a-z"),
            "Upper" => ascii("A-Z"),
            "ASCII" => ascii(r"\x00-\x7F"),
            "Alpha" => ascii("a-zA-Z"),
            "Digit" => ascii("0-9"),
            "Alnum" => ascii("a-zA-Z0-9"),
            "Punct" | "Graph" | "Print" => {
                let punct = r"!-/:-@\[-`\{-~";
                match name.as_str() {
                    "Punct" => ascii(punct),
                    "Graph" => ascii(r"!-~"),
                    _ => ascii(r"\x20-~"),
                }
            }
            "Blank" => ascii(r" \t"),
            "Cntrl" => ascii(r"\x00-\x1F\x7F"),
            "XDigit" => ascii("0-9a-fA-F"),
            "Space" => ascii(SPACE),
            "javaLowerCase" => unicode("Lowercase"),
            "javaUpperCase" => unicode("Uppercase"),
            "javaWhitespace" => unicode("White_Space"),
            "javaAlphabetic" | "IsAlphabetic" => unicode("Alphabetic"),
            "javaLetter" => unicode("L"),
            "javaDigit" => unicode("Nd"),
            "javaLetterOrDigit" => Ok(Piece::Set {
                body: r"\p{L}\p{Nd}".into(),
                negated,
            }),
            other => {
                let bare = other.strip_prefix("Is").unwrap_or(other);
                let known = regex::Regex::new(&format!(r"\p{{{bare}}}")).is_ok()
                    && !bare.starts_with("In")
                    && !bare.starts_with("java");
                if known {
                    unicode(bare)
                } else {
                    Err(self.unsupported(&format!("character property `\\p{{{other}}}`"), start))
                }
            }
        }
    }

    /// A character class; `self.i` is just after `[`. Returns `[...]` in regex syntax.
    fn class(&mut self) -> Result<String, JavaRegexError> {
        let start = self.i.saturating_sub(1);
        let mut out = String::from("[");
        if self.peek() == Some('^') {
            self.i += 1;
            out.push('^');
        }
        let mut empty = true;
        loop {
            let Some(c) = self.peek() else {
                return Err(JavaRegexError::Invalid {
                    message: "unclosed character class".into(),
                    offset: Some(start),
                });
            };
            match c {
                ']' if !empty => {
                    self.i += 1;
                    out.push(']');
                    return Ok(out);
                }
                '[' => {
                    self.i += 1;
                    let inner = self.class()?;
                    out.push_str(&inner);
                }
                '&' if self.peek_at(1) == Some('&') => {
                    self.i += 2;
                    out.push_str("&&");
                    empty = true;
                    continue;
                }
                _ => {
                    let first = self.class_atom()?;
                    if self.peek() == Some('-')
                        && self.peek_at(1).is_some_and(|n| n != ']' && n != '[')
                    {
                        let Piece::Char(lo) = first else {
                            return Err(self.invalid("illegal character range"));
                        };
                        self.i += 1;
                        let hi = match self.class_atom()? {
                            Piece::Char(hi) => hi,
                            _ => return Err(self.invalid("illegal character range")),
                        };
                        if hi < lo {
                            return Err(JavaRegexError::Invalid {
                                message: format!("illegal character range {lo}-{hi}"),
                                offset: Some(self.i),
                            });
                        }
                        out.push_str(&class_char(lo));
                        out.push('-');
                        out.push_str(&class_char(hi));
                    } else {
                        out.push_str(&first.in_class());
                    }
                }
            }
            empty = false;
        }
    }

    /// One char or escape inside a class.
    fn class_atom(&mut self) -> Result<Piece, JavaRegexError> {
        let start = self.i;
        let Some(c) = self.peek() else {
            return Err(self.invalid("unclosed character class"));
        };
        if c == '\\' {
            self.i += 1;
            if self.peek() == Some('Q') {
                self.i += 1;
                let lit = self.quoted();
                return Ok(Piece::Set {
                    body: lit.chars().map(class_char).collect(),
                    negated: false,
                });
            }
            if matches!(
                self.peek(),
                Some('b' | 'B' | 'A' | 'z' | 'Z' | 'G' | 'R' | 'E')
            ) || self.peek().is_some_and(|d| ('1'..='9').contains(&d))
            {
                return Err(JavaRegexError::Invalid {
                    message: "illegal escape in a character class".into(),
                    offset: Some(start),
                });
            }
            return self.class_escape(start);
        }
        self.i += 1;
        Ok(Piece::Char(c))
    }
}

/// A translated escape or class member.
enum Piece {
    Char(char),
    /// Members of a set, in class-body syntax.
    Set {
        body: String,
        negated: bool,
    },
    /// A Unicode property name for `\p{…}`.
    Prop {
        name: String,
        negated: bool,
    },
}

impl Piece {
    fn as_atom(&self) -> String {
        match self {
            Piece::Char(c) => regex::escape(&c.to_string()),
            Piece::Set { body, negated } => format!("[{}{body}]", if *negated { "^" } else { "" }),
            Piece::Prop { name, negated } => {
                format!("\\{}{{{name}}}", if *negated { 'P' } else { 'p' })
            }
        }
    }

    fn in_class(&self) -> String {
        match self {
            Piece::Char(c) => class_char(*c),
            Piece::Set {
                body,
                negated: false,
            } => body.clone(),
            Piece::Set { .. } | Piece::Prop { .. } => self.as_atom(),
        }
    }
}

/// A literal char inside a class, escaped so `-`, `&&`, `~~`, `[` etc. stay literal.
fn class_char(c: char) -> String {
    match c {
        '\\' | '[' | ']' | '^' | '-' | '&' | '~' => format!("\\{c}"),
        '\n' => r"\n".into(),
        '\r' => r"\r".into(),
        '\t' => r"\t".into(),
        c if c.is_control() => format!("\\x{{{:x}}}", c as u32),
        c => c.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, s: &str) -> bool {
        JavaRegex::compile(p)
            .unwrap_or_else(|e| panic!("{p}: {e}"))
            .is_match(s)
    }

    fn unsupported(p: &str) -> usize {
        match JavaRegex::compile(p) {
            Err(JavaRegexError::Unsupported { offset, .. }) => offset,
            other => panic!("{p}: {other:?}"),
        }
    }

    fn invalid(p: &str) {
        assert!(
            matches!(JavaRegex::compile(p), Err(JavaRegexError::Invalid { .. })),
            "{p} should be invalid"
        );
    }

    #[test]
    fn whole_string_semantics() {
        assert!(m(r"4\d{2}", "404"));
        assert!(!m(r"4\d{2}", "4040"));
        assert!(!m(r"4\d{2}", "x404"));
        assert!(!m("Invalid*", "Invalid input"));
        assert!(m("Invalid.*", "Invalid input"));
        assert!(!m(".+", "a\nb"));
        assert!(!m(".+", "a\rb"));
        assert!(!m(".+", "a\u{2028}b"));
        assert!(m(r"(\n|.)*", "a\nb"));
        assert!(m("(?s).+", "a\nb"));
        assert!(m(".*404.*", "foo 404 bar"));
        assert!(m(r"2\d{2}", "200"));
        assert!(m(r"5\d{2}", "503"));
        assert!(m("a|b", "b"));
        assert!(!m("a|b", "ab"));
        assert!(m("", ""));
    }

    #[test]
    fn java_classes_are_ascii() {
        assert!(!m(r"\d", "٣"));
        assert!(!m(r"\w+", "héllo"));
        assert!(m(r"\s", "\u{b}"));
        assert!(!m(r"\s", "\u{a0}"));
        assert!(m(r"\h", "\u{a0}"));
        assert!(m(r"[^a]", "b"));
        assert!(!m(r"[^a]", "a"));
        assert!(m(r"[\d-]+", "1-2"));
        assert!(m(r"[a-c&&[^b]]+", "ac"));
        assert!(!m(r"[a-c&&[^b]]+", "abc"));
        assert!(m(r"\p{Alpha}+", "abZ"));
        assert!(!m(r"\p{Alpha}", "é"));
        assert!(m(r"\p{Lu}", "É"));
        assert!(m(r"\p{IsLatin}", "é"));
        assert!(m(r"\p{javaLowerCase}", "é"));
        assert!(m(r"[~-]+", "~-"));
        assert!(m(r"[a\-z]+", "-az"));
        assert!(!m(r"[a\-z]", "b"));
        assert!(m(r"\bfoo\b.*", "foo bar"));
    }

    #[test]
    fn quoting_escapes_and_groups() {
        assert!(m(r"\Q.*\E", ".*"));
        assert!(!m(r"\Q.*\E", "ab"));
        assert!(m(r"a\Q(b", "a(b"));
        assert!(m(r"\u0041\x42\x{43}\0104\t", "ABCD\t"));
        assert!(m(r"\cA", "\u{1}"));
        assert!(m(r"(?<code>\d+)-x", "12-x"));
        assert!(m("(?i)abc", "ABC"));
        assert!(m("(?i:a)b", "Ab"));
        assert!(!m("(?i:a)b", "AB"));
        assert!(m(r"\<\>", "<>"));
        assert!(m(r"a{2,}?", "aaa"));
        assert!(m(r"\R", "\r\n"));
        assert!(m(r"^abc$", "abc"));
        assert!(m(r"(?m)a$\nb", "a\nb"));
    }

    #[test]
    fn unsupported_constructs_report_their_offset() {
        assert_eq!(unsupported(r"(?!2)\d+"), 0);
        assert_eq!(unsupported(r"a(?=b)"), 1);
        assert_eq!(unsupported(r"a(?<=b)"), 1);
        assert_eq!(unsupported(r"a(?<!b)"), 1);
        assert_eq!(unsupported(r"(?>ab)"), 0);
        assert_eq!(unsupported(r"(a)\1"), 3);
        assert_eq!(unsupported(r"(?<n>a)\k<n>"), 7);
        assert_eq!(unsupported(r"a*+"), 2);
        assert_eq!(unsupported(r"a{2}+"), 4);
        assert_eq!(unsupported(r"\Ga"), 0);
        assert_eq!(unsupported(r"(?d)a"), 0);
        assert_eq!(unsupported(r"\p{InGreek}"), 0);
    }

    #[test]
    fn invalid_patterns() {
        for p in [
            r"(4\d{2}",
            r"4\d{2",
            r"a)",
            r"*a",
            r"a**",
            r"[abc",
            r"[z-a]",
            r"\",
            r"\y",
            "a{",
            "a{,2}",
            r"(?<1a>x)",
            r"\x{zz}",
            r"[\b]",
            "(?q)",
        ] {
            invalid(p);
        }
        assert!(matches!(
            JavaRegex::compile(&"a".repeat(MAX_PATTERN_LEN + 1)),
            Err(JavaRegexError::Invalid { .. })
        ));
        // Too big for the compiled-size limit rather than exhausting memory.
        invalid(r"(\w{1000}){1000}");
    }

    #[test]
    fn arbitrary_patterns_never_panic() {
        let alphabet: Vec<char> = r"ab\d.*+?{}[]()^$|-&~:=!<>PQEpkuxc0123,sS"
            .chars()
            .collect();
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..3000 {
            let mut p = String::new();
            let len = (state % 12) as usize;
            for _ in 0..len {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                p.push(alphabet[(state % alphabet.len() as u64) as usize]);
            }
            if let Ok(r) = JavaRegex::compile(&p) {
                let _ = r.is_match("ab1");
            }
        }
    }
}
