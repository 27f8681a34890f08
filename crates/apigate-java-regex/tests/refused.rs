//! Patterns refused as unsupported (with the construct and its offset) or invalid (with
//! Java's message and offset), the exact translations next to the refused ones, and how the
//! errors read.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use apigate_java_regex::{JavaRegex, JavaRegexError, MAX_PATTERN_LEN};
use common::{compile, invalid, m, unsupported};

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
