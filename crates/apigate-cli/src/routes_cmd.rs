//! `apigate routes`: the route table of one definition.

use std::path::Path;
use std::process::ExitCode;

use apigate_core::model::{Api, Target};
use apigate_core::uri::AwsAction;
use apigate_core::{LoadOptions, Method};

use crate::definition;
use crate::gateway_setup::Failure;
use crate::Format;

pub fn routes(path: &Path, format: Format, options: &LoadOptions) -> ExitCode {
    let api = match definition::load_api(path, options) {
        Ok((api, _)) => api,
        Err(Failure { message, code }) => {
            eprintln!("error: {message}");
            return ExitCode::from(code);
        }
    };
    let rows: Vec<Row> = api.methods().map(|m| Row::new(&api, m)).collect();
    match format {
        Format::Json => {
            let v: Vec<serde_json::Value> = rows
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "stage": r.stage, "method": r.method, "path": r.path,
                        "integration": r.integration, "target": r.target, "authorization": r.auth,
                    })
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        }
        Format::Text | Format::Github => print_table(&rows),
    }
    ExitCode::SUCCESS
}

struct Row {
    stage: String,
    method: String,
    path: String,
    integration: String,
    target: String,
    auth: String,
}

impl Row {
    fn new(api: &Api, m: &Method) -> Row {
        let i = &m.integration;
        let verb = i.http_method.map(|v| v.as_str()).unwrap_or("");
        let target = match &i.target {
            Target::Mock => "-".to_string(),
            Target::Http(u) => format!(
                "{verb} {}://{}{}",
                if u.https { "https" } else { "http" },
                u.authority.source(),
                u.path_and_query.source()
            ),
            Target::Aws(u) => {
                let sub = u
                    .subdomain
                    .as_ref()
                    .map(|s| format!("{}.", s.source()))
                    .unwrap_or_default();
                match &u.action {
                    AwsAction::Path(p) => {
                        format!("{verb} {sub}{}:{} {}", u.service, u.region, p.source())
                    }
                    AwsAction::Action { name, .. } => {
                        format!("{verb} {sub}{}:{} action {name}", u.service, u.region)
                    }
                }
            }
        };
        let mut auth = m.authorization.as_str().to_string();
        if m.api_key_required {
            auth.push_str("+API_KEY");
        }
        Row {
            stage: api.stage.clone().unwrap_or_else(|| "-".into()),
            method: m.verb.as_str().to_string(),
            path: m.resource_path.clone(),
            integration: i.kind.as_str().to_string(),
            target,
            auth,
        }
    }
}

fn print_table(rows: &[Row]) {
    let header = Row {
        stage: "STAGE".into(),
        method: "METHOD".into(),
        path: "PATH".into(),
        integration: "INTEGRATION".into(),
        target: "TARGET".into(),
        auth: "AUTH".into(),
    };
    let all: Vec<&Row> = std::iter::once(&header).chain(rows).collect();
    let w = |f: fn(&Row) -> &str| all.iter().map(|r| f(r).chars().count()).max().unwrap_or(0);
    let (ws, wm, wp, wi, wa) = (
        w(|r| &r.stage),
        w(|r| &r.method),
        w(|r| &r.path),
        w(|r| &r.integration),
        w(|r| &r.auth),
    );
    for r in all {
        println!(
            "{:<ws$}  {:<wm$}  {:<wp$}  {:<wi$}  {:<wa$}  {}",
            r.stage, r.method, r.path, r.integration, r.auth, r.target
        );
    }
}
