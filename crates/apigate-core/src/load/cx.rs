//! The loading context: a cursor over the spanned tree that knows its JSON pointer, and the
//! helpers every check uses to report problems and read typed fields.

use crate::diag::{pointer_push, Diagnostic, Diagnostics, Pos};
use crate::rules::{self, Rule};
use crate::source::{Key, Node, Value};

/// A node together with its JSON pointer.
#[derive(Debug, Clone)]
pub(crate) struct At<'n> {
    pub node: &'n Node,
    pub ptr: String,
}

impl<'n> At<'n> {
    pub fn root(node: &'n Node) -> At<'n> {
        At {
            node,
            ptr: String::new(),
        }
    }

    /// The member `key` of an object (the last one if repeated).
    pub fn get(&self, key: &str) -> Option<At<'n>> {
        self.node.get(key).map(|node| At {
            node,
            ptr: pointer_push(&self.ptr, key),
        })
    }

    /// The members of an object, with their keys; empty for non-objects.
    pub fn entries(&self) -> Vec<(&'n Key, At<'n>)> {
        match &self.node.value {
            Value::Object(e) => e
                .iter()
                .map(|(k, node)| {
                    (
                        k,
                        At {
                            node,
                            ptr: pointer_push(&self.ptr, &k.text),
                        },
                    )
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The items of an array; empty for non-arrays.
    pub fn items(&self) -> Vec<At<'n>> {
        match &self.node.value {
            Value::Array(a) => a
                .iter()
                .enumerate()
                .map(|(i, node)| At {
                    node,
                    ptr: format!("{}/{i}", self.ptr),
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    pub fn str(&self) -> Option<&'n str> {
        self.node.as_str()
    }
}

/// Where a diagnostic points: a node, or an object key.
pub(crate) trait Locate {
    fn locate(&self) -> (String, Pos);
}

impl Locate for At<'_> {
    fn locate(&self) -> (String, Pos) {
        (self.ptr.clone(), self.node.pos)
    }
}

/// An object key: the pointer is the member's, the position the key's.
pub(crate) struct KeyAt<'a, 'n>(pub &'n Key, pub &'a At<'n>);

impl Locate for KeyAt<'_, '_> {
    fn locate(&self) -> (String, Pos) {
        (self.1.ptr.clone(), self.0.pos)
    }
}

/// The diagnostics sink plus the document (for `$ref` resolution).
pub(crate) struct Cx<'d> {
    pub diags: &'d mut Diagnostics,
    pub doc: &'d Node,
}

impl<'d> Cx<'d> {
    /// Reports `rule` at `loc`; returns the diagnostic so a hint can be added.
    pub fn report(
        &mut self,
        rule: Rule,
        loc: &impl Locate,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        let (pointer, pos) = loc.locate();
        self.diags.push_mut(Diagnostic {
            severity: rule.severity,
            rule: rule.id,
            message: message.into(),
            pointer,
            pos,
            hint: None,
        })
    }

    /// Reports `rule` with a hint.
    pub fn report_hint(
        &mut self,
        rule: Rule,
        loc: &impl Locate,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        self.report(rule, loc, message).hint = Some(hint.into());
    }

    fn wrong_type(&mut self, at: &At<'_>, what: &str, expected: &str) {
        let found = at.node.type_name();
        self.report(
            rules::INVALID_TYPE,
            at,
            format!("{what} must be {expected}, found {found}"),
        );
    }

    /// The node as an object, or a diagnostic.
    pub fn object<'n>(&mut self, at: &At<'n>, what: &str) -> Option<Vec<(&'n Key, At<'n>)>> {
        match at.node.value {
            Value::Object(_) => Some(at.entries()),
            _ => {
                self.wrong_type(at, what, "an object");
                None
            }
        }
    }

    /// The node as an array, or a diagnostic.
    pub fn array<'n>(&mut self, at: &At<'n>, what: &str) -> Option<Vec<At<'n>>> {
        match at.node.value {
            Value::Array(_) => Some(at.items()),
            _ => {
                self.wrong_type(at, what, "an array");
                None
            }
        }
    }

    /// The node as a string, or a diagnostic.
    pub fn string<'n>(&mut self, at: &At<'n>, what: &str) -> Option<&'n str> {
        match at.str() {
            Some(s) => Some(s),
            None => {
                self.wrong_type(at, what, "a string");
                None
            }
        }
    }

    /// The node as a boolean, or a diagnostic.
    pub fn boolean(&mut self, at: &At<'_>, what: &str) -> Option<bool> {
        match at.node.as_bool() {
            Some(b) => Some(b),
            None => {
                self.wrong_type(at, what, "a boolean");
                None
            }
        }
    }

    /// Follows a local `$ref` (`#/a/b`) if `at` is a reference object; external or dangling
    /// references were already reported by the document-wide `$ref` check.
    pub fn deref<'n>(&self, at: At<'n>) -> Option<At<'n>>
    where
        'd: 'n,
    {
        let mut cur = at;
        for _ in 0..16 {
            let Some(target) = cur.node.get("$ref").and_then(Node::as_str) else {
                return Some(cur);
            };
            let pointer = target.strip_prefix('#')?;
            let node = lookup_pointer(self.doc, pointer)?;
            cur = At {
                node,
                ptr: pointer.to_string(),
            };
        }
        None
    }
}

/// Resolves an RFC 6901 pointer (`/a/b~1c`) in `root`.
pub(crate) fn lookup_pointer<'n>(root: &'n Node, pointer: &str) -> Option<&'n Node> {
    if pointer.is_empty() {
        return Some(root);
    }
    let mut cur = root;
    for token in pointer.strip_prefix('/')?.split('/') {
        let token = token.replace("~1", "/").replace("~0", "~");
        let decoded = percent_encoding::percent_decode_str(&token)
            .decode_utf8_lossy()
            .into_owned();
        cur = match &cur.value {
            Value::Object(_) => cur.get(&decoded)?,
            Value::Array(a) => a.get(decoded.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}
