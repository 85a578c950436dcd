//! Scans, for the web app. A request queues one (the [`ScanQueue`]) and returns; workers (in every
//! `declutter serve` unless it runs with `--no-worker`, and in `declutter worker`) claim the
//! queued jobs they can run, scan on the blocking pool with their own engine connection, write
//! life and progress to the job's row about once a second, and record the outcome. A worker
//! only claims a local folder under one of its own allow-listed roots (the folder is mounted
//! there), and a cloud scan only when its provider is configured.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use declutter_core::engine::{self, EngineError, Providers as _};
use declutter_core::ids::{ProviderKind, Source};
use declutter_core::local::WalkOptions;
use platform_db::sql::AnyPool;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use super::cleanup::ProvidersFor;
use crate::db::scan_jobs::{Claimed, Enqueued, Job, Recovered, ScanProgress, ScanQueue, Target};
use crate::db::{self, DbError};
use crate::error::ApiError;
use crate::local_roots::confine;
use crate::work::Live;

/// How often a worker with nothing to do looks for jobs queued by other instances (jobs
/// queued by its own instance wake it at once).
const POLL: Duration = Duration::from_secs(2);
/// How often a running scan writes its progress and shows life (the lease is 120 s).
const BEAT: Duration = Duration::from_secs(1);

/// The handle the scan handlers and workers take (`FromRef` of the app state).
#[derive(Clone)]
pub struct Scans {
    /// The queue's storage.
    pub queue: Arc<dyn ScanQueue>,
    /// The shared pool, for the jobs' sources.
    pub pool: AnyPool,
    /// The database file, for the engine's own connections.
    pub db: crate::work::EngineDb,
    /// This instance's allow-listed roots: the local folders it can scan.
    pub roots: Arc<[PathBuf]>,
    /// Providers per account.
    pub providers: ProvidersFor,
    /// Whether this instance has the cloud provider (`onedrive`, `gdrive`) configured.
    pub cloud: Arc<dyn Fn(&str) -> bool + Send + Sync>,
    /// Wakes this instance's idle workers when a job is queued here.
    pub wake: Arc<Notify>,
    /// This instance's workers still running (readiness compares it with those started).
    pub alive: Arc<AtomicUsize>,
}

impl Scans {
    /// Queues a scan of `user`'s `target`: not found when it is not theirs, a conflict when
    /// one is already queued or running.
    pub async fn enqueue(&self, user: &str, target: Target) -> Result<i64, ApiError> {
        match self.queue.enqueue(user, target).await? {
            Enqueued::Queued(job) => {
                self.wake.notify_one();
                Ok(job)
            }
            Enqueued::Busy => Err(ApiError::Conflict(
                "a scan of this source is already queued or running".into(),
            )),
            Enqueued::NotFound => Err(ApiError::NotFound),
        }
    }

    /// Job `id` of `user` and its progress while it runs.
    pub async fn status(
        &self,
        user: &str,
        id: i64,
    ) -> Result<(Job, Option<ScanProgress>), ApiError> {
        self.queue.job(user, id).await?.ok_or(ApiError::NotFound)
    }

    /// Puts back into the queue the jobs whose runner is gone.
    pub async fn recover(&self) -> Result<Recovered, ApiError> {
        Ok(self.queue.recover().await?)
    }

    /// Starts `n` workers; abort the handles to stop them (a scan cut off this way is put back
    /// into the queue by the next sweep of any instance, once this process has ended).
    pub fn spawn_workers(&self, n: usize) -> Vec<JoinHandle<()>> {
        super::spawn_workers(n, &self.alive, || self.clone().work())
    }

    /// How many of this instance's workers are running, and whether the queue can be read.
    pub async fn health(&self) -> (usize, bool) {
        let readable = self.queue.queued().await.is_ok();
        (self.alive.load(Ordering::Relaxed), readable)
    }

    async fn work(self) {
        super::run_worker(
            "scan",
            &self.wake,
            POLL,
            || self.claim(),
            |job| self.run(job),
        )
        .await;
    }

    /// The oldest queued scan this instance can run, now its own.
    async fn claim(&self) -> Result<Option<Claimed>, String> {
        let me = self.clone();
        self.queue
            .claim(Arc::new(move |j| me.runnable(j)))
            .await
            .map_err(|e| e.to_string())
    }

    /// Whether this instance can run `job`: a local folder under one of its roots, or a drive
    /// whose provider it has configured.
    fn runnable(&self, job: &Claimed) -> bool {
        match job.target {
            Target::Local(_) => job
                .path
                .as_deref()
                .is_some_and(|p| super::mounted(&self.roots, Path::new(p))),
            Target::Drive(_) => job.provider.as_deref().is_some_and(|p| (self.cloud)(p)),
        }
    }

    /// Runs one claimed job to its end, writing progress and life while it runs.
    async fn run(&self, job: Claimed) {
        let (id, attempt) = (job.id, job.attempt);
        tracing::info!(job = id, attempt, "scan started");
        let live = Arc::new(Live::default());
        let beat = {
            let (queue, live) = (Arc::clone(&self.queue), Arc::clone(&live));
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(BEAT);
                loop {
                    tick.tick().await;
                    let progress = live.view();
                    match queue.beat(id, attempt, &progress).await {
                        Ok(true) => {}
                        Ok(false) => {
                            tracing::warn!(job = id, "the scan was taken over; it ends unrecorded");
                            return;
                        }
                        Err(error) => tracing::warn!(job = id, %error, "recording progress failed"),
                    }
                }
            })
        };
        let result = self.scan(job, live).await;
        beat.abort();
        let summary = match result {
            Ok(s) => Some((
                s.scan_id,
                i64::try_from(s.indexed).unwrap_or(i64::MAX),
                i64::try_from(s.issues.len()).unwrap_or(i64::MAX),
            )),
            Err(error) => {
                tracing::warn!(job = id, %error, "scan failed");
                None
            }
        };
        match self.queue.finish(id, attempt, summary).await {
            Ok(true) => tracing::info!(job = id, "scan ended"),
            Ok(false) => {
                tracing::warn!(job = id, "the scan was taken over; its end is not recorded")
            }
            Err(error) => tracing::warn!(job = id, %error, "recording the scan's end failed"),
        }
    }

    /// Scans what `job` names, as its owner.
    async fn scan(
        &self,
        job: Claimed,
        live: Arc<Live>,
    ) -> Result<engine::scan::ScanSummary, ScanFailed> {
        let owner: declutter_core::ids::UserId =
            job.user_id.parse().map_err(|_| ScanFailed::Owner)?;
        let source = self.resolve(&job).await?;
        let providers = (self.providers)(&job.user_id);
        let roots = Arc::clone(&self.roots);
        let path = self.db.clone();
        let rt = tokio::runtime::Handle::current();
        Ok(
            tokio::task::spawn_blocking(move || -> Result<_, EngineError> {
                let mut conn = path.open()?;
                let progress: Arc<dyn declutter_core::progress::Progress> = live;
                match source {
                    Source::Local(folder) => {
                        // Re-checked now: the folder may have been swapped for a symlink since it
                        // was added.
                        let root = confine(&roots, &folder)
                            .map_err(|e| EngineError::NotConfigured(e.to_string()))?;
                        rt.block_on(engine::scan::scan_local(
                            &mut *conn,
                            &owner,
                            &root,
                            WalkOptions::default(),
                            progress,
                        ))
                    }
                    drive => {
                        // Cloud listings report no per-item progress; the phase says what happens.
                        progress.phase("listing", None);
                        let provider = providers.provider(&drive)?;
                        rt.block_on(engine::scan::scan(
                            &mut *conn,
                            &owner,
                            &drive,
                            provider.as_ref(),
                        ))
                    }
                }
            })
            .await??,
        )
    }

    /// The source a job names, read again now (it may have been removed since it was queued).
    async fn resolve(&self, job: &Claimed) -> Result<Source, ScanFailed> {
        let (user, target) = (job.user_id.clone(), job.target);
        let found = self
            .pool
            .read(move |c| -> Result<Option<Source>, DbError> {
                Ok(match target {
                    Target::Local(id) => {
                        db::sources::get(c, &user, id)?.map(|s| Source::Local(s.path.into()))
                    }
                    Target::Drive(id) => db::connections::list(c, &user)?
                        .into_iter()
                        .find(|k| k.id == id)
                        .and_then(|k| k.provider.parse::<ProviderKind>().ok())
                        .and_then(Source::drive),
                })
            })
            .await
            .map_err(DbError::from)??;
        found.ok_or(ScanFailed::Gone)
    }
}

/// Why a scan ended without a result (logged; the job's row says `failed`).
#[derive(Debug, thiserror::Error)]
enum ScanFailed {
    /// The engine refused or failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// Reading the job's source failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The scan's blocking task ended abnormally.
    #[error("the scan's task ended: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// The source or connection was removed after the job was queued.
    #[error("the source is gone")]
    Gone,
    /// The job's owner is not an engine owner id.
    #[error("the job's owner is not a valid owner id")]
    Owner,
}
