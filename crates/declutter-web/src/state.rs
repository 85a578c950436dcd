//! Shared state: one cheap-to-clone bundle of handles.

use std::sync::Arc;

use axum::extract::FromRef as _;

use platform::metrics::MetricsRegistry;
use platform::rate_limit::RateLimiter;
use platform_db::sql::AnyPool;
use tokio::sync::Semaphore;

use crate::assets::Assets;
use crate::auth::jwt::TokenSigner;
use crate::auth::password::Hasher;
use crate::auth::session::CookiePolicy;
use crate::cloud::Revoker;
use crate::config::Config;
use crate::crypto::Keyring;
use crate::metrics::WebMetrics;
use crate::oidc::Providers;

/// Per-IP limits; `None` disables one.
#[derive(Debug, Clone)]
pub struct Rates {
    /// Sign-in attempts.
    pub login: Option<RateLimiter>,
    /// Sign-ups.
    pub signup: Option<RateLimiter>,
    /// API requests.
    pub api: Option<RateLimiter>,
}

/// Everything handlers share, behind one `Arc`: extractors and middleware clone the state for
/// every request, and a clone is one reference count instead of one per field.
#[derive(Debug, Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    /// The state holding `shared`.
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }

    /// The fields, to change before serving (a copy is made if the state is already shared).
    pub fn make_mut(&mut self) -> &mut Shared {
        Arc::make_mut(&mut self.0)
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The fields of [`AppState`].
#[derive(Debug, Clone)]
pub struct Shared {
    /// Frozen configuration.
    pub config: Arc<Config>,
    /// `scheme://host[:port]` of the public URL, for Origin checks.
    pub origin: Arc<str>,
    /// The shared SQLite database.
    pub pool: AnyPool,
    /// Cookie names and flags.
    pub cookies: Arc<CookiePolicy>,
    /// Password hashing.
    pub hasher: Hasher,
    /// Bounds concurrent Argon2 work (each hash holds ~19 MiB).
    pub hashing: Arc<Semaphore>,
    /// API token signer.
    pub signer: TokenSigner,
    /// Keys sealing cloud tokens.
    pub keyring: Arc<Keyring>,
    /// OpenID Connect providers.
    pub oidc: Arc<Providers>,
    /// Cloud drive connect flows (OAuth code + PKCE) and revocation.
    pub connector: Arc<crate::connect::Connector>,
    /// Rate limits.
    pub rates: Rates,
    /// Content-hashed static assets.
    pub assets: Arc<Assets>,
    /// Revokes provider tokens on disconnect and account deletion.
    pub revoker: Arc<dyn Revoker>,
    /// App metrics.
    pub metrics: WebMetrics,
    /// The registry rendered at `/metrics` on the metrics listener.
    pub registry: MetricsRegistry,
    /// The scan queue's storage.
    pub scan_queue: Arc<dyn crate::db::scan_jobs::ScanQueue>,
    /// Wakes this instance's idle scan workers when a scan is queued here.
    pub scan_wake: Arc<tokio::sync::Notify>,
    /// This instance's scan workers still running.
    pub scan_workers_alive: Arc<std::sync::atomic::AtomicUsize>,
    /// Wakes this instance's idle clean-up workers when an apply or restore is queued here.
    pub cleanup_wake: Arc<tokio::sync::Notify>,
    /// This instance's clean-up workers still running.
    pub cleanup_workers_alive: Arc<std::sync::atomic::AtomicUsize>,
    /// Provider thumbnail fetches: one connection pool, a bound on fetches in flight.
    pub thumbnail_fetcher: Arc<crate::cloud_thumbnail::Fetcher>,
    /// Duplicate pages and folder trees, reused while the owner's groups are unchanged.
    pub review: Arc<crate::review::Caches>,
    /// Bounds concurrent thumbnail decodes (each may hold up to 256 MiB).
    pub thumbnailing: Arc<Semaphore>,
    /// Sentry reporting of panics and internal errors, when a DSN is configured.
    pub error_reporter: Option<platform::error_reporting::ErrorReporter>,
    /// Test hook run after each item of a clean-up job (`None` in production).
    pub item_hook: crate::services::cleanup::Hook,
}

impl axum::extract::FromRef<AppState> for crate::cloud::Vault {
    fn from_ref(state: &AppState) -> Self {
        Self {
            pool: state.pool.clone(),
            keyring: Arc::clone(&state.keyring),
            connector: Arc::clone(&state.connector),
            revoker: Arc::clone(&state.revoker),
        }
    }
}

impl axum::extract::FromRef<AppState> for crate::work::CloudApis {
    fn from_ref(state: &AppState) -> Self {
        Self {
            vault: crate::cloud::Vault::from_ref(state),
            graph_url: state.config.graph_url.as_str().into(),
            drive_url: state.config.drive_url.as_str().into(),
        }
    }
}

/// Builds each account's providers: local folders confined to this instance's roots, and the
/// account's own drives.
fn providers_for(state: &AppState) -> crate::services::cleanup::ProvidersFor {
    let roots = state.config.local_roots.clone();
    let apis = crate::work::CloudApis::from_ref(state);
    Arc::new(move |user| crate::work::WebProviders::for_user(roots.clone(), &apis, user))
}

impl axum::extract::FromRef<AppState> for crate::services::scans::Scans {
    fn from_ref(state: &AppState) -> Self {
        let connector = Arc::clone(&state.connector);
        Self {
            queue: Arc::clone(&state.scan_queue),
            pool: state.pool.clone(),
            db: crate::work::EngineDb::new(&state.pool, &state.config.db),
            roots: state.config.local_roots.clone().into(),
            providers: providers_for(state),
            cloud: Arc::new(move |provider| connector.enabled(provider)),
            wake: Arc::clone(&state.scan_wake),
            alive: Arc::clone(&state.scan_workers_alive),
        }
    }
}

impl axum::extract::FromRef<AppState> for crate::services::cleanup::Cleanup {
    fn from_ref(state: &AppState) -> Self {
        let connector = Arc::clone(&state.connector);
        Self {
            pool: state.pool.clone(),
            db: crate::work::EngineDb::new(&state.pool, &state.config.db),
            providers: providers_for(state),
            hook: state.item_hook.clone(),
            roots: state.config.local_roots.clone().into(),
            cloud: Arc::new(move |provider| connector.enabled(provider)),
            wake: Arc::clone(&state.cleanup_wake),
            alive: Arc::clone(&state.cleanup_workers_alive),
        }
    }
}

impl axum::extract::FromRef<AppState> for crate::review::Review {
    fn from_ref(state: &AppState) -> Self {
        Self::new(state.pool.clone(), Arc::clone(&state.review))
    }
}
