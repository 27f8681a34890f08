//! Data-driven serve cases: every `tests/serve/cases/NAME.yaml` (at the repository's root)
//! holds a definition (inline, or the name of a file under `tests/serve/`), the gateway's
//! settings, and requests with the responses expected — status, selected headers (a value, a
//! list of values, or `null` for absent), and the body exactly (`body`) or as JSON (`json`).
//! Each runs in-process through the harness (`tests/support`); a case that needs a backend
//! sets `echo: true` and reaches the echo server at `${stageVariables.backend}`, or
//! `store: true` for the embedded S3 store; `config` is the deployment config file (API
//! keys, usage plans, throttling). Adding a case is adding a file; the format is
//! `tests/serve/cases/README.md`.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod support;

#[path = "../../../tests/support/echo.rs"]
mod echo;

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use support::{InProcess, Reply, Setup};

/// One case file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    /// A file under `tests/serve/` (a string) or the definition itself (a mapping).
    definition: serde_json::Value,
    #[serde(default)]
    stage: Option<String>,
    #[serde(default)]
    stage_variables: BTreeMap<String, String>,
    /// Start the echo backend; its `127.0.0.1:PORT` is stage variable `backend`.
    #[serde(default)]
    echo: bool,
    /// S3 integrations go to the embedded store.
    #[serde(default)]
    store: bool,
    /// `--config`: the deployment config file itself (a mapping).
    #[serde(default)]
    config: Option<serde_json::Value>,
    requests: Vec<Exchange>,
}

/// A request and the response expected.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Exchange {
    method: String,
    path: String,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    body: Option<String>,
    expect: Expect,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    status: u16,
    /// Header name → its value, its values in order, or `null` (absent).
    #[serde(default)]
    headers: BTreeMap<String, Option<OneOrMany>>,
    /// Headers that must be present, whatever their value.
    #[serde(default)]
    present: Vec<String>,
    /// The body, byte for byte.
    #[serde(default)]
    body: Option<String>,
    /// The body as JSON, compared as values.
    #[serde(default)]
    json: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

fn cases_dir() -> PathBuf {
    support::repo().join("tests/serve/cases")
}

fn case_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(cases_dir())
        .expect("tests/serve/cases exists")
        .map(|e| e.expect("readable dir entry").path())
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("yaml"))
        .collect();
    files.sort();
    files
}

/// Reads a case file with apigate-core's YAML reader (the one definitions go through).
fn read_case(path: &Path) -> Case {
    let text = std::fs::read_to_string(path).expect("case is UTF-8");
    let tree = apigate_core::source::parse(&text, apigate_core::source::Format::Yaml)
        .unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
    serde_json::from_value(tree.to_json())
        .unwrap_or_else(|e| panic!("{}: not a serve case: {e}", path.display()))
}

async fn start(name: &str, case: &Case) -> InProcess {
    let mut setup = match &case.definition {
        serde_json::Value::String(file) => Setup::file(&format!("tests/serve/{file}")),
        inline => Setup::text(&format!("{name}.json"), &inline.to_string()),
    };
    if let Some(stage) = &case.stage {
        setup = setup.stage(stage);
    }
    for (k, v) in &case.stage_variables {
        setup = setup.stage_variable(k, v);
    }
    if case.echo {
        setup = setup.stage_variable("backend", &echo::start_echo().await);
    }
    if case.store {
        setup = setup.with_store();
    }
    if let Some(config) = &case.config {
        setup = setup.config(&config.to_string());
    }
    setup.start().await
}

/// What differs between `reply` and `expect`, one line each.
fn differences(reply: &Reply, expect: &Expect) -> Vec<String> {
    let mut out = Vec::new();
    if reply.status.as_u16() != expect.status {
        out.push(format!("status {} (want {})", reply.status, expect.status));
    }
    for (name, want) in &expect.headers {
        let got = reply.header_values(name);
        let want: Vec<&str> = match want {
            None => Vec::new(),
            Some(OneOrMany::One(v)) => vec![v.as_str()],
            Some(OneOrMany::Many(vs)) => vs.iter().map(String::as_str).collect(),
        };
        if got != want {
            out.push(format!("header {name}: {got:?} (want {want:?})"));
        }
    }
    for name in &expect.present {
        if !reply.headers.contains_key(name.as_str()) {
            out.push(format!("header {name} is missing"));
        }
    }
    if let Some(body) = &expect.body {
        if reply.body != body.as_bytes() {
            out.push(format!(
                "body {:?} (want {body:?})",
                String::from_utf8_lossy(&reply.body)
            ));
        }
    }
    if let Some(json) = &expect.json {
        match serde_json::from_slice::<serde_json::Value>(&reply.body) {
            Ok(got) if &got == json => {}
            Ok(got) => out.push(format!("JSON body {got} (want {json})")),
            Err(e) => out.push(format!(
                "body is not JSON ({e}): {:?}",
                String::from_utf8_lossy(&reply.body)
            )),
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_case_answers_as_expected() {
    let files = case_files();
    assert!(
        files.len() >= 6,
        "expected at least 6 cases, found {}",
        files.len()
    );
    let mut failures = Vec::new();
    for path in &files {
        let name = path
            .file_stem()
            .and_then(|n| n.to_str())
            .expect("file name")
            .to_string();
        let case = read_case(path);
        assert!(!case.requests.is_empty(), "{name}: no requests");
        let gw = start(&name, &case).await;
        for (i, exchange) in case.requests.iter().enumerate() {
            let mut request = gw.request(&exchange.method, &exchange.path);
            for (k, v) in &exchange.headers {
                request = request.header(k, v);
            }
            if let Some(body) = &exchange.body {
                request = request.body(body.clone());
            }
            let reply = request.send().await;
            let problems = differences(&reply, &exchange.expect);
            if !problems.is_empty() {
                failures.push(format!(
                    "{name} request {} ({} {}):\n  {}",
                    i + 1,
                    exchange.method,
                    exchange.path,
                    problems.join("\n  ")
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} request(s) answered otherwise:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A case file with a misspelt field is refused, not silently half-run.
#[test]
fn case_files_are_read_strictly() {
    let text = "definition: features.yaml\nrequests:\n  - method: GET\n    path: /\n    expect: {status: 200, bodee: x}\n";
    let tree = apigate_core::source::parse(text, apigate_core::source::Format::Yaml).unwrap();
    let err = serde_json::from_value::<Case>(tree.to_json()).unwrap_err();
    assert!(err.to_string().contains("bodee"), "{err}");
}
