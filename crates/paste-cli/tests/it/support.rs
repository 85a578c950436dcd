//! A real fpasted on `127.0.0.1:0` in this process, the real `fpaste` binary as a child process
//! with its own XDG directories, the server's SQLite file, and a capture of the server's logs.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use paste_server::Config;
use platform::testkit::TestCa;
use platform::tls::TlsFiles;
use tempfile::TempDir;
use tokio::runtime::Runtime;
use tokio::sync::oneshot;

pub type TestResult<T = ()> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// Every log line of every server in this test process.
static LOGS: Mutex<Vec<u8>> = Mutex::new(Vec::new());

struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut logs) = LOGS.lock() {
            logs.extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_logs() {
    static INIT: OnceLock<()> = OnceLock::new();
    INIT.get_or_init(|| {
        let _ = tracing_subscriber::fmt()
            .json()
            .with_max_level(tracing_subscriber::filter::LevelFilter::DEBUG)
            .with_writer(|| LogWriter)
            .try_init();
    });
}

/// The server logs captured so far.
pub fn logs() -> String {
    LOGS.lock()
        .map(|l| String::from_utf8_lossy(&l).into_owned())
        .unwrap_or_default()
}

/// What a finished `fpaste` run produced.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl Run {
    /// stdout as trimmed text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).trim().to_owned()
    }

    /// Fails with the run's stderr unless it exited 0.
    pub fn ok(self) -> TestResult<Self> {
        if self.code == 0 {
            Ok(self)
        } else {
            Err(format!("fpaste exited {}: {}", self.code, self.stderr).into())
        }
    }

    /// stdout parsed as JSON.
    pub fn json(&self) -> TestResult<serde_json::Value> {
        Ok(serde_json::from_slice(&self.stdout)?)
    }
}

/// A running fpasted plus a private home for the client.
pub struct Server {
    pub base: String,
    pub data: TempDir,
    pub home: TempDir,
    stop: Option<oneshot::Sender<()>>,
    rt: Option<Runtime>,
}

impl Server {
    /// A plain-HTTP server with test defaults.
    pub fn start() -> TestResult<Self> {
        Self::with(|_| {})
    }

    /// A plain-HTTP server with `tweak` applied to the test config.
    pub fn with(tweak: impl FnOnce(&mut Config)) -> TestResult<Self> {
        Self::launch(None, tweak)
    }

    /// An HTTPS server whose certificate and client CA come from `ca`.
    pub fn tls(ca: &TestCa, tweak: impl FnOnce(&mut Config)) -> TestResult<Self> {
        Self::launch(Some(ca), tweak)
    }

    fn launch(ca: Option<&TestCa>, tweak: impl FnOnce(&mut Config)) -> TestResult<Self> {
        capture_logs();
        let data = tempfile::tempdir()?;
        let home = tempfile::tempdir()?;
        let mut config = Config::for_tests(data.path());
        if let Some(ca) = ca {
            let (cert, key) = ca.server()?.write(data.path(), "server")?;
            let (client_ca, _) = ca.ca.write(data.path(), "ca")?;
            config.tls = Some(TlsFiles {
                cert,
                key,
                client_ca: Some(client_ca),
                require_client_cert: false,
            });
        }
        tweak(&mut config);
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
        let port = listener.local_addr()?.port();
        let (stop, stopped) = oneshot::channel::<()>();
        rt.spawn(paste_server::serve(config, listener, async move {
            let _ = stopped.await;
        }));
        let base = match ca {
            Some(_) => format!("https://localhost:{port}"),
            None => format!("http://127.0.0.1:{port}"),
        };
        Ok(Self {
            base,
            data,
            home,
            stop: Some(stop),
            rt: Some(rt),
        })
    }

    /// `fpaste` pointed at this server, with a clean environment and private XDG dirs.
    pub fn fpaste(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_fpaste"));
        for (name, _) in std::env::vars() {
            if name.starts_with("FPASTE_") || name.starts_with("XDG_") {
                cmd.env_remove(name);
            }
        }
        cmd.env("HOME", self.home.path())
            .env("XDG_CONFIG_HOME", self.home.path().join("config"))
            .env("XDG_DATA_HOME", self.home.path().join("data"))
            .env("FPASTE_SERVER", &self.base);
        cmd
    }

    /// The client's config file location.
    pub fn config_file(&self) -> PathBuf {
        self.home.path().join("config/fpaste/config.toml")
    }

    /// The server's database file.
    pub fn db(&self) -> PathBuf {
        self.data.path().join("fpaste.db")
    }

    /// Every stored content blob, read through a read-only connection.
    pub fn stored_contents(&self) -> TestResult<Vec<Vec<u8>>> {
        let db = rusqlite::Connection::open_with_flags(
            self.db(),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )?;
        let mut stmt = db.prepare("SELECT content FROM pastes")?;
        let rows = stmt.query_map([], |row| row.get::<_, Vec<u8>>(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Rewrites the stored content of paste `id` (simulating a malicious or broken server).
    pub fn overwrite_content(&self, id: &str, content: &[u8]) -> TestResult {
        let db = rusqlite::Connection::open(self.db())?;
        db.busy_timeout(Duration::from_secs(5))?;
        let n = db.execute(
            "UPDATE pastes SET content = ?1, size = ?2 WHERE id = ?3",
            rusqlite::params![content, content.len() as i64, id],
        )?;
        if n == 1 {
            Ok(())
        } else {
            Err(format!("no paste {id}").into())
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(rt) = self.rt.take() {
            rt.shutdown_timeout(Duration::from_secs(5));
        }
    }
}

/// Runs `cmd` with `stdin` fed to it (None: stdin is /dev/null).
pub fn run(cmd: &mut Command, stdin: Option<&[u8]>) -> TestResult<Run> {
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn()?;
    if let (Some(data), Some(mut pipe)) = (stdin, child.stdin.take()) {
        let data = data.to_vec();
        // A writer thread, so a child that answers before reading everything cannot deadlock us.
        std::thread::spawn(move || {
            let _ = pipe.write_all(&data);
        });
    }
    let out = child.wait_with_output()?;
    Ok(Run {
        code: out.status.code().unwrap_or(-1),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

/// The paste id at the end of a paste URL (fragment removed).
pub fn id_of(url: &str) -> String {
    let path = url.split('#').next().unwrap_or(url).trim_end_matches('/');
    path.rsplit('/').next().unwrap_or_default().to_owned()
}

/// The fragment of a URL.
pub fn fragment_of(url: &str) -> Option<String> {
    url.split_once('#').map(|(_, f)| f.to_owned())
}

/// Writes `content` to `dir/name`.
pub fn write_file(dir: &Path, name: &str, content: &[u8]) -> TestResult<PathBuf> {
    let path = dir.join(name);
    std::fs::write(&path, content)?;
    Ok(path)
}

/// Deterministic bytes that are not text.
pub fn binary(len: usize) -> Vec<u8> {
    let mut x: u32 = 0x9e37_79b9;
    (0..len)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            if i % 97 == 0 { 0 } else { x as u8 }
        })
        .collect()
}
