//! The deployment config file (`--config FILE`): read and loaded by `apigate_core::config`,
//! checked against the definition it deploys, its diagnostics printed as `validate` prints a
//! definition's. `validate --config`, `serve` and `test-invoke` all come through here, so
//! the file reads, fails and reports the same way whichever command is run.

use std::path::Path;

use apigate_core::config::{self, DeploymentConfig, LoadedConfig};
use apigate_core::{Api, Diagnostic, LoadOptions};
use apigate_runtime::access_log::AccessLogFormat;
use apigate_runtime::lifecycle::Settings;

use crate::definition::{self, read, write_text};
use crate::gateway_setup::{self, fail, BackendArgs, Failure};

/// The definition and its `--config` file, both loaded for a command that runs the API
/// (`serve`, `test-invoke`), and the gateway settings they make.
#[derive(Debug)]
pub struct Deployed {
    pub api: Api,
    /// The definition's warnings.
    pub warnings: usize,
    pub config: DeploymentConfig,
    pub settings: Settings,
}

/// Loads `file` and `backend.config` as [`load_for`] does; errors stop the command.
pub fn load_deployed(
    file: &Path,
    backend: &BackendArgs,
    options: &LoadOptions,
) -> Result<Deployed, Failure> {
    let (api, warnings) = definition::load_api(file, options)?;
    let api_name = file.display().to_string();
    let config = load_for(
        backend.config.as_deref(),
        &api,
        &api_name,
        backend.stage.as_deref(),
    )?;
    let settings = gateway_setup::settings(&api, &config, backend, options);
    Ok(Deployed {
        api,
        warnings,
        config,
        settings,
    })
}

/// A config file read and loaded.
#[derive(Debug)]
pub struct Deployment {
    /// The file as the user named it (the `FILE` of its diagnostic lines).
    pub name: String,
    pub loaded: LoadedConfig,
}

/// Reads and loads `path`. The error (unreadable, not UTF-8) is worded for the user.
pub fn load(path: &Path) -> Result<Deployment, String> {
    let text = read(path)?;
    let name = path.display().to_string();
    let loaded = config::load(&name, &text);
    Ok(Deployment { name, loaded })
}

/// The diagnostics of the file together with those of its check against `api`, sorted.
pub fn diagnostics(
    deployment: &Deployment,
    api: Option<(&Api, &str)>,
    stage_override: Option<&str>,
) -> Vec<Diagnostic> {
    let mut all: Vec<Diagnostic> = deployment.loaded.diagnostics.iter().cloned().collect();
    if let Some(config) = &deployment.loaded.config {
        all.extend(AccessLogFormat::check_config(config));
    }
    if let (Some(config), Some((api, api_name))) = (&deployment.loaded.config, api) {
        let stage = served_stage(stage_override, config, api);
        all.extend(config::check_against(config, api, api_name, stage.as_deref()).into_vec());
    }
    all.sort_by(|a, b| (a.pos, a.rule, &a.pointer).cmp(&(b.pos, b.rule, &b.pointer)));
    all
}

/// The stage served: `--stage`, else the file's `StageName`, else the definition's basePath.
pub fn served_stage(
    stage_override: Option<&str>,
    config: &DeploymentConfig,
    api: &Api,
) -> Option<String> {
    stage_override
        .map(str::to_string)
        .or_else(|| config.stage.name.clone())
        .or_else(|| api.stage.clone())
}

/// Loads `path` for a command that runs the API (`serve`, `test-invoke`): every diagnostic
/// goes to stderr as `validate` prints it; errors stop the command (exit 1), an unreadable
/// file too (exit 2). Without a file, nothing is configured.
pub fn load_for(
    path: Option<&Path>,
    api: &Api,
    api_name: &str,
    stage_override: Option<&str>,
) -> Result<DeploymentConfig, Failure> {
    let Some(path) = path else {
        return Ok(DeploymentConfig::default());
    };
    let deployment = load(path).map_err(|msg| fail(2, msg))?;
    let diagnostics = diagnostics(&deployment, Some((api, api_name)), stage_override);
    write_text(
        &mut std::io::stderr().lock(),
        &deployment.name,
        &diagnostics,
    );
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity == apigate_core::Severity::Error)
        .count();
    match deployment.loaded.config {
        Some(config) if errors == 0 => Ok(config),
        _ => Err(fail(
            1,
            format!(
                "{name} has {errors} error(s); fix them first (apigate validate --config {name} {api_name})",
                name = deployment.name
            ),
        )),
    }
}
