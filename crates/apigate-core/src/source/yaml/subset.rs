//! A fast reader for the subset of YAML that definitions are nearly always written in; it
//! hands everything else back to saphyr-parser.
//!
//! saphyr reads a character at a time through a token queue and builds an owned `String` per
//! quoted scalar: a 3 MB definition cost ~530M instructions in its event stream alone, more
//! than the whole JSON load. This reader walks the bytes once and builds the same tree
//! directly, for documents that are
//! - printable ASCII and `\n` only outside comments (no tabs, CR, BOM, or other characters,
//!   which would need columns counted in characters and saphyr's character classes),
//! - a block mapping or sequence at column 1, nested by spaces, with `- key: value` items;
//! - scalars on one line: plain (starting with a letter, digit, `/`, `_`, `$`, `~` or `-`
//!   and a digit), single- or double-quoted (with escapes);
//! - flow collections closed on the line they open (`[]`, `{"k":v}`, `{k: v}`, nested);
//! - comments and blank lines anywhere.
//!
//! Anything else — anchors, aliases, tags, block scalars, multi-line scalars, empty values,
//! `---`, directives, deep nesting, and every syntax error — makes [`parse`] return `None`,
//! and saphyr reads the document from the start, so errors, their messages and their
//! positions are always saphyr's. Where this reader accepts a document, the tree, positions
//! and [`Facts`] are the ones saphyr's events give (checked against it in the tests below).

use super::plain;
use crate::diag::Pos;
use crate::source::{Facts, Interner, Key, Node, Text, Value, MAX_DEPTH, MAX_NODES};

/// Collections open at once beyond which saphyr decides (its depth error and limit apply).
const DEPTH: usize = MAX_DEPTH - 2;

/// A key longer than this may be refused by saphyr (simple keys end within 1024 characters).
const KEY_LEN: usize = 1000;

/// YAML's printable characters outside ASCII (tabs, BOMs and C1 controls excluded here).
fn printable(c: char) -> bool {
    matches!(c, ' '..='~' | '\u{85}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fefe}' | '\u{ff00}'..='\u{fffd}' | '\u{10000}'..)
}

/// The tree and facts of `text`, or `None` when it is not in the subset.
pub(super) fn parse(text: &str) -> Option<(Node, Facts)> {
    let mut r = Reader {
        text,
        src: text.as_bytes(),
        i: 0,
        line: 1,
        line_start: 0,
        strings: Interner::default(),
        facts: Facts::default(),
        items: Vec::new(),
        entries: Vec::new(),
        scratch: String::new(),
        nodes: 0,
        unprintable: false,
    };
    if !r.skip_to_content() || r.col() != 0 {
        return None;
    }
    let root = r.block_node(0)?;
    if r.unprintable
        || r.i < r.src.len()
        || !matches!(root.value, Value::Array(_) | Value::Object(_))
    {
        return None;
    }
    let facts = r.strings.facts(r.facts);
    Some((root, facts))
}

/// Where a scalar's text is: in the source (plain, or quoted without escapes), or decoded
/// into the reader's scratch string.
#[derive(Clone, Copy)]
enum Scalar {
    Plain(usize, usize),
    Quoted(usize, usize),
    Decoded,
}

/// Plain scalars inside `[]`/`{}` end at `,`, brackets and spaces.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    Block,
    Flow,
}

struct Reader<'a> {
    text: &'a str,
    src: &'a [u8],
    /// The cursor (a byte offset; every byte is one character).
    i: usize,
    line: u32,
    line_start: usize,
    strings: Interner,
    facts: Facts,
    /// Finished items of the open sequences, innermost last (as in saphyr's builder).
    items: Vec<Node>,
    /// Finished members of the open mappings, innermost last.
    entries: Vec<(Key, Node)>,
    /// The decoded text of the last quoted scalar with escapes.
    scratch: String,
    nodes: usize,
    /// A comment holds a character YAML does not allow (saphyr reports it).
    unprintable: bool,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.src.get(self.i).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.src.get(self.i + ahead).copied()
    }

    fn col(&self) -> usize {
        self.i - self.line_start
    }

    fn pos(&self) -> Pos {
        Pos {
            line: self.line,
            col: u32::try_from(self.col() + 1).unwrap_or(u32::MAX),
        }
    }

    fn count(&mut self) -> Option<()> {
        self.nodes += 1;
        (self.nodes <= MAX_NODES).then_some(())
    }

    fn skip_spaces(&mut self) -> usize {
        let from = self.i;
        while self.peek() == Some(b' ') {
            self.i += 1;
        }
        self.i - from
    }

    /// From a line start: past blank and comment lines to the first character of the next
    /// content line; `false` at the end of the text.
    fn skip_to_content(&mut self) -> bool {
        loop {
            self.skip_spaces();
            match self.peek() {
                None => return false,
                Some(b'\n') => self.new_line(),
                Some(b'#') => {
                    self.skip_comment();
                    if self.peek().is_none() {
                        return false;
                    }
                    self.new_line();
                }
                Some(_) => return true,
            }
        }
    }

    fn new_line(&mut self) {
        self.i += 1;
        self.line += 1;
        self.line_start = self.i;
    }

    fn skip_comment(&mut self) {
        let rest = self.src.get(self.i..).unwrap_or_default();
        let len = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
        let comment = rest.get(..len).unwrap_or_default();
        if !comment.iter().all(|b| (b' '..=b'~').contains(b)) {
            // Other characters are allowed in comments, if YAML calls them printable.
            let text = std::str::from_utf8(comment).unwrap_or("\0");
            self.unprintable |= !text.chars().all(printable);
        }
        self.i += len;
    }

    /// The rest of the line holds only blanks and a comment; moves to the next line start.
    fn end_line(&mut self) -> Option<()> {
        self.skip_spaces();
        // A comment needs a blank before it.
        let after_blank = self.i.checked_sub(1).and_then(|i| self.src.get(i)) == Some(&b' ');
        match self.peek() {
            None => Some(()),
            Some(b'\n') => {
                self.new_line();
                Some(())
            }
            Some(b'#') if after_blank => {
                self.skip_comment();
                if self.peek().is_some() {
                    self.new_line();
                }
                Some(())
            }
            Some(_) => None,
        }
    }

    /// A `:` that makes the scalar before it a block key (followed by a space or line end).
    fn at_key_colon(&self) -> bool {
        self.peek() == Some(b':') && matches!(self.peek_at(1), None | Some(b' ' | b'\n'))
    }

    /// A node that starts at the cursor in block context: a block sequence, a block mapping,
    /// or a value alone on its line. Leaves the cursor at the next content line (or the end).
    fn block_node(&mut self, depth: usize) -> Option<Node> {
        if depth >= DEPTH {
            return None;
        }
        let indent = self.col();
        let pos = self.pos();
        let node = match self.peek()? {
            b'-' if self.peek_at(1) == Some(b' ') => return self.block_seq(indent, depth),
            b'[' | b'{' => self.flow(depth)?,
            _ => {
                let scalar = self.scalar(Context::Block)?;
                if self.at_key_colon() {
                    let key = self.key(scalar, pos)?;
                    return self.block_map(indent, pos, key, depth);
                }
                self.count()?;
                Node {
                    value: self.value(scalar),
                    pos,
                }
            }
        };
        self.end_line()?;
        self.skip_to_content();
        Some(node)
    }

    /// A block sequence whose first `- ` is at the cursor, in column `indent`.
    fn block_seq(&mut self, indent: usize, depth: usize) -> Option<Node> {
        let pos = self.pos();
        let start = self.items.len();
        loop {
            self.i += 1;
            self.skip_spaces();
            // An item on the following lines, or a nested `- - x`: saphyr's.
            match self.peek() {
                None | Some(b'\n' | b'#') => return None,
                Some(b'-') if self.peek_at(1) == Some(b' ') => return None,
                Some(_) => {}
            }
            let item = self.block_node(depth + 1)?;
            self.items.push(item);
            if self.i >= self.src.len() || self.col() < indent {
                break;
            }
            if self.col() > indent || self.peek() != Some(b'-') || self.peek_at(1) != Some(b' ') {
                return None;
            }
        }
        self.count()?;
        let items = self.items.drain(start..).collect();
        Some(Node {
            value: Value::Array(items),
            pos,
        })
    }

    /// A block mapping in column `indent` whose first key has been read (the cursor is at
    /// its `:`).
    fn block_map(&mut self, indent: usize, pos: Pos, first: Key, depth: usize) -> Option<Node> {
        let start = self.entries.len();
        let mut key = first;
        loop {
            self.i += 1;
            let value = self.block_value(indent, depth)?;
            self.entries.push((key, value));
            if self.i >= self.src.len() || self.col() < indent {
                break;
            }
            if self.col() > indent {
                return None;
            }
            let at = self.pos();
            let scalar = self.scalar(Context::Block)?;
            if !self.at_key_colon() {
                return None;
            }
            key = self.key(scalar, at)?;
        }
        self.count()?;
        let entries = self.entries.get(start..).unwrap_or_default();
        self.facts.object(entries);
        let entries = self.entries.drain(start..).collect();
        Some(Node {
            value: Value::Object(entries),
            pos,
        })
    }

    /// The value after a block key's `:` (of a mapping in column `indent`): on the same line,
    /// or a node indented deeper on the following lines.
    fn block_value(&mut self, indent: usize, depth: usize) -> Option<Node> {
        let spaces = self.skip_spaces();
        match self.peek() {
            None | Some(b'\n') => {}
            Some(b'#') if spaces > 0 => {}
            Some(b'[' | b'{') => {
                let node = self.flow(depth + 1)?;
                self.end_line()?;
                self.skip_to_content();
                return Some(node);
            }
            Some(_) => {
                let pos = self.pos();
                let scalar = self.scalar(Context::Block)?;
                self.end_line()?;
                self.skip_to_content();
                self.count()?;
                return Some(Node {
                    value: self.value(scalar),
                    pos,
                });
            }
        }
        // An empty value, or a sequence in the key's own column: saphyr's.
        self.end_line()?;
        if !self.skip_to_content() || self.col() <= indent {
            return None;
        }
        self.block_node(depth + 1)
    }

    /// A flow collection that opens at the cursor and closes on the same line.
    fn flow(&mut self, depth: usize) -> Option<Node> {
        if depth >= DEPTH {
            return None;
        }
        let pos = self.pos();
        let is_map = self.peek() == Some(b'{');
        let close = if is_map { b'}' } else { b']' };
        self.i += 1;
        self.skip_spaces();
        let start = if is_map {
            self.entries.len()
        } else {
            self.items.len()
        };
        if self.peek() == Some(close) {
            self.i += 1;
        } else {
            loop {
                if is_map {
                    let at = self.pos();
                    let quoted = matches!(self.peek(), Some(b'"' | b'\''));
                    let scalar = self.scalar(Context::Flow)?;
                    // A JSON-like (quoted) key may have its value right after the `:`.
                    let colon =
                        self.peek() == Some(b':') && (quoted || self.peek_at(1) == Some(b' '));
                    if !colon {
                        return None;
                    }
                    let key = self.key(scalar, at)?;
                    self.i += 1;
                    self.skip_spaces();
                    let value = self.flow_item(depth)?;
                    self.entries.push((key, value));
                } else {
                    let item = self.flow_item(depth)?;
                    self.items.push(item);
                }
                self.skip_spaces();
                match self.peek()? {
                    b',' => {
                        self.i += 1;
                        self.skip_spaces();
                        if self.peek() == Some(close) {
                            return None;
                        }
                    }
                    c if c == close => {
                        self.i += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        self.count()?;
        let value = if is_map {
            let entries = self.entries.get(start..).unwrap_or_default();
            self.facts.object(entries);
            Value::Object(self.entries.drain(start..).collect())
        } else {
            Value::Array(self.items.drain(start..).collect())
        };
        Some(Node { value, pos })
    }

    /// A value inside a flow collection: a scalar or a nested collection.
    fn flow_item(&mut self, depth: usize) -> Option<Node> {
        match self.peek()? {
            b'[' | b'{' => self.flow(depth + 1),
            _ => {
                let pos = self.pos();
                let scalar = self.scalar(Context::Flow)?;
                // `[a: b]` (a one-pair mapping) is saphyr's.
                if self.peek() == Some(b':') {
                    return None;
                }
                self.count()?;
                Some(Node {
                    value: self.value(scalar),
                    pos,
                })
            }
        }
    }

    /// A scalar at the cursor; the cursor ends right after it (a plain scalar's trailing
    /// spaces stay unread).
    fn scalar(&mut self, cx: Context) -> Option<Scalar> {
        match self.peek()? {
            b'"' => self.quoted::<b'"'>(),
            b'\'' => self.quoted::<b'\''>(),
            b'-' if self.peek_at(1).is_some_and(|b| b.is_ascii_digit()) => self.plain(cx),
            b if b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'$' | b'~') => {
                self.plain(cx)
            }
            _ => None,
        }
    }

    fn plain(&mut self, cx: Context) -> Option<Scalar> {
        let start = self.i;
        let mut end = self.i;
        while let Some(b) = self.peek() {
            match b {
                b'\n' => break,
                b' ' => {
                    if cx == Context::Flow {
                        break;
                    }
                    // Spaces inside a block scalar belong to it; before a comment, a `: ` or
                    // the line end they do not.
                    let spaces = self.skip_spaces();
                    match self.peek() {
                        None | Some(b'\n' | b'#') => {
                            self.i -= spaces;
                            break;
                        }
                        Some(b':') if matches!(self.peek_at(1), None | Some(b' ' | b'\n')) => {
                            self.i -= spaces;
                            break;
                        }
                        Some(_) => continue,
                    }
                }
                b':' => match self.peek_at(1) {
                    None | Some(b' ' | b'\n') => break,
                    Some(_) if cx == Context::Flow => return None,
                    Some(_) => {}
                },
                b'#' => return None,
                b',' | b'[' | b']' | b'{' | b'}' if cx == Context::Flow => break,
                b'!'..=b'~' => {}
                _ => return None,
            }
            self.i += 1;
            end = self.i;
        }
        Some(Scalar::Plain(start, end))
    }

    /// A quoted scalar at the cursor, `QUOTE` being `'` or `"`: one scanner for both styles,
    /// which differ only in their escapes (`''` in single quotes, `\\` sequences in double
    /// quotes). The text is borrowed from the source until the first escape; from there it
    /// is decoded into `scratch`. A line break or a byte outside printable ASCII is left to
    /// the full parser.
    #[inline]
    fn quoted<const QUOTE: u8>(&mut self) -> Option<Scalar> {
        self.i += 1;
        let start = self.i;
        let mut decoded = false;
        loop {
            match self.peek()? {
                b'\n' => return None,
                b'\'' if QUOTE == b'\'' && self.peek_at(1) == Some(b'\'') => {
                    self.start_decoding(&mut decoded, start)?;
                    self.scratch.push('\'');
                    self.i += 2;
                }
                b'\\' if QUOTE == b'"' => {
                    self.start_decoding(&mut decoded, start)?;
                    let c = self.escape()?;
                    self.scratch.push(c);
                }
                b if b == QUOTE => break,
                b @ b' '..=b'~' => {
                    if decoded {
                        self.scratch.push(char::from(b));
                    }
                    self.i += 1;
                }
                _ => return None,
            }
        }
        let end = self.i;
        self.i += 1;
        Some(if decoded {
            Scalar::Decoded
        } else {
            Scalar::Quoted(start, end)
        })
    }

    /// At a quoted scalar's first escape, copies the text read so far (from `start`) into
    /// `scratch`, where the rest is decoded.
    #[inline]
    fn start_decoding(&mut self, decoded: &mut bool, start: usize) -> Option<()> {
        if !*decoded {
            *decoded = true;
            self.scratch.clear();
            self.scratch.push_str(self.text.get(start..self.i)?);
        }
        Some(())
    }

    /// The escape sequence at the cursor (YAML 1.2's, as saphyr reads them).
    fn escape(&mut self) -> Option<char> {
        let c = match self.peek_at(1)? {
            b'0' => '\0',
            b'a' => '\x07',
            b'b' => '\x08',
            b't' => '\t',
            b'n' => '\n',
            b'v' => '\x0b',
            b'f' => '\x0c',
            b'r' => '\r',
            b'e' => '\x1b',
            b' ' => ' ',
            b'"' => '"',
            b'/' => '/',
            b'\\' => '\\',
            b'N' => '\u{85}',
            b'_' => '\u{a0}',
            b'L' => '\u{2028}',
            b'P' => '\u{2029}',
            b'x' => return self.hex_escape(2),
            b'u' => return self.hex_escape(4),
            b'U' => return self.hex_escape(8),
            _ => return None,
        };
        self.i += 2;
        Some(c)
    }

    fn hex_escape(&mut self, digits: usize) -> Option<char> {
        let hex = self.text.get(self.i + 2..self.i + 2 + digits)?;
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let c = char::from_u32(u32::from_str_radix(hex, 16).ok()?)?;
        self.i += 2 + digits;
        Some(c)
    }

    /// A key: the scalar's text as written (`200:` is "200").
    fn key(&mut self, scalar: Scalar, pos: Pos) -> Option<Key> {
        let col = usize::try_from(pos.col).ok()?.checked_sub(1)?;
        if self.i - (self.line_start + col) > KEY_LEN {
            return None;
        }
        self.count()?;
        let text: Text = match scalar {
            Scalar::Plain(a, b) | Scalar::Quoted(a, b) => self.strings.text(self.text.get(a..b)?),
            Scalar::Decoded => self.strings.text(&self.scratch),
        };
        Some(Key { text, pos })
    }

    /// A scalar's value: plain ones resolved by the core schema, quoted ones strings.
    fn value(&mut self, scalar: Scalar) -> Value {
        let text = match scalar {
            Scalar::Plain(a, b) => {
                let text = self.text.get(a..b).unwrap_or_default();
                return plain(text, &mut self.strings);
            }
            Scalar::Quoted(a, b) => self.text.get(a..b).unwrap_or_default(),
            Scalar::Decoded => &self.scratch,
        };
        Value::String(self.strings.text(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};

    /// Reads `text` with both readers; where the subset reader accepts it, saphyr's events must
    /// give the same tree, positions and facts. Returns whether the subset reader accepted it.
    fn agrees(text: &str) -> bool {
        let Some((node, facts)) = parse(text) else {
            return false;
        };
        match super::super::parse_events(text) {
            Ok((expected, expected_facts)) => {
                assert_eq!(node, expected, "tree of {text:?}");
                assert_eq!(facts, expected_facts, "facts of {text:?}");
            }
            Err(e) => panic!("accepted {text:?}, which saphyr refuses: {e:?}"),
        }
        true
    }

    /// One resource of the `validate` benchmark's document, as its YAML is written.
    const BENCH_SHAPE: &str = r#""swagger": "2.0"
"info":
  "title": "generated"
  "version": "1"
"basePath": "/prod"
"securityDefinitions":
  "sigv4":
    "type": "apiKey"
    "x-amazon-apigateway-authtype": "awsSigv4"
"x-amazon-apigateway-binary-media-types":
  - "*/*"
"paths":
  "/area0/{folder}/{item}":
    "get":
      "parameters":
        - {"name":"folder","in":"path","required":true,"type":"string"}
        - {"name":"Content-Type","in":"header","required":false,"type":"string"}
      "responses":
        "200":
          "description": "200 response"
          "headers":
            "Content-Type":
              "type": "string"
        "400":
          "description": "400 response"
      "security":
        - {"sigv4":[]}
      "x-amazon-apigateway-integration":
        "type": "aws"
        "timeoutInMillis": 29000
        "requestParameters":
          "integration.request.path.bucket": "method.request.path.folder"
        "responses":
          "4\\d{2}":
            "statusCode": "400"
          "default":
            "statusCode": "200"
"#;

    /// Every YAML file of the repository (definitions for tests, examples and benches).
    fn repo_yaml() -> Vec<(PathBuf, String)> {
        fn walk(dir: &Path, out: &mut Vec<(PathBuf, String)>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, out);
                } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                    out.push((path.clone(), std::fs::read_to_string(&path).unwrap()));
                }
            }
        }
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut out = Vec::new();
        for dir in ["tests", "openapi", "examples", "benches"] {
            walk(&root.join(dir), &mut out);
        }
        out.sort();
        out
    }

    #[test]
    fn reads_the_benchmark_shape_and_repository_definitions_like_saphyr() {
        assert!(agrees(BENCH_SHAPE));
        let files = repo_yaml();
        assert!(files.len() > 50, "{}", files.len());
        let accepted: Vec<_> = files
            .iter()
            .filter(|(_, text)| agrees(text))
            .map(|(path, _)| path.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        // Most hand-written definitions are in the subset.
        assert!(accepted.contains(&"mys3.yaml".to_string()), "{accepted:?}");
        assert!(accepted.len() * 2 > files.len(), "{accepted:?}");
    }

    #[test]
    fn small_documents_agree_with_saphyr() {
        let accepted = [
            "a: 1\n",
            "a: b\nc: d",
            "- a\n- b\n",
            "a:\n  - x\n  - y\nb: z\n",
            "a:\n    b: 1\n    c:\n      - d: 2\n        e: 3\n      - f\n",
            "- a: 1\n  b: 2\n- c: 3\n",
            "a: 'it''s'\nb: \"q\\\"\\\\\\/\\t\\u00e9\\x41\\U0001F600\"\nc: ''\nd: \"\"\n",
            "a: plain words  here   # comment\nb: x:y2\n",
            "# lead\n\na: 1 # c\n   # indented comment\n\nb: 2\n# end",
            "a: [1, \"two\", three, [], {}]\nb: {x: 1, \"y\":2, 'z': [a, b]}\n",
            "a: {\"k\":true,\"l\":null,\"m\":-1.5e3}\n",
            "a: arn:aws:s3:::bucket/key\nb: /x/{id}/y\nc: method.request.path.id\n",
            "200: a\n\"201\": b\n~: c\ntrue: d\n1.50: e\n",
            "a: ~\nb: null\nc: True\nd: 0x1F\ne: 0o17\nf: 007\ng: 1_000\nh: -17\n",
            "a: ${AWS::Region}\n",
            "$ref: x\n",
            "a: 1\na: 2\n",
            "a:\n  \"scalar on its own line\"\nb: 2\n",
            "a:   \n  b: 1\n",
            "a: # comment\n  b: 1\n",
            "[1, 2]\n",
            "{a: 1}\n",
            "a: {b: [c, {d: e}]}\n",
            "a: \"x\" # c\n",
            "a: x \n",
            "# é — ü 😀\na: 1 # ñ\n",
        ];
        for text in accepted {
            assert!(agrees(text), "not in the subset: {text:?}");
        }
        // Outside the subset (saphyr reads them, or refuses them with its own message).
        let deferred = [
            "",
            "---\na: 1\n",
            "a: |\n  x\n",
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "a:\n",
            "a:\nb: 1\n",
            "a:\n- x\n",
            "a: b\n  c\n",
            "a: \"x\n  y\"\n",
            "a:\tb\n",
            "a: b\r\n",
            "\u{feff}a: 1\n",
            "a: é\n",
            "a: 1 # \u{80}\n",
            "#\u{feff}\na: 1\n",
            "a: 1 #\tx\n",
            "a: b: c\n",
            "? a\n: b\n",
            "- - a\n",
            "-\n  a\n",
            "a: [1,]\n",
            "a: [a: b]\n",
            "a: {a}\n",
            "a: [\n  1]\n",
            "a: b#c\n",
            "  a: 1\n",
            "a: 1\n b: 2\n",
            "a: 1\n  b: 2\n",
            "\"a\":b\n",
            "a: -\n",
            "a: .5\n",
            "%YAML 1.2\n",
            "a: 1\n...\n",
            "plain\n",
            "\"q\"\n",
            "a: \"\\q\"\n",
            "a: {b:c}\n",
            "a: [b:c]\n",
            "a: 1 #c\n b\n",
            "- a\n  - b\n",
        ];
        for text in deferred {
            assert!(parse(text).is_none(), "accepted {text:?}");
        }
    }

    #[test]
    fn edited_documents_agree_with_saphyr() {
        // Each document with one character removed or one inserted, at spread positions:
        // whatever the subset reader accepts, saphyr reads the same way.
        let mys3 = repo_yaml()
            .into_iter()
            .find(|(p, _)| p.ends_with("openapi/mys3.yaml"))
            .unwrap()
            .1;
        // Its first 100 lines: the header comment (with non-ASCII) and two resources.
        let mys3: String = mys3.lines().take(100).map(|l| format!("{l}\n")).collect();
        let docs = [
            BENCH_SHAPE,
            mys3.as_str(),
            "a: [1, \"t\", {\"k\":v, l: 'w'}]\nb:\n  - c: d\n    e: \"\\u0041\"\n  - f # g\n",
        ];
        let inserts = [
            " ", "  ", ":", ": ", "-", "- ", "#", " #", "\"", "'", "{", "}", "[", "]", ",", "\n",
            "\\", "x", "~", "$", "é", "\t", "\r",
        ];
        let mut accepted = 0;
        for doc in docs {
            let step = (doc.len() / 150).max(1);
            for at in (0..doc.len()).step_by(step) {
                let mut removed = doc.to_string();
                removed.remove(at);
                accepted += usize::from(agrees(&removed));
                for ins in inserts {
                    let mut edited = doc.to_string();
                    edited.insert_str(at, ins);
                    accepted += usize::from(agrees(&edited));
                }
            }
        }
        assert!(accepted > 1000, "{accepted}");
    }

    #[test]
    fn deep_nesting_is_left_to_saphyr() {
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse(&deep).is_none());
        let mut block = String::new();
        for i in 0..MAX_DEPTH {
            block.push_str(&format!("{}k:\n", "  ".repeat(i)));
        }
        block.push_str(&format!("{}v: 1\n", "  ".repeat(MAX_DEPTH)));
        assert!(parse(&block).is_none());
        assert!(agrees(&format!("{}1{}", "[".repeat(20), "]".repeat(20))));
    }
}
