//! Request models of methods whose request validator has `validateRequestBody: true`: the body
//! schema for each content type — Swagger 2.0's `in: body` parameter (for each type the
//! operation `consumes`, else the document's, else `application/json`), OpenAPI 3.0's
//! `requestBody.content[type].schema` — with every `$ref` it uses (chains too) gathered into
//! one schema document, compiled once per distinct schema ([`crate::body_validation`]).
//!
//! Dangling and external references are reported by the document-wide `$ref` check; a chain of
//! references that comes back to itself (`model-ref-cycle`) and a schema the `jsonschema` crate
//! refuses as draft 4 (`model-schema-invalid`) are reported here.

use std::sync::Arc;

use serde_json::{Map, Value as Json};

use super::cx::{lookup_pointer, At, Cx};
use crate::body_validation::{ModelSchema, RequestModel, DEFAULT_CONTENT_TYPE};
use crate::media::essence;
use crate::rules;
use crate::source::{Node, Value};

/// Longest `$ref` chain followed before it is called a cycle.
const MAX_CHAIN: usize = 64;

/// The request models of an operation (`shared` = the path item's parameters).
pub(crate) fn load(cx: &mut Cx<'_>, op: &At<'_>, shared: Option<&At<'_>>) -> Vec<RequestModel> {
    let mut out = Vec::new();
    // OpenAPI 3.0: requestBody.content.
    if let Some(body) = op.get("requestBody").and_then(|b| cx.deref(b)) {
        for (media, entry) in body.get("content").map(|c| c.entries()).unwrap_or_default() {
            let Some(schema) = cx.deref(entry).and_then(|e| e.get("schema")) else {
                continue;
            };
            if let Some(compiled) = compile(cx, schema) {
                out.push(model(&media.text, compiled));
            }
        }
        return out;
    }
    // Swagger 2.0: the body parameter (the operation's, else the path item's).
    let body = [op.get("parameters"), shared.copied()]
        .into_iter()
        .flatten()
        .flat_map(|list| list.items())
        .filter_map(|p| cx.deref(p))
        .find(|p| p.get("in").and_then(|i| i.str()) == Some("body"));
    let Some(schema) = body.and_then(|p| p.get("schema")) else {
        return out;
    };
    let Some(compiled) = compile(cx, schema) else {
        return out;
    };
    let root = At::root(cx.doc);
    let consumes: Vec<String> = [op.get("consumes"), root.get("consumes")]
        .into_iter()
        .flatten()
        .map(|c| {
            c.items()
                .filter_map(|i| i.str())
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .find(|types| !types.is_empty())
        .unwrap_or_else(|| vec!["application/json".to_string()]);
    for media in consumes {
        out.push(model(&media, Arc::clone(&compiled)));
    }
    out
}

fn model(media: &str, schema: Arc<ModelSchema>) -> RequestModel {
    let content_type = if media == DEFAULT_CONTENT_TYPE {
        media.to_string()
    } else {
        essence(media).to_ascii_lowercase()
    };
    RequestModel {
        content_type,
        schema,
    }
}

/// The compiled schema at `at` (once per distinct schema node); `None` when it cannot be
/// compiled (reported) or refers to nothing (reported by the `$ref` check).
fn compile(cx: &mut Cx<'_>, at: At<'_>) -> Option<Arc<ModelSchema>> {
    let doc = cx.doc;
    let root = follow(cx, doc, at.node, at.node)?;
    let key = std::ptr::from_ref(root);
    if let Some(done) = cx.models.get(&key) {
        return done.clone();
    }
    let compiled = assemble(cx, doc, root).and_then(|(document, units)| {
        match ModelSchema::compile(document) {
            Ok(schema) => Some(Arc::new(schema)),
            Err(refused) => {
                let tokens = pointer_tokens(&refused.pointer);
                let node = if units.iter().any(|u| tokens.starts_with(u)) {
                    lookup_pointer(doc, &refused.pointer)
                } else {
                    lookup_pointer(root, &refused.pointer)
                }
                .unwrap_or(root);
                cx.report_hint(
                    rules::MODEL_SCHEMA_INVALID,
                    &At { node },
                    format!(
                        "this request model is not a valid JSON Schema draft 4 schema: {}",
                        refused.message
                    ),
                    "API Gateway models are JSON Schema draft 4, and AWS refuses to import an invalid one (\"Invalid model schema specified\")",
                );
                None
            }
        }
    });
    cx.models.insert(key, compiled.clone());
    compiled
}

/// Follows `start` through `$ref`s to the schema they name; a cycle is reported at
/// `report_at`, a dangling or external reference gives `None` (the `$ref` check reported it).
fn follow<'r>(
    cx: &mut Cx<'_>,
    doc: &'r Node,
    start: &'r Node,
    report_at: &Node,
) -> Option<&'r Node> {
    let mut cur = start;
    let mut seen: Vec<*const Node> = Vec::new();
    let mut chain: Vec<&str> = Vec::new();
    while let Some(target) = cur.get("$ref").and_then(Node::as_str) {
        if seen.contains(&std::ptr::from_ref(cur)) || seen.len() >= MAX_CHAIN {
            cx.report_hint(
                rules::MODEL_REF_CYCLE,
                &At { node: report_at },
                format!(
                    "the `$ref` chain {} comes back to itself: the model names no schema",
                    chain.join(" → ")
                ),
                "make one of the definitions in the chain a schema instead of a reference",
            );
            return None;
        }
        seen.push(std::ptr::from_ref(cur));
        chain.push(target);
        cur = lookup_pointer(doc, target.strip_prefix('#')?)?;
    }
    Some(cur)
}

/// The schema document for `root`: its JSON, plus every definition its references reach
/// (transitively), each at the same pointer as in the definition, so the references resolve
/// unchanged. Also returns those pointers (as tokens). `None` when a reference chain cycles.
fn assemble<'r>(
    cx: &mut Cx<'_>,
    doc: &'r Node,
    root: &'r Node,
) -> Option<(Json, Vec<Vec<String>>)> {
    let mut document = root.to_json();
    let mut units: Vec<Vec<String>> = Vec::new();
    let mut pending: Vec<&'r Node> = Vec::new();
    refs_in(root, &mut pending);
    while let Some(ref_node) = pending.pop() {
        let Some(pointer) = ref_node.as_str().and_then(|t| t.strip_prefix('#')) else {
            continue;
        };
        // A chain of references must end at a schema.
        follow(cx, doc, lookup_pointer(doc, pointer)?, ref_node)?;
        let tokens = pointer_tokens(pointer);
        let unit: Vec<String> = match tokens.as_slice() {
            [d, name, ..] if d == "definitions" => vec![d.clone(), name.clone()],
            [c, s, name, ..] if c == "components" && s == "schemas" => {
                vec![c.clone(), s.clone(), name.clone()]
            }
            _ => tokens.clone(),
        };
        if unit.is_empty() || units.iter().any(|u| unit.starts_with(u)) {
            continue;
        }
        let Some(node) = lookup_pointer(doc, &encode_pointer(&unit)) else {
            continue;
        };
        if attach(&mut document, &unit, node.to_json()) {
            units.push(unit);
            refs_in(node, &mut pending);
        }
    }
    Some((document, units))
}

/// Every `$ref` string node under `node`.
fn refs_in<'n>(node: &'n Node, out: &mut Vec<&'n Node>) {
    match &node.value {
        Value::Object(entries) => {
            for (k, v) in entries {
                if k.text == "$ref" && v.as_str().is_some() {
                    out.push(v);
                } else {
                    refs_in(v, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs_in(v, out)),
        _ => {}
    }
}

/// Places `value` at `tokens` in `document`, creating objects on the way; false when a value
/// already there is not an object.
fn attach(document: &mut Json, tokens: &[String], value: Json) -> bool {
    let Some((last, parents)) = tokens.split_last() else {
        return false;
    };
    let mut cur = document;
    for t in parents {
        let Json::Object(map) = cur else {
            return false;
        };
        cur = map
            .entry(t.clone())
            .or_insert_with(|| Json::Object(Map::new()));
    }
    let Json::Object(map) = cur else {
        return false;
    };
    map.insert(last.clone(), value);
    true
}

/// `/a~1b/c%20d` → `["a/b", "c d"]` (as `lookup_pointer` reads it).
fn pointer_tokens(pointer: &str) -> Vec<String> {
    let Some(rest) = pointer.strip_prefix('/') else {
        return Vec::new();
    };
    rest.split('/')
        .map(|t| {
            let t = t.replace("~1", "/").replace("~0", "~");
            percent_encoding::percent_decode_str(&t)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect()
}

/// Tokens back to a pointer `lookup_pointer` reads (`%` escaped, as it percent-decodes).
fn encode_pointer(tokens: &[String]) -> String {
    let mut p = String::new();
    for t in tokens {
        p.push('/');
        p.push_str(&t.replace('%', "%25").replace('~', "~0").replace('/', "~1"));
    }
    p
}

#[cfg(test)]
mod tests;
