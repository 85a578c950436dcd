//! Several instances on one database: an instance starting up (or its periodic sweep) fails
//! only the jobs whose run is gone, never one another live instance runs.

use declutter_core::engine::lease::{LEASE_SECS, Runner};
use platform_db::rusqlite::{Connection, params};

use crate::support::{Options, TestApp, TestResult};

/// Inserts a running scan job for `runner`, last alive at `seen_at`; answers its id.
fn running_scan(
    db: &Connection,
    runner: Option<&Runner>,
    seen_at: i64,
) -> Result<i64, platform_db::rusqlite::Error> {
    db.execute(
        "INSERT INTO scan_jobs (user_id, source_id, state, started_at, runner_host, runner_pid,
                                runner_pid_start, heartbeat_at)
         VALUES ('u', 1, 'running', ?1, ?2, ?3, ?4, ?1)",
        params![
            seen_at,
            runner.map(|r| r.host.clone()),
            runner.map(|r| r.pid),
            runner.and_then(|r| r.pid_start)
        ],
    )?;
    Ok(db.last_insert_rowid())
}

fn state_of(db: &Connection, id: i64) -> Result<String, platform_db::rusqlite::Error> {
    db.query_row("SELECT state FROM scan_jobs WHERE id = ?1", [id], |r| {
        r.get(0)
    })
}

#[tokio::test]
async fn starting_an_instance_fails_only_the_scans_whose_run_is_gone() -> TestResult {
    let first = TestApp::start().await?;
    // Rows written straight into the file, without the users and sources they name.
    let db = Connection::open(&first.state.config.db)?;
    db.pragma_update(None, "foreign_keys", false)?;
    let now = declutter_web::db::now();
    let me = Runner::me();
    let other = Runner {
        host: "another-machine".into(),
        pid: 7,
        pid_start: Some(1),
    };
    assert!(!other.gone(now - LEASE_SECS, now) && other.gone(now - LEASE_SECS - 1, now));
    let ended_here = Runner {
        pid_start: me.pid_start.map(|s| s + 1),
        ..me.clone()
    };
    let live_here = running_scan(&db, Some(me), now - 10 * LEASE_SECS)?;
    let live_elsewhere = running_scan(&db, Some(&other), now - 5)?;
    let silent_elsewhere = running_scan(&db, Some(&other), now - LEASE_SECS - 5)?;
    let ended = running_scan(&db, Some(&ended_here), now)?;
    let before_runners = running_scan(&db, None, now)?;

    let _second = first.second_instance(Options::default()).await?;
    assert_eq!(state_of(&db, live_here)?, "running", "its process is alive");
    assert_eq!(
        state_of(&db, live_elsewhere)?,
        "running",
        "alive within the lease"
    );
    assert_eq!(
        state_of(&db, silent_elsewhere)?,
        "failed",
        "silent past the lease"
    );
    assert_eq!(state_of(&db, ended)?, "failed", "its process ended");
    assert_eq!(
        state_of(&db, before_runners)?,
        "failed",
        "no runner recorded"
    );
    Ok(())
}
