//! A real `declutter serve` child process on a loopback port it picks itself (it listens on
//! `127.0.0.1:0` and the test reads the bound address from its `listening` log line).

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use crate::support::TestResult;

/// Variables a developer's shell might have that would change what `serve` does.
const CLEARED: &[&str] = &[
    "DECLUTTER_TOKEN_KEY",
    "DECLUTTER_TOKEN_KEY_FILE",
    "DECLUTTER_DEV",
    "DECLUTTER_PUBLIC_URL",
    "DECLUTTER_TRUSTED_PROXY",
    "DECLUTTER_METRICS_LISTEN",
    "DECLUTTER_TLS_CERT",
    "DECLUTTER_TLS_KEY",
    "DECLUTTER_DATABASE_URL",
    "DECLUTTER_DATABASE_CA_FILE",
    "DECLUTTER_JWT_SECRET",
];

fn command(db: &Path, envs: &[(&str, &str)]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_declutter"));
    for v in CLEARED {
        c.env_remove(v);
    }
    c.arg("serve")
        .env("DECLUTTER_DB", db)
        .env("DECLUTTER_LISTEN", "127.0.0.1:0")
        .env("LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .envs(envs.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

/// A running server; killed on drop if not stopped.
pub struct Server {
    child: Child,
    pub base: String,
    logs: Arc<Mutex<String>>,
}

impl Server {
    /// Starts `declutter serve` on `db`; returns once `/healthz` answers 200.
    pub async fn start(db: &Path, envs: &[(&str, &str)]) -> TestResult<Self> {
        let mut child = command(db, envs).spawn()?;
        let stderr = child.stderr.take().ok_or("no stderr")?;
        let logs = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = mpsc::channel();
        let sink = Arc::clone(&logs);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line)
                    && v["message"] == "listening"
                    && let Some(addr) = v["addr"].as_str()
                {
                    let _ = tx.send(addr.to_owned());
                }
                let mut l = sink
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                l.push_str(&line);
                l.push('\n');
            }
        });
        let mut server = Self {
            child,
            base: String::new(),
            logs,
        };
        let addr = rx
            .recv_timeout(Duration::from_secs(30))
            .map_err(|_| format!("serve never listened; logs:\n{}", server.logs()))?;
        server.base = format!("http://{addr}");
        let client = reqwest::Client::new();
        for _ in 0..100 {
            if let Ok(r) = client.get(format!("{}/healthz", server.base)).send().await
                && r.status() == 200
            {
                return Ok(server);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(format!("/healthz never answered; logs:\n{}", server.logs()).into())
    }

    /// Everything the server wrote to stderr so far.
    pub fn logs(&self) -> String {
        self.logs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Stops it gracefully (SIGTERM, as systemd does) and returns its exit status.
    pub fn stop(mut self) -> TestResult<ExitStatus> {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status()?;
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait()? {
                return Ok(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(format!("serve ignored SIGTERM; logs:\n{}", self.logs()).into())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Runs `serve` expecting it to refuse: returns its output, or fails if it is still running
/// after a bounded wait (then it is killed).
pub fn refused(db: &Path, envs: &[(&str, &str)]) -> TestResult<Output> {
    let mut child = command(db, envs).spawn()?;
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if child.try_wait()?.is_some() {
            return Ok(child.wait_with_output()?);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    Err("serve started although it should have refused".into())
}
