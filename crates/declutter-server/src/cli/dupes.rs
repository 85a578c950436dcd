//! `declutter dupes`: duplicate groups as a table, JSON or CSV.

use declutter_core::store::groups::{self, Group};

use super::context::Context;
use super::output::{self, Styles, csv_field, human, paint, safe};

/// Arguments of `dupes`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print a JSON array of groups (`size`, `files[].path`, ...).
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Print CSV, one row per file.
    #[arg(long)]
    pub csv: bool,
    /// Groups shown in the table, largest reclaimable first (0: all). JSON and CSV hold all.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub top: usize,
    /// First download and hash the files of probable matches (see `verify`).
    #[arg(long)]
    pub verify: bool,
    /// Limits of `--verify`.
    #[command(flatten)]
    pub limits: super::verify::Limits,
}

/// The table: one block per group, largest reclaimable first, `top` of them (0: all), then
/// the totals over every group.
fn table(groups: &[Group], top: usize, st: Styles) -> String {
    let mut out = String::new();
    let wasted: u64 = groups.iter().map(Group::wasted).sum();
    let shown = if top == 0 {
        groups.len()
    } else {
        top.min(groups.len())
    };
    for g in &groups[..shown] {
        let kind = match g.confidence {
            groups::Confidence::Exact => String::new(),
            groups::Confidence::Probable => paint(
                st.dim,
                "  probable: same name and size, not verified (`declutter verify`)",
            ),
        };
        out.push_str(&format!(
            "{}{kind}\n",
            paint(
                st.strong,
                &format!(
                    "{:>10} reclaimable  {} copies x {}  group {}",
                    human(g.wasted()),
                    g.files.len(),
                    human(g.size),
                    g.id
                )
            ),
        ));
        for f in &g.files {
            let shared = if f.owned {
                String::new()
            } else {
                paint(st.dim, "  (shared with you, not yours: always kept)")
            };
            out.push_str(&format!("    {}{shared}\n", safe(&f.path)));
        }
    }
    if shown < groups.len() {
        out.push_str(&paint(
            st.dim,
            &format!(
                "... {} more groups (--top 0 shows all; --json or --csv for every file)\n",
                groups.len() - shown
            ),
        ));
    }
    out.push_str(&paint(
        st.strong,
        &format!("{} groups, {} reclaimable\n", groups.len(), human(wasted)),
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
        output::print(&table(&groups, args.top, Styles::stdout()))
    }
}
