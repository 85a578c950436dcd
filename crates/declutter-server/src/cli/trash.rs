//! `declutter trash list|restore|purge`

use declutter_core::engine::EngineError;
use declutter_core::engine::lease::Lease;
use declutter_core::engine::trash::{self, PurgeSelection, RestoreSelection};
use declutter_core::progress::NoProgress;
use declutter_core::provider::ProviderError;
use declutter_core::store::trash::TrashEntry;

use super::context::Context;
use super::output::{self, human, safe};

/// Arguments of `trash`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to do with the trash.
    #[command(subcommand)]
    pub action: Action,
}

/// Trash actions.
#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// List trashed files.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Put trashed files back where they were; something now at the original place is never
    /// overwritten (reported as a conflict, exit 6, the rest go on).
    #[command(group(clap::ArgGroup::new("which").required(true).args(["ids", "plan", "all"])))]
    Restore {
        /// Trash entry ids (see `trash list`).
        ids: Vec<i64>,
        /// Undo a whole plan: everything it moved to the trash.
        #[arg(long, value_name = "N", conflicts_with_all = ["ids", "all"])]
        plan: Option<i64>,
        /// Everything in the trash.
        #[arg(long, conflicts_with = "ids")]
        all: bool,
    },
    /// Delete trashed files for good: expired ones by default.
    Purge {
        /// Purge everything in the trash now, expired or not.
        #[arg(long, conflicts_with = "ids")]
        all: bool,
        /// Only these entries.
        ids: Vec<i64>,
    },
}

fn line(e: &TrashEntry) -> String {
    format!(
        "{:>6}  {:>10}  {}  {}\n",
        e.id,
        human(e.size),
        e.provider,
        safe(&e.original_path)
    )
}

/// Restores `selection`; a whole plan under the account's apply lock, like an apply.
async fn restore(ctx: &mut Context, selection: &RestoreSelection) -> anyhow::Result<()> {
    let lease = match selection {
        RestoreSelection::Plan(plan) => Some(Lease::acquire(&mut ctx.conn, &ctx.user, *plan)?),
        _ => None,
    };
    let result = trash::restore_many(
        &mut ctx.conn,
        &ctx.user,
        selection,
        &ctx.providers,
        &NoProgress,
        lease.as_ref(),
    )
    .await;
    if let Some(lease) = lease {
        lease.release(&ctx.conn)?;
    }
    let report = result?;
    for (path, reason) in &report.failed {
        output::note(&format!("not restored {path}: {reason}"));
    }
    for path in &report.conflicts {
        output::note(&format!(
            "conflict {path}: something exists there now; left in the trash"
        ));
    }
    output::print(&format!(
        "restored {} files ({}), {} conflicts, {} not restored\n",
        report.restored,
        human(report.bytes),
        report.conflicts.len(),
        report.failed.len()
    ))?;
    // Exit 6 when something was left for a conflict, else 4 when something was refused.
    if let Some(path) = report.conflicts.into_iter().next() {
        return Err(EngineError::Provider(ProviderError::RestoreConflict(path)).into());
    }
    match report.failed.into_iter().next() {
        Some((path, reason)) => {
            Err(EngineError::Provider(ProviderError::Refused(format!("{path}: {reason}"))).into())
        }
        None => Ok(()),
    }
}

/// Runs `trash`.
pub async fn run(mut ctx: Context, args: Args) -> anyhow::Result<()> {
    match args.action {
        Action::List { json } => {
            let entries = trash::list(&ctx.conn, &ctx.user)?;
            if json {
                return output::json(&entries);
            }
            output::print(&entries.iter().map(line).collect::<String>())
        }
        Action::Restore { ids, plan, all } => {
            let selection = match (plan, all) {
                (Some(plan), _) => RestoreSelection::Plan(plan),
                (None, true) => RestoreSelection::All,
                (None, false) => RestoreSelection::Ids(ids),
            };
            restore(&mut ctx, &selection).await
        }
        Action::Purge { all, ids } => {
            let selection = if all {
                PurgeSelection::All
            } else if ids.is_empty() {
                PurgeSelection::Expired
            } else {
                PurgeSelection::Ids(ids)
            };
            let purged = trash::purge(&mut ctx.conn, &ctx.user, &selection, &ctx.providers).await?;
            let bytes: u64 = purged.iter().map(|e| e.size).sum();
            output::print(&format!(
                "purged {} files ({})\n",
                purged.len(),
                human(bytes)
            ))
        }
    }
}
