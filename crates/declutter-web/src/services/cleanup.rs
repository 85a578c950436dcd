//! Clean-up jobs and the trash, for the web app: apply, whole-plan restore, emptying the trash
//! and verifying likely matches queue a job and return at once; workers (in every `declutter serve` unless it runs with `--no-worker`, and
//! in `declutter worker`) claim the jobs whose plan's sources they reach, run them on the
//! blocking pool with their own engine connection, and write progress to the `jobs` table,
//! which every page and API call reads. A run whose process is gone is queued again by the
//! sweep and resumed by the next worker. Selections of the trash (a page at most) are restored
//! or purged within the request, under the owner's apply lock like the jobs.
//!
//! Everything goes through the engine (`declutter_core::engine::{jobs, trash}`): the apply
//! lock, the claims checked inside each removal's transaction, the confinement of every local
//! path. Nothing here issues SQL against the engine's tables.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use declutter_core::engine::EngineError;
use declutter_core::engine::jobs::{self, Claimed, ItemHook, JobOptions, JobProgress, Recovered};
use declutter_core::engine::trash::{
    self, PurgeReport, PurgeSelection, RestoreReport, RestoreSelection,
};
use declutter_core::ids::Source;
use declutter_core::ids::UserId;
use declutter_core::progress::NoProgress;
use declutter_core::store::jobs::{Job, JobKind};
use declutter_core::store::trash::{self as store_trash, TrashEntry};
use platform_db::sql::AnyPool;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::error::ApiError;
use crate::work::WebProviders;

/// Most entries one request restores or purges by id (a page of the trash is 100): more
/// would hold the request past a second.
pub const MAX_SELECTION: usize = 500;

/// Builds the providers of one account (local folders re-confined, that account's drives).
pub type ProvidersFor = Arc<dyn Fn(&str) -> WebProviders + Send + Sync>;

/// The handle the clean-up handlers take (`FromRef` of the app state).
#[derive(Clone)]
pub struct Cleanup {
    /// The shared pool, for short reads and writes.
    pub pool: AnyPool,
    /// The database file, for the engine's own connections.
    pub db: crate::work::EngineDb,
    /// Providers per account.
    pub providers: ProvidersFor,
    /// Test hook run after each item of a job.
    pub hook: Hook,
    /// This instance's allow-listed roots: the local folders it can clean up.
    pub roots: Arc<[PathBuf]>,
    /// Whether this instance has the cloud provider (`onedrive`, `gdrive`) configured.
    pub cloud: Arc<dyn Fn(&str) -> bool + Send + Sync>,
    /// Wakes this instance's idle workers when a job is queued here.
    pub wake: Arc<Notify>,
    /// This instance's clean-up workers still running.
    pub alive: Arc<AtomicUsize>,
}

/// How often a worker with nothing to do looks for jobs queued by other instances (jobs
/// queued by its own instance wake it at once).
const POLL: Duration = Duration::from_secs(2);

/// A hook run after each item of a clean-up job with the count done so far (tests hold a job
/// between two items with it); none in production.
#[derive(Clone, Default)]
pub struct Hook(pub Option<ItemHook>);

impl std::fmt::Debug for Hook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Hook(set)"
        } else {
            "Hook(none)"
        })
    }
}

impl std::fmt::Debug for Cleanup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cleanup")
            .field("db", &self.db)
            .finish_non_exhaustive()
    }
}

/// How a job's run ended, for the log (and the audit log, for a purge).
enum Ended {
    /// Files moved (trashed or restored), or downloaded and hashed (verified).
    Moved(u64),
    /// What emptying the trash did.
    Purged(PurgeReport),
}

/// One page of the trash and what the whole trash holds.
#[derive(Debug, Clone)]
pub struct TrashPage {
    /// Entries of this page, newest first.
    pub entries: Vec<TrashEntry>,
    /// Entries in the whole trash.
    pub count: u64,
    /// Bytes the whole trash holds on the disks and drives.
    pub bytes: u64,
    /// The plans whose files are in the trash, newest first (undo buttons).
    pub plans: Vec<store_trash::PlanInTrash>,
}

/// Plans listed with an undo button on the trash page.
const PLANS_LISTED: u64 = 20;

/// Entries of one trash page.
pub const PAGE_SIZE: u64 = 100;

impl Cleanup {
    /// Queues applying plan `plan` for `user`, then (with `remove_empty_folders`) removing the
    /// local folders it left empty; returns the job id at once.
    pub async fn start_apply(
        &self,
        user: &UserId,
        plan: i64,
        remove_empty_folders: bool,
    ) -> Result<i64, ApiError> {
        self.enqueue(
            user,
            JobKind::Apply,
            plan,
            JobOptions {
                remove_empty_folders,
            },
        )
        .await
    }

    /// Queues putting back everything plan `plan` moved to the trash; returns the job id.
    pub async fn start_restore(&self, user: &UserId, plan: i64) -> Result<i64, ApiError> {
        self.enqueue(user, JobKind::Restore, plan, JobOptions::default())
            .await
    }

    /// Queues a clean-up of `user` that has no plan: emptying the trash ("free space now",
    /// [`JobKind::Purge`]) or verifying likely matches ([`JobKind::Verify`]); returns the job
    /// id at once.
    pub async fn start_unplanned(&self, user: &UserId, kind: JobKind) -> Result<i64, ApiError> {
        let owner = user.clone();
        let job = self
            .pool
            .write(move |c| jobs::enqueue_unplanned(c, &owner, kind))
            .await??;
        self.wake.notify_one();
        Ok(job)
    }

    /// Queues a job in the request: a second clean-up of the account is refused now (409).
    async fn enqueue(
        &self,
        user: &UserId,
        kind: JobKind,
        plan: i64,
        options: JobOptions,
    ) -> Result<i64, ApiError> {
        let owner = user.clone();
        let job = self
            .pool
            .write(move |c| jobs::enqueue(c, &owner, kind, plan, options))
            .await??;
        self.wake.notify_one();
        Ok(job)
    }

    /// Puts back into the queue the jobs whose run is gone (failed after three runs).
    pub async fn recover(&self) -> Result<Recovered, ApiError> {
        Ok(self.pool.write(|c| jobs::recover(c)).await??)
    }

    /// Starts `n` workers; abort the handles to stop them (a job cut off this way is queued
    /// again by the next sweep of any instance, once this process has ended).
    pub fn spawn_workers(&self, n: usize) -> Vec<JoinHandle<()>> {
        super::spawn_workers(n, &self.alive, || self.clone().work())
    }

    /// How many of this instance's clean-up workers are running.
    pub fn workers_alive(&self) -> usize {
        self.alive.load(Ordering::Relaxed)
    }

    async fn work(self) {
        super::run_worker(
            "clean-up",
            &self.wake,
            POLL,
            || self.claim(),
            |job| self.run_job(job),
        )
        .await;
    }

    /// The oldest queued clean-up this instance can run, now its own.
    async fn claim(&self) -> Result<Option<Claimed>, String> {
        let me = self.clone();
        self.pool
            .write(move |c| jobs::claim(c, &|sources| me.runnable(sources)))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())
    }

    /// Whether this instance reaches every source of a job (a plan's, or those with files in
    /// the trash): each local folder under one of its roots, each drive's provider configured.
    fn runnable(&self, sources: &[Source]) -> bool {
        sources.iter().all(|s| match s {
            Source::Local(folder) => super::mounted(&self.roots, folder),
            Source::OneDrive => (self.cloud)("onedrive"),
            Source::GDrive => (self.cloud)("gdrive"),
        })
    }

    /// Runs a claimed job on the blocking pool to its end; the engine records how it ended in
    /// its row (and gives the owner's lock back), and it is logged here.
    async fn run_job(&self, job: Claimed) {
        let (id, attempt) = (job.job.id, job.attempt);
        let owner = job.job.user.clone();
        tracing::info!(job = id, attempt, "clean-up job started");
        let providers = (self.providers)(job.job.user.as_str());
        let (db, hook) = (self.db.clone(), self.hook.0.clone());
        let rt = tokio::runtime::Handle::current();
        let ran = tokio::task::spawn_blocking(move || -> Result<Ended, EngineError> {
            let opened = db.open().and_then(|conn| {
                let progress: Box<dyn platform_db::sql::Db + Send> = db.open()?;
                Ok((conn, JobProgress::with(progress, id, attempt, hook)))
            });
            let (mut conn, progress) = match opened {
                Ok(opened) => opened,
                Err(e) => {
                    // Nothing ran: the lock goes back now, and the sweep queues the job again.
                    if let Ok(conn) = db.open() {
                        job.lease.release(&*conn)?;
                    }
                    return Err(e.into());
                }
            };
            Ok(match job.job.kind {
                JobKind::Apply => Ended::Moved(
                    rt.block_on(jobs::run_apply(&mut *conn, &job, &providers, &progress))?
                        .trashed,
                ),
                JobKind::Restore => Ended::Moved(
                    rt.block_on(jobs::run_restore(&mut *conn, &job, &providers, &progress))?
                        .restored,
                ),
                JobKind::Verify => Ended::Moved(
                    rt.block_on(jobs::run_verify(&mut *conn, &job, &providers, &progress))?
                        .checked,
                ),
                JobKind::Purge => Ended::Purged(
                    rt.block_on(jobs::run_purge(&mut *conn, &job, &providers, &progress))?,
                ),
            })
        })
        .await;
        match ran {
            Ok(Ok(Ended::Moved(items))) => tracing::info!(job = id, items, "clean-up job ended"),
            Ok(Ok(Ended::Purged(report))) => {
                tracing::info!(job = id, items = report.purged, "clean-up job ended");
                let mut detail = format!(
                    "job {id}: {} files, {}",
                    report.purged,
                    crate::pages::human(report.bytes)
                );
                if !report.failed.is_empty() {
                    detail.push_str(&format!(", {} left in the trash", report.failed.len()));
                }
                let audited = self
                    .audit_owner(&owner, "trash.purged", Some("all".into()), detail)
                    .await;
                if let Err(error) = audited {
                    tracing::warn!(job = id, %error, "writing the purge into the audit log failed");
                }
            }
            Ok(Err(error)) => tracing::warn!(job = id, %error, "clean-up job failed"),
            Err(error) => tracing::warn!(job = id, %error, "clean-up job panicked"),
        }
    }

    /// Writes what a worker did into the owner's own audit log, as done on their behalf.
    async fn audit_owner(
        &self,
        owner: &UserId,
        action: &str,
        target: Option<String>,
        detail: String,
    ) -> Result<(), ApiError> {
        let entry = crate::db::audit::Entry {
            actor_id: Some(owner.as_str().to_owned()),
            action: action.into(),
            target,
            detail: Some(detail),
            ..crate::db::audit::Entry::default()
        };
        self.pool
            .write(move |c| crate::db::audit::append(c, &entry))
            .await??;
        Ok(())
    }

    /// Purges the trash entries whose retention is over, owner by owner, in the sources this
    /// instance reaches; an owner whose apply lock is held (an apply or an undo running) is
    /// left for the next sweep. Each purge is in the audit log.
    pub async fn sweep_retention(&self) -> Result<(), ApiError> {
        let owners = self
            .pool
            .read(|c| store_trash::owners_with_expired(c, declutter_core::db::now()))
            .await??;
        for owner in owners {
            let me = self.clone();
            let user = owner.clone();
            let swept = self
                .run(&owner, move |conn, rt, providers| {
                    rt.block_on(trash::sweep_expired(
                        conn,
                        &user,
                        &|s| me.runnable(std::slice::from_ref(s)),
                        providers,
                    ))
                })
                .await?;
            let Some(report) = swept else { continue };
            for (path, reason) in &report.failed {
                tracing::warn!(
                    user = owner.as_str(),
                    path,
                    reason,
                    "an expired trash entry was not purged; the next sweep tries again"
                );
            }
            if report.purged == 0 {
                continue;
            }
            tracing::info!(
                user = owner.as_str(),
                purged = report.purged,
                bytes = report.bytes,
                "trash entries past their retention purged"
            );
            let detail = format!(
                "{} files, {}",
                report.purged,
                crate::pages::human(report.bytes)
            );
            self.audit_owner(&owner, "trash.retention_purged", None, detail)
                .await?;
        }
        Ok(())
    }

    /// Stores a draft plan removing `user`'s indexed files `ids` one by one (the clutter
    /// report's); duplicates and files kept for another plan are left out, with the reason.
    pub async fn plan_singles(
        &self,
        user: &UserId,
        ids: Vec<i64>,
    ) -> Result<declutter_core::engine::clutter::ClutterPlan, ApiError> {
        let owner = user.clone();
        Ok(self
            .pool
            .write(move |c| declutter_core::engine::clutter::build(c, &owner, &ids))
            .await??)
    }

    /// Job `id` of `user`.
    pub async fn job(&self, user: &UserId, id: i64) -> Result<Job, ApiError> {
        let owner = user.clone();
        self.pool
            .read(move |c| declutter_core::store::jobs::get(c, &owner, id))
            .await??
            .ok_or(ApiError::NotFound)
    }

    /// Asks job `id` of `user` to stop before its next item; the job as it is now.
    pub async fn cancel(&self, user: &UserId, id: i64) -> Result<Job, ApiError> {
        let owner = user.clone();
        self.pool
            .write(move |c| declutter_core::store::jobs::request_cancel(c, &owner, id))
            .await??;
        self.job(user, id).await
    }

    /// Page `page` (from 1) of `user`'s trash, with its totals.
    pub async fn trash_page(&self, user: &UserId, page: u64) -> Result<TrashPage, ApiError> {
        let owner = user.clone();
        let offset = page.saturating_sub(1).saturating_mul(PAGE_SIZE);
        Ok(self
            .pool
            .read(move |c| -> Result<_, EngineError> {
                let (count, bytes) = store_trash::totals(c, &owner)?;
                let entries = store_trash::page(c, &owner, offset, PAGE_SIZE)?;
                let plans = store_trash::plans_in_trash(c, &owner, PLANS_LISTED)?;
                Ok(TrashPage {
                    entries,
                    count,
                    bytes,
                    plans,
                })
            })
            .await??)
    }

    /// Restores the entries `ids` of `user`; conflicts and refusals are in the report.
    pub async fn restore(&self, user: &UserId, ids: Vec<i64>) -> Result<RestoreReport, ApiError> {
        bounded(&ids)?;
        let owner = user.clone();
        self.run(user, move |conn, rt, providers| {
            rt.block_on(trash::restore_many(
                conn,
                &owner,
                &RestoreSelection::Ids(ids),
                providers,
                &NoProgress,
                None,
            ))
        })
        .await
    }

    /// Deletes for good the `selection` of `user`'s trash; the entries purged.
    pub async fn purge(
        &self,
        user: &UserId,
        selection: PurgeSelection,
    ) -> Result<Vec<TrashEntry>, ApiError> {
        if let PurgeSelection::Ids(ids) = &selection {
            bounded(ids)?;
        }
        let owner = user.clone();
        self.run(user, move |conn, rt, providers| {
            rt.block_on(trash::purge(conn, &owner, &selection, providers))
        })
        .await
    }

    /// Runs `f` on the blocking pool with a fresh engine connection and `user`'s providers.
    async fn run<T, F>(&self, user: &UserId, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(
                &mut dyn platform_db::sql::Conn,
                &tokio::runtime::Handle,
                &WebProviders,
            ) -> Result<T, EngineError>
            + Send
            + 'static,
    {
        let db = self.db.clone();
        let providers = (self.providers)(user.as_str());
        let rt = tokio::runtime::Handle::current();
        Ok(
            tokio::task::spawn_blocking(move || -> Result<T, EngineError> {
                let mut conn = db.open()?;
                f(&mut *conn, &rt, &providers)
            })
            .await??,
        )
    }
}

fn bounded(ids: &[i64]) -> Result<(), ApiError> {
    if ids.is_empty() {
        return Err(ApiError::Invalid("choose at least one file".into()));
    }
    if ids.len() > MAX_SELECTION {
        return Err(ApiError::Invalid(format!(
            "at most {MAX_SELECTION} files at a time; restore a whole plan, or purge everything, instead"
        )));
    }
    Ok(())
}
