//! Loading: source text → spanned tree → checks → validated [`Api`].
//!
//! The steps, in order (each collects diagnostics and carries on):
//! 1. size and syntax ([`crate::source`]), duplicate keys, `$ref` targets;
//! 2. AWS import variables ([`crate::vars`]);
//! 3. the dialect (Swagger 2.0 / OpenAPI 3.0.x) and, for 3.0, conformance to the OpenAPI
//!    schema (through the `openapiv3` crate);
//! 4. basePath → stage; root extensions ([`root`]); security schemes ([`security`]);
//! 5. paths → resources and methods ([`paths`]), each with its integration ([`integration`])
//!    and, where a validator checks bodies, its request models ([`models`]).
//!
//! The [`Api`] is returned only when no step reported an error.

pub(crate) mod cx;
mod integration;
mod models;
mod paths;
mod root;
mod security;
#[cfg(test)]
mod tests;

use crate::diag::{pointer_push, Diagnostic, Diagnostics, Pos};
use crate::model::{Api, BasePathMode, OasVersion};
use crate::rules;
use crate::source::{self, Format, Node, Value};
use crate::vars::{self, ImportVariables};
use cx::{At, Cx, KeyAt};

/// AWS refuses definitions larger than this.
pub const MAX_DEFINITION_BYTES: usize = 6 * 1024 * 1024;

/// What loading needs besides the text.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    pub import_variables: ImportVariables,
    pub base_path_mode: BasePathMode,
}

/// The outcome of loading one definition.
#[derive(Debug)]
pub struct Loaded {
    /// The validated API; `None` when any error was reported.
    pub api: Option<Api>,
    /// Every problem found, sorted by position.
    pub diagnostics: Diagnostics,
}

/// Loads a definition from its text. `file_name` picks JSON or YAML by extension (else the
/// content decides). Never panics.
pub fn load(file_name: &str, text: &str, options: &LoadOptions) -> Loaded {
    let mut diags = Diagnostics::default();
    let api = load_into(file_name, text, options, &mut diags);
    diags.sort();
    let api = if diags.has_errors() { None } else { api };
    Loaded {
        api,
        diagnostics: diags,
    }
}

fn load_into(
    file_name: &str,
    text: &str,
    options: &LoadOptions,
    diags: &mut Diagnostics,
) -> Option<Api> {
    if text.len() > MAX_DEFINITION_BYTES {
        diags.push(Diagnostic {
            severity: rules::DEFINITION_TOO_LARGE.severity,
            rule: rules::DEFINITION_TOO_LARGE.id,
            message: format!(
                "the definition is {} bytes; AWS imports at most {MAX_DEFINITION_BYTES}",
                text.len()
            ),
            pointer: String::new(),
            pos: Pos { line: 1, col: 1 },
            hint: Some("split the API or move documentation out of the definition".into()),
        });
    }
    let (mut doc, facts) = match source::parse_with_facts(text, Format::detect(file_name, text)) {
        Ok(parsed) => parsed,
        Err(e) => {
            diags.push(e.into());
            return None;
        }
    };
    // The reader noted whether any text holds an import variable and whether any object
    // repeats a key or has a `$ref`; the whole-tree passes run only when they can find
    // something (substitution may rewrite keys, so it brings the tree check back).
    if facts.import_variables {
        vars::substitute(&mut doc, &options.import_variables, diags);
    }
    let mut cx = Cx::new(diags, &doc);
    let root = At::root(&doc);
    if facts.import_variables || facts.duplicate_keys || facts.refs {
        check_tree(&mut cx, &root);
    }
    cx.object(&root, "the document")?;
    let version = detect_version(&mut cx, &root)?;
    if version == OasVersion::OpenApi30 {
        check_openapi_schema(&mut cx, &doc);
    }
    let (stage, prefix) = base_path(&mut cx, &root, version, options.base_path_mode);
    if let Some(engine) = root
        .get(integration::TEMPLATE_ENGINE_KEY)
        .and_then(|e| integration::template_engine(&mut cx, &e))
    {
        cx.template_engine = engine;
    }
    let root_ext = root::load(&mut cx, &root, version);
    let schemes = security::load_schemes(&mut cx, &root, version);
    let routes = paths::load(&mut cx, &root, &prefix, &schemes, &root_ext);
    Some(Api {
        title: root
            .get("info")
            .and_then(|i| i.get("title"))
            .and_then(|t| t.str().map(str::to_string))
            .unwrap_or_default(),
        version,
        stage,
        base_path_mode: options.base_path_mode,
        routes,
        binary_media_types: root_ext.binary_media_types,
        gateway_responses: root_ext.gateway_responses,
        request_validators: root_ext.request_validators,
        api_key_source: root_ext.api_key_source,
        minimum_compression_size: root_ext.minimum_compression_size,
        policy: root_ext.policy,
        disable_execute_api_endpoint: root_ext.disable_execute_api_endpoint,
        authorizers: schemes.authorizers,
    })
}

/// Document-wide checks: duplicate keys, and `$ref`s that leave the document or dangle.
fn check_tree(cx: &mut Cx<'_>, at: &At<'_>) {
    match &at.node.value {
        Value::Object(entries) => {
            // Small objects (nearly all) need no set.
            let mut seen: Option<std::collections::HashSet<&str>> =
                (entries.len() > 16).then(std::collections::HashSet::new);
            for (i, (key, node)) in entries.iter().enumerate() {
                let child = At { node };
                let repeated = match &mut seen {
                    Some(seen) => !seen.insert(key.text.as_str()),
                    None => entries
                        .get(..i)
                        .unwrap_or_default()
                        .iter()
                        .any(|(k, _)| k.text == key.text),
                };
                if repeated {
                    cx.report(
                        rules::DUPLICATE_KEY,
                        &KeyAt(key, &child),
                        format!(
                            "`{}` appears more than once here; the last one is used",
                            key.text
                        ),
                    );
                }
                if key.text == "$ref" {
                    check_ref(cx, &child);
                }
                check_tree(cx, &child);
            }
        }
        Value::Array(items) => {
            for node in items {
                check_tree(cx, &At { node });
            }
        }
        _ => {}
    }
}

fn check_ref(cx: &mut Cx<'_>, at: &At<'_>) {
    let Some(target) = cx.string(at, "`$ref`") else {
        return;
    };
    match target.strip_prefix('#') {
        Some(pointer) if cx::lookup_pointer(cx.doc, pointer).is_some() => {}
        Some(_) => {
            cx.report(
                rules::REF_UNRESOLVED,
                at,
                format!("`{target}` does not point to anything in this document"),
            );
        }
        None => {
            cx.report_hint(
                rules::REF_UNRESOLVED,
                at,
                format!("`{target}` refers outside this document"),
                "API Gateway does not follow external references; inline the definition",
            );
        }
    }
}

fn detect_version(cx: &mut Cx<'_>, root: &At<'_>) -> Option<OasVersion> {
    if let Some(at) = root.get("swagger") {
        return match at.str() {
            Some("2.0") => Some(OasVersion::Swagger2),
            _ => {
                let shown = at.node.to_json().to_string();
                cx.report(
                    rules::UNSUPPORTED_VERSION,
                    &at,
                    format!("swagger version {shown} is not supported; only \"2.0\""),
                );
                None
            }
        };
    }
    if let Some(at) = root.get("openapi") {
        if at.str().is_none() {
            let shown = at.node.to_json().to_string();
            cx.report_hint(
                rules::UNSUPPORTED_VERSION,
                &at,
                format!("`openapi` must be a version string, found {shown}"),
                "write `openapi: \"3.0.1\"` (quoted in YAML, so it stays a string)",
            );
            return None;
        }
        let v = at
            .str()
            .map(str::to_string)
            .unwrap_or_else(|| at.node.to_json().to_string());
        if at
            .str()
            .is_some_and(|s| s.starts_with("3.0.") || s == "3.0")
        {
            return Some(OasVersion::OpenApi30);
        }
        cx.report_hint(
            rules::UNSUPPORTED_VERSION,
            &at,
            format!(
                "OpenAPI {v} is not supported; API Gateway imports Swagger 2.0 and OpenAPI 3.0.x"
            ),
            if v.starts_with("3.1") {
                "AWS refuses OpenAPI 3.1; write the definition as 3.0.x"
            } else {
                "write `openapi: 3.0.1` (quoted in YAML)"
            },
        );
        return None;
    }
    cx.report_hint(
        rules::UNSUPPORTED_VERSION,
        root,
        "the document has neither `swagger: \"2.0\"` nor `openapi: \"3.0.x\"`",
        "add `openapi: 3.0.1` or `swagger: \"2.0\"` at the top",
    );
    None
}

/// Runs the document through `openapiv3`'s model; its first complaint becomes a diagnostic.
fn check_openapi_schema(cx: &mut Cx<'_>, doc: &Node) {
    let json = doc.to_json();
    if let Err(e) = serde_path_to_error::deserialize::<_, openapiv3::OpenAPI>(json) {
        let mut pointer = String::new();
        for seg in e.path().iter() {
            match seg {
                serde_path_to_error::Segment::Seq { index } => {
                    pointer.push_str(&format!("/{index}"))
                }
                serde_path_to_error::Segment::Map { key } => pointer = pointer_push(&pointer, key),
                serde_path_to_error::Segment::Enum { .. }
                | serde_path_to_error::Segment::Unknown => {}
            }
        }
        // Point at the deepest node that exists.
        let mut probe = pointer.clone();
        let node = loop {
            if let Some(n) = cx::lookup_pointer(doc, &probe) {
                break n;
            }
            match probe.rfind('/') {
                Some(i) => probe.truncate(i),
                None => break doc,
            }
        };
        cx.report_at(
            rules::OPENAPI_SCHEMA,
            pointer,
            node.pos,
            format!("not valid OpenAPI 3.0: {}", e.inner()),
        );
    }
}

/// Reads the basePath (2.0 `basePath`; 3.0 `basePath` server variable or the server URL's
/// path) and returns the implied stage and the resource prefix for `mode`.
fn base_path(
    cx: &mut Cx<'_>,
    root: &At<'_>,
    version: OasVersion,
    mode: BasePathMode,
) -> (Option<String>, Vec<String>) {
    let found: Option<(At<'_>, String)> = match version {
        OasVersion::Swagger2 => root
            .get("basePath")
            .and_then(|at| cx.string(&at, "`basePath`").map(|s| (at, s.to_string()))),
        OasVersion::OpenApi30 => server_base_path(root),
    };
    let Some((at, path)) = found else {
        return (None, Vec::new());
    };
    let segments: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let Some(first) = segments.first() else {
        return (None, Vec::new());
    };
    let stage_ok = first.len() <= 128
        && first
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    match mode {
        BasePathMode::Prepend => (None, segments),
        BasePathMode::Ignore | BasePathMode::Split => {
            if !stage_ok {
                cx.report_hint(
                    rules::BASE_PATH_INVALID,
                    &at,
                    format!("basePath `{path}` starts with `{first}`, which cannot be a stage name"),
                    "stage names use A-Z a-z 0-9 _ - (at most 128); or load with basePath mode `prepend`",
                );
            }
            let rest: Vec<String> = segments.get(1..).unwrap_or_default().to_vec();
            if mode == BasePathMode::Ignore && !rest.is_empty() {
                cx.report_hint(
                    rules::BASE_PATH_DROPPED,
                    &at,
                    format!("basePath `{path}`: stage `{first}` is kept, `/{}` is dropped", rest.join("/")),
                    "use basePath mode `split` to prepend the rest to every path, or `prepend` for all of it",
                );
                return (Some(first.clone()), Vec::new());
            }
            (
                Some(first.clone()),
                if mode == BasePathMode::Split {
                    rest
                } else {
                    Vec::new()
                },
            )
        }
    }
}

/// OpenAPI 3.0: the first `basePath` server variable's default, else the path of
/// `servers[0].url`.
fn server_base_path<'n>(root: &At<'n>) -> Option<(At<'n>, String)> {
    let servers = root.get("servers")?.items();
    for server in servers.clone() {
        if let Some(default) = server
            .get("variables")
            .and_then(|v| v.get("basePath"))
            .and_then(|b| b.get("default"))
        {
            if let Some(s) = default.str() {
                return Some((default, s.to_string()));
            }
        }
    }
    let first = servers.clone().next()?;
    let url_at = first.get("url")?;
    let url = url_at.str()?;
    let path = url
        .split_once("://")
        .map(|(_, r)| r.split_once('/').map(|(_, p)| p).unwrap_or(""))
        .unwrap_or(url);
    // Server variables in the path take their defaults (`/{stage}` → `/prod`).
    let variables = first.get("variables");
    let mut resolved = String::with_capacity(path.len());
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        let (before, at) = rest.split_at(open);
        resolved.push_str(before);
        let Some(close) = at.find('}') else { break };
        let name = at.get(1..close).unwrap_or("");
        let default = variables
            .as_ref()
            .and_then(|v| v.get(name))
            .and_then(|v| v.get("default"));
        match default.as_ref().and_then(|d| d.str()) {
            Some(d) => resolved.push_str(d),
            None => resolved.push_str(at.get(..=close).unwrap_or("")),
        }
        rest = at.get(close + 1..).unwrap_or("");
    }
    resolved.push_str(rest);
    Some((url_at, resolved))
}
