//! Why the embedded store could not start.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;

/// A failure to start the embedded store. Each variant names what was being done and
/// where, so the message alone tells an operator what to fix.
#[derive(Debug)]
pub enum StoreError {
    /// The data directory (or one of its parents) could not be created.
    CreateDataDir { path: PathBuf, source: io::Error },
    /// The data directory exists but the store could not lay out or clean its
    /// working directories inside it.
    PrepareDataDir { path: PathBuf, source: io::Error },
    /// The configuration is unusable (e.g. an empty access key or region).
    InvalidConfig(String),
    /// The listen address could not be bound.
    Bind { addr: SocketAddr, source: io::Error },
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::CreateDataDir { path, source } => write!(
                f,
                "cannot create data directory {}: {}",
                path.display(),
                describe_io_error(source)
            ),
            Self::PrepareDataDir { path, source } => write!(
                f,
                "cannot prepare data directory {}: {}",
                path.display(),
                describe_io_error(source)
            ),
            Self::InvalidConfig(reason) => {
                write!(f, "invalid embedded S3 store configuration: {reason}")
            }
            Self::Bind { addr, source } => {
                write!(f, "cannot listen on {addr}: {}", describe_io_error(source))
            }
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::CreateDataDir { source, .. }
            | Self::PrepareDataDir { source, .. }
            | Self::Bind { source, .. } => Some(source),
            Self::InvalidConfig(_) => None,
        }
    }
}

/// A short lower-case description of an I/O error ("permission denied",
/// "address in use"), falling back to the OS message when the kind is not specific.
pub(crate) fn describe_io_error(err: &io::Error) -> String {
    let kind = err.kind();
    let described = kind.to_string();
    // `Other` and the (unnameable) uncategorised kind say nothing: use the OS text.
    if kind == io::ErrorKind::Other || described.starts_with("uncategorized") {
        err.to_string()
    } else {
        described
    }
}
