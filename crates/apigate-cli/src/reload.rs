//! Hot reload for `apigate serve`: SIGHUP, and (unless `--no-watch`) a change to the
//! definition, the `--config` file, the TLS certificate or its key, reload them.
//!
//! The directories holding those files are watched (`notify`), not the files: editors
//! replace files by renaming, and orchestrators swap symlinks (events on other files there,
//! an access log beside the definition, are ignored). A burst of events is
//! gathered for [`SETTLE`], then the files are read; only a file whose bytes changed is
//! loaded again (SIGHUP reloads everything and reopens the access log, for log rotation).
//!
//! A change to either the definition or the config file loads both, and checks the config
//! against the definition as `validate --config` does. A set without errors replaces the
//! API, its stage, variables, access-log format, keys and limits at once for new requests
//! ([`Live`]; the counters of limits that keep their names carry on); requests in flight
//! finish on the old set, and no connection is touched. A set with errors (or a file that
//! cannot be read) is refused: the diagnostics go to stderr as `validate` prints them, the
//! last good set keeps serving, and `apigate_reload_failures_total` counts it. A TLS file
//! that cannot be used leaves the certificate in force.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use apigate_core::config::DeploymentConfig;
use apigate_core::{Api, LoadOptions, Severity};
use apigate_http_server::Tls;
use apigate_runtime::lifecycle::Redeployment;
use apigate_runtime::observe::Observer;
use apigate_runtime::server::Live;
use notify::Watcher as _;
use tokio::sync::mpsc;

use crate::definition::{self, write_text};
use crate::deployment::{self, Deployment};
use crate::gateway_setup::{self, Overrides};

/// How long a burst of file events is gathered before the files are read.
pub const SETTLE: Duration = Duration::from_millis(150);

/// What a reload needs.
#[derive(Debug)]
pub struct Reloader {
    pub live: Live,
    /// The definition; with `Apis`, the config file.
    pub file: PathBuf,
    pub options: LoadOptions,
    /// `--stage` (otherwise the config file's `StageName`, else each definition's own),
    /// `--stage-variable`, `--access-log-format`.
    pub overrides: Overrides,
    /// The `--config` file, reloaded with the definition (without `Apis`).
    pub config: Option<PathBuf>,
    /// With `Apis`: the definition files (watched with the config file, which says which
    /// they are: the set is loaded again whole).
    pub set: Option<Vec<PathBuf>>,
    pub observer: Arc<Observer>,
    pub tls: Option<Tls>,
}

/// Why a reload runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trigger {
    /// SIGHUP: everything, changed or not.
    Signal,
    /// A watched directory changed: what changed.
    Files,
}

/// Starts reloading on SIGHUP and, with `watch`, on file changes. The task runs until
/// aborted.
pub fn start(reloader: Reloader, watch: bool) -> Result<tokio::task::JoinHandle<()>, String> {
    let (tx, mut rx) = mpsc::unbounded_channel::<Trigger>();
    let watcher = if watch {
        Some(watch_files(&reloader, tx.clone())?)
    } else {
        None
    };
    spawn_sighup(tx);
    Ok(tokio::spawn(async move {
        let _watcher = watcher;
        // What is served now is what the files hold now.
        let mut state = State {
            definition: definition::read_bytes(&reloader.file).ok(),
            config: reloader
                .config
                .as_ref()
                .and_then(|c| definition::read_bytes(c).ok()),
            definitions: reloader
                .set
                .iter()
                .flatten()
                .filter_map(|p| Some((p.clone(), definition::read_bytes(p).ok()?)))
                .collect(),
            tls: reloader.tls.as_ref().and_then(tls_bytes),
        };
        while let Some(first) = rx.recv().await {
            let mut trigger = first;
            tokio::time::sleep(SETTLE).await;
            while let Ok(more) = rx.try_recv() {
                if more == Trigger::Signal {
                    trigger = Trigger::Signal;
                }
            }
            reloader.reload(trigger, &mut state);
        }
    }))
}

/// The bytes last loaded (or refused), to tell a change from a touch.
#[derive(Debug, Default)]
struct State {
    definition: Option<Vec<u8>>,
    config: Option<Vec<u8>>,
    /// With `Apis`: each definition's bytes.
    definitions: std::collections::HashMap<PathBuf, Vec<u8>>,
    tls: Option<(Vec<u8>, Vec<u8>)>,
}

/// What reading a watched file found.
#[derive(Debug, PartialEq, Eq)]
enum Read {
    Unchanged,
    Changed,
    /// It cannot be read (said, when it counts): nothing is loaded.
    Unreadable,
}

/// Reads `path` into `last` (the bytes last seen); `signalled`: a change or not, it counts.
fn read_into(path: &Path, last: &mut Option<Vec<u8>>, signalled: bool) -> Read {
    match definition::read_bytes(path) {
        Err(e) => {
            // A file being replaced may be missing for a moment: a signal says so (and
            // counts), an event waits for the next one.
            if signalled || last.is_some() {
                eprintln!("apigate: reload: {e}; still serving the last good API");
                *last = None;
                return Read::Unreadable;
            }
            Read::Unchanged
        }
        Ok(bytes) if signalled || last.as_deref() != Some(&bytes[..]) => {
            *last = Some(bytes);
            Read::Changed
        }
        Ok(_) => Read::Unchanged,
    }
}

impl Reloader {
    fn reload(&self, trigger: Trigger, state: &mut State) {
        let signalled = trigger == Trigger::Signal;
        if signalled {
            if let Some(log) = &self.observer.access_log {
                log.reopen();
            }
        }
        let definition = read_into(&self.file, &mut state.definition, signalled);
        let config = match &self.config {
            Some(c) => read_into(c, &mut state.config, signalled),
            None => Read::Unchanged,
        };
        if self.set.is_some() {
            if definition == Read::Unreadable {
                self.failed();
            } else {
                let defs = self.definitions_changed(&mut state.definitions);
                if definition == Read::Changed || defs {
                    self.load_set();
                }
            }
        } else if definition == Read::Unreadable || config == Read::Unreadable {
            self.failed();
        } else if definition == Read::Changed || config == Read::Changed {
            if let Some(bytes) = &state.definition {
                self.load(bytes.clone(), state.config.as_deref());
            }
        }
        if let Some(tls) = &self.tls {
            let now = tls_bytes(tls);
            if signalled || (now.is_some() && now != state.tls) {
                state.tls = now;
                match tls.reload() {
                    Ok(()) => eprintln!("apigate: TLS certificate and key reloaded"),
                    Err(e) => {
                        eprintln!("apigate: TLS reload failed: {e}; the certificate in force stays")
                    }
                }
            }
        }
    }

    /// Loads the definition's `bytes` (and the config file's `config`); swaps the set when
    /// neither has errors.
    fn load(&self, bytes: Vec<u8>, config: Option<&[u8]>) {
        let loaded = match definition::load_bytes(&self.file, bytes, &self.options) {
            Ok(d) => d,
            Err(e) => {
                eprintln!("apigate: reload: {e}; still serving the last good API");
                self.failed();
                return;
            }
        };
        write_text(
            &mut std::io::stderr().lock(),
            &loaded.name,
            loaded.loaded.diagnostics.iter(),
        );
        let errors = loaded.loaded.diagnostics.error_count();
        let warnings = loaded.loaded.diagnostics.warning_count();
        let api = match loaded.loaded.api {
            Some(api) if errors == 0 => api,
            _ => {
                eprintln!(
                    "apigate: reload of {} refused: {errors} error(s); still serving the last good API",
                    loaded.name
                );
                self.failed();
                return;
            }
        };
        let current = self.live.current();
        let deployment = match (&self.config, config) {
            (Some(file), Some(text)) => match self.config_for(file, text, &api, &loaded.name) {
                Some(config) => gateway_setup::redeployment(None, config, &api, &self.overrides),
                None => {
                    self.failed();
                    return;
                }
            },
            _ => {
                let config = current.limits.config().clone();
                let stage = self.overrides.stage.as_deref();
                Redeployment {
                    stage: deployment::served_stage(stage, &config, &api),
                    stage_variables: current.settings.stage_variables.clone(),
                    config,
                    access_log_format: current.observe.format().cloned(),
                    api_id: current.settings.api_id.clone(),
                    scope: String::new(),
                }
            }
        };
        let methods = api.routes.method_count();
        let next = current.redeployed(api, deployment, Some(&self.observer));
        // A key added without a `Value` got one now: printed once, as at start.
        for key in next.limits.usage.keys.iter().filter(|k| k.generated) {
            if !current.limits.usage.keys.iter().any(|k| k.name == key.name) {
                eprintln!("  API key {} (generated): {}", key.name, key.value);
            }
        }
        self.live.replace(next);
        if let Some(m) = &self.observer.metrics {
            m.reloads.inc();
        }
        let with = self
            .config
            .as_ref()
            .map(|c| format!(" with {}", c.display()))
            .unwrap_or_default();
        eprintln!(
            "apigate: reloaded {}{with}: {methods} methods, {warnings} warning(s)",
            loaded.name
        );
    }

    /// The config file's `text` loaded and checked against `api` (named `api_name`), its
    /// diagnostics printed; `None` when it has errors (said).
    fn config_for(
        &self,
        file: &Path,
        text: &[u8],
        api: &Api,
        api_name: &str,
    ) -> Option<DeploymentConfig> {
        let name = file.display().to_string();
        let Ok(text) = std::str::from_utf8(text) else {
            eprintln!("apigate: reload: {name} is not UTF-8; still serving the last good API");
            return None;
        };
        let loaded = apigate_core::config::load(&name, text);
        let found = Deployment { name, loaded };
        let stage = self.overrides.stage.as_deref();
        let diagnostics = deployment::diagnostics(&found, Some((api, api_name)), stage);
        write_text(&mut std::io::stderr().lock(), &found.name, &diagnostics);
        let errors = diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count();
        match found.loaded.config {
            Some(config) if errors == 0 => Some(config),
            _ => {
                eprintln!(
                    "apigate: reload of {} refused: {errors} error(s); still serving the last good API",
                    found.name
                );
                None
            }
        }
    }

    /// With `Apis`: whether a definition the config file names changed (each read into
    /// `last`).
    fn definitions_changed(&self, last: &mut std::collections::HashMap<PathBuf, Vec<u8>>) -> bool {
        let mut changed = false;
        let config = definition::read(&self.file)
            .ok()
            .map(|text| apigate_core::config::load(&self.file.display().to_string(), &text));
        let files = config
            .and_then(|c| c.config)
            .map(|c| deployment::api_definition_paths(&c, &self.file))
            .unwrap_or_default();
        for path in files {
            let now = definition::read_bytes(&path).ok();
            if now.as_ref() != last.get(&path) {
                changed = true;
                match now {
                    Some(bytes) => last.insert(path, bytes),
                    None => last.remove(&path),
                };
            }
        }
        changed
    }

    /// With `Apis`: the config file and every definition it names, loaded and checked
    /// together; swapped whole when nothing has errors.
    fn load_set(&self) {
        let found = match deployment::load(&self.file) {
            Ok(d) => d,
            Err(e) => {
                eprintln!("apigate: reload: {e}; still serving the last good set");
                self.failed();
                return;
            }
        };
        let name = found.name.clone();
        let (apis, config) = match deployment::load_set(found, &self.file, &self.options) {
            Ok(set) => set,
            Err((_, why)) => {
                eprintln!(
                    "apigate: reload of {name} refused: {why}; still serving the last good set"
                );
                self.failed();
                return;
            }
        };
        let count = apis.len();
        let methods: usize = apis.iter().map(|a| a.api.routes.method_count()).sum();
        let current = self.live.current();
        let mut gateways =
            gateway_setup::gateways_of(&current, apis, &self.overrides, &self.observer).into_iter();
        let Some(first) = gateways.next() else {
            return;
        };
        let next = gateway_setup::deployment_of(first, gateways.collect(), &config);
        self.live.replace_all(next);
        if let Some(m) = &self.observer.metrics {
            m.reloads.inc();
        }
        eprintln!("apigate: reloaded {name}: {count} APIs, {methods} methods");
    }

    fn failed(&self) {
        if let Some(m) = &self.observer.metrics {
            m.reload_failures.inc();
        }
    }
}

fn tls_bytes(tls: &Tls) -> Option<(Vec<u8>, Vec<u8>)> {
    let (cert, key) = tls.files();
    Some((std::fs::read(cert).ok()?, std::fs::read(key).ok()?))
}

/// Watches the directories of the definition, the config file and the TLS files.
fn watch_files(
    reloader: &Reloader,
    tx: mpsc::UnboundedSender<Trigger>,
) -> Result<notify::RecommendedWatcher, String> {
    let mut names: Vec<std::ffi::OsString> = vec![file_name(&reloader.file)];
    for other in reloader.config.iter().chain(reloader.set.iter().flatten()) {
        names.push(file_name(other));
    }
    if let Some(tls) = &reloader.tls {
        let (cert, key) = tls.files();
        names.push(file_name(cert));
        names.push(file_name(key));
    }
    let mut watcher =
        notify::recommended_watcher(move |event: notify::Result<notify::Event>| match event {
            Ok(e) if e.kind.is_access() => {}
            Ok(e) if concerns(&e.paths, &names) => {
                let _ = tx.send(Trigger::Files);
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "watching the definition"),
        })
        .map_err(|e| format!("cannot watch files (--no-watch turns watching off): {e}"))?;
    let mut dirs: Vec<PathBuf> = vec![directory(&reloader.file)];
    for other in reloader.config.iter().chain(reloader.set.iter().flatten()) {
        dirs.push(directory(other));
    }
    if let Some(tls) = &reloader.tls {
        let (cert, key) = tls.files();
        dirs.push(directory(cert));
        dirs.push(directory(key));
    }
    dirs.sort();
    dirs.dedup();
    for dir in dirs {
        watcher
            .watch(&dir, notify::RecursiveMode::NonRecursive)
            .map_err(|e| {
                format!(
                    "cannot watch {} (--no-watch turns watching off): {e}",
                    dir.display()
                )
            })?;
    }
    Ok(watcher)
}

fn file_name(path: &Path) -> std::ffi::OsString {
    path.file_name().map(ToOwned::to_owned).unwrap_or_default()
}

/// Whether an event on `paths` may have changed a watched file: one of them has a watched
/// file's name (written in place, or renamed onto it), or a name starting with `..` (the
/// `..data` symlink Kubernetes swaps under a mounted ConfigMap or Secret). Other files in the
/// directories (an access log beside the definition) are not read again for every write.
fn concerns(paths: &[PathBuf], names: &[std::ffi::OsString]) -> bool {
    paths.iter().any(|p| {
        p.file_name()
            .is_some_and(|n| names.iter().any(|w| w == n) || n.to_string_lossy().starts_with(".."))
    })
}

/// The directory holding `file` (`.` for a bare name).
fn directory(file: &Path) -> PathBuf {
    match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

#[cfg(unix)]
fn spawn_sighup(tx: mpsc::UnboundedSender<Trigger>) {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::hangup()) {
        Ok(mut hup) => {
            tokio::spawn(async move {
                while hup.recv().await.is_some() {
                    if tx.send(Trigger::Signal).is_err() {
                        break;
                    }
                }
            });
        }
        Err(e) => tracing::warn!(error = %e, "SIGHUP cannot reload (no handler)"),
    }
}

#[cfg(not(unix))]
fn spawn_sighup(_tx: mpsc::UnboundedSender<Trigger>) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_events_on_the_watched_files_count() {
        let names = vec![std::ffi::OsString::from("api.yaml")];
        let p = |s: &str| vec![PathBuf::from(s)];
        assert!(concerns(&p("/etc/apigate/api.yaml"), &names));
        assert!(concerns(&p("/etc/apigate/..data"), &names));
        assert!(concerns(
            &[
                PathBuf::from("/d/.api.yaml.swp"),
                PathBuf::from("/d/api.yaml")
            ],
            &names
        ));
        assert!(!concerns(&p("/etc/apigate/access.log"), &names));
        assert!(!concerns(&p("/etc/apigate/api.yaml.swp"), &names));
    }
}
