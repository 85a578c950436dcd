//! Running the engine from the web app. The engine's operations are `async` over a
//! `&mut Connection`; they run on the blocking pool with their own connection (SQLite in WAL
//! mode, busy timeout set by `declutter_core::db::open`) so a long scan never holds the pool's
//! writer and never stalls the async runtime. Providers are built per call from the caller's
//! sources: local folders only, re-checked against the allow-listed roots every time.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use declutter_core::engine::{AnyProvider, EngineError, Providers};
use declutter_core::ids::{Source, UserId};
use declutter_core::local::LocalProvider;
use declutter_core::platform_db::rusqlite::Connection;
use declutter_core::progress::Progress;
use serde::Serialize;

use crate::error::ApiError;
use crate::local_roots::confine;
use crate::state::AppState;

/// Serves local sources inside the allow-listed roots; clouds are not wired to the web yet.
#[derive(Debug)]
pub struct WebProviders {
    roots: Vec<PathBuf>,
}

impl WebProviders {
    /// Providers confined to `roots`.
    pub fn new(roots: Vec<PathBuf>) -> Self {
        Self { roots }
    }
}

impl Providers for WebProviders {
    fn provider(&self, source: &Source) -> Result<Arc<AnyProvider>, EngineError> {
        match source {
            Source::Local(root) => {
                let real = confine(&self.roots, root)
                    .map_err(|e| EngineError::NotConfigured(e.to_string()))?;
                Ok(Arc::new(AnyProvider::Local(LocalProvider::new(real))))
            }
            other => Err(EngineError::NotConfigured(other.to_string())),
        }
    }
}

/// Runs `f` on a fresh engine connection on the blocking pool; `f` may `block_on` engine futures.
pub async fn run<T, F>(state: &AppState, f: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&mut Connection, &tokio::runtime::Handle, &WebProviders) -> Result<T, EngineError>
        + Send
        + 'static,
{
    let path = state.config.db.clone();
    let providers = WebProviders::new(state.config.local_roots.clone());
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || -> Result<T, ApiError> {
        let mut conn = declutter_core::db::open(&path).map_err(EngineError::from)?;
        Ok(f(&mut conn, &handle, &providers)?)
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?
}

/// The engine's owner id for a web account (its UUID).
pub fn owner(id: &str) -> Result<UserId, ApiError> {
    id.parse()
        .map_err(|_| ApiError::Internal("account id is not a valid owner id".into()))
}

/// Live progress of one running scan.
#[derive(Debug, Default)]
pub struct Live {
    phase: Mutex<String>,
    total: AtomicU64,
    done: AtomicU64,
}

impl Progress for Live {
    fn phase(&self, name: &str, total: Option<u64>) {
        name.clone_into(&mut self.phase.lock().unwrap_or_else(PoisonError::into_inner));
        self.total.store(total.unwrap_or(0), Ordering::Relaxed);
        self.done.store(0, Ordering::Relaxed);
    }
    fn advance(&self, n: u64) {
        self.done.fetch_add(n, Ordering::Relaxed);
    }
}

/// A snapshot of [`Live`].
#[derive(Debug, Clone, Default, Serialize)]
pub struct LiveView {
    /// Current phase (`walking`, `hashing`, …).
    pub phase: String,
    /// Units done in this phase.
    pub done: u64,
    /// Units in this phase (0 when unknown).
    pub total: u64,
}

/// Running jobs' progress, by job id (in memory: a restart marks running jobs failed), and the
/// plans being applied right now.
#[derive(Debug, Default)]
pub struct Jobs(Mutex<HashMap<i64, Arc<Live>>>, Mutex<HashSet<i64>>);

/// Holds a plan for one apply run; released on drop.
#[derive(Debug)]
pub struct PlanClaim(Arc<Jobs>, i64);

impl Drop for PlanClaim {
    fn drop(&mut self) {
        self.0
            .1
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.1);
    }
}

impl Jobs {
    /// Claims `plan` for applying; `None` while another request applies it (two concurrent
    /// runs of one plan would race on the same items).
    pub fn claim_plan(self: &Arc<Self>, plan: i64) -> Option<PlanClaim> {
        let fresh = self
            .1
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(plan);
        fresh.then(|| PlanClaim(Arc::clone(self), plan))
    }

    /// Registers a job.
    pub fn start(&self, id: i64) -> Arc<Live> {
        let live = Arc::new(Live::default());
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, Arc::clone(&live));
        live
    }
    /// Forgets a finished job.
    pub fn end(&self, id: i64) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&id);
    }
    /// Progress of a running job.
    pub fn view(&self, id: i64) -> Option<LiveView> {
        let map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(&id).map(|l| LiveView {
            phase: l
                .phase
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone(),
            done: l.done.load(Ordering::Relaxed),
            total: l.total.load(Ordering::Relaxed),
        })
    }
}
