//! The `apigate` binary end to end: `validate` formats and exit codes, `routes`, `rules`,
//! and AWS's published sample definitions.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn apigate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_apigate"))
        .args(args)
        .current_dir(repo())
        .output()
        .expect("run apigate")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

/// AWS's sample definitions live beside the repository (`../shared/aws-samples`, or
/// `APIGATE_AWS_SAMPLES`). Missing, the test fails: it checks apigate against them.
fn aws_samples() -> Vec<PathBuf> {
    let dir = std::env::var_os("APIGATE_AWS_SAMPLES")
        .map_or_else(|| repo().join("../shared/aws-samples"), PathBuf::from);
    let rd = std::fs::read_dir(&dir);
    assert!(
        rd.is_ok(),
        "{}: {rd:?}; the tests need AWS's samples beside the repository (or APIGATE_AWS_SAMPLES=DIR)",
        dir.display()
    );
    let rd = rd.unwrap();
    let mut v: Vec<PathBuf> = rd
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    v.sort();
    v
}

#[test]
fn our_definitions_validate_cleanly() {
    let mut files: Vec<String> = std::fs::read_dir(repo().join("openapi"))
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .collect();
    files.sort();
    assert!(!files.is_empty());
    let mut args = vec!["validate", "--deny-warnings"];
    args.extend(files.iter().map(String::as_str));
    let o = apigate(&args);
    assert!(o.status.success(), "{}", stdout(&o));
    assert!(
        stdout(&o).ends_with(&format!(
            "{} files checked: 0 errors, 0 warnings\n",
            files.len()
        )) || files.len() == 1
    );
}

#[test]
fn every_aws_sample_validates_without_errors() {
    let samples = aws_samples();
    assert!(samples.len() >= 16, "found {} samples", samples.len());
    for s in &samples {
        let o = apigate(&["validate", "--format", "json", s.to_str().unwrap()]);
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["errors"], 0, "{}: {}", s.display(), stdout(&o));
        assert!(o.status.success(), "{}", s.display());
        // Warnings are only about what cannot run locally (yet) or what AWS ignores.
        for d in v["files"][0]["diagnostics"].as_array().unwrap() {
            let rule = d["rule"].as_str().unwrap();
            assert!(
                [
                    "integration-not-local",
                    "cognito-jwks-required",
                    "security-scheme-unsupported",
                    "security-scheme-undefined",
                    "response-status-undeclared",
                ]
                .contains(&rule),
                "{}: unexpected warning {d}",
                s.display()
            );
        }
    }
}

#[test]
fn routes_lists_every_method_of_every_sample() {
    let samples = aws_samples();
    for s in &samples {
        let text = std::fs::read_to_string(s).unwrap();
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        let mut want = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for verb in item.as_object().unwrap().keys() {
                let v = if verb == "x-amazon-apigateway-any-method" {
                    "ANY".to_string()
                } else {
                    verb.to_uppercase()
                };
                if [
                    "GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS", "ANY",
                ]
                .contains(&v.as_str())
                {
                    want.push(format!("{v} {path}"));
                }
            }
        }
        let o = apigate(&["routes", "--format", "json", s.to_str().unwrap()]);
        assert!(
            o.status.success(),
            "{}: {}",
            s.display(),
            String::from_utf8_lossy(&o.stderr)
        );
        let rows: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).unwrap();
        let mut got: Vec<String> = rows
            .iter()
            .map(|r| {
                format!(
                    "{} {}",
                    r["method"].as_str().unwrap(),
                    r["path"].as_str().unwrap()
                )
            })
            .collect();
        want.sort();
        got.sort();
        assert_eq!(got, want, "{}", s.display());
    }
}

#[test]
fn routes_of_mys3_show_stage_targets_and_iam() {
    let o = apigate(&["routes", "openapi/mys3.yaml", "--region", "eu-west-1"]);
    assert!(o.status.success());
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 9, "{out}");
    assert!(lines[0].starts_with("STAGE"));
    let row = lines.iter().find(|l| l.contains(" HEAD ")).unwrap();
    let cols: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(
        cols,
        [
            "S3",
            "HEAD",
            "/{folder}/{item}",
            "aws",
            "AWS_IAM",
            "HEAD",
            "s3:eu-west-1",
            "/{bucket}/{object}"
        ]
    );
    let root = lines.iter().find(|l| l.contains(" / ")).unwrap();
    assert!(root.contains("GET s3:eu-west-1 /"), "{root}");
}

#[test]
fn text_format_names_file_line_column_rule_and_pointer() {
    let o = apigate(&["validate", "tests/validate/timeout-out-of-range.yaml"]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    let first = out.lines().next().unwrap();
    assert!(
        first.starts_with("tests/validate/timeout-out-of-range.yaml:")
            && first.contains(": error[timeout-out-of-range]: timeoutInMillis 30000 is outside 50..29000 (at /paths/~1items~1{id}/get/x-amazon-apigateway-integration/timeoutInMillis)"),
        "{first}"
    );
    assert!(out.contains("\n  hint: "));
    assert!(
        out.ends_with("1 file checked: 1 error, 0 warnings\n"),
        "{out}"
    );
}

#[test]
fn json_format_carries_every_field() {
    let o = apigate(&[
        "validate",
        "--format",
        "json",
        "tests/validate/mapping-param-undeclared.json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let d = &v["files"][0]["diagnostics"][0];
    assert_eq!(d["rule"], "mapping-param-undeclared");
    assert_eq!(d["severity"], "error");
    assert!(d["line"].as_u64().unwrap() > 1 && d["column"].as_u64().unwrap() > 1);
    assert_eq!(d["pointer"], "/paths/~1items~1{id}/get/x-amazon-apigateway-integration/requestParameters/integration.request.path.bucket");
    assert!(d["message"]
        .as_str()
        .unwrap()
        .contains("method.request.path.folder"));
    assert!(d["hint"].as_str().unwrap().contains("name: folder"));
    assert_eq!(v["errors"], 1);
}

#[test]
fn github_format_prints_workflow_annotations() {
    let o = apigate(&[
        "validate",
        "--format",
        "github",
        "tests/validate/extension-http-api-only.yaml",
        "tests/validate/arn-malformed.json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[0].starts_with("::warning file=tests/validate/extension-http-api-only.yaml,line="),
        "{}",
        lines[0]
    );
    assert!(lines[0].contains(",title=extension-http-api-only::"));
    assert!(lines[1].starts_with("::error file=tests/validate/arn-malformed.json,line="));
    // Newlines and `%` are escaped so each annotation stays on one line.
    assert!(lines[1].contains("%0Ahint: "));
}

#[test]
fn exit_codes() {
    // Warnings only: 0, or 1 with --deny-warnings.
    assert_eq!(
        apigate(&["validate", "tests/validate/duplicate-key.yaml"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        apigate(&[
            "validate",
            "--deny-warnings",
            "tests/validate/duplicate-key.yaml"
        ])
        .status
        .code(),
        Some(1)
    );
    // An unreadable file: 2, even next to a good one.
    let o = apigate(&["validate", "openapi/mys3.yaml", "no/such/file.yaml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no/such/file.yaml: cannot read"));
    // Usage errors: 2.
    assert_eq!(apigate(&["validate"]).status.code(), Some(2));
    assert_eq!(
        apigate(&["validate", "--format", "xml", "openapi/mys3.yaml"])
            .status
            .code(),
        Some(2)
    );
    // routes on a broken file: 1, with the errors on stderr.
    let o = apigate(&["routes", "tests/validate/greedy-not-last.yaml"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("error[greedy-not-last]"));
}

#[test]
fn rules_markdown_matches_docs() {
    let o = apigate(&["rules", "--markdown"]);
    let docs = std::fs::read_to_string(repo().join("docs/RULES.md")).unwrap();
    assert_eq!(
        stdout(&o),
        docs,
        "docs/RULES.md is stale: run `apigate rules --markdown > docs/RULES.md`"
    );
}

/// `serve`, `test-invoke` and `routes` load a definition as `validate` does and print its
/// diagnostics exactly as `validate`'s text format (to stderr): a problem of the whole document
/// reads `(at the document root)`, hints follow their line, warnings print beside errors.
/// Then the command stops with 1; an unreadable file stops it with 2 and the same message.
#[test]
fn every_command_prints_diagnostics_as_validate_does() {
    for file in [
        "tests/validate/missing-field.json",
        "tests/validate/openapi-31.yaml",
        "tests/validate/request-validator-unknown.yaml",
        "tests/validate/arn-malformed.json",
    ] {
        let validate = apigate(&["validate", file]);
        assert_eq!(validate.status.code(), Some(1), "{file}");
        let out = stdout(&validate);
        let (diagnostics, summary) = out.trim_end().rsplit_once('\n').unwrap();
        assert!(summary.starts_with("1 file checked"), "{out}");
        assert!(
            diagnostics.contains("(at the document root)") || diagnostics.contains("\n  hint: "),
            "{file} shows a root-level diagnostic or a hint: {diagnostics}"
        );
        for command in [
            vec!["serve", file, "--listen", "127.0.0.1:0"],
            vec!["test-invoke", file, "GET", "/"],
            vec!["routes", file],
        ] {
            let o = apigate(&command);
            assert_eq!(o.status.code(), Some(1), "{command:?}");
            assert!(o.stdout.is_empty(), "{command:?}: nothing served or listed");
            let stderr = String::from_utf8(o.stderr).unwrap();
            assert!(
                stderr.starts_with(&format!("{diagnostics}\n")),
                "{command:?}\n--- validate\n{diagnostics}\n--- {}\n{stderr}",
                command[0]
            );
            let rest = &stderr[diagnostics.len() + 1..];
            assert_eq!(
                rest.lines().count(),
                1,
                "{command:?}: one line after the diagnostics: {rest}"
            );
            assert!(rest.contains(&format!("{file} has ")), "{rest}");
        }
    }
    for command in [
        vec!["serve", "no/such/file.yaml"],
        vec!["test-invoke", "no/such/file.yaml", "GET", "/"],
        vec!["routes", "no/such/file.yaml"],
    ] {
        let o = apigate(&command);
        assert_eq!(o.status.code(), Some(2), "{command:?}");
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("no/such/file.yaml: cannot read"),
            "{command:?}"
        );
    }
}
