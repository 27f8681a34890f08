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
//!
//! Layout: this root holds the public API ([`JavaRegex`], [`JavaRegexError`], [`translate`])
//! and the limits. `parser`, a port of Java's in parts, builds the tree of translated pieces
//! defined in `node`; `exactness` refuses the trees whose translation would match differently
//! and `node` emits the rest. `property` holds the `\p{…}` tables, `flags` Java's flag values
//! and the line-terminator bit set, `literal` code points written as `regex` syntax.

mod exactness;
mod flags;
mod literal;
mod node;
mod parser;
mod property;

use std::fmt;
use std::sync::Arc;

use exactness::check_exactness;
use node::emit;
use parser::Parser;

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
