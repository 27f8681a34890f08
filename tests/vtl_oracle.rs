//! Differential check of apigate's mapping-template engine against the Apache Velocity 1.7
//! oracle (tests/vtl/). Every case of `tests/vtl/cases.jsonl` is rendered with
//! `apigate_template` and compared with the oracle's result in `tests/vtl/expected.jsonl`:
//! the output text byte for byte, the request/response overrides, and "error" cases (the engine
//! must return `Err`, from `parse` or from `render`). The test prints a per-group agreement
//! table and the mismatches, and fails unless agreement is at least 99.5% and every mismatching
//! id is listed, with its reason, in `tests/vtl/known-differences.txt` (`id<TAB>reason`).
//!
//! `cargo test -p apigate-template --test vtl_oracle -- --nocapture` shows the report;
//! `VTL_ORACLE_ONLY=ws/` restricts the run to ids starting with a prefix;
//! `VTL_ORACLE_SHOW=N` (default 200, `all` for every one) caps the mismatches printed.
//! Regenerate the data with `tests/vtl/gen_cases.py && tests/vtl/oracle/run.sh`.

#![allow(clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use apigate_template::{Limits, Overrides, Render, RenderInput, Rendered, Template};
use serde_json::{Map, Value};

const REQUIRED_AGREEMENT: f64 = 0.995;

fn vtl_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/vtl")
}

/// Reads a JSON-lines file into (id, object) pairs, in file order.
fn read_jsonl(path: &Path) -> Vec<(String, Map<String, Value>)> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let value: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("{}:{}: {e}", path.display(), n + 1));
        let Value::Object(obj) = value else {
            panic!("{}:{}: not a JSON object", path.display(), n + 1)
        };
        let id = obj
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("{}:{}: no string id", path.display(), n + 1))
            .to_string();
        out.push((id, obj));
    }
    out
}

/// `id<TAB>reason` lines; blank lines and lines starting with `#` are ignored.
fn read_known_differences(path: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut out = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end();
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let (id, reason) = line.split_once('\t').unwrap_or_else(|| {
            panic!(
                "{}:{}: expected `id<TAB>reason`, got {line:?}",
                path.display(),
                n + 1
            )
        });
        assert!(
            !reason.trim().is_empty(),
            "{}:{}: {id} has an empty reason",
            path.display(),
            n + 1
        );
        out.insert(id.trim().to_string(), reason.trim().to_string());
    }
    out
}

/// A location's parameters as (name, value) pairs in file order.
fn pairs(input: Option<&Map<String, Value>>, key: &str) -> Vec<(String, String)> {
    let Some(Value::Object(m)) = input.and_then(|i| i.get(key)) else {
        return Vec::new();
    };
    m.iter()
        .map(|(k, v)| {
            let v = match v {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                other => other.to_string(),
            };
            (k.clone(), v)
        })
        .collect()
}

/// What the engine produced for one case.
enum Got {
    Rendered(Box<Rendered>),
    ParseError(String),
    RenderError(String),
    Panic(String),
}

fn run_case(case: &Map<String, Value>) -> Got {
    let template = case.get("template").and_then(Value::as_str).unwrap_or("");
    let input = case.get("input").and_then(Value::as_object);
    let body = input
        .and_then(|i| i.get("body"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let path = pairs(input, "path");
    let querystring = pairs(input, "querystring");
    let header = pairs(input, "header");
    let empty = Value::Object(Map::new());
    let context = case.get("context").unwrap_or(&empty);
    let stage_variables: BTreeMap<String, String> =
        pairs(Some(case), "stageVariables").into_iter().collect();

    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let parsed = match Template::parse(template) {
            Ok(t) => t,
            Err(e) => return Got::ParseError(format!("{e:?}")),
        };
        let render_input = RenderInput {
            body,
            path: &path,
            querystring: &querystring,
            header: &header,
            context,
            stage_variables: &stage_variables,
        };
        match parsed.render(&render_input, &Limits::default()) {
            Ok(r) => Got::Rendered(Box::new(r)),
            Err(e) => Got::RenderError(format!("{e:?}")),
        }
    }));
    outcome.unwrap_or_else(|payload| {
        let msg = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "non-string panic payload".to_string());
        Got::Panic(msg)
    })
}

/// The engine's overrides in the oracle's JSON shape (only non-empty members).
fn overrides_json(o: &Overrides) -> Value {
    let mut out = Map::new();
    let multi = |list: &[(String, Vec<String>)]| {
        let mut m = Map::new();
        for (k, vs) in list {
            m.insert(
                k.clone(),
                Value::Array(vs.iter().cloned().map(Value::String).collect()),
            );
        }
        Value::Object(m)
    };
    if !o.header.is_empty() {
        out.insert("header".into(), multi(&o.header));
    }
    if !o.path.is_empty() {
        let mut m = Map::new();
        for (k, v) in &o.path {
            m.insert(k.clone(), Value::String(v.clone()));
        }
        out.insert("path".into(), Value::Object(m));
    }
    if !o.querystring.is_empty() {
        out.insert("querystring".into(), multi(&o.querystring));
    }
    if let Some(status) = o.status {
        out.insert("status".into(), Value::from(status));
    }
    Value::Object(out)
}

/// JSON text with object keys sorted, so that comparisons ignore key order (but not the
/// order of values in arrays, e.g. of a multi-value header).
fn canonical(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let sorted: BTreeMap<&String, String> =
                m.iter().map(|(k, v)| (k, canonical(v))).collect();
            let inner: Vec<String> = sorted
                .iter()
                .map(|(k, v)| format!("{}:{v}", Value::String((*k).clone())))
                .collect();
            format!("{{{}}}", inner.join(","))
        }
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(canonical).collect::<Vec<_>>().join(",")
        ),
        other => other.to_string(),
    }
}

fn empty_object() -> Value {
    Value::Object(Map::new())
}

/// `None` when the engine agrees with the oracle, else a description of the difference.
fn compare(expected: &Map<String, Value>, got: &Got) -> Option<(String, String)> {
    let expected_error = expected.get("error").and_then(Value::as_str);
    let got_text = match got {
        Got::Rendered(r) => format!("output {:?}", r.output),
        Got::ParseError(e) => format!("parse error {e}"),
        Got::RenderError(e) => format!("render error {e}"),
        Got::Panic(p) => format!("PANIC {p}"),
    };
    if let Some(err) = expected_error {
        return match got {
            Got::ParseError(_) | Got::RenderError(_) => None,
            _ => Some((format!("error {err:?}"), got_text)),
        };
    }
    let want_output = expected.get("output").and_then(Value::as_str).unwrap_or("");
    let Got::Rendered(r) = got else {
        return Some((format!("output {want_output:?}"), got_text));
    };
    let want_req = expected
        .get("requestOverride")
        .cloned()
        .unwrap_or_else(empty_object);
    let want_resp = expected
        .get("responseOverride")
        .cloned()
        .unwrap_or_else(empty_object);
    let got_req = overrides_json(&r.request_override);
    let got_resp = overrides_json(&r.response_override);
    let same_output = r.output == want_output;
    let same_req = canonical(&want_req) == canonical(&got_req);
    let same_resp = canonical(&want_resp) == canonical(&got_resp);
    if same_output && same_req && same_resp {
        return None;
    }
    let mut want = String::new();
    let mut have = String::new();
    if !same_output {
        let _ = write!(want, "output {want_output:?}");
        let _ = write!(have, "output {:?}", r.output);
    }
    if !same_req {
        let _ = write!(want, " requestOverride {}", canonical(&want_req));
        let _ = write!(have, " requestOverride {}", canonical(&got_req));
    }
    if !same_resp {
        let _ = write!(want, " responseOverride {}", canonical(&want_resp));
        let _ = write!(have, " responseOverride {}", canonical(&got_resp));
    }
    Some((want.trim().to_string(), have.trim().to_string()))
}

fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let cut: String = s.chars().take(max).collect();
    format!("{cut}… ({} chars)", s.chars().count())
}

#[derive(Default)]
struct GroupStats {
    cases: usize,
    agree: usize,
    known: usize,
    unknown: usize,
}

#[test]
fn engine_agrees_with_velocity_oracle() {
    let dir = vtl_dir();
    let cases = read_jsonl(&dir.join("cases.jsonl"));
    let expected: BTreeMap<String, Map<String, Value>> = read_jsonl(&dir.join("expected.jsonl"))
        .into_iter()
        .collect();
    let known = read_known_differences(&dir.join("known-differences.txt"));
    let only = std::env::var("VTL_ORACLE_ONLY").unwrap_or_default();
    let show = match std::env::var("VTL_ORACLE_SHOW").as_deref() {
        Ok("all") => usize::MAX,
        Ok(n) => n.parse().unwrap_or(200),
        Err(_) => 200,
    };

    let case_ids: BTreeSet<&String> = cases.iter().map(|(id, _)| id).collect();
    let missing: Vec<&&String> = case_ids
        .iter()
        .filter(|id| !expected.contains_key(id.as_str()))
        .collect();
    let stale: Vec<&String> = expected
        .keys()
        .filter(|id| !case_ids.contains(id))
        .collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "expected.jsonl is out of date ({} cases without a result, {} results without a case, \
         e.g. {:?} {:?}): run tests/vtl/oracle/run.sh",
        missing.len(),
        stale.len(),
        missing.first(),
        stale.first()
    );

    let mut groups: BTreeMap<String, GroupStats> = BTreeMap::new();
    let mut mismatches: Vec<(String, Option<String>, String, String)> = Vec::new();
    let mut total = 0usize;
    let mut agree = 0usize;
    for (id, case) in &cases {
        if !id.starts_with(&only) {
            continue;
        }
        total += 1;
        let group = id.split('/').next().unwrap_or("").to_string();
        let stats = groups.entry(group).or_default();
        stats.cases += 1;
        let got = run_case(case);
        match compare(&expected[id], &got) {
            None => {
                agree += 1;
                stats.agree += 1;
            }
            Some((want, have)) => {
                let reason = known.get(id).cloned();
                if reason.is_some() {
                    stats.known += 1;
                } else {
                    stats.unknown += 1;
                }
                mismatches.push((id.clone(), reason, want, have));
            }
        }
    }
    assert!(total > 0, "no case matched VTL_ORACLE_ONLY={only:?}");

    let mut report = String::new();
    let _ = writeln!(
        report,
        "\nVTL oracle: {agree}/{total} cases agree ({:.2}%)",
        100.0 * agree as f64 / total as f64
    );
    let _ = writeln!(
        report,
        "{:<24} {:>6} {:>6} {:>6} {:>8} {:>8}",
        "group", "cases", "agree", "known", "unknown", "agree%"
    );
    for (g, s) in &groups {
        let _ = writeln!(
            report,
            "{:<24} {:>6} {:>6} {:>6} {:>8} {:>7.1}%",
            g,
            s.cases,
            s.agree,
            s.known,
            s.unknown,
            100.0 * s.agree as f64 / s.cases as f64
        );
    }
    if !mismatches.is_empty() {
        let _ = writeln!(
            report,
            "\n{} mismatches (showing up to {}; VTL_ORACLE_SHOW=all shows every one):",
            mismatches.len(),
            show.min(mismatches.len())
        );
        // Undocumented differences first: they are the ones that fail the test.
        let mut ordered: Vec<&(String, Option<String>, String, String)> =
            mismatches.iter().filter(|m| m.1.is_none()).collect();
        ordered.extend(mismatches.iter().filter(|m| m.1.is_some()));
        for (id, reason, want, have) in ordered.into_iter().take(show) {
            let case = &cases
                .iter()
                .find(|(cid, _)| cid == id)
                .map(|(_, c)| c)
                .expect("case exists");
            let template = case.get("template").and_then(Value::as_str).unwrap_or("");
            let _ = writeln!(
                report,
                "- {id} [{}]\n    template: {}\n    expected: {}\n    got:      {}",
                reason.as_deref().unwrap_or("NOT in known-differences.txt"),
                clip(&format!("{template:?}"), 300),
                clip(want, 600),
                clip(have, 600)
            );
        }
    }
    let listed_but_agree: Vec<&String> = known
        .keys()
        .filter(|id| {
            id.starts_with(&only)
                && case_ids.contains(id)
                && !mismatches.iter().any(|m| &m.0 == *id)
        })
        .collect();
    let listed_unknown: Vec<&String> = known.keys().filter(|id| !case_ids.contains(id)).collect();
    if !listed_but_agree.is_empty() || !listed_unknown.is_empty() {
        let _ = writeln!(
            report,
            "\nnote: known-differences.txt lists {} ids that now agree and {} ids that are not \
             cases; remove them: {:?} {:?}",
            listed_but_agree.len(),
            listed_unknown.len(),
            listed_but_agree,
            listed_unknown
        );
    }
    println!("{report}");

    let undocumented: Vec<&String> = mismatches
        .iter()
        .filter(|m| m.1.is_none())
        .map(|m| &m.0)
        .collect();
    let agreement = agree as f64 / total as f64;
    assert!(
        undocumented.is_empty(),
        "{} mismatches are not listed in tests/vtl/known-differences.txt: {:?}",
        undocumented.len(),
        undocumented
    );
    assert!(
        agreement >= REQUIRED_AGREEMENT,
        "agreement {:.2}% is below the required {:.1}%",
        100.0 * agreement,
        100.0 * REQUIRED_AGREEMENT
    );
}
