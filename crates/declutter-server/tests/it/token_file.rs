//! Token files against a token endpoint that rotates single-use refresh tokens, wants a client
//! secret, and expires grants.

use declutter_fakes::{FakeGraph, Gated, Rotation};
use serde_json::Value;

use crate::support::{Env, TestResult};

fn write_token_file(env: &Env, fake: &FakeGraph) -> TestResult<std::path::PathBuf> {
    let path = env.dir.path().join("onedrive.json");
    let token = serde_json::json!({
        "access_token": "expired", "refresh_token": fake.refresh_token(),
        "token_url": fake.token_url(), "client_id": "cli", "client_secret": "s3cret"
    });
    std::fs::write(&path, token.to_string())?;
    Ok(path)
}

fn scan(
    env: &Env,
    fake: &FakeGraph,
    file: &std::path::Path,
) -> std::io::Result<std::process::Output> {
    env.cmd()
        .args(["scan", "onedrive:"])
        .env("DECLUTTER_GRAPH_URL", fake.base_url())
        .env("DECLUTTER_ONEDRIVE_TOKEN_FILE", file)
        .output()
}

#[tokio::test(flavor = "multi_thread")]
async fn rotated_refresh_tokens_are_written_back_and_the_secret_is_sent() -> TestResult {
    let fake = FakeGraph::start().await?;
    fake.add_file(None, "a.txt", 5, "qxh-a");
    fake.set_rotation(Rotation::SingleUse);
    fake.require_client_secret("s3cret");
    let env = Env::new()?;
    let file = write_token_file(&env, &fake)?;
    for round in 0..2 {
        fake.expire_tokens();
        let out = scan(&env, &fake, &file)?;
        assert!(
            out.status.success(),
            "round {round}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(fake.refreshes(), 2);
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&file)?)?;
    assert_ne!(saved["refresh_token"], fake.refresh_token(), "rotated");
    assert_eq!(saved["client_secret"], "s3cret", "other fields kept");
    assert_eq!(saved["token_url"], fake.token_url().as_str());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(
            std::fs::metadata(&file)?.permissions().mode() & 0o777,
            0o600
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_refresh_token_says_to_sign_in_again() -> TestResult {
    let fake = FakeGraph::start().await?;
    let env = Env::new()?;
    let file = write_token_file(&env, &fake)?;
    fake.expire_refresh_tokens();
    let out = scan(&env, &fake, &file)?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(7), "{stderr}");
    assert!(
        stderr.contains("invalid_grant") && stderr.contains("sign in again"),
        "{stderr}"
    );
    Ok(())
}
