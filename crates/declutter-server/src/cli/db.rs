//! `declutter db copy` and `declutter db verify`: move an installation from its SQLite file
//! into PostgreSQL and prove the copy holds the same rows (a count and a SHA-256 per table,
//! computed from the values read back from each side).
//!
//! Both hold the SQLite file exclusively while they run (stop the service first), and bring
//! it to this binary's schema first; `copy` migrates the PostgreSQL database and refuses one
//! that already holds rows, so nothing there is overwritten.

use std::path::{Path, PathBuf};

use platform_db::pg::PgTls;
use platform_db::pg::copy::{self, TableSum};
use secrecy::{ExposeSecret as _, SecretString};

use super::{dbfile, output};

/// The variable naming the PostgreSQL database (it may hold a password: never printed).
pub const ENV_DATABASE_URL: &str = "DECLUTTER_DATABASE_URL";

/// Arguments of `db`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: DbCommand,
}

#[derive(Debug, clap::Subcommand)]
enum DbCommand {
    /// Copy every row of the SQLite database into an empty PostgreSQL database, then verify
    /// the copy (row counts and a SHA-256 per table).
    Copy(Ends),
    /// Compare the SQLite database with a PostgreSQL copy, table by table.
    Verify(Ends),
}

#[derive(Debug, clap::Args)]
struct Ends {
    /// The SQLite database, as `sqlite:PATH` (default: the global --db).
    #[arg(long, value_name = "sqlite:PATH")]
    from: Option<String>,
    /// The PostgreSQL database, `postgres://user:password@host:port/name`.
    #[arg(long, value_name = "postgres://…", env = ENV_DATABASE_URL, hide_env_values = true)]
    to: Option<SecretString>,
    /// A file holding the PostgreSQL URL (a mounted secret), instead of `--to`.
    #[arg(long, value_name = "PATH", env = declutter_web::config::env::DATABASE_URL_FILE)]
    to_file: Option<PathBuf>,
    /// PEM file of the CA certificate(s) of PostgreSQL's TLS certificate, trusted besides
    /// Mozilla's roots (add `sslmode=require` to the URL to refuse plain text).
    #[arg(long, value_name = "PEM", env = declutter_web::config::env::DATABASE_CA_FILE)]
    ca_file: Option<PathBuf>,
}

/// A source or target that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum EndError {
    /// `--from` is not a `sqlite:` location.
    #[error("--from must be sqlite:PATH, not {0:?}")]
    NotSqlite(String),
    /// `--to` is not a PostgreSQL URL.
    #[error("--to (or {ENV_DATABASE_URL}) must be a postgres:// URL")]
    NotPostgres,
    /// No PostgreSQL database is named.
    #[error(
        "name the PostgreSQL database: --to, --to-file, {ENV_DATABASE_URL} or {ENV_DATABASE_URL}_FILE"
    )]
    NoTarget,
}

fn source(from: Option<&str>, db: &Path) -> Result<PathBuf, EndError> {
    match from {
        None => Ok(db.to_owned()),
        Some(s) => s
            .strip_prefix("sqlite:")
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
            .ok_or_else(|| EndError::NotSqlite(s.to_owned())),
    }
}

/// Runs `db copy` or `db verify`.
pub async fn run(db: &Path, args: Args) -> anyhow::Result<()> {
    let (copying, ends) = match args.command {
        DbCommand::Copy(e) => (true, e),
        DbCommand::Verify(e) => (false, e),
    };
    let path = source(ends.from.as_deref(), db)?;
    let to = declutter_web::config::secret(ends.to, ends.to_file.as_deref(), ENV_DATABASE_URL)?
        .ok_or(EndError::NoTarget)?;
    let url = to.expose_secret();
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(EndError::NotPostgres.into());
    }
    dbfile::require(&path)?;
    let mut conn = dbfile::lock_exclusive(&path)?;
    platform_db::migrate(&mut conn, &declutter_core::db::MIGRATIONS)?;
    declutter_web::db::migrate(&mut conn)?;
    let tls = match &ends.ca_file {
        Some(path) => PgTls::with_ca_file(path)?,
        None => PgTls::default(),
    };
    let pool = platform_db::pg::connect(url, 2, &tls)?;
    let skip = declutter_web::db::SQLITE_ONLY;
    let sums = if copying {
        declutter_web::db::pg_migrate(&pool).await?;
        copy::copy(&conn, &pool, skip).await?
    } else {
        copy::verify(&conn, &pool, skip).await?
    };
    output::print(&describe(copying, &sums))
}

fn describe(copied: bool, sums: &[TableSum]) -> String {
    let mut out = String::new();
    for s in sums {
        out.push_str(&format!(
            "{:<20} {:>10} rows  sha256 {}\n",
            s.table, s.rows, s.sha256
        ));
    }
    let rows: u64 = sums.iter().map(|s| s.rows).sum();
    out.push_str(&format!(
        "{} {} tables, {rows} rows: both databases hold the same rows\n",
        if copied { "copied" } else { "compared" },
        sums.len()
    ));
    out
}
