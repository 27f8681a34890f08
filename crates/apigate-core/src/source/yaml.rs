//! YAML → spanned tree, from `saphyr-parser`'s event stream (YAML 1.2, core schema).
//!
//! Built with an explicit stack, so nesting depth is checked rather than recursed into.
//! Aliases are expanded by copying the anchored node; the total node count is bounded
//! ([`MAX_NODES`]) so alias bombs are refused quickly.

use std::collections::HashMap;

use saphyr_parser::{Event, Marker, Parser, ScalarStyle, Tag};

use super::{Key, Node, SyntaxError, Value, MAX_DEPTH, MAX_NODES};
use crate::diag::Pos;

fn pos(m: &Marker) -> Pos {
    Pos {
        line: u32::try_from(m.line()).unwrap_or(u32::MAX),
        col: u32::try_from(m.col() + 1).unwrap_or(u32::MAX),
    }
}

enum Frame {
    Seq {
        items: Vec<Node>,
        pos: Pos,
        anchor: usize,
    },
    Map {
        entries: Vec<(Key, Node)>,
        key: Option<Key>,
        pos: Pos,
        anchor: usize,
    },
}

/// A finished node, with its raw text when it was a scalar (keys use the text as written).
struct Done {
    node: Node,
    raw: Option<String>,
}

pub(super) fn parse(text: &str) -> Result<Node, SyntaxError> {
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, (Node, usize)> = HashMap::new();
    let mut root: Option<Node> = None;
    let mut nodes = 0usize;
    let mut documents = 0usize;
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| SyntaxError {
            message: e.info().to_string(),
            pos: pos(e.marker()),
        })?;
        let at = pos(&span.start);
        let done = match event {
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err(SyntaxError {
                        message: "only one YAML document per file is supported".into(),
                        pos: at,
                    });
                }
                continue;
            }
            Event::Scalar(value, style, anchor, tag) => {
                let is_key = matches!(stack.last(), Some(Frame::Map { key: None, .. }));
                if is_key && anchor == 0 {
                    // A plain key needs only its text: skip building a value.
                    if let Some(Frame::Map { key, .. }) = stack.last_mut() {
                        *key = Some(Key {
                            text: value.into_owned(),
                            pos: at,
                        });
                    }
                    nodes += 1;
                    continue;
                }
                let node = Node {
                    value: resolve(&value, style, tag.as_deref(), at)?,
                    pos: at,
                };
                if anchor > 0 {
                    anchors.insert(anchor, (node.clone(), 1));
                }
                nodes += 1;
                Done {
                    node,
                    raw: is_key.then(|| value.into_owned()),
                }
            }
            Event::Alias(id) => {
                let Some((node, size)) = anchors.get(&id) else {
                    return Err(SyntaxError {
                        message: "alias to an unknown anchor".into(),
                        pos: at,
                    });
                };
                nodes = nodes.saturating_add(*size);
                if nodes > MAX_NODES {
                    return Err(SyntaxError {
                        message: format!(
                            "the document expands to more than {MAX_NODES} nodes (alias bomb?)"
                        ),
                        pos: at,
                    });
                }
                let raw = match &node.value {
                    Value::String(s) => Some(s.clone()),
                    _ => None,
                };
                Done {
                    node: Node {
                        value: node.value.clone(),
                        pos: at,
                    },
                    raw,
                }
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(SyntaxError {
                        message: format!("nesting deeper than {MAX_DEPTH} levels"),
                        pos: at,
                    });
                }
                let is_seq = matches!(event, Event::SequenceStart(..));
                stack.push(if is_seq {
                    Frame::Seq {
                        items: Vec::new(),
                        pos: at,
                        anchor,
                    }
                } else {
                    Frame::Map {
                        entries: Vec::new(),
                        key: None,
                        pos: at,
                        anchor,
                    }
                });
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (value, p, anchor) = match stack.pop() {
                    Some(Frame::Seq { items, pos, anchor }) => (Value::Array(items), pos, anchor),
                    Some(Frame::Map {
                        entries,
                        pos,
                        anchor,
                        ..
                    }) => (Value::Object(entries), pos, anchor),
                    None => {
                        return Err(SyntaxError {
                            message: "unbalanced collection end".into(),
                            pos: at,
                        })
                    }
                };
                nodes += 1;
                if nodes > MAX_NODES {
                    return Err(SyntaxError {
                        message: format!("the document expands to more than {MAX_NODES} nodes"),
                        pos: at,
                    });
                }
                let node = Node { value, pos: p };
                if anchor > 0 {
                    let size = count(&node);
                    anchors.insert(anchor, (node.clone(), size));
                }
                Done { node, raw: None }
            }
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => continue,
        };
        match stack.last_mut() {
            None => root = Some(done.node),
            Some(Frame::Seq { items, .. }) => items.push(done.node),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                Some(k) => entries.push((k, done.node)),
                None => {
                    let text = match (done.raw, &done.node.value) {
                        (Some(raw), _) => raw,
                        (None, Value::Null) => String::new(),
                        (None, Value::Bool(b)) => b.to_string(),
                        (None, Value::Number(n)) => n.to_string(),
                        _ => {
                            return Err(SyntaxError {
                                message: "mapping keys must be scalars".into(),
                                pos: done.node.pos,
                            })
                        }
                    };
                    *key = Some(Key {
                        text,
                        pos: done.node.pos,
                    });
                }
            },
        }
    }
    root.ok_or(SyntaxError {
        message: "empty document".into(),
        pos: Pos { line: 1, col: 1 },
    })
}

fn count(node: &Node) -> usize {
    match &node.value {
        Value::Array(a) => 1 + a.iter().map(count).sum::<usize>(),
        Value::Object(e) => 1 + e.iter().map(|(_, v)| count(v)).sum::<usize>(),
        _ => 1,
    }
}

/// YAML 1.2 core-schema resolution for plain scalars; quoted and block scalars are strings.
fn resolve(
    text: &str,
    style: ScalarStyle,
    tag: Option<&Tag>,
    at: Pos,
) -> Result<Value, SyntaxError> {
    if let Some(tag) = tag.filter(|t| t.is_yaml_core_schema()) {
        let bad = |what: &str| SyntaxError {
            message: format!("`{text}` is not a valid !!{what}"),
            pos: at,
        };
        return match tag.suffix.as_str() {
            "str" => Ok(Value::String(text.to_string())),
            "int" => match plain(text) {
                v @ Value::Number(_) if int(text).is_some() => Ok(v),
                _ => Err(bad("int")),
            },
            "float" => match plain(text) {
                v @ Value::Number(_) => Ok(v),
                _ => Err(bad("float")),
            },
            "bool" => match plain(text) {
                v @ Value::Bool(_) => Ok(v),
                _ => Err(bad("bool")),
            },
            "null" => match plain(text) {
                Value::Null => Ok(Value::Null),
                _ => Err(bad("null")),
            },
            _ => Ok(if style == ScalarStyle::Plain {
                plain(text)
            } else {
                Value::String(text.to_string())
            }),
        };
    }
    Ok(if style == ScalarStyle::Plain {
        plain(text)
    } else {
        Value::String(text.to_string())
    })
}

fn plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    if let Some(n) = int(text) {
        return Value::Number(n);
    }
    if is_float(text) {
        if let Some(n) = text
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
        {
            return Value::Number(n);
        }
    }
    Value::String(text.to_string())
}

fn int(text: &str) -> Option<serde_json::Number> {
    if let Some(oct) = text.strip_prefix("0o") {
        return u64::from_str_radix(oct, 8).ok().map(Into::into);
    }
    if let Some(hex) = text.strip_prefix("0x") {
        return u64::from_str_radix(hex, 16).ok().map(Into::into);
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let t = text.strip_prefix('+').unwrap_or(text);
    t.parse::<i64>()
        .ok()
        .map(Into::into)
        .or_else(|| t.parse::<u64>().ok().map(Into::into))
}

/// `[-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?`
fn is_float(text: &str) -> bool {
    let t = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exp) = match t.find(['e', 'E']) {
        Some(i) => (t.get(..i).unwrap_or(""), Some(t.get(i + 1..).unwrap_or(""))),
        None => (t, None),
    };
    let (whole, frac) = match mantissa.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (mantissa, None),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match frac {
        Some(f) => all_digits(whole) && all_digits(f) && !(whole.is_empty() && f.is_empty()),
        None => !whole.is_empty() && all_digits(whole),
    };
    let exp_ok = match exp {
        Some(e) => {
            let d = e.strip_prefix(['-', '+']).unwrap_or(e);
            !d.is_empty() && all_digits(d)
        }
        None => true,
    };
    mantissa_ok && exp_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> (String, u32, u32) {
        let e = parse(text).unwrap_err();
        (e.message, e.pos.line, e.pos.col)
    }

    #[test]
    fn positions_of_nested_keys_and_values() {
        let doc =
            parse("paths:\n  /x:\n    get:\n      uri: \"arn:x\"\n      n: [1, two]\n").unwrap();
        let get = doc
            .get("paths")
            .unwrap()
            .get("/x")
            .unwrap()
            .get("get")
            .unwrap();
        assert_eq!(get.get("uri").unwrap().pos, Pos { line: 4, col: 12 });
        let Value::Object(e) = &get.value else {
            unreachable!()
        };
        assert_eq!(e[0].0.pos, Pos { line: 4, col: 7 });
        assert_eq!(
            get.get("n").unwrap().as_array().unwrap()[1].pos,
            Pos { line: 5, col: 14 }
        );
    }

    #[test]
    fn columns_count_characters() {
        let doc = parse("é€ü: {k: v}\n").unwrap();
        assert_eq!(
            doc.get("é€ü").unwrap().get("k").unwrap().pos,
            Pos { line: 1, col: 10 }
        );
    }

    #[test]
    fn core_schema_resolution() {
        let doc = parse("a: 3.0.1\nb: 3.0\nc: 200\nd: '200'\ne: true\nf: ~\ng: 0x1F\nh: !!str 12\ni: .inf\nj: 1e3\nk: yes\n").unwrap();
        assert_eq!(doc.get("a").unwrap().as_str(), Some("3.0.1"));
        assert_eq!(doc.get("b").unwrap().to_json(), serde_json::json!(3.0));
        assert_eq!(doc.get("c").unwrap().as_i64(), Some(200));
        assert_eq!(doc.get("d").unwrap().as_str(), Some("200"));
        assert_eq!(doc.get("e").unwrap().as_bool(), Some(true));
        assert_eq!(doc.get("f").unwrap().value, Value::Null);
        assert_eq!(doc.get("g").unwrap().as_i64(), Some(31));
        assert_eq!(doc.get("h").unwrap().as_str(), Some("12"));
        assert_eq!(doc.get("i").unwrap().as_str(), Some(".inf"));
        assert_eq!(doc.get("j").unwrap().to_json(), serde_json::json!(1000.0));
        assert_eq!(doc.get("k").unwrap().as_str(), Some("yes"));
        assert!(parse("a: !!int abc\n").is_err());
    }

    #[test]
    fn keys_keep_their_text() {
        let doc = parse("\"200\": a\n201: b\n'4\\d{2}': c\n").unwrap();
        let keys: Vec<&str> = doc
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, _)| k.text.as_str())
            .collect();
        assert_eq!(keys, ["200", "201", "4\\d{2}"]);
    }

    #[test]
    fn anchors_expand_and_bombs_are_refused() {
        let doc = parse("a: &x {k: 1}\nb: *x\n").unwrap();
        assert_eq!(doc.get("b").unwrap().get("k").unwrap().as_i64(), Some(1));
        let mut bomb = String::from("l0: &l0 [a, a, a, a, a, a, a, a, a, a]\n");
        for i in 1..12 {
            let p = i - 1;
            bomb.push_str(&format!("l{i}: &l{i} [*l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}]\n"));
        }
        assert!(err(&bomb).0.contains("expands to more than"));
        assert!(err("a: *nope\n").0.contains("unknown anchor"));
    }

    #[test]
    fn errors() {
        assert_eq!(err(""), ("empty document".into(), 1, 1));
        assert_eq!(err("# only a comment\n").0, "empty document");
        let (m, line, _) = err("a: 1\n---\nb: 2\n");
        assert_eq!(
            (m.as_str(), line),
            ("only one YAML document per file is supported", 2)
        );
        assert_eq!(err("? [a]\n: b\n").0, "mapping keys must be scalars");
        let (_, line, _) = err("a:\n  b: [unclosed\n");
        assert!(line >= 2);
        // saphyr's scanner refuses deep flow nesting itself; block nesting reaches our limit.
        assert!(parse(&"[".repeat(100_000)).is_err());
        assert!(err(&"- ".repeat(100_000))
            .0
            .starts_with("nesting deeper than"));
    }

    #[test]
    fn duplicate_keys_are_kept() {
        let doc = parse("a: 1\na: 2\n").unwrap();
        assert_eq!(doc.as_object().unwrap().len(), 2);
    }
}
