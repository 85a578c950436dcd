//! `declutter restore <FILE>`: checks a backup's integrity and copies it into `--db`.
//!
//! The procedure is stop the service, restore, start: a database a server has open is refused
//! (see [`super::dbfile::lock_exclusive`]), and so is an existing database unless `--force`.

use std::path::{Path, PathBuf};

use super::dbfile::{self, DbFileError};
use super::output;

/// Arguments of `restore`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The backup file to restore (it must pass SQLite's integrity check).
    pub file: PathBuf,
    /// Replace the existing database at --db (it still must not be in use).
    #[arg(long)]
    pub force: bool,
}

/// Runs `restore`.
pub fn run(db: &Path, args: Args) -> anyhow::Result<()> {
    dbfile::require(&args.file)?;
    if db.exists() && !args.force {
        return Err(DbFileError::Exists {
            path: db.to_owned(),
            hint: " (pass --force to replace it; stop the service first)",
        }
        .into());
    }
    if let Some(parent) = db.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let created = !db.exists();
    let summary = match copy(&args.file, db) {
        Ok(s) => s,
        Err(e) => {
            // Leave no empty or half-written database behind where there was none.
            if created {
                for p in std::iter::once(db.to_owned()).chain(dbfile::sidecars(db)) {
                    let _ = std::fs::remove_file(p);
                }
            }
            return Err(e);
        }
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(db, std::fs::Permissions::from_mode(0o600))?;
    }
    output::print(&format!(
        "restored {} into {}: {}, integrity ok\n",
        output::safe(&args.file.display().to_string()),
        output::safe(&db.display().to_string()),
        if summary.is_empty() {
            "no tables"
        } else {
            summary.as_str()
        }
    ))
}

/// Copies `file` into `db` under an exclusive lock and checks the result; returns its summary.
fn copy(file: &Path, db: &Path) -> anyhow::Result<String> {
    let mut target = dbfile::lock_exclusive(db)?;
    platform_db::restore(file, &mut target)?;
    let verdict: String = target.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    if verdict != "ok" {
        anyhow::bail!("restored database failed its integrity check: {verdict}");
    }
    Ok(dbfile::summary(&target)?)
}
