//! Local sources (admin-assigned folders) and the web's scan jobs, always scoped to an owner.

use declutter_core::engine::lease::Runner;
use platform_db::rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};
use serde::Serialize;

use super::{DbError, now};

/// A local folder a user may scan.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LocalSource {
    /// Id.
    pub id: i64,
    /// Owner.
    pub user_id: String,
    /// Canonical absolute path.
    pub path: String,
    /// Added at (unix seconds).
    pub created_at: i64,
}

fn source_row(r: &Row<'_>) -> platform_db::rusqlite::Result<LocalSource> {
    Ok(LocalSource {
        id: r.get(0)?,
        user_id: r.get(1)?,
        path: r.get(2)?,
        created_at: r.get(3)?,
    })
}

/// Assigns `path` to `user`; a conflict when already assigned.
pub fn add(c: &Connection, user: &str, path: &str, by: &str) -> Result<LocalSource, DbError> {
    c.execute(
        "INSERT INTO local_sources (user_id, path, added_by, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![user, path, by, now()],
    )?;
    let id = c.last_insert_rowid();
    Ok(c.query_row(
        "SELECT id, user_id, path, created_at FROM local_sources WHERE id = ?1",
        [id],
        source_row,
    )?)
}

/// The owner's sources (all sources when `user` is `None`, for admins).
pub fn list(c: &Connection, user: Option<&str>) -> Result<Vec<LocalSource>, DbError> {
    let mut stmt = c.prepare(
        "SELECT id, user_id, path, created_at FROM local_sources
         WHERE (?1 IS NULL OR user_id = ?1) ORDER BY path",
    )?;
    let rows = stmt.query_map([user], source_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// One of the owner's sources; `None` when absent or someone else's.
pub fn get(c: &Connection, user: &str, id: i64) -> Result<Option<LocalSource>, DbError> {
    Ok(c.query_row(
        "SELECT id, user_id, path, created_at FROM local_sources WHERE id = ?1 AND user_id = ?2",
        params![id, user],
        source_row,
    )
    .optional()?)
}

/// A scan job as stored.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Job {
    /// Job id.
    pub id: i64,
    /// The scanned local source, for a folder scan.
    pub source_id: Option<i64>,
    /// The scanned drive connection, for a cloud scan.
    pub connection_id: Option<i64>,
    /// `running`, `done` or `failed`.
    pub state: String,
    /// The engine's scan id, once finished.
    pub scan_id: Option<i64>,
    /// Items indexed for the source, once finished.
    pub indexed: Option<i64>,
    /// Problems that did not stop the scan.
    pub issues: Option<i64>,
    /// Started at (unix seconds).
    pub started_at: i64,
    /// Finished at (unix seconds).
    pub finished_at: Option<i64>,
}

/// What a job scans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A local source (its id).
    Local(i64),
    /// A connected cloud drive (its connection id).
    Drive(i64),
}

/// Records a running job; `None` when the target already has one running.
pub fn begin_job(c: &Connection, user: &str, target: Target) -> Result<Option<i64>, DbError> {
    let (source, connection) = match target {
        Target::Local(id) => (Some(id), None),
        Target::Drive(id) => (None, Some(id)),
    };
    let running: bool = c.query_row(
        "SELECT count(*) > 0 FROM scan_jobs WHERE state = 'running'
         AND (source_id = ?1 OR connection_id = ?2)",
        params![source, connection],
        |r| r.get(0),
    )?;
    if running {
        return Ok(None);
    }
    let me = Runner::me();
    let t = now();
    c.execute(
        "INSERT INTO scan_jobs (user_id, source_id, connection_id, state, started_at,
                                runner_host, runner_pid, runner_pid_start, heartbeat_at)
         VALUES (?1, ?2, ?3, 'running', ?4, ?5, ?6, ?7, ?4)",
        params![user, source, connection, t, me.host, me.pid, me.pid_start],
    )?;
    Ok(Some(c.last_insert_rowid()))
}

/// Marks a job finished; `summary` is `(scan_id, indexed, issues)` on success.
pub fn finish_job(
    c: &Connection,
    id: i64,
    summary: Option<(i64, i64, i64)>,
) -> Result<(), DbError> {
    let state = if summary.is_some() { "done" } else { "failed" };
    let (scan, indexed, issues) =
        summary.map_or((None, None, None), |(a, b, c)| (Some(a), Some(b), Some(c)));
    c.execute(
        "UPDATE scan_jobs SET state = ?2, scan_id = ?3, indexed = ?4, issues = ?5, finished_at = ?6
         WHERE id = ?1",
        params![id, state, scan, indexed, issues, now()],
    )?;
    Ok(())
}

/// Shows that running job `id` is alive (its process calls this while the scan runs).
pub fn heartbeat(c: &Connection, id: i64) -> Result<(), DbError> {
    c.execute(
        "UPDATE scan_jobs SET heartbeat_at = ?2 WHERE id = ?1 AND state = 'running'",
        params![id, now()],
    )?;
    Ok(())
}

/// Marks failed the running jobs whose run is gone: its process on this machine ended, or on
/// another machine it has not shown life for the lease; a job another live process runs on
/// this database is left alone. Answers how many were failed.
pub fn fail_stale_jobs(c: &mut Connection) -> Result<usize, DbError> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let t = now();
    let running: Vec<(i64, Option<Runner>, i64)> = tx
        .prepare(
            "SELECT id, runner_host, runner_pid, runner_pid_start,
                    coalesce(heartbeat_at, started_at)
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
            Ok((r.get(0)?, runner, r.get(4)?))
        })?
        .collect::<Result<_, _>>()?;
    let mut failed = 0;
    for (id, runner, seen_at) in running {
        if runner.is_none_or(|r| r.gone(seen_at, t)) {
            failed += tx.execute(
                "UPDATE scan_jobs SET state = 'failed', finished_at = ?2 WHERE id = ?1",
                params![id, t],
            )?;
        }
    }
    tx.commit()?;
    Ok(failed)
}

/// One of the owner's jobs.
pub fn job(c: &Connection, user: &str, id: i64) -> Result<Option<Job>, DbError> {
    Ok(c.query_row(
        "SELECT id, source_id, connection_id, state, scan_id, indexed, issues, started_at,
                finished_at
         FROM scan_jobs WHERE id = ?1 AND user_id = ?2",
        params![id, user],
        |r| {
            Ok(Job {
                id: r.get(0)?,
                source_id: r.get(1)?,
                connection_id: r.get(2)?,
                state: r.get(3)?,
                scan_id: r.get(4)?,
                indexed: r.get(5)?,
                issues: r.get(6)?,
                started_at: r.get(7)?,
                finished_at: r.get(8)?,
            })
        },
    )
    .optional()?)
}
