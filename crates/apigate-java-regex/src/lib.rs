//! Java (`java.util.regex.Pattern`) selection patterns, translated to the `regex` crate and
//! matched against the whole string, as API Gateway matches them (`Pattern.matches`).
//!
//! The parser is a port of the JDK's own (`Pattern.java`, checked against OpenJDK 17 and 25),
//! so it accepts and rejects what Java does, with Java's error messages and its quirks:
//! `\Q…\E` is expanded before parsing (`\Qab\E*` repeats only the `b`), a quantifier with
//! nothing before it repeats the empty string (`a{2}{3}`), `]` and `}` outside a class and
//! `]` first in a class are literals, `&&` binds loosest in a class (and Java's shared bit set
//! is honoured), and an inline flag lasts until its enclosing group closes. Flags are applied
//! during translation rather than handed to the `regex` crate.
//!
//! Translated exactly:
//! * whole-string matching, as `\A(?:…)\z`;
//! * `.` never matches a Java line terminator (`\n \r \u0085 \u2028 \u2029`, only `\n` under
//!   `(?d)`) unless `(?s)`; `^` and `$` outside `(?m)` are `\A` and `\z`, `\Z` is `$`;
//! * Java's ASCII `\d \w \s \b \B` and POSIX classes (`\p{Alpha}`…), `\h \H \v \V \R`, `\t \n
//!   \r \f \a \e \cX \0ooo \xhh \x{h…} \uhhhh` (surrogate pairs combine; a lone surrogate
//!   matches nothing), escaped punctuation;
//! * categories (`\p{Lu}`, `\pL`, `\p{IsL}`, `\p{gc=Lu}`), scripts (`\p{IsLatin}`,
//!   `\p{sc=Grek}`), binary properties (`\p{IsAlphabetic}`, `\p{IsWhite_Space}`, …) and the
//!   `\p{java…}` classes;
//! * classes with ranges, negation, nesting and `&&` intersection;
//! * inline flags `i d m s u x U`, on and off, global or scoped (`(?i:…)`): `(?i)` folds ASCII
//!   only, as in Java; `(?x)` comments; `(?U)` gives `\d \w \s \b` and the POSIX classes their
//!   Unicode meaning;
//! * groups (capturing, `(?:…)`, named `(?<name>…)`), greedy and lazy `? * + {n} {n,} {n,m}`.
//!
//! Refused as [`JavaRegexError::Unsupported`], because the `regex` crate has no equivalent:
//! lookahead and lookbehind, atomic groups, backreferences (`\1`, `\k<name>`), possessive
//! quantifiers, `\G`, `\X`, `\b{g}`, `\N{…}`, Unicode blocks (`\p{InGreek}`), the `c` flag
//! (CANON_EQ), nesting deeper than 32, patterns that compile to more than 1 MiB — and the few
//! patterns where a literal translation would match differently from Java, found by looking
//! at what can come next to the construct (conservatively): a `$` followed by pattern that
//! can consume the final line terminator (Java's `a$\n` matches "a\n"); `(?m)` anchors next to
//! U+0085, U+2028 or U+2029, or a `(?m)^` that could sit at the very end; a quantified `\R`
//! followed by pattern that can match `\n` (Java does not backtrack into it); a group
//! repeated at least twice that can match nothing at some positions only (Java stops a loop
//! after an empty iteration).
//!
//! Known differences left: `\b` is JDK 19+'s ASCII word boundary (JDK 8 to 18 also counted
//! Unicode letters and digits as word chars) and ignores Java's rule that a non-spacing mark
//! after a letter is a word char; in `(?iu)` mode a class that lists chars is folded as a
//! whole, so its predefined members fold too (`(?iu)[\w-]` matches U+212A KELVIN SIGN, Java's
//! does not); Unicode properties use the `regex` crate's tables (its Unicode version).

use std::fmt;
use std::sync::Arc;

/// Longest Java pattern accepted, in bytes.
pub const MAX_PATTERN_LEN: usize = 64 * 1024;
/// Limit on the compiled program, so hostile patterns are refused rather than exhausting memory.
const SIZE_LIMIT: usize = 1 << 20;
/// The `regex` crate's nesting limit; [`MAX_DEPTH`] keeps translated patterns well inside it.
const NEST_LIMIT: u32 = 128;
/// Deepest nesting of Java groups and classes (and of class operators) translated.
const MAX_DEPTH: usize = 32;
/// Longest translated pattern.
const MAX_TRANSLATED_LEN: usize = 1 << 20;

/// A Java-syntax regex compiled for whole-string matching.
///
/// Cloning shares the compiled pattern: a definition repeats the same few selection
/// patterns on every method, and a `regex::Regex` clone costs allocations of its own.
#[derive(Clone)]
pub struct JavaRegex(Arc<Compiled>);

struct Compiled {
    source: String,
    regex: regex::Regex,
}

impl fmt::Debug for JavaRegex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JavaRegex")
            .field("source", &self.0.source)
            .field("regex", &self.0.regex)
            .finish()
    }
}

impl JavaRegex {
    /// Translates and compiles a Java pattern.
    pub fn compile(java: &str) -> Result<JavaRegex, JavaRegexError> {
        let translated = translate(java)?;
        let regex = regex::RegexBuilder::new(&translated)
            .size_limit(SIZE_LIMIT)
            .nest_limit(NEST_LIMIT)
            .build()
            .map_err(|e| match e {
                regex::Error::CompiledTooBig(limit) => JavaRegexError::Unsupported {
                    construct: format!(
                        "a pattern too large to compile (over the {} KiB limit)",
                        limit / 1024
                    ),
                    offset: 0,
                },
                other => JavaRegexError::Invalid {
                    message: regex_error_message(&other.to_string()),
                    offset: None,
                },
            })?;
        Ok(JavaRegex(Arc::new(Compiled {
            source: java.to_string(),
            regex,
        })))
    }

    /// Whole-string match, like Java's `Pattern.matches`.
    pub fn is_match(&self, text: &str) -> bool {
        self.0.regex.is_match(text)
    }

    /// The Java source.
    pub fn as_str(&self) -> &str {
        &self.0.source
    }
}

/// The useful line of a `regex` crate error (which quotes the translated pattern, not the
/// Java one).
fn regex_error_message(s: &str) -> String {
    s.lines()
        .rev()
        .find_map(|l| l.strip_prefix("error: "))
        .unwrap_or_else(|| s.lines().next().unwrap_or("invalid regex"))
        .to_string()
}

/// Why a Java pattern cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JavaRegexError {
    /// Valid in Java but not expressible with the regex crate (lookaround, backreference,
    /// possessive quantifier, atomic group, …). `construct` names it, e.g. "lookahead `(?=`";
    /// `offset` is the char offset where it starts in the Java pattern.
    Unsupported { construct: String, offset: usize },
    /// Not a valid regex at all (the message says why; offset = char offset if known).
    Invalid {
        message: String,
        offset: Option<usize>,
    },
}

impl fmt::Display for JavaRegexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JavaRegexError::Unsupported { construct, offset } => {
                write!(f, "{construct} is not supported (at offset {offset})")
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

impl std::error::Error for JavaRegexError {}

/// Translates a Java pattern into a `regex`-crate pattern anchored as `\A(?:…)\z`.
pub fn translate(java: &str) -> Result<String, JavaRegexError> {
    if java.len() > MAX_PATTERN_LEN {
        return Err(JavaRegexError::Invalid {
            message: format!("pattern longer than {MAX_PATTERN_LEN} bytes"),
            offset: None,
        });
    }
    let mut parser = Parser::new(java);
    let node = parser.parse()?;
    if let Some(e) = parser.unsupported {
        return Err(e);
    }
    check_exactness(&node)?;
    let mut out = String::with_capacity(java.len() * 2 + 16);
    out.push_str(r"\A(?:");
    emit(&node, &mut out);
    out.push_str(r")\z");
    if out.len() > MAX_TRANSLATED_LEN {
        return Err(JavaRegexError::Unsupported {
            construct: format!(
                "a pattern whose translation is over {} KiB",
                MAX_TRANSLATED_LEN / 1024
            ),
            offset: 0,
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Flags and line terminators.

// `java.util.regex.Pattern` flag values.
const UNIX_LINES: u32 = 0x01;
const CASE_INSENSITIVE: u32 = 0x02;
const COMMENTS: u32 = 0x04;
const MULTILINE: u32 = 0x08;
const DOTALL: u32 = 0x20;
const UNICODE_CASE: u32 = 0x40;
const CANON_EQ: u32 = 0x80;
const UNICODE_CHARACTER_CLASS: u32 = 0x100;

// Which Java line terminators a pattern piece can match, as a bit set.
const LF: u8 = 1;
const CR: u8 = 2;
const NEL: u8 = 4;
const LS: u8 = 8;
const PS: u8 = 16;
const CC: u8 = LF | CR | NEL;
const ALL: u8 = LF | CR | NEL | LS | PS;
const TERMINATORS: [(u32, u8); 5] = [
    (0x0A, LF),
    (0x0D, CR),
    (0x85, NEL),
    (0x2028, LS),
    (0x2029, PS),
];

fn range_mask(lo: u32, hi: u32) -> u8 {
    TERMINATORS
        .iter()
        .filter(|(c, _)| (lo..=hi).contains(c))
        .fold(0, |m, (_, b)| m | b)
}

/// A class matching nothing (what a lone surrogate matches in a Rust string).
const NEVER: &str = r"[^\x{0}-\x{10FFFF}]";

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\u{b}' | '\u{c}' | '\r')
}

fn is_octal(c: char) -> bool {
    ('0'..='7').contains(&c)
}

fn digit_value(c: char) -> u32 {
    c.to_digit(16).unwrap_or(0)
}

fn ascii_upper(c: u32) -> u32 {
    if (u32::from(b'a')..=u32::from(b'z')).contains(&c) {
        c - 0x20
    } else {
        c
    }
}

fn ascii_lower(c: u32) -> u32 {
    if (u32::from(b'A')..=u32::from(b'Z')).contains(&c) {
        c + 0x20
    } else {
        c
    }
}

/// A code point as a `regex` literal outside a class.
fn literal_re(c: u32) -> String {
    match char::from_u32(c) {
        None => NEVER.to_string(),
        Some(ch) if ch.is_ascii_alphanumeric() => ch.to_string(),
        Some(ch) if ch.is_ascii_graphic() => regex::escape(&ch.to_string()),
        Some(ch) if !ch.is_ascii() && ch.is_alphanumeric() => ch.to_string(),
        Some(_) => format!("\\x{{{c:X}}}"),
    }
}

/// A code point as a member of a `regex` class (never a lone surrogate).
fn class_char_re(c: u32, out: &mut String) {
    match char::from_u32(c) {
        Some(ch) if ch.is_alphanumeric() => out.push(ch),
        _ => out.push_str(&format!("\\x{{{c:X}}}")),
    }
}

/// Appends the range `lo..=hi` as class members, minus the surrogates.
fn push_range(lo: u32, hi: u32, out: &mut String) {
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

// ---------------------------------------------------------------------------------------------
// The translated tree.

/// A translated pattern piece.
#[derive(Debug)]
enum Node {
    /// Matches the empty string (a quantifier with nothing before it, `(?i)`-only groups).
    Empty,
    /// Consumes one char (two for `\R`'s `\r\n`); `re` is a single `regex` atom.
    Leaf {
        re: String,
        mask: u8,
    },
    /// A zero-width assertion other than `^` and `$`.
    Assert(&'static str),
    /// `\R`: `\r\n` or one vertical whitespace char.
    LineBreak {
        offset: usize,
    },
    /// `^` and `$` under MULTILINE, `$` and `\Z` without; see [`check_exactness`].
    Anchor {
        kind: Anchor,
        offset: usize,
    },
    Concat(Vec<Node>),
    Alt(Vec<Node>),
    Group {
        open: String,
        body: Box<Node>,
    },
    Repeat {
        node: Box<Node>,
        min: u32,
        max: Option<u32>,
        lazy: bool,
        offset: usize,
    },
}

#[derive(Debug, Clone, Copy)]
enum Anchor {
    /// Java's `$` without MULTILINE, and `\Z`: the end of the input or before a final line
    /// terminator (only `\n` under UNIX_LINES). Translated as `\z`.
    Dollar { unix: bool },
    /// `$` under MULTILINE: before any line terminator (not inside `\r\n`) or at the end.
    MultilineDollar { unix: bool },
    /// `^` under MULTILINE: at the start or after a line terminator (not inside `\r\n`),
    /// but never at the very end of the input.
    MultilineCaret { unix: bool },
}

fn emit(node: &Node, out: &mut String) {
    match node {
        Node::Empty => {}
        Node::Leaf { re, .. } => out.push_str(re),
        Node::Assert(a) => out.push_str(a),
        Node::LineBreak { .. } => out.push_str(LINE_BREAK),
        Node::Anchor { kind, .. } => out.push_str(match kind {
            Anchor::Dollar { .. } => r"\z",
            Anchor::MultilineDollar { unix: true } => "(?m:$)",
            Anchor::MultilineDollar { unix: false } => "(?mR:$)",
            Anchor::MultilineCaret { unix: true } => "(?m:^)",
            Anchor::MultilineCaret { unix: false } => "(?mR:^)",
        }),
        Node::Concat(items) => items.iter().for_each(|n| emit(n, out)),
        Node::Alt(items) => {
            for (i, n) in items.iter().enumerate() {
                if i > 0 {
                    out.push('|');
                }
                emit(n, out);
            }
        }
        Node::Group { open, body } => {
            out.push_str(open);
            emit(body, out);
            out.push(')');
        }
        Node::Repeat {
            node,
            min,
            max,
            lazy,
            ..
        } => {
            match node.as_ref() {
                Node::Leaf { .. } | Node::Group { .. } | Node::LineBreak { .. } => emit(node, out),
                other => {
                    out.push_str("(?:");
                    emit(other, out);
                    out.push(')');
                }
            }
            match (min, max) {
                (0, Some(1)) => out.push('?'),
                (0, None) => out.push('*'),
                (1, None) => out.push('+'),
                (n, None) => out.push_str(&format!("{{{n},}}")),
                (n, Some(m)) if n == m => out.push_str(&format!("{{{n}}}")),
                (n, Some(m)) => out.push_str(&format!("{{{n},{m}}}")),
            }
            if *lazy {
                out.push('?');
            }
        }
    }
}

/// The line terminators any char-consuming piece of `node` can match.
fn all_mask(node: &Node) -> u8 {
    match node {
        Node::Leaf { mask, .. } => *mask,
        Node::LineBreak { .. } => ALL,
        Node::Concat(items) | Node::Alt(items) => items.iter().fold(0, |m, n| m | all_mask(n)),
        Node::Group { body: node, .. } | Node::Repeat { node, .. } => all_mask(node),
        Node::Empty | Node::Assert(_) | Node::Anchor { .. } => 0,
    }
}

fn nullable(node: &Node) -> bool {
    match node {
        Node::Leaf { .. } | Node::LineBreak { .. } => false,
        Node::Empty | Node::Assert(_) | Node::Anchor { .. } => true,
        Node::Concat(items) => items.iter().all(nullable),
        Node::Alt(items) => items.iter().any(nullable),
        Node::Group { body, .. } => nullable(body),
        Node::Repeat { node, min, .. } => *min == 0 || nullable(node),
    }
}

/// Anchors of one kind in a subtree: the first one's offset and the line terminators that
/// must not be matched next to them.
#[derive(Clone, Copy)]
struct Pending {
    offset: usize,
    relevant: u8,
}

fn merge(a: Option<Pending>, b: Option<Pending>) -> Option<Pending> {
    match (a, b) {
        (Some(a), Some(b)) => Some(Pending {
            offset: a.offset.min(b.offset),
            relevant: a.relevant | b.relevant,
        }),
        (a, b) => a.or(b),
    }
}

/// Fails with the offending anchor's offset if a char-consuming piece that can come right
/// after (`backward`: right before) an anchor chosen by `select` can match one of the line
/// terminators `select` names. Conservative: anything later in the same sequence, at any
/// level, or anywhere in a repeated group around the anchor counts as next to it.
fn check_neighbours(
    node: &Node,
    select: &dyn Fn(Anchor) -> u8,
    backward: bool,
) -> Result<Option<Pending>, usize> {
    match node {
        Node::Empty | Node::Leaf { .. } | Node::Assert(_) | Node::LineBreak { .. } => Ok(None),
        Node::Anchor { kind, offset } => Ok(Some(Pending {
            offset: *offset,
            relevant: select(*kind),
        })
        .filter(|p| p.relevant != 0)),
        Node::Group { body, .. } => check_neighbours(body, select, backward),
        Node::Alt(items) => items.iter().try_fold(None, |acc, n| {
            Ok(merge(acc, check_neighbours(n, select, backward)?))
        }),
        Node::Concat(items) => {
            let mut acc: Option<Pending> = None;
            let mut visit = |n: &Node| {
                if let Some(d) = acc {
                    if all_mask(n) & d.relevant != 0 {
                        return Err(d.offset);
                    }
                }
                acc = merge(acc, check_neighbours(n, select, backward)?);
                Ok(())
            };
            if backward {
                items.iter().rev().try_for_each(&mut visit)?;
            } else {
                items.iter().try_for_each(&mut visit)?;
            }
            Ok(acc)
        }
        Node::Repeat { node, max, .. } => {
            let d = check_neighbours(node, select, backward)?;
            if let Some(d) = d {
                if max.is_none_or(|m| m > 1) && all_mask(node) & d.relevant != 0 {
                    return Err(d.offset);
                }
            }
            Ok(d)
        }
    }
}

/// Fails with the offset of a multi-line `^` that could end up at the very end of the input,
/// where Java never matches it (and the `regex` crate does, after a final line break).
fn check_caret_at_end(node: &Node, rest_nullable: bool) -> Result<(), usize> {
    match node {
        Node::Anchor {
            kind: Anchor::MultilineCaret { .. },
            offset,
        } if rest_nullable => Err(*offset),
        Node::Concat(items) => {
            let mut rest = rest_nullable;
            for n in items.iter().rev() {
                check_caret_at_end(n, rest)?;
                rest = rest && nullable(n);
            }
            Ok(())
        }
        Node::Alt(items) => items
            .iter()
            .try_for_each(|n| check_caret_at_end(n, rest_nullable)),
        Node::Group { body: node, .. } | Node::Repeat { node, .. } => {
            check_caret_at_end(node, rest_nullable)
        }
        Node::Empty
        | Node::Leaf { .. }
        | Node::Assert(_)
        | Node::Anchor { .. }
        | Node::LineBreak { .. } => Ok(()),
    }
}

/// Java matches a quantified `\R` (or one in a quantified group) without backtracking into
/// it: at "\r\n" it takes both chars, so `\R{2}` and `\R?\n` do not match "\r\n". Such a
/// `\R` translates exactly only if nothing that can follow it can match `\n`. Fails with the
/// offending `\R`'s offset; `may_be_atomic` says whether `node` is under such a quantifier.
fn check_line_breaks(node: &Node, may_be_atomic: bool) -> Result<Option<Pending>, usize> {
    match node {
        Node::LineBreak { offset } if may_be_atomic => Ok(Some(Pending {
            offset: *offset,
            relevant: LF,
        })),
        Node::Empty
        | Node::Leaf { .. }
        | Node::Assert(_)
        | Node::Anchor { .. }
        | Node::LineBreak { .. } => Ok(None),
        Node::Group { body, .. } => check_line_breaks(body, may_be_atomic),
        Node::Alt(items) => items.iter().try_fold(None, |acc, n| {
            Ok(merge(acc, check_line_breaks(n, may_be_atomic)?))
        }),
        Node::Concat(items) => {
            let mut acc: Option<Pending> = None;
            for n in items {
                if let Some(d) = acc {
                    if all_mask(n) & d.relevant != 0 {
                        return Err(d.offset);
                    }
                }
                acc = merge(acc, check_line_breaks(n, may_be_atomic)?);
            }
            Ok(acc)
        }
        Node::Repeat {
            node: body,
            min,
            max,
            ..
        } => {
            // Java turns `(…)?` into a plain branch, which backtracks.
            let direct = matches!(body.as_ref(), Node::LineBreak { .. });
            let atomic = may_be_atomic || direct || !(*min == 0 && *max == Some(1));
            let d = check_line_breaks(body, atomic)?;
            if let Some(d) = d {
                // Repeating `\R` itself is harmless unless a count forces "\r\n" apart.
                let harmless = direct && max.is_none() && *min <= 1;
                if max.is_none_or(|m| m > 1) && !harmless && all_mask(body) & d.relevant != 0 {
                    return Err(d.offset);
                }
            }
            Ok(d)
        }
    }
}

fn has_assertion(node: &Node) -> bool {
    match node {
        Node::Assert(_) | Node::Anchor { .. } => true,
        Node::Empty | Node::Leaf { .. } | Node::LineBreak { .. } => false,
        Node::Concat(items) | Node::Alt(items) => items.iter().any(has_assertion),
        Node::Group { body: node, .. } | Node::Repeat { node, .. } => has_assertion(node),
    }
}

fn consumes(node: &Node) -> bool {
    match node {
        Node::Leaf { .. } | Node::LineBreak { .. } => true,
        Node::Empty | Node::Assert(_) | Node::Anchor { .. } => false,
        Node::Concat(items) | Node::Alt(items) => items.iter().any(consumes),
        Node::Group { body: node, .. } | Node::Repeat { node, .. } => consumes(node),
    }
}

/// Java's loops stop after an iteration that matched nothing, even short of the minimum
/// count, where the `regex` crate may go on: `(?:a|\A){2}` matches "a" only in the latter
/// (empty iteration at 0, then "a"). That needs a minimum of 2 or more and a body that can
/// match nothing through an assertion that holds at some positions only; fails with the
/// quantifier's offset.
fn check_empty_iterations(node: &Node) -> Result<(), usize> {
    match node {
        Node::Repeat {
            node: body,
            min,
            offset,
            ..
        } => {
            if *min >= 2 && nullable(body) && has_assertion(body) && consumes(body) {
                return Err(*offset);
            }
            check_empty_iterations(body)
        }
        Node::Concat(items) | Node::Alt(items) => items.iter().try_for_each(check_empty_iterations),
        Node::Group { body, .. } => check_empty_iterations(body),
        Node::Empty
        | Node::Leaf { .. }
        | Node::Assert(_)
        | Node::Anchor { .. }
        | Node::LineBreak { .. } => Ok(()),
    }
}

/// Refuses the patterns whose translation would not be exact: anchors, `\\R` and loops
/// whose Java semantics the `regex` crate does not share.
fn check_exactness(node: &Node) -> Result<(), JavaRegexError> {
    const NON_CRLF: u8 = NEL | LS | PS;
    fn refuse(construct: &'static str) -> impl Fn(usize) -> JavaRegexError {
        move |offset| JavaRegexError::Unsupported {
            construct: construct.to_string(),
            offset,
        }
    }
    // Java's `$` also matches before a final line terminator, which the rest of the
    // pattern must then consume (`a$\n` matches "a\n"); `\z` is exact only without that.
    check_neighbours(
        node,
        &|a| match a {
            Anchor::Dollar { unix: true } => LF,
            Anchor::Dollar { unix: false } => ALL,
            _ => 0,
        },
        false,
    )
    .map_err(refuse(
        "`$` (or `\\Z`) followed by pattern that can match the final line terminator",
    ))?;
    // The `regex` crate's multi-line anchors know `\n` and `\r` only.
    check_neighbours(
        node,
        &|a| match a {
            Anchor::MultilineDollar { unix: false } => NON_CRLF,
            _ => 0,
        },
        false,
    )
    .map_err(refuse(
        "multi-line `$` followed by pattern that can match U+0085, U+2028 or U+2029",
    ))?;
    check_neighbours(
        node,
        &|a| match a {
            Anchor::MultilineCaret { unix: false } => NON_CRLF,
            _ => 0,
        },
        true,
    )
    .map_err(refuse(
        "multi-line `^` preceded by pattern that can match U+0085, U+2028 or U+2029",
    ))?;
    check_caret_at_end(node, true).map_err(refuse(
        "multi-line `^` that can match at the end of the input",
    ))?;
    check_line_breaks(node, false).map(|_| ()).map_err(refuse(
        "quantified `\\R` followed by pattern that can match `\\n`",
    ))?;
    check_empty_iterations(node).map_err(refuse(
        "a group repeated at least twice that can match nothing at some positions only",
    ))
}

// ---------------------------------------------------------------------------------------------
// Character classes.

/// A Java `CharPredicate` under construction. Java's `BitClass` is mutable and shared by
/// reference (chars added after an `&&` still count on its left side), so bit sets are kept by
/// id and rendered only once the whole class is parsed.
#[derive(Debug, Clone)]
enum Pred {
    Bits(usize),
    /// A complete `regex` class expression (`[…]`, `\p{…}`), the terminators it matches,
    /// and whether it lists chars (which `(?iu)` folds) rather than a predefined class.
    Set {
        re: String,
        mask: u8,
        chars: bool,
    },
    Union(Vec<Pred>, usize),
    And(Box<Pred>, Box<Pred>, usize),
    Not(Box<Pred>, usize),
}

impl Pred {
    fn set(re: &str, mask: u8) -> Pred {
        Pred::Set {
            re: re.to_string(),
            mask,
            chars: false,
        }
    }

    fn depth(&self) -> usize {
        match self {
            Pred::Bits(_) | Pred::Set { .. } => 0,
            Pred::Union(_, d) | Pred::And(_, _, d) | Pred::Not(_, d) => *d,
        }
    }
}

/// A set of chars below 256 (Java's `BitClass`).
#[derive(Debug, Default)]
struct Bits(Vec<u32>);

// ---------------------------------------------------------------------------------------------
// Character properties (`\p{…}`), as `CharPredicates.java` defines them.

const WORD_U: &str = r"[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\x{200C}\x{200D}]";
const HEX_DIGIT_U: &str = r"[\p{Nd}\p{Hex_Digit}]";
const CASED_U: &str = r"[\p{Lowercase}\p{Uppercase}\p{Lt}]";
const LETTER_CASED: &str = r"[\p{Lu}\p{Ll}\p{Lt}]";
const IGNORABLE: &str = r"\x{0}-\x{8}\x{E}-\x{1B}\x{7F}-\x{9F}\p{Cf}";
const ASCII_SPACE: &str = r"[\x{9}-\x{D}\x{20}]";
const HWS: &str = r"[\x{9}\x{20}\x{A0}\x{1680}\x{180E}\x{2000}-\x{200A}\x{202F}\x{205F}\x{3000}]";
const VWS: &str = r"[\x{A}-\x{D}\x{85}\x{2028}\x{2029}]";
const LINE_BREAK: &str = r"(?:\r\n|[\x{A}-\x{D}\x{85}\x{2028}\x{2029}])";

/// `CharPredicates.forProperty`: categories, POSIX (ASCII) and `java*` names.
fn for_property(name: &str, ci: bool) -> Option<(String, u8)> {
    let p = |re: &str, mask: u8| Some((re.to_string(), mask));
    let cat = |c: &str| Some((format!(r"\p{{{c}}}"), 0));
    match name {
        "Lu" | "Ll" | "Lt" if ci => p(LETTER_CASED, 0),
        "Cn" | "Lu" | "Ll" | "Lt" | "Lm" | "Lo" | "Mn" | "Me" | "Mc" | "Nd" | "Nl" | "No"
        | "Zs" | "Cf" | "Co" | "Pd" | "Ps" | "Pe" | "Pc" | "Po" | "Sm" | "Sc" | "Sk" | "So"
        | "Pi" | "Pf" | "L" | "M" | "N" | "P" | "S" | "LC" => cat(name),
        "Zl" => p(r"\p{Zl}", LS),
        "Zp" => p(r"\p{Zp}", PS),
        "Z" => p(r"\p{Z}", LS | PS),
        "Cc" => p(r"\p{Cc}", CC),
        "C" => p(r"\p{C}", CC),
        // Surrogates never occur in a Rust string.
        "Cs" => p(NEVER, 0),
        "LD" => p(r"[\p{L}\p{Nd}]", 0),
        "L1" => p(r"[\x{0}-\x{FF}]", CC),
        "all" => p(r"[\x{0}-\x{10FFFF}]", ALL),
        "ASCII" => p(r"[\x{0}-\x{7F}]", LF | CR),
        "Alnum" => p("[0-9A-Za-z]", 0),
        "Alpha" => p("[A-Za-z]", 0),
        "Blank" => p(r"[\x{9}\x{20}]", 0),
        "Cntrl" => p(r"[\x{0}-\x{1F}\x{7F}]", LF | CR),
        "Digit" => p("[0-9]", 0),
        "Graph" => p(r"[\x{21}-\x{7E}]", 0),
        "Lower" | "Upper" if ci => p("[A-Za-z]", 0),
        "Lower" => p("[a-z]", 0),
        "Upper" => p("[A-Z]", 0),
        "Print" => p(r"[\x{20}-\x{7E}]", 0),
        "Punct" => p(r"[\x{21}-\x{2F}\x{3A}-\x{40}\x{5B}-\x{60}\x{7B}-\x{7E}]", 0),
        "Space" => p(ASCII_SPACE, LF | CR),
        "XDigit" => p("[0-9A-Fa-f]", 0),
        "javaLowerCase" | "javaUpperCase" | "javaTitleCase" if ci => p(CASED_U, 0),
        "javaLowerCase" => p(r"\p{Lowercase}", 0),
        "javaUpperCase" => p(r"\p{Uppercase}", 0),
        "javaTitleCase" => p(r"\p{Lt}", 0),
        "javaAlphabetic" => p(r"\p{Alphabetic}", 0),
        "javaIdeographic" => p(r"\p{Ideographic}", 0),
        "javaDigit" => p(r"\p{Nd}", 0),
        "javaDefined" => p(r"\P{Cn}", ALL),
        "javaLetter" => p(r"\p{L}", 0),
        "javaLetterOrDigit" => p(r"[\p{L}\p{Nd}]", 0),
        "javaJavaIdentifierStart" => p(r"[\p{L}\p{Nl}\p{Sc}\p{Pc}]", 0),
        "javaJavaIdentifierPart" => Some((
            format!(r"[\p{{L}}\p{{Sc}}\p{{Pc}}\p{{Nd}}\p{{Nl}}\p{{Mc}}\p{{Mn}}{IGNORABLE}]"),
            NEL,
        )),
        "javaUnicodeIdentifierStart" => p(r"[\p{L}\p{Nl}\p{Other_ID_Start}]", 0),
        "javaUnicodeIdentifierPart" => Some((
            format!(
                r"[\p{{L}}\p{{Pc}}\p{{Nd}}\p{{Nl}}\p{{Mc}}\p{{Mn}}\p{{Other_ID_Start}}\p{{Other_ID_Continue}}{IGNORABLE}]"
            ),
            NEL,
        )),
        "javaIdentifierIgnorable" => Some((format!("[{IGNORABLE}]"), NEL)),
        "javaSpaceChar" => p(r"\p{Z}", LS | PS),
        "javaWhitespace" => p(
            r"[[\p{Z}&&[^\x{A0}\x{2007}\x{202F}]]\x{9}-\x{D}\x{1C}-\x{1F}]",
            LF | CR | LS | PS,
        ),
        "javaISOControl" => p(r"[\x{0}-\x{1F}\x{7F}-\x{9F}]", CC),
        "javaMirrored" => p(r"\p{Bidi_Mirrored}", 0),
        _ => None,
    }
}

/// `CharPredicates.getPosixPredicate`: the Unicode POSIX classes (`(?U)`, `\p{IsAlpha}`).
fn posix_unicode(upper: &str, ci: bool) -> Option<(String, u8)> {
    let p = |re: &str, mask: u8| Some((re.to_string(), mask));
    match upper {
        "ALPHA" => p(r"\p{Alphabetic}", 0),
        "LOWER" | "UPPER" if ci => p(CASED_U, 0),
        "LOWER" => p(r"\p{Lowercase}", 0),
        "UPPER" => p(r"\p{Uppercase}", 0),
        "SPACE" => p(r"\p{White_Space}", ALL),
        "PUNCT" => p(r"\p{P}", 0),
        "XDIGIT" => p(HEX_DIGIT_U, 0),
        "ALNUM" => p(r"[\p{Alphabetic}\p{Nd}]", 0),
        "CNTRL" => p(r"\p{Cc}", CC),
        "DIGIT" => p(r"\p{Nd}", 0),
        "BLANK" => p(r"[\p{Zs}\x{9}]", 0),
        "GRAPH" => p(r"[^\p{Z}\p{Cc}\p{Cn}]", 0),
        "PRINT" => p(r"[^\p{Zl}\p{Zp}\p{Cc}\p{Cn}]", 0),
        _ => None,
    }
}

/// `CharPredicates.forUnicodeProperty`: binary properties, then the POSIX names.
fn unicode_property(upper: &str, ci: bool) -> Option<(String, u8)> {
    let p = |re: &str, mask: u8| Some((re.to_string(), mask));
    match upper {
        "ALPHABETIC" => p(r"\p{Alphabetic}", 0),
        "ASSIGNED" => p(r"\P{Cn}", ALL),
        "CONTROL" => p(r"\p{Cc}", CC),
        "EMOJI" => p(r"\p{Emoji}", 0),
        "EMOJI_PRESENTATION" => p(r"\p{Emoji_Presentation}", 0),
        "EMOJI_MODIFIER" => p(r"\p{Emoji_Modifier}", 0),
        "EMOJI_MODIFIER_BASE" => p(r"\p{Emoji_Modifier_Base}", 0),
        "EMOJI_COMPONENT" => p(r"\p{Emoji_Component}", 0),
        "EXTENDED_PICTOGRAPHIC" => p(r"\p{Extended_Pictographic}", 0),
        "HEXDIGIT" | "HEX_DIGIT" => p(HEX_DIGIT_U, 0),
        "IDEOGRAPHIC" => p(r"\p{Ideographic}", 0),
        "JOINCONTROL" | "JOIN_CONTROL" => p(r"[\x{200C}\x{200D}]", 0),
        "LETTER" => p(r"\p{L}", 0),
        "LOWERCASE" | "UPPERCASE" | "TITLECASE" if ci => p(CASED_U, 0),
        "LOWERCASE" => p(r"\p{Lowercase}", 0),
        "UPPERCASE" => p(r"\p{Uppercase}", 0),
        "TITLECASE" => p(r"\p{Lt}", 0),
        "NONCHARACTERCODEPOINT" | "NONCHARACTER_CODE_POINT" => p(r"\p{Noncharacter_Code_Point}", 0),
        "PUNCTUATION" => p(r"\p{P}", 0),
        "WHITESPACE" | "WHITE_SPACE" => p(r"\p{White_Space}", ALL),
        "WORD" => p(WORD_U, 0),
        _ => posix_unicode(upper, ci),
    }
}

/// `CharPredicates.forUnicodeScript`: a script's name or alias, as the `regex` crate knows
/// them.
fn script(name: &str) -> Option<(String, u8)> {
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return None;
    }
    let found = match name.to_ascii_uppercase().as_str() {
        "COMMON" | "ZYYY" => (format!(r"\p{{sc={name}}}"), ALL),
        // Code points no script claims: unassigned, private use, surrogates.
        "UNKNOWN" | "ZZZZ" => return Some((r"[\p{Cn}\p{Co}]".to_string(), 0)),
        _ => (format!(r"\p{{sc={name}}}"), 0),
    };
    regex::Regex::new(&found.0).is_ok().then_some(found)
}

// ---------------------------------------------------------------------------------------------
// The parser: a port of `java.util.regex.Pattern`'s.

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

struct Parser {
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
    unsupported: Option<JavaRegexError>,
}

type PResult<T> = Result<T, JavaRegexError>;

impl Parser {
    fn new(java: &str) -> Parser {
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

    // --- Java's cursor primitives -------------------------------------------------------

    fn at(&self, i: usize) -> char {
        self.temp.get(i).copied().unwrap_or('\0')
    }

    fn has(&self, f: u32) -> bool {
        self.flags & f != 0
    }

    fn peek(&mut self) -> char {
        let ch = self.at(self.cursor);
        if self.has(COMMENTS) {
            self.peek_past_whitespace(ch)
        } else {
            ch
        }
    }

    fn read(&mut self) -> char {
        let ch = self.at(self.cursor);
        self.cursor += 1;
        if self.has(COMMENTS) {
            self.parse_past_whitespace(ch)
        } else {
            ch
        }
    }

    fn next(&mut self) -> char {
        self.cursor += 1;
        let ch = self.at(self.cursor);
        if self.has(COMMENTS) {
            self.peek_past_whitespace(ch)
        } else {
            ch
        }
    }

    fn next_escaped(&mut self) -> char {
        self.cursor += 1;
        self.at(self.cursor)
    }

    fn skip(&mut self) -> char {
        let ch = self.at(self.cursor + 1);
        self.cursor += 2;
        ch
    }

    fn unread(&mut self) {
        self.cursor = self.cursor.saturating_sub(1);
    }

    fn peek_past_whitespace(&mut self, mut ch: char) -> char {
        while is_space(ch) || ch == '#' {
            while is_space(ch) {
                self.cursor += 1;
                ch = self.at(self.cursor);
            }
            if ch == '#' {
                ch = self.peek_past_line();
            }
        }
        ch
    }

    fn parse_past_whitespace(&mut self, mut ch: char) -> char {
        while is_space(ch) || ch == '#' {
            while is_space(ch) {
                ch = self.at(self.cursor);
                self.cursor += 1;
            }
            if ch == '#' {
                ch = self.parse_past_line();
            }
        }
        ch
    }

    fn parse_past_line(&mut self) -> char {
        let mut ch = self.at(self.cursor);
        self.cursor += 1;
        while ch != '\0' && !self.is_line_separator(ch) {
            ch = self.at(self.cursor);
            self.cursor += 1;
        }
        if ch == '\0' && self.cursor > self.len {
            self.cursor = self.len;
            ch = self.at(self.cursor);
            self.cursor += 1;
        }
        ch
    }

    fn peek_past_line(&mut self) -> char {
        self.cursor += 1;
        let mut ch = self.at(self.cursor);
        while ch != '\0' && !self.is_line_separator(ch) {
            self.cursor += 1;
            ch = self.at(self.cursor);
        }
        if ch == '\0' && self.cursor > self.len {
            self.cursor = self.len;
            ch = self.at(self.cursor);
        }
        ch
    }

    fn is_line_separator(&self, ch: char) -> bool {
        if self.has(UNIX_LINES) {
            ch == '\n'
        } else {
            matches!(ch, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}')
        }
    }

    fn accept(&mut self, ch: char, message: &str) -> PResult<()> {
        if self.read() != ch {
            return Err(self.error(message));
        }
        Ok(())
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

    fn parse(&mut self) -> PResult<Node> {
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
        let start = self.cursor.saturating_sub(1);
        let mut single = true;
        if self.next() != '{' {
            self.unread();
        } else {
            single = false;
        }
        let p = self.family(single, complement, start)?;
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

    /// Java's `group0()`: a group and its quantifier, or `None` for a flags-only `(?i)`.
    fn group0(&mut self) -> PResult<Option<Node>> {
        let start = self.cursor;
        self.enter(start)?;
        let save = self.flags;
        let open;
        let mut ch = self.next();
        if ch == '?' {
            ch = self.skip();
            match ch {
                ':' => open = "(?:".to_string(),
                '=' | '!' => {
                    let what = if ch == '=' {
                        "lookahead `(?=`"
                    } else {
                        "negative lookahead `(?!`"
                    };
                    self.unsupported(what, start);
                    open = "(?:".to_string();
                }
                '>' => {
                    self.unsupported("atomic group `(?>`", start);
                    open = "(?:".to_string();
                }
                '<' => {
                    ch = self.read();
                    if ch != '=' && ch != '!' {
                        let name = self.groupname(ch)?;
                        if self.names.contains(&name) {
                            return Err(self.error(format!(
                                "Named capturing group <{name}> is already defined"
                            )));
                        }
                        self.capturing += 1;
                        open = format!("(?P<{name}>");
                        self.names.insert(name);
                    } else {
                        let what = if ch == '=' {
                            "lookbehind `(?<=`"
                        } else {
                            "negative lookbehind `(?<!`"
                        };
                        self.unsupported(what, start);
                        open = "(?:".to_string();
                    }
                }
                '$' | '@' => return Err(self.error("Unknown group type")),
                _ => {
                    self.unread();
                    self.add_flag();
                    if self.has(CANON_EQ) && save & CANON_EQ == 0 {
                        self.unsupported("inline flag `c` (CANON_EQ)", start);
                    }
                    ch = self.read();
                    if ch == ')' {
                        self.leave();
                        return Ok(None);
                    }
                    if ch != ':' {
                        return Err(self.error("Unknown inline modifier"));
                    }
                    open = "(?:".to_string();
                }
            }
        } else {
            self.capturing += 1;
            open = "(".to_string();
        }
        let body = self.expr()?;
        self.accept(')', "Unclosed group")?;
        self.flags = save;
        let group = Node::Group {
            open,
            body: Box::new(body),
        };
        let node = self.closure(group)?;
        self.leave();
        Ok(Some(node))
    }

    fn groupname(&mut self, mut ch: char) -> PResult<String> {
        if !ch.is_ascii_alphabetic() {
            return Err(self.error("capturing group name does not start with a Latin letter"));
        }
        let mut name = String::new();
        loop {
            name.push(ch);
            ch = self.read();
            if !ch.is_ascii_alphanumeric() {
                break;
            }
        }
        if ch != '>' {
            return Err(self.error("named capturing group is missing trailing '>'"));
        }
        Ok(name)
    }

    fn add_flag(&mut self) {
        let mut ch = self.peek();
        loop {
            match ch {
                'i' => self.flags |= CASE_INSENSITIVE,
                'm' => self.flags |= MULTILINE,
                's' => self.flags |= DOTALL,
                'd' => self.flags |= UNIX_LINES,
                'u' => self.flags |= UNICODE_CASE,
                'c' => self.flags |= CANON_EQ,
                'x' => self.flags |= COMMENTS,
                'U' => self.flags |= UNICODE_CHARACTER_CLASS | UNICODE_CASE,
                '-' => {
                    self.next();
                    self.sub_flag();
                    return;
                }
                _ => return,
            }
            ch = self.next();
        }
    }

    fn sub_flag(&mut self) {
        let mut ch = self.peek();
        loop {
            match ch {
                'i' => self.flags &= !CASE_INSENSITIVE,
                'm' => self.flags &= !MULTILINE,
                's' => self.flags &= !DOTALL,
                'd' => self.flags &= !UNIX_LINES,
                'u' => self.flags &= !UNICODE_CASE,
                'c' => self.flags &= !CANON_EQ,
                'x' => self.flags &= !COMMENTS,
                'U' => self.flags &= !(UNICODE_CHARACTER_CLASS | UNICODE_CASE),
                _ => return,
            }
            ch = self.next();
        }
    }

    // --- escapes --------------------------------------------------------------------------

    /// Java's `escape()`; the cursor is on the `\`.
    fn escape(&mut self, inclass: bool, isrange: bool) -> PResult<Esc> {
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

    // --- classes --------------------------------------------------------------------------

    /// A finished class as a leaf, under the current case flags.
    fn class_leaf(&self, p: &Pred) -> PResult<Node> {
        let mut re = String::new();
        let mask = self.render(p, &mut re);
        if re.len() > MAX_TRANSLATED_LEN {
            return Err(JavaRegexError::Unsupported {
                construct: "a character class too large to translate".into(),
                offset: 0,
            });
        }
        // Java folds the listed chars, not predefined classes; the `regex` crate can only fold
        // the whole class, which is still closer than not folding at all.
        if self.has(CASE_INSENSITIVE) && self.has(UNICODE_CASE) && self.lists_chars(p) {
            re = format!("(?i:{re})");
        }
        Ok(Node::Leaf { re, mask })
    }

    fn lists_chars(&self, p: &Pred) -> bool {
        match p {
            Pred::Bits(id) => self.bits.get(*id).is_some_and(|b| !b.0.is_empty()),
            Pred::Set { chars, .. } => *chars,
            Pred::Union(items, _) => items.iter().any(|i| self.lists_chars(i)),
            Pred::And(a, b, _) => self.lists_chars(a) || self.lists_chars(b),
            Pred::Not(a, _) => self.lists_chars(a),
        }
    }

    fn new_bits(&mut self) -> usize {
        self.bits.push(Bits::default());
        self.bits.len() - 1
    }

    fn add_bit(&mut self, id: usize, c: u32) {
        let ci = self.has(CASE_INSENSITIVE) && !self.has(UNICODE_CASE);
        if let Some(b) = self.bits.get_mut(id) {
            if ci && c < 128 {
                b.0.push(ascii_upper(c));
                b.0.push(ascii_lower(c));
            }
            b.0.push(c);
        }
    }

    fn union(&self, a: Option<Pred>, b: Pred) -> PResult<Pred> {
        Ok(match a {
            None => b,
            Some(Pred::Union(mut items, d)) => {
                let d = d.max(b.depth() + 1);
                self.check_depth(d)?;
                items.push(b);
                Pred::Union(items, d)
            }
            Some(a) => {
                let d = a.depth().max(b.depth()) + 1;
                self.check_depth(d)?;
                Pred::Union(vec![a, b], d)
            }
        })
    }

    fn and(&self, a: Pred, b: Pred) -> PResult<Pred> {
        let d = a.depth().max(b.depth()) + 1;
        self.check_depth(d)?;
        Ok(Pred::And(Box::new(a), Box::new(b), d))
    }

    fn check_depth(&self, d: usize) -> PResult<()> {
        if d > MAX_DEPTH {
            return Err(JavaRegexError::Unsupported {
                construct: format!("a character class nested more than {MAX_DEPTH} deep"),
                offset: self.offset(self.cursor),
            });
        }
        Ok(())
    }

    /// Java's `clazz()`; the cursor is just before the class's first char. Consumes the
    /// closing `]` only if `consume` (not for the implicit class right of `&&`).
    fn clazz(&mut self, consume: bool) -> PResult<Pred> {
        let start = self.cursor;
        self.enter(start)?;
        let bits = self.new_bits();
        let mut prev: Option<Pred> = None;
        let mut curr: Option<Pred> = None;
        let mut is_neg = false;
        let mut has_bits = false;
        let mut ch = self.next();
        if ch == '^' && self.at(self.cursor.saturating_sub(1)) == '[' {
            ch = self.next();
            is_neg = true;
        }
        loop {
            match ch {
                '[' => {
                    let c = self.clazz(true)?;
                    curr = Some(c.clone());
                    prev = Some(self.union(prev, c)?);
                    ch = self.peek();
                    continue;
                }
                '&' => {
                    ch = self.next();
                    if ch == '&' {
                        ch = self.next();
                        let mut right: Option<Pred> = None;
                        while ch != ']' && ch != '&' {
                            let c = if ch == '[' {
                                self.clazz(true)?
                            } else {
                                self.unread();
                                self.clazz(false)?
                            };
                            right = Some(self.union(right, c)?);
                            ch = self.peek();
                        }
                        if has_bits {
                            match prev {
                                None => {
                                    prev = Some(Pred::Bits(bits));
                                    curr = Some(Pred::Bits(bits));
                                }
                                Some(p) => prev = Some(self.union(Some(p), Pred::Bits(bits))?),
                            }
                            has_bits = false;
                        }
                        if right.is_some() {
                            curr.clone_from(&right);
                        }
                        prev = match (prev, right) {
                            (None, None) => return Err(self.error("Bad class syntax")),
                            (None, Some(r)) => Some(r),
                            (Some(p), _) => match curr.clone() {
                                None => return Err(self.error("Bad intersection syntax")),
                                Some(c) => Some(self.and(p, c)?),
                            },
                        };
                        continue;
                    }
                    // A lone `&` is a literal.
                    self.unread();
                }
                '\0' if self.cursor >= self.len => {
                    return Err(self.error("Unclosed character class"));
                }
                ']' if prev.is_some() || has_bits => {
                    if consume {
                        self.next();
                    }
                    let mut p = match prev {
                        None => Pred::Bits(bits),
                        Some(p) if has_bits => self.union(Some(p), Pred::Bits(bits))?,
                        Some(p) => p,
                    };
                    if is_neg {
                        let d = p.depth() + 1;
                        self.check_depth(d)?;
                        p = Pred::Not(Box::new(p), d);
                    }
                    self.leave();
                    return Ok(p);
                }
                _ => {}
            }
            let before = self.cursor;
            curr = self.range(bits)?;
            match &curr {
                None => has_bits = true,
                Some(c) => prev = Some(self.union(prev, c.clone())?),
            }
            ch = self.peek();
            if self.cursor <= before {
                return Err(self.error("Unexpected internal error"));
            }
        }
    }

    /// Java's `range()`: one class member or range. `None` means it went into the bit set.
    fn range(&mut self, bits: usize) -> PResult<Option<Pred>> {
        let mut ch = u32::from(self.peek());
        if ch == u32::from('\\') {
            let e = self.next_escaped();
            if e == 'p' || e == 'P' {
                let start = self.cursor.saturating_sub(1);
                let mut single = true;
                if self.next() != '{' {
                    self.unread();
                } else {
                    single = false;
                }
                return self.family(single, e == 'P', start).map(Some);
            }
            let isrange = self.at(self.cursor + 1) == '-';
            self.unread();
            match self.escape(true, isrange)? {
                Esc::Char(c) => ch = c,
                Esc::Set(p) => return Ok(Some(p)),
                Esc::Node(_) => return Err(self.error("Illegal/unsupported escape sequence")),
            }
        } else {
            self.next();
        }
        if self.peek() == '-' {
            let end = self.at(self.cursor + 1);
            if end == '[' {
                return Ok(self.bits_or_single(bits, ch));
            }
            if end != ']' {
                self.next();
                let m = if self.peek() == '\\' {
                    match self.escape(true, true)? {
                        Esc::Char(c) => Some(c),
                        _ => None,
                    }
                } else {
                    let c = self.peek();
                    self.next();
                    Some(u32::from(c))
                };
                let m = match m {
                    Some(m) if m >= ch => m,
                    _ => return Err(self.error("Illegal character range")),
                };
                return Ok(Some(self.char_range(ch, m)));
            }
        }
        Ok(self.bits_or_single(bits, ch))
    }

    fn bits_or_single(&mut self, bits: usize, c: u32) -> Option<Pred> {
        if c < 256 {
            self.add_bit(bits, c);
            return None;
        }
        let mut re = String::from("[");
        push_range(c, c, &mut re);
        re.push(']');
        if re == "[]" {
            return Some(Pred::set(NEVER, 0));
        }
        Some(Pred::Set {
            re,
            mask: range_mask(c, c),
            chars: true,
        })
    }

    fn char_range(&self, lo: u32, hi: u32) -> Pred {
        let mut re = String::from("[");
        push_range(lo, hi, &mut re);
        if self.has(CASE_INSENSITIVE) && !self.has(UNICODE_CASE) {
            // Java's CIRange: ASCII letters whose other case is in the range.
            let (a, z) = (u32::from(b'a'), u32::from(b'z'));
            let (ua, uz) = (u32::from(b'A'), u32::from(b'Z'));
            let (l0, l1) = (lo.max(a), hi.min(z));
            if l0 <= l1 {
                push_range(l0 - 0x20, l1 - 0x20, &mut re);
            }
            let (u0, u1) = (lo.max(ua), hi.min(uz));
            if u0 <= u1 {
                push_range(u0 + 0x20, u1 + 0x20, &mut re);
            }
        }
        re.push(']');
        if re == "[]" {
            return Pred::set(NEVER, 0);
        }
        Pred::Set {
            re,
            mask: range_mask(lo, hi),
            chars: true,
        }
    }

    /// Writes `p` as a complete `regex` class expression; returns the terminators it matches.
    fn render(&self, p: &Pred, out: &mut String) -> u8 {
        match p {
            Pred::Bits(_) | Pred::Union(..) => {
                out.push('[');
                let mask = self.render_members(p, out);
                out.push(']');
                mask
            }
            Pred::Set { re, mask, .. } => {
                out.push_str(re);
                *mask
            }
            Pred::And(a, b, _) => {
                out.push('[');
                let ma = self.render(a, out);
                out.push_str("&&");
                let mb = self.render(b, out);
                out.push(']');
                ma & mb
            }
            Pred::Not(a, _) => {
                if let Pred::Set { re, mask, .. } = a.as_ref() {
                    if let Some(name) = re.strip_prefix(r"\p{") {
                        out.push_str(r"\P{");
                        out.push_str(name);
                        return ALL & !mask;
                    }
                    if let Some(members) = re.strip_prefix('[').filter(|m| !m.starts_with('^')) {
                        out.push_str("[^");
                        out.push_str(members);
                        return ALL & !mask;
                    }
                }
                out.push_str("[^");
                let m = self.render_members(a, out);
                out.push(']');
                ALL & !m
            }
        }
    }

    /// Writes `p` as members of an enclosing class (never empty).
    fn render_members(&self, p: &Pred, out: &mut String) -> u8 {
        match p {
            Pred::Bits(id) => {
                let mut chars = self.bits.get(*id).map(|b| b.0.clone()).unwrap_or_default();
                chars.sort_unstable();
                chars.dedup();
                if chars.is_empty() {
                    out.push_str(NEVER);
                    return 0;
                }
                let mut mask = 0;
                let mut i = 0;
                while let Some(&lo) = chars.get(i) {
                    let mut hi = lo;
                    while chars.get(i + 1) == Some(&(hi + 1)) {
                        hi += 1;
                        i += 1;
                    }
                    push_range(lo, hi, out);
                    mask |= range_mask(lo, hi);
                    i += 1;
                }
                mask
            }
            Pred::Union(items, _) => items
                .iter()
                .fold(0, |m, item| m | self.render_members(item, out)),
            Pred::Set { re, mask, .. } => {
                // A plain `[…]` (never one with a top-level `&&`) can lose its brackets.
                match re.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
                    Some(members) if !members.starts_with('^') && !members.is_empty() => {
                        out.push_str(members)
                    }
                    _ => out.push_str(re),
                }
                *mask
            }
            Pred::And(..) | Pred::Not(..) => self.render(p, out),
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

/// Java's `RemoveQEQuoting()`: `\Q…\E` becomes escaped chars before parsing. Returns the new
/// chars and, for each, its offset in the original pattern.
fn remove_qe_quoting(chars: &[char]) -> (Vec<char>, Vec<usize>) {
    let plen = chars.len();
    let mut i = 0;
    while i + 1 < plen {
        match (chars.get(i), chars.get(i + 1)) {
            (Some('\\'), Some('Q')) => break,
            (Some('\\'), _) => i += 2,
            _ => i += 1,
        }
    }
    if i + 1 >= plen {
        return (chars.to_vec(), (0..plen).collect());
    }
    let mut out: Vec<char> = chars.get(..i).unwrap_or(&[]).to_vec();
    let mut origin: Vec<usize> = (0..i).collect();
    let mut push = |c: char, at: usize| {
        out.push(c);
        origin.push(at);
    };
    i += 2;
    let mut in_quote = true;
    let mut begin_quote = true;
    while let Some(&c) = chars.get(i) {
        let at = i;
        i += 1;
        if !c.is_ascii() || c.is_ascii_alphabetic() {
            push(c, at);
        } else if c.is_ascii_digit() {
            if begin_quote {
                // Keeps a digit from extending an escape before the quote (`\0\Q1\E`).
                push('\\', at);
                push('x', at);
                push('3', at);
            }
            push(c, at);
        } else if c != '\\' {
            if in_quote {
                push('\\', at);
            }
            push(c, at);
        } else if in_quote {
            if chars.get(i) == Some(&'E') {
                i += 1;
                in_quote = false;
            } else {
                push('\\', at);
                push('\\', at);
            }
        } else if chars.get(i) == Some(&'Q') {
            i += 1;
            in_quote = true;
            begin_quote = true;
            continue;
        } else {
            push(c, at);
            if let Some(&n) = chars.get(i) {
                push(n, i);
                i += 1;
            }
        }
        begin_quote = false;
    }
    (out, origin)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compile(p: &str) -> JavaRegex {
        JavaRegex::compile(p).unwrap_or_else(|e| panic!("{p:?}: {e}"))
    }

    fn m(p: &str, s: &str) -> bool {
        compile(p).is_match(s)
    }

    fn unsupported(p: &str) -> (String, usize) {
        match JavaRegex::compile(p) {
            Err(JavaRegexError::Unsupported { construct, offset }) => (construct, offset),
            other => panic!("{p:?} should be unsupported, got {other:?}"),
        }
    }

    fn invalid(p: &str) -> (String, Option<usize>) {
        match JavaRegex::compile(p) {
            Err(JavaRegexError::Invalid { message, offset }) => (message, offset),
            other => panic!("{p:?} should be invalid, got {other:?}"),
        }
    }

    /// `Pattern.matches(pattern, text)` as recorded on OpenJDK 17 and 25 (which agree on all
    /// of these).
    const JAVA_CORPUS: &[(&str, &[(&str, bool)])] = &[
        (
            "4\\d{2}",
            &[
                ("404", true),
                ("4040", false),
                ("x404", false),
                ("40", false),
                ("4a4", false),
            ],
        ),
        (
            "2\\d{2}",
            &[
                ("200", true),
                ("299", true),
                ("2000", false),
                ("300", false),
            ],
        ),
        (
            "5\\d\\d|429",
            &[("503", true), ("429", true), ("4290", false)],
        ),
        (
            "Invalid*",
            &[
                ("Invalid input", false),
                ("Invali", true),
                ("Invalidd", true),
            ],
        ),
        (
            "Invalid.*",
            &[
                ("Invalid input", true),
                ("Invalid", true),
                ("invalid input", false),
            ],
        ),
        (
            ".*404.*",
            &[("foo 404 bar", true), ("404", true), ("40 4", false)],
        ),
        (
            ".+",
            &[
                ("a\nb", false),
                ("abc", true),
                ("a\rb", false),
                ("a\u{2028}b", false),
                ("a\u{85}b", false),
                ("", false),
            ],
        ),
        (".*", &[("", true), ("a\nb", false), ("\n", false)]),
        ("(\\n|.)*", &[("a\nb", true), ("a\r\nb", false), ("", true)]),
        (
            "(?s).*Error.*",
            &[("line1\nError: boom\nline3", true), ("no", false)],
        ),
        (
            ".*\\[BadRequest\\].*",
            &[("[BadRequest] missing", true), ("BadRequest", false)],
        ),
        (
            ".*\\\"statusCode\\\":404.*",
            &[
                ("{\"statusCode\":404}", true),
                ("{\"statusCode\":4040}", true),
            ],
        ),
        ("default", &[("default", true), ("Default", false)]),
        ("", &[("", true), ("a", false)]),
        ("^abc$", &[("abc", true), ("abc\n", false), ("xabc", false)]),
        ("a$", &[("a", true), ("a\n", false)]),
        ("a\\Z", &[("a", true), ("a\n", false)]),
        ("a|b", &[("a", true), ("b", true), ("ab", false)]),
        (
            "\\d",
            &[("\u{663}", false), ("3", true), ("\u{ff13}", false)],
        ),
        ("\\w+", &[("h\u{e9}llo", false), ("hello_42", true)]),
        (
            "\\s",
            &[
                ("\u{b}", true),
                ("\u{a0}", false),
                (" ", true),
                ("\u{2028}", false),
            ],
        ),
        ("\\S", &[("\u{85}", true), ("a", true), ("\n", false)]),
        ("\\h+", &[("\u{a0}\t \u{3000}", true), ("\n", false)]),
        ("\\H", &[("a", true), ("\t", false)]),
        (
            "\\v",
            &[
                ("\u{b}", true),
                ("\n", true),
                ("\u{2029}", true),
                (" ", false),
            ],
        ),
        ("\\V", &[("a", true), ("\r", false)]),
        (
            "\\R",
            &[
                ("\r\n", true),
                ("\n", true),
                ("\r", true),
                ("\u{2028}", true),
                ("\n\n", false),
            ],
        ),
        ("\\R\\n", &[("\r\n", true)]),
        (
            "[^a]",
            &[("b", true), ("a", false), ("\n", true), ("", false)],
        ),
        ("\\bfoo\\b.*", &[("foo bar", true), ("foobar", false)]),
        (".*\\Bo\\B.*", &[("foo", true), ("o", false)]),
        ("\\p{Alpha}+", &[("abZ", true), ("\u{e9}", false)]),
        (
            "\\p{Lower}\\p{Upper}\\p{Digit}\\p{Punct}\\p{Space}",
            &[("aZ0!\t", true)],
        ),
        (
            "\\p{Alnum}\\p{XDigit}\\p{Blank}\\p{Cntrl}\\p{Graph}\\p{Print}\\p{ASCII}",
            &[("aF \u{1}~ \u{7f}", true)],
        ),
        ("\\P{Alpha}", &[("1", true), ("a", false)]),
        (
            "\\p{L}\\pL\\p{IsL}\\p{Lu}\\p{IsLu}\\p{gc=Ll}",
            &[("\u{e9}\u{e9}\u{e9}\u{c9}\u{c9}\u{e9}", true)],
        ),
        (
            "\\p{IsLatin}\\p{sc=Grek}\\p{IsGreek}",
            &[("\u{e9}\u{3b1}\u{3b2}", true)],
        ),
        (
            "\\p{IsAlphabetic}\\p{IsWhite_Space}\\p{IsPunctuation}\\p{IsDigit}",
            &[("\u{e9}\u{3000}!\u{663}", true)],
        ),
        (
            "\\p{javaLowerCase}\\p{javaUpperCase}\\p{javaWhitespace}\\p{javaLetterOrDigit}",
            &[("\u{e9}\u{c9}\n\u{663}", true)],
        ),
        (
            "\\p{javaWhitespace}",
            &[("\u{a0}", false), ("\u{1c}", true)],
        ),
        ("\\p{L1}\\p{all}", &[("\u{ff}\n", true)]),
        (
            "\\p{Zl}|\\p{Zp}|\\p{Cc}",
            &[
                ("\u{2028}", true),
                ("\u{2029}", true),
                ("\n", true),
                ("a", false),
            ],
        ),
        ("\\t\\n\\r\\f\\a\\e", &[("\t\n\r\u{c}\u{7}\u{1b}", true)]),
        (
            "\\x41\\x{1F600}\\u0062\\0143\\cA\\c?",
            &[("A\u{1f600}bc\u{1}\u{7f}", true)],
        ),
        ("\\uD83D\\uDE00", &[("\u{1f600}", true)]),
        ("\\uD83D", &[("\u{1f600}", false), ("", false)]),
        (
            "\\.\\*\\+\\?\\(\\)\\[\\]\\{\\}\\|\\^\\$\\\\\\/\\-\\#\\&\\~\\<\\>\\\"\\'\\ \\@",
            &[(".*+?()[]{}|^$\\/-#&~<>\"' @", true)],
        ),
        ("\\\u{e9}", &[("\u{e9}", true)]),
        ("\\Q.*\\E", &[(".*", true), ("ab", false), (".", false)]),
        ("\\Qab\\E*", &[("abbb", true), ("abab", false)]),
        ("\\Qa\\\\b", &[("a\\b", false)]),
        ("[\\Q]-\\E]+", &[("]-", true), ("a", false)]),
        ("[a-c&&[^b]]+", &[("ac", true), ("abc", false)]),
        ("[a-z&&[^aeiou]]+", &[("bcd", true), ("bad", false)]),
        ("[\\w&&[^\\d]]+", &[("ab_", true), ("a1", false)]),
        ("[abc[x-z]]+", &[("axz", true), ("aw", false)]),
        ("[^a[b]]", &[("a", false), ("b", false), ("c", true)]),
        ("[]a]", &[("]", true), ("a", true)]),
        ("[^]a]", &[("]", false), ("b", true)]),
        ("[a-]", &[("-", true), ("a", true)]),
        ("[-a]", &[("-", true)]),
        (
            "[\\d-z]",
            &[("-", true), ("z", true), ("5", true), ("a", false)],
        ),
        ("[a-\\x{7a}]", &[("m", true)]),
        ("[&]", &[("&", true)]),
        ("[a&&&b]", &[("a", true), ("&", true), ("b", true)]),
        (
            "[a&&[b]&c]",
            &[("a", true), ("b", false), ("&", true), ("c", true)],
        ),
        ("[a&&]", &[("a", true)]),
        ("[&&a]", &[("a", true)]),
        (
            "[\\v-\\x{c}]",
            &[("\u{b}", true), ("\u{c}", true), ("\n", false)],
        ),
        ("[.]", &[(".", true), ("a", false)]),
        ("[\\n-\\r]", &[("\u{b}", true)]),
        ("[\\uD800-\\uDFFF]", &[("\u{1f600}", false)]),
        (
            "[\\x{D7FF}-\\x{E000}]",
            &[("\u{d7ff}", true), ("\u{e000}", true)],
        ),
        ("a{2}", &[("aa", true), ("aaa", false)]),
        ("a{2,}", &[("aa", true), ("aaaa", true), ("a", false)]),
        ("a{1,2}?", &[("a", true), ("aa", true), ("aaa", false)]),
        ("a*?b+?c??", &[("aab", true), ("bc", true)]),
        ("{2}", &[("", true), ("a", false)]),
        ("a{2}{3}", &[("aa", true)]),
        ("}", &[("}", true)]),
        ("]", &[("]", true)]),
        ("(?<code>\\d+)-(?<rest>x)", &[("12-x", true)]),
        ("(?:ab)+", &[("abab", true), ("aba", false)]),
        ("(|a)+", &[("aa", true), ("", true)]),
        ("()", &[("", true)]),
        ("^*a", &[("a", true)]),
        ("(?i)abc", &[("ABC", true), ("aBc", true)]),
        ("(?i)\\u00e9", &[("\u{c9}", false)]),
        ("(?iu)\\u00e9", &[("\u{c9}", true)]),
        ("(?iu)k", &[("K", true), ("\u{212a}", true)]),
        ("(?i)k", &[("K", true), ("\u{212a}", false)]),
        ("(?i)[a-c]+", &[("ABC", true)]),
        ("(?i)[Z-a]", &[("z", true), ("A", true), ("_", true)]),
        ("(?i)[^a]", &[("A", false), ("b", true)]),
        ("(?i)\\p{Lower}", &[("A", true)]),
        ("(?i)\\p{Lu}", &[("a", true)]),
        ("(?i:a)b", &[("Ab", true), ("AB", false)]),
        ("a(?i)b|c", &[("aB", true), ("C", true)]),
        ("(a(?i)b)B", &[("aBB", true), ("aBb", false)]),
        ("(?i)(?-i)A", &[("a", false)]),
        ("(?s).", &[("\n", true)]),
        ("(?d).", &[("\r", true), ("\n", false)]),
        ("(?d)a$", &[("a\r", false)]),
        ("(?x) a b # comment", &[("ab", true), ("a b", false)]),
        ("(?x)[a b]", &[(" ", false), ("b", true)]),
        ("(?x)a\\ b", &[("a b", true)]),
        ("(?m)a$\\n^b", &[("a\nb", true)]),
        ("(?m)^a$", &[("a", true)]),
        ("(?U)\\w\\d\\s", &[("\u{e9}\u{663}\u{3000}", true)]),
        ("(?U)\\p{Alpha}", &[("\u{e9}", true)]),
        ("(?U)\\bx", &[("x", true)]),
    ];

    #[test]
    fn matches_what_java_matched() {
        for (pattern, texts) in JAVA_CORPUS {
            let r = compile(pattern);
            for (text, expected) in *texts {
                assert_eq!(r.is_match(text), *expected, "{pattern:?} on {text:?}");
            }
        }
    }

    #[test]
    fn selection_patterns_match_the_whole_string() {
        assert!(m(r"4\d{2}", "404"));
        assert!(!m(r"4\d{2}", "4040"));
        assert!(!m(r"4\d{2}", "x404"));
        assert!(m(r"2\d{2}", "201"));
        assert!(!m(r"2\d{2}", "2001"));
        assert!(!m("Invalid*", "Invalid input"));
        assert!(m("Invalid*", "Invalidd"));
        assert!(m("default", "default"));
        assert!(!m("default", "defaults"));
        assert!(m(".*404.*", "foo 404 bar"));
        assert!(m(r".*\[NotFound\].*", "x [NotFound] y"));
        assert!(!m(".+", "a\nb"));
        assert!(!m(".+", "a\rb"));
        assert!(!m(".+", "a\u{85}b"));
        assert!(!m(".+", "a\u{2028}b"));
        assert!(!m(".+", "a\u{2029}b"));
        assert!(m(r"(\n|.)*", "a\nb\n"));
        assert!(!m(r"(\n|.)*", "a\r\n"));
        assert!(m("(?s).+", "a\nb"));
        assert!(m("(?d).+", "a\rb"));
        assert!(!m("(?d).+", "a\nb"));
        assert!(m("^abc$", "abc"));
        assert!(!m("a$", "a\n"));
        assert!(!m(r"a\Z", "a\n"));
        assert!(m("", ""));
        assert!(!m("", "a"));
        assert!(m("a|", ""));
    }

    #[test]
    fn predefined_classes_are_ascii_unless_u() {
        assert!(m(r"\d", "7"));
        assert!(!m(r"\d", "\u{663}")); // ARABIC-INDIC DIGIT THREE
        assert!(!m(r"\w", "\u{e9}"));
        assert!(m(r"\s", "\u{b}"));
        assert!(!m(r"\s", "\u{a0}"));
        assert!(m(r"\h", "\u{a0}"));
        assert!(m(r"\h", "\t"));
        assert!(!m(r"\h", "\n"));
        assert!(m(r"\v", "\u{2029}"));
        assert!(m(r"\p{Alpha}+", "abZ"));
        assert!(!m(r"\p{Alpha}", "\u{e9}"));
        assert!(m(r"\p{IsAlphabetic}", "\u{e9}"));
        assert!(m(r"\p{Punct}+", "!@[`{~"));
        assert!(m(r"(?U)\d\w\s\p{Alpha}", "\u{663}\u{e9}\u{3000}\u{e9}"));
        assert!(m(r"[^a]", "b"));
        assert!(!m(r"[^a]", "a"));
        assert!(m(r"[^a]", "\n"));
        assert!(m(r"\bfoo\b.*", "foo bar"));
        assert!(!m(r"\bfoo\b.*", "foobar"));
    }

    #[test]
    fn translations() {
        let t = |p: &str| translate(p).unwrap_or_else(|e| panic!("{p:?}: {e}"));
        assert_eq!(t(r"4\d{2}"), r"\A(?:4[0-9]{2})\z");
        assert_eq!(t("a|b"), r"\A(?:a|b)\z");
        assert_eq!(t(".*"), r"\A(?:[^\n\r\x{85}\x{2028}\x{2029}]*)\z");
        assert_eq!(t("(?s)."), r"\A(?:(?s:.))\z");
        assert_eq!(t(r"\Q.*\E"), r"\A(?:\.\*)\z");
        assert_eq!(t(r"(?<code>\d+)"), r"\A(?:(?P<code>[0-9]+))\z");
        assert_eq!(t("(?i)ab1"), r"\A(?:[Aa][Bb]1)\z");
        assert_eq!(t(r"\bx\B"), r"\A(?:(?-u:\b)x(?-u:\B))\z");
        assert_eq!(t("^a$"), r"\A(?:\Aa\z)\z");
        assert_eq!(t("[a-c&&[^b]]"), r"\A(?:[[a-c]&&[^b]])\z");
        assert_eq!(t(r"\P{L}"), r"\A(?:\P{L})\z");
        assert_eq!(t(r"\uD83D\uDE00"), r"\A(?:\x{1F600})\z");
        assert_eq!(t("é"), "\\A(?:é)\\z");
        assert_eq!(t(r"\uD83D"), r"\A(?:[^\x{0}-\x{10FFFF}])\z");
    }

    #[test]
    fn quoting() {
        assert!(m(r"\Q.*\E", ".*"));
        assert!(!m(r"\Q.*\E", "ab"));
        assert!(!m(r"\Q.*\E", ""));
        assert!(m(r"a\Q(b", "a(b")); // unterminated: quotes to the end
        assert!(m(r"\Q\d\E", r"\d"));
        assert!(m(r"\Qa\\E", r"a\"));
        // Java quotes char by char, so a quantifier after `\E` repeats the last one.
        assert!(m(r"\Qab\E*", "abbb"));
        assert!(!m(r"\Qab\E*", "abab"));
        assert!(m(r"[\Q]-\E]+", "]-]"));
        assert!(m(r"\Q1\E{2}", "11"));
        assert!(m(r"a\\Q", r"a\Q"));
    }

    #[test]
    fn escapes() {
        assert!(m(r"\t\n\r\f\a\e", "\t\n\r\u{c}\u{7}\u{1b}"));
        assert!(m(r"\x41\x{42}\u0043\0104", "ABCD"));
        assert!(unsupported(r"\103").0.contains("backreference")); // not octal in Java
        assert!(m(r"\0400", " 0")); // \040 then 0: three octal digits only up to \377
        assert!(m(r"\cA\c?", "\u{1}\u{7f}"));
        assert!(m(r"\x{1F600}", "\u{1F600}"));
        assert!(m(r"\uD83D\uDE00", "\u{1F600}"));
        assert!(!m(r"\uD83D", "\u{1F600}"));
        assert!(m(
            r"\.\*\+\?\(\)\[\]\{\}\|\^\$\\\#\&\~\-\<\>\ ",
            r".*+?()[]{}|^$\#&~-<> "
        ));
        assert!(m(r"\é", "é"));
        assert!(m(r"\R", "\r\n"));
        assert!(m(r"\R\n", "\r\n"));
        assert!(m(r"\R+", "\r\n\n\u{2028}"));
    }

    #[test]
    fn classes() {
        assert!(m(r"[a-c&&[^b]]+", "ac"));
        assert!(!m(r"[a-c&&[^b]]+", "abc"));
        assert!(m(r"[\w&&[^\d]]+", "ab_"));
        assert!(m(r"[abc[x-z]]+", "axz"));
        assert!(m(r"[]a]+", "]a"));
        assert!(m(r"[^]a]", "b"));
        assert!(m(r"[a-]+", "a-"));
        assert!(m(r"[\d-z]+", "1-z"));
        assert!(!m(r"[\d-z]", "a"));
        assert!(m(r"[&&a]", "a"));
        assert!(m(r"[a&&]", "a"));
        // Java's bit set is shared by reference: chars after `&&…&` still count on its left.
        assert!(m(r"[a&&[b]&c]", "a"));
        assert!(!m(r"[a&&[b]&c]", "b"));
        assert!(m(r"[\p{L}&&[^\p{Lu}]]", "\u{e9}"));
        assert!(!m(r"[\p{L}&&[^\p{Lu}]]", "\u{c9}"));
        assert!(m(r"[\x{D7FF}-\x{E000}]", "\u{E000}"));
        assert!(!m(r"[\uD800-\uDFFF]", "\u{1F600}"));
        assert!(m(r"[\v-\x{c}]", "\u{c}"));
        assert!(m(r"(?x)[a b]", "b"));
        assert!(!m(r"(?x)[a b]", " "));
    }

    #[test]
    fn groups_and_quantifiers() {
        assert!(m(r"(?<code>\d+)-(?<rest>x)", "12-x"));
        assert!(m(r"(?:ab)+", "abab"));
        assert!(!m(r"(?:ab)+", "aba"));
        assert!(m(r"a{2,}?", "aaa"));
        assert!(m(r"a*?b+?c??", "aab"));
        assert!(m("{2}", "")); // a quantifier with nothing before it repeats the empty string
        assert!(m("a{2}{3}", "aa"));
        assert!(m("}]", "}]"));
        assert!(m("^*a", "a"));
        assert!(m("(|a)+", "aa"));
        assert!(m("(?:){2147483647}", ""));
    }

    #[test]
    fn flags() {
        assert!(m("(?i)abc", "ABC"));
        assert!(m("(?i)abc", "aBc"));
        assert!(!m("(?i)\u{e9}", "\u{c9}")); // ASCII-only without `u`
        assert!(m("(?iu)\u{e9}", "\u{c9}"));
        assert!(!m("(?i)k", "\u{212a}"));
        assert!(m("(?iu)k", "\u{212a}"));
        assert!(m("(?i)[a-c]+", "ABC"));
        assert!(m("(?i)[Z-a]+", "zA_"));
        assert!(!m("(?i)[^a]", "A"));
        assert!(m(r"(?i)\p{Lower}", "A"));
        assert!(m(r"(?i)\p{Lu}", "a"));
        assert!(m("(?i:a)b", "Ab"));
        assert!(!m("(?i:a)b", "AB"));
        assert!(m("a(?i)b|c", "C")); // flags run on to the end of the group
        assert!(m("(a(?i)b)B", "aBB"));
        assert!(!m("(a(?i)b)B", "aBb"));
        assert!(!m("(?i)(?-i)A", "a"));
        assert!(m("(?x) a b # comment", "ab"));
        assert!(m(r"(?x)a\ b", "a b"));
        assert!(m("(?m)a$\\n^b", "a\nb"));
        assert!(m("(?m)^a$", "a"));
        assert!(m("(?d)a$", "a"));
        assert!(m("(?s-s).", "a"));
        assert!(!m("(?s-s).", "\n"));
        assert!(m(r"(?U)\bx", "x"));
    }

    #[test]
    fn unsupported_constructs_report_their_offset() {
        let cases: &[(&str, &str, usize)] = &[
            ("(?=a)a", "lookahead `(?=`", 0),
            (r"(?!2)\d+", "negative lookahead `(?!`", 0),
            ("a(?<=b)", "lookbehind `(?<=`", 1),
            ("a(?<!b)", "negative lookbehind `(?<!`", 1),
            ("(?>ab)", "atomic group `(?>`", 0),
            (r"(a)\1", "backreference `\\1`", 3),
            (
                r"(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)\10",
                "backreference `\\10`",
                30,
            ),
            (r"(?<n>a)\k<n>", "named backreference `\\k<n>`", 7),
            ("a*+", "possessive quantifier `*+`", 1),
            ("a++", "possessive quantifier `++`", 1),
            ("a?+", "possessive quantifier `?+`", 1),
            ("a{2}+", "possessive quantifier `{2}+`", 1),
            ("ab{1,3}+", "possessive quantifier `{1,3}+`", 2),
            (r"\Ga", "`\\G`", 0),
            (r"a\X", "grapheme cluster `\\X`", 1),
            (r"a\b{g}", "grapheme cluster boundary `\\b{g}`", 1),
            (r"\N{LATIN SMALL LETTER A}", "named character `\\N{", 0),
            (r"\p{InGreek}", "Unicode block `\\p{InGreek}`", 0),
            (r"x[\p{blk=Greek}]", "Unicode block", 2),
            ("a(?c)b", "inline flag `c`", 1),
            ("a$\\n", "`$`", 1),
            (r"a\Z\s*", "`$`", 1),
            (r"(?:a$|\n)+", "`$`", 4),
            ("(?d)a$\\r?\\n", "`$`", 5),
            ("(?m)^", "multi-line `^` that can match at the end", 4),
            ("(?m)a\\n^.*", "multi-line `^` that can match at the end", 7),
            ("(?m)\u{2028}^a", "multi-line `^` preceded", 5),
            ("(?m)a$\u{85}", "multi-line `$` followed", 5),
            (r"\R{2}", "quantified `\\R`", 0),
            (r"x\R?\n", "quantified `\\R`", 1),
            (r"(?:a|\A){2}", "a group repeated at least twice", 8),
            ("a{100000}", "too large to compile", 0),
        ];
        for (p, construct, offset) in cases {
            let (c, o) = unsupported(p);
            assert!(c.contains(construct), "{p:?}: {c:?} lacks {construct:?}");
            assert_eq!(o, *offset, "{p:?}: {c}");
        }
        // Nesting is bounded before recursion could exhaust the stack.
        let deep = |n: usize| format!("{}a{}", "(".repeat(n), ")".repeat(n));
        assert!(m(&deep(32), "a"));
        assert_eq!(unsupported(&deep(33)).1, 32);
        assert_eq!(unsupported(&deep(20_000)).1, 32);
        assert_eq!(
            unsupported(&format!("{}a{}", "[".repeat(40), "]".repeat(40))).1,
            32
        );
        assert!(unsupported(&format!("[a[b]{}]", "&&".repeat(40)))
            .0
            .contains("class"));
    }

    #[test]
    fn exact_translations_near_the_refused_ones() {
        // `$` with nothing able to consume the final line terminator after it.
        assert!(m(r"a$\z", "a"));
        assert!(m(r"(?:a$|b)c?", "a"));
        assert!(m(r"a$.*", "a"));
        assert!(!m(r"a$.*", "a\n"));
        assert!(m(r"^foo$|^bar\s+baz$", "bar  baz"));
        // `\R` unquantified, or in an optional group (which Java backtracks into).
        assert!(m(r"(\R)?\n", "\r\n"));
        assert!(m(r"\R+", "\r\n"));
        // Repeats whose empty iterations cannot matter.
        assert!(m(r"(?:a|)*b", "ab"));
        assert!(m(r"(?:a|\A)+", "a"));
        assert!(m(r"(?:\A){2}a", "a"));
        // Multi-line anchors with a non-empty rest and no exotic terminators around.
        assert!(m("(?m)^a$\\r?\\n^b$", "a\r\nb"));
    }

    #[test]
    fn invalid_patterns() {
        let cases: &[(&str, &str, usize)] = &[
            (r"(4\d{2}", "Unclosed group", 7),
            (r"4\d{2", "Unclosed counted closure", 5),
            ("a)", "Unmatched closing ')'", 1),
            ("*a", "Dangling meta character '*'", 0),
            ("+a", "Dangling meta character '+'", 0),
            ("?a", "Dangling meta character '?'", 0),
            ("a**", "Dangling meta character '*'", 2),
            ("a|?", "Dangling meta character '?'", 2),
            ("(?i)*", "Dangling meta character '*'", 4),
            ("a{", "Illegal repetition", 2),
            ("a{,2}", "Illegal repetition", 2),
            ("x{a}", "Illegal repetition", 2),
            ("a{2,1}", "Illegal repetition range", 5),
            ("a{99999999999}", "Illegal repetition range", 11),
            ("[abc", "Unclosed character class", 3),
            ("[", "Unclosed character class", 0),
            ("[^", "Unclosed character class", 1),
            ("[]", "Unclosed character class", 1),
            ("[z-a]", "Illegal character range", 3),
            (r"[a-\d]", "Illegal character range", 4),
            ("[&&]", "Bad class syntax", 2),
            ("[[b]c&&]", "Bad intersection syntax", 6),
            ("\\", "Unescaped trailing backslash", 1),
            ("a\\", "Unescaped trailing backslash", 2),
            (r"\y", "Illegal/unsupported escape sequence", 1),
            (r"\E", "Illegal/unsupported escape sequence", 1),
            (r"\k", "\\k is not followed by '<'", 2),
            (r"\k<x>", "named capturing group <x> does not exist", 4),
            ("(?<1a>x)", "does not start with a Latin letter", 3),
            (
                "(?<a>x)(?<a>y)",
                "Named capturing group <a> is already defined",
                11,
            ),
            ("(?<a", "missing trailing '>'", 4),
            ("(?", "Unknown inline modifier", 2),
            ("(?q)", "Unknown inline modifier", 2),
            ("(?#c)", "Unknown inline modifier", 2),
            ("(?$)", "Unknown group type", 2),
            (r"\x{zz}", "Illegal hexadecimal escape sequence", 2),
            (r"\x{110000}", "Hexadecimal codepoint is too big", 8),
            (r"\x{41", "Unclosed hexadecimal escape sequence", 5),
            (r"\xg", "Illegal hexadecimal escape sequence", 2),
            (r"\u12", "Illegal Unicode escape sequence", 4),
            (r"\0", "Illegal octal escape sequence", 2),
            (r"\08", "Illegal octal escape sequence", 2),
            (r"\c", "Illegal control escape sequence", 1),
            (r"\p{Foo}", "Unknown character property name {Foo}", 6),
            (r"\p{IsFoo}", "Unknown character property name {IsFoo}", 8),
            (r"\p{}", "Empty character family", 3),
            (r"\p{L", "Unclosed character family", 4),
            (
                r"\p{foo=bar}",
                "Unknown Unicode property {name=<foo>, value=<bar>}",
                10,
            ),
            (r"[\b]", "Illegal/unsupported escape sequence", 2),
            (r"[\1]", "Illegal/unsupported escape sequence", 2),
            (r"[\A]", "Illegal/unsupported escape sequence", 2),
            (r"[\R]", "Illegal/unsupported escape sequence", 2),
            (r"[\Z]", "Illegal/unsupported escape sequence", 2),
            (r"\b{x}", "Illegal repetition", 3),
            (r"\N{a", "Unclosed character name escape sequence", 3),
            // A syntax error wins over an earlier unsupported construct, as Java would see it.
            ("(?=a)[", "Unclosed character class", 5),
            (r"(a)\1(", "Unclosed group", 6),
            // Offsets count chars of the original pattern, before `\Q…\E` is expanded.
            (r"\Q\E*", "Dangling meta character '*'", 4),
            ("é*+*", "Dangling meta character '*'", 3),
        ];
        for (p, message, offset) in cases {
            let (msg, o) = invalid(p);
            assert!(msg.contains(message), "{p:?}: {msg:?} lacks {message:?}");
            assert_eq!(o, Some(*offset), "{p:?}: {msg}");
        }
        let (msg, o) = invalid(&"a".repeat(MAX_PATTERN_LEN + 1));
        assert!(msg.contains("longer than"), "{msg}");
        assert_eq!(o, None);
    }

    #[test]
    fn property_tables_compile_and_know_their_line_terminators() {
        fn mask_of(re: &str) -> u8 {
            let r = regex::Regex::new(&format!(r"\A(?:{re})\z"))
                .unwrap_or_else(|e| panic!("{re}: {e}"));
            TERMINATORS
                .iter()
                .filter(|(c, _)| r.is_match(&char::from_u32(*c).unwrap().to_string()))
                .fold(0, |m, (_, b)| m | b)
        }
        let check = |what: &str, found: Option<(String, u8)>| {
            let (re, mask) = found.unwrap_or_else(|| panic!("{what} not found"));
            assert_eq!(mask_of(&re), mask, "{what}: {re}");
        };
        let names = [
            "Cn",
            "Lu",
            "Ll",
            "Lt",
            "Lm",
            "Lo",
            "Mn",
            "Me",
            "Mc",
            "Nd",
            "Nl",
            "No",
            "Zs",
            "Zl",
            "Zp",
            "Cc",
            "Cf",
            "Co",
            "Cs",
            "Pd",
            "Ps",
            "Pe",
            "Pc",
            "Po",
            "Sm",
            "Sc",
            "Sk",
            "So",
            "Pi",
            "Pf",
            "L",
            "M",
            "N",
            "Z",
            "C",
            "P",
            "S",
            "LC",
            "LD",
            "L1",
            "all",
            "ASCII",
            "Alnum",
            "Alpha",
            "Blank",
            "Cntrl",
            "Digit",
            "Graph",
            "Lower",
            "Print",
            "Punct",
            "Space",
            "Upper",
            "XDigit",
            "javaLowerCase",
            "javaUpperCase",
            "javaAlphabetic",
            "javaIdeographic",
            "javaTitleCase",
            "javaDigit",
            "javaDefined",
            "javaLetter",
            "javaLetterOrDigit",
            "javaJavaIdentifierStart",
            "javaJavaIdentifierPart",
            "javaUnicodeIdentifierStart",
            "javaUnicodeIdentifierPart",
            "javaIdentifierIgnorable",
            "javaSpaceChar",
            "javaWhitespace",
            "javaISOControl",
            "javaMirrored",
        ];
        let unicode = [
            "ALPHABETIC",
            "ASSIGNED",
            "CONTROL",
            "EMOJI",
            "EMOJI_PRESENTATION",
            "EMOJI_MODIFIER",
            "EMOJI_MODIFIER_BASE",
            "EMOJI_COMPONENT",
            "EXTENDED_PICTOGRAPHIC",
            "HEXDIGIT",
            "HEX_DIGIT",
            "IDEOGRAPHIC",
            "JOINCONTROL",
            "JOIN_CONTROL",
            "LETTER",
            "LOWERCASE",
            "NONCHARACTERCODEPOINT",
            "NONCHARACTER_CODE_POINT",
            "TITLECASE",
            "PUNCTUATION",
            "UPPERCASE",
            "WHITESPACE",
            "WHITE_SPACE",
            "WORD",
            "ALPHA",
            "LOWER",
            "UPPER",
            "SPACE",
            "PUNCT",
            "XDIGIT",
            "ALNUM",
            "CNTRL",
            "DIGIT",
            "BLANK",
            "GRAPH",
            "PRINT",
        ];
        for ci in [false, true] {
            for name in names {
                check(name, for_property(name, ci));
            }
            for name in unicode {
                check(name, unicode_property(name, ci));
            }
        }
        for name in ["Latin", "latn", "Greek", "Common", "Zyyy", "Unknown"] {
            check(name, script(name));
        }
        assert_eq!(script("Klingon"), None);
        for (name, re) in [
            ("ASCII_SPACE", ASCII_SPACE),
            ("HWS", HWS),
            ("VWS", VWS),
            ("WORD_U", WORD_U),
            ("NEVER", NEVER),
            ("LINE_BREAK", LINE_BREAK),
        ] {
            assert!(regex::Regex::new(re).is_ok(), "{name}");
        }
        // And the Java definitions of the escapes.
        assert_eq!(mask_of(HWS), 0);
        assert_eq!(mask_of(VWS), ALL);
        assert_eq!(mask_of(ASCII_SPACE), LF | CR);
    }

    #[test]
    fn errors_display_and_accessors() {
        let r = compile(r"4\d{2}");
        assert_eq!(r.as_str(), r"4\d{2}");
        let e = JavaRegex::compile("a(?=b)").unwrap_err();
        assert_eq!(
            e.to_string(),
            "lookahead `(?=` is not supported (at offset 1)"
        );
        let e = JavaRegex::compile("[abc").unwrap_err();
        assert_eq!(e.to_string(), "Unclosed character class (at offset 3)");
        let e = JavaRegexError::Invalid {
            message: "bad".into(),
            offset: None,
        };
        assert_eq!(e.to_string(), "bad");
    }

    /// A deterministic xorshift stream, so failures reproduce.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 >> 11) as usize
        }
    }

    #[test]
    fn arbitrary_patterns_never_panic() {
        let tokens: Vec<&str> = vec![
            "a",
            "b",
            "1",
            ".",
            "*",
            "+",
            "?",
            "{",
            "}",
            "{2}",
            "{1,",
            ",",
            "[",
            "]",
            "[^",
            "(",
            ")",
            "(?",
            "(?:",
            "(?<",
            ">",
            "<",
            "=",
            "!",
            "|",
            "^",
            "$",
            "&&",
            "&",
            "-",
            "\\",
            "\\Q",
            "\\E",
            "\\p{",
            "\\P",
            "L}",
            "Is",
            "In",
            "\\x",
            "\\u",
            "\\0",
            "\\c",
            "\\k<",
            "\\d",
            "\\b",
            "\\R",
            "\\Z",
            "\\G",
            "\\N{",
            "i",
            "x",
            "m",
            "s",
            "d",
            "u",
            "U",
            "-",
            "#",
            " ",
            "\n",
            "\r",
            "\u{85}",
            "\u{2028}",
            "é",
            "\u{1F600}",
            "\u{0}",
            "0",
            "7",
            "9",
            "f",
            "D800",
            "DC00",
            "10FFFF}",
        ];
        let texts = ["", "a", "ab1", "\r\n", "é\u{2028}", "a\n"];
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for i in 0..3000 {
            let mut p = String::new();
            if i % 3 == 0 {
                // Printable ASCII noise.
                for _ in 0..rng.next() % 16 {
                    p.push(char::from(b' ' + (rng.next() % 95) as u8));
                }
            } else {
                for _ in 0..rng.next() % 12 {
                    p.push_str(tokens[rng.next() % tokens.len()]);
                }
            }
            // Translation alone must never panic; compile a share of them too.
            let translated = translate(&p);
            if i % 4 == 0 || translated.is_ok() && i % 2 == 0 {
                if let Ok(r) = JavaRegex::compile(&p) {
                    for t in texts {
                        let _ = r.is_match(t);
                    }
                }
            }
            if let Ok(t) = translated {
                assert!(t.starts_with(r"\A(?:") && t.ends_with(r")\z"), "{p:?}: {t}");
            }
        }
    }
}
