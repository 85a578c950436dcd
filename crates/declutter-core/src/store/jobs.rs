//! Background clean-up jobs: one row per apply or restore run, its counters, its cancel flag
//! and, once over, its summary.

use platform_db::rusqlite::{Connection, OptionalExtension, Row, params};

use super::{DbError, size_of, sql_size};
use crate::db::now;
use crate::ids::UserId;

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum JobKind {
    /// Moves a plan's removals into the trash.
    Apply,
    /// Puts a plan's trashed files back.
    Restore,
}

impl JobKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Apply => "apply",
            Self::Restore => "restore",
        }
    }
}

/// One job as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Job {
    /// Job id.
    pub id: i64,
    /// What it does.
    pub kind: JobKind,
    /// The plan it applies or restores.
    pub plan_id: Option<i64>,
    /// `running`, `done`, `cancelled` (stopped between items on request) or `failed`.
    pub state: String,
    /// The engine's current phase.
    pub phase: String,
    /// Items of the phase (0 until known).
    pub total: u64,
    /// Items handled so far, moved or skipped.
    pub done: u64,
    /// Bytes moved so far.
    pub bytes: u64,
    /// Items skipped or refused so far.
    pub errors: u64,
    /// A stop was asked for; the run stops before its next item.
    pub cancel_requested: bool,
    /// The run's report (JSON), once it is over.
    pub summary: Option<serde_json::Value>,
    /// Why it failed.
    pub error: Option<String>,
    /// Unix seconds.
    pub started_at: i64,
    /// Last progress write (unix seconds).
    pub updated_at: i64,
    /// Unix seconds, once over.
    pub finished_at: Option<i64>,
}

const COLUMNS: &str = "id, kind, plan_id, state, phase, total, done, bytes, errors, cancel, \
                       summary, error, started_at, updated_at, finished_at";

fn from_row(r: &Row<'_>) -> platform_db::rusqlite::Result<Job> {
    let kind: String = r.get(1)?;
    let summary: Option<String> = r.get(10)?;
    Ok(Job {
        id: r.get(0)?,
        kind: if kind == "restore" {
            JobKind::Restore
        } else {
            JobKind::Apply
        },
        plan_id: r.get(2)?,
        state: r.get(3)?,
        phase: r.get(4)?,
        total: size_of(r.get(5)?),
        done: size_of(r.get(6)?),
        bytes: size_of(r.get(7)?),
        errors: size_of(r.get(8)?),
        cancel_requested: r.get(9)?,
        summary: summary.and_then(|s| serde_json::from_str(&s).ok()),
        error: r.get(11)?,
        started_at: r.get(12)?,
        updated_at: r.get(13)?,
        finished_at: r.get(14)?,
    })
}

/// Starts a `running` job; returns its id.
pub fn insert(
    conn: &Connection,
    user: &UserId,
    kind: JobKind,
    plan_id: Option<i64>,
) -> Result<i64, DbError> {
    let t = now();
    conn.execute(
        "INSERT INTO jobs (user_id, kind, plan_id, started_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)",
        params![user.as_str(), kind.as_str(), plan_id, t],
    )?;
    Ok(conn.last_insert_rowid())
}

/// One job of an owner.
pub fn get(conn: &Connection, user: &UserId, id: i64) -> Result<Option<Job>, DbError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM jobs WHERE user_id = ?1 AND id = ?2"
        ))?
        .query_row(params![user.as_str(), id], from_row)
        .optional()?)
}

/// The owner's running jobs, newest first.
pub fn running(conn: &Connection, user: &UserId) -> Result<Vec<Job>, DbError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM jobs WHERE user_id = ?1 AND state = 'running' ORDER BY id DESC"
    ))?;
    let rows = stmt.query_map([user.as_str()], from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The counters a progress hook writes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters {
    /// Current phase.
    pub phase: String,
    /// Items of the phase.
    pub total: u64,
    /// Items handled.
    pub done: u64,
    /// Bytes moved.
    pub bytes: u64,
    /// Items skipped or refused.
    pub errors: u64,
}

/// Writes a running job's counters.
pub fn set_counters(conn: &Connection, id: i64, c: &Counters) -> Result<(), DbError> {
    conn.prepare_cached(
        "UPDATE jobs SET phase = ?2, total = ?3, done = ?4, bytes = ?5, errors = ?6, updated_at = ?7 \
         WHERE id = ?1 AND state = 'running'",
    )?
    .execute(params![
        id,
        c.phase,
        sql_size(c.total),
        sql_size(c.done),
        sql_size(c.bytes),
        sql_size(c.errors),
        now()
    ])?;
    Ok(())
}

/// Asks a running job of `user` to stop before its next item; false when there is no such
/// running job.
pub fn request_cancel(conn: &Connection, user: &UserId, id: i64) -> Result<bool, DbError> {
    Ok(conn.execute(
        "UPDATE jobs SET cancel = 1 WHERE user_id = ?1 AND id = ?2 AND state = 'running'",
        params![user.as_str(), id],
    )? == 1)
}

/// Whether a stop was asked for.
pub fn cancel_requested(conn: &Connection, id: i64) -> Result<bool, DbError> {
    Ok(conn
        .prepare_cached("SELECT cancel FROM jobs WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?
        .unwrap_or(false))
}

/// Ends a running job in `state` with its report or error.
pub fn finish(
    conn: &Connection,
    id: i64,
    state: &str,
    summary: Option<&serde_json::Value>,
    error: Option<&str>,
) -> Result<(), DbError> {
    let t = now();
    conn.execute(
        "UPDATE jobs SET state = ?2, summary = ?3, error = ?4, updated_at = ?5, finished_at = ?5 \
         WHERE id = ?1 AND state = 'running'",
        params![
            id,
            state,
            summary.map(serde_json::Value::to_string),
            error,
            t
        ],
    )?;
    Ok(())
}

/// Marks failed every running job for which `alive` says no run is left.
pub fn fail_orphans(
    conn: &Connection,
    alive: impl Fn(&UserId, Option<i64>) -> Result<bool, DbError>,
) -> Result<u64, DbError> {
    let mut stmt = conn.prepare("SELECT id, user_id, plan_id FROM jobs WHERE state = 'running'")?;
    let rows: Vec<(i64, String, Option<i64>)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    let mut failed = 0;
    for (id, user, plan) in rows {
        let user = user
            .parse::<UserId>()
            .map_err(|e| DbError::Corrupt(e.to_string()))?;
        if !alive(&user, plan)? {
            finish(
                conn,
                id,
                "failed",
                None,
                Some("interrupted: the process running it ended; start it again to resume"),
            )?;
            failed += 1;
        }
    }
    Ok(failed)
}
