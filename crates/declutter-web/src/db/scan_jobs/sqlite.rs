//! The scan queue on SQLite: each step that reads and then writes runs in an immediate
//! transaction, so no two connections (threads, processes) both see a job free.

use declutter_core::engine::lease::Runner;
use platform_db::Pool;
use platform_db::rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::{
    CLAIM_WINDOW, Claimed, DbError, Enqueued, Fut, Job, Recovered, Runnable, ScanProgress,
    ScanQueue, Target, Verdict, column, columns, count, target_of, verdict,
};
use crate::db::now;

/// The queue in the shared SQLite file, through the app's pool.
#[derive(Debug, Clone)]
pub struct SqliteQueue {
    pool: Pool,
}

impl SqliteQueue {
    /// The queue of the database `pool` opens.
    pub fn new(pool: Pool) -> Self {
        Self { pool }
    }
}

impl ScanQueue for SqliteQueue {
    fn enqueue<'a>(&'a self, user: &'a str, target: Target) -> Fut<'a, Enqueued> {
        let user = user.to_owned();
        Box::pin(async move { self.pool.write(move |c| enqueue(c, &user, target)).await? })
    }

    fn queued(&self) -> Fut<'_, u64> {
        Box::pin(async move { self.pool.read(queued).await? })
    }

    fn claim(&self, runnable: Runnable) -> Fut<'_, Option<Claimed>> {
        Box::pin(async move { self.pool.write(move |c| claim(c, &*runnable)).await? })
    }

    fn beat<'a>(&'a self, id: i64, attempt: i64, progress: &'a ScanProgress) -> Fut<'a, bool> {
        let progress = progress.clone();
        Box::pin(async move {
            self.pool
                .write(move |c| beat(c, id, attempt, &progress))
                .await?
        })
    }

    fn finish(&self, id: i64, attempt: i64, summary: Option<(i64, i64, i64)>) -> Fut<'_, bool> {
        Box::pin(async move {
            self.pool
                .write(move |c| finish(c, id, attempt, summary))
                .await?
        })
    }

    fn recover(&self) -> Fut<'_, Recovered> {
        Box::pin(async move { self.pool.write(recover_stale).await? })
    }

    fn job<'a>(&'a self, user: &'a str, id: i64) -> Fut<'a, Option<(Job, Option<ScanProgress>)>> {
        let user = user.to_owned();
        Box::pin(async move { self.pool.read(move |c| job(c, &user, id)).await? })
    }
}

/// Queues a scan of `target` for `user`, in one transaction with the check that the target is
/// the owner's and has no scan queued or running.
fn enqueue(c: &mut Connection, user: &str, target: Target) -> Result<Enqueued, DbError> {
    let (source, connection) = columns(target);
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let owned: bool = match target {
        Target::Local(id) => tx.query_row(
            "SELECT count(*) > 0 FROM local_sources WHERE id = ?1 AND user_id = ?2",
            params![id, user],
            |r| r.get(0),
        )?,
        Target::Drive(id) => tx.query_row(
            "SELECT count(*) > 0 FROM oauth_connections WHERE id = ?1 AND user_id = ?2",
            params![id, user],
            |r| r.get(0),
        )?,
    };
    if !owned {
        return Ok(Enqueued::NotFound);
    }
    let open: bool = tx.query_row(
        "SELECT count(*) > 0 FROM scan_jobs WHERE state IN ('queued', 'running')
         AND (source_id = ?1 OR connection_id = ?2)",
        params![source, connection],
        |r| r.get(0),
    )?;
    if open {
        return Ok(Enqueued::Busy);
    }
    tx.execute(
        "INSERT INTO scan_jobs (user_id, source_id, connection_id, state, started_at)
         VALUES (?1, ?2, ?3, 'queued', ?4)",
        params![user, source, connection, now()],
    )?;
    let id = tx.last_insert_rowid();
    tx.commit()?;
    Ok(Enqueued::Queued(id))
}

/// Jobs waiting for a worker.
fn queued(c: &Connection) -> Result<u64, DbError> {
    let n: i64 = c.query_row(
        "SELECT count(*) FROM scan_jobs WHERE state = 'queued'",
        [],
        |r| r.get(0),
    )?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Takes the oldest queued job this worker can run (`runnable`: for example, a local folder
/// under one of its mounted roots) and marks it running by this process; `None` when there is
/// none.
fn claim(
    c: &mut Connection,
    runnable: &dyn Fn(&Claimed) -> bool,
) -> Result<Option<Claimed>, DbError> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let queued: Vec<Claimed> = tx
        .prepare_cached(
            "SELECT j.id, j.user_id, j.source_id, j.connection_id, s.path, k.provider,
                    j.attempts + 1
             FROM scan_jobs j
             LEFT JOIN local_sources s ON s.id = j.source_id
             LEFT JOIN oauth_connections k ON k.id = j.connection_id
             WHERE j.state = 'queued' ORDER BY j.id LIMIT ?1",
        )?
        .query_map([CLAIM_WINDOW], |r| {
            Ok(Claimed {
                id: r.get(0)?,
                user_id: r.get(1)?,
                target: target_of(r.get(2)?, r.get(3)?),
                path: r.get(4)?,
                provider: r.get(5)?,
                attempt: r.get(6)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let Some(job) = queued.into_iter().find(|j| runnable(j)) else {
        return Ok(None);
    };
    let me = Runner::me();
    tx.execute(
        "UPDATE scan_jobs SET state = 'running', attempts = ?2, runner_host = ?3, runner_pid = ?4,
                runner_pid_start = ?5, heartbeat_at = ?6, phase = NULL, done = NULL, total = NULL
         WHERE id = ?1 AND state = 'queued'",
        params![job.id, job.attempt, me.host, me.pid, me.pid_start, now()],
    )?;
    tx.commit()?;
    Ok(Some(job))
}

/// Shows that this run of job `id` is alive, with its progress; `false` when the job is no
/// longer this run's (a sweep presumed it gone and the job moved on).
fn beat(c: &Connection, id: i64, attempt: i64, progress: &ScanProgress) -> Result<bool, DbError> {
    let n = c.execute(
        "UPDATE scan_jobs SET heartbeat_at = ?3, phase = ?4, done = ?5, total = ?6
         WHERE id = ?1 AND attempts = ?2 AND state = 'running'",
        params![
            id,
            attempt,
            now(),
            progress.phase,
            column(progress.done),
            column(progress.total)
        ],
    )?;
    Ok(n == 1)
}

/// Records the end of this run of job `id`; `summary` is `(scan_id, indexed, issues)` on
/// success. Answers `false` (and writes nothing) when the job is no longer this run's.
fn finish(
    c: &Connection,
    id: i64,
    attempt: i64,
    summary: Option<(i64, i64, i64)>,
) -> Result<bool, DbError> {
    let state = if summary.is_some() { "done" } else { "failed" };
    let (scan, indexed, issues) =
        summary.map_or((None, None, None), |(a, b, c)| (Some(a), Some(b), Some(c)));
    let n = c.execute(
        "UPDATE scan_jobs SET state = ?3, scan_id = ?4, indexed = ?5, issues = ?6,
                finished_at = ?7, phase = NULL, done = NULL, total = NULL
         WHERE id = ?1 AND attempts = ?2 AND state = 'running'",
        params![id, attempt, state, scan, indexed, issues, now()],
    )?;
    Ok(n == 1)
}

/// Puts back into the queue the running jobs whose run is gone: its process on this machine
/// ended, or on another machine it has not shown life for the lease. A job another live
/// process runs is left alone.
fn recover_stale(c: &mut Connection) -> Result<Recovered, DbError> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let t = now();
    let running: Vec<(i64, Option<Runner>, i64, i64)> = tx
        .prepare_cached(
            "SELECT id, runner_host, runner_pid, runner_pid_start,
                    coalesce(heartbeat_at, started_at), attempts
             FROM scan_jobs WHERE state = 'running'",
        )?
        .query_map([], |r| {
            let runner = match (r.get::<_, Option<String>>(1)?, r.get(2)?) {
                (Some(host), Some(pid)) => Some(Runner {
                    host,
                    pid,
                    pid_start: r.get(3)?,
                }),
                _ => None,
            };
            Ok((r.get(0)?, runner, r.get(4)?, r.get(5)?))
        })?
        .collect::<Result<_, _>>()?;
    let mut out = Recovered::default();
    for (id, runner, seen_at, attempts) in running {
        match verdict(runner.as_ref(), seen_at, attempts, t) {
            Verdict::Keep => {}
            Verdict::Requeue => {
                out.requeued += tx.execute(
                    "UPDATE scan_jobs SET state = 'queued', runner_host = NULL, runner_pid = NULL,
                            runner_pid_start = NULL, heartbeat_at = NULL
                     WHERE id = ?1",
                    [id],
                )?;
            }
            Verdict::Fail => {
                out.failed += tx.execute(
                    "UPDATE scan_jobs SET state = 'failed', finished_at = ?2 WHERE id = ?1",
                    params![id, t],
                )?;
            }
        }
    }
    tx.commit()?;
    Ok(out)
}

/// One of the owner's jobs, with its progress while it runs.
fn job(
    c: &Connection,
    user: &str,
    id: i64,
) -> Result<Option<(Job, Option<ScanProgress>)>, DbError> {
    Ok(c.query_row(
        "SELECT id, source_id, connection_id, state, scan_id, indexed, issues, started_at,
                finished_at, phase, done, total
         FROM scan_jobs WHERE id = ?1 AND user_id = ?2",
        params![id, user],
        |r| {
            let phase: Option<String> = r.get(9)?;
            let progress = match phase {
                Some(phase) => Some(ScanProgress {
                    phase,
                    done: count(r.get(10)?),
                    total: count(r.get(11)?),
                }),
                None => None,
            };
            Ok((
                Job {
                    id: r.get(0)?,
                    source_id: r.get(1)?,
                    connection_id: r.get(2)?,
                    state: r.get(3)?,
                    scan_id: r.get(4)?,
                    indexed: r.get(5)?,
                    issues: r.get(6)?,
                    started_at: r.get(7)?,
                    finished_at: r.get(8)?,
                },
                progress,
            ))
        },
    )
    .optional()?)
}
