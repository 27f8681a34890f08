//! The translated tree, and its emission as `regex`-crate syntax.

use crate::property::LINE_BREAK;

/// A translated pattern piece.
#[derive(Debug)]
pub(crate) enum Node {
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
    /// `^` and `$` under MULTILINE, `$` and `\Z` without; see [`crate::exactness::check_exactness`].
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
pub(crate) enum Anchor {
    /// Java's `$` without MULTILINE, and `\Z`: the end of the input or before a final line
    /// terminator (only `\n` under UNIX_LINES). Translated as `\z`.
    Dollar { unix: bool },
    /// `$` under MULTILINE: before any line terminator (not inside `\r\n`) or at the end.
    MultilineDollar { unix: bool },
    /// `^` under MULTILINE: at the start or after a line terminator (not inside `\r\n`),
    /// but never at the very end of the input.
    MultilineCaret { unix: bool },
}

pub(crate) fn emit(node: &Node, out: &mut String) {
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
