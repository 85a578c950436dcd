//! Opening connections with the pragmas every service relies on, and applying migrations.

use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;
pub use rusqlite_migration::{M, Migrations};

/// How long a connection waits on a lock held by another before giving up with `SQLITE_BUSY`.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Failure to open or migrate a database.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The file could not be opened or a pragma was refused.
    #[error("cannot open database {path}: {source}")]
    Open {
        /// The database file.
        path: String,
        /// The SQLite error.
        source: rusqlite::Error,
    },
    /// The parent directory could not be created.
    #[error("cannot create directory for database {path}: {source}")]
    Directory {
        /// The database file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A helper thread for the database could not be started.
    #[error("cannot start a thread for database {path}: {source}")]
    Thread {
        /// The database file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A migration failed; the database is left at the last version that applied.
    #[error("database migration failed: {0}")]
    Migrate(#[from] rusqlite_migration::Error),
}

/// Opens (creating if needed) the database at `path` with WAL, foreign keys and a busy timeout.
pub fn open(path: &Path) -> Result<Connection, OpenError> {
    let name = path.display().to_string();
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|source| OpenError::Directory {
            path: name.clone(),
            source,
        })?;
    }
    let conn = Connection::open(path).map_err(|source| OpenError::Open {
        path: name.clone(),
        source,
    })?;
    configure(&conn).map_err(|source| OpenError::Open { path: name, source })?;
    Ok(conn)
}

/// Opens a private in-memory database with the same pragmas (WAL does not apply in memory).
pub fn open_in_memory() -> Result<Connection, OpenError> {
    let conn = Connection::open_in_memory().map_err(|source| OpenError::Open {
        path: ":memory:".into(),
        source,
    })?;
    configure(&conn).map_err(|source| OpenError::Open {
        path: ":memory:".into(),
        source,
    })?;
    Ok(conn)
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // WAL lets readers proceed while the single writer commits. NORMAL synchronous keeps every
    // committed transaction across a process crash (kill -9); only an OS crash or power loss can
    // lose the last commits, which is the trade-off SQLite documents for WAL mode.
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    Ok(())
}

/// Applies every pending migration in one transaction per step.
pub fn migrate(conn: &mut Connection, migrations: &Migrations<'_>) -> Result<(), OpenError> {
    let before = migrations.current_version(conn)?;
    migrations.to_latest(conn)?;
    let after = migrations.current_version(conn)?;
    if before != after {
        tracing::info!(from = ?before, to = ?after, "database migrated");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_sets_pragmas_and_migrates() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("nested/dir/test.db");
        let mut conn = open(&path)?;
        let mode: String = conn.pragma_query_value(None, "journal_mode", |r| r.get(0))?;
        assert_eq!(mode, "wal");
        let fk: i64 = conn.pragma_query_value(None, "foreign_keys", |r| r.get(0))?;
        assert_eq!(fk, 1);
        let migrations = Migrations::new(vec![
            M::up("CREATE TABLE a (id INTEGER PRIMARY KEY);"),
            M::up("ALTER TABLE a ADD COLUMN name TEXT;"),
        ]);
        migrate(&mut conn, &migrations)?;
        migrate(&mut conn, &migrations)?;
        conn.execute("INSERT INTO a (name) VALUES ('x')", [])?;
        Ok(())
    }

    #[test]
    fn a_broken_migration_is_an_error_not_a_panic() -> Result<(), Box<dyn std::error::Error>> {
        let mut conn = open_in_memory()?;
        let migrations = Migrations::new(vec![M::up("CREATE TABLE oops (;")]);
        assert!(migrate(&mut conn, &migrations).is_err());
        Ok(())
    }
}
