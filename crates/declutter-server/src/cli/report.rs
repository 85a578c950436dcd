//! `declutter report`: clutter in the index.

use declutter_core::engine::report::{self, ReportOptions};
use declutter_core::store::files::FileRow;

use super::context::Context;
use super::output::{self, human, safe};

/// Arguments of `report`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// How many of the largest files to show.
    #[arg(long, default_value_t = 20)]
    pub top: usize,
    /// Files not modified for this many days count as untouched.
    #[arg(long, default_value_t = 365)]
    pub untouched_days: u32,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

fn section(out: &mut String, title: &str, rows: &[FileRow]) {
    let total: u64 = rows.iter().map(|r| r.size).sum();
    out.push_str(&format!("{title}: {} ({})\n", rows.len(), human(total)));
    for r in rows.iter().take(50) {
        out.push_str(&format!("  {:>10}  {}\n", human(r.size), safe(&r.path)));
    }
}

/// Runs `report`.
pub fn run(ctx: Context, args: Args) -> anyhow::Result<()> {
    let options = ReportOptions {
        top: args.top,
        untouched_days: args.untouched_days,
    };
    let r = report::build(&ctx.conn, &ctx.user, options)?;
    if args.json {
        return output::json(&r);
    }
    let mut out = String::new();
    section(&mut out, "largest files", &r.largest);
    section(
        &mut out,
        &format!("untouched for {} days", args.untouched_days),
        &r.untouched,
    );
    section(&mut out, "empty files", &r.empty_files);
    section(&mut out, "empty folders", &r.empty_folders);
    section(&mut out, "temporary files", &r.temporary);
    output::print(&out)
}
