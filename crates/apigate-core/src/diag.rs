//! Diagnostics: every problem found while loading a definition, with where it is and what to do.
//!
//! Loading never stops at the first problem: each check pushes a [`Diagnostic`] into a
//! [`Diagnostics`] list and carries on, so one `validate` run reports everything.

use std::fmt;

/// A 1-based line and column in the source text (columns count Unicode scalar values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// How bad a problem is.
///
/// `Error`: AWS's import would refuse the definition, or apigate could not serve it faithfully
/// (it fails closed). `Warning`: the definition imports and serves, but something is ignored,
/// cannot run locally, or is probably a mistake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One problem in a definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable rule id (kebab-case), listed in `docs/RULES.md`.
    pub rule: &'static str,
    /// What is wrong, naming the offending value.
    pub message: String,
    /// RFC 6901 JSON pointer to the offending node ("" = the document).
    pub pointer: String,
    /// Where the offending node starts in the source text.
    pub pos: Pos,
    /// What to do about it, when there is something useful to say.
    pub hint: Option<String>,
}

/// The problems collected while loading one definition.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.items.push(d);
    }

    /// Pushes `d` and returns it, so the caller can add a hint.
    pub fn push_mut(&mut self, d: Diagnostic) -> &mut Diagnostic {
        self.items.push(d);
        match self.items.last_mut() {
            Some(last) => last,
            None => unreachable!("an item was just pushed"),
        }
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|d| d.severity == Severity::Error)
    }

    pub fn error_count(&self) -> usize {
        self.count(Severity::Error)
    }

    pub fn warning_count(&self) -> usize {
        self.count(Severity::Warning)
    }

    fn count(&self, s: Severity) -> usize {
        self.items.iter().filter(|d| d.severity == s).count()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.items.iter()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Sorts by position, then rule, so output is stable whatever order the checks ran in.
    pub fn sort(&mut self) {
        self.items
            .sort_by(|a, b| (a.pos, a.rule, &a.pointer).cmp(&(b.pos, b.rule, &b.pointer)));
    }

    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.items
    }
}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

/// Appends one reference token to a JSON pointer, escaping `~` and `/` as RFC 6901 says.
pub fn pointer_push(base: &str, token: &str) -> String {
    let mut s = String::with_capacity(base.len() + token.len() + 1);
    s.push_str(base);
    push_pointer_token(&mut s, token);
    s
}

/// Appends `/token` to `ptr` in place, escaped as RFC 6901 says.
pub fn push_pointer_token(ptr: &mut String, token: &str) {
    ptr.push('/');
    for c in token.chars() {
        match c {
            '~' => ptr.push_str("~0"),
            '/' => ptr.push_str("~1"),
            c => ptr.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointer_escapes_slash_and_tilde() {
        assert_eq!(
            pointer_push("/paths", "/{folder}/{item}"),
            "/paths/~1{folder}~1{item}"
        );
        assert_eq!(pointer_push("", "a~b"), "/a~0b");
    }
}
