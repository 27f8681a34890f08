//! Character properties (`\p{…}`), as `CharPredicates.java` defines them: each is a `regex`
//! class expression and the Java line terminators it matches.

use crate::flags::{ALL, CC, CR, LF, LS, NEL, PS};
use crate::literal::NEVER;

pub(crate) const WORD_U: &str = r"[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\x{200C}\x{200D}]";
const HEX_DIGIT_U: &str = r"[\p{Nd}\p{Hex_Digit}]";
const CASED_U: &str = r"[\p{Lowercase}\p{Uppercase}\p{Lt}]";
const LETTER_CASED: &str = r"[\p{Lu}\p{Ll}\p{Lt}]";
const IGNORABLE: &str = r"\x{0}-\x{8}\x{E}-\x{1B}\x{7F}-\x{9F}\p{Cf}";
pub(crate) const ASCII_SPACE: &str = r"[\x{9}-\x{D}\x{20}]";
pub(crate) const HWS: &str =
    r"[\x{9}\x{20}\x{A0}\x{1680}\x{180E}\x{2000}-\x{200A}\x{202F}\x{205F}\x{3000}]";
pub(crate) const VWS: &str = r"[\x{A}-\x{D}\x{85}\x{2028}\x{2029}]";
pub(crate) const LINE_BREAK: &str = r"(?:\r\n|[\x{A}-\x{D}\x{85}\x{2028}\x{2029}])";

/// `CharPredicates.forProperty`: categories, POSIX (ASCII) and `java*` names.
pub(crate) fn for_property(name: &str, ci: bool) -> Option<(String, u8)> {
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
pub(crate) fn posix_unicode(upper: &str, ci: bool) -> Option<(String, u8)> {
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
pub(crate) fn unicode_property(upper: &str, ci: bool) -> Option<(String, u8)> {
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
pub(crate) fn script(name: &str) -> Option<(String, u8)> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flags::TERMINATORS;

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
}
