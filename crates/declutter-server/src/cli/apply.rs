//! `declutter apply <plan>`: move planned files to the trash, resumably.

use std::sync::Arc;
use std::time::Duration;

use declutter_core::engine::EngineError;
use declutter_core::engine::apply::{self, ApplyOptions, DEFAULT_RETENTION_DAYS};
use declutter_core::store::plans;

use super::context::Context;
use super::output::{self, human};

/// Test hook: pause (forever) after this many removals are journaled and before the next acts,
/// so a crash test can kill the process at the worst moment.
pub const ENV_TEST_PAUSE_AFTER: &str = "DECLUTTER_TEST_PAUSE_AFTER";

/// Arguments of `apply`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Plan id, or `latest`.
    pub plan: String,
    /// Days trashed files are kept before `trash purge` removes them.
    #[arg(long, default_value_t = DEFAULT_RETENTION_DAYS)]
    pub retention_days: u32,
    /// Then remove the folders the plan's files left empty (never one that was empty before,
    /// never a source root); `trash restore` recreates them.
    #[arg(long)]
    pub remove_empty_folders: bool,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

fn pause_hook() -> Option<(u64, apply::PauseHook)> {
    let n: u64 = std::env::var(ENV_TEST_PAUSE_AFTER).ok()?.parse().ok()?;
    let hook: apply::PauseHook = Arc::new(|| {
        output::note("declutter: test pause reached");
        loop {
            std::thread::sleep(Duration::from_secs(3600));
        }
    });
    Some((n, hook))
}

/// Runs `apply`.
pub async fn run(mut ctx: Context, args: Args) -> anyhow::Result<()> {
    let plan_id = if args.plan == "latest" {
        plans::latest(&ctx.conn, &ctx.user)?
            .map(|p| p.id)
            .ok_or(EngineError::PlanNotFound(0))?
    } else {
        args.plan.parse().map_err(|_| {
            anyhow::anyhow!("plan must be a number or `latest`, not {:?}", args.plan)
        })?
    };
    let options = ApplyOptions {
        retention_days: args.retention_days,
        remove_empty_folders: args.remove_empty_folders,
        pause: pause_hook(),
    };
    let progress = super::progress::for_stderr();
    let report = apply::apply(
        &mut ctx.conn,
        &ctx.user,
        plan_id,
        &ctx.providers,
        &options,
        progress.as_ref(),
    )
    .await?;
    for (path, reason) in &report.skipped {
        output::note(&format!("skipped {path}: {reason}"));
    }
    if args.json {
        return output::json(&report);
    }
    output::print(&format!(
        "plan {}: {} trashed ({}), {} skipped, {} already done\n",
        report.plan_id,
        report.trashed,
        human(report.bytes),
        report.skipped.len(),
        report.already_done
    ))?;
    for folder in &report.folders_removed {
        output::print(&format!("removed empty folder {folder}\n"))?;
    }
    Ok(())
}
