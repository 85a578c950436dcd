//! The real `fpasted` binary's JSON log: one line per request with consistent field names, and
//! never content, passwords, delete tokens or full fingerprints.

use serde_json::Value;

use crate::support::{TestResult, http, s, spawn_fpasted};

#[tokio::test]
async fn one_json_line_per_request_without_secrets() -> TestResult {
    let dir = tempfile::tempdir()?;
    let mut server = spawn_fpasted(&dir.path().join("f.db"), &[]).await?;
    let base = server.base.clone();
    let c = http();
    let created: Value = c
        .post(format!("{base}/"))
        .header("x-request-id", "log-test-1")
        .header("x-paste-password", "pw-that-must-not-leak")
        .body("content-that-must-not-leak")
        .send()
        .await?
        .json()
        .await?;
    let id = s(&created, "id");
    let token = s(&created, "delete_token");
    c.get(format!("{base}/{id}/raw"))
        .header("x-paste-password", "pw-that-must-not-leak")
        .send()
        .await?;
    c.delete(format!("{base}/{id}"))
        .header("x-delete-token", &token)
        .send()
        .await?;
    // SIGTERM: the server drains and exits, closing its stderr.
    let pid = server.child.id().ok_or("already exited")?;
    std::process::Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .status()?;
    assert!(
        server.child.wait().await?.success(),
        "graceful shutdown exits 0"
    );
    let lines = server.log.await?;

    let log = lines.join("\n");
    for secret in [
        "content-that-must-not-leak",
        "pw-that-must-not-leak",
        token.as_str(),
        id.as_str(),
    ] {
        assert!(!log.contains(secret), "{secret:?} leaked into the log");
    }
    let requests: Vec<Value> = lines
        .iter()
        .map(|l| serde_json::from_str::<Value>(l))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .filter(|v| v["message"] == "request")
        .collect();
    let create = requests
        .iter()
        .find(|v| v["request_id"] == "log-test-1")
        .ok_or("no log line for the create")?;
    for field in [
        "timestamp",
        "level",
        "message",
        "request_id",
        "method",
        "route",
        "status",
        "duration_ms",
    ] {
        assert!(!create[field].is_null(), "{field} missing from {create}");
    }
    assert_eq!(create["route"], "/");
    assert_eq!(create["status"], 201);
    assert!(
        requests.iter().any(|v| v["route"] == "/{id}/raw"),
        "routes are templates"
    );
    Ok(())
}
