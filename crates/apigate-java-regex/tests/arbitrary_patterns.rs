//! Generated patterns never panic the translator or the compiled regex.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use apigate_java_regex::{translate, JavaRegex};

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
