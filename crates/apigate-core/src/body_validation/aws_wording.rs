//! `$context.error.validationErrorString` in AWS's wording.
//!
//! API Gateway validates models with java-json-tools' json-schema-validator (fge); the
//! strings it answers are that library's messages (`object has missing required properties
//! (["name"])`, `instance type (string) does not match any allowed primitive type (allowed:
//! ["integer","number"])`, … — recorded ones in docs/PARITY.md), in brackets, comma-separated.
//! The `jsonschema` crate finds the failures; this module words, groups, orders and prunes them
//! the way that library reports them:
//!
//! - one message per keyword: `required` lists every missing member (sorted), `allOf`,
//!   `anyOf`, `oneOf` and `not` are one message at their node;
//! - a node's keywords in alphabetical order (`format` last), nodes depth first, object members
//!   by name, array items by index;
//! - the library stops descending once its report holds an error, so below a failed node, and
//!   below every node visited after it, nothing is reported.
//!
//! A failure this module cannot word keeps the crate's own message.

use std::cmp::Ordering;

use jsonschema::error::ValidationErrorKind as Kind;
use jsonschema::paths::LocationSegment;
use jsonschema::ValidationError;
use serde_json::Value;

/// One segment of an instance path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    Key(String),
    Index(usize),
}

/// One segment of an evaluation path (a keyword, a member name, an index).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Name(String),
    Index(usize),
}

impl Tok {
    fn name(&self) -> Option<&str> {
        match self {
            Tok::Name(n) => Some(n),
            Tok::Index(_) => None,
        }
    }
}

/// A message at an instance node, with the keyword slot it is reported in.
#[derive(Debug)]
struct Finding {
    path: Vec<Seg>,
    keyword: String,
    message: String,
}

/// Failures grouped into one message: the missing members of one `required`, the failed
/// branches of one `allOf`, the property dependencies of one `dependencies`.
#[derive(Debug)]
struct Group<'e> {
    path: Vec<Seg>,
    /// The evaluation path up to the keyword, which identifies the schema node.
    schema: Vec<Tok>,
    keyword: String,
    errors: Vec<&'e ValidationError<'e>>,
}

/// The bracketed, comma-separated messages for `errors` (the failures of one instance against
/// the schema `document`).
pub(super) fn validation_error_string<'e>(
    document: &Value,
    errors: impl Iterator<Item = ValidationError<'e>>,
) -> String {
    let errors: Vec<ValidationError<'e>> = errors.collect();
    let mut findings: Vec<Finding> = Vec::new();
    let mut groups: Vec<Group<'_>> = Vec::new();
    for error in &errors {
        let tokens: Vec<Tok> = error
            .evaluation_path()
            .segments()
            .map(|s| match s {
                LocationSegment::Property(p) => Tok::Name(p.into_owned()),
                LocationSegment::Index(i) => Tok::Index(i),
            })
            .collect();
        let (depth, at) = locate(&tokens);
        let path: Vec<Seg> = error
            .instance_path()
            .segments()
            .take(depth)
            .map(|s| match s {
                LocationSegment::Property(p) => Seg::Key(p.into_owned()),
                LocationSegment::Index(i) => Seg::Index(i),
            })
            .collect();
        let keyword = tokens
            .get(at)
            .and_then(Tok::name)
            .unwrap_or_default()
            .to_string();
        let schema_tokens = tokens.get(..at).unwrap_or_default().to_vec();
        let grouped = match (keyword.as_str(), error.kind()) {
            ("required", Kind::Required { .. }) | ("allOf", _) => true,
            ("dependencies", Kind::Required { .. }) => at + 1 == tokens.len(),
            _ => false,
        };
        if grouped {
            match groups
                .iter_mut()
                .find(|g| g.path == path && g.schema == schema_tokens && g.keyword == keyword)
            {
                Some(g) => g.errors.push(error),
                None => groups.push(Group {
                    path,
                    schema: schema_tokens,
                    keyword,
                    errors: vec![error],
                }),
            }
            continue;
        }
        let node = schema_at(document, &schema_tokens);
        let message = word(error, node).unwrap_or_else(|| error.to_string());
        findings.push(Finding {
            path,
            keyword: slot(&keyword).to_string(),
            message,
        });
    }
    for group in groups {
        let node = schema_at(document, &group.schema);
        for message in word_group(&group, node) {
            findings.push(Finding {
                path: group.path.clone(),
                keyword: group.keyword.clone(),
                message,
            });
        }
    }
    findings.sort_by(|a, b| {
        compare_paths(&a.path, &b.path).then_with(|| compare_slots(&a.keyword, &b.keyword))
    });
    let first = findings.first().map(|f| f.path.clone()).unwrap_or_default();
    let reported: Vec<&str> = findings
        .iter()
        .filter(|f| visited(&f.path, &first))
        .map(|f| f.message.as_str())
        .collect();
    format!("[{}]", reported.join(", "))
}

/// Walks an evaluation path: how many instance levels it descends before the failing keyword,
/// and the index of that keyword's token. Combinators end the walk at their own token (their
/// failures are one message at their node).
fn locate(tokens: &[Tok]) -> (usize, usize) {
    let mut depth = 0;
    let mut i = 0;
    while let Some(tok) = tokens.get(i) {
        let last = i + 1 == tokens.len();
        match tok.name() {
            Some("properties" | "patternProperties") if !last => {
                i += 2;
                depth += 1;
            }
            Some("additionalProperties" | "additionalItems") if !last => {
                i += 1;
                depth += 1;
            }
            Some("items") if !last => {
                i += 1;
                if matches!(tokens.get(i), Some(Tok::Index(_))) {
                    i += 1;
                }
                depth += 1;
            }
            Some("$ref") => i += 1,
            // A schema dependency: its keywords apply to this node.
            Some("dependencies") if i + 2 < tokens.len() => i += 2,
            Some("allOf" | "anyOf" | "oneOf" | "not") => return (depth, i),
            Some(_) => return (depth, i),
            None => i += 1,
        }
    }
    (depth, tokens.len().saturating_sub(1))
}

/// The keyword slot a failure is reported in: draft 4's `exclusiveMinimum`/`exclusiveMaximum`
/// are part of `minimum`/`maximum`.
fn slot(keyword: &str) -> &str {
    match keyword {
        "exclusiveMinimum" => "minimum",
        "exclusiveMaximum" => "maximum",
        other => other,
    }
}

/// Keyword order at one node: alphabetical (Java's `TreeMap`), `format` after all others
/// (the library appends its format check to the keyword list).
fn compare_slots(a: &str, b: &str) -> Ordering {
    (a == "format")
        .cmp(&(b == "format"))
        .then_with(|| a.encode_utf16().cmp(b.encode_utf16()))
}

/// Depth-first order: a node before its children, members by name (Java's `String` order),
/// items by index.
fn compare_paths(a: &[Seg], b: &[Seg]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let o = match (x, y) {
            (Seg::Key(x), Seg::Key(y)) => x.encode_utf16().cmp(y.encode_utf16()),
            (Seg::Index(x), Seg::Index(y)) => x.cmp(y),
            (Seg::Index(_), Seg::Key(_)) => Ordering::Less,
            (Seg::Key(_), Seg::Index(_)) => Ordering::Greater,
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    a.len().cmp(&b.len())
}

/// Whether the library looks at `path` when `first` is the first node that failed: the nodes
/// it had reached before (none failed), `first` itself, and the later siblings of `first` and
/// of its ancestors (their keywords run; nothing below them does).
fn visited(path: &[Seg], first: &[Seg]) -> bool {
    if path == first {
        return true;
    }
    match path.split_last() {
        Some((_, parent)) => parent.len() < first.len() && first.starts_with(parent),
        None => false,
    }
}

/// The schema node an evaluation path (up to a keyword) leads to in `document`.
fn schema_at<'d>(document: &'d Value, tokens: &[Tok]) -> Option<&'d Value> {
    let mut cur = document;
    for tok in tokens {
        cur = match tok {
            Tok::Name(n) if n == "$ref" => {
                let target = cur.get("$ref")?.as_str()?.strip_prefix('#')?;
                let pointer = percent_encoding::percent_decode_str(target)
                    .decode_utf8()
                    .ok()?;
                document.pointer(&pointer)?
            }
            Tok::Name(n) => cur.get(n.as_str())?,
            Tok::Index(i) => cur.get(*i)?,
        };
    }
    Some(cur)
}

/// The library's primitive type of a JSON value (`integer` for numbers without a fraction or
/// exponent, as Jackson reads them).
fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "number",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Primitive types in the library's order (its `NodeType` enum).
const TYPES: [&str; 7] = [
    "array", "boolean", "integer", "null", "number", "object", "string",
];

/// A list as the library prints a JSON array argument: compact JSON.
fn json_list<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    Value::Array(
        items
            .into_iter()
            .map(|s| Value::String(s.to_string()))
            .collect(),
    )
    .to_string()
}

/// Sorts names as Java's `String.compareTo` does (UTF-16 code units).
fn sort_java(names: &mut [String]) {
    names.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
}

fn number_cmp(instance: &Value, limit: &Value) -> Option<Ordering> {
    instance.as_f64()?.partial_cmp(&limit.as_f64()?)
}

/// One failure in the library's words; `None` when it has no counterpart there.
fn word(error: &ValidationError<'_>, node: Option<&Value>) -> Option<String> {
    let instance: &Value = error.instance();
    let text = instance.as_str().unwrap_or_default();
    let count = |v: &Value| match v {
        Value::Array(a) => a.len(),
        Value::Object(o) => o.len(),
        _ => 0,
    };
    let branches = |keyword: &str| {
        node.and_then(|n| n.get(keyword))
            .and_then(Value::as_array)
            .map(Vec::len)
    };
    Some(match error.kind() {
        Kind::Type { .. } => {
            let declared = node?.get("type")?;
            let mut allowed: Vec<&str> = match declared {
                Value::String(s) => vec![s.as_str()],
                Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                _ => return None,
            };
            if allowed.contains(&"number") {
                allowed.push("integer");
            }
            let allowed = TYPES.iter().copied().filter(|t| allowed.contains(t));
            format!(
                "instance type ({}) does not match any allowed primitive type (allowed: {})",
                type_name(instance),
                json_list(allowed)
            )
        }
        Kind::Enum { options } => format!(
            "instance value ({instance}) not found in enum (possible values: {options})"
        ),
        Kind::Minimum { limit } | Kind::ExclusiveMinimum { limit } => {
            if number_cmp(instance, limit)? == Ordering::Less {
                format!("numeric instance is lower than the required minimum (minimum: {limit}, found: {instance})")
            } else {
                format!("numeric instance is not strictly greater than the required minimum {limit}")
            }
        }
        Kind::Maximum { limit } | Kind::ExclusiveMaximum { limit } => {
            if number_cmp(instance, limit)? == Ordering::Greater {
                format!("numeric instance is greater than the required maximum (maximum: {limit}, found: {instance})")
            } else {
                format!("numeric instance is not strictly lower than the required maximum {limit}")
            }
        }
        Kind::MinLength { limit } => format!(
            "string \"{text}\" is too short (length: {}, required minimum: {limit})",
            text.chars().count()
        ),
        Kind::MaxLength { limit } => format!(
            "string \"{text}\" is too long (length: {}, maximum allowed: {limit})",
            text.chars().count()
        ),
        Kind::Pattern { pattern } => {
            format!("ECMA 262 regex \"{pattern}\" does not match input string \"{text}\"")
        }
        Kind::MinItems { limit } => format!(
            "array is too short: must have at least {limit} elements but instance has {} elements",
            count(instance)
        ),
        Kind::MaxItems { limit } => format!(
            "array is too long: must have at most {limit} elements but instance has {} elements",
            count(instance)
        ),
        Kind::UniqueItems => "array must not contain duplicate elements".to_string(),
        Kind::AdditionalItems { limit } => format!(
            "schema only allows {limit} elements in array but instance has {} elements",
            count(instance)
        ),
        Kind::AdditionalProperties { unexpected } => {
            let mut names = unexpected.clone();
            sort_java(&mut names);
            format!(
                "object instance has properties which are not allowed by the schema: {}",
                json_list(names.iter().map(String::as_str))
            )
        }
        Kind::MinProperties { limit } => format!(
            "object has too few properties (found {} but schema requires at least {limit})",
            count(instance)
        ),
        Kind::MaxProperties { limit } => format!(
            "object has too many properties (found {} but schema requires at most {limit})",
            count(instance)
        ),
        Kind::MultipleOf { .. } => {
            let divisor = node?.get("multipleOf")?;
            format!("remainder of division is not zero ({instance} / {divisor})")
        }
        Kind::AnyOf { context } => format!(
            "instance failed to match at least one required schema among {}",
            branches("anyOf").unwrap_or(context.len())
        ),
        Kind::OneOfNotValid { context } => format!(
            "instance failed to match exactly one schema (matched 0 out of {})",
            branches("oneOf").unwrap_or(context.len())
        ),
        Kind::OneOfMultipleValid { context } => format!(
            "instance failed to match exactly one schema (matched {} out of {})",
            context.iter().filter(|c| c.is_empty()).count(),
            branches("oneOf").unwrap_or(context.len())
        ),
        Kind::Not { .. } => "instance matched a schema which it should not have".to_string(),
        Kind::Format { format } => match format.as_str() {
            "date-time" => format!("string \"{text}\" is invalid against requested date format(s) [yyyy-MM-dd'T'HH:mm:ssZ, yyyy-MM-dd'T'HH:mm:ss.[0-9]{{1,12}}Z]"),
            "email" => format!("string \"{text}\" is not a valid email address"),
            "hostname" => format!("string \"{text}\" is not a valid hostname"),
            "ipv4" => format!("string \"{text}\" is not a valid IPv4 address"),
            "ipv6" => format!("string \"{text}\" is not a valid IPv6 address"),
            "regex" => format!("string \"{text}\" is not a valid ECMA 262 regular expression"),
            "uri" => format!("string \"{text}\" is not a valid URI"),
            _ => return None,
        },
        _ => return None,
    })
}

/// The messages of a group of failures.
fn word_group(group: &Group<'_>, node: Option<&Value>) -> Vec<String> {
    let Some(first) = group.errors.first() else {
        return Vec::new();
    };
    let instance: &Value = first.instance();
    match group.keyword.as_str() {
        "required" => {
            let mut missing: Vec<String> = group
                .errors
                .iter()
                .filter_map(|e| match e.kind() {
                    Kind::Required { property } => property.as_str().map(str::to_string),
                    _ => None,
                })
                .collect();
            sort_java(&mut missing);
            missing.dedup();
            vec![format!(
                "object has missing required properties ({})",
                json_list(missing.iter().map(String::as_str))
            )]
        }
        "allOf" => {
            let total = node
                .and_then(|n| n.get("allOf"))
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            let mut failed: Vec<usize> = group
                .errors
                .iter()
                .filter_map(|e| {
                    let after = e.evaluation_path().segments().nth(group.schema.len() + 1)?;
                    match after {
                        LocationSegment::Index(i) => Some(i),
                        LocationSegment::Property(_) => None,
                    }
                })
                .collect();
            failed.sort_unstable();
            failed.dedup();
            vec![format!(
                "instance failed to match all required schemas (matched only {} out of {total})",
                total.saturating_sub(failed.len())
            )]
        }
        // Property dependencies: one message per member whose dependencies are missing.
        _ => {
            let Some(deps) = node
                .and_then(|n| n.get("dependencies"))
                .and_then(Value::as_object)
            else {
                return Vec::new();
            };
            let Some(object) = instance.as_object() else {
                return Vec::new();
            };
            let mut names: Vec<&String> = deps.keys().filter(|k| object.contains_key(*k)).collect();
            names.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
            names
                .into_iter()
                .filter_map(|name| {
                    let required: Vec<&str> = deps.get(name)?.as_array()?.iter().filter_map(Value::as_str).collect();
                    let missing: Vec<&str> = required.iter().copied().filter(|r| !object.contains_key(*r)).collect();
                    (!missing.is_empty()).then(|| {
                        format!(
                            "property \"{name}\" of object has missing property dependencies (schema requires {}; missing: {})",
                            json_list(required.iter().copied()),
                            json_list(missing)
                        )
                    })
                })
                .collect()
        }
    }
}
