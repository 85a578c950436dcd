//! Clean-up jobs and the trash, for the web app: apply and whole-plan restore start a job and
//! return at once; the engine runs it on the blocking pool with its own connection and writes
//! its progress to the `jobs` table, which every page and API call reads. Selections of the
//! trash (a page at most) are restored or purged within the request.
//!
//! Everything goes through the engine (`declutter_core::engine::{jobs, trash}`): the apply
//! lock, the claims checked inside each removal's transaction, the confinement of every local
//! path. Nothing here issues SQL against the engine's tables.

use std::path::PathBuf;
use std::sync::Arc;

use declutter_core::engine::EngineError;
use declutter_core::engine::apply::{ApplyOptions, ApplyReport};
use declutter_core::engine::jobs::{self, ItemHook, JobProgress};
use declutter_core::engine::lease::Lease;
use declutter_core::engine::trash::{self, PurgeSelection, RestoreReport, RestoreSelection};
use declutter_core::ids::UserId;
use declutter_core::platform_db::rusqlite::Connection;
use declutter_core::progress::NoProgress;
use declutter_core::store::jobs::{Job, JobKind};
use declutter_core::store::trash::{self as store_trash, TrashEntry};
use platform_db::Pool;

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
    pub pool: Pool,
    /// The database file, for the engine's own connections.
    pub db: PathBuf,
    /// Providers per account.
    pub providers: ProvidersFor,
    /// Test hook run after each item of a job.
    pub hook: Hook,
}

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

/// A started job and what its run needs.
struct Ready {
    job: i64,
    lease: Lease,
    conn: Connection,
    progress: JobProgress,
}

/// Entries of one trash page.
pub const PAGE_SIZE: u64 = 100;

impl Cleanup {
    /// Starts applying plan `plan` for `user`, then (with `remove_empty_folders`) removing the
    /// local folders it left empty; returns the job id at once.
    pub async fn start_apply(
        &self,
        user: &UserId,
        plan: i64,
        remove_empty_folders: bool,
    ) -> Result<i64, ApiError> {
        let ready = self.begin(user, JobKind::Apply, plan).await?;
        let (job, owner) = (ready.job, user.clone());
        self.spawn(user, ready, move |conn, rt, providers, progress, lease| {
            rt.block_on(jobs::run_apply(
                conn,
                &owner,
                job,
                plan,
                lease,
                providers,
                &ApplyOptions {
                    remove_empty_folders,
                    ..ApplyOptions::default()
                },
                progress,
            ))
            .map(|r: ApplyReport| r.trashed)
        });
        Ok(job)
    }

    /// Starts putting back everything plan `plan` moved to the trash; returns the job id.
    pub async fn start_restore(&self, user: &UserId, plan: i64) -> Result<i64, ApiError> {
        let ready = self.begin(user, JobKind::Restore, plan).await?;
        let (job, owner) = (ready.job, user.clone());
        self.spawn(user, ready, move |conn, rt, providers, progress, lease| {
            rt.block_on(jobs::run_restore(
                conn, &owner, job, plan, lease, providers, progress,
            ))
            .map(|r: RestoreReport| r.restored)
        });
        Ok(job)
    }

    /// Takes the owner's apply lock, records the job and opens what its run needs, in the
    /// request: a second clean-up of the account is refused now (409), and a run that could
    /// not start gives its lock back at once instead of holding it until a restart.
    async fn begin(&self, user: &UserId, kind: JobKind, plan: i64) -> Result<Ready, ApiError> {
        let (owner, db, hook) = (user.clone(), self.db.clone(), self.hook.0.clone());
        Ok(self
            .pool
            .write(move |c| -> Result<Ready, EngineError> {
                let (job, lease) = jobs::begin(c, &owner, kind, plan)?;
                let opened = declutter_core::db::open(&db)
                    .and_then(|conn| Ok((conn, JobProgress::open(&db, job, hook)?)));
                match opened {
                    Ok((conn, progress)) => Ok(Ready {
                        job,
                        lease,
                        conn,
                        progress,
                    }),
                    Err(e) => {
                        lease.release(c)?;
                        declutter_core::store::jobs::finish(
                            c,
                            job,
                            "failed",
                            None,
                            Some("the job could not start; try again"),
                        )?;
                        Err(e.into())
                    }
                }
            })
            .await??)
    }

    /// Runs a started job on the blocking pool; its end (or failure) is recorded in its row by
    /// the engine, and logged here.
    fn spawn<F>(&self, user: &UserId, ready: Ready, f: F)
    where
        F: FnOnce(
                &mut Connection,
                &tokio::runtime::Handle,
                &WebProviders,
                &JobProgress,
                Lease,
            ) -> Result<u64, EngineError>
            + Send
            + 'static,
    {
        let providers = (self.providers)(user.as_str());
        let rt = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || {
            let Ready {
                job,
                lease,
                mut conn,
                progress,
            } = ready;
            match f(&mut conn, &rt, &providers, &progress, lease) {
                Ok(items) => tracing::info!(job, items, "clean-up job ended"),
                Err(error) => tracing::warn!(job, %error, "clean-up job failed"),
            }
        });
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
                &mut Connection,
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
                let mut conn = declutter_core::db::open(&db)?;
                f(&mut conn, &rt, &providers)
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
