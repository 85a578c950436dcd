//! The scan queue's conformance suite: every case runs against each storage, SQLite (a fresh
//! file) and PostgreSQL (a fresh database on the server `PLATFORM_TEST_POSTGRES` names; the
//! PostgreSQL half is skipped outside CI when none is configured).

use std::collections::HashSet;
use std::sync::Arc;

use declutter_core::engine::lease::{LEASE_SECS, Runner};
use declutter_web::db::scan_jobs::{
    Claimed, Enqueued, MAX_ATTEMPTS, PgQueue, Recovered, Runnable, ScanProgress, ScanQueue,
    SqliteQueue, Target,
};
use platform_db::pg::testing::FreshDb;

use crate::support::TestResult;

/// One storage under test, with a way to write rows the queue does not write itself.
struct Backend {
    name: &'static str,
    queue: Arc<dyn ScanQueue>,
    raw: Raw,
    /// What must outlive it: its file's folder, or its database.
    _keep: Box<dyn std::any::Any + Send + Sync>,
}

enum Raw {
    Sqlite(platform_db::Pool),
    Pg(platform_db::pg::deadpool_postgres::Pool),
}

impl Backend {
    /// Runs `sql` (no parameters; the same text on both databases); answers the rows changed.
    async fn sql(&self, sql: &'static str) -> TestResult<u64> {
        self.sql_owned(sql.to_owned()).await
    }

    async fn sql_owned(&self, sql: String) -> TestResult<u64> {
        Ok(match &self.raw {
            Raw::Sqlite(pool) => {
                let n = pool.write(move |c| c.execute(&sql, [])).await??;
                u64::try_from(n)?
            }
            Raw::Pg(pool) => pool.get().await?.execute(&sql, &[]).await?,
        })
    }

    /// An owner `u` with local sources 1 (`/data/a`) to `n` and OneDrive connection 1, and a
    /// second owner `v` with source 100.
    async fn seed(&self, n: i64) -> TestResult {
        self.sql(
            "INSERT INTO users (id, email, display_name, role, created_at)
             VALUES ('u', 'u@example.com', 'U', 'user', 0), ('v', 'v@example.com', 'V', 'user', 0)",
        )
        .await?;
        for i in 1..=n {
            self.sql_owned(format!(
                "INSERT INTO local_sources (id, user_id, path, created_at)
                 VALUES ({i}, 'u', '/data/{i}', 0)"
            ))
            .await?;
        }
        self.sql(
            "INSERT INTO local_sources (id, user_id, path, created_at)
             VALUES (100, 'v', '/data/v', 0)",
        )
        .await?;
        self.sql(
            "INSERT INTO oauth_connections
                 (id, user_id, provider, account, scopes, key_id, token_sealed, created_at)
             VALUES (1, 'u', 'onedrive', 'acct', 'Files.ReadWrite', 'k', '', 0)",
        )
        .await?;
        Ok(())
    }
}

/// The storages to run a case against: SQLite always, PostgreSQL when a server is configured.
async fn backends() -> TestResult<Vec<Backend>> {
    let dir = tempfile::tempdir()?;
    let platform_db::sql::AnyPool::Sqlite(pool) =
        declutter_web::db::open(&dir.path().join("d.db")).await?
    else {
        return Err("db::open opens SQLite".into());
    };
    let mut out = vec![Backend {
        name: "sqlite",
        queue: Arc::new(SqliteQueue::new(pool.clone())),
        raw: Raw::Sqlite(pool),
        _keep: Box::new(dir),
    }];
    if let Some(db) = FreshDb::create().await? {
        let pool = db.pool(16)?;
        declutter_web::db::pg_migrate(&pool).await?;
        out.push(Backend {
            name: "postgres",
            queue: Arc::new(PgQueue::new(pool.clone())),
            raw: Raw::Pg(pool),
            _keep: Box::new(db),
        });
    }
    Ok(out)
}

/// Runs `case` against every storage, naming the storage in a failure.
macro_rules! conformance {
    ($case:ident) => {{
        for b in backends().await? {
            // A failed assertion panics: this line names the storage it failed on.
            eprintln!("conformance: {} on {}", stringify!($case), b.name);
            if let Err(e) = $case(&b).await {
                return Err(format!("{}: {e}", b.name).into());
            }
        }
        Ok(())
    }};
}

fn any() -> Runnable {
    Arc::new(|_: &Claimed| true)
}

async fn state(b: &Backend, id: i64) -> TestResult<String> {
    let (job, _) = b.queue.job("u", id).await?.ok_or("job not found")?;
    Ok(job.state)
}

#[tokio::test]
async fn queueing_checks_the_owner_and_refuses_a_second_open_scan_of_one_target() -> TestResult {
    async fn case(b: &Backend) -> TestResult {
        b.seed(2).await?;
        let q = &b.queue;
        assert_eq!(
            q.enqueue("u", Target::Local(100)).await?,
            Enqueued::NotFound
        );
        assert_eq!(q.enqueue("u", Target::Local(9)).await?, Enqueued::NotFound);
        assert_eq!(q.enqueue("v", Target::Drive(1)).await?, Enqueued::NotFound);
        let Enqueued::Queued(first) = q.enqueue("u", Target::Local(1)).await? else {
            return Err("the first scan was not queued".into());
        };
        assert_eq!(q.enqueue("u", Target::Local(1)).await?, Enqueued::Busy);
        assert!(matches!(
            q.enqueue("u", Target::Local(2)).await?,
            Enqueued::Queued(_)
        ));
        assert!(matches!(
            q.enqueue("u", Target::Drive(1)).await?,
            Enqueued::Queued(_)
        ));
        assert_eq!(q.enqueue("u", Target::Drive(1)).await?, Enqueued::Busy);
        assert_eq!(q.queued().await?, 3);
        // Running is still open; once over, the target can be scanned again.
        let job = q.claim(any()).await?.ok_or("nothing claimed")?;
        assert_eq!(job.id, first);
        assert_eq!(q.enqueue("u", Target::Local(1)).await?, Enqueued::Busy);
        assert!(q.finish(job.id, job.attempt, Some((7, 10, 0))).await?);
        assert!(matches!(
            q.enqueue("u", Target::Local(1)).await?,
            Enqueued::Queued(_)
        ));
        // Nobody reads another owner's job.
        assert!(q.job("v", first).await?.is_none());
        Ok(())
    }
    conformance!(case)
}

#[tokio::test]
async fn a_worker_claims_the_oldest_job_it_can_run_and_says_where_it_is() -> TestResult {
    async fn case(b: &Backend) -> TestResult {
        b.seed(2).await?;
        let q = &b.queue;
        let Enqueued::Queued(a) = q.enqueue("u", Target::Local(1)).await? else {
            return Err("not queued".into());
        };
        let Enqueued::Queued(drive) = q.enqueue("u", Target::Drive(1)).await? else {
            return Err("not queued".into());
        };
        let Enqueued::Queued(c) = q.enqueue("u", Target::Local(2)).await? else {
            return Err("not queued".into());
        };
        // A worker without /data/1 mounted and without OneDrive skips to the third job.
        let only_2: Runnable = Arc::new(|j: &Claimed| j.path.as_deref() == Some("/data/2"));
        let job = q.claim(only_2.clone()).await?.ok_or("nothing claimed")?;
        assert_eq!(
            job,
            Claimed {
                id: c,
                user_id: "u".into(),
                target: Target::Local(2),
                path: Some("/data/2".into()),
                provider: None,
                attempt: 1,
            }
        );
        assert!(q.claim(only_2).await?.is_none());
        assert_eq!(state(b, c).await?, "running");
        assert_eq!(state(b, a).await?, "queued");
        let drives: Runnable = Arc::new(|j: &Claimed| j.provider.as_deref() == Some("onedrive"));
        let job = q
            .claim(drives)
            .await?
            .ok_or("the drive scan was not claimed")?;
        assert_eq!((job.id, job.target), (drive, Target::Drive(1)));
        let job = q
            .claim(any())
            .await?
            .ok_or("the first scan was not claimed")?;
        assert_eq!(job.id, a);
        assert!(q.claim(any()).await?.is_none());
        assert_eq!(q.queued().await?, 0);
        Ok(())
    }
    conformance!(case)
}

#[tokio::test]
async fn only_the_run_holding_a_job_writes_its_progress_and_its_end() -> TestResult {
    async fn case(b: &Backend) -> TestResult {
        b.seed(1).await?;
        let q = &b.queue;
        q.enqueue("u", Target::Local(1)).await?;
        let job = q.claim(any()).await?.ok_or("nothing claimed")?;
        let progress = ScanProgress {
            phase: "hashing".into(),
            done: 3,
            total: 9,
        };
        assert!(q.beat(job.id, job.attempt, &progress).await?);
        let (_, seen) = q.job("u", job.id).await?.ok_or("job not found")?;
        assert_eq!(seen, Some(progress.clone()));
        assert!(!q.beat(job.id, job.attempt + 1, &progress).await?);
        assert!(!q.finish(job.id, job.attempt + 1, None).await?);
        assert!(q.finish(job.id, job.attempt, Some((42, 1000, 2))).await?);
        let (done, progress) = q.job("u", job.id).await?.ok_or("job not found")?;
        assert_eq!(
            (done.state.as_str(), done.scan_id, done.indexed, done.issues),
            ("done", Some(42), Some(1000), Some(2))
        );
        assert!(done.finished_at.is_some() && progress.is_none());
        // Over is over: a late beat or a second end writes nothing.
        assert!(
            !q.beat(job.id, job.attempt, &ScanProgress::default())
                .await?
        );
        assert!(!q.finish(job.id, job.attempt, None).await?);
        assert_eq!(state(b, job.id).await?, "done");
        Ok(())
    }
    conformance!(case)
}

#[tokio::test]
async fn a_sweep_requeues_the_jobs_whose_run_is_gone_and_fails_them_after_three_runs() -> TestResult
{
    async fn case(b: &Backend) -> TestResult {
        b.seed(4).await?;
        let q = &b.queue;
        let now = declutter_web::db::now();
        let me = Runner::me();
        let mut ids = Vec::new();
        for source in 1..=4 {
            q.enqueue("u", Target::Local(source)).await?;
            ids.push(q.claim(any()).await?.ok_or("nothing claimed")?);
        }
        let (silent, quiet, dead_here, worn_out) = (&ids[0], &ids[1], &ids[2], &ids[3]);
        // Elsewhere and silent past the lease; elsewhere and silent just within it; here, but
        // its process ended (another start time); gone in its last allowed run.
        let stale = now - LEASE_SECS - 5;
        b.sql_owned(format!(
            "UPDATE scan_jobs SET runner_host = 'elsewhere', heartbeat_at = {stale}
             WHERE id = {}",
            silent.id
        ))
        .await?;
        b.sql_owned(format!(
            "UPDATE scan_jobs SET runner_host = 'elsewhere', heartbeat_at = {}
             WHERE id = {}",
            now - LEASE_SECS + 30,
            quiet.id
        ))
        .await?;
        let ended = me.pid_start.map_or(1, |s| s + 1);
        b.sql_owned(format!(
            "UPDATE scan_jobs SET runner_pid_start = {ended} WHERE id = {}",
            dead_here.id
        ))
        .await?;
        b.sql_owned(format!(
            "UPDATE scan_jobs SET runner_host = 'elsewhere', heartbeat_at = {stale},
                                  attempts = {MAX_ATTEMPTS}
             WHERE id = {}",
            worn_out.id
        ))
        .await?;
        assert_eq!(
            q.recover().await?,
            Recovered {
                requeued: 2,
                failed: 1
            }
        );
        assert_eq!(state(b, silent.id).await?, "queued");
        assert_eq!(state(b, quiet.id).await?, "running");
        assert_eq!(state(b, dead_here.id).await?, "queued");
        assert_eq!(state(b, worn_out.id).await?, "failed");
        // The gone run can no longer write; the next run is run 2 and can.
        assert!(
            !q.beat(silent.id, silent.attempt, &ScanProgress::default())
                .await?
        );
        let again = q
            .claim(any())
            .await?
            .ok_or("the requeued job was not claimed")?;
        assert_eq!((again.id, again.attempt), (silent.id, 2));
        assert!(!q.finish(silent.id, silent.attempt, Some((1, 1, 0))).await?);
        assert!(q.finish(again.id, again.attempt, Some((1, 1, 0))).await?);
        // A second sweep finds nothing more to do.
        let rest = q.recover().await?;
        assert_eq!(rest.failed, 0);
        assert_eq!(state(b, quiet.id).await?, "running");
        Ok(())
    }
    conformance!(case)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_workers_never_take_one_job_twice() -> TestResult {
    async fn case(b: &Backend) -> TestResult {
        const JOBS: i64 = 40;
        b.seed(JOBS).await?;
        for source in 1..=JOBS {
            b.queue.enqueue("u", Target::Local(source)).await?;
        }
        let workers = (0..8).map(|_| {
            let q = Arc::clone(&b.queue);
            tokio::spawn(async move {
                let mut mine = Vec::new();
                while let Some(job) = q.claim(any()).await? {
                    mine.push(job.id);
                    tokio::task::yield_now().await;
                }
                Ok::<_, declutter_web::db::DbError>(mine)
            })
        });
        let mut seen = HashSet::new();
        let mut claims = 0;
        for w in workers.collect::<Vec<_>>() {
            for id in w.await?? {
                claims += 1;
                seen.insert(id);
            }
        }
        assert_eq!((claims, seen.len()), (JOBS, usize::try_from(JOBS)?));
        assert_eq!(b.queue.queued().await?, 0);
        Ok(())
    }
    conformance!(case)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_requests_to_scan_one_folder_queue_one_job() -> TestResult {
    async fn case(b: &Backend) -> TestResult {
        b.seed(1).await?;
        for round in 0..5 {
            let requests = (0..8).map(|_| {
                let q = Arc::clone(&b.queue);
                tokio::spawn(async move { q.enqueue("u", Target::Local(1)).await })
            });
            let mut queued = Vec::new();
            for r in requests.collect::<Vec<_>>() {
                if let Enqueued::Queued(id) = r.await?? {
                    queued.push(id);
                }
            }
            assert_eq!(queued.len(), 1, "round {round}: {queued:?}");
            let job = b.queue.claim(any()).await?.ok_or("nothing claimed")?;
            assert!(b.queue.finish(job.id, job.attempt, None).await?);
        }
        Ok(())
    }
    conformance!(case)
}
