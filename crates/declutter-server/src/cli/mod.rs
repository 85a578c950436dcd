//! The command line: one module per subcommand, shared context in [`context`].

mod apply;
mod context;
mod dupes;
pub mod exit;
mod output;
mod plan;
mod progress;
mod report;
mod scan;
mod trash;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Environment variable naming the database file.
pub const ENV_DB: &str = "DECLUTTER_DB";

/// Find duplicate and clutter files and remove them safely (to a restorable trash).
#[derive(Debug, Parser)]
#[command(name = "declutter", version, about)]
pub struct Cli {
    /// SQLite database holding scans, plans and the trash log.
    #[arg(long, global = true, env = ENV_DB, default_value = "declutter.db")]
    pub db: PathBuf,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Index a local folder, `onedrive:` or `gdrive:` and find duplicates.
    Scan(scan::Args),
    /// Show duplicate groups (table, --json or --csv).
    Dupes(dupes::Args),
    /// Make a removal plan from keep rules (dry run: nothing is touched).
    Plan(plan::Args),
    /// Apply a plan: move the planned files to the trash, re-checking each first.
    Apply(apply::Args),
    /// List, restore or purge trashed files.
    Trash(trash::Args),
    /// Clutter report: largest, untouched, empty and temporary files.
    Report(report::Args),
}

/// Runs the parsed command.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let ctx = context::Context::open(&cli.db)?;
    match cli.command {
        Command::Scan(a) => scan::run(ctx, a).await,
        Command::Dupes(a) => dupes::run(ctx, a),
        Command::Plan(a) => plan::run(ctx, a),
        Command::Apply(a) => apply::run(ctx, a).await,
        Command::Trash(a) => trash::run(ctx, a).await,
        Command::Report(a) => report::run(ctx, a),
    }
}
