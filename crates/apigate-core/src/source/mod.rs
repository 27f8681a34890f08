//! Source text → a tree of [`Node`]s that remember their line and column.
//!
//! Neither serde_json nor the serde YAML crates keep positions per node, and every diagnostic
//! must name `file:line:col`, so definitions are read into this small spanned tree first.
//! JSON is read by our own strict RFC 8259 parser ([`json`]); YAML by a fast reader for the
//! block subset definitions are written in, else by `saphyr-parser`'s event stream ([`yaml`]).
//! Both bound nesting depth and total size, so no input can exhaust the stack.

mod json;
mod yaml;

use std::borrow::Borrow;
use std::collections::HashSet;
use std::fmt;
use std::ops::Deref;
use std::rc::Rc;

use crate::diag::Pos;

/// Deepest nesting of arrays/objects accepted; deeper input is a syntax error.
pub const MAX_DEPTH: usize = 128;

/// Most nodes one document may expand to (YAML aliases are expanded by copying).
pub const MAX_NODES: usize = 2_000_000;

/// Which syntax a document is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Yaml,
}

impl Format {
    /// Picks the format from a file name (`.json` / `.yaml` / `.yml`), else from the first
    /// non-blank character of the text (`{` or `[` means JSON).
    pub fn detect(file_name: &str, text: &str) -> Format {
        let lower = file_name.to_ascii_lowercase();
        if lower.ends_with(".json") {
            return Format::Json;
        }
        if lower.ends_with(".yaml") || lower.ends_with(".yml") {
            return Format::Yaml;
        }
        match text
            .trim_start_matches('\u{feff}')
            .trim_start()
            .chars()
            .next()
        {
            Some('{') | Some('[') => Format::Json,
            _ => Format::Yaml,
        }
    }
}

/// A value with the position where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub pos: Pos,
}

/// An object key with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub text: Text,
    pub pos: Pos,
}

/// The text of a key or string value: immutable and shared. Definitions repeat the same
/// keys and values thousands of times (`type`, `string`, `method.request.path.id`, …); the
/// readers keep one copy of each distinct text per document ([`Interner`]), so a large
/// definition costs far fewer allocations and far less memory to build, walk and drop.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Text(Rc<str>);

impl Text {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for Text {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.0, f)
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Text {
        Text(Rc::from(s))
    }
}

impl From<String> for Text {
    fn from(s: String) -> Text {
        Text(Rc::from(s))
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        *self.0 == *other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        *self.0 == **other
    }
}

/// One shared [`Text`] per distinct string of a document.
#[derive(Default)]
pub(crate) struct Interner {
    texts: HashSet<Text, foldhash::fast::RandomState>,
    /// Some text holds `${AWS::` (each distinct text is looked at once).
    import_variables: bool,
}

impl Interner {
    /// `facts` completed with what the interned texts show.
    pub fn facts(&self, facts: Facts) -> Facts {
        Facts {
            import_variables: self.import_variables,
            ..facts
        }
    }

    pub fn text(&mut self, s: &str) -> Text {
        if let Some(t) = self.texts.get(s) {
            return t.clone();
        }
        self.import_variables |= crate::vars::mentions(s);
        let t = Text::from(s);
        self.texts.insert(t.clone());
        t
    }
}

/// What a reader noticed while building the tree, so that the loader can skip whole-tree
/// passes that would find nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Facts {
    /// Some key or string value contains `${AWS::` (an AWS import variable).
    pub import_variables: bool,
    /// Some object has the same key more than once.
    pub duplicate_keys: bool,
    /// Some object has a `$ref` key.
    pub refs: bool,
}

impl Facts {
    /// Notes what one finished object shows (its members, not the values inside them).
    /// Its keys must come from the reader's [`Interner`], so equal keys share one [`Text`].
    fn object(&mut self, entries: &[(Key, Node)]) {
        if !self.refs {
            self.refs = entries.iter().any(|(k, _)| k.text == "$ref");
        }
        if !self.duplicate_keys {
            self.duplicate_keys = repeats_a_key(entries);
        }
    }
}

/// Whether two interned keys repeat: equal texts are the same allocation, so comparing
/// addresses is enough (and reads no text).
fn repeats_a_key(entries: &[(Key, Node)]) -> bool {
    let addr = |k: &Key| Rc::as_ptr(&k.text.0).cast::<u8>();
    // Small objects (nearly all) need no set.
    if entries.len() <= 16 {
        return entries.iter().enumerate().any(|(i, (key, _))| {
            entries
                .get(..i)
                .unwrap_or_default()
                .iter()
                .any(|(k, _)| addr(k) == addr(key))
        });
    }
    let mut seen: HashSet<*const u8, foldhash::fast::RandomState> = HashSet::default();
    !entries.iter().all(|(k, _)| seen.insert(addr(k)))
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    /// A number as written (JSON number or YAML int/float), kept exact.
    Number(serde_json::Number),
    String(Text),
    Array(Vec<Node>),
    /// Entries in document order; duplicate keys are kept (lookups see the last one).
    Object(Vec<(Key, Node)>),
}

/// A syntax error: the text is not well-formed JSON/YAML (or is nested too deeply / too large).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub message: String,
    pub pos: Pos,
}

impl From<SyntaxError> for crate::diag::Diagnostic {
    /// The `syntax` diagnostic a file that does not parse gets (a definition or a config).
    fn from(e: SyntaxError) -> Self {
        crate::diag::Diagnostic {
            severity: crate::rules::SYNTAX.severity,
            rule: crate::rules::SYNTAX.id,
            message: e.message,
            pointer: String::new(),
            pos: e.pos,
            hint: None,
        }
    }
}

/// Parses `text` as `format`.
/// For the `yaml_subset` fuzz target: whether the fast YAML reader (definitions' usual block
/// subset) and saphyr's full reader agree on `text` (see `yaml::readers_agree`).
#[doc(hidden)]
pub fn yaml_readers_agree(text: &str) -> Result<bool, String> {
    yaml::readers_agree(text)
}

pub fn parse(text: &str, format: Format) -> Result<Node, SyntaxError> {
    parse_with_facts(text, format).map(|(node, _)| node)
}

/// Parses `text` as `format`, with what the reader noticed on the way.
pub fn parse_with_facts(text: &str, format: Format) -> Result<(Node, Facts), SyntaxError> {
    match format {
        Format::Json => json::parse(text),
        Format::Yaml => yaml::parse(text),
    }
}

impl Node {
    /// The value of `key` if this is an object that has it (the last one if repeated).
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Object(entries) => entries
                .iter()
                .rev()
                .find(|(k, _)| k.text == key)
                .map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&[(Key, Node)]> {
        match &self.value {
            Value::Object(e) => Some(e),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match &self.value {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match &self.value {
            Value::Number(n) => n.as_i64(),
            _ => None,
        }
    }

    /// A short name of the value's type, for messages ("string", "object", …).
    pub fn type_name(&self) -> &'static str {
        match &self.value {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
    }

    /// The equivalent `serde_json::Value` (positions dropped; duplicate keys: last wins).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Number(n) => J::Number(n.clone()),
            Value::String(s) => J::String(s.to_string()),
            Value::Array(a) => J::Array(a.iter().map(Node::to_json).collect()),
            Value::Object(e) => J::Object(
                e.iter()
                    .map(|(k, v)| (k.text.to_string(), v.to_json()))
                    .collect(),
            ),
        }
    }
}
