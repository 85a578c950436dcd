//! The declutter schema: embedded, numbered, append-only migrations applied through
//! `platform_db`, and the one error type every store function returns.

use std::path::Path;
use std::sync::LazyLock;

use platform_db::Migrations;
use platform_db::open::M;
use platform_db::rusqlite::Connection;

/// Every migration, in order. Append only: never edit one that has shipped.
pub static MIGRATIONS: LazyLock<Migrations<'static>> = LazyLock::new(|| {
    Migrations::new(vec![
        M::up(include_str!("migrations/0001_init.sql")),
        M::up(include_str!("migrations/0002_group_file_index.sql")),
        M::up(include_str!("migrations/0003_group_paging.sql")),
        M::up(include_str!("migrations/0004_scan_upkeep.sql")),
        M::up(include_str!("migrations/0005_dupes_view_version.sql")),
        M::up(include_str!("migrations/0006_one_identity.sql")),
        M::up(include_str!("migrations/0007_review.sql")),
        M::up(include_str!("migrations/0008_jobs.sql")),
        M::up(include_str!("migrations/0009_removed_folders.sql")),
        M::up(include_str!("migrations/0010_job_queue.sql")),
        M::up(include_str!("migrations/0011_unsettled.sql")),
        M::up(include_str!("migrations/0012_unplanned_jobs.sql")),
        M::up(include_str!("migrations/0013_hash_cache_age.sql")),
        M::up(include_str!("migrations/0014_listing_stage.sql")),
        M::up(include_str!("migrations/0015_cloud_children.sql")),
        M::up(include_str!("migrations/0016_bulk_regroup.sql")),
    ])
});

/// The engine's schema on PostgreSQL, in order (append only, like [`MIGRATIONS`]); applied with
/// `platform_db::pg::migrate` under the component name [`PG_COMPONENT`].
pub const PG_MIGRATIONS: &[&str] = &[
    include_str!("pg/0001_init.sql"),
    include_str!("pg/0002_statement_triggers.sql"),
    include_str!("pg/0003_listing_stage.sql"),
    include_str!("pg/0004_cloud_children.sql"),
    include_str!("pg/0005_byte_order.sql"),
    include_str!("pg/0006_bulk_regroup.sql"),
];

/// The engine's name in PostgreSQL's `platform_schema_versions`.
pub const PG_COMPONENT: &str = "declutter-core";

/// A database operation failed.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// Opening or migrating the file failed.
    #[error(transparent)]
    Open(#[from] platform_db::OpenError),
    /// A query failed.
    #[error("database error: {0}")]
    Sqlite(#[from] platform_db::rusqlite::Error),
    /// A stored value did not parse back into its domain type.
    #[error("corrupt value in database: {0}")]
    Corrupt(String),
    /// PostgreSQL failed or could not be reached.
    #[error(transparent)]
    Pg(#[from] platform_db::pg::PgError),
    /// A cloud listing's scan was superseded by a later scan of its source while it ran (its
    /// worker was presumed gone, or another scan began); it merged nothing.
    #[error("scan {0} was superseded by a later scan of its source; its listing was dropped")]
    Superseded(i64),
    /// The portable SQL layer refused (a value of another type, no row, a misuse).
    #[error(transparent)]
    Sql(platform_db::sql::SqlError),
}

impl From<platform_db::sql::SqlError> for DbError {
    fn from(e: platform_db::sql::SqlError) -> Self {
        use platform_db::sql::SqlError as E;
        match e {
            E::Sqlite(e) => Self::Sqlite(e),
            E::Pg(e) => Self::Pg(e),
            E::Corrupt(m) => Self::Corrupt(m),
            other => Self::Sql(other),
        }
    }
}

/// The installation's database when none is named: `declutter.db` in the user's data folder
/// (`$XDG_DATA_HOME/declutter`, else `~/.local/share/declutter`), the same for the CLI, the
/// web app and the operations commands, whatever the current folder. Without a home folder
/// (a bare service account), `data/declutter.db`.
pub fn default_path() -> std::path::PathBuf {
    directories::ProjectDirs::from("", "", "declutter").map_or_else(
        || std::path::PathBuf::from("data/declutter.db"),
        |dirs| dirs.data_dir().join("declutter.db"),
    )
}

/// Opens (creating and migrating) the declutter database at `path`.
pub fn open(path: &Path) -> Result<Connection, DbError> {
    let mut conn = platform_db::open(path)?;
    platform_db::migrate(&mut conn, &MIGRATIONS)?;
    Ok(conn)
}

/// A migrated in-memory database, for tests and dry experiments.
pub fn open_in_memory() -> Result<Connection, DbError> {
    let mut conn = platform_db::open_in_memory()?;
    platform_db::migrate(&mut conn, &MIGRATIONS)?;
    Ok(conn)
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    #[test]
    fn migrations_are_valid() -> Result<(), Box<dyn std::error::Error>> {
        super::MIGRATIONS.validate()?;
        super::open_in_memory()?;
        Ok(())
    }
}
