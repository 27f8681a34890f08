//! Exactness analysis: finds the constructs whose literal translation would match
//! differently from Java (anchors next to line terminators, quantified `\R`, loops with
//! empty iterations), so that they are refused instead of approximated.

use crate::flags::{ALL, LF, LS, NEL, PS};
use crate::node::{Anchor, Node};
use crate::JavaRegexError;

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
pub(crate) fn check_exactness(node: &Node) -> Result<(), JavaRegexError> {
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
