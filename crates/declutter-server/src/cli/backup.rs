//! `declutter backup <FILE>`: a consistent online copy of the database, safe to take while
//! `declutter serve` keeps running (SQLite's backup API, not a file copy that could miss the
//! write-ahead log).

use std::path::{Path, PathBuf};

use super::dbfile::{self, DbFileError};
use super::output;

/// Arguments of `backup`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to write the backup (a new file: an existing one is never overwritten).
    pub file: PathBuf,
}

/// Runs `backup`.
pub fn run(db: &Path, args: Args) -> anyhow::Result<()> {
    dbfile::require(db)?;
    if args.file.exists() {
        return Err(DbFileError::Exists {
            path: args.file,
            hint: "",
        }
        .into());
    }
    let conn = platform_db::open(db)?;
    let summary = write(&conn, &args.file)?;
    let bytes = std::fs::metadata(&args.file)?.len();
    output::print(&format!(
        "backup {}: {} ({bytes} bytes), integrity ok\n",
        output::safe(&args.file.display().to_string()),
        if summary.is_empty() {
            "no tables"
        } else {
            summary.as_str()
        }
    ))
}

/// Writes the backup into a private staging directory beside `file`, then links it into place:
/// `file` appears complete and owner-only (it holds password hashes and sealed tokens) or not at
/// all, and an existing file is never replaced, even by a concurrent run. Returns what the copy
/// holds.
fn write(conn: &platform_db::rusqlite::Connection, file: &Path) -> anyhow::Result<String> {
    let dir = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let staging = tempfile::Builder::new()
        .prefix(".declutter-backup-")
        .tempdir_in(dir)?;
    let staged = staging.path().join("backup.db");
    platform_db::backup(conn, &staged)?;
    let summary = dbfile::summary(&platform_db::rusqlite::Connection::open_with_flags(
        &staged,
        platform_db::rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )?)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&staged, std::fs::Permissions::from_mode(0o600))?;
    }
    std::fs::File::open(&staged)?.sync_all()?;
    std::fs::hard_link(&staged, file).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            anyhow::Error::from(DbFileError::Exists {
                path: file.to_owned(),
                hint: "",
            })
        } else {
            anyhow::Error::from(e)
        }
    })?;
    // Make the new directory entry durable too.
    std::fs::File::open(dir)?.sync_all()?;
    Ok(summary)
}
