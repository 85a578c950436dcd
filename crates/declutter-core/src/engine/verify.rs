//! Opt-in verification of probable matches: files grouped only by size and name across
//! providers (no hash in common) are downloaded as streams and hashed with BLAKE3, a bounded
//! number at a time and none above a size cap. Equal digests confirm a match (the files then
//! form, or join, an exact group that a plan may act on); different ones reject it.

use std::collections::BTreeMap;
use std::time::Duration;

use futures_util::StreamExt as _;
use platform_db::sql::{Conn, Lock, RusqliteLike as _};
use tokio::sync::Semaphore;

use super::lease::{LEASE_SECS, Lease};
use super::{EngineError, Providers};
use crate::ids::{ItemId, Source, UserId};
use crate::progress::Progress;
use crate::provider::{ScanIssue, StorageProvider as _};
use crate::store::checks;
use crate::store::files::FileRow;
use crate::store::groups::{self, Confidence};

/// Default number of downloads in flight at once.
pub const DEFAULT_CONCURRENCY: usize = 4;
/// Default largest file downloaded for a check (1 GiB).
pub const DEFAULT_MAX_BYTES: u64 = 1 << 30;

/// How to verify.
#[derive(Debug, Clone, Copy)]
pub struct VerifyOptions {
    /// Downloads in flight at once (a semaphore across all providers; at least 1).
    pub concurrency: usize,
    /// Files larger than this stay probable and are not downloaded.
    pub max_bytes: u64,
    /// How often a run holding the owner's lock shows life while downloads are in flight
    /// (one large download can outlast the lease; well under [`LEASE_SECS`]).
    pub renew_every: Duration,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        Self {
            concurrency: DEFAULT_CONCURRENCY,
            max_bytes: DEFAULT_MAX_BYTES,
            renew_every: Duration::from_secs(LEASE_SECS.unsigned_abs() / 4),
        }
    }
}

/// What a verification did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct VerifySummary {
    /// Probable groups looked at.
    pub probable_groups: u64,
    /// Files downloaded and hashed now.
    pub checked: u64,
    /// Files whose earlier check was still valid.
    pub already_checked: u64,
    /// Checked files now in an exact group (match confirmed).
    pub confirmed: u64,
    /// Checked files in no exact group (match rejected).
    pub rejected: u64,
    /// Files above the size cap, left probable.
    pub too_large: u64,
    /// Bytes downloaded.
    pub bytes_downloaded: u64,
    /// Files that could not be downloaded (left probable).
    pub issues: Vec<ScanIssue>,
    /// Stopped on request: the files not reached yet stay probable.
    pub cancelled: bool,
}

/// Verifies every probable group of `user`, then regroups.
pub async fn verify(
    conn: &mut dyn Conn,
    user: &UserId,
    providers: &dyn Providers,
    options: &VerifyOptions,
    progress: &dyn Progress,
) -> Result<VerifySummary, EngineError> {
    verify_inner(conn, user, None, providers, options, progress).await
}

/// [`verify`] by a run holding `user`'s lock (a queued job): the lease is renewed every
/// [`VerifyOptions::renew_every`] while downloads run, and a lease taken over by another run
/// stops this one with [`EngineError::LeaseLost`] before it writes anything.
pub async fn verify_holding(
    conn: &mut dyn Conn,
    user: &UserId,
    lease: &Lease,
    providers: &dyn Providers,
    options: &VerifyOptions,
    progress: &dyn Progress,
) -> Result<VerifySummary, EngineError> {
    verify_inner(conn, user, Some(lease), providers, options, progress).await
}

async fn verify_inner(
    conn: &mut dyn Conn,
    user: &UserId,
    lease: Option<&Lease>,
    providers: &dyn Providers,
    options: &VerifyOptions,
    progress: &dyn Progress,
) -> Result<VerifySummary, EngineError> {
    let mut summary = VerifySummary::default();
    // Members of probable groups, once each (a file can sit in one probable group only, but
    // be cautious), keyed by row id.
    let mut members: BTreeMap<i64, FileRow> = BTreeMap::new();
    for g in groups::list(conn, user)? {
        if g.confidence == Confidence::Probable {
            summary.probable_groups += 1;
            members.extend(g.files.into_iter().map(|f| (f.id, f)));
        }
    }
    let mut todo = Vec::new();
    for f in members.into_values() {
        if checks::valid(conn, user, &f)?.is_some() {
            summary.already_checked += 1;
        } else if f.size > options.max_bytes {
            summary.too_large += 1;
        } else {
            todo.push(f);
        }
    }
    progress.phase("verifying", Some(todo.len() as u64));
    let permits = Semaphore::new(options.concurrency.max(1));
    let max_bytes = options.max_bytes;
    // A stop asked for is read before each download; the files not reached yet are left out.
    let mut downloads = std::pin::pin!(
        futures_util::stream::iter(todo)
            .map(|f| {
                let permits = &permits;
                async move {
                    let r = match permits.acquire().await {
                        Ok(_permit) if progress.cancelled() => None,
                        Ok(_permit) => Some(download(providers, &f, max_bytes).await),
                        Err(e) => Some(Err(e.to_string())),
                    };
                    if let Some(Ok(Some(_))) = &r {
                        progress.bytes(f.size);
                    }
                    progress.advance(1);
                    (f, r)
                }
            })
            .buffer_unordered(options.concurrency.max(1))
    );
    let mut heartbeat = tokio::time::interval_at(
        tokio::time::Instant::now() + options.renew_every,
        options.renew_every.max(Duration::from_millis(1)),
    );
    heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut results: Vec<(FileRow, Option<Downloaded>)> = Vec::new();
    loop {
        tokio::select! {
            next = downloads.next() => match next {
                Some(done) => results.push(done),
                None => break,
            },
            _ = heartbeat.tick(), if lease.is_some() => {
                if let Some(lease) = lease {
                    lease.renew(conn)?;
                }
            }
        }
    }
    let tx = conn.transaction(Lock::None)?;
    // Still ours, checked in the transaction that writes the results.
    if let Some(lease) = lease {
        lease.renew(&tx)?;
    }
    let mut checked_ids = Vec::new();
    for (f, r) in results {
        let Some(r) = r else {
            summary.cancelled = true;
            continue;
        };
        match r {
            Ok(Some(digest)) => {
                checks::record(&*tx, user, &f, &digest)?;
                if f.provider == "local" {
                    // The local hash is BLAKE3 too: a plan's re-check before removal needs it.
                    checks::adopt_local_hash(&*tx, f.id, &digest)?;
                }
                summary.checked += 1;
                summary.bytes_downloaded += f.size;
                checked_ids.push(f.id);
            }
            Ok(None) => summary.too_large += 1,
            Err(message) => summary.issues.push(ScanIssue {
                path: f.path.clone(),
                kind: "io",
                message,
            }),
        }
    }
    groups::recompute_in(&*tx, user)?;
    for id in checked_ids {
        let in_exact: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM dup_group_files gf JOIN dup_groups g \
             ON g.id = gf.group_id WHERE gf.file_id = ?1 AND g.confidence = 'exact' \
             AND g.file_count > 1)",
            [id],
            |r| r.get(0),
        )?;
        if in_exact {
            summary.confirmed += 1;
        } else {
            summary.rejected += 1;
        }
    }
    tx.commit()?;
    Ok(summary)
}

/// A download's outcome: the digest, `None` above the size cap, or why it failed.
type Downloaded = Result<Option<String>, String>;

/// Downloads and hashes one file through its provider.
async fn download(providers: &dyn Providers, f: &FileRow, max_bytes: u64) -> Downloaded {
    let source: Source = f
        .source
        .parse()
        .map_err(|e: crate::ids::IdError| e.to_string())?;
    let provider = providers.provider(&source).map_err(|e| e.to_string())?;
    let id: ItemId = f
        .item_id
        .parse()
        .map_err(|e: crate::ids::IdError| e.to_string())?;
    provider
        .content_hash(&id, max_bytes)
        .await
        .map_err(|e| e.to_string())
}
