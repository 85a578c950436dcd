//! Malware scanning against a real ClamAV daemon, started here offline with a signature
//! generated for the test (no downloaded databases needed).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::support::{BoxError, Server, TestResult, http, problem, s};

/// Debian's clamd.
const CLAMD: &str = "/usr/sbin/clamd";

/// The EICAR test file, assembled at run time so the repository never contains it whole.
fn eicar() -> Vec<u8> {
    let parts = [
        "X5O!P%@AP[4\\PZX54(P^)7CC)7}$",
        "EICAR-STANDARD-ANTIVIRUS",
        "-TEST-FILE!$H+H*",
    ];
    parts.concat().into_bytes()
}

/// A clamd on a free loopback port, killed on drop.
struct Clamd {
    child: Child,
    addr: String,
    _dir: tempfile::TempDir,
}

impl Drop for Clamd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Clamd {
    async fn start() -> Result<Self, BoxError> {
        if !Path::new(CLAMD).exists() {
            return Err(format!(
                "{CLAMD} missing: install clamav-daemon (.ci/install-packages does)"
            )
            .into());
        }
        let dir = tempfile::tempdir()?;
        let db = dir.path().join("db");
        std::fs::create_dir(&db)?;
        // An extended signature matching the middle of the EICAR string.
        let signature = format!(
            "Fpaste.Test.EICAR:0:*:{}",
            hex::encode("EICAR-STANDARD-ANTIVIRUS-TEST-FILE")
        );
        std::fs::write(db.join("fpaste-test.ndb"), format!("{signature}\n"))?;
        // A free port on an address of its own (see `support::LONE_LOOPBACK`).
        let (host, port) = {
            let probe = std::net::TcpListener::bind(crate::support::LONE_LOOPBACK)?;
            let at = probe.local_addr()?;
            (at.ip(), at.port())
        };
        let conf = dir.path().join("clamd.conf");
        std::fs::write(
            &conf,
            format!(
                "Foreground yes\nTCPSocket {port}\nTCPAddr {host}\nDatabaseDirectory {}\n\
                 TemporaryDirectory {}\nLogFile {}\nStreamMaxLength 64M\nBytecode no\n",
                db.display(),
                dir.path().display(),
                dir.path().join("clamd.log").display()
            ),
        )?;
        let child = Command::new(CLAMD)
            .arg("--config-file")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let addr = format!("{host}:{port}");
        let clamd = Self {
            child,
            addr,
            _dir: dir,
        };
        for _ in 0..300 {
            let ping = clamav_client::tokio::ping(clamav_client::tokio::Tcp {
                host_address: clamd.addr.as_str(),
            })
            .await;
            if ping.is_ok_and(|r| r == clamav_client::PONG) {
                return Ok(clamd);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err("clamd did not come up within 30 s".into())
    }
}

#[tokio::test]
async fn infected_uploads_are_refused_clean_ones_are_labelled() -> TestResult {
    let clamd = Clamd::start().await?;
    let addr = clamd.addr.parse()?;
    let server = Server::start(move |c| {
        c.scanner = Some(paste_server::scanner::Scanner {
            addr,
            timeout: Duration::from_secs(10),
        })
    })
    .await?;
    let c = http();
    let res = c.post(server.url("/")).body(eicar()).send().await?;
    let body = problem(res, 422, "malware_detected").await?;
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("Fpaste.Test.EICAR")),
        "{body}"
    );

    assert_eq!(scan_label(&server, "harmless text").await?, "clean");

    // A large upload is spooled to a nameless file past its first 64 KiB; clamd scans the
    // file, so a signature far past the head is found there too.
    let mut spooled = "harmless line of text\n".repeat(10_000).into_bytes();
    spooled.extend(eicar());
    let res = c.post(server.url("/")).body(spooled).send().await?;
    problem(res, 422, "malware_detected").await?;
    let clean_spooled = "another harmless line\n".repeat(10_000);
    assert_eq!(scan_label(&server, clean_spooled).await?, "clean");

    let mut ciphertext = vec![0u8; 8192];
    let mut x: u32 = 0x1234_5678;
    for b in &mut ciphertext {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *b = (x >> 8) as u8;
    }
    assert_eq!(scan_label(&server, ciphertext).await?, "skipped: encrypted");
    Ok(())
}

/// Creates a paste of `body` and answers the scan label its metadata shows.
async fn scan_label(server: &Server, body: impl Into<reqwest::Body>) -> Result<Value, BoxError> {
    let c = http();
    let created: Value = c
        .post(server.url("/"))
        .body(body)
        .send()
        .await?
        .json()
        .await?;
    let meta: Value = c
        .get(server.url(&format!("/{}", s(&created, "id"))))
        .send()
        .await?
        .json()
        .await?;
    Ok(meta["scan"].clone())
}

#[tokio::test]
async fn scanning_fails_closed_when_clamd_is_down() -> TestResult {
    let dead = {
        let probe = std::net::TcpListener::bind(crate::support::LONE_LOOPBACK)?;
        probe.local_addr()?
    };
    let server = Server::start(move |c| {
        c.scanner = Some(paste_server::scanner::Scanner {
            addr: paste_server::scanner::ClamdAddr::Tcp(dead.to_string()),
            timeout: Duration::from_secs(2),
        })
    })
    .await?;
    let res = http()
        .post(server.url("/"))
        .body("would be unscanned")
        .send()
        .await?;
    problem(res, 503, "unavailable").await?;
    let conn = platform_db::open(&server.db_path())?;
    let n: i64 = conn.query_row("SELECT count(*) FROM pastes", [], |r| r.get(0))?;
    assert_eq!(n, 0, "nothing stored unscanned");
    Ok(())
}
