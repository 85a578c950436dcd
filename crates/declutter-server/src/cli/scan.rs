//! `declutter scan <path|onedrive:|gdrive:>`

use std::path::Path;

use anyhow::Context as _;
use declutter_core::engine::{Providers as _, scan as engine};
use declutter_core::ids::Source;
use declutter_core::local::WalkOptions;

use super::context::Context;
use super::output;

/// Arguments of `scan`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A local folder, `onedrive:` or `gdrive:`.
    pub target: String,
    /// Follow symbolic links (local folders; off by default).
    #[arg(long)]
    pub follow_symlinks: bool,
    /// Print the scan summary as JSON.
    #[arg(long)]
    pub json: bool,
}

fn resolve(target: &str) -> anyhow::Result<Source> {
    match target {
        "onedrive:" | "gdrive:" => Ok(target.parse()?),
        path => {
            let abs = Path::new(path)
                .canonicalize()
                .with_context(|| format!("cannot scan {path}"))?;
            Ok(Source::Local(abs))
        }
    }
}

/// Runs `scan`.
pub async fn run(mut ctx: Context, args: Args) -> anyhow::Result<()> {
    let source = resolve(&args.target)?;
    let progress = super::progress::for_stderr();
    let summary = match &source {
        Source::Local(root) => {
            if ctx.web_account && super::account::attach_folder(&ctx.conn, &ctx.user, root)? {
                output::note(&format!(
                    "added {} to the account's folders",
                    output::safe(&root.display().to_string())
                ));
            }
            let options = WalkOptions {
                follow_symlinks: args.follow_symlinks,
                ..WalkOptions::default()
            };
            engine::scan_local(&mut ctx.conn, &ctx.user, root, options, progress).await?
        }
        cloud => {
            let provider = ctx.providers.provider(cloud)?;
            engine::scan(&mut ctx.conn, &ctx.user, cloud, provider.as_ref()).await?
        }
    };
    for issue in &summary.issues {
        output::note(&format!(
            "warning: {} ({}): {}",
            issue.path, issue.kind, issue.message
        ));
    }
    if args.json {
        return output::json(&summary);
    }
    output::print(&format!(
        "scan {}: {} items indexed, {} {}, {} API calls, {} issues\n",
        summary.scan_id,
        summary.indexed,
        summary.changes,
        if summary.incremental {
            "changes"
        } else {
            "listed"
        },
        summary.api_calls,
        summary.issues.len()
    ))
}
