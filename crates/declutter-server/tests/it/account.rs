//! `--user EMAIL`: folders scanned from the command line show up in that account's web app,
//! and only there.

use serde_json::Value;

use crate::server::Server;
use crate::support::{Env, TestResult, content};
use crate::web::Browser;

const PASSWORD: &str = "correct horse battery staple 42";

#[tokio::test]
async fn a_folder_scanned_for_an_account_shows_up_in_its_web_app() -> TestResult {
    let env = Env::new()?;
    let server = Server::start(&env.db, &[]).await?;
    let ann = Browser::new(&server.base)?;
    assert_eq!(ann.signup("ann@example.com", "Ann", PASSWORD).await?.0, 303);

    let same = content(11, 4_000);
    env.write("photos/beach.jpg", &same)?;
    env.write("backup/beach.jpg", &same)?;
    let root = env.root_str()?;
    let scanned = env
        .cmd()
        .args(["--user", "ann@example.com", "scan", root])
        .output()?;
    let stderr = String::from_utf8_lossy(&scanned.stderr);
    assert!(scanned.status.success(), "{stderr}");
    assert!(
        stderr.contains("added"),
        "the attach is announced: {stderr}"
    );

    let sources = ann.json("/api/sources").await?;
    let canonical = env.root.canonicalize()?;
    let paths: Vec<&str> = sources
        .as_array()
        .ok_or("sources is a list")?
        .iter()
        .filter_map(|s| s["path"].as_str())
        .collect();
    assert_eq!(paths, [canonical.to_str().ok_or("UTF-8")?], "{sources}");
    let dupes = ann.json("/api/dupes").await?;
    assert_eq!(dupes["total_groups"], 1, "{dupes}");

    // Scanning again attaches nothing twice; the CLI's own owner saw none of it.
    let again = env
        .cmd()
        .args(["--user", "ann@example.com", "scan", root])
        .output()?;
    assert!(again.status.success());
    assert!(!String::from_utf8_lossy(&again.stderr).contains("added"));
    assert_eq!(
        ann.json("/api/sources").await?.as_array().map(Vec::len),
        Some(1)
    );
    let local: Value = serde_json::from_str(&env.ok(&["dupes", "--json"])?)?;
    assert_eq!(local.as_array().map(Vec::len), Some(0), "{local}");
    let as_ann: Value =
        serde_json::from_str(&env.ok(&["--user", "ann@example.com", "dupes", "--json"])?)?;
    assert_eq!(as_ann.as_array().map(Vec::len), Some(1), "{as_ann}");
    server.stop()?;
    Ok(())
}

#[test]
fn an_unknown_account_or_an_operations_command_is_refused() -> TestResult {
    let env = Env::new()?;
    let unknown = env
        .cmd()
        .args(["--user", "nobody@example.com", "dupes"])
        .output()?;
    assert_eq!(unknown.status.code(), Some(2));
    let msg = String::from_utf8_lossy(&unknown.stderr);
    assert!(
        msg.contains("no account with email \"nobody@example.com\""),
        "{msg}"
    );
    assert!(msg.contains("declutter user add"), "{msg}");

    let serve = env
        .cmd()
        .args(["--user", "ann@example.com", "backup", "x.db"])
        .output()?;
    assert_eq!(serve.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&serve.stderr).contains("--user applies to the engine"));
    Ok(())
}
