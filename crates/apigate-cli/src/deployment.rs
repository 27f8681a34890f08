//! The deployment config file (`--config FILE`): read and loaded by `apigate_core::config`,
//! checked against the definition it deploys, its diagnostics printed as `validate` prints a
//! definition's. `validate --config`, `serve` and `test-invoke` all come through here, so
//! the file reads, fails and reports the same way whichever command is run.

use std::path::{Path, PathBuf};

use apigate_core::config::{self, DeploymentConfig, LoadedConfig};
use apigate_core::{Api, Diagnostic, LoadOptions};
use apigate_runtime::access_log::AccessLogFormat;
use apigate_runtime::lifecycle::Settings;

use crate::definition::{self, read, write_text, Definition};
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

/// One API of `Apis`: its name, its definition file (as named, relative to the config
/// file's directory) and that file loaded (or why it could not be read).
#[derive(Debug)]
pub struct ApiDefinition {
    pub name: String,
    pub path: PathBuf,
    pub definition: Result<Definition, String>,
}

/// With `Apis`: each API's definition file, relative to `config_path`'s directory.
pub fn api_definition_paths(config: &DeploymentConfig, config_path: &Path) -> Vec<PathBuf> {
    let dir = config_path.parent().unwrap_or_else(|| Path::new(""));
    config
        .apis
        .iter()
        .map(|a| dir.join(&a.definition))
        .collect()
}

/// With `Apis`: each API's definition, loaded (paths relative to `config_path`'s directory).
pub fn api_definitions(
    config: &DeploymentConfig,
    config_path: &Path,
    options: &LoadOptions,
) -> Vec<ApiDefinition> {
    config
        .apis
        .iter()
        .zip(api_definition_paths(config, config_path))
        .map(|(a, path)| ApiDefinition {
            name: a.name.clone(),
            definition: definition::load(&path, options),
            path,
        })
        .collect()
}

/// With `Apis`: the file's diagnostics, and each API's part of it checked against its
/// definition (`apis`: name, API, the definition's file name), sorted, without repeats.
pub fn set_diagnostics(deployment: &Deployment, apis: &[(&str, &Api, &str)]) -> Vec<Diagnostic> {
    let mut all: Vec<Diagnostic> = deployment.loaded.diagnostics.iter().cloned().collect();
    if let Some(config) = &deployment.loaded.config {
        for (name, api, file) in apis {
            let view = config.for_api(name);
            let found = AccessLogFormat::check_config(&view).into_iter().chain(
                config::check_against(&view, api, file, view.stage.name.as_deref()).into_vec(),
            );
            for d in found {
                if !all.contains(&d) {
                    all.push(d);
                }
            }
        }
    }
    all.sort_by(|a, b| (a.pos, a.rule, &a.pointer).cmp(&(b.pos, b.rule, &b.pointer)));
    all
}

/// One API served with `Apis`, loaded.
#[derive(Debug)]
pub struct ServedApi {
    pub name: String,
    pub path: PathBuf,
    pub api: Api,
    pub warnings: usize,
    /// The config as this API sees it ([`DeploymentConfig::for_api`]).
    pub config: DeploymentConfig,
}

/// Every API of `Apis` loaded, and the whole config file.
pub type LoadedSet = (Vec<ServedApi>, DeploymentConfig);

/// The whole set of `Apis` loaded: every definition and the config checked; the diagnostics
/// printed as `validate` prints them. `Err`: the diagnostics' error count (or why a file
/// could not be read), worded for the user.
pub fn load_set(
    deployment: Deployment,
    config_path: &Path,
    options: &LoadOptions,
) -> Result<LoadedSet, (u8, String)> {
    let Some(config) = deployment.loaded.config.clone() else {
        let errors = deployment.loaded.diagnostics.error_count();
        write_text(
            &mut std::io::stderr().lock(),
            &deployment.name,
            deployment.loaded.diagnostics.iter(),
        );
        return Err((1, format!("{} has {errors} error(s)", deployment.name)));
    };
    let mut loaded = Vec::new();
    let mut errors = 0;
    for a in api_definitions(&config, config_path, options) {
        let d = a.definition.map_err(|e| (2, e))?;
        write_text(
            &mut std::io::stderr().lock(),
            &d.name,
            d.loaded.diagnostics.iter(),
        );
        errors += d.loaded.diagnostics.error_count();
        let warnings = d.loaded.diagnostics.warning_count();
        if let Some(api) = d.loaded.api {
            loaded.push((a.name, a.path, d.name, api, warnings));
        }
    }
    let refs: Vec<(&str, &Api, &str)> = loaded
        .iter()
        .map(|(name, _, file, api, _)| (name.as_str(), api, file.as_str()))
        .collect();
    let diagnostics = set_diagnostics(&deployment, &refs);
    write_text(
        &mut std::io::stderr().lock(),
        &deployment.name,
        &diagnostics,
    );
    errors += diagnostics
        .iter()
        .filter(|d| d.severity == apigate_core::Severity::Error)
        .count();
    if errors > 0 {
        return Err((
            1,
            format!(
                "{name} and its APIs have {errors} error(s); fix them first (apigate validate --config {name})",
                name = deployment.name
            ),
        ));
    }
    let apis = loaded
        .into_iter()
        .map(|(name, path, _, api, warnings)| ServedApi {
            config: config.for_api(&name),
            name,
            path,
            api,
            warnings,
        })
        .collect();
    Ok((apis, config))
}
