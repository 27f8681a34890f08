//! Helpers shared by the test binaries: compile or expect a given error, failing loudly.
#![allow(dead_code)] // each test binary uses a different part of the helpers
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use apigate_java_regex::{JavaRegex, JavaRegexError};

/// Compiles `p`, failing the test if Java would accept it and this crate does not.
pub fn compile(p: &str) -> JavaRegex {
    JavaRegex::compile(p).unwrap_or_else(|e| panic!("{p:?}: {e}"))
}

/// Whether `p` matches the whole of `s`.
pub fn m(p: &str, s: &str) -> bool {
    compile(p).is_match(s)
}

/// The construct and offset `p` is refused for as unsupported.
pub fn unsupported(p: &str) -> (String, usize) {
    match JavaRegex::compile(p) {
        Err(JavaRegexError::Unsupported { construct, offset }) => (construct, offset),
        other => panic!("{p:?} should be unsupported, got {other:?}"),
    }
}

/// The message and offset `p` is refused with as invalid.
pub fn invalid(p: &str) -> (String, Option<usize>) {
    match JavaRegex::compile(p) {
        Err(JavaRegexError::Invalid { message, offset }) => (message, offset),
        other => panic!("{p:?} should be invalid, got {other:?}"),
    }
}
