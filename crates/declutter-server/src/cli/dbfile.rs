//! The database file as an operator sees it: it must exist before it is copied, must not be
//! overwritten by accident, and must not be replaced while a server has it open.

use std::path::{Path, PathBuf};
use std::time::Duration;

use platform_db::rusqlite::{self, Connection, ErrorCode};

/// How long `restore` waits for other connections to let go before calling the file in use.
const LOCK_WAIT: Duration = Duration::from_millis(250);

/// An operation on a database file that was refused.
#[derive(Debug, thiserror::Error)]
pub enum DbFileError {
    /// The file to read does not exist.
    #[error("{} does not exist", .0.display())]
    Missing(PathBuf),
    /// The file to write already exists.
    #[error("refusing to overwrite existing {}{hint}", .path.display())]
    Exists {
        /// The file.
        path: PathBuf,
        /// How to proceed, if there is a way.
        hint: &'static str,
    },
    /// Another process (a running `declutter serve`) has the database open.
    #[error(
        "database {} is in use: stop the service (e.g. `systemctl stop declutter`) and retry",
        .0.display()
    )]
    InUse(PathBuf),
    /// A stale write-ahead log sits beside a database that does not exist.
    #[error("{} exists without its database; move it away first", .0.display())]
    StaleSidecar(PathBuf),
    /// SQLite failed.
    #[error("database {}: {source}", .path.display())]
    Sqlite {
        /// The file.
        path: PathBuf,
        /// The error.
        source: rusqlite::Error,
    },
}

impl DbFileError {
    fn sqlite(path: &Path) -> impl FnOnce(rusqlite::Error) -> Self + '_ {
        move |source| {
            if matches!(
                source.sqlite_error_code(),
                Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
            ) {
                Self::InUse(path.to_owned())
            } else {
                Self::Sqlite {
                    path: path.to_owned(),
                    source,
                }
            }
        }
    }
}

/// Fails unless `path` exists (so a typo in `--db` never creates an empty database).
pub fn require(path: &Path) -> Result<(), DbFileError> {
    if path.exists() {
        Ok(())
    } else {
        Err(DbFileError::Missing(path.to_owned()))
    }
}

/// `path`'s `-wal` and `-shm` companions.
pub fn sidecars(path: &Path) -> [PathBuf; 2] {
    ["-wal", "-shm"].map(|suffix| {
        let mut s = path.as_os_str().to_owned();
        s.push(suffix);
        PathBuf::from(s)
    })
}

/// Opens `path` (creating it) and takes an exclusive lock held until the connection closes.
///
/// Every connection of a running server holds a shared lock on a WAL database for as long as
/// it is open, so leaving WAL mode (which needs the exclusive lock) fails exactly when some
/// other process has the file open. With `locking_mode=EXCLUSIVE` the lock is then kept, so
/// no server can open the file halfway through a restore.
pub fn lock_exclusive(path: &Path) -> Result<Connection, DbFileError> {
    if !path.exists()
        && let Some(stale) = sidecars(path).into_iter().find(|p| p.exists())
    {
        return Err(DbFileError::StaleSidecar(stale));
    }
    let conn = Connection::open(path).map_err(DbFileError::sqlite(path))?;
    conn.busy_timeout(LOCK_WAIT)
        .map_err(DbFileError::sqlite(path))?;
    conn.pragma_update(None, "locking_mode", "EXCLUSIVE")
        .map_err(DbFileError::sqlite(path))?;
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "DELETE", |r| r.get(0))
        .map_err(DbFileError::sqlite(path))?;
    if !mode.eq_ignore_ascii_case("delete") {
        return Err(DbFileError::InUse(path.to_owned()));
    }
    conn.execute_batch("BEGIN EXCLUSIVE; COMMIT;")
        .map_err(DbFileError::sqlite(path))?;
    Ok(conn)
}

/// Rows in `table`, or `None` when the database has no such table.
pub fn count(conn: &Connection, table: &str) -> Result<Option<i64>, rusqlite::Error> {
    let exists: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1)",
        [table],
        |r| r.get(0),
    )?;
    if !exists {
        return Ok(None);
    }
    // `table` is one of our own constant names, checked against sqlite_master above.
    conn.query_row(&format!("SELECT count(*) FROM \"{table}\""), [], |r| {
        r.get(0)
    })
    .map(Some)
}

/// `users 2, connections 1, trash entries 3`, skipping tables the database lacks.
pub fn summary(conn: &Connection) -> Result<String, rusqlite::Error> {
    let mut parts = Vec::new();
    for (table, label) in [
        ("users", "users"),
        ("oauth_connections", "connections"),
        ("trash", "trash entries"),
    ] {
        if let Some(n) = count(conn, table)? {
            parts.push(format!("{label} {n}"));
        }
    }
    Ok(parts.join(", "))
}
