//! A throwaway `redis-server` for the shared-limits tests: `redis-server --port P --save ''
//! --appendonly no` on 127.0.0.1, nothing written to disk. The program is
//! `APIGATE_REDIS_SERVER` when set, else `redis-server` on the PATH (Debian's `redis-server`
//! package; `scripts/test` installs it).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Redis {
    child: Option<Child>,
    pub port: u16,
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Redis {
    /// Starts a server on a free port and waits until it answers PING.
    pub fn start() -> Redis {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free loopback port");
        let mut redis = Redis { child: None, port };
        redis.restart();
        redis
    }

    /// `redis://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills the server (the port then refuses connections).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port, empty, and waits until it answers.
    pub fn restart(&mut self) {
        self.stop();
        let program =
            std::env::var_os("APIGATE_REDIS_SERVER").unwrap_or_else(|| "redis-server".into());
        let child = Command::new(&program)
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start {}: {e}; scripts/test installs redis-server (apt) and runs the tests",
                    program.to_string_lossy()
                )
            });
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if self.cli(&["PING"]).as_deref() == Some("PONG") {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("redis-server did not answer on port {}", self.port);
    }

    /// Runs `redis-cli` against the server (`redis-cli` beside the server program, else on
    /// the PATH); its output, trimmed (`None` when it fails).
    pub fn cli(&self, args: &[&str]) -> Option<String> {
        let cli = std::env::var_os("APIGATE_REDIS_SERVER")
            .map(std::path::PathBuf::from)
            .and_then(|p| Some(p.parent()?.join("redis-cli")))
            .filter(|p| p.exists())
            .unwrap_or_else(|| "redis-cli".into());
        let out = Command::new(cli)
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(args)
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    }
}
