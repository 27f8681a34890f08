//! Data-driven `validate` cases: every `tests/validate/NAME.{yaml,json}` is loaded and its
//! diagnostics — severity, rule id, line:col and JSON pointer — must equal `NAME.expect`,
//! one per line. Adding a case is adding two files; `BLESS=1 cargo test --test validate_cases`
//! writes the `.expect` files for review.

#![allow(clippy::expect_used)]
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use apigate_core::{load, rules, LoadOptions};

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/validate")
}

fn case_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(cases_dir())
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
    let mut out = String::new();
    for d in loaded.diagnostics.iter() {
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
    assert_eq!(
        loaded.api.is_some(),
        !loaded.diagnostics.has_errors(),
        "{name}: an Api must exist exactly when there are no errors"
    );
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
    for path in &files {
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
    for path in case_files() {
        for line in render(&path).lines() {
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
