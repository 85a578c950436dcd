//! Apply and restore as background jobs: a request starts one and answers at once; the run
//! goes on elsewhere (another thread, later another instance) and its progress, cancel flag
//! and summary live in the `jobs` table, so whoever asks sees the same state.
//!
//! Starting a job takes the owner's apply lock ([`Lease`]) before the job row exists, so a
//! second clean-up of the same owner is refused at once ([`EngineError::ApplyBusy`]) instead
//! of failing in the background. The run itself goes through [`apply::apply_leased`] and
//! [`trash::restore_many`], the same paths as the CLI: every safety check stays where it is.

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use platform_db::rusqlite::Connection;

use super::apply::{self, ApplyOptions, ApplyReport};
use super::lease::{self, Lease};
use super::trash::{self, RestoreReport, RestoreSelection};
use super::{EngineError, Providers};
use crate::db::DbError;
use crate::ids::UserId;
use crate::progress::Progress;
use crate::store::jobs::{self, Counters, JobKind};
use crate::store::plans;

/// How often, at most, the counters are written while items flow (a write per item would
/// cost more than some items do).
const FLUSH_EVERY: Duration = Duration::from_millis(100);

/// A hook run after each item with the count done so far, once the counters are written
/// (tests use it to hold a run between two items, deterministically).
pub type ItemHook = Arc<dyn Fn(u64) + Send + Sync>;

/// Takes `user`'s apply lock and records a running job of `kind` for `plan_id`.
pub fn begin(
    conn: &mut Connection,
    user: &UserId,
    kind: JobKind,
    plan_id: i64,
) -> Result<(i64, Lease), EngineError> {
    plans::get(conn, user, plan_id)?.ok_or(EngineError::PlanNotFound(plan_id))?;
    let lease = Lease::acquire(conn, user, plan_id)?;
    match jobs::insert(conn, user, kind, Some(plan_id)) {
        Ok(id) => Ok((id, lease)),
        Err(e) => {
            // Nothing will run: the lock goes back at once.
            lease.release(conn)?;
            Err(e.into())
        }
    }
}

/// Runs apply job `job` (from [`begin`]) to its end and records how it ended.
pub async fn run_apply(
    conn: &mut Connection,
    user: &UserId,
    job: i64,
    plan_id: i64,
    lease: Lease,
    providers: &dyn Providers,
    options: &ApplyOptions,
    progress: &JobProgress,
) -> Result<ApplyReport, EngineError> {
    let result =
        apply::apply_leased(conn, user, plan_id, lease, providers, options, progress).await;
    let cancelled = result.as_ref().is_ok_and(|r| r.cancelled);
    record(conn, job, progress, &result, cancelled)?;
    result
}

/// Runs restore job `job` (from [`begin`]): every trashed file of the plan back in place.
pub async fn run_restore(
    conn: &mut Connection,
    user: &UserId,
    job: i64,
    plan_id: i64,
    lease: Lease,
    providers: &dyn Providers,
    progress: &JobProgress,
) -> Result<RestoreReport, EngineError> {
    let result = trash::restore_many(
        conn,
        user,
        &RestoreSelection::Plan(plan_id),
        providers,
        progress,
        Some(&lease),
    )
    .await;
    let released = lease.release(conn);
    let cancelled = result.as_ref().is_ok_and(|r| r.cancelled);
    record(conn, job, progress, &result, cancelled)?;
    released?;
    result
}

fn record<T: serde::Serialize>(
    conn: &Connection,
    job: i64,
    progress: &JobProgress,
    result: &Result<T, EngineError>,
    cancelled: bool,
) -> Result<(), EngineError> {
    progress.flush()?;
    match result {
        Ok(report) => {
            let summary = serde_json::to_value(report).ok();
            let state = if cancelled { "cancelled" } else { "done" };
            jobs::finish(conn, job, state, summary.as_ref(), None)?;
        }
        Err(e) => jobs::finish(conn, job, "failed", None, Some(&failure(e)))?,
    }
    Ok(())
}

/// What a person is told about a failed run: the cause's kind, never a database's internals.
fn failure(e: &EngineError) -> String {
    match e {
        EngineError::Db(_) => "the database failed; start it again to resume".into(),
        other => other.to_string(),
    }
}

/// Marks failed the running jobs whose run is gone (its process ended, or it is silent past
/// the lease on another machine); called at start-up.
pub fn fail_orphans(conn: &Connection) -> Result<u64, EngineError> {
    Ok(jobs::fail_orphans(conn, |user, plan| {
        Ok(lease::holder(conn, user)?.is_some_and(|h| Some(h.plan_id) == plan))
    })?)
}

/// A [`Progress`] that writes a job's counters to its row and reads its cancel flag, through
/// its own connection (the engine's is busy with the run).
pub struct JobProgress {
    job: i64,
    conn: Mutex<Connection>,
    state: Mutex<(Counters, Instant)>,
    hook: Option<ItemHook>,
}

impl std::fmt::Debug for JobProgress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobProgress")
            .field("job", &self.job)
            .finish_non_exhaustive()
    }
}

impl JobProgress {
    /// Progress of `job`, written through a new connection to the database at `path`.
    pub fn open(path: &Path, job: i64, hook: Option<ItemHook>) -> Result<Self, DbError> {
        Ok(Self {
            job,
            conn: Mutex::new(crate::db::open(path)?),
            state: Mutex::new((Counters::default(), Instant::now())),
            hook,
        })
    }

    /// Writes the counters now.
    pub fn flush(&self) -> Result<(), DbError> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.1 = Instant::now();
        let conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        jobs::set_counters(&conn, self.job, &state.0)
    }

    fn update(&self, f: impl FnOnce(&mut Counters)) {
        f(&mut self.state.lock().unwrap_or_else(PoisonError::into_inner).0);
    }

    /// Progress is advisory: a failed write is logged and the run goes on.
    fn flush_logged(&self) {
        if let Err(error) = self.flush() {
            tracing::warn!(job = self.job, %error, "writing job progress failed");
        }
    }
}

impl Progress for JobProgress {
    fn phase(&self, name: &str, total: Option<u64>) {
        self.update(|c| {
            name.clone_into(&mut c.phase);
            c.total = total.unwrap_or(0);
            c.done = 0;
        });
        self.flush_logged();
    }

    fn advance(&self, n: u64) {
        let (done, due) = {
            let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            state.0.done += n;
            (state.0.done, state.1.elapsed() >= FLUSH_EVERY)
        };
        if due || self.hook.is_some() {
            self.flush_logged();
        }
        if let Some(hook) = &self.hook {
            hook(done);
        }
    }

    fn bytes(&self, n: u64) {
        self.update(|c| c.bytes += n);
    }

    fn error(&self, _path: &str, _reason: &str) {
        self.update(|c| c.errors += 1);
    }

    fn cancelled(&self) -> bool {
        let conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        jobs::cancel_requested(&conn, self.job).unwrap_or_else(|error| {
            tracing::warn!(job = self.job, %error, "reading the cancel flag failed");
            false
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_jobs_whose_run_is_gone_are_failed() -> Result<(), Box<dyn std::error::Error>> {
        let mut conn = crate::db::open_in_memory()?;
        let user = "u".parse::<UserId>()?;
        let job = jobs::insert(&conn, &user, JobKind::Apply, Some(7))?;
        // Its run holds the owner's lock for plan 7: left alone.
        let lease = Lease::acquire(&mut conn, &user, 7)?;
        assert_eq!(fail_orphans(&conn)?, 0);
        assert_eq!(jobs::get(&conn, &user, job)?.ok_or("job")?.state, "running");
        // The lock is gone (the run's process ended): failed, with a reason.
        lease.release(&conn)?;
        assert_eq!(fail_orphans(&conn)?, 1);
        let failed = jobs::get(&conn, &user, job)?.ok_or("job")?;
        assert_eq!(failed.state, "failed");
        assert!(failed.error.is_some_and(|e| e.contains("interrupted")));
        Ok(())
    }
}
