//! Scan jobs as a queue of rows that any instance's workers claim. A request leaves a `queued`
//! row; a worker takes it in an immediate transaction (no two take one job) and records which
//! process it is; while it runs, it shows life and progress in the row; a sweep puts back a job
//! whose runner is gone. Every write by a runner names the attempt it holds, so a runner
//! presumed gone cannot overwrite the run that replaced it.

use declutter_core::engine::lease::Runner;
use platform_db::rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde::Serialize;

use super::{DbError, now};

/// Runs of one job before it is failed for good (a scan that kills its worker each time).
pub const MAX_ATTEMPTS: i64 = 3;
/// Queued jobs looked at per claim, oldest first (jobs this worker cannot run are skipped).
const CLAIM_WINDOW: i64 = 64;

/// A scan job as stored.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = ScanJob)]
pub struct Job {
    /// Job id.
    pub id: i64,
    /// The scanned local source, for a folder scan.
    pub source_id: Option<i64>,
    /// The scanned drive connection, for a cloud scan.
    pub connection_id: Option<i64>,
    /// `queued` (waiting for a worker), `running`, `done` or `failed`.
    pub state: String,
    /// The engine's scan id, once finished.
    pub scan_id: Option<i64>,
    /// Items indexed for the source, once finished.
    pub indexed: Option<i64>,
    /// Problems that did not stop the scan.
    pub issues: Option<i64>,
    /// Asked for at (unix seconds).
    pub started_at: i64,
    /// Finished at (unix seconds).
    pub finished_at: Option<i64>,
}

/// Progress of a running scan, as its worker last wrote it (about once a second).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ScanProgress {
    /// Current phase (`walking`, `hashing`, …).
    pub phase: String,
    /// Units done in this phase.
    pub done: u64,
    /// Units in this phase (0 when unknown).
    pub total: u64,
}

/// What a job scans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A local source (its id).
    Local(i64),
    /// A connected cloud drive (its connection id).
    Drive(i64),
}

/// A job a worker took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    /// Job id.
    pub id: i64,
    /// Owner.
    pub user_id: String,
    /// What to scan.
    pub target: Target,
    /// The local source's folder, for a local scan.
    pub path: Option<String>,
    /// The connection's provider (`onedrive`, `gdrive`), for a cloud scan.
    pub provider: Option<String>,
    /// This run's number (1 for the first); the runner's writes name it.
    pub attempt: i64,
}

/// What [`enqueue`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enqueued {
    /// Queued as this job.
    Queued(i64),
    /// The target already has a scan queued or running.
    Busy,
    /// The target is not one of the owner's.
    NotFound,
}

/// Queues a scan of `target` for `user`, in one transaction with the check that the target is
/// the owner's and has no scan queued or running.
pub fn enqueue(c: &mut Connection, user: &str, target: Target) -> Result<Enqueued, DbError> {
    let (source, connection) = match target {
        Target::Local(id) => (Some(id), None),
        Target::Drive(id) => (None, Some(id)),
    };
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
pub fn queued(c: &Connection) -> Result<u64, DbError> {
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
pub fn claim(
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
            let source: Option<i64> = r.get(2)?;
            let connection: Option<i64> = r.get(3)?;
            Ok(Claimed {
                id: r.get(0)?,
                user_id: r.get(1)?,
                target: match (source, connection) {
                    (Some(s), _) => Target::Local(s),
                    (None, c) => Target::Drive(c.unwrap_or_default()),
                },
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
pub fn beat(
    c: &Connection,
    id: i64,
    attempt: i64,
    progress: &ScanProgress,
) -> Result<bool, DbError> {
    let n = c.execute(
        "UPDATE scan_jobs SET heartbeat_at = ?3, phase = ?4, done = ?5, total = ?6
         WHERE id = ?1 AND attempts = ?2 AND state = 'running'",
        params![
            id,
            attempt,
            now(),
            progress.phase,
            i64::try_from(progress.done).unwrap_or(i64::MAX),
            i64::try_from(progress.total).unwrap_or(i64::MAX)
        ],
    )?;
    Ok(n == 1)
}

/// Records the end of this run of job `id`; `summary` is `(scan_id, indexed, issues)` on
/// success. Answers `false` (and writes nothing) when the job is no longer this run's.
pub fn finish(
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

/// What a sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Recovered {
    /// Jobs put back into the queue for another worker.
    pub requeued: usize,
    /// Jobs failed for good (run [`MAX_ATTEMPTS`] times, or from before runners were kept).
    pub failed: usize,
}

/// Puts back into the queue the running jobs whose run is gone: its process on this machine
/// ended, or on another machine it has not shown life for the lease. A job another live
/// process runs is left alone.
pub fn recover_stale(c: &mut Connection) -> Result<Recovered, DbError> {
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
        match runner {
            Some(r) if !r.gone(seen_at, t) => {}
            Some(_) if attempts < MAX_ATTEMPTS => {
                out.requeued += tx.execute(
                    "UPDATE scan_jobs SET state = 'queued', runner_host = NULL, runner_pid = NULL,
                            runner_pid_start = NULL, heartbeat_at = NULL
                     WHERE id = ?1",
                    [id],
                )?;
            }
            _ => {
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
pub fn job(
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
            let count = |i: usize| -> platform_db::rusqlite::Result<u64> {
                Ok(u64::try_from(r.get::<_, Option<i64>>(i)?.unwrap_or(0)).unwrap_or(0))
            };
            let progress = match phase {
                Some(phase) => Some(ScanProgress {
                    phase,
                    done: count(10)?,
                    total: count(11)?,
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
