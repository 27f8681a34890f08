//! The loading context: a cursor over the spanned tree that knows its JSON pointer, and the
//! helpers every check uses to report problems and read typed fields.

use std::collections::HashMap;

use crate::diag::{push_pointer_token, Diagnostic, Diagnostics, Pos};
use crate::java_regex::{JavaRegex, JavaRegexError};
use crate::rules::{self, Rule};
use crate::source::{Key, Node, Value};

/// A node of the document being checked.
///
/// JSON pointers are not built while walking (that would cost an allocation per node on
/// every load); [`Cx::report`] works a node's pointer out only when a diagnostic needs it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct At<'n> {
    pub node: &'n Node,
}

impl<'n> At<'n> {
    pub fn root(node: &'n Node) -> At<'n> {
        At { node }
    }

    /// The member `key` of an object (the last one if repeated).
    pub fn get(&self, key: &str) -> Option<At<'n>> {
        self.node.get(key).map(|node| At { node })
    }

    /// The members of an object, with their keys; empty for non-objects.
    pub fn entries(&self) -> Entries<'n> {
        match &self.node.value {
            Value::Object(e) => Entries(e.iter()),
            _ => Entries::default(),
        }
    }

    /// The items of an array; empty for non-arrays.
    pub fn items(&self) -> Items<'n> {
        match &self.node.value {
            Value::Array(a) => Items(a.iter()),
            _ => Items::default(),
        }
    }

    pub fn str(&self) -> Option<&'n str> {
        self.node.as_str()
    }
}

/// The members of an object, as cursors (walked in place: no list is built).
#[derive(Debug, Clone, Default)]
pub(crate) struct Entries<'n>(std::slice::Iter<'n, (Key, Node)>);

impl<'n> Iterator for Entries<'n> {
    type Item = (&'n Key, At<'n>);

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(k, node)| (k, At { node }))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl ExactSizeIterator for Entries<'_> {}

impl Entries<'_> {
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The items of an array, as cursors.
#[derive(Debug, Clone, Default)]
pub(crate) struct Items<'n>(std::slice::Iter<'n, Node>);

impl<'n> Iterator for Items<'n> {
    type Item = At<'n>;

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|node| At { node })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl ExactSizeIterator for Items<'_> {}

/// Where a diagnostic points: a node, or an object key (the member's pointer, the key's
/// position).
pub(crate) trait Locate {
    fn node(&self) -> &Node;
    fn pos(&self) -> Pos;
}

impl Locate for At<'_> {
    fn node(&self) -> &Node {
        self.node
    }
    fn pos(&self) -> Pos {
        self.node.pos
    }
}

/// An object key: the pointer is the member's, the position the key's.
pub(crate) struct KeyAt<'a, 'n>(pub &'n Key, pub &'a At<'n>);

impl Locate for KeyAt<'_, '_> {
    fn node(&self) -> &Node {
        self.1.node
    }
    fn pos(&self) -> Pos {
        self.0.pos
    }
}

/// The diagnostics sink plus the document (for `$ref` resolution).
pub(crate) struct Cx<'d> {
    pub diags: &'d mut Diagnostics,
    pub doc: &'d Node,
    /// Selection patterns compiled so far: real APIs repeat the same few (`4\d{2}`, …)
    /// on every method, and compiling a regex costs far more than cloning one.
    pub patterns: HashMap<String, Result<JavaRegex, JavaRegexError>>,
    /// Node address → JSON pointer, built on the first diagnostic.
    pointers: Option<HashMap<*const Node, String>>,
    /// Request models compiled so far, by schema node (many methods share one definition);
    /// `None` = the schema could not be compiled (reported once).
    pub models: HashMap<*const Node, Option<std::sync::Arc<crate::body_validation::ModelSchema>>>,
    /// The API's mapping-template engine (the root's `x-apigate-template-engine`, VTL when
    /// absent); an integration may name its own.
    pub template_engine: apigate_template::Engine,
}

impl<'d> Cx<'d> {
    pub fn new(diags: &'d mut Diagnostics, doc: &'d Node) -> Cx<'d> {
        Cx {
            diags,
            doc,
            patterns: HashMap::new(),
            models: HashMap::new(),
            pointers: None,
            template_engine: apigate_template::Engine::Velocity,
        }
    }

    /// Compiles a selection pattern once per distinct source.
    pub fn selection_pattern(&mut self, java: &str) -> Result<JavaRegex, JavaRegexError> {
        if let Some(r) = self.patterns.get(java) {
            return r.clone();
        }
        let r = JavaRegex::compile(java);
        self.patterns.insert(java.to_string(), r.clone());
        r
    }

    /// Reports `rule` at `loc`; returns the diagnostic so a hint can be added.
    pub fn report(
        &mut self,
        rule: Rule,
        loc: &impl Locate,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        let pointer = self.pointer_of(loc.node());
        self.report_at(rule, pointer, loc.pos(), message)
    }

    /// Reports at an explicit pointer (for places that do not exist in the document, such
    /// as a missing field).
    pub fn report_at(
        &mut self,
        rule: Rule,
        pointer: String,
        pos: Pos,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        self.diags.push_mut(Diagnostic {
            severity: rule.severity,
            rule: rule.id,
            message: message.into(),
            pointer,
            pos,
            hint: None,
        })
    }

    /// The JSON pointer of `node` (a node of this document).
    pub fn pointer_of(&mut self, node: &Node) -> String {
        let doc = self.doc;
        let map = self.pointers.get_or_insert_with(|| {
            let mut map = HashMap::new();
            index_pointers(doc, &mut String::new(), &mut map);
            map
        });
        map.get(&std::ptr::from_ref(node))
            .cloned()
            .unwrap_or_default()
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
    pub fn object<'n>(&mut self, at: &At<'n>, what: &str) -> Option<Entries<'n>> {
        match at.node.value {
            Value::Object(_) => Some(at.entries()),
            _ => {
                self.wrong_type(at, what, "an object");
                None
            }
        }
    }

    /// The node as an array, or a diagnostic.
    pub fn array<'n>(&mut self, at: &At<'n>, what: &str) -> Option<Items<'n>> {
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
            cur = At {
                node: lookup_pointer(self.doc, pointer)?,
            };
        }
        None
    }
}

fn index_pointers(node: &Node, ptr: &mut String, map: &mut HashMap<*const Node, String>) {
    map.insert(std::ptr::from_ref(node), ptr.clone());
    let len = ptr.len();
    match &node.value {
        Value::Object(entries) => {
            for (k, v) in entries {
                push_pointer_token(ptr, &k.text);
                index_pointers(v, ptr, map);
                ptr.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                ptr.push('/');
                ptr.push_str(&i.to_string());
                index_pointers(v, ptr, map);
                ptr.truncate(len);
            }
        }
        _ => {}
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
