//! Running the engine from the web app. The engine's operations are `async` over a
//! `&mut dyn Conn`; they run on the blocking pool with their own connection ([`EngineDb`]: a
//! SQLite one in WAL mode with the busy timeout `declutter_core::db::open` sets, or one of the
//! PostgreSQL pool's) so a long scan never holds the SQLite pool's writer and never stalls the
//! async runtime. Providers are built per call for the caller:
//! local folders re-checked against the allow-listed roots every time, cloud drives from the
//! caller's own sealed connection (never another account's).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use declutter_core::cloud::RetryPolicy;
use declutter_core::engine::{AnyProvider, EngineError, Providers};
use declutter_core::gdrive::GDriveProvider;
use declutter_core::ids::{ProviderKind, Source, UserId};
use declutter_core::local::LocalProvider;
use declutter_core::onedrive::OneDriveProvider;
use declutter_core::progress::Progress;

use crate::cloud::Vault;
use crate::connect::ACCOUNT;
use crate::connection_tokens::ConnectionTokens;
use crate::db::scan_jobs::ScanProgress;
use crate::error::ApiError;
use crate::local_roots::confine;

/// Opens the connections long engine work runs on, of the database the app runs on.
#[derive(Clone, Debug)]
pub enum EngineDb {
    /// A connection of its own to the SQLite file each time.
    Sqlite(PathBuf),
    /// A connection of the PostgreSQL pool (back to the pool when dropped).
    Postgres(platform_db::sql::pg::BlockingPool),
}

impl EngineDb {
    /// The engine's connections for the app's `pool`, whose SQLite file (if any) is `path`.
    pub fn new(pool: &platform_db::sql::AnyPool, path: &std::path::Path) -> Self {
        match pool {
            platform_db::sql::AnyPool::Sqlite(_) => Self::Sqlite(path.to_owned()),
            platform_db::sql::AnyPool::Postgres(pg) => Self::Postgres(pg.blocking().clone()),
        }
    }

    /// A connection (blocking: call it on the blocking pool).
    pub fn open(
        &self,
    ) -> Result<Box<dyn platform_db::sql::Conn + Send>, declutter_core::db::DbError> {
        Ok(match self {
            Self::Sqlite(path) => Box::new(declutter_core::db::open(path)?),
            Self::Postgres(pool) => Box::new(pool.get()?),
        })
    }
}

/// What building a user's cloud providers needs (`FromRef` of the app state): their sealed
/// connections and the APIs' base URLs.
#[derive(Clone, Debug)]
pub struct CloudApis {
    /// The user's connections.
    pub vault: Vault,
    /// Microsoft Graph base URL.
    pub graph_url: Arc<str>,
    /// Google Drive v3 base URL.
    pub drive_url: Arc<str>,
}

/// Serves the caller's sources: local folders inside the allow-listed roots, and the
/// caller's connected drives through their sealed tokens.
#[derive(Debug)]
pub struct WebProviders {
    roots: Vec<PathBuf>,
    cloud: Option<(CloudApis, String)>,
    /// Cloud providers built so far (one HTTP client and token source per drive and run).
    built: Mutex<HashMap<ProviderKind, Arc<AnyProvider>>>,
}

impl WebProviders {
    /// Local providers confined to `roots`; no cloud drives.
    pub fn new(roots: Vec<PathBuf>) -> Self {
        Self {
            roots,
            cloud: None,
            built: Mutex::new(HashMap::new()),
        }
    }

    /// Local folders as [`Self::new`], plus `user_id`'s connected drives.
    pub fn for_user(roots: Vec<PathBuf>, apis: &CloudApis, user_id: &str) -> Self {
        Self {
            cloud: Some((apis.clone(), user_id.to_owned())),
            ..Self::new(roots)
        }
    }

    fn cloud(&self, kind: ProviderKind) -> Result<Arc<AnyProvider>, EngineError> {
        let name = kind.as_str();
        let Some((apis, user_id)) = &self.cloud else {
            return Err(EngineError::NotConfigured(name.to_owned()));
        };
        if !apis.vault.connector.enabled(name) {
            return Err(EngineError::NotConfigured(name.to_owned()));
        }
        let mut built = self.built.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(p) = built.get(&kind) {
            return Ok(Arc::clone(p));
        }
        let tokens = Arc::new(ConnectionTokens::new(
            apis.vault.clone(),
            user_id,
            name,
            ACCOUNT,
        ));
        let any = match kind {
            ProviderKind::OneDrive => AnyProvider::OneDrive(OneDriveProvider::new(
                &apis.graph_url,
                tokens,
                RetryPolicy::default(),
            )?),
            ProviderKind::GDrive => AnyProvider::GDrive(GDriveProvider::new(
                &apis.drive_url,
                tokens,
                RetryPolicy::default(),
            )?),
            ProviderKind::Local => return Err(EngineError::NotConfigured(name.to_owned())),
        };
        let any = Arc::new(any);
        built.insert(kind, Arc::clone(&any));
        Ok(any)
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
            Source::OneDrive => self.cloud(ProviderKind::OneDrive),
            Source::GDrive => self.cloud(ProviderKind::GDrive),
        }
    }
}

/// The engine's owner id for a web account (its UUID).
pub fn owner(id: &str) -> Result<UserId, ApiError> {
    id.parse().map_err(|e| ApiError::internal(e))
}

/// Live progress of one running scan, written to its job's row by the worker running it.
#[derive(Debug, Default)]
pub struct Live {
    phase: Mutex<String>,
    total: AtomicU64,
    done: AtomicU64,
}

impl Live {
    /// A snapshot, as the job's row keeps it.
    pub fn view(&self) -> ScanProgress {
        ScanProgress {
            phase: self
                .phase
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone(),
            done: self.done.load(Ordering::Relaxed),
            total: self.total.load(Ordering::Relaxed),
        }
    }
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
