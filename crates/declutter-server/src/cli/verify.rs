//! `declutter verify`: download and hash the files of probable (cross-provider) matches, so
//! they become confirmed (exact) or rejected. Opt-in: it downloads content.

use declutter_core::engine::verify::{self as engine, VerifyOptions, VerifySummary};

use super::context::Context;
use super::output::{self, human};

/// Environment default of `--concurrency`.
pub const ENV_VERIFY_CONCURRENCY: &str = "DECLUTTER_VERIFY_CONCURRENCY";
/// Environment default of `--max-size`.
pub const ENV_VERIFY_MAX_BYTES: &str = "DECLUTTER_VERIFY_MAX_BYTES";

/// Options of the verification, shared by `verify` and `dupes --verify`.
#[derive(Debug, Clone, clap::Args)]
pub struct Limits {
    /// Downloads in flight at once.
    #[arg(long, env = ENV_VERIFY_CONCURRENCY, default_value_t = 4,
          value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
    /// Largest file downloaded, in bytes; larger ones stay probable.
    #[arg(long = "max-size", env = ENV_VERIFY_MAX_BYTES, default_value_t = engine::DEFAULT_MAX_BYTES)]
    pub max_bytes: u64,
}

/// Arguments of `verify`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Limits.
    #[command(flatten)]
    pub limits: Limits,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Verifies every probable group of the owner.
pub async fn verify(ctx: &mut Context, limits: &Limits) -> anyhow::Result<VerifySummary> {
    let options = VerifyOptions {
        concurrency: usize::from(limits.concurrency),
        max_bytes: limits.max_bytes,
        ..VerifyOptions::default()
    };
    let progress = super::progress::for_stderr();
    let summary = engine::verify(
        &mut ctx.conn,
        &ctx.user,
        &ctx.providers,
        &options,
        progress.as_ref(),
    )
    .await?;
    for issue in &summary.issues {
        output::note(&format!("warning: {}: {}", issue.path, issue.message));
    }
    Ok(summary)
}

/// One line describing a verification.
pub fn describe(s: &VerifySummary) -> String {
    format!(
        "verified {} probable groups: {} files downloaded ({}), {} confirmed, {} rejected, \
         {} over the size cap, {} failed, {} checked before\n",
        s.probable_groups,
        s.checked,
        human(s.bytes_downloaded),
        s.confirmed,
        s.rejected,
        s.too_large,
        s.issues.len(),
        s.already_checked
    )
}

/// Runs `verify`.
pub async fn run(mut ctx: Context, args: Args) -> anyhow::Result<()> {
    let summary = verify(&mut ctx, &args.limits).await?;
    if args.json {
        output::json(&summary)
    } else {
        output::print(&describe(&summary))
    }
}
