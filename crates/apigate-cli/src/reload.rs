//! Hot reload for `apigate serve`: SIGHUP, and (unless `--no-watch`) a change to the
//! definition, the TLS certificate or its key, reload them.
//!
//! The directories holding those files are watched (`notify`), not the files: editors
//! replace files by renaming, and orchestrators swap symlinks (events on other files there,
//! an access log beside the definition, are ignored). A burst of events is
//! gathered for [`SETTLE`], then the files are read; only a file whose bytes changed is
//! loaded again (SIGHUP reloads everything and reopens the access log, for log rotation).
//!
//! A definition that loads without errors replaces the API for new requests ([`Live`]);
//! requests in flight finish on the old one, and no connection is touched. One with errors
//! (or unreadable) is refused: its diagnostics go to stderr as `validate` prints them, the
//! last good API keeps serving, and `apigate_reload_failures_total` counts it. A TLS file
//! that cannot be used leaves the certificate in force.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use apigate_core::LoadOptions;
use apigate_http_server::Tls;
use apigate_runtime::observe::Observer;
use apigate_runtime::server::Live;
use notify::Watcher as _;
use tokio::sync::mpsc;

use crate::definition::{self, write_text};

/// How long a burst of file events is gathered before the files are read.
pub const SETTLE: Duration = Duration::from_millis(150);

/// What a reload needs.
#[derive(Debug)]
pub struct Reloader {
    pub live: Live,
    pub file: PathBuf,
    pub options: LoadOptions,
    /// `--stage` (otherwise each definition's own).
    pub stage: Option<String>,
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
    tls: Option<(Vec<u8>, Vec<u8>)>,
}

impl Reloader {
    fn reload(&self, trigger: Trigger, state: &mut State) {
        let signalled = trigger == Trigger::Signal;
        if signalled {
            if let Some(log) = &self.observer.access_log {
                log.reopen();
            }
        }
        match definition::read_bytes(&self.file) {
            Err(e) => {
                // A file being replaced may be missing for a moment: a signal says so
                // (and counts), an event waits for the next one.
                if signalled || state.definition.is_some() {
                    eprintln!("apigate: reload: {e}; still serving the last good API");
                    self.failed();
                    state.definition = None;
                }
            }
            Ok(bytes) => {
                if signalled || state.definition.as_deref() != Some(&bytes[..]) {
                    state.definition = Some(bytes.clone());
                    self.load(bytes);
                }
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

    /// Loads the definition's `bytes`; swaps the API when it has no errors.
    fn load(&self, bytes: Vec<u8>) {
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
        match loaded.loaded.api {
            Some(api) if errors == 0 => {
                let methods = api.routes.method_count();
                let stage = self.stage.clone().or_else(|| api.stage.clone());
                let next = self
                    .live
                    .current()
                    .reloaded(api, stage, Some(&self.observer));
                self.live.replace(next);
                if let Some(m) = &self.observer.metrics {
                    m.reloads.inc();
                }
                eprintln!(
                    "apigate: reloaded {}: {methods} methods, {warnings} warning(s)",
                    loaded.name
                );
            }
            _ => {
                eprintln!(
                    "apigate: reload of {} refused: {errors} error(s); still serving the last good API",
                    loaded.name
                );
                self.failed();
            }
        }
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

/// Watches the directories of the definition and the TLS files.
fn watch_files(
    reloader: &Reloader,
    tx: mpsc::UnboundedSender<Trigger>,
) -> Result<notify::RecommendedWatcher, String> {
    let mut names: Vec<std::ffi::OsString> = vec![file_name(&reloader.file)];
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
