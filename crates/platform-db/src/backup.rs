//! Consistent online backups and restores through SQLite's backup API.
//!
//! A backup taken this way is a transactionally consistent snapshot even while writers keep
//! committing; copying the database file by hand is not (the WAL may hold recent commits).

use std::path::Path;
use std::time::Duration;

use rusqlite::backup::Backup;
use rusqlite::{Connection, OpenFlags};

/// Pages copied per step; small steps let writers interleave with a long backup.
const PAGES_PER_STEP: std::ffi::c_int = 256;
const PAUSE_BETWEEN_STEPS: Duration = Duration::from_millis(1);

/// Failure of a backup or a restore.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// SQLite refused the copy.
    #[error("backup failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The source of a restore is not a healthy SQLite database.
    #[error("backup file failed its integrity check: {0}")]
    Corrupt(String),
    /// The destination already exists and we never overwrite a backup.
    #[error("refusing to overwrite existing file {0}")]
    Exists(String),
}

/// Copies the live database behind `source` into a new file at `dest`.
pub fn backup(source: &Connection, dest: &Path) -> Result<(), BackupError> {
    if dest.exists() {
        return Err(BackupError::Exists(dest.display().to_string()));
    }
    let mut out = Connection::open(dest)?;
    {
        let copy = Backup::new(source, &mut out)?;
        copy.run_to_completion(PAGES_PER_STEP, PAUSE_BETWEEN_STEPS, None)?;
    }
    // A backup file should stand alone: fold everything into the main file.
    out.pragma_update(None, "journal_mode", "DELETE")?;
    check_integrity(&out)?;
    Ok(())
}

/// Replaces the contents of the database behind `target` with the backup at `source`, after
/// verifying that the backup is intact.
pub fn restore(source: &Path, target: &mut Connection) -> Result<(), BackupError> {
    let from = Connection::open_with_flags(source, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    check_integrity(&from)?;
    let copy = Backup::new(&from, target)?;
    copy.run_to_completion(PAGES_PER_STEP, PAUSE_BETWEEN_STEPS, None)?;
    Ok(())
}

fn check_integrity(conn: &Connection) -> Result<(), BackupError> {
    let verdict: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    if verdict == "ok" {
        Ok(())
    } else {
        Err(BackupError::Corrupt(verdict))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::open::open;

    #[test]
    fn backup_then_restore_round_trips() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let live = open(&dir.path().join("live.db"))?;
        live.execute_batch("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('kept');")?;
        let snapshot = dir.path().join("snap.db");
        backup(&live, &snapshot)?;
        assert!(matches!(
            backup(&live, &snapshot),
            Err(BackupError::Exists(_))
        ));

        let mut fresh = open(&dir.path().join("fresh.db"))?;
        restore(&snapshot, &mut fresh)?;
        let v: String = fresh.query_row("SELECT v FROM t", [], |r| r.get(0))?;
        assert_eq!(v, "kept");
        Ok(())
    }

    #[test]
    fn restore_refuses_a_corrupt_file() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let junk = dir.path().join("junk.db");
        std::fs::write(&junk, b"this is not a database at all, not even close")?;
        let mut fresh = open(&dir.path().join("fresh.db"))?;
        assert!(restore(&junk, &mut fresh).is_err());
        Ok(())
    }
}
