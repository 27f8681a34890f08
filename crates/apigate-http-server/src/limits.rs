//! How long a connection may take at each stage, and how many may be open at once.

use std::time::Duration;

/// The limits a [`crate::Server`] applies to every connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// How long a connection may take to send a request head: the first request of any
    /// connection (an HTTP/1 head or the h2c preface and first stream) counted from the
    /// accept, and a later HTTP/1 head counted from its first byte. A keep-alive connection
    /// that sends nothing between requests is idle, not slow (`idle_timeout`).
    pub header_read_timeout: Duration,
    /// How long a connection with no request in flight may stay silent (no byte either way)
    /// before it is closed.
    pub idle_timeout: Duration,
    /// How long a response write may make no progress (the client does not read) before the
    /// connection is closed.
    pub write_timeout: Duration,
    /// Connections served at once; at the limit the server stops accepting (new connections
    /// wait in the kernel's listen backlog) until one closes.
    pub max_connections: usize,
    /// How long in-flight requests get after shutdown is requested.
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    /// Head 30 s; idle 310 s (API Gateway's idle connection timeout); write 30 s;
    /// connections [`default_max_connections`]; shutdown grace 30 s.
    fn default() -> Limits {
        Limits {
            header_read_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(310),
            write_timeout: Duration::from_secs(30),
            max_connections: default_max_connections(),
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

/// Half the process's file-descriptor limit (the soft `RLIMIT_NOFILE`), at least 16: each
/// served connection may hold a second descriptor for its backend (an `http` integration's
/// connection, a file of the embedded store), and the rest covers listeners and logs. So a
/// flood of connections is turned away before `accept` runs out of descriptors and
/// established clients start failing. 512 where the limit cannot be read.
pub fn default_max_connections() -> usize {
    fd_limit().map_or(512, |n| {
        usize::try_from(n / 2).unwrap_or(usize::MAX).max(16)
    })
}

#[cfg(unix)]
fn fd_limit() -> Option<u64> {
    rustix::process::getrlimit(rustix::process::Resource::Nofile).current
}

#[cfg(not(unix))]
fn fd_limit() -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_connection_limit_is_half_the_descriptor_limit() {
        let limit = default_max_connections();
        assert!(limit >= 16);
        if let Some(fds) = fd_limit() {
            assert_eq!(limit as u64, (fds / 2).max(16));
        }
    }
}
