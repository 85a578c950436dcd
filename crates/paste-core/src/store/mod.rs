//! The paste store: SQLite through [`platform_db::Pool`], one writer and several readers.
//!
//! Writes (create, burn, delete, purge) queue on the single writer; reads run in parallel.
//! Burning is one `DELETE ... RETURNING` statement, so exactly one reader ever gets the content
//! of a burn-after-read paste however many ask at once.

mod blob;
mod group_commit;
mod hot;
mod manage;
mod outbox;
mod pki;
mod quota;
mod read;
mod short;
mod spool;
mod stats;
mod views;
mod write;

use std::path::Path;
use std::sync::Arc;

use platform_db::open::M;
use platform_db::rusqlite;
use platform_db::{Migrations, OpenError, Pool, PoolError};

pub use blob::{CHUNK as CONTENT_CHUNK, STREAM_THRESHOLD};
pub use hot::{MAX_ITEM_BYTES as MAX_CACHED_PASTE_BYTES, Readable};
pub use manage::{ListFilter, ListPage, NewContent, PasteUpdate, Updated};
pub use outbox::OutboxItem;
pub use pki::{IssuedCert, Revocation, StoredCa};
pub use quota::{Quota, QuotaLimits, QuotaScope, Usage};
pub use short::ShortUrl;
pub use spool::{Content, Spool, Upload};
pub use stats::{Stats, Tally};
pub use views::{CountedRead, MAX_VIEWS, ReadLimit};
pub use write::{CreateGuards, Created, Dedup, DedupPolicy, NewPaste};

/// Migrations, numbered and append-only.
fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(include_str!("../../migrations/001_pastes.sql")),
        M::up(include_str!("../../migrations/002_webhooks.sql")),
        M::up(include_str!("../../migrations/003_read_limits_quotas.sql")),
        M::up(include_str!("../../migrations/004_display_names.sql")),
        M::up(include_str!("../../migrations/005_short_urls.sql")),
        M::up(include_str!("../../migrations/006_pki.sql")),
    ])
}

/// A storage failure; handlers map it to a 500 or 503 without showing it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The database task did not complete.
    #[error(transparent)]
    Pool(#[from] PoolError),
    /// The store is shutting down.
    #[error("paste store is closed")]
    Closed,
    /// The shared transaction of a group commit failed.
    #[error("group commit failed: {0}")]
    Batch(String),
}

impl StoreError {
    /// Whether the failure is contention or exhaustion worth a 503 rather than a 500.
    pub fn is_busy(&self) -> bool {
        matches!(
            self,
            Self::Sqlite(rusqlite::Error::SqliteFailure(e, _))
                if matches!(e.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
        ) || matches!(self, Self::Pool(_) | Self::Closed)
    }
}

/// Metadata of a stored paste (never its content).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasteMeta {
    /// The id.
    pub id: String,
    /// Detected MIME type.
    pub mime_type: String,
    /// Content length.
    pub size: u64,
    /// Creator's fingerprint, if authenticated.
    pub owner: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub expires_at: Option<i64>,
    /// Single-read paste.
    pub burn_after_read: bool,
    /// Argon2id PHC string, if protected.
    pub password_hash: Option<String>,
    /// SHA-256 of the anonymous creator's delete token.
    pub delete_token_hash: Option<Vec<u8>>,
    /// Malware-scan verdict.
    pub scan: Option<String>,
    /// The owner's label for it.
    pub display_name: Option<String>,
}

/// The store handle; cheap to clone.
#[derive(Debug, Clone)]
pub struct PasteStore {
    pool: Pool,
    committer: group_commit::Committer,
    hot: Arc<hot::HotPastes>,
}

impl PasteStore {
    /// Opens (creating and migrating) the store at `path` with `readers` read connections and
    /// an in-memory cache of about `cache_bytes` of small, freely readable pastes (0 disables
    /// it; see [`Readable`]).
    pub fn open(path: &Path, readers: usize, cache_bytes: u64) -> Result<Self, OpenError> {
        let pool = Pool::open(path, readers, &migrations())?;
        let committer =
            group_commit::Committer::start(pool.clone()).map_err(|source| OpenError::Thread {
                path: path.display().to_string(),
                source,
            })?;
        Ok(Self {
            pool,
            committer,
            hot: Arc::new(hot::HotPastes::new(cache_bytes)),
        })
    }

    /// The underlying pool, for backups.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.pool
            .read(|c| c.query_row("SELECT 1", [], |r| r.get::<_, i64>(0)))
            .await??;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_limits;

#[cfg(test)]
mod manage_tests;
