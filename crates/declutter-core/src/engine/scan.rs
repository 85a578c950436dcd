//! Scanning a source into the index, then regrouping duplicates.

use std::path::Path;
use std::sync::Arc;

use platform_db::rusqlite::Connection;

use super::EngineError;
use crate::ids::{Source, UserId};
use crate::local::{LocalProvider, WalkOptions};
use crate::progress::Progress;
use crate::provider::{ScanIssue, StorageProvider};
use crate::store::{cache, files, groups, scans};

/// What a scan did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ScanSummary {
    /// Scan id.
    pub scan_id: i64,
    /// Whether the provider sent only changes.
    pub incremental: bool,
    /// Changes applied (items listed on a full scan).
    pub changes: u64,
    /// Items now indexed for the source.
    pub indexed: u64,
    /// HTTP requests made.
    pub api_calls: u64,
    /// Problems that did not stop the scan.
    pub issues: Vec<ScanIssue>,
}

/// Lists `source` through `provider` (incrementally when a cursor is stored) and updates the
/// index and the owner's duplicate groups.
pub async fn scan<P: StorageProvider>(
    conn: &mut Connection,
    user: &UserId,
    source: &Source,
    provider: &P,
) -> Result<ScanSummary, EngineError> {
    let cursor = scans::cursor(conn, user, source)?;
    let scan_id = scans::begin(conn, user, source, cursor.is_some())?;
    let listing = match provider.list(cursor.as_deref()).await {
        Ok(l) => l,
        Err(e) => {
            scans::finish(conn, scan_id, false, 0, 0, &[])?;
            return Err(e.into());
        }
    };
    let written = files::apply_listing(conn, user, source, &listing, scan_id)?;
    scans::set_cursor(conn, user, source, listing.cursor.as_deref(), scan_id)?;
    let changes = listing.changes.len() as u64;
    scans::finish(
        conn,
        scan_id,
        true,
        changes,
        listing.api_calls,
        &listing.issues,
    )?;
    // Groups depend only on the index: an unchanged index keeps its groups.
    if written > 0 {
        groups::recompute(conn, user)?;
    }
    Ok(ScanSummary {
        scan_id,
        incremental: !listing.full,
        changes,
        indexed: files::count(conn, user, source)?,
        api_calls: listing.api_calls,
        issues: listing.issues,
    })
}

/// Scans a local folder with the persistent hash cache.
pub async fn scan_local(
    conn: &mut Connection,
    user: &UserId,
    root: &Path,
    options: WalkOptions,
    progress: Arc<dyn Progress>,
) -> Result<ScanSummary, EngineError> {
    let source = Source::Local(root.to_owned());
    let provider = LocalProvider::new(root)
        .with_options(options)
        .with_cache(cache::load(conn)?)
        .with_progress(progress);
    let summary = scan(conn, user, &source, &provider).await?;
    cache::save(conn, &provider.take_cache_updates())?;
    Ok(summary)
}
