//! `declutter trash list|restore|purge`

use declutter_core::engine::trash::{self, PurgeSelection};
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
    /// Put trashed files back where they were.
    Restore {
        /// Trash entry ids (see `trash list`).
        #[arg(required = true)]
        ids: Vec<i64>,
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
        Action::Restore { ids } => {
            let mut out = String::new();
            for id in ids {
                let e = trash::restore(&mut ctx.conn, &ctx.user, id, &ctx.providers).await?;
                out.push_str(&format!("restored {}\n", safe(&e.original_path)));
            }
            output::print(&out)
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
