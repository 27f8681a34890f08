//! Whole-string matches recorded on real Java (`Pattern.matches`, OpenJDK 17 and 25).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::compile;

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
