//! Services between the handlers and the stores: each takes the narrow handles it needs
//! (built from the app state with `FromRef`), never the whole state.

pub mod cleanup;
pub mod scans;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::Notify;

/// Counts a worker as alive until its task ends, however it ends (returned, panicked, aborted).
struct AliveGuard(Arc<AtomicUsize>);

impl AliveGuard {
    fn new(alive: &Arc<AtomicUsize>) -> Self {
        alive.fetch_add(1, Ordering::Relaxed);
        Self(Arc::clone(alive))
    }
}

impl Drop for AliveGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Whether `folder` (canonical, as stored) lies under one of `roots`, as configured or
/// resolved: whether this instance has it mounted.
pub(crate) fn mounted(roots: &[PathBuf], folder: &Path) -> bool {
    roots.iter().any(|r| {
        folder.starts_with(r) || r.canonicalize().is_ok_and(|real| folder.starts_with(real))
    })
}

/// A worker's loop, until its task is aborted: claims a job and runs it; with nothing to claim
/// (or the claim failing), waits for `wake` (a job queued by this instance) or `poll` (one
/// queued by another).
pub(crate) async fn run_worker<J, C, R>(
    what: &'static str,
    wake: &Notify,
    poll: Duration,
    claim: impl Fn() -> C,
    run: impl Fn(J) -> R,
) where
    C: Future<Output = Result<Option<J>, String>>,
    R: Future<Output = ()>,
{
    loop {
        match claim().await {
            Ok(Some(job)) => run(job).await,
            Ok(None) => {
                tokio::select! {
                    () = wake.notified() => {}
                    () = tokio::time::sleep(poll) => {}
                }
            }
            Err(error) => {
                tracing::warn!(%error, what, "claiming a job failed");
                tokio::time::sleep(poll).await;
            }
        }
    }
}

/// Starts `n` workers made by `worker`, each counted in `alive` until its task ends, however
/// it ends (returned, panicked, aborted); abort the handles to stop them.
pub(crate) fn spawn_workers<F>(
    n: usize,
    alive: &Arc<AtomicUsize>,
    worker: impl Fn() -> F,
) -> Vec<tokio::task::JoinHandle<()>>
where
    F: Future<Output = ()> + Send + 'static,
{
    (0..n)
        .map(|_| {
            let counted = AliveGuard::new(alive);
            let work = worker();
            tokio::spawn(async move {
                let _counted = counted;
                work.await;
            })
        })
        .collect()
}
