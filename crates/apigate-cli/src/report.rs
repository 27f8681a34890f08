//! `apigate validate`: load each file (and `--config`'s deployment config file, checked
//! alone and against each definition) and print its diagnostics as text, JSON or GitHub
//! annotations.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use apigate_core::{Diagnostic, LoadOptions, Severity};

use crate::Format;
use crate::{definition, deployment};

/// One file's outcome.
struct FileReport {
    file: String,
    diagnostics: Vec<Diagnostic>,
}

pub fn validate(
    files: &[PathBuf],
    config: Option<&Path>,
    format: Format,
    deny_warnings: bool,
    options: &LoadOptions,
) -> ExitCode {
    let mut reports = Vec::new();
    let mut unreadable = false;
    let mut definitions = Vec::new();
    for path in files {
        match definition::load(path, options) {
            Ok(d) => definitions.push(d),
            Err(msg) => {
                eprintln!("error: {msg}");
                unreadable = true;
            }
        }
    }
    if let Some(path) = config {
        match deployment::load(path) {
            Ok(c) if c.loaded.config.as_ref().is_some_and(|c| !c.apis.is_empty()) => {
                // With `Apis`: its definitions, each API's part checked against its own.
                let config = c.loaded.config.clone().unwrap_or_default();
                let mut named = Vec::new();
                for a in deployment::api_definitions(&config, path, options) {
                    match a.definition {
                        Ok(d) => named.push((a.name, d)),
                        Err(msg) => {
                            eprintln!("error: {msg}");
                            unreadable = true;
                        }
                    }
                }
                let apis: Vec<(&str, &apigate_core::Api, &str)> = named
                    .iter()
                    .filter_map(|(n, d)| {
                        Some((n.as_str(), d.loaded.api.as_ref()?, d.name.as_str()))
                    })
                    .collect();
                let diagnostics = deployment::set_diagnostics(&c, &apis);
                reports.push(FileReport {
                    file: c.name,
                    diagnostics,
                });
                definitions.extend(named.into_iter().map(|(_, d)| d));
            }
            Ok(c) => {
                // The file alone, then against each definition that loaded.
                let mut diagnostics = deployment::diagnostics(&c, None, None);
                for d in &definitions {
                    if let Some(api) = &d.loaded.api {
                        for x in deployment::diagnostics(&c, Some((api, &d.name)), None) {
                            if !diagnostics.contains(&x) {
                                diagnostics.push(x);
                            }
                        }
                    }
                }
                diagnostics.sort_by(|a, b| (a.pos, a.rule).cmp(&(b.pos, b.rule)));
                reports.push(FileReport {
                    file: c.name,
                    diagnostics,
                });
            }
            Err(msg) => {
                eprintln!("error: {msg}");
                unreadable = true;
            }
        }
    }
    for d in definitions {
        reports.push(FileReport {
            file: d.name,
            diagnostics: d.loaded.diagnostics.into_vec(),
        });
    }
    let errors: usize = reports
        .iter()
        .map(|r| {
            r.diagnostics
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .count()
        })
        .sum();
    let warnings: usize = reports
        .iter()
        .map(|r| {
            r.diagnostics
                .iter()
                .filter(|d| d.severity == Severity::Warning)
                .count()
        })
        .sum();
    match format {
        Format::Text => print_text(&reports, errors, warnings),
        Format::Json => print_json(&reports, errors, warnings),
        Format::Github => print_github(&reports),
    }
    if unreadable {
        ExitCode::from(2)
    } else if errors > 0 || (deny_warnings && warnings > 0) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn print_text(reports: &[FileReport], errors: usize, warnings: usize) {
    let mut out = std::io::stdout().lock();
    for r in reports {
        definition::write_text(&mut out, &r.file, &r.diagnostics);
    }
    drop(out);
    let files = reports.len();
    println!(
        "{files} file{} checked: {errors} error{}, {warnings} warning{}",
        plural(files),
        plural(errors),
        plural(warnings)
    );
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn print_json(reports: &[FileReport], errors: usize, warnings: usize) {
    let files: Vec<serde_json::Value> = reports
        .iter()
        .map(|r| {
            serde_json::json!({
                "file": r.file,
                "errors": r.diagnostics.iter().filter(|d| d.severity == Severity::Error).count(),
                "warnings": r.diagnostics.iter().filter(|d| d.severity == Severity::Warning).count(),
                "diagnostics": r.diagnostics.iter().map(diagnostic_json).collect::<Vec<_>>(),
            })
        })
        .collect();
    let out = serde_json::json!({ "files": files, "errors": errors, "warnings": warnings });
    println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
}

pub fn diagnostic_json(d: &Diagnostic) -> serde_json::Value {
    serde_json::json!({
        "severity": d.severity.as_str(),
        "rule": d.rule,
        "message": d.message,
        "pointer": d.pointer,
        "line": d.pos.line,
        "column": d.pos.col,
        "hint": d.hint,
    })
}

/// GitHub Actions workflow commands: `::error file=F,line=L,col=C,title=RULE::MESSAGE`.
fn print_github(reports: &[FileReport]) {
    for r in reports {
        for d in &r.diagnostics {
            let level = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            let mut message = format!(
                "{} (at {})",
                d.message,
                if d.pointer.is_empty() {
                    "/"
                } else {
                    &d.pointer
                }
            );
            if let Some(h) = &d.hint {
                message.push_str("\nhint: ");
                message.push_str(h);
            }
            println!(
                "::{level} file={},line={},col={},title={}::{}",
                escape_property(&r.file),
                d.pos.line,
                d.pos.col,
                escape_property(d.rule),
                escape_data(&message)
            );
        }
    }
}

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}
