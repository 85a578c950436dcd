//! The clean-up queue and the owners' apply lock, on both databases: every case runs on a fresh
//! SQLite file and on a fresh PostgreSQL database (skipped outside CI when no server is
//! configured). Several connections work at once, as several workers or instances do.

use std::collections::HashSet;
use std::sync::{Arc, Barrier};

use declutter_core::db::{PG_COMPONENT, PG_MIGRATIONS};
use declutter_core::engine::EngineError;
use declutter_core::engine::jobs::{self, JobOptions, MAX_ATTEMPTS, Recovered};
use declutter_core::engine::lease::Lease;
use declutter_core::ids::{Source, UserId};
use declutter_core::platform_db::pg::{self, testing::FreshDb};
use declutter_core::platform_db::sql::pg::BlockingPool;
use declutter_core::platform_db::sql::{Conn, DbExt as _};
use declutter_core::store::jobs::{self as store_jobs, JobKind};
use declutter_core::store::plans::{self, Action, PlanItem};

type Result<T = (), E = Box<dyn std::error::Error + Send + Sync>> = std::result::Result<T, E>;

type Connect = Box<dyn Fn() -> Result<Box<dyn Conn + Send>> + Send + Sync>;

/// One database under test: a way to open connections to it.
struct Backend {
    name: &'static str,
    connect: Connect,
    _keep: Box<dyn std::any::Any + Send + Sync>,
}

fn backends() -> Result<Vec<Backend>> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("queue.db");
    declutter_core::db::open(&path)?;
    let mut out = vec![Backend {
        name: "sqlite",
        connect: Box::new(move || Ok(Box::new(declutter_core::db::open(&path)?))),
        _keep: Box::new(dir),
    }];
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    if let Some(db) = rt.block_on(FreshDb::create())? {
        rt.block_on(async {
            let pool = db.pool(1)?;
            pg::migrate(&pool, PG_COMPONENT, PG_MIGRATIONS).await
        })?;
        let pool = BlockingPool::connect(&db.url, 12, &platform_db::pg::PgTls::default())?;
        out.push(Backend {
            name: "postgres",
            connect: Box::new(move || Ok(Box::new(pool.get()?))),
            _keep: Box::new(db),
        });
    }
    Ok(out)
}

/// Runs `case` on every database, naming the database in a failure.
fn conformance(case: impl Fn(&Backend) -> Result) -> Result {
    for b in backends()? {
        eprintln!("conformance on {}", b.name);
        case(&b).map_err(|e| format!("{}: {e}", b.name))?;
    }
    Ok(())
}

fn owner(name: &str) -> UserId {
    name.parse()
        .unwrap_or_else(|_| unreachable!("test owner ids are valid"))
}

/// A plan of `user` removing one of two copies under `folder`.
fn plan(conn: &mut dyn Conn, user: &UserId, folder: &str) -> Result<i64> {
    let item = |action, name: &str| PlanItem {
        id: 0,
        group_key: "sha256:ab:3".into(),
        action,
        source: format!("local:{folder}"),
        provider: "local".into(),
        item_id: format!("{folder}/{name}"),
        parent_id: None,
        name: name.into(),
        path: format!("{folder}/{name}"),
        size: 3,
        modified_ns: 0,
        hash_kind: Some("sha256".into()),
        hash: Some("ab".into()),
        etag: None,
        state: "pending".into(),
        reason: None,
        trash_id: None,
    };
    Ok(plans::insert(
        conn,
        user,
        "keep-oldest",
        &[item(Action::Keep, "a"), item(Action::Remove, "b")],
    )?)
}

fn anywhere(_: &[Source]) -> bool {
    true
}

#[test]
fn queueing_refuses_a_second_clean_up_of_one_owner_and_a_plan_not_theirs() -> Result {
    conformance(|b| {
        let mut conn = (b.connect)()?;
        let (u, v) = (owner("u"), owner("v"));
        let p = plan(&mut *conn, &u, "/data/u")?;
        let q = plan(&mut *conn, &v, "/data/v")?;
        assert!(matches!(
            jobs::enqueue(&mut *conn, &u, JobKind::Apply, q, JobOptions::default()),
            Err(EngineError::PlanNotFound(_))
        ));
        let first = jobs::enqueue(&mut *conn, &u, JobKind::Apply, p, JobOptions::default())?;
        assert!(matches!(
            jobs::enqueue_unplanned(&mut *conn, &u, JobKind::Purge),
            Err(EngineError::JobBusy(id)) if id == first
        ));
        // Another owner is not held up.
        jobs::enqueue(&mut *conn, &v, JobKind::Apply, q, JobOptions::default())?;
        // An apply holding the owner's lock outside the queue (the CLI's) refuses one too.
        let w = owner("w");
        let r = plan(&mut *conn, &w, "/data/w")?;
        let lease = Lease::acquire(&mut *conn, &w, r)?;
        assert!(matches!(
            jobs::enqueue(&mut *conn, &w, JobKind::Apply, r, JobOptions::default()),
            Err(EngineError::ApplyBusy { plan_id, .. }) if plan_id == r
        ));
        lease.release(&*conn)?;
        jobs::enqueue(&mut *conn, &w, JobKind::Apply, r, JobOptions::default())?;
        Ok(())
    })
}

#[test]
fn a_worker_claims_the_oldest_job_it_reaches_under_its_owners_lock() -> Result {
    conformance(|b| {
        let mut conn = (b.connect)()?;
        let (u, v) = (owner("u"), owner("v"));
        let p = plan(&mut *conn, &u, "/data/u")?;
        let q = plan(&mut *conn, &v, "/data/v")?;
        let ju = jobs::enqueue(&mut *conn, &u, JobKind::Apply, p, JobOptions::default())?;
        let jv = jobs::enqueue(&mut *conn, &v, JobKind::Restore, q, JobOptions::default())?;
        // A worker without /data/u mounted takes v's job.
        let only_v = |s: &[Source]| s == [Source::Local("/data/v".into())];
        let claimed = jobs::claim(&mut *conn, &only_v)?.ok_or("nothing claimed")?;
        assert_eq!((claimed.job.id, claimed.attempt), (jv, 1));
        assert!(jobs::claim(&mut *conn, &only_v)?.is_none());
        // v's lock is held by the run: the CLI cannot apply for v meanwhile.
        assert!(matches!(
            Lease::acquire(&mut *conn, &v, q),
            Err(EngineError::ApplyBusy { .. })
        ));
        let other = jobs::claim(&mut *conn, &anywhere)?.ok_or("u's job not claimed")?;
        assert_eq!(other.job.id, ju);
        assert!(jobs::claim(&mut *conn, &anywhere)?.is_none());
        let running: i64 = conn.one("SELECT count(*) FROM jobs WHERE state = 'running'", &[])?;
        assert_eq!(running, 2);
        Ok(())
    })
}

#[test]
fn concurrent_workers_claim_each_job_once() -> Result {
    const OWNERS: usize = 24;
    const WORKERS: usize = 6;
    conformance(|b| {
        let mut conn = (b.connect)()?;
        for i in 0..OWNERS {
            let u = owner(&format!("u{i}"));
            let p = plan(&mut *conn, &u, &format!("/data/{i}"))?;
            jobs::enqueue(&mut *conn, &u, JobKind::Apply, p, JobOptions::default())?;
        }
        let start = Arc::new(Barrier::new(WORKERS));
        let claimed = std::thread::scope(|s| -> Result<Vec<i64>> {
            let workers: Vec<_> = (0..WORKERS)
                .map(|_| {
                    let start = Arc::clone(&start);
                    s.spawn(move || -> Result<Vec<i64>> {
                        let mut conn = (b.connect)()?;
                        start.wait();
                        let mut mine = Vec::new();
                        while let Some(c) = jobs::claim(&mut *conn, &anywhere)? {
                            mine.push(c.job.id);
                        }
                        Ok(mine)
                    })
                })
                .collect();
            let mut all = Vec::new();
            for w in workers {
                all.extend(w.join().map_err(|_| "a worker panicked")??);
            }
            Ok(all)
        })?;
        let distinct: HashSet<_> = claimed.iter().collect();
        assert_eq!((claimed.len(), distinct.len()), (OWNERS, OWNERS));
        let locks: i64 = conn.one("SELECT count(*) FROM apply_locks", &[])?;
        assert_eq!(locks, i64::try_from(OWNERS)?);
        Ok(())
    })
}

#[test]
fn one_run_holds_an_owners_lock_whatever_the_concurrency() -> Result {
    const RUNS: usize = 8;
    conformance(|b| {
        for round in 0..5 {
            let u = owner(&format!("r{round}"));
            let start = Arc::new(Barrier::new(RUNS));
            let won = std::thread::scope(|s| -> Result<usize> {
                let runs: Vec<_> = (0..RUNS)
                    .map(|i| {
                        let (start, u) = (Arc::clone(&start), u.clone());
                        s.spawn(move || -> Result<bool> {
                            let mut conn = (b.connect)()?;
                            start.wait();
                            match Lease::acquire(&mut *conn, &u, i64::try_from(i)? + 1) {
                                Ok(_) => Ok(true),
                                Err(EngineError::ApplyBusy { .. }) => Ok(false),
                                Err(e) => Err(e.into()),
                            }
                        })
                    })
                    .collect();
                let mut won = 0;
                for r in runs {
                    won += usize::from(r.join().map_err(|_| "a run panicked")??);
                }
                Ok(won)
            })?;
            assert_eq!(won, 1, "round {round}: {won} runs hold one owner's lock");
        }
        Ok(())
    })
}

#[test]
fn a_sweep_requeues_a_job_whose_run_is_gone_and_fails_it_after_its_last_run() -> Result {
    conformance(|b| {
        let mut conn = (b.connect)()?;
        let u = owner("u");
        let p = plan(&mut *conn, &u, "/data/u")?;
        let id = jobs::enqueue(&mut *conn, &u, JobKind::Apply, p, JobOptions::default())?;
        let mut attempt = 0;
        for run in 1..=MAX_ATTEMPTS {
            let claimed = jobs::claim(&mut *conn, &anywhere)?.ok_or("nothing claimed")?;
            assert_eq!((claimed.job.id, claimed.attempt), (id, run));
            attempt = claimed.attempt;
            if run > 1 {
                // A late write of the run presumed gone changes nothing now.
                assert!(!store_jobs::finish(
                    &*conn,
                    id,
                    run - 1,
                    "done",
                    None,
                    None
                )?);
            }
            // While its lock is held, the sweep leaves it alone.
            assert_eq!(jobs::recover(&*conn)?, Recovered::default());
            // Its process ends: the lock's holder is a process that no longer runs here.
            conn.execute("UPDATE apply_locks SET pid = 0, pid_start = 1", &[])?;
            let swept = jobs::recover(&*conn)?;
            if run < MAX_ATTEMPTS {
                assert_eq!(
                    swept,
                    Recovered {
                        requeued: 1,
                        failed: 0
                    }
                );
            } else {
                assert_eq!(
                    swept,
                    Recovered {
                        requeued: 0,
                        failed: 1
                    }
                );
            }
        }
        assert_eq!(attempt, MAX_ATTEMPTS);
        let failed = store_jobs::get(&*conn, &u, id)?.ok_or("the job is gone")?;
        assert_eq!(failed.state, "failed");
        assert!(failed.error.is_some_and(|e| e.contains("interrupted")));
        assert!(jobs::claim(&mut *conn, &anywhere)?.is_none());
        Ok(())
    })
}

#[test]
fn concurrent_requests_queue_one_clean_up_per_owner() -> Result {
    const REQUESTS: usize = 8;
    conformance(|b| {
        let mut conn = (b.connect)()?;
        for round in 0..5 {
            let u = owner(&format!("c{round}"));
            let p = plan(&mut *conn, &u, "/data/c")?;
            let start = Arc::new(Barrier::new(REQUESTS));
            let queued = std::thread::scope(|s| -> Result<usize> {
                let requests: Vec<_> = (0..REQUESTS)
                    .map(|_| {
                        let (start, u) = (Arc::clone(&start), u.clone());
                        s.spawn(move || -> Result<bool> {
                            let mut conn = (b.connect)()?;
                            start.wait();
                            match jobs::enqueue(
                                &mut *conn,
                                &u,
                                JobKind::Apply,
                                p,
                                JobOptions::default(),
                            ) {
                                Ok(_) => Ok(true),
                                Err(EngineError::JobBusy(_)) => Ok(false),
                                Err(e) => Err(e.into()),
                            }
                        })
                    })
                    .collect();
                let mut queued = 0;
                for r in requests {
                    queued += usize::from(r.join().map_err(|_| "a request panicked")??);
                }
                Ok(queued)
            })?;
            assert_eq!(
                queued, 1,
                "round {round}: {queued} jobs queued for one owner"
            );
        }
        Ok(())
    })
}
