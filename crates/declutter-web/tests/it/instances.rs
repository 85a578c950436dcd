//! Several instances on one database: scans are a queue any instance's workers claim, only
//! where the folder is mounted; a sweep puts back the scans whose runner is gone and leaves
//! alone the ones another live instance runs.

use std::time::Duration;

use declutter_core::engine::lease::{LEASE_SECS, Runner};
use platform_db::sql::{Db, DbExt as _, Dialect, SqlError};
use platform_db::vals as params;
use serde_json::Value;

use crate::cleanup::{make_folder, queue_scan, wait_scan};
use crate::support::{Browser, Options, TestApp, TestResult};

/// Inserts a running scan job for `runner`, last alive at `seen_at`, in its `attempts`-th run;
/// answers its id.
fn running_scan(
    db: &dyn Db,
    runner: Option<&Runner>,
    seen_at: i64,
    attempts: i64,
) -> Result<i64, SqlError> {
    db.insert_id(
        "INSERT INTO scan_jobs (user_id, source_id, state, started_at, runner_host, runner_pid,
                                runner_pid_start, heartbeat_at, attempts)
         VALUES ('u', 1, 'running', ?1, ?2, ?3, ?4, ?1, ?5)",
        params![
            seen_at,
            runner.map(|r| r.host.clone()),
            runner.map(|r| r.pid),
            runner.and_then(|r| r.pid_start),
            attempts
        ],
    )
}

fn state_of(db: &dyn Db, id: i64) -> Result<String, SqlError> {
    db.one("SELECT state FROM scan_jobs WHERE id = ?1", params![id])
}

#[tokio::test]
async fn starting_an_instance_requeues_only_the_scans_whose_run_is_gone() -> TestResult {
    let first = TestApp::start().await?;
    // Rows written straight into the database, without the users and sources they name (so
    // no worker can run them once they are queued again).
    let db = first.db()?;
    db.batch(match db.dialect() {
        Dialect::Sqlite => "PRAGMA foreign_keys = OFF",
        Dialect::Postgres => "SET session_replication_role = replica",
    })?;
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
    let live_here = running_scan(&*db, Some(me), now - 10 * LEASE_SECS, 1)?;
    let live_elsewhere = running_scan(&*db, Some(&other), now - 5, 1)?;
    let silent_elsewhere = running_scan(&*db, Some(&other), now - LEASE_SECS - 5, 1)?;
    let ended = running_scan(&*db, Some(&ended_here), now, 2)?;
    let ended_thrice = running_scan(&*db, Some(&ended_here), now, 3)?;
    let before_runners = running_scan(&*db, None, now, 1)?;

    let _second = first.second_instance(Options::default()).await?;
    let state = |id| state_of(&*db, id);
    assert_eq!(state(live_here)?, "running", "its process is alive");
    assert_eq!(state(live_elsewhere)?, "running", "alive within the lease");
    assert_eq!(state(silent_elsewhere)?, "queued", "silent past the lease");
    assert_eq!(state(ended)?, "queued", "its process ended");
    assert_eq!(state(ended_thrice)?, "failed", "run three times");
    assert_eq!(state(before_runners)?, "failed", "no runner recorded");
    Ok(())
}

/// `admin` assigns a folder of duplicates under `app`'s roots to `owner`, who queues its scan;
/// answers the job id.
async fn queue_photos(app: &TestApp, admin: &Browser, owner: &Browser) -> TestResult<i64> {
    let dir = app.roots.join("photos");
    make_folder(&dir)?;
    Ok(queue_scan(admin, owner, &dir).await?.1)
}

#[tokio::test]
async fn a_scan_queued_on_a_web_only_instance_runs_where_its_folder_is_mounted() -> TestResult {
    let web = TestApp::start_with(Options {
        scan_workers: Some(0),
        ..Options::default()
    })
    .await?;
    let admin = web.user("admin@example.com", "Admin").await?;
    let owner = web.user("owner@example.com", "Owner").await?;
    let job = queue_photos(&web, &admin, &owner).await?;
    let state = async || -> TestResult<Value> {
        let s: Value = owner
            .get(&format!("/api/scans/{job}"))
            .await?
            .json()
            .await?;
        Ok(s["state"].clone())
    };
    assert_eq!(state().await?, "queued", "no worker here");
    // A page in the browser keeps refreshing while the scan waits.
    assert!(
        owner
            .text(&format!("/scans/{job}"))
            .await?
            .contains("http-equiv=\"refresh\"")
    );

    // A worker whose roots are elsewhere does not take it.
    let elsewhere = tempfile::tempdir()?;
    let _unmounted = web
        .second_instance(Options {
            local_roots: Some(vec![elsewhere.path().to_owned()]),
            ..Options::default()
        })
        .await?;
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(state().await?, "queued", "folder not mounted there");

    // A worker with the folder mounted runs it; the web-only instance shows the outcome.
    let _worker = web.second_instance(Options::default()).await?;
    let done = wait_scan(&owner, job).await?;
    assert_eq!(done["state"], "done", "{done}");
    assert!(done["indexed"].as_i64().is_some_and(|n| n > 0), "{done}");
    let groups: Value = owner.get("/api/dupes").await?.json().await?;
    assert!(
        groups["groups"].as_array().is_some_and(|g| !g.is_empty()),
        "{groups}"
    );
    Ok(())
}

#[tokio::test]
async fn readiness_counts_the_scan_workers_still_running() -> TestResult {
    use axum::extract::FromRef as _;
    let app = TestApp::start().await?;
    let c = app.plain()?;
    let ready = async || -> TestResult<(u16, Value)> {
        let res = c.get(app.url("/readyz")).send().await?;
        Ok((res.status().as_u16(), res.json().await?))
    };
    assert_eq!(ready().await?.0, 200);
    // One worker more than configured, then that one gone: ready only when they match.
    let scans = declutter_web::services::scans::Scans::from_ref(&app.state);
    let extra = scans.spawn_workers(1);
    let (status, body) = ready().await?;
    assert_eq!(
        (status, &body["queue"]),
        (503, &Value::from("error")),
        "{body}"
    );
    for w in extra {
        w.abort();
        assert!(w.await.is_err_and(|e| e.is_cancelled()));
    }
    let (status, body) = ready().await?;
    assert_eq!(
        (status, &body["queue"]),
        (200, &Value::from("ok")),
        "{body}"
    );
    Ok(())
}

#[tokio::test]
async fn an_instance_with_another_token_key_is_refused_and_a_rotation_takes_the_old_key_out()
-> TestResult {
    use declutter_web::crypto::{Keyring, generate_key, parse_key};
    use secrecy::SecretString;
    let app = TestApp::start().await?;
    let c = app.plain()?;
    let token_key = async || -> TestResult<(u16, Value)> {
        let res = c.get(app.url("/readyz")).send().await?;
        let status = res.status().as_u16();
        Ok((status, res.json::<Value>().await?["token_key"].clone()))
    };
    assert_eq!(token_key().await?, (200, Value::from("ok")));

    // A second instance started with another key would seal tokens nobody else can open.
    let other = generate_key();
    let mut config = (*app.state.config).clone();
    config.token_key = Some(SecretString::from(other.clone()));
    let refused = declutter_web::build_state(config.clone()).await;
    let message = refused.err().map(|e| format!("{e:#}")).unwrap_or_default();
    assert!(
        message.contains("not this installation's"),
        "refused with {message:?}"
    );

    // After a rotation to that key, the instance still on the old one leaves service, and
    // one on the new key starts.
    let current = parse_key(&app.token_key)?;
    let keyring = Keyring::new(&parse_key(&other)?, &[current]);
    declutter_web::reseal_tokens(&config, keyring).await?;
    assert_eq!(token_key().await?, (503, Value::from("error")));
    declutter_web::build_state(config).await?;
    Ok(())
}
