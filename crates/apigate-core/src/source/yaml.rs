//! YAML → spanned tree, from `saphyr-parser`'s event stream (YAML 1.2, core schema).
//!
//! Documents in the common block subset are read by [`subset`] instead, which builds the same
//! tree several times faster; it hands anything else (and every error) to the events here.
//!
//! Built with an explicit stack, so nesting depth is checked rather than recursed into.
//! Aliases are expanded by copying the anchored node. Every node created counts against
//! [`MAX_NODES`] — tree nodes, alias copies and the copy kept for each anchor — so alias bombs
//! (and deeply nested anchors) are refused quickly and memory stays bounded.
//!
//! Positions: saphyr's markers have 1-based lines and 0-based columns counted in characters (a
//! leading BOM is not counted); ours are 1-based both. A node's position is where its first
//! property (`&anchor`, `!tag`) or its content starts. For block scalars (`|`, `>`) saphyr
//! reports the first content line, so we look back in the text for the indicator instead.

mod subset;

use std::collections::HashMap;

use saphyr_parser::{Event, Marker, Parser, ScalarStyle, Span, Tag};

use super::{Facts, Interner, Key, Node, SyntaxError, Text, Value, MAX_DEPTH, MAX_NODES};
use crate::diag::Pos;

pub(super) fn parse(text: &str) -> Result<(Node, Facts), SyntaxError> {
    match subset::parse(text) {
        Some(parsed) => Ok(parsed),
        None => parse_events(text),
    }
}

/// Whether the fast subset reader and saphyr's events read `text` alike: `Ok(false)` when the
/// subset reader defers to saphyr, `Ok(true)` when both give the same tree, positions and facts,
/// `Err` naming the disagreement otherwise (the `yaml_subset` fuzz target).
pub(super) fn readers_agree(text: &str) -> Result<bool, String> {
    let Some((node, facts)) = subset::parse(text) else {
        return Ok(false);
    };
    match parse_events(text) {
        Ok((expected, expected_facts)) if node == expected && facts == expected_facts => Ok(true),
        Ok(_) => Err("the subset reader and saphyr built different trees or facts".into()),
        Err(e) => Err(format!(
            "the subset reader accepted what saphyr refuses: {e:?}"
        )),
    }
}

/// The document read through saphyr's events: any YAML, and every error.
fn parse_events(text: &str) -> Result<(Node, Facts), SyntaxError> {
    let mut b = Builder {
        text,
        line_starts: None,
        stack: Vec::new(),
        items: Vec::new(),
        entries: Vec::new(),
        strings: Interner::default(),
        facts: Facts::default(),
        anchors: HashMap::new(),
        root: None,
        root_is_empty: false,
        nodes: 0,
        documents: 0,
        prev_end: Marker::new(0, 1, 0),
    };
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| {
            let message = match e.info() {
                // saphyr counts flow levels in a u8; past that it refuses with this message.
                "recursion limit exceeded" => format!("nesting deeper than {MAX_DEPTH} levels"),
                info => info.to_string(),
            };
            SyntaxError {
                message,
                pos: pos(e.marker()),
            }
        })?;
        b.event(event, span)?;
    }
    match b.root {
        Some(root) if !b.root_is_empty => {
            let facts = b.strings.facts(b.facts);
            Ok((root, facts))
        }
        _ => Err(SyntaxError {
            message: "empty document".into(),
            pos: Pos { line: 1, col: 1 },
        }),
    }
}

fn pos(m: &Marker) -> Pos {
    Pos {
        line: u32::try_from(m.line()).unwrap_or(u32::MAX),
        col: u32::try_from(m.col().saturating_add(1)).unwrap_or(u32::MAX),
    }
}

fn error(message: impl Into<String>, pos: Pos) -> SyntaxError {
    SyntaxError {
        message: message.into(),
        pos,
    }
}

fn not_scalar_key(pos: Pos) -> SyntaxError {
    error("mapping keys must be scalars", pos)
}

/// An open collection. Its finished children wait on the builder's shared `items` / `entries`
/// stacks from `start` on, and move into a vector of their exact size when it closes (one
/// allocation per collection, none for growth).
enum Frame {
    Seq {
        start: usize,
        pos: Pos,
        anchor: usize,
    },
    Map {
        start: usize,
        /// The key read, waiting for its value.
        key: Option<Key>,
        pos: Pos,
        anchor: usize,
    },
}

/// A node an anchor names: what an alias copies.
struct Anchored {
    node: Node,
    /// Nodes in `node` (what one copy costs).
    size: usize,
    /// The scalar's text when the node is a scalar (an alias used as a key takes it).
    text: Option<Text>,
}

struct Builder<'a> {
    text: &'a str,
    /// Byte offset of each line start, built the first time a block scalar needs it.
    line_starts: Option<Vec<usize>>,
    stack: Vec<Frame>,
    /// Finished items of the open sequences, innermost last.
    items: Vec<Node>,
    /// Finished members of the open mappings, innermost last.
    entries: Vec<(Key, Node)>,
    strings: Interner,
    facts: Facts,
    anchors: HashMap<usize, Anchored>,
    root: Option<Node>,
    /// The document is an empty plain scalar (`---` and nothing else).
    root_is_empty: bool,
    nodes: usize,
    documents: usize,
    /// Where the previous event ended (block scalar indicators are searched from there).
    prev_end: Marker,
}

impl Builder<'_> {
    fn event(&mut self, event: Event<'_>, span: Span) -> Result<(), SyntaxError> {
        let at = pos(&span.start);
        let prev_end = std::mem::replace(&mut self.prev_end, span.end);
        match event {
            Event::DocumentStart(_) => {
                self.documents += 1;
                if self.documents > 1 {
                    return Err(error("only one YAML document per file is supported", at));
                }
            }
            Event::Scalar(text, style, anchor, tag) => {
                let at = match style {
                    ScalarStyle::Literal | ScalarStyle::Folded if anchor == 0 && tag.is_none() => {
                        self.block_indicator(&prev_end, at).unwrap_or(at)
                    }
                    _ => at,
                };
                self.count(1, at)?;
                let is_key = self.awaited_key().is_some();
                if is_key && anchor == 0 && tag.is_none() {
                    // The common key: only its text is needed, no value to resolve.
                    let text = self.strings.text(&text);
                    if let Some(key) = self.awaited_key() {
                        *key = Some(Key { text, pos: at });
                    }
                    return Ok(());
                }
                if self.stack.is_empty() {
                    self.root_is_empty = text.is_empty()
                        && style == ScalarStyle::Plain
                        && tag.is_none()
                        && anchor == 0;
                }
                if is_key || anchor > 0 {
                    let value = resolve(&text, style, tag.as_deref(), at, &mut self.strings)?;
                    let text = self.strings.text(&text);
                    if anchor > 0 {
                        self.anchors.insert(
                            anchor,
                            Anchored {
                                node: Node {
                                    value: value.clone(),
                                    pos: at,
                                },
                                size: 1,
                                text: Some(text.clone()),
                            },
                        );
                    }
                    if is_key {
                        // A key is the scalar as written: `200:` is "200", `~:` is "~".
                        if let Some(key) = self.awaited_key() {
                            *key = Some(Key { text, pos: at });
                        }
                    } else {
                        self.attach(Node { value, pos: at })?;
                    }
                } else {
                    let value = resolve(&text, style, tag.as_deref(), at, &mut self.strings)?;
                    self.attach(Node { value, pos: at })?;
                }
            }
            Event::Alias(id) => {
                let Some(anchored) = self.anchors.get(&id) else {
                    // saphyr refuses undefined anchors itself; an id we lack is an anchor whose
                    // node is still open around this alias.
                    return Err(error(
                        "recursive alias: it refers to a node that contains it",
                        at,
                    ));
                };
                let (size, text) = (anchored.size, anchored.text.clone());
                self.count(size, at)?;
                if let Some(key) = self.awaited_key() {
                    let Some(text) = text else {
                        return Err(not_scalar_key(at));
                    };
                    *key = Some(Key { text, pos: at });
                } else if let Some(anchored) = self.anchors.get(&id) {
                    let value = anchored.node.value.clone();
                    self.attach(Node { value, pos: at })?;
                }
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if self.awaited_key().is_some() {
                    return Err(not_scalar_key(at));
                }
                if self.stack.len() >= MAX_DEPTH {
                    return Err(error(format!("nesting deeper than {MAX_DEPTH} levels"), at));
                }
                self.stack
                    .push(if matches!(event, Event::SequenceStart(..)) {
                        Frame::Seq {
                            start: self.items.len(),
                            pos: at,
                            anchor,
                        }
                    } else {
                        Frame::Map {
                            start: self.entries.len(),
                            key: None,
                            pos: at,
                            anchor,
                        }
                    });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (node, anchor) = match self.stack.pop() {
                    Some(Frame::Seq { start, pos, anchor }) => (
                        Node {
                            value: Value::Array(self.items.drain(start..).collect()),
                            pos,
                        },
                        anchor,
                    ),
                    Some(Frame::Map {
                        start,
                        key,
                        pos,
                        anchor,
                    }) => {
                        // saphyr always pairs keys with values; keep a dangling key regardless.
                        if let Some(key) = key {
                            let pos = key.pos;
                            self.entries.push((
                                key,
                                Node {
                                    value: Value::Null,
                                    pos,
                                },
                            ));
                        }
                        self.facts
                            .object(self.entries.get(start..).unwrap_or_default());
                        (
                            Node {
                                value: Value::Object(self.entries.drain(start..).collect()),
                                pos,
                            },
                            anchor,
                        )
                    }
                    None => return Err(error("unbalanced end of a collection", at)),
                };
                self.count(1, at)?;
                if anchor > 0 {
                    // The copy kept for aliases costs as much as the node itself.
                    let size = size(&node);
                    self.count(size, at)?;
                    self.anchors.insert(
                        anchor,
                        Anchored {
                            node: node.clone(),
                            size,
                            text: None,
                        },
                    );
                }
                self.attach(node)?;
            }
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {}
        }
        Ok(())
    }

    /// The innermost mapping's key slot, if that mapping is waiting for a key.
    fn awaited_key(&mut self) -> Option<&mut Option<Key>> {
        match self.stack.last_mut() {
            Some(Frame::Map { key, .. }) if key.is_none() => Some(key),
            _ => None,
        }
    }

    /// Adds a finished value to the collection being built (or makes it the document).
    fn attach(&mut self, node: Node) -> Result<(), SyntaxError> {
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { .. }) => self.items.push(node),
            Some(Frame::Map { key, .. }) => match key.take() {
                Some(k) => self.entries.push((k, node)),
                None => return Err(not_scalar_key(node.pos)),
            },
        }
        Ok(())
    }

    fn count(&mut self, n: usize, at: Pos) -> Result<(), SyntaxError> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > MAX_NODES {
            return Err(error(
                format!(
                    "document expands to more than {MAX_NODES} nodes \
                     (aliases are expanded by copying the anchored node)"
                ),
                at,
            ));
        }
        Ok(())
    }

    /// Byte offset in the text of a saphyr marker.
    fn offset(&mut self, m: &Marker) -> Option<usize> {
        let text = self.text;
        let starts = self.line_starts.get_or_insert_with(|| line_starts(text));
        let start = *starts.get(m.line().checked_sub(1)?)?;
        let line = text.get(start..)?;
        // saphyr does not count a BOM at the start of a line as a column.
        let bom = if line.starts_with('\u{feff}') { 3 } else { 0 };
        let line = line.get(bom..)?;
        let within = match line.char_indices().nth(m.col()) {
            Some((i, _)) => i,
            None if line.chars().count() == m.col() => line.len(),
            None => return None,
        };
        Some(start + bom + within)
    }

    /// Where the `|` or `>` of a block scalar is: between the previous event's end and the
    /// scalar's content there are only blanks, line breaks, comments and `-`/`?`/`:` indicators.
    fn block_indicator(&mut self, from: &Marker, content: Pos) -> Option<Pos> {
        let rest = self.text.get(self.offset(from)?..)?;
        let mut line = u32::try_from(from.line()).ok()?;
        let mut col = u32::try_from(from.col()).ok()?.checked_add(1)?;
        let mut chars = rest.chars().peekable();
        while let Some(c) = chars.next() {
            if (line, col) >= (content.line, content.col) {
                return None;
            }
            match c {
                '|' | '>' => return Some(Pos { line, col }),
                ' ' | '\t' | '-' | '?' | ':' => col += 1,
                '\n' => (line, col) = (line + 1, 1),
                '\r' if chars.peek() != Some(&'\n') => (line, col) = (line + 1, 1),
                '\r' => {}
                '#' => while chars.next_if(|&c| c != '\n' && c != '\r').is_some() {},
                _ => return None,
            }
        }
        None
    }
}

/// Byte offsets where lines start; line breaks are `\n`, `\r\n` and `\r`, as saphyr counts them.
fn line_starts(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut starts = vec![0];
    for (i, &b) in bytes.iter().enumerate() {
        let ends_line = b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n'));
        if ends_line {
            starts.push(i + 1);
        }
    }
    starts
}

/// Nodes in a tree (depth is at most [`MAX_DEPTH`], so recursion is bounded).
fn size(node: &Node) -> usize {
    match &node.value {
        Value::Array(a) => 1 + a.iter().map(size).sum::<usize>(),
        Value::Object(e) => 1 + e.iter().map(|(_, v)| size(v)).sum::<usize>(),
        _ => 1,
    }
}

/// The core-schema type an explicit tag names, if it is one of `!!str`/`!!int`/… (written
/// `!!int` or verbatim `!<tag:yaml.org,2002:int>`).
fn core_tag(tag: &Tag) -> Option<&str> {
    if tag.is_yaml_core_schema() {
        Some(&tag.suffix)
    } else if tag.handle.is_empty() {
        tag.suffix.strip_prefix("tag:yaml.org,2002:")
    } else {
        None
    }
}

/// YAML 1.2 core-schema resolution: plain scalars by their text, quoted and block scalars are
/// strings; `!!str`, `!!int`, `!!float`, `!!bool` and `!!null` force a type (an error when the
/// text is not one), the non-specific tag `!` forces a string, other tags are ignored.
fn resolve(
    text: &str,
    style: ScalarStyle,
    tag: Option<&Tag>,
    at: Pos,
    strings: &mut Interner,
) -> Result<Value, SyntaxError> {
    let by_style = |strings: &mut Interner| {
        if style == ScalarStyle::Plain {
            plain(text, strings)
        } else {
            Value::String(strings.text(text))
        }
    };
    let Some(tag) = tag else {
        return Ok(by_style(strings));
    };
    if tag.handle.is_empty() && tag.suffix == "!" {
        return Ok(Value::String(strings.text(text)));
    }
    let bad = |what: &str| error(format!("`{text}` is not a valid !!{what}"), at);
    match core_tag(tag) {
        Some("str") => Ok(Value::String(strings.text(text))),
        Some("int") => int(text).map(Value::Number).ok_or_else(|| bad("int")),
        Some("float") => float(text).ok_or_else(|| bad("float")),
        Some("bool") => bool_(text).map(Value::Bool).ok_or_else(|| bad("bool")),
        Some("null") if is_null(text) => Ok(Value::Null),
        Some("null") => Err(bad("null")),
        _ => Ok(by_style(strings)),
    }
}

fn plain(text: &str, strings: &mut Interner) -> Value {
    if is_null(text) {
        return Value::Null;
    }
    if let Some(b) = bool_(text) {
        return Value::Bool(b);
    }
    if let Some(n) = int(text) {
        return Value::Number(n);
    }
    float(text).unwrap_or_else(|| Value::String(strings.text(text)))
}

fn is_null(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

fn bool_(text: &str) -> Option<bool> {
    match text {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

fn all_digits(s: &str, radix: u32) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_digit(radix))
}

/// `[-+]?[0-9]+`, `0o[0-7]+`, `0x[0-9a-fA-F]+`, as i64 or u64 (`None` when out of range).
fn int(text: &str) -> Option<serde_json::Number> {
    for (prefix, radix) in [("0o", 8), ("0x", 16)] {
        if let Some(digits) = text.strip_prefix(prefix) {
            return all_digits(digits, radix)
                .then(|| u64::from_str_radix(digits, radix).ok())
                .flatten()
                .map(Into::into);
        }
    }
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !all_digits(unsigned, 10) {
        return None;
    }
    let t = text.strip_prefix('+').unwrap_or(text);
    t.parse::<i64>()
        .ok()
        .map(Into::into)
        .or_else(|| t.parse::<u64>().ok().map(Into::into))
}

/// A core-schema float (ints included, as `!!float 1` is 1.0). Infinities and NaN, which
/// JSON numbers cannot hold, stay strings as written; so do numbers too large for an f64.
fn float(text: &str) -> Option<Value> {
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    if matches!(unsigned, ".inf" | ".Inf" | ".INF") || matches!(text, ".nan" | ".NaN" | ".NAN") {
        return Some(Value::String(Text::from(text)));
    }
    if !is_float(unsigned) {
        return None;
    }
    Some(
        text.parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or_else(|| Value::String(Text::from(text)), Value::Number),
    )
}

/// `( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?` (the sign already removed).
fn is_float(t: &str) -> bool {
    let (mantissa, exp) = match t.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e)),
        None => (t, None),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some((whole, frac)) => {
            digits(whole) && digits(frac) && !(whole.is_empty() && frac.is_empty())
        }
        None => all_digits(mantissa, 10),
    };
    let exp_ok = exp.is_none_or(|e| all_digits(e.strip_prefix(['-', '+']).unwrap_or(e), 10));
    mantissa_ok && exp_ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(text: &str) -> Result<Node, SyntaxError> {
        super::parse(text).map(|(node, _)| node)
    }

    fn facts(text: &str) -> Facts {
        super::parse(text).unwrap().1
    }

    fn err(text: &str) -> (String, u32, u32) {
        let e = parse(text).unwrap_err();
        (e.message, e.pos.line, e.pos.col)
    }

    fn at(line: u32, col: u32) -> Pos {
        Pos { line, col }
    }

    fn keys(node: &Node) -> Vec<(&str, Pos)> {
        node.as_object()
            .unwrap()
            .iter()
            .map(|(k, _)| (k.text.as_str(), k.pos))
            .collect()
    }

    #[test]
    fn positions_of_nested_keys_and_values() {
        let doc = parse(
            "paths:\n  /x:\n    get:\n      uri: \"arn:x\"\n      n: [1, two]\n      'q': {k: v}\n",
        )
        .unwrap();
        assert_eq!(doc.pos, at(1, 1));
        let paths = doc.get("paths").unwrap();
        assert_eq!(paths.pos, at(2, 3));
        let get = paths.get("/x").unwrap().get("get").unwrap();
        assert_eq!(get.pos, at(4, 7));
        assert_eq!(get.get("uri").unwrap().pos, at(4, 12));
        assert_eq!(get.get("uri").unwrap().as_str(), Some("arn:x"));
        assert_eq!(
            keys(get),
            [("uri", at(4, 7)), ("n", at(5, 7)), ("q", at(6, 7))]
        );
        assert_eq!(get.get("n").unwrap().pos, at(5, 10));
        assert_eq!(get.get("n").unwrap().as_array().unwrap()[1].pos, at(5, 14));
        let q = get.get("q").unwrap();
        assert_eq!(q.pos, at(6, 12));
        assert_eq!(q.get("k").unwrap().pos, at(6, 16));
        assert_eq!(keys(q), [("k", at(6, 13))]);
    }

    #[test]
    fn sequences_and_properties() {
        let doc = parse("- a\n- b: &x !!str 1\n  c: *x\n").unwrap();
        let items = doc.as_array().unwrap();
        assert_eq!(items[0].pos, at(1, 3));
        assert_eq!(items[1].pos, at(2, 3));
        // A node with properties starts at its first property.
        assert_eq!(items[1].get("b").unwrap().pos, at(2, 6));
        assert_eq!(items[1].get("b").unwrap().as_str(), Some("1"));
        // An alias copy is placed where the alias is.
        assert_eq!(items[1].get("c").unwrap().pos, at(3, 6));
        assert_eq!(items[1].get("c").unwrap().as_str(), Some("1"));
    }

    #[test]
    fn block_scalars_start_at_their_indicator() {
        let doc = parse(
            "a: |\n  one\n  two\nb: >-\n\n    folded\n    text\nc: |\nd: |  # note | here\n  x\n\
             e:\n  - |\n    item\nf: !!str |\n  t\ng: # c\n  |\n  y\n",
        )
        .unwrap();
        assert_eq!(doc.get("a").unwrap().pos, at(1, 4));
        assert_eq!(doc.get("a").unwrap().as_str(), Some("one\ntwo\n"));
        assert_eq!(doc.get("b").unwrap().pos, at(4, 4));
        assert_eq!(doc.get("b").unwrap().as_str(), Some("\nfolded text"));
        assert_eq!(doc.get("c").unwrap().pos, at(8, 4));
        assert_eq!(doc.get("c").unwrap().as_str(), Some(""));
        assert_eq!(doc.get("d").unwrap().pos, at(9, 4));
        let e = doc.get("e").unwrap().as_array().unwrap();
        assert_eq!(e[0].pos, at(12, 5));
        assert_eq!(e[0].as_str(), Some("item\n"));
        assert_eq!(doc.get("f").unwrap().pos, at(14, 4));
        assert_eq!(doc.get("g").unwrap().pos, at(17, 3));
        assert_eq!(doc.get("g").unwrap().as_str(), Some("y\n"));
        // CRLF and a root block scalar.
        let doc = parse("a: 1\r\nb: |\r\n  x\r\n").unwrap();
        assert_eq!(doc.get("b").unwrap().pos, at(2, 4));
        assert_eq!(doc.get("b").unwrap().as_str(), Some("x\n"));
        assert_eq!(parse("--- >\n x\n").unwrap().pos, at(1, 5));
    }

    #[test]
    fn columns_count_characters() {
        let doc = parse("é€ü: {k: v}\n\"😀\": [x]\n").unwrap();
        assert_eq!(doc.get("é€ü").unwrap().get("k").unwrap().pos, at(1, 10));
        assert_eq!(doc.get("😀").unwrap().as_array().unwrap()[0].pos, at(2, 7));
        let doc = parse("k: é\nb: |\n  x\n").unwrap();
        assert_eq!(doc.get("b").unwrap().pos, at(2, 4));
        let doc = parse("é: |\n  x\n").unwrap();
        assert_eq!(doc.get("é").unwrap().pos, at(1, 4));
    }

    #[test]
    fn bom_is_skipped() {
        let doc = parse("\u{feff}a: b\nc: |\n  x\n").unwrap();
        assert_eq!(doc.get("a").unwrap().pos, at(1, 4));
        assert_eq!(doc.get("c").unwrap().pos, at(2, 4));
        let doc = parse("\u{feff}k: |\n  x\n").unwrap();
        assert_eq!(doc.get("k").unwrap().pos, at(1, 4));
    }

    #[test]
    fn core_schema_resolution() {
        let doc = parse(
            "a: 3.0.1\nb: 3.0\nc: 200\nd: '200'\ne: true\nf: ~\ng: 0x1F\nh: !!str 12\n\
             i: .inf\nj: 1e3\nk: yes\nl: -17\nm: +5\nn: 0o17\no: Null\np: FALSE\nq: \"true\"\n\
             r: 18446744073709551615\ns: 99999999999999999999\nt: .5\nu: 1.\nv: -.INF\nw: .NaN\n\
             x: 0x+1\ny: 0o8\nz: 1e999\naa:\nab: |\n  12\nac: 007\nad: 1_000\nae: 0X1F\n",
        )
        .unwrap();
        let v = |k: &str| doc.get(k).unwrap().to_json();
        assert_eq!(v("a"), json!("3.0.1"));
        assert_eq!(v("b"), json!(3.0));
        assert_eq!(v("c"), json!(200));
        assert_eq!(v("d"), json!("200"));
        assert_eq!(v("e"), json!(true));
        assert_eq!(v("f"), json!(null));
        assert_eq!(v("g"), json!(31));
        assert_eq!(v("h"), json!("12"));
        assert_eq!(v("i"), json!(".inf"));
        assert_eq!(v("j"), json!(1000.0));
        assert_eq!(v("k"), json!("yes"));
        assert_eq!(v("l"), json!(-17));
        assert_eq!(v("m"), json!(5));
        assert_eq!(v("n"), json!(15));
        assert_eq!(v("o"), json!(null));
        assert_eq!(v("p"), json!(false));
        assert_eq!(v("q"), json!("true"));
        assert_eq!(v("r"), json!(18446744073709551615u64));
        assert_eq!(v("s"), json!(1e20));
        assert_eq!(v("t"), json!(0.5));
        assert_eq!(v("u"), json!(1.0));
        assert_eq!(v("v"), json!("-.INF"));
        assert_eq!(v("w"), json!(".NaN"));
        assert_eq!(v("x"), json!("0x+1"));
        assert_eq!(v("y"), json!("0o8"));
        assert_eq!(v("z"), json!("1e999"));
        assert_eq!(v("aa"), json!(null));
        assert_eq!(v("ab"), json!("12\n"));
        assert_eq!(v("ac"), json!(7));
        assert_eq!(v("ad"), json!("1_000"));
        assert_eq!(v("ae"), json!("0X1F"));
    }

    #[test]
    fn explicit_tags() {
        let doc = parse(
            "a: !!int '12'\nb: !!float 1\nc: !!float .inf\nd: !!bool \"true\"\ne: !!null ''\n\
             f: !<tag:yaml.org,2002:str> 5\ng: ! 5\nh: !custom 5\ni: !!binary aGk=\nj: !!str\n",
        )
        .unwrap();
        let v = |k: &str| doc.get(k).unwrap().to_json();
        assert_eq!(v("a"), json!(12));
        assert_eq!(v("b"), json!(1.0));
        assert!(
            doc.get("b").unwrap().value
                == Value::Number(serde_json::Number::from_f64(1.0).unwrap())
        );
        assert_eq!(v("c"), json!(".inf"));
        assert_eq!(v("d"), json!(true));
        assert_eq!(v("e"), json!(null));
        assert_eq!(v("f"), json!("5"));
        assert_eq!(v("g"), json!("5"));
        assert_eq!(v("h"), json!(5));
        assert_eq!(v("i"), json!("aGk="));
        assert_eq!(v("j"), json!(""));

        assert_eq!(
            err("a: !!int abc\n"),
            ("`abc` is not a valid !!int".into(), 1, 4)
        );
        assert_eq!(err("a: !!int 1.5\n").0, "`1.5` is not a valid !!int");
        assert_eq!(err("a: !!float x\n").0, "`x` is not a valid !!float");
        assert_eq!(
            err("a:\n  b: !!bool yes\n"),
            ("`yes` is not a valid !!bool".into(), 2, 6)
        );
        assert_eq!(err("a: !!null 0\n").0, "`0` is not a valid !!null");
        assert_eq!(err("!!int x: 1\n").0, "`x` is not a valid !!int");
    }

    #[test]
    fn keys_keep_their_text() {
        let doc = parse(
            "\"200\": a\n201: b\n'4\\d{2}': c\ntrue: d\n~: e\n1.50: f\n? g\n: h\n&k 0x1F: i\n*k : j\n",
        )
        .unwrap();
        let k: Vec<&str> = keys(&doc).into_iter().map(|(k, _)| k).collect();
        assert_eq!(
            k,
            ["200", "201", "4\\d{2}", "true", "~", "1.50", "g", "0x1F", "0x1F"]
        );
        assert_eq!(keys(&doc)[0].1, at(1, 1));
        assert_eq!(keys(&doc)[6].1, at(7, 3));
        assert_eq!(keys(&doc)[7].1, at(9, 1));
        assert_eq!(keys(&doc)[8].1, at(10, 1));
        // An anchored key's value is the resolved scalar when aliased as a value.
        let doc = parse("&n 200: a\nb: *n\n").unwrap();
        assert_eq!(doc.get("b").unwrap().as_i64(), Some(200));
        assert_eq!(doc.get("200").unwrap().as_str(), Some("a"));
    }

    #[test]
    fn non_scalar_keys_are_refused() {
        assert_eq!(
            err("? [a]\n: b\n"),
            ("mapping keys must be scalars".into(), 1, 3)
        );
        assert_eq!(
            err("x: 1\n? {a: b}\n: c\n"),
            ("mapping keys must be scalars".into(), 2, 3)
        );
        assert_eq!(
            err("a: &m {k: v}\n*m : c\n"),
            ("mapping keys must be scalars".into(), 2, 1)
        );
        assert_eq!(err("{[a]: b}").0, "mapping keys must be scalars");
    }

    #[test]
    fn anchors_expand() {
        let doc = parse("a: &x {k: 1, l: [2]}\nb: *x\nc: &s hi\nd: *s\n").unwrap();
        let b = doc.get("b").unwrap();
        assert_eq!(b.pos, at(2, 4));
        assert_eq!(b.get("k").unwrap().as_i64(), Some(1));
        // Nodes inside a copy keep the positions of the original.
        assert_eq!(b.get("k").unwrap().pos, at(1, 11));
        assert_eq!(b.to_json(), json!({"k": 1, "l": [2]}));
        assert_eq!(doc.get("d").unwrap().as_str(), Some("hi"));
        // Redefined anchors: an alias names the latest definition.
        let doc = parse("a: &x 1\nb: &x 2\nc: *x\n").unwrap();
        assert_eq!(doc.get("c").unwrap().as_i64(), Some(2));
    }

    #[test]
    fn bad_aliases() {
        let (m, line, col) = err("a: *nope\n");
        assert!(m.contains("unknown anchor"), "{m}");
        assert_eq!((line, col), (1, 4));
        assert_eq!(
            err("a: &x [1, *x]\n"),
            (
                "recursive alias: it refers to a node that contains it".into(),
                1,
                11
            )
        );
    }

    #[test]
    fn billion_laughs_is_refused_quickly() {
        let mut bomb = String::from("l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for i in 1..10 {
            let p = i - 1;
            let refs = vec![format!("*l{p}"); 9].join(", ");
            bomb.push_str(&format!("l{i}: &l{i} [{refs}]\n"));
        }
        let start = std::time::Instant::now();
        let (m, line, _) = err(&bomb);
        assert!(
            m.starts_with(&format!("document expands to more than {MAX_NODES} nodes")),
            "{m}"
        );
        assert!(line > 1);
        assert!(start.elapsed() < std::time::Duration::from_secs(10));
    }

    #[test]
    fn nested_anchor_copies_are_counted() {
        // Each anchor keeps a copy of its node: 100 nested anchors around 30k items would copy
        // 3M nodes though no alias is used.
        let mut s = String::new();
        for i in 0..100 {
            s.push_str(&format!("- &a{i}\n{}", "  ".repeat(i + 1)));
        }
        s.push_str(&format!("[{}x]\n", "x,".repeat(30_000)));
        assert!(err(&s).0.starts_with("document expands to more than"));
        // A document of the same shape but small is fine.
        let mut s = String::new();
        for i in 0..100 {
            s.push_str(&format!("- &a{i}\n{}", "  ".repeat(i + 1)));
        }
        s.push_str("[x]\n");
        assert!(parse(&s).is_ok());
    }

    #[test]
    fn depth_is_bounded() {
        // Block nesting: saphyr has no limit, ours applies.
        assert_eq!(
            err(&"- ".repeat(100_000)),
            (format!("nesting deeper than {MAX_DEPTH} levels"), 1, 257)
        );
        let ok = format!("{}x\n", "- ".repeat(MAX_DEPTH));
        assert!(parse(&ok).is_ok());
        // Flow nesting: ours applies up to saphyr's own limit (255 levels), then saphyr's.
        let (m, line, col) = err(&format!("{}{}", "[".repeat(200), "]".repeat(200)));
        assert_eq!(
            (m.as_str(), line, col),
            ("nesting deeper than 128 levels", 1, 129)
        );
        assert_eq!(
            err(&"[".repeat(100_000)).0,
            format!("nesting deeper than {MAX_DEPTH} levels")
        );
        assert_eq!(
            err(&"{a: ".repeat(100_000)).0,
            format!("nesting deeper than {MAX_DEPTH} levels")
        );
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse(&ok).is_ok());
    }

    #[test]
    fn errors() {
        assert_eq!(err(""), ("empty document".into(), 1, 1));
        assert_eq!(err("\n\n"), ("empty document".into(), 1, 1));
        assert_eq!(err("# only a comment\n"), ("empty document".into(), 1, 1));
        assert_eq!(err("---\n"), ("empty document".into(), 1, 1));
        assert_eq!(err("--- # nothing\n...\n"), ("empty document".into(), 1, 1));
        assert_eq!(parse("--- ''\n").unwrap().as_str(), Some(""));
        assert_eq!(parse("~\n").unwrap().value, Value::Null);
        assert_eq!(
            err("a: 1\n---\nb: 2\n"),
            ("only one YAML document per file is supported".into(), 2, 1)
        );
        assert_eq!(
            err("a: 1\n...\nb: 2\n"),
            ("only one YAML document per file is supported".into(), 3, 1)
        );
        assert_eq!(
            err("--- a\n--- b\n"),
            ("only one YAML document per file is supported".into(), 2, 1)
        );
        assert!(parse("%YAML 1.2\n---\na: 1\n...\n").is_ok());
        // Scanner errors keep saphyr's message and position.
        assert_eq!(
            err("a: \"x\n"),
            (
                "while scanning a quoted scalar, found unexpected end of stream".into(),
                1,
                4
            )
        );
        assert_eq!(
            err("a: b: c\n"),
            (
                "mapping values are not allowed in this context".into(),
                1,
                5
            )
        );
        assert_eq!(err("a:\n\tb: 1\n").1, 2);
        assert_eq!(err("a: 1\u{0}\n").0, "found unprintable character");
        let (_, line, _) = err("a:\n  b: [unclosed\n");
        assert_eq!(line, 3);
    }

    #[test]
    fn duplicate_keys_are_kept() {
        let doc = parse("a: 1\na: 2\n").unwrap();
        assert_eq!(keys(&doc), [("a", at(1, 1)), ("a", at(2, 1))]);
        assert_eq!(doc.get("a").unwrap().as_i64(), Some(2));
        let doc = parse("{a: 1, a: 2}").unwrap();
        assert_eq!(doc.as_object().unwrap().len(), 2);
    }

    #[test]
    fn root_scalars_and_flow_documents() {
        assert_eq!(parse("hello\n").unwrap().as_str(), Some("hello"));
        let doc = parse("{\"a\": [1, {\"b\": null}]}").unwrap();
        assert_eq!(doc.to_json(), json!({"a": [1, {"b": null}]}));
        assert_eq!(doc.get("a").unwrap().pos, at(1, 7));
    }

    #[test]
    fn facts_note_variables_duplicates_and_refs() {
        let none = Facts::default();
        assert_eq!(facts("a:\n  b: [1, x, {c: $AWS}]\n"), none);
        let f = facts("a:\n  - u: \"arn:${AWS::Region}\"\n");
        assert!(f.import_variables && !f.duplicate_keys && !f.refs);
        assert!(facts("k${AWS::Partition}: 1\n").import_variables);
        // Escapes are decoded before the check.
        assert!(facts("a: \"\\x24{AWS::Region}\"\n").import_variables);
        let f = facts("a:\n  b: 1\n  c: {d: 1, d: 2}\n");
        assert!(f.duplicate_keys && !f.refs && !f.import_variables);
        // A key repeated through an alias, and the same key in sibling mappings.
        assert!(facts("&k a: 1\n*k : 2\n").duplicate_keys);
        assert!(!facts("- {a: 1}\n- {a: 2}\n").duplicate_keys);
        let f = facts("x:\n  - $ref: '#/y'\ny: {}\n");
        assert!(f.refs && !f.duplicate_keys);
        assert!(!facts("a: $ref\n").refs);
    }
}
