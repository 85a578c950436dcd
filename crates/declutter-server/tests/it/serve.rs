//! `declutter serve`'s key decision, against the real binary: a loopback-only instance runs on
//! a generated development key with a loud warning; anything else refuses to start without a
//! key, before it binds or creates anything.

use crate::server::{self, Server};
use crate::support::{Env, TestResult};

#[tokio::test]
async fn loopback_without_a_key_runs_in_dev_mode() -> TestResult {
    let env = Env::new()?;
    let db = env.dir.path().join("data/declutter.db");
    let server = Server::start(&db, &[]).await?;
    let ready = reqwest::get(format!("{}/readyz", server.base)).await?;
    assert_eq!(ready.status(), 200);
    let logs = server.logs();
    assert!(logs.contains("WARNING: DEVELOPMENT MODE"), "{logs}");
    let dev_key = db.with_file_name("token-key.dev");
    assert!(dev_key.exists(), "dev key generated beside the database");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(
            std::fs::metadata(&dev_key)?.permissions().mode() & 0o777,
            0o600
        );
    }
    assert!(server.stop()?.success());
    Ok(())
}

#[test]
fn anything_but_loopback_refuses_to_start_without_a_key() -> TestResult {
    let env = Env::new()?;
    let db = env.dir.path().join("data/declutter.db");
    // 192.0.2.1 is TEST-NET-1: never bound, so a broken refusal could not listen anyway.
    for envs in [
        vec![("DECLUTTER_LISTEN", "192.0.2.1:8080")],
        vec![
            ("DECLUTTER_LISTEN", "192.0.2.1:8080"),
            ("DECLUTTER_DEV", "1"),
        ],
        vec![("DECLUTTER_PUBLIC_URL", "https://declutter.example.com")],
        vec![("DECLUTTER_TRUSTED_PROXY", "127.0.0.1")],
    ] {
        let out = server::refused(&db, &envs)?;
        let err = String::from_utf8(out.stderr)?;
        assert_eq!(out.status.code(), Some(7), "{envs:?}: {err}");
        assert!(err.contains("DECLUTTER_TOKEN_KEY"), "{err}");
        assert!(!err.contains("DEVELOPMENT MODE"), "{err}");
    }
    assert!(!db.exists(), "refused before touching the database");
    assert!(!db.with_file_name("token-key.dev").exists());
    Ok(())
}
