//! Services between the handlers and the stores: each takes the narrow handles it needs
//! (built from the app state with `FromRef`), never the whole state.

pub mod cleanup;
pub mod scans;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Counts a worker as alive until its task ends, however it ends (returned, panicked, aborted).
pub(crate) struct AliveGuard(Arc<AtomicUsize>);

impl AliveGuard {
    pub(crate) fn new(alive: &Arc<AtomicUsize>) -> Self {
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
