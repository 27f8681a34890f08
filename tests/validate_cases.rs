//! Data-driven `validate` cases: every `tests/validate/NAME.{yaml,json}` is loaded and its
//! diagnostics — severity, rule id, line:col and JSON pointer — must equal `NAME.expect`,
//! one per line. The deployment config files under `tests/validate/config/` are checked the
//! same way, alone (with their access-log format parsed) and against `config/api.yaml` (as
//! `validate --config` does). Adding a case is adding two files; `BLESS=1 cargo test --test
//! validate_cases` writes the `.expect` files for review.

#![allow(clippy::expect_used)]
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use apigate_core::{config, load, rules, Diagnostic, LoadOptions};
use apigate_runtime::access_log::AccessLogFormat;

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/validate")
}

fn case_files() -> Vec<PathBuf> {
    files_in(&cases_dir())
}

/// The config cases (every file of `tests/validate/config` but the definition).
fn config_case_files() -> Vec<PathBuf> {
    files_in(&cases_dir().join("config"))
        .into_iter()
        .filter(|p| p.file_name().and_then(|n| n.to_str()) != Some("api.yaml"))
        .collect()
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("tests/validate exists")
        .map(|e| e.expect("readable dir entry").path())
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml" | "json")
            )
        })
        .collect();
    files.sort();
    files
}

fn render(path: &Path) -> String {
    let text = std::fs::read_to_string(path).expect("case is UTF-8");
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .expect("file name");
    let loaded = load(name, &text, &LoadOptions::default());
    let out = lines(loaded.diagnostics.iter());
    assert_eq!(
        loaded.api.is_some(),
        !loaded.diagnostics.has_errors(),
        "{name}: an Api must exist exactly when there are no errors"
    );
    out
}

/// A config case: its diagnostics alone, then (when it loads) against `config/api.yaml`
/// served on the stage the file or the definition names.
fn render_config(path: &Path) -> String {
    let text = std::fs::read_to_string(path).expect("case is UTF-8");
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .expect("file name");
    let loaded = config::load(name, &text);
    let mut diagnostics: Vec<Diagnostic> = loaded.diagnostics.iter().cloned().collect();
    assert_eq!(
        loaded.config.is_some(),
        !loaded.diagnostics.has_errors(),
        "{name}: a config must exist exactly when there are no errors"
    );
    if let Some(c) = &loaded.config {
        diagnostics.extend(AccessLogFormat::check_config(c));
        let api_path = cases_dir().join("config/api.yaml");
        let api_text = std::fs::read_to_string(&api_path).expect("config/api.yaml");
        let api = load("api.yaml", &api_text, &LoadOptions::default())
            .api
            .expect("config/api.yaml loads");
        let stage = c.stage.name.clone().or_else(|| api.stage.clone());
        diagnostics.extend(config::check_against(c, &api, "api.yaml", stage.as_deref()).into_vec());
    }
    diagnostics.sort_by(|a, b| (a.pos, a.rule).cmp(&(b.pos, b.rule)));
    lines(diagnostics.iter())
}

/// `severity[rule] line:col pointer`, one per line.
fn lines<'a>(diagnostics: impl Iterator<Item = &'a Diagnostic>) -> String {
    let mut out = String::new();
    for d in diagnostics {
        let pointer = if d.pointer.is_empty() {
            "/"
        } else {
            &d.pointer
        };
        out.push_str(&format!(
            "{}[{}] {}:{} {}\n",
            d.severity.as_str(),
            d.rule,
            d.pos.line,
            d.pos.col,
            pointer
        ));
    }
    out
}

#[test]
fn every_case_reports_exactly_its_expected_diagnostics() {
    let bless = std::env::var_os("BLESS").is_some();
    let mut failures = Vec::new();
    let files = case_files();
    assert!(
        files.len() >= 30,
        "expected at least 30 cases, found {}",
        files.len()
    );
    let configs = config_case_files();
    assert!(configs.len() >= 4, "expected the config cases");
    let cases = files
        .iter()
        .map(|p| (p, render as fn(&Path) -> String))
        .chain(
            configs
                .iter()
                .map(|p| (p, render_config as fn(&Path) -> String)),
        );
    for (path, render) in cases {
        let got = render(path);
        let expect_path = path.with_extension(format!(
            "{}.expect",
            path.extension().and_then(|e| e.to_str()).unwrap_or("")
        ));
        if bless {
            std::fs::write(&expect_path, &got).expect("write .expect");
            continue;
        }
        let want = std::fs::read_to_string(&expect_path)
            .unwrap_or_else(|_| panic!("{} is missing (run with BLESS=1)", expect_path.display()));
        if got != want {
            failures.push(format!(
                "{}:\n--- want\n{want}--- got\n{got}",
                path.display()
            ));
        }
        assert!(
            !got.is_empty(),
            "{}: a broken-definition case must report something",
            path.display()
        );
    }
    assert!(
        failures.is_empty(),
        "{} case(s) differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every rule is exercised by at least one case file (or, for the few that need generated
/// input, by a named unit test).
#[test]
fn every_rule_has_a_case() {
    // definition-too-large: apigate-core load::tests::definitions_over_six_megabytes_are_refused.
    let tested_elsewhere = ["definition-too-large"];
    let mut seen = BTreeSet::new();
    let rendered = case_files()
        .iter()
        .map(|p| render(p))
        .chain(config_case_files().iter().map(|p| render_config(p)))
        .collect::<Vec<_>>();
    for text in rendered {
        for line in text.lines() {
            if let Some(rule) = line.split('[').nth(1).and_then(|r| r.split(']').next()) {
                seen.insert(rule.to_string());
            }
        }
    }
    let missing: Vec<&str> = rules::ALL
        .iter()
        .map(|r| r.id)
        .filter(|id| !seen.contains(*id) && !tested_elsewhere.contains(id))
        .collect();
    assert!(
        missing.is_empty(),
        "rules without a case under tests/validate: {missing:?}"
    );
}
