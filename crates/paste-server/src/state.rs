//! Shared state: one cheap-to-clone bundle of handles.

use std::sync::Arc;

use paste_core::pow::ProofOfWork;
use paste_core::store::PasteStore;
use platform::metrics::MetricsRegistry;
use tokio::sync::Semaphore;

use crate::client_dist::ClientDist;
use crate::config::Config;
use crate::metrics::PasteMetrics;

/// Everything handlers share, behind one reference count: axum clones the state for every
/// request, so a clone is one atomic increment rather than one per handle.
#[derive(Debug, Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    /// Wraps the shared handles.
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The handles inside [`AppState`].
#[derive(Debug)]
pub struct Shared {
    /// Frozen configuration.
    pub config: Arc<Config>,
    /// Paste storage.
    pub store: PasteStore,
    /// Proof-of-work verifier.
    pub pow: Arc<ProofOfWork>,
    /// Per-client creation limit (pastes and short URLs together), behind `X-RateLimit-*`.
    pub rate: Option<platform::rate_limit::RateLimiter>,
    /// Bounds concurrent Argon2 work (each hash holds ~19 MiB for ~tens of ms).
    pub hashing: Arc<Semaphore>,
    /// Paste metrics.
    pub metrics: PasteMetrics,
    /// The metric registry, rendered at `/metrics`.
    pub registry: MetricsRegistry,
    /// The client binary and shell functions served at `/client`.
    pub client: Arc<ClientDist>,
    /// Wakes the webhook dispatcher.
    pub webhooks: crate::webhooks::Webhooks,
    /// Request-body bytes that may be held in memory at once.
    pub budget: crate::admission::BodyBudget,
    /// The built-in PKI, when enabled.
    pub pki: Option<Arc<crate::pki::Pki>>,
    /// Bytes of uploads that may be spooled to disk at once.
    pub spool: crate::admission::BodyBudget,
    /// Where uploads are spooled: the database's directory, writable wherever the database is.
    pub spool_dir: std::path::PathBuf,
}
