//! `paths` → the route table: path syntax, resources, operations, method parameters and
//! method responses. Each operation's integration is loaded by [`super::integration`].

use std::collections::BTreeMap;

use super::cx::{At, Cx, KeyAt};
use super::integration;
use super::models;
use super::root::{report_unread_extension, RootExtensions, PREFIX};
use super::security::{operation_auth, Schemes};
use crate::diag::push_pointer_token;
use crate::mapping::ParamLocation;
use crate::model::{HttpMethod, Method, MethodParameter};
use crate::routes::{InsertError, RouteTable, Segment};
use crate::rules;

/// What the integration checks need to know about the method they belong to.
pub(crate) struct MethodContext<'a> {
    pub parameters: &'a [MethodParameter],
    pub responses: &'a BTreeMap<u16, Vec<String>>,
    /// The name of the path's greedy `{name+}` parameter, if it has one.
    pub greedy: Option<&'a str>,
}

impl MethodContext<'_> {
    /// Whether `method.request.{location}.{name}` is declared (header names ignore case).
    pub fn declares(&self, location: ParamLocation, name: &str) -> bool {
        self.parameters.iter().any(|p| {
            p.location == location
                && if location == ParamLocation::Header {
                    p.name.eq_ignore_ascii_case(name)
                } else {
                    p.name == name
                }
        })
    }
}

pub(crate) fn load(
    cx: &mut Cx<'_>,
    root: &At<'_>,
    prefix: &[String],
    schemes: &Schemes,
    ext: &RootExtensions,
) -> RouteTable {
    let mut table = RouteTable::default();
    let Some(paths) = root.get("paths") else {
        cx.report(rules::MISSING_FIELD, root, "the document has no `paths`");
        return table;
    };
    for (key, item) in cx.object(&paths, "`paths`").unwrap_or_default() {
        if key.text.starts_with("x-") {
            if key.text.starts_with(PREFIX) {
                report_unread_extension(cx, key, &item, "in `paths`");
            }
            continue;
        }
        let Some(segments) = path_segments(cx, key, &item) else {
            continue;
        };
        let mut all: Vec<Segment> = prefix.iter().map(|s| Segment::Static(s.clone())).collect();
        all.extend(segments);
        let resource = match table.add_resource(&all) {
            Ok(r) => r,
            Err(
                InsertError::VariableSibling { existing }
                | InsertError::DuplicateMethod { resource: existing },
            ) => {
                cx.report_hint(
                    rules::PATH_VARIABLE_SIBLING,
                    &KeyAt(key, &item),
                    format!(
                        "`{}` has a variable segment beside `{existing}`; only one variable path part is allowed per level",
                        key.text
                    ),
                    "use the same parameter name at this level in every path",
                );
                continue;
            }
        };
        let Some(item) = cx.deref(item) else { continue };
        path_item(cx, &mut table, resource, &key.text, &item, schemes, ext);
    }
    table
}

/// Checks a path key and splits it into segments.
fn path_segments(cx: &mut Cx<'_>, key: &crate::source::Key, item: &At<'_>) -> Option<Vec<Segment>> {
    let path = key.text.as_str();
    let loc = KeyAt(key, item);
    let Some(body) = path.strip_prefix('/') else {
        cx.report(
            rules::PATH_INVALID,
            &loc,
            format!("path `{path}` does not start with `/`"),
        );
        return None;
    };
    let body = body.strip_suffix('/').unwrap_or(body);
    if body.is_empty() {
        return Some(Vec::new());
    }
    let raw: Vec<&str> = body.split('/').collect();
    let mut segments = Vec::with_capacity(raw.len());
    let mut ok = true;
    let mut names: Vec<&str> = Vec::new();
    for (i, seg) in raw.iter().enumerate() {
        if seg.is_empty() {
            cx.report(
                rules::PATH_INVALID,
                &loc,
                format!("path `{path}` has an empty segment (`//`)"),
            );
            return None;
        }
        let is_var = seg.starts_with('{') && seg.ends_with('}') && seg.len() > 2;
        if is_var {
            let inner = seg.get(1..seg.len() - 1).unwrap_or("");
            let (name, greedy) = match inner.strip_suffix('+') {
                Some(n) => (n, true),
                None => (inner, false),
            };
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
            {
                cx.report(
                    rules::PATH_INVALID,
                    &loc,
                    format!("`{seg}` in `{path}` is not a valid parameter name"),
                );
                ok = false;
                continue;
            }
            if greedy && i + 1 != raw.len() {
                cx.report_hint(
                    rules::GREEDY_NOT_LAST,
                    &loc,
                    format!("greedy segment `{seg}` in `{path}` is not the last segment"),
                    "a `{name+}` resource cannot have children; move it to the end",
                );
                ok = false;
            }
            if names.contains(&name) {
                cx.report(
                    rules::PATH_PARAM_DUPLICATE,
                    &loc,
                    format!("path parameter `{name}` appears twice in `{path}`"),
                );
                ok = false;
            }
            names.push(name);
            segments.push(Segment::parse(seg));
        } else if seg.contains(['{', '}']) {
            cx.report_hint(
                rules::PATH_PARAM_PARTIAL,
                &loc,
                format!("segment `{seg}` in `{path}` mixes literal text and a parameter"),
                "a path parameter must be a whole segment: `/a/{p}`, not `/a{p}`",
            );
            ok = false;
        } else if let Some(c) = seg
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ',' | ':')))
        {
            cx.report_hint(
                rules::PATH_INVALID,
                &loc,
                format!("`{c}` is not allowed in path segment `{seg}` of `{path}`"),
                "path segments use A-Z a-z 0-9 _ - . , : only",
            );
            ok = false;
        } else {
            segments.push(Segment::Static((*seg).to_string()));
        }
    }
    ok.then_some(segments)
}

fn path_item(
    cx: &mut Cx<'_>,
    table: &mut RouteTable,
    resource: usize,
    path: &str,
    item: &At<'_>,
    schemes: &Schemes,
    ext: &RootExtensions,
) {
    if cx.object(item, "a path item").is_none() {
        return;
    }
    let shared_params = item.get("parameters");
    let path_vars = path_variables(path);
    for (key, op) in item.entries() {
        let verb = match key.text.as_str() {
            "x-amazon-apigateway-any-method" => HttpMethod::Any,
            "parameters" | "summary" | "description" | "servers" | "$ref" => continue,
            "trace" => {
                cx.report(
                    rules::METHOD_UNSUPPORTED,
                    &KeyAt(key, &op),
                    "API Gateway has no TRACE method; this operation is not imported",
                );
                continue;
            }
            name if name.starts_with(PREFIX) => {
                report_unread_extension(cx, key, &op, "on a path item");
                continue;
            }
            name if name.starts_with("x-") => continue,
            name => match HttpMethod::parse(name)
                .filter(|_| name.chars().all(|c| c.is_ascii_lowercase()))
            {
                Some(v) if v != HttpMethod::Any => v,
                _ => {
                    cx.report(
                        rules::METHOD_UNSUPPORTED,
                        &KeyAt(key, &op),
                        format!("`{name}` is not an operation API Gateway imports"),
                    );
                    continue;
                }
            },
        };
        if cx.object(&op, "an operation").is_none() {
            continue;
        }
        let parameters = parameters(cx, shared_params.as_ref(), &op, &path_vars);
        let responses = responses(cx, &op);
        let (authorization, authorization_scopes, api_key_required) =
            operation_auth(cx, &op, schemes);
        if api_key_required {
            let at = op.get("security").unwrap_or(op);
            cx.report_hint(
                rules::FEATURE_NOT_SERVED,
                &at,
                "API keys (usage plans) are not enforced by apigate yet; this method answers 500",
                "see docs/PARITY.md",
            );
        }
        let request_validator = match op.get("x-amazon-apigateway-request-validator") {
            Some(at) => {
                let name = cx.string(&at, "the request validator").map(str::to_string);
                if let Some(n) = &name {
                    if !ext.request_validators.contains_key(n) {
                        let defined: Vec<&str> =
                            ext.request_validators.keys().map(String::as_str).collect();
                        let hint = if defined.is_empty() {
                            "define it under the root's `x-amazon-apigateway-request-validators`"
                                .to_string()
                        } else {
                            format!("the validators defined are: {}", defined.join(", "))
                        };
                        cx.report_hint(rules::REQUEST_VALIDATOR_UNKNOWN, &at, format!("request validator `{n}` is not defined in `x-amazon-apigateway-request-validators`"), hint);
                    }
                }
                name
            }
            None => ext.default_validator.clone(),
        };
        for (k, v) in op.entries() {
            if k.text.starts_with(PREFIX)
                && !matches!(
                    k.text.as_str(),
                    "x-amazon-apigateway-integration"
                        | "x-amazon-apigateway-auth"
                        | "x-amazon-apigateway-request-validator"
                )
            {
                report_unread_extension(cx, k, &v, "on an operation");
            }
        }
        let mcx = MethodContext {
            parameters: &parameters,
            responses: &responses,
            greedy: greedy_variable(path),
        };
        let Some(integration_at) = op.get("x-amazon-apigateway-integration") else {
            cx.report_hint(
                rules::OPERATION_WITHOUT_INTEGRATION,
                &KeyAt(key, &op),
                format!(
                    "{} {path} has no `x-amazon-apigateway-integration`",
                    verb.as_str()
                ),
                "add an integration (type mock, http, http_proxy, aws or aws_proxy)",
            );
            continue;
        };
        let Some(integration) = integration::load(cx, &integration_at, &mcx) else {
            continue;
        };
        let validates_body = request_validator
            .as_ref()
            .and_then(|n| ext.request_validators.get(n))
            .is_some_and(|v| v.validate_request_body);
        let request_models = if validates_body {
            models::load(cx, &op, shared_params.as_ref())
        } else {
            Vec::new()
        };
        let method = Method {
            verb,
            resource_path: path.to_string(),
            pointer: operation_pointer(path, &key.text),
            operation_id: op
                .get("operationId")
                .and_then(|o| o.str().map(str::to_string)),
            parameters,
            authorization,
            authorization_scopes,
            api_key_required,
            request_validator,
            request_models,
            responses,
            integration,
        };
        if let Err(InsertError::DuplicateMethod { resource: existing }) =
            table.add_method(resource, method)
        {
            cx.report(rules::PATH_DUPLICATE, &KeyAt(key, &op), format!("{} is defined twice for resource `{existing}` (paths differing only by a trailing `/`?)", verb.as_str()));
        }
    }
}

/// `/paths/~1a~1{b}/get`, built directly (no document walk).
fn operation_pointer(path: &str, verb_key: &str) -> String {
    let mut p = String::from("/paths");
    push_pointer_token(&mut p, path);
    push_pointer_token(&mut p, verb_key);
    p
}

/// The name in the path's `{name+}` segment, if any.
fn greedy_variable(path: &str) -> Option<&str> {
    path.split('/')
        .find_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix("+}")))
}

fn path_variables(path: &str) -> Vec<String> {
    path.split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|s| s.strip_suffix('+').unwrap_or(s).to_string())
        .collect()
}

/// Path-item and operation parameters (operation entries override same name + location).
fn parameters(
    cx: &mut Cx<'_>,
    shared: Option<&At<'_>>,
    op: &At<'_>,
    path_vars: &[String],
) -> Vec<MethodParameter> {
    let mut out: Vec<MethodParameter> = Vec::new();
    let lists = [shared.cloned(), op.get("parameters")];
    for list in lists.into_iter().flatten() {
        for p in cx.array(&list, "`parameters`").unwrap_or_default() {
            let Some(p) = cx.deref(p) else { continue };
            if cx.object(&p, "a parameter").is_none() {
                continue;
            }
            let Some(name) = p.get("name").and_then(|n| n.str()) else {
                cx.report(rules::PARAMETER_INVALID, &p, "the parameter has no `name`");
                continue;
            };
            let location = match p.get("in").and_then(|i| i.str()) {
                Some("path") => ParamLocation::Path,
                Some("query") => ParamLocation::QueryString,
                Some("header") => ParamLocation::Header,
                // Body parameters describe the request model (2.0), not method parameters.
                Some("body") | Some("formData") => continue,
                Some("cookie") => {
                    cx.report(
                        rules::PARAMETER_IGNORED,
                        &p,
                        format!("cookie parameter `{name}` is ignored by API Gateway"),
                    );
                    continue;
                }
                other => {
                    let shown = other
                        .map(|s| format!("`{s}`"))
                        .unwrap_or_else(|| "missing".into());
                    cx.report(
                        rules::PARAMETER_INVALID,
                        &p,
                        format!(
                            "parameter `{name}`: `in` is {shown}; expected path, query or header"
                        ),
                    );
                    continue;
                }
            };
            if location == ParamLocation::Path && !path_vars.iter().any(|v| v == name) {
                cx.report(
                    rules::PATH_PARAM_UNKNOWN,
                    &p,
                    format!("path parameter `{name}` is not a variable of this path"),
                );
            }
            let required = location == ParamLocation::Path
                || p.get("required")
                    .and_then(|r| r.node.as_bool())
                    .unwrap_or(false);
            out.retain(|q| !(q.location == location && q.name == name));
            out.push(MethodParameter {
                location,
                name: name.to_string(),
                required,
            });
        }
    }
    out
}

/// Reads a status code written as `"200"` or `200`.
pub(crate) fn status_code(at: &At<'_>) -> Option<u16> {
    let n = match (at.str(), at.node.as_i64()) {
        (Some(s), _) if s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse::<u16>().ok()?
        }
        (None, Some(n)) => u16::try_from(n).ok()?,
        _ => return None,
    };
    (100..=599).contains(&n).then_some(n)
}

/// Method responses: status → declared header names.
fn responses(cx: &mut Cx<'_>, op: &At<'_>) -> BTreeMap<u16, Vec<String>> {
    let mut out = BTreeMap::new();
    let Some(responses) = op.get("responses") else {
        return out;
    };
    for (key, resp) in cx.object(&responses, "`responses`").unwrap_or_default() {
        let code = key
            .text
            .parse::<u16>()
            .ok()
            .filter(|c| key.text.len() == 3 && (100..=599).contains(c));
        let Some(code) = code else {
            cx.report_hint(
                rules::RESPONSE_STATUS_INVALID,
                &KeyAt(key, &resp),
                format!("`{}` is not a method response status code", key.text),
                "API Gateway method responses are keyed by explicit status codes such as \"200\"",
            );
            continue;
        };
        let Some(resp) = cx.deref(resp) else { continue };
        let mut headers = Vec::new();
        if let Some(h) = resp.get("headers") {
            for (name, _) in cx.object(&h, "response `headers`").unwrap_or_default() {
                headers.push(name.text.to_string());
            }
        }
        out.insert(code, headers);
    }
    out
}
