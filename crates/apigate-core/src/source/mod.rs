//! Source text → a tree of [`Node`]s that remember their line and column.
//!
//! Neither serde_json nor the serde YAML crates keep positions per node, and every diagnostic
//! must name `file:line:col`, so definitions are read into this small spanned tree first.
//! JSON is read by our own strict RFC 8259 parser ([`json`]); YAML by `saphyr-parser`'s event
//! stream ([`yaml`]). Both bound nesting depth and total size, so no input can exhaust the stack.

mod json;
mod yaml;

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
    pub text: String,
    pub pos: Pos,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    /// A number as written (JSON number or YAML int/float), kept exact.
    Number(serde_json::Number),
    String(String),
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

/// Parses `text` as `format`.
pub fn parse(text: &str, format: Format) -> Result<Node, SyntaxError> {
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
            Value::String(s) => J::String(s.clone()),
            Value::Array(a) => J::Array(a.iter().map(Node::to_json).collect()),
            Value::Object(e) => J::Object(
                e.iter()
                    .map(|(k, v)| (k.text.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }
}
