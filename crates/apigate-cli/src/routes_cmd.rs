//! `apigate routes`: the route table of one definition.

use std::path::Path;
use std::process::ExitCode;

use apigate_core::listing::{self, RouteRow as Row};
use apigate_core::LoadOptions;

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
    let rows = listing::rows(&api);
    match format {
        Format::Json => {
            println!(
                "{}",
                serde_json::to_string_pretty(&listing::to_json(&api)).unwrap_or_default()
            );
        }
        Format::Text | Format::Github => print_table(&rows),
    }
    ExitCode::SUCCESS
}

fn print_table(rows: &[Row]) {
    let header = Row {
        stage: "STAGE".into(),
        method: "METHOD".into(),
        path: "PATH".into(),
        integration: "INTEGRATION".into(),
        target: "TARGET".into(),
        authorization: "AUTH".into(),
    };
    let all: Vec<&Row> = std::iter::once(&header).chain(rows).collect();
    let w = |f: fn(&Row) -> &str| all.iter().map(|r| f(r).chars().count()).max().unwrap_or(0);
    let (ws, wm, wp, wi, wa) = (
        w(|r| &r.stage),
        w(|r| &r.method),
        w(|r| &r.path),
        w(|r| &r.integration),
        w(|r| &r.authorization),
    );
    for r in all {
        println!(
            "{:<ws$}  {:<wm$}  {:<wp$}  {:<wi$}  {:<wa$}  {}",
            r.stage, r.method, r.path, r.integration, r.authorization, r.target
        );
    }
}
