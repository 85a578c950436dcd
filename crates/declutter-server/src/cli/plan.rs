//! `declutter plan --keep ...`: a dry-run plan; nothing is touched until `apply`.

use declutter_core::engine::plan;
use declutter_core::engine::rules::KeepRules;
use declutter_core::store::plans::Action;

use super::context::Context;
use super::output::{self, human, safe};

/// Arguments of `plan`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Keep rules, combinable and repeatable: newest, oldest, shortest-path, original-name,
    /// ref:<folder> (keep everything under the folder, remove only copies elsewhere).
    #[arg(
        long = "keep",
        value_name = "RULE",
        default_value = "original-name,shortest-path"
    )]
    pub keep: Vec<String>,
    /// Print the plan as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `plan`.
pub fn run(mut ctx: Context, args: Args) -> anyhow::Result<()> {
    // Relative keep folders are read against the current folder, as any path on a command line.
    let cwd = std::env::current_dir()?;
    let rules = plan::resolve_rules(
        &ctx.conn,
        &ctx.user,
        KeepRules::parse(&args.keep)?,
        plan::Base::Dir(&cwd),
    )?;
    let summary = plan::build(&mut ctx.conn, &ctx.user, &rules)?;
    if args.json {
        return output::json(&summary);
    }
    let mut out = String::new();
    for item in summary.items.iter().filter(|i| i.action == Action::Remove) {
        out.push_str(&format!("remove  {}\n", safe(&item.path)));
    }
    out.push_str(&format!(
        "plan {}: {} groups, {} files to remove, {} reclaimed (dry run; run `declutter apply {}`)\n",
        summary.plan_id,
        summary.groups,
        summary.remove_count,
        human(summary.bytes_reclaimed),
        summary.plan_id
    ));
    output::print(&out)
}
