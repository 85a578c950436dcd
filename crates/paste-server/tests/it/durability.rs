//! A paste answered 201 survives `kill -9` of the real `fpasted` binary: nobody hears "created"
//! before the commit. (Moved here from `bench/fpasted-load.sh`, which `make test` does not run.)

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::support::{BoxError, TestResult, http, s};

/// A bound on start-up, only so a broken binary fails the test instead of hanging it.
const START_BOUND: Duration = Duration::from_secs(60);

/// Starts `fpasted` on a port of its own choosing over `db`; returns it and its base URL, read
/// from its `listening` log line (no port guessing, no polling).
async fn start(db: &Path) -> Result<(Child, String), BoxError> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fpasted"))
        .env_clear()
        .env("FLASKPASTE_LISTEN", "127.0.0.1:0")
        .env("FLASKPASTE_DB", db)
        .env("FLASKPASTE_RATE_LIMIT", "0")
        .env("FLASKPASTE_DEDUP_MAX", "0")
        .env("FLASKPASTE_POW_DIFFICULTY", "0")
        .env("LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let stderr = child.stderr.take().ok_or("no stderr")?;
    let mut lines = BufReader::new(stderr).lines();
    let addr = tokio::time::timeout(START_BOUND, async {
        while let Some(line) = lines.next_line().await? {
            let Ok(event) = serde_json::from_str::<Value>(&line) else {
                continue;
            };
            if event["message"] == "listening" {
                return Ok::<_, BoxError>(s(&event, "addr"));
            }
        }
        Err("fpasted exited before listening".into())
    })
    .await??;
    // Keep draining the log so the server never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok((child, format!("http://{addr}")))
}

#[tokio::test]
async fn a_paste_answered_201_survives_kill_9() -> TestResult {
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("fpaste.db");
    let c = http();
    let (mut first, base) = start(&db).await?;
    let mut ids = Vec::new();
    for i in 0..20 {
        let res = c
            .post(format!("{base}/"))
            .body(format!("survives kill -9, number {i}"))
            .send()
            .await?;
        assert_eq!(res.status(), 201);
        ids.push(s(&res.json().await?, "id"));
    }
    // SIGKILL right after the last 201: no drain, no shutdown hook, no final checkpoint.
    first.start_kill()?;
    let status = first.wait().await?;
    assert!(
        !status.success(),
        "fpasted was killed, not stopped: {status}"
    );

    let (_second, base) = start(&db).await?;
    for (i, id) in ids.iter().enumerate() {
        let res = c.get(format!("{base}/{id}/raw")).send().await?;
        assert_eq!(res.status(), 200, "paste {i} ({id}) lost");
        assert_eq!(res.text().await?, format!("survives kill -9, number {i}"));
    }
    Ok(())
}
