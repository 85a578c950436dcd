//! The binary against the fake cloud servers.

use declutter_fakes::Gated;
use serde_json::Value;

use declutter_fakes::{FakeDrive, FakeGraph};

use crate::support::{Env, TestResult};

#[tokio::test(flavor = "multi_thread")]
async fn onedrive_scan_and_dupes_through_the_binary() -> TestResult {
    let fake = FakeGraph::start().await?;
    let f = fake.add_folder(None, "Docs");
    fake.add_file(Some(&f), "a.txt", 5, "qxh-a");
    fake.add_file(None, "a (1).txt", 5, "qxh-a");
    fake.add_file(None, "b.txt", 5, "qxh-b");
    let env = Env::new()?;
    let token_file = env.dir.path().join("onedrive.json");
    let token = serde_json::json!({
        "access_token": "expired", "refresh_token": fake.refresh_token(),
        "token_url": fake.token_url(), "client_id": "cli"
    });
    std::fs::write(&token_file, token.to_string())?;
    let scan = env
        .cmd()
        .args(["scan", "onedrive:"])
        .env("DECLUTTER_GRAPH_URL", fake.base_url())
        .env("DECLUTTER_ONEDRIVE_TOKEN_FILE", &token_file)
        .output()?;
    assert!(
        scan.status.success(),
        "{}",
        String::from_utf8_lossy(&scan.stderr)
    );
    assert_eq!(fake.refreshes(), 1, "the expired token was refreshed once");
    let dupes: Value = serde_json::from_str(&env.ok(&["dupes", "--json"])?)?;
    let groups = dupes.as_array().ok_or("array")?;
    assert_eq!(groups.len(), 1);
    let paths: Vec<&str> = groups[0]["files"]
        .as_array()
        .ok_or("files")?
        .iter()
        .filter_map(|f| f["path"].as_str())
        .collect();
    assert_eq!(paths, vec!["/Docs/a.txt", "/a (1).txt"]);
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn gdrive_cross_provider_matches_are_probable() -> TestResult {
    let fake = FakeDrive::start().await?;
    fake.add_file(None, "report.pdf", 11, "5eb63bbbe01eeed093cb22bb8f5acdc3");
    let env = Env::new()?;
    env.write("report.pdf", b"hello world")?;
    env.ok(&["scan", env.root_str()?])?;
    let scan = env
        .cmd()
        .args(["scan", "gdrive:"])
        .env("DECLUTTER_DRIVE_URL", fake.base_url())
        .env("DECLUTTER_GDRIVE_TOKEN", fake.access_token())
        .output()?;
    assert!(
        scan.status.success(),
        "{}",
        String::from_utf8_lossy(&scan.stderr)
    );
    let dupes: Value = serde_json::from_str(&env.ok(&["dupes", "--json"])?)?;
    let groups = dupes.as_array().ok_or("array")?;
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0]["confidence"], "probable");
    let plan = env.ok(&["plan"])?;
    assert!(
        plan.contains("0 files to remove"),
        "probable matches are never acted on: {plan}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn dupes_verify_downloads_and_confirms_or_rejects_probable_matches() -> TestResult {
    let fake = FakeDrive::start().await?;
    let same = fake.add_file(None, "report.pdf", 11, "5eb63bbbe01eeed093cb22bb8f5acdc3");
    fake.set_content(&same, b"hello world");
    let other = fake.add_file(None, "notes.txt", 5, "00000000000000000000000000000000");
    fake.set_content(&other, b"HELLO");
    let env = Env::new()?;
    env.write("report.pdf", b"hello world")?;
    env.write("notes.txt", b"hello")?;
    env.ok(&["scan", env.root_str()?])?;
    let drive = [
        ("DECLUTTER_DRIVE_URL", fake.base_url()),
        ("DECLUTTER_GDRIVE_TOKEN", fake.access_token().to_owned()),
    ];
    let run = |args: &[&str]| -> Result<String, Box<dyn std::error::Error>> {
        let out = env.cmd().args(args).envs(drive.iter().cloned()).output()?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned().into());
        }
        Ok(String::from_utf8(out.stdout)?)
    };
    run(&["scan", "gdrive:"])?;
    let before: Value = serde_json::from_str(&run(&["dupes", "--json"])?)?;
    assert_eq!(before.as_array().map(Vec::len), Some(2), "{before}");
    let dupes: Value = serde_json::from_str(&run(&[
        "dupes",
        "--verify",
        "--concurrency",
        "2",
        "--json",
    ])?)?;
    let groups = dupes.as_array().ok_or("array")?;
    assert_eq!(groups.len(), 1, "notes.txt differ: rejected; {dupes}");
    assert_eq!(groups[0]["confidence"], "exact");
    assert_eq!(groups[0]["files"].as_array().map(Vec::len), Some(2));
    // A second verification has nothing left to download.
    let again: Value = serde_json::from_str(&run(&["verify", "--json"])?)?;
    assert_eq!(again["checked"], 0);
    assert_eq!(fake.contents().served(), 2, "the two Drive files, once");
    let plan = run(&["plan"])?;
    assert!(plan.contains("1 files to remove"), "{plan}");
    // The confirmed copy passes apply's re-check (the local file adopted its BLAKE3).
    let applied = run(&["apply", "latest"])?;
    assert!(
        applied.contains("1 trashed") && applied.contains("0 skipped"),
        "{applied}"
    );
    Ok(())
}
