//! Apply, restore and emptying the trash as background jobs: a request queues one and answers
//! at once; a worker
//! of any instance claims it, and its progress, cancel flag and summary live in the `jobs`
//! table, so whoever asks sees the same state.
//!
//! Queueing refuses a second clean-up of the same owner at once ([`EngineError::JobBusy`],
//! [`EngineError::ApplyBusy`] for a CLI apply holding the lock) instead of failing in the
//! background. A worker claims a job only when it can reach every source of the plan (the
//! caller's `runnable`), and only by taking the owner's apply lock ([`Lease`]), so two workers
//! never run one job, or two jobs of one owner, at once. A run whose process is gone (the
//! lock's rule: ended on this machine, or silent elsewhere for [`lease::LEASE_SECS`]) is put
//! back into the queue by [`recover`], and the next run resumes where the journal says it
//! stopped; a job gets at most [`MAX_ATTEMPTS`] runs. The runs go through
//! [`apply::apply_holding`], [`trash::restore_many`] and [`trash::purge_holding`], the same
//! paths as the CLI: every safety check stays where it is.

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use platform_db::sql::{Conn, Db, Lock};

use super::apply::{self, ApplyOptions, ApplyReport};
use super::lease::{self, Lease};
use super::trash::{self, PurgeReport, RestoreReport, RestoreSelection};
use super::verify::{self, VerifyOptions, VerifySummary};
use super::{EngineError, Providers};
use crate::db::DbError;
use crate::ids::{Source, UserId};
use crate::progress::Progress;
use crate::store::jobs::{self, Counters, JobKind, Queued};
use crate::store::trash as store_trash;
use crate::store::{groups, plans};

/// How often, at most, the counters are written while items flow (a write per item would
/// cost more than some items do).
const FLUSH_EVERY: Duration = Duration::from_millis(100);

/// Runs a job gets before it is failed (each after the previous one's process was gone).
pub const MAX_ATTEMPTS: u32 = 3;

/// Queued jobs a worker looks at per claim.
const CLAIM_WINDOW: u32 = 64;

/// A hook run after each item with the count done so far, once the counters are written
/// (tests use it to hold a run between two items, deterministically).
pub type ItemHook = Arc<dyn Fn(u64) + Send + Sync>;

/// How a job's run goes, stored with the job so whichever worker runs it runs it the same.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct JobOptions {
    /// Apply: then remove the local folders the plan's files left empty.
    #[serde(default)]
    pub remove_empty_folders: bool,
}

/// Queues a job of `kind` for `user`'s plan `plan_id`; refuses while another clean-up of the
/// owner is queued or running.
pub fn enqueue(
    conn: &mut dyn Conn,
    user: &UserId,
    kind: JobKind,
    plan_id: i64,
    options: JobOptions,
) -> Result<i64, EngineError> {
    let tx = conn.transaction(Lock::Owner(user.as_str()))?;
    plans::get(&*tx, user, plan_id)?.ok_or(EngineError::PlanNotFound(plan_id))?;
    idle(&*tx, user)?;
    let options = serde_json::to_value(options).unwrap_or_default();
    let id = jobs::insert(&*tx, user, kind, Some(plan_id), &options)?;
    tx.commit()?;
    Ok(id)
}

/// Queues a job without a plan for `user`: emptying the trash ([`JobKind::Purge`]) or
/// verifying the likely matches ([`JobKind::Verify`]); refuses while another clean-up of the
/// owner is queued or running.
pub fn enqueue_unplanned(
    conn: &mut dyn Conn,
    user: &UserId,
    kind: JobKind,
) -> Result<i64, EngineError> {
    debug_assert!(matches!(kind, JobKind::Purge | JobKind::Verify));
    let tx = conn.transaction(Lock::Owner(user.as_str()))?;
    idle(&*tx, user)?;
    let id = jobs::insert(&*tx, user, kind, None, &serde_json::json!({}))?;
    tx.commit()?;
    Ok(id)
}

/// Fails unless no clean-up of `user` is queued or running and nothing holds their lock.
fn idle(conn: &dyn Db, user: &UserId) -> Result<(), EngineError> {
    if let Some(job) = jobs::active(conn, user)? {
        return Err(EngineError::JobBusy(job));
    }
    if let Some(h) = lease::holder(conn, user)? {
        return Err(EngineError::ApplyBusy {
            plan_id: h.plan_id,
            pid: h.pid,
        });
    }
    Ok(())
}

/// The plan a job's run holds the owner's lock for: its plan, or none.
fn lock_key(job: &Queued) -> i64 {
    match (job.kind, job.plan_id) {
        (JobKind::Apply | JobKind::Restore, Some(plan_id)) => plan_id,
        (JobKind::Verify, _) => lease::VERIFY,
        _ => lease::TRASH,
    }
}

/// A job this worker runs: run `attempt` of it, under the owner's apply lock.
#[derive(Debug)]
pub struct Claimed {
    /// The job.
    pub job: Queued,
    /// Its options.
    pub options: JobOptions,
    /// This run's number (1 for the first).
    pub attempt: u32,
    /// The owner's apply lock, held for the run.
    pub lease: Lease,
}

/// Claims the oldest queued job this worker can run: `runnable` says whether it reaches every
/// source of the job's plan. A job whose owner's lock is held elsewhere waits.
pub fn claim(
    conn: &mut dyn Conn,
    runnable: &dyn Fn(&[Source]) -> bool,
) -> Result<Option<Claimed>, EngineError> {
    for job in jobs::in_state(conn, "queued", CLAIM_WINDOW)? {
        let sources = match job.plan_id {
            Some(plan_id) => {
                if plans::get(conn, &job.user, plan_id)?.is_none() {
                    jobs::finish(
                        conn,
                        job.id,
                        job.attempts,
                        "failed",
                        None,
                        Some("the plan is gone"),
                    )?;
                    continue;
                }
                plans::sources(conn, plan_id)?
            }
            None if job.kind == JobKind::Verify => groups::probable_sources(conn, &job.user)?,
            None => store_trash::sources(conn, &job.user)?,
        };
        let sources = sources
            .iter()
            .map(|s| s.parse::<Source>())
            .collect::<Result<Vec<_>, _>>()?;
        if !runnable(&sources) {
            continue;
        }
        let lease = match Lease::acquire(conn, &job.user, lock_key(&job)) {
            Ok(lease) => lease,
            Err(EngineError::ApplyBusy { .. }) => continue,
            Err(e) => return Err(e),
        };
        let attempt = job.attempts + 1;
        if jobs::start(conn, job.id, attempt)? {
            let options = serde_json::from_value(job.options.clone()).unwrap_or_default();
            return Ok(Some(Claimed {
                job,
                options,
                attempt,
                lease,
            }));
        }
        // Another worker started it between the read and the lock.
        lease.release(conn)?;
    }
    Ok(None)
}

/// What a sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Recovered {
    /// Put back into the queue.
    pub requeued: u64,
    /// Failed after [`MAX_ATTEMPTS`] runs.
    pub failed: u64,
}

/// Puts back into the queue the running jobs whose run is gone (the owner's apply lock is
/// free, or stale, or held for another plan), or fails them after [`MAX_ATTEMPTS`] runs.
pub fn recover(conn: &dyn Db) -> Result<Recovered, EngineError> {
    let mut done = Recovered::default();
    for job in jobs::in_state(conn, "running", 1024)? {
        if lease::holder(conn, &job.user)?.is_some_and(|h| h.plan_id == lock_key(&job)) {
            continue;
        }
        if job.attempts >= MAX_ATTEMPTS {
            let failed = jobs::finish(
                conn,
                job.id,
                job.attempts,
                "failed",
                None,
                Some(
                    "interrupted three times: the processes running it ended; start it again to resume",
                ),
            )?;
            done.failed += u64::from(failed);
        } else if jobs::requeue(conn, job.id, job.attempts)? {
            done.requeued += 1;
        }
    }
    Ok(done)
}

/// Runs claimed apply job `job` to its end and records how it ended, holding the lock until
/// the record is written.
pub async fn run_apply(
    conn: &mut dyn Conn,
    job: &Claimed,
    providers: &dyn Providers,
    progress: &JobProgress,
) -> Result<ApplyReport, EngineError> {
    let options = ApplyOptions {
        remove_empty_folders: job.options.remove_empty_folders,
        ..ApplyOptions::default()
    };
    let plan_id = job.job.plan_id.ok_or(EngineError::PlanNotFound(0))?;
    let result = apply::apply_holding(
        conn,
        &job.job.user,
        plan_id,
        &job.lease,
        providers,
        &options,
        progress,
    )
    .await;
    conclude(conn, job, progress, result, |r| r.cancelled)
}

/// Runs claimed restore job `job`: every trashed file of the plan back in place.
pub async fn run_restore(
    conn: &mut dyn Conn,
    job: &Claimed,
    providers: &dyn Providers,
    progress: &JobProgress,
) -> Result<RestoreReport, EngineError> {
    let plan_id = job.job.plan_id.ok_or(EngineError::PlanNotFound(0))?;
    let result = trash::restore_many(
        conn,
        &job.job.user,
        &RestoreSelection::Plan(plan_id),
        providers,
        progress,
        Some(&job.lease),
    )
    .await;
    conclude(conn, job, progress, result, |r| r.cancelled)
}

/// Runs claimed purge job `job`: everything in the owner's trash deleted for good.
pub async fn run_purge(
    conn: &mut dyn Conn,
    job: &Claimed,
    providers: &dyn Providers,
    progress: &JobProgress,
) -> Result<PurgeReport, EngineError> {
    let result = trash::purge_holding(conn, &job.job.user, &job.lease, providers, progress).await;
    conclude(conn, job, progress, result, |r| r.cancelled)
}

/// Runs claimed verification job `job`: the members of the owner's probable groups downloaded
/// and hashed, then the groups recomputed.
pub async fn run_verify(
    conn: &mut dyn Conn,
    job: &Claimed,
    providers: &dyn Providers,
    progress: &JobProgress,
) -> Result<VerifySummary, EngineError> {
    let options = VerifyOptions::default();
    let result = verify::verify_holding(
        conn,
        &job.job.user,
        &job.lease,
        providers,
        &options,
        progress,
    )
    .await;
    conclude(conn, job, progress, result, |r| r.cancelled)
}

/// Records how run `job` ended, then gives the owner's lock back (held until the record is
/// written), and hands the run's result on.
fn conclude<T: serde::Serialize>(
    conn: &dyn Db,
    job: &Claimed,
    progress: &JobProgress,
    result: Result<T, EngineError>,
    cancelled: impl FnOnce(&T) -> bool,
) -> Result<T, EngineError> {
    let cancelled = result.as_ref().is_ok_and(cancelled);
    let recorded = record(conn, job, progress, &result, cancelled);
    let released = job.lease.release(conn);
    recorded?;
    released?;
    result
}

fn record<T: serde::Serialize>(
    conn: &dyn Db,
    job: &Claimed,
    progress: &JobProgress,
    result: &Result<T, EngineError>,
    cancelled: bool,
) -> Result<(), EngineError> {
    progress.flush()?;
    let (id, attempt) = (job.job.id, job.attempt);
    let recorded = match result {
        Ok(report) => {
            let summary = serde_json::to_value(report).ok();
            let state = if cancelled { "cancelled" } else { "done" };
            jobs::finish(conn, id, attempt, state, summary.as_ref(), None)?
        }
        Err(e) => jobs::finish(conn, id, attempt, "failed", None, Some(&failure(e)))?,
    };
    if !recorded {
        tracing::warn!(
            job = id,
            attempt,
            "another run has the job now; this run's end is not recorded"
        );
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

/// A [`Progress`] that writes a job's counters to its row and reads its cancel flag, through
/// its own connection (the engine's is busy with the run).
pub struct JobProgress {
    job: i64,
    attempt: u32,
    conn: Mutex<Box<dyn Db + Send>>,
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
    /// Progress of run `attempt` of `job`, written through a new connection to the database
    /// at `path`.
    pub fn open(
        path: &Path,
        job: i64,
        attempt: u32,
        hook: Option<ItemHook>,
    ) -> Result<Self, DbError> {
        Ok(Self::with(
            Box::new(crate::db::open(path)?),
            job,
            attempt,
            hook,
        ))
    }

    /// Progress of run `attempt` of `job`, written through `conn` (a connection of its own,
    /// to either database).
    pub fn with(conn: Box<dyn Db + Send>, job: i64, attempt: u32, hook: Option<ItemHook>) -> Self {
        Self {
            job,
            attempt,
            conn: Mutex::new(conn),
            state: Mutex::new((Counters::default(), Instant::now())),
            hook,
        }
    }

    /// Writes the counters now.
    pub fn flush(&self) -> Result<(), DbError> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.1 = Instant::now();
        let conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        jobs::set_counters(&*conn, self.job, self.attempt, &state.0)
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
        jobs::cancel_requested(&*conn, self.job).unwrap_or_else(|error| {
            tracing::warn!(job = self.job, %error, "reading the cancel flag failed");
            false
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn plan(conn: &dyn Db, user: &UserId) -> Result<i64, Box<dyn std::error::Error>> {
        use platform_db::sql::DbExt as _;
        Ok(conn.insert_id(
            "INSERT INTO plans (user_id, created_at, rules, status, remove_count, bytes_reclaimed) \
             VALUES (?1, 0, 'newest', 'draft', 0, 0)",
            platform_db::vals![user.as_str()],
        )?)
    }

    fn state(conn: &dyn Db, user: &UserId, job: i64) -> Result<String, Box<dyn std::error::Error>> {
        Ok(jobs::get(conn, user, job)?.ok_or("job")?.state)
    }

    #[test]
    fn one_clean_up_per_owner_is_queued_and_one_worker_claims_it() -> TestResult {
        let mut conn = crate::db::open_in_memory()?;
        let user = "u".parse::<UserId>()?;
        let p = plan(&conn, &user)?;
        let job = enqueue(&mut conn, &user, JobKind::Apply, p, JobOptions::default())?;
        assert_eq!(state(&conn, &user, job)?, "queued");
        assert!(matches!(
            enqueue(&mut conn, &user, JobKind::Restore, p, JobOptions::default()),
            Err(EngineError::JobBusy(j)) if j == job
        ));
        // A worker that cannot reach the plan's sources leaves it.
        assert!(claim(&mut conn, &|_| false)?.is_none());
        let claimed = claim(&mut conn, &|_| true)?.ok_or("claimed")?;
        assert_eq!((claimed.job.id, claimed.attempt), (job, 1));
        assert_eq!(state(&conn, &user, job)?, "running");
        // Nothing else to claim; and a live run is left alone by the sweep.
        assert!(claim(&mut conn, &|_| true)?.is_none());
        assert_eq!(recover(&conn)?, Recovered::default());
        Ok(())
    }

    #[test]
    fn emptying_the_trash_is_a_clean_up_like_the_others() -> TestResult {
        let mut conn = crate::db::open_in_memory()?;
        let user = "u".parse::<UserId>()?;
        let p = plan(&conn, &user)?;
        let job = enqueue_unplanned(&mut conn, &user, JobKind::Purge)?;
        assert_eq!(state(&conn, &user, job)?, "queued");
        // One clean-up per owner, whichever kind comes first.
        assert!(matches!(
            enqueue(&mut conn, &user, JobKind::Restore, p, JobOptions::default()),
            Err(EngineError::JobBusy(j)) if j == job
        ));
        let claimed = claim(&mut conn, &|_| true)?.ok_or("claimed")?;
        assert_eq!(
            (claimed.job.kind, claimed.job.plan_id),
            (JobKind::Purge, None)
        );
        // While it runs, a purge or restore of a selection waits for it, and the sweep
        // leaves it alone.
        assert!(matches!(
            Lease::acquire(&mut conn, &user, lease::TRASH),
            Err(EngineError::ApplyBusy { .. })
        ));
        assert_eq!(recover(&conn)?, Recovered::default());
        assert_eq!(state(&conn, &user, job)?, "running");
        // Its process gone, it is queued again like any job.
        claimed.lease.release(&conn)?;
        assert_eq!(recover(&conn)?.requeued, 1);
        Ok(())
    }

    #[test]
    fn a_verification_is_claimed_only_where_its_files_are_reachable() -> TestResult {
        let mut conn = crate::db::open_in_memory()?;
        let user = "u".parse::<UserId>()?;
        conn.execute_batch(
            "INSERT INTO files (id, user_id, source, provider, item_id, name, path, size, \
                                modified_ns) \
             VALUES (1, 'u', 'gdrive:', 'gdrive', 'g1', 'a.txt', '/a.txt', 5, 0), \
                    (2, 'u', 'onedrive:', 'onedrive', 'o1', 'a.txt', '/a.txt', 5, 0); \
             INSERT INTO dup_groups (id, user_id, confidence, size, computed_at) \
             VALUES (1, 'u', 'probable', 5, 0); \
             INSERT INTO dup_group_files (group_id, file_id) VALUES (1, 1), (1, 2);",
        )?;
        let job = enqueue_unplanned(&mut conn, &user, JobKind::Verify)?;
        // An instance without Google Drive configured leaves it to another.
        assert!(claim(&mut conn, &|s| !s.contains(&Source::GDrive))?.is_none());
        assert_eq!(state(&conn, &user, job)?, "queued");
        let claimed = claim(&mut conn, &|s| {
            s.contains(&Source::GDrive) && s.contains(&Source::OneDrive)
        })?
        .ok_or("claimed")?;
        assert_eq!(
            (claimed.job.kind, claimed.job.plan_id),
            (JobKind::Verify, None)
        );
        let holder = lease::holder(&conn, &user)?.ok_or("held")?;
        assert_eq!(holder.plan_id, lease::VERIFY);
        assert_eq!(
            recover(&conn)?,
            Recovered::default(),
            "a live run is left alone"
        );
        Ok(())
    }
}
