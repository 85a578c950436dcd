//! PostgreSQL, for installations that outgrow one SQLite file: a bounded connection pool and
//! versioned migrations that several instances may start at once.
//!
//! [`connect`] checks the URL and builds a [`deadpool_postgres`] pool (connections are opened
//! lazily, at most `max_size`, each waiting at most [`WAIT`] for a free one); [`migrate`] applies
//! a component's numbered, append-only migrations in one transaction under an advisory lock, so
//! instances starting together apply each exactly once. [`testing`] gives every test a fresh
//! database of its own.
//!
//! Connections use TLS as the connection string's `sslmode` says (`prefer` when it says
//! nothing), over rustls, and whenever TLS is used the server's certificate chain and host name
//! are verified against Mozilla's roots and an optional CA file ([`PgTls`]). `sslmode=require`
//! (or libpq's `verify-ca`/`verify-full`, in a URL or in `key=value` form) refuses plain text
//! and unverified servers; see [`tls`] for the details, and why `prefer` may still end in plain
//! text.

pub mod copy;
pub mod testing;
pub mod tls;

use std::time::Duration;

pub use deadpool_postgres::{self, Object as Client};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Timeouts};
pub use tls::{CaError, PgTls};
pub use tokio_postgres;

/// How long a request waits for a free connection before failing (not forever: a saturated
/// pool answers "busy" instead of growing a queue).
pub const WAIT: Duration = Duration::from_secs(5);

/// Table holding each component's schema version.
const VERSIONS: &str = "platform_schema_versions";

/// A PostgreSQL failure.
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    /// The URL did not parse (its text is not repeated: it may hold a password).
    #[error("invalid PostgreSQL URL: {0}")]
    Url(tokio_postgres::Error),
    /// The pool could not be built.
    #[error("cannot build the PostgreSQL pool: {0}")]
    Build(#[from] deadpool_postgres::BuildError),
    /// No connection could be had (server down, refused, or the pool stayed full).
    #[error("PostgreSQL is unavailable: {0}")]
    Pool(#[from] deadpool_postgres::PoolError),
    /// The runtime driving the connections could not start.
    #[error("cannot start the PostgreSQL I/O runtime: {0}")]
    Runtime(std::io::Error),
    /// The URL names a CA file (`sslrootcert`): the CA file is given separately ([`PgTls`]).
    #[error(
        "sslrootcert in the PostgreSQL URL is not supported: give the CA file separately \
         (sslmode=require or verify-full verifies the server against it)"
    )]
    SslRootCert,
    /// The TLS client could not be set up.
    #[error("cannot set up TLS to PostgreSQL: {0}")]
    Tls(rustls::Error),
    /// A statement failed.
    #[error("PostgreSQL: {}", describe(.0))]
    Query(#[from] tokio_postgres::Error),
    /// A statement of the portable SQL layer failed; its text (never its parameters) is kept
    /// to say which.
    #[error("PostgreSQL: {} (in: {statement})", describe(.source))]
    Statement {
        /// The statement's first characters.
        statement: String,
        /// Why.
        source: tokio_postgres::Error,
    },
    /// Migration `version` of `component` failed; nothing of this run was applied.
    #[error("migration {version} of {component} failed: {source}")]
    Migrate {
        /// Whose migrations.
        component: String,
        /// The failing migration's number (1-based).
        version: usize,
        /// Why.
        source: tokio_postgres::Error,
    },
    /// The database is at a version this binary does not know (a newer binary migrated it).
    #[error("{component} schema is at version {found}, newer than this binary's {known}")]
    TooNew {
        /// Whose migrations.
        component: String,
        /// The stored version.
        found: i64,
        /// The versions this binary has.
        known: usize,
    },
}

/// What the server said (its message and SQLSTATE, never the detail, which may quote the row's
/// values), or the client's own error.
fn describe(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => e.to_string(),
    }
}

impl PgError {
    /// The server's error, if the failure came from a statement.
    pub fn db_error(&self) -> Option<&tokio_postgres::Error> {
        match self {
            Self::Query(e) | Self::Statement { source: e, .. } => Some(e),
            _ => None,
        }
    }

    /// Whether a unique or primary-key constraint refused the write.
    pub fn is_conflict(&self) -> bool {
        self.db_error()
            .is_some_and(|e| e.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION))
    }

    /// Whether the failure is the pool or server being unavailable (an HTTP 503, not a 500).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Pool(_))
    }
}

/// A pool of at most `max_size` connections to the database at `url`
/// (`postgres://user:password@host:port/db`, or the key=value form), trusting `tls` when TLS is
/// used. Nothing connects yet.
pub fn connect(url: &str, max_size: usize, tls: &PgTls) -> Result<Pool, PgError> {
    let config: tokio_postgres::Config = tls::libpq_url(url)?.parse().map_err(PgError::Url)?;
    let manager = Manager::from_connect(
        config,
        tls.connector()?,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Ok(Pool::builder(manager)
        .max_size(max_size.max(1))
        .timeouts(Timeouts {
            wait: Some(WAIT),
            create: Some(WAIT),
            recycle: Some(WAIT),
        })
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .build()?)
}

/// Applies the pending migrations of `component` (`migrations[i]` is version `i + 1`), all in
/// one transaction holding an advisory lock keyed by the component: concurrent callers wait,
/// then find nothing left to do. A failure rolls the whole run back.
pub async fn migrate(pool: &Pool, component: &str, migrations: &[&str]) -> Result<usize, PgError> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtext('platform-migrate:' || $1))",
        &[&component],
    )
    .await?;
    tx.batch_execute(&format!(
        "CREATE TABLE IF NOT EXISTS {VERSIONS} (
             component TEXT PRIMARY KEY,
             version BIGINT NOT NULL
         )"
    ))
    .await?;
    let current: i64 = tx
        .query_opt(
            &format!("SELECT version FROM {VERSIONS} WHERE component = $1"),
            &[&component],
        )
        .await?
        .map_or(0, |row| row.get(0));
    let known = migrations.len();
    let start = usize::try_from(current).unwrap_or(usize::MAX);
    if start > known {
        return Err(PgError::TooNew {
            component: component.to_owned(),
            found: current,
            known,
        });
    }
    for (i, sql) in migrations.iter().enumerate().skip(start) {
        tx.batch_execute(sql)
            .await
            .map_err(|source| PgError::Migrate {
                component: component.to_owned(),
                version: i + 1,
                source,
            })?;
    }
    let applied = known - start;
    if applied > 0 {
        let version = i64::try_from(known).unwrap_or(i64::MAX);
        tx.execute(
            &format!(
                "INSERT INTO {VERSIONS} (component, version) VALUES ($1, $2)
                 ON CONFLICT (component) DO UPDATE SET version = EXCLUDED.version"
            ),
            &[&component, &version],
        )
        .await?;
    }
    tx.commit().await?;
    if applied > 0 {
        tracing::info!(
            component,
            applied,
            version = known,
            "postgres schema migrated"
        );
    }
    Ok(applied)
}
