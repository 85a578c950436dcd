//! Background clean-up jobs: one row per apply, restore, emptying of the trash or verification,
//! queued until a worker claims it,
//! then its counters, its cancel flag and, once over, its summary. Every write of a run names
//! the run's attempt, so a run presumed gone cannot overwrite the one that replaced it.

use platform_db::sql::{Db, DbExt as _, Row, SqlError};
use platform_db::vals;

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
    /// Deletes everything in the owner's trash for good ("free space now"); no plan.
    Purge,
    /// Downloads the members of the owner's probable groups to confirm or reject them; no plan.
    Verify,
}

impl JobKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Apply => "apply",
            Self::Restore => "restore",
            Self::Purge => "purge",
            Self::Verify => "verify",
        }
    }

    fn parse(s: &str) -> Result<Self, SqlError> {
        match s {
            "apply" => Ok(Self::Apply),
            "restore" => Ok(Self::Restore),
            "purge" => Ok(Self::Purge),
            "verify" => Ok(Self::Verify),
            other => Err(SqlError::Corrupt(format!("unknown job kind {other:?}"))),
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
    /// The plan it applies or restores (none for a purge).
    pub plan_id: Option<i64>,
    /// `queued` (waiting for a worker), `running`, `done`, `cancelled` (stopped between items
    /// on request) or `failed`.
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

fn from_row(r: &dyn Row) -> Result<Job, SqlError> {
    let summary: Option<String> = r.get(10)?;
    Ok(Job {
        id: r.get(0)?,
        kind: JobKind::parse(&r.get::<_, String>(1)?)?,
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

/// Queues a job run with `options` (JSON); returns its id.
pub fn insert(
    conn: &dyn Db,
    user: &UserId,
    kind: JobKind,
    plan_id: Option<i64>,
    options: &serde_json::Value,
) -> Result<i64, DbError> {
    Ok(conn.insert_id(
        "INSERT INTO jobs (user_id, kind, plan_id, options, started_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
        vals![
            user.as_str(),
            kind.as_str(),
            plan_id,
            options.to_string(),
            now()
        ],
    )?)
}

/// A job of the queue, or a running one, as a worker or a sweep sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queued {
    /// Job id.
    pub id: i64,
    /// Owner.
    pub user: UserId,
    /// What it does.
    pub kind: JobKind,
    /// The plan it applies or restores (none for a purge).
    pub plan_id: Option<i64>,
    /// How the run goes (JSON).
    pub options: serde_json::Value,
    /// Runs started so far.
    pub attempts: u32,
}

/// Up to `limit` jobs in `state` (`queued` or `running`), oldest first.
pub fn in_state(conn: &dyn Db, state: &str, limit: u32) -> Result<Vec<Queued>, DbError> {
    Ok(conn.rows(
        "SELECT id, user_id, kind, plan_id, options, attempts FROM jobs \
         WHERE state = ?1 ORDER BY id LIMIT ?2",
        vals![state, limit],
        |r| {
            Ok(Queued {
                id: r.get(0)?,
                user: r
                    .get::<_, String>(1)?
                    .parse()
                    .map_err(|e: crate::ids::IdError| SqlError::Corrupt(e.to_string()))?,
                kind: JobKind::parse(&r.get::<_, String>(2)?)?,
                plan_id: r.get(3)?,
                options: serde_json::from_str(&r.get::<_, String>(4)?).unwrap_or_default(),
                attempts: r.get(5)?,
            })
        },
    )?)
}

/// The owner's queued or running job, if any.
pub fn active(conn: &dyn Db, user: &UserId) -> Result<Option<i64>, DbError> {
    Ok(conn.row_opt(
        "SELECT id FROM jobs WHERE user_id = ?1 AND state IN ('queued', 'running') LIMIT 1",
        vals![user.as_str()],
        |r| r.get(0),
    )?)
}

/// Marks queued job `id` running as run `attempt` (its previous runs + 1); false when another
/// worker took it first.
pub fn start(conn: &dyn Db, id: i64, attempt: u32) -> Result<bool, DbError> {
    Ok(conn.execute(
        "UPDATE jobs SET state = 'running', attempts = ?2, updated_at = ?3 \
         WHERE id = ?1 AND state = 'queued' AND attempts = ?2 - 1",
        vals![id, attempt, now()],
    )? == 1)
}

/// Puts running job `id`, whose run `attempt` is gone, back into the queue.
pub fn requeue(conn: &dyn Db, id: i64, attempt: u32) -> Result<bool, DbError> {
    Ok(conn.execute(
        "UPDATE jobs SET state = 'queued', updated_at = ?3 \
         WHERE id = ?1 AND state = 'running' AND attempts = ?2",
        vals![id, attempt, now()],
    )? == 1)
}

/// One job of an owner.
pub fn get(conn: &dyn Db, user: &UserId, id: i64) -> Result<Option<Job>, DbError> {
    Ok(conn.row_opt(
        &format!("SELECT {COLUMNS} FROM jobs WHERE user_id = ?1 AND id = ?2"),
        vals![user.as_str(), id],
        from_row,
    )?)
}

/// The owner's running jobs, newest first.
pub fn running(conn: &dyn Db, user: &UserId) -> Result<Vec<Job>, DbError> {
    Ok(conn.rows(
        &format!(
            "SELECT {COLUMNS} FROM jobs WHERE user_id = ?1 AND state = 'running' ORDER BY id DESC"
        ),
        vals![user.as_str()],
        from_row,
    )?)
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

/// Writes the counters of run `attempt` of a running job.
pub fn set_counters(conn: &dyn Db, id: i64, attempt: u32, c: &Counters) -> Result<(), DbError> {
    conn.execute(
        "UPDATE jobs SET phase = ?2, total = ?3, done = ?4, bytes = ?5, errors = ?6, updated_at = ?7 \
         WHERE id = ?1 AND state = 'running' AND attempts = ?8",
        vals![
            id,
            c.phase.as_str(),
            sql_size(c.total),
            sql_size(c.done),
            sql_size(c.bytes),
            sql_size(c.errors),
            now(),
            attempt
        ],
    )?;
    Ok(())
}

/// Asks a job of `user` to stop: a queued one is cancelled at once, a running one stops before
/// its next item. False when the job is over (or not theirs).
pub fn request_cancel(conn: &dyn Db, user: &UserId, id: i64) -> Result<bool, DbError> {
    let queued = conn.execute(
        "UPDATE jobs SET state = 'cancelled', cancel = 1, updated_at = ?3, finished_at = ?3 \
         WHERE user_id = ?1 AND id = ?2 AND state = 'queued'",
        vals![user.as_str(), id, now()],
    )?;
    Ok(queued == 1
        || conn.execute(
            "UPDATE jobs SET cancel = 1 WHERE user_id = ?1 AND id = ?2 AND state = 'running'",
            vals![user.as_str(), id],
        )? == 1)
}

/// Whether a stop was asked for.
pub fn cancel_requested(conn: &dyn Db, id: i64) -> Result<bool, DbError> {
    Ok(conn
        .row_opt("SELECT cancel FROM jobs WHERE id = ?1", vals![id], |r| {
            r.get(0)
        })?
        .unwrap_or(false))
}

/// Ends run `attempt` of a job (running, or queued when `attempt` is its last run's) in
/// `state` with its report or error; false when another run has the job now.
pub fn finish(
    conn: &dyn Db,
    id: i64,
    attempt: u32,
    state: &str,
    summary: Option<&serde_json::Value>,
    error: Option<&str>,
) -> Result<bool, DbError> {
    Ok(conn.execute(
        "UPDATE jobs SET state = ?2, summary = ?3, error = ?4, updated_at = ?5, finished_at = ?5 \
         WHERE id = ?1 AND state IN ('queued', 'running') AND attempts = ?6",
        vals![
            id,
            state,
            summary.map(serde_json::Value::to_string),
            error,
            now(),
            attempt
        ],
    )? == 1)
}
