//! The command line: one module per subcommand, shared context in [`context`].

mod account;
mod apply;
mod backup;
mod context;
mod db;
mod dbfile;
mod dupes;
pub mod exit;
mod output;
mod plan;
mod progress;
mod report;
mod restore;
mod rotate;
mod scan;
mod serve;
mod token_file;
mod trash;
mod user;
mod verify;
mod web;

use std::path::PathBuf;

use clap::parser::ValueSource;
use clap::{CommandFactory as _, FromArgMatches as _, Parser, Subcommand};

/// Environment variable naming the database file.
pub const ENV_DB: &str = "DECLUTTER_DB";
/// Environment variable naming the web account the engine commands act as.
pub const ENV_USER: &str = "DECLUTTER_USER";

/// Find duplicate and clutter files and remove them safely (to a restorable trash).
#[derive(Debug, Parser)]
#[command(name = "declutter", version, about)]
pub struct Cli {
    /// SQLite database holding scans, plans and the trash log [default: declutter.db in the
    /// user's data folder, ~/.local/share/declutter, for every command and `serve` alike].
    #[arg(long, global = true, env = ENV_DB, default_value_os_t = declutter_core::db::default_path(), hide_default_value = true)]
    pub db: PathBuf,
    /// Act as this web account (its email): engine commands read and write its scans, plans
    /// and trash, and `scan FOLDER` adds the folder to its local sources in the web app.
    #[arg(long, global = true, env = ENV_USER, value_name = "EMAIL")]
    pub user: Option<String>,
    /// Whether `--user` was written on the command line (the operations commands refuse it).
    #[arg(skip)]
    pub user_on_command_line: bool,
    /// Whether `--db` was written on the command line (see [`parse`]).
    #[arg(skip)]
    pub db_on_command_line: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Parses `argv`, exiting with clap's message on bad arguments. `serve` has its own `--db`
/// (the same default), so `declutter --db X serve` would otherwise put X in the global option
/// and serve another file; remembering where the value came from lets `run` hand an explicit
/// `--db` to `serve` too.
pub fn parse_from<I, T>(argv: I) -> Result<Cli, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let matches = Cli::command().try_get_matches_from(argv)?;
    let mut cli = Cli::from_arg_matches(&matches)?;
    cli.db_on_command_line = matches.value_source("db") == Some(ValueSource::CommandLine);
    cli.user_on_command_line = matches.value_source("user") == Some(ValueSource::CommandLine);
    Ok(cli)
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Index a local folder, `onedrive:` or `gdrive:` and find duplicates.
    Scan(scan::Args),
    /// Show duplicate groups (table, --json or --csv; --verify checks probable ones first).
    Dupes(dupes::Args),
    /// Download and hash the files of probable cross-provider matches: each becomes
    /// confirmed (exact) or rejected. Bounded concurrency, size-capped.
    Verify(verify::Args),
    /// Make a removal plan from keep rules (dry run: nothing is touched).
    Plan(plan::Args),
    /// Apply a plan: move the planned files to the trash, re-checking each first.
    Apply(apply::Args),
    /// List, restore or purge trashed files.
    Trash(trash::Args),
    /// Clutter report: largest, untouched, empty and temporary files.
    Report(report::Args),
    /// Serve the web app (embedded defaults: SQLite in the user's data folder, plain HTTP on
    /// 127.0.0.1:8080).
    Serve(Box<declutter_web::Args>),
    /// Run scan workers without the web UI, on the same database and settings as `serve`
    /// (scale out: `serve --no-worker` for the UI, `worker` where the folders are mounted).
    Worker(Box<declutter_web::Args>),
    /// Write a consistent online backup of the database to a new file (safe while serving).
    Backup(backup::Args),
    /// Restore a backup into --db after checking its integrity (stop the service first).
    Restore(restore::Args),
    /// Manage web app accounts.
    User(user::Args),
    /// Re-encrypt stored cloud tokens under a new key (stop the service first).
    RotateTokenKey(rotate::Args),
    /// Move the installation to PostgreSQL: `db copy --from sqlite:PATH --to postgres://…`
    /// copies and verifies; `db verify` compares (stop the service first).
    Db(db::Args),
}

/// `serve`'s arguments, with the global `--db` when it was given on the command line.
fn serve_args(
    mut a: declutter_web::Args,
    db: &std::path::Path,
    given: bool,
) -> declutter_web::Args {
    if given {
        db.clone_into(&mut a.db);
    }
    a
}

/// A command that works on the SQLite file while the installation is on PostgreSQL.
#[derive(Debug, thiserror::Error)]
#[error(
    "DECLUTTER_DATABASE_URL is set, so this installation keeps its data in PostgreSQL, and \
     `declutter {command}` works on the SQLite file only: use the web app or its API (pg_dump for \
     backups), or unset the variable to work on the SQLite file"
)]
pub struct SqliteOnly {
    /// The refused command.
    pub command: &'static str,
}

/// The commands that read or write the SQLite file itself (the engine commands through
/// [`context::Context`], backups).
fn sqlite_only(command: &Command) -> Option<&'static str> {
    Some(match command {
        Command::Scan(_) => "scan",
        Command::Dupes(_) => "dupes",
        Command::Verify(_) => "verify",
        Command::Plan(_) => "plan",
        Command::Apply(_) => "apply",
        Command::Trash(_) => "trash",
        Command::Report(_) => "report",
        Command::Backup(_) => "backup",
        Command::Restore(_) => "restore",
        _ => return None,
    })
}

/// Runs the parsed command. The engine commands share a [`context::Context`]; `serve` and the
/// operations commands manage the database file themselves.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    if let Some(command) = sqlite_only(&cli.command)
        && [
            db::ENV_DATABASE_URL,
            declutter_web::config::env::DATABASE_URL_FILE,
        ]
        .iter()
        .any(|v| std::env::var_os(v).is_some())
    {
        return Err(SqliteOnly { command }.into());
    }
    let db = cli.db;
    let account = cli.user;
    let operations = matches!(
        cli.command,
        Command::Serve(_)
            | Command::Worker(_)
            | Command::Backup(_)
            | Command::Restore(_)
            | Command::User(_)
            | Command::RotateTokenKey(_)
            | Command::Db(_)
    );
    if operations && cli.user_on_command_line {
        return Err(account::AccountError::NotForOperations.into());
    }
    let ctx = || context::Context::open(&db, account.as_deref());
    let db_given = cli.db_on_command_line;
    match cli.command {
        Command::Scan(a) => scan::run(ctx()?, a).await,
        Command::Dupes(a) => dupes::run(ctx()?, a).await,
        Command::Verify(a) => verify::run(ctx()?, a).await,
        Command::Plan(a) => plan::run(ctx()?, a),
        Command::Apply(a) => apply::run(ctx()?, a).await,
        Command::Trash(a) => trash::run(ctx()?, a).await,
        Command::Report(a) => report::run(ctx()?, a),
        Command::Serve(a) => serve::run(serve_args(*a, &db, db_given)).await,
        Command::Worker(a) => serve::work(serve_args(*a, &db, db_given)).await,
        Command::Backup(a) => backup::run(&db, a),
        Command::Restore(a) => restore::run(&db, a),
        Command::User(a) => user::run(&db, a).await,
        Command::RotateTokenKey(a) => rotate::run(&db, a).await,
        Command::Db(a) => db::run(&db, a).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serve_db(argv: &[&str]) -> Result<PathBuf, Box<dyn std::error::Error>> {
        let cli = parse_from(argv)?;
        match cli.command {
            Command::Serve(a) => Ok(serve_args(*a, &cli.db, cli.db_on_command_line).db),
            _ => Err("not serve".into()),
        }
    }

    #[test]
    fn serve_honours_db_before_or_after_the_subcommand() -> Result<(), Box<dyn std::error::Error>> {
        Cli::command().debug_assert();
        if std::env::var_os(ENV_DB).is_some() {
            return Ok(());
        }
        assert_eq!(
            serve_db(&["declutter", "--db", "x.db", "serve"])?,
            PathBuf::from("x.db")
        );
        assert_eq!(
            serve_db(&["declutter", "serve", "--db", "z.db"])?,
            PathBuf::from("z.db")
        );
        // One database per installation: the engine commands and `serve` agree by default.
        let default = declutter_core::db::default_path();
        assert_eq!(serve_db(&["declutter", "serve"])?, default);
        assert_eq!(parse_from(["declutter", "dupes"])?.db, default);
        assert!(default.ends_with("declutter/declutter.db"), "{default:?}");
        Ok(())
    }
}
