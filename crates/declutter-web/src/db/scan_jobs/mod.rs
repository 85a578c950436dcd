//! Scan jobs as a queue of rows that any instance's workers claim. A request leaves a `queued`
//! row; a worker takes it (no two take one job) and records which process it is; while it
//! runs, it shows life and progress in the row; a sweep puts back a job whose runner is gone.
//! Every write by a runner names the attempt it holds, so a runner presumed gone cannot
//! overwrite the run that replaced it.
//!
//! [`ScanQueue`] is the queue's storage, one implementation per database: [`SqliteQueue`]
//! (immediate transactions on the shared file) and [`PgQueue`] (row locks: a claim skips the
//! rows another worker is claiming, `FOR UPDATE SKIP LOCKED`). The conformance suite
//! (`tests/it/scan_queue.rs`) runs the same cases against both.

mod pg;
mod sqlite;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use declutter_core::engine::lease::Runner;
use serde::Serialize;

pub use self::pg::PgQueue;
pub use self::sqlite::SqliteQueue;
use super::DbError;

/// The queue over `pool`'s database.
pub fn for_pool(pool: &platform_db::sql::AnyPool) -> Arc<dyn ScanQueue> {
    use platform_db::sql::AnyPool;
    match pool {
        AnyPool::Sqlite(p) => Arc::new(SqliteQueue::new(p.clone())),
        AnyPool::Postgres(p) => Arc::new(PgQueue::new(p.blocking().pool().clone())),
    }
}

/// Runs of one job before it is failed for good (a scan that kills its worker each time).
pub const MAX_ATTEMPTS: i64 = 3;
/// Queued jobs looked at per claim, oldest first (jobs this worker cannot run are skipped).
pub(crate) const CLAIM_WINDOW: i64 = 64;

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

/// What a sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Recovered {
    /// Jobs put back into the queue for another worker.
    pub requeued: usize,
    /// Jobs failed for good (run [`MAX_ATTEMPTS`] times, or from before runners were kept).
    pub failed: usize,
}

/// Whether this worker can run a job (for example, a local folder under one of its roots).
pub type Runnable = Arc<dyn Fn(&Claimed) -> bool + Send + Sync>;

/// A boxed future of the queue's storage, so the queue can be chosen at start.
pub type Fut<'a, T> = Pin<Box<dyn Future<Output = Result<T, DbError>> + Send + 'a>>;

/// The scan queue's storage: what the handlers, the workers and the sweep do with it.
pub trait ScanQueue: Send + Sync + std::fmt::Debug {
    /// Queues a scan of `target` for `user`, atomically with the checks that the target is
    /// theirs and has no scan queued or running.
    fn enqueue<'a>(&'a self, user: &'a str, target: Target) -> Fut<'a, Enqueued>;

    /// Jobs waiting for a worker (readiness reads it).
    fn queued(&self) -> Fut<'_, u64>;

    /// Takes the oldest queued job among the next [`CLAIM_WINDOW`] that `runnable` accepts and
    /// marks it running by this process; `None` when there is none. Two workers never take
    /// one job.
    fn claim(&self, runnable: Runnable) -> Fut<'_, Option<Claimed>>;

    /// Shows that run `attempt` of job `id` is alive, with its progress; `false` when the job
    /// is no longer this run's (a sweep presumed it gone and the job moved on).
    fn beat<'a>(&'a self, id: i64, attempt: i64, progress: &'a ScanProgress) -> Fut<'a, bool>;

    /// Records the end of run `attempt` of job `id`; `summary` is `(scan_id, indexed,
    /// issues)` on success. `false` (and nothing written) when the job is no longer this run's.
    fn finish(&self, id: i64, attempt: i64, summary: Option<(i64, i64, i64)>) -> Fut<'_, bool>;

    /// Puts back into the queue the running jobs whose run is gone (its process on this
    /// machine ended, or elsewhere it has not shown life for the lease), or fails them after
    /// [`MAX_ATTEMPTS`] runs. A job another live process runs is left alone.
    fn recover(&self) -> Fut<'_, Recovered>;

    /// One of the owner's jobs, with its progress while it runs.
    fn job<'a>(&'a self, user: &'a str, id: i64) -> Fut<'a, Option<(Job, Option<ScanProgress>)>>;
}

/// What a sweep does with one running job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// Its run is alive.
    Keep,
    /// Its run is gone; another may run it.
    Requeue,
    /// Its run is gone and it has had its runs (or it predates runners being recorded).
    Fail,
}

/// The sweep's rule for a running job last seen alive at `seen_at`, at `t`.
fn verdict(runner: Option<&Runner>, seen_at: i64, attempts: i64, t: i64) -> Verdict {
    match runner {
        Some(r) if !r.gone(seen_at, t) => Verdict::Keep,
        Some(_) if attempts < MAX_ATTEMPTS => Verdict::Requeue,
        _ => Verdict::Fail,
    }
}

/// The target's two columns: `(source_id, connection_id)`.
fn columns(target: Target) -> (Option<i64>, Option<i64>) {
    match target {
        Target::Local(id) => (Some(id), None),
        Target::Drive(id) => (None, Some(id)),
    }
}

/// The target the two columns name.
fn target_of(source: Option<i64>, connection: Option<i64>) -> Target {
    match (source, connection) {
        (Some(s), _) => Target::Local(s),
        (None, c) => Target::Drive(c.unwrap_or_default()),
    }
}

/// A stored count as a `u64` (NULL and negatives read as 0).
fn count(n: Option<i64>) -> u64 {
    u64::try_from(n.unwrap_or(0)).unwrap_or(0)
}

/// A count as a column value.
fn column(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
