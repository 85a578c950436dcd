//! A paste answered 201 survives `kill -9` of the real `fpasted` binary: nobody hears "created"
//! before the commit. (Moved here from `bench/fpasted-load.sh`, which `make test` does not run.)

use crate::support::{TestResult, http, s, spawn_fpasted};

/// Creation without proof of work, rate limit or throttle, so twenty pastes go straight in.
const OPEN: &[(&str, &str)] = &[
    ("FLASKPASTE_RATE_LIMIT", "0"),
    ("FLASKPASTE_DEDUP_MAX", "0"),
    ("FLASKPASTE_POW_DIFFICULTY", "0"),
];

#[tokio::test]
async fn a_paste_answered_201_survives_kill_9() -> TestResult {
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("fpaste.db");
    let c = http();
    let mut first = spawn_fpasted(&db, OPEN).await?;
    let base = first.base.clone();
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
    first.child.start_kill()?;
    let status = first.child.wait().await?;
    assert!(
        !status.success(),
        "fpasted was killed, not stopped: {status}"
    );

    let second = spawn_fpasted(&db, OPEN).await?;
    let base = &second.base;
    for (i, id) in ids.iter().enumerate() {
        let res = c.get(format!("{base}/{id}/raw")).send().await?;
        assert_eq!(res.status(), 200, "paste {i} ({id}) lost");
        assert_eq!(res.text().await?, format!("survives kill -9, number {i}"));
    }
    Ok(())
}
