//! The web app's tables, in the same database as the engine's: one SQLite file, or one
//! PostgreSQL database that several instances share.
//!
//! The engine (`declutter-core`) owns SQLite's `user_version` through its `rusqlite_migration`
//! set, so the pool opens with that set and the web's own numbered, append-only migrations are
//! then applied and counted in `web_schema_version`: two migration sets, one file, no clash.

pub mod attempts;
pub mod audit;
pub mod connections;
pub mod flows;
pub mod scan_jobs;
pub mod sessions;
pub mod sources;
pub mod token_key;
pub mod users;

use std::path::Path;

use platform_db::pg::PgTls;
use platform_db::rusqlite::{self, Connection, OptionalExtension};
use platform_db::sql::AnyPool;
use platform_db::sql::pg::BlockingPool;
use platform_db::{Pool, PoolError};

/// The web migrations, in order. Append only: never edit one that has shipped.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_web.sql"),
    include_str!("migrations/0002_sources.sql"),
    include_str!("migrations/0003_cloud_scan_jobs.sql"),
    include_str!("migrations/0004_oauth_flows.sql"),
    include_str!("migrations/0005_scan_job_queue.sql"),
    include_str!("migrations/0006_token_key.sql"),
];

/// The web app's schema on PostgreSQL, in order (append only).
pub const PG_MIGRATIONS: &[&str] = &[include_str!("pg/0001_init.sql")];

/// SQLite-only tables that have no PostgreSQL counterpart (PostgreSQL counts its migrations in
/// `platform_schema_versions`, and keeps the engine's counts with statement triggers where
/// SQLite's regrouping sets them aside: `regrouping`, empty outside a transaction).
pub const SQLITE_ONLY: &[&str] = &["web_schema_version", "regrouping"];

/// Applies the engine's and the web app's pending PostgreSQL migrations (several instances may
/// start at once: each set runs under its advisory lock).
pub async fn pg_migrate(
    pool: &platform_db::pg::deadpool_postgres::Pool,
) -> Result<(), platform_db::pg::PgError> {
    use declutter_core::db::{PG_COMPONENT, PG_MIGRATIONS as CORE};
    platform_db::pg::migrate(pool, PG_COMPONENT, CORE).await?;
    platform_db::pg::migrate(pool, "declutter-web", PG_MIGRATIONS).await?;
    Ok(())
}

/// Read connections; requests are short and the machine small.
const READERS: usize = 4;

/// A database operation failed.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// Opening or migrating failed.
    #[error(transparent)]
    Open(#[from] platform_db::OpenError),
    /// A query failed.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The pool could not run the task.
    #[error(transparent)]
    Pool(#[from] PoolError),
    /// A stored value did not parse.
    #[error("corrupt value in database: {0}")]
    Corrupt(String),
    /// PostgreSQL failed or could not be reached.
    #[error(transparent)]
    Pg(#[from] platform_db::pg::PgError),
    /// The portable SQL layer refused (a value of another type, no row, a misuse).
    #[error(transparent)]
    Sql(platform_db::sql::SqlError),
    /// A later scan of its source superseded a cloud scan while it ran; it merged nothing.
    #[error("scan {0} was superseded by a later scan of its source; its listing was dropped")]
    Superseded(i64),
}

impl From<platform_db::sql::SqlError> for DbError {
    fn from(e: platform_db::sql::SqlError) -> Self {
        declutter_core::db::DbError::from(e).into()
    }
}

impl From<platform_db::pg::tokio_postgres::Error> for DbError {
    fn from(e: platform_db::pg::tokio_postgres::Error) -> Self {
        Self::Pg(e.into())
    }
}

impl From<platform_db::pg::deadpool_postgres::PoolError> for DbError {
    fn from(e: platform_db::pg::deadpool_postgres::PoolError) -> Self {
        Self::Pg(e.into())
    }
}

impl From<declutter_core::db::DbError> for DbError {
    fn from(e: declutter_core::db::DbError) -> Self {
        use declutter_core::db::DbError as E;
        match e {
            E::Open(e) => Self::Open(e),
            E::Sqlite(e) => Self::Sqlite(e),
            E::Corrupt(m) => Self::Corrupt(m),
            E::Pg(e) => Self::Pg(e),
            E::Sql(e) => Self::Sql(e),
            E::Superseded(scan) => Self::Superseded(scan),
        }
    }
}

impl DbError {
    /// A unique or primary-key constraint refused the write.
    pub fn is_conflict(&self) -> bool {
        match self {
            Self::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => {
                e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    || e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
            }
            Self::Pg(e) => e.is_conflict(),
            Self::Sql(e) => e.is_conflict(),
            _ => false,
        }
    }

    /// The database was busy or locked, or could not be reached.
    pub fn is_busy(&self) -> bool {
        match self {
            Self::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => matches!(
                e.code,
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
            ),
            Self::Pg(e) => e.is_unavailable(),
            Self::Pool(PoolError::Connect(_)) => true,
            _ => false,
        }
    }
}

/// Opens the shared SQLite database: engine migrations, then the web's.
pub async fn open(path: &Path) -> Result<AnyPool, DbError> {
    let pool = Pool::open(path, READERS, &declutter_core::db::MIGRATIONS)?;
    pool.write(migrate).await??;
    Ok(AnyPool::Sqlite(pool))
}

/// Opens the PostgreSQL database every instance shares (`DECLUTTER_DATABASE_URL`), with at most
/// `max_size` connections trusting `tls` when TLS is used, and applies the pending migrations
/// of the engine and the web app.
pub async fn open_postgres(url: &str, max_size: usize, tls: &PgTls) -> Result<AnyPool, DbError> {
    let pool = BlockingPool::connect(url, max_size, tls)?;
    pg_migrate(pool.pool()).await?;
    Ok(AnyPool::postgres(pool))
}

/// Applies pending web migrations, each in its own transaction with its version bump.
pub fn migrate(conn: &mut Connection) -> Result<(), DbError> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS web_schema_version (version INTEGER NOT NULL);",
    )?;
    let current: i64 = conn
        .query_row("SELECT version FROM web_schema_version", [], |r| r.get(0))
        .optional()?
        .unwrap_or(0);
    for (i, sql) in MIGRATIONS.iter().enumerate() {
        let version = i64::try_from(i + 1).unwrap_or(i64::MAX);
        if version <= current {
            continue;
        }
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.execute("DELETE FROM web_schema_version", [])?;
        tx.execute(
            "INSERT INTO web_schema_version (version) VALUES (?1)",
            [version],
        )?;
        tx.commit()?;
        tracing::info!(version, "web schema migrated");
    }
    Ok(())
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    declutter_core::db::now()
}

/// The readiness probe: one trivial query.
pub async fn ping(pool: &AnyPool) -> bool {
    pool.ping().await
}
