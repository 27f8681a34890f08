//! What supported patterns match, and what they translate to: whole-string matching,
//! predefined classes, quoting, escapes, classes, groups, quantifiers and inline flags.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use apigate_java_regex::translate;
use common::{m, unsupported};

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
