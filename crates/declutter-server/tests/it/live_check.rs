//! The opt-in live cloud check (`bench/live-cloud-check.sh`, docs/LIVE-CLOUD-CHECK.md) never
//! passes when it was given nothing to check.

use std::process::Command;

use declutter_fakes::{FakeDrive, FakeGraph, Gated};

use crate::support::TestResult;

#[test]
fn without_accounts_the_live_check_reports_not_run() -> TestResult {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../bench/live-cloud-check.sh"
    );
    let out = Command::new("bash")
        .arg(script)
        .env_remove("DECLUTTER_LIVE_ONEDRIVE_PERSONAL_TOKEN_FILE")
        .env_remove("DECLUTTER_LIVE_ONEDRIVE_WORK_TOKEN_FILE")
        .env_remove("DECLUTTER_LIVE_GDRIVE_TOKEN_FILE")
        .env("DECLUTTER", "/nonexistent/declutter")
        .output()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(77), "{stdout}");
    assert!(stdout.contains("NOT RUN"), "{stdout}");
    assert!(!stdout.contains("PASSED"), "{stdout}");
    Ok(())
}

/// Whether `tool` is on PATH; under `CI=true` a missing tool fails the test instead.
fn have(tool: &str) -> Result<bool, String> {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found && std::env::var("CI").as_deref() == Ok("true") {
        return Err(format!("{tool} is required under CI"));
    }
    Ok(found)
}

fn token_file(
    dir: &std::path::Path,
    name: &str,
    fake: &dyn Gated,
) -> TestResult<std::path::PathBuf> {
    let path = dir.join(name);
    let json = serde_json::json!({
        "access_token": fake.access_token(), "refresh_token": fake.refresh_token(),
        "token_url": fake.token_url(), "client_id": "live"
    });
    std::fs::write(&path, json.to_string())?;
    Ok(path)
}

fn live_check(
    graph: &FakeGraph,
    drive: &FakeDrive,
    dir: &std::path::Path,
) -> TestResult<std::process::Output> {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../bench/live-cloud-check.sh"
    );
    Ok(Command::new("bash")
        .arg(script)
        .env("DECLUTTER", env!("CARGO_BIN_EXE_declutter"))
        .env("DECLUTTER_GRAPH_URL", graph.base_url())
        .env("DECLUTTER_DRIVE_URL", drive.base_url())
        .env("DECLUTTER_DRIVE_UPLOAD_URL", drive.upload_url())
        .env(
            "DECLUTTER_LIVE_ONEDRIVE_PERSONAL_TOKEN_FILE",
            token_file(dir, "od.json", graph)?,
        )
        .env_remove("DECLUTTER_LIVE_ONEDRIVE_WORK_TOKEN_FILE")
        .env(
            "DECLUTTER_LIVE_GDRIVE_TOKEN_FILE",
            token_file(dir, "gd.json", drive)?,
        )
        .output()?)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_live_check_passes_against_the_fakes_and_cleans_up() -> TestResult {
    if !(have("curl")? && have("jq")?) {
        eprintln!("live check script not exercised: curl or jq missing");
        return Ok(());
    }
    let (graph, drive) = (FakeGraph::start().await?, FakeDrive::start().await?);
    let dir = tempfile::tempdir()?;
    let out = live_check(&graph, &drive, dir.path())?;
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("PASSED (2 account(s))"), "{stdout}");
    // The throwaway folders are gone; nothing else was touched.
    let live = |name: &str| name.starts_with("declutter-live-");
    assert!(
        graph
            .items()
            .iter()
            .filter(|i| live(&i.name))
            .all(|i| i.deleted)
    );
    assert!(
        drive
            .files()
            .iter()
            .filter(|f| live(&f.name))
            .all(|f| f.deleted)
    );
    assert!(drive.files().iter().any(|f| live(&f.name)), "it made one");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_live_check_refuses_an_account_with_other_duplicates() -> TestResult {
    if !(have("curl")? && have("jq")?) {
        eprintln!("live check script not exercised: curl or jq missing");
        return Ok(());
    }
    let (graph, drive) = (FakeGraph::start().await?, FakeDrive::start().await?);
    let precious = drive.add_file(None, "thesis.pdf", 10, "00112233445566778899aabbccddeeff");
    let copy = drive.add_file(
        None,
        "thesis (1).pdf",
        10,
        "00112233445566778899aabbccddeeff",
    );
    let dir = tempfile::tempdir()?;
    let out = live_check(&graph, &drive, dir.path())?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("outside the throwaway folder"), "{stderr}");
    assert!(drive.file(&copy).is_some_and(|f| !f.trashed && !f.deleted));
    assert!(
        drive
            .file(&precious)
            .is_some_and(|f| !f.trashed && !f.deleted)
    );
    let live = |name: &str| name.starts_with("declutter-live-");
    assert!(
        drive
            .files()
            .iter()
            .filter(|f| live(&f.name))
            .all(|f| f.deleted),
        "cleaned up"
    );
    Ok(())
}
