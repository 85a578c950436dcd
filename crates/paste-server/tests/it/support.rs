//! Starting servers and talking to them.

use std::net::SocketAddr;

/// Where a test finds a port free for a server it starts later (a probe bound, then dropped):
/// a loopback address no test server listens on and no test connection comes from, so no
/// connection of a test running beside it takes the port as its local port meanwhile, as one
/// could on 127.0.0.1.
pub const LONE_LOOPBACK: &str = "127.0.0.3:0";
use std::path::PathBuf;

use paste_server::Config;
use platform::testkit::{Minted, TestCa, https_client};
use platform::tls::TlsFiles;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub type TestResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A running fpasted with its own database directory.
pub struct Server {
    pub addr: SocketAddr,
    pub base: String,
    pub dir: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl Server {
    /// Starts a plain-HTTP server with test defaults changed by `tweak`.
    pub async fn start(tweak: impl FnOnce(&mut Config)) -> Result<Self, BoxError> {
        let dir = tempfile::tempdir()?;
        let mut cfg = Config::for_tests(dir.path());
        tweak(&mut cfg);
        Self::start_with(cfg, dir).await
    }

    /// Starts a server on `cfg`, whose files live in `dir`.
    pub async fn start_with(cfg: Config, dir: tempfile::TempDir) -> Result<Self, BoxError> {
        let tls = cfg.tls.is_some();
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(paste_server::serve(cfg, listener, async move {
            let _ = stopped.await;
        }));
        let base = if tls {
            format!("https://localhost:{}", addr.port())
        } else {
            format!("http://{addr}")
        };
        Ok(Self {
            addr,
            base,
            dir,
            stop: Some(stop),
            task: Some(task),
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn db_path(&self) -> PathBuf {
        self.dir.path().join("fpaste.db")
    }

    /// Stops, waits for the drain, and hands back the data directory for inspection.
    pub async fn stop(mut self) -> Result<tempfile::TempDir, BoxError> {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            t.await?.map_err(|e| -> BoxError { e.into() })?;
        }
        let dir = std::mem::replace(&mut self.dir, tempfile::tempdir()?);
        Ok(dir)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

/// A PKI for mTLS tests: CA, server certificate files, and helpers for clients.
pub struct Pki {
    pub ca: TestCa,
    pub dir: tempfile::TempDir,
}

impl Pki {
    pub fn new() -> Result<Self, BoxError> {
        Ok(Self {
            ca: TestCa::new("fpaste test CA")?,
            dir: tempfile::tempdir()?,
        })
    }

    /// TLS files for a server that verifies client certificates against this CA.
    pub fn server_files(&self) -> Result<TlsFiles, BoxError> {
        let server = self.ca.server()?;
        let (cert, key) = server.write(self.dir.path(), "server")?;
        let (ca, _) = self.ca.ca.write(self.dir.path(), "ca")?;
        Ok(TlsFiles {
            cert,
            key,
            client_ca: Some(ca),
            require_client_cert: false,
        })
    }

    /// A TLS server verifying clients against this CA, with `admin` as its one admin.
    pub async fn server_with_admin(&self, admin: &Minted) -> Result<Server, BoxError> {
        let files = self.server_files()?;
        let admin_fp = admin.sha1();
        Server::start(move |c| {
            c.tls = Some(files);
            c.admins = vec![admin_fp];
        })
        .await
    }

    pub fn client(&self, identity: Option<&Minted>) -> Result<reqwest::Client, BoxError> {
        https_client(&self.ca.ca, identity)
    }
}

pub fn http() -> reqwest::Client {
    reqwest::Client::new()
}

/// Creates a paste from `body` and returns the JSON answer.
pub async fn create(
    client: &reqwest::Client,
    server: &Server,
    body: &'static [u8],
) -> Result<Value, BoxError> {
    let res = client.post(server.url("/")).body(body).send().await?;
    assert_eq!(res.status(), 201, "create failed: {}", res.text().await?);
    Ok(res.json().await?)
}

pub fn s(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_owned()
}

/// Asserts the problem-details shape and returns the body.
pub async fn problem(res: reqwest::Response, status: u16, code: &str) -> Result<Value, BoxError> {
    assert_eq!(res.status(), status);
    assert_eq!(
        res.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
    let body: Value = res.json().await?;
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status);
    assert!(
        body["error"].is_string(),
        "FlaskPaste `error` member missing: {body}"
    );
    Ok(body)
}

/// The real `fpasted` binary, started on a port of its own choosing.
pub struct Fpasted {
    pub child: tokio::process::Child,
    /// `http://127.0.0.1:port`, read from its `listening` log line (no port guessing, no
    /// polling).
    pub base: String,
    /// Every stderr line (JSON log), the whole log once the process has exited.
    pub log: tokio::task::JoinHandle<Vec<String>>,
}

/// Starts `fpasted` over the database `db` with `env` on top of an empty environment.
pub async fn spawn_fpasted(
    db: &std::path::Path,
    env: &[(&str, &str)],
) -> Result<Fpasted, BoxError> {
    use tokio::io::AsyncBufReadExt as _;
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_fpasted"));
    cmd.env_clear()
        .env("FLASKPASTE_LISTEN", "127.0.0.1:0")
        .env("FLASKPASTE_DB", db)
        .env("LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn()?;
    let stderr = child.stderr.take().ok_or("no stderr")?;
    let mut lines = tokio::io::BufReader::new(stderr).lines();
    let mut seen = Vec::new();
    // A bound only so a broken binary fails the test instead of hanging it.
    let addr = tokio::time::timeout(std::time::Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await? {
            let event = serde_json::from_str::<Value>(&line).ok();
            seen.push(line);
            if let Some(e) = event.filter(|e| e["message"] == "listening") {
                return Ok::<_, BoxError>(s(&e, "addr"));
            }
        }
        Err("fpasted exited before listening".into())
    })
    .await??;
    // Keep draining, so the server never blocks on a full pipe.
    let log = tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            seen.push(line);
        }
        seen
    });
    Ok(Fpasted {
        child,
        base: format!("http://{addr}"),
        log,
    })
}
