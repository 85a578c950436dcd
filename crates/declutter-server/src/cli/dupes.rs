//! `declutter dupes`: duplicate groups as a table, JSON or CSV.

use declutter_core::store::groups::{self, Group};

use super::context::Context;
use super::output::{self, csv_field, human, safe};

/// Arguments of `dupes`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print a JSON array of groups (`size`, `files[].path`, ...).
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Print CSV, one row per file.
    #[arg(long)]
    pub csv: bool,
    /// First download and hash the files of probable matches (see `verify`).
    #[arg(long)]
    pub verify: bool,
    /// Limits of `--verify`.
    #[command(flatten)]
    pub limits: super::verify::Limits,
}

fn table(groups: &[Group]) -> String {
    let mut out = String::new();
    let wasted: u64 = groups.iter().map(Group::wasted).sum();
    for g in groups {
        out.push_str(&format!(
            "group {} ({:?}, {} files x {}, {} reclaimable)\n",
            g.id,
            g.confidence,
            g.files.len(),
            human(g.size),
            human(g.wasted())
        ));
        for f in &g.files {
            let shared = if f.owned {
                ""
            } else {
                " (shared, not owned: kept)"
            };
            out.push_str(&format!("  {}{shared}\n", safe(&f.path)));
        }
    }
    out.push_str(&format!(
        "{} groups, {} reclaimable\n",
        groups.len(),
        human(wasted)
    ));
    out
}

fn csv(groups: &[Group]) -> String {
    let mut out = String::from("group,confidence,size,hash_kind,hash,provider,path,owned\n");
    for g in groups {
        for f in &g.files {
            let conf = serde_json::to_value(g.confidence)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            out.push_str(&format!(
                "{},{},{},{},{},{},{},{}\n",
                g.id,
                conf,
                g.size,
                g.hash_kind.as_deref().unwrap_or(""),
                g.hash.as_deref().unwrap_or(""),
                f.provider,
                csv_field(&f.path),
                f.owned
            ));
        }
    }
    out
}

/// Runs `dupes`.
pub async fn run(mut ctx: Context, args: Args) -> anyhow::Result<()> {
    if args.verify {
        let summary = super::verify::verify(&mut ctx, &args.limits).await?;
        output::note(super::verify::describe(&summary).trim_end());
    }
    let groups = groups::list(&ctx.conn, &ctx.user)?;
    if args.json {
        output::json(&groups)
    } else if args.csv {
        output::print(&csv(&groups))
    } else {
        output::print(&table(&groups))
    }
}
