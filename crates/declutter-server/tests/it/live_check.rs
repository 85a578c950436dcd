//! The opt-in live cloud check (`bench/live-cloud-check.sh`, docs/LIVE-CLOUD-CHECK.md) never
//! passes when it was given nothing to check.

use std::process::Command;

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
