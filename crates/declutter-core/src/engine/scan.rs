//! Scanning a source into the index, then regrouping duplicates.

use std::path::Path;
use std::sync::Arc;

use platform_db::sql::{Conn, Db, DbExt as _, Dialect, Lock};

use super::{EngineError, first_scan, local_scan};
use crate::ids::{Source, UserId};
use crate::local::WalkOptions;
use crate::local::confined::{Root, is_escape};
use crate::progress::Progress;
use crate::provider::{PageSink, ProviderError, ScanIssue, StorageProvider};
use crate::store::listing::StagedListing;
use crate::store::{files, groups, local_settle, scans};

/// SQLite page cache of a local scan, KiB (the connection's own setting is restored after).
/// 32 MiB made a first scan's row writing 2.5x faster on 100k files, yet no faster end to end
/// on 2 cores (its hashing was then the longer part) for 28 MiB more peak memory.
pub const SCAN_CACHE_KIB: i64 = 8 * 1024;
/// SQLite page cache of a cloud scan, KiB: its merge writes every listed item into the index
/// in one transaction, and a smaller cache spills the index pages it keeps coming back to
/// (a million items: 32 s of merge with 2 MiB, 18 s with this).
pub const CLOUD_SCAN_CACHE_KIB: i64 = 64 * 1024;

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
/// index and the owner's duplicate groups. The listing streams: its changes are staged as they
/// arrive and the whole listing merges into the index once complete ([`StagedListing`]), so
/// memory holds a few pages and a batch whatever the drive's size, and a failed listing
/// changes nothing. A OneDrive scan also purges our expired trash entries there (see
/// [`super::trash::purge_expired_of`]).
pub async fn scan<P: StorageProvider>(
    conn: &mut dyn Conn,
    user: &UserId,
    source: &Source,
    provider: &P,
) -> Result<ScanSummary, EngineError> {
    let before = raise_cache(conn, CLOUD_SCAN_CACHE_KIB)?;
    let result = scan_in(conn, user, source, provider).await;
    restore_cache(conn, before)?;
    result
}

async fn scan_in<P: StorageProvider>(
    conn: &mut dyn Conn,
    user: &UserId,
    source: &Source,
    provider: &P,
) -> Result<ScanSummary, EngineError> {
    let cursor = scans::cursor(conn, user, source)?;
    let scan_id = scans::begin(conn, user, source, cursor.is_some())?;
    let mut staged = StagedListing::begin(conn, user, source, scan_id)?;
    let (sink, mut pages) = PageSink::channel();
    // The reader stops at its first failure and drops its end: the provider's next send then
    // fails, and the reader's error is the one reported.
    let (listed, received) = tokio::join!(provider.list(cursor.as_deref(), sink), async {
        let received = staged.receive(conn, &mut pages).await;
        drop(pages);
        received
    });
    let ended = match (listed, received) {
        (_, Err(e)) => Err(EngineError::from(e)),
        (Err(e), Ok(())) => Err(e.into()),
        (Ok(end), Ok(())) => Ok(end),
    };
    let mut end = match ended {
        Ok(end) => end,
        Err(e) => {
            staged.discard(conn)?;
            scans::finish(conn, scan_id, false, 0, 0, &[])?;
            return Err(e);
        }
    };
    if *source == Source::OneDrive {
        let (_, issues) = super::trash::purge_expired_of(conn, user, source, provider).await?;
        end.issues.extend(issues);
    }
    let changes = staged.received();
    let written = staged.finish(conn, end.full, &provider.take_not_owned())?;
    files::refresh_statistics(conn, written)?;
    scans::set_cursor(conn, user, source, end.cursor.as_deref(), scan_id)?;
    scans::finish(conn, scan_id, true, changes, end.api_calls, &end.issues)?;
    // Groups depend only on the index: an unchanged index keeps its groups.
    if written > 0 {
        groups::recompute(conn, user)?;
    }
    Ok(ScanSummary {
        scan_id,
        incremental: !end.full,
        changes,
        indexed: files::count(conn, user, source)?,
        api_calls: end.api_calls,
        issues: end.issues,
    })
}

/// Scans a local folder: a streaming walk into the index in one transaction (a first scan of
/// the folder hashes its duplicate candidates meanwhile and writes their rows, hashed, in short
/// transactions after it), then exact duplicate hashing of the candidates left with the
/// persistent hash cache, each batch in a short transaction of its own, then the groups in one
/// more (module `local_scan`). A scan cut off after its walk leaves a mark
/// ([`local_settle::mark_unsettled`]): the next scan of the owner settles every size group
/// again and recomputes the groups. Memory stays bounded whatever the tree size
/// ([`WalkOptions::held_rows`]), and a rescan of an unchanged tree writes no file row and reads
/// no file content. The work runs on the calling thread and the rayon pool:
/// call it from a blocking context (a CLI's main thread, `spawn_blocking`).
pub async fn scan_local(
    conn: &mut dyn Conn,
    user: &UserId,
    root: &Path,
    options: WalkOptions,
    progress: Arc<dyn Progress>,
) -> Result<ScanSummary, EngineError> {
    let source = Source::Local(root.to_owned());
    // Opened once, from `/` without following a link: the root must still be the real folder
    // it was (a nested source swapped for a link by whoever writes into the outer one is
    // refused, never walked), and the walk and the hashing start from this very handle, not
    // from the path looked up again.
    let opened = match Root::open(root) {
        Ok(opened) => opened,
        Err(e) => {
            failed(conn, user, &source)?;
            if is_escape(&e) {
                return Err(ProviderError::Outside(root.display().to_string()).into());
            }
            return Err(ProviderError::Io {
                path: root.display().to_string(),
                source: e,
            }
            .into());
        }
    };
    let before = raise_cache(conn, SCAN_CACHE_KIB)?;
    let result = scan_local_in(conn, user, &source, &opened, options, progress.as_ref());
    restore_cache(conn, before)?;
    result
}

/// A scan's random index updates thrash SQLite's default 2 MiB page cache (each miss a read,
/// each eviction a write to the WAL): raises it to `kib` for the scan only and returns the
/// setting to restore ([`restore_cache`]); PostgreSQL keeps its own.
fn raise_cache(conn: &dyn Db, kib: i64) -> Result<Option<i64>, EngineError> {
    if conn.dialect() != Dialect::Sqlite {
        return Ok(None);
    }
    let before: i64 = conn.one("PRAGMA cache_size", &[])?;
    conn.batch(&format!("PRAGMA cache_size = {}", -kib))?;
    Ok(Some(before))
}

/// Puts back the page cache setting [`raise_cache`] returned.
fn restore_cache(conn: &dyn Db, before: Option<i64>) -> Result<(), EngineError> {
    if let Some(before) = before {
        conn.batch(&format!("PRAGMA cache_size = {before}"))?;
    }
    Ok(())
}

fn scan_local_in(
    conn: &mut dyn Conn,
    user: &UserId,
    source: &Source,
    root: &Root,
    options: WalkOptions,
    progress: &dyn Progress,
) -> Result<ScanSummary, EngineError> {
    let src = source.to_string();
    // The walk: no file content is read, so the write lock is held for seconds at most.
    let tx = conn.transaction(Lock::Owner(user.as_str()))?;
    let scan_id = scans::begin(&*tx, user, source, false)?;
    let mut done = match local_scan::index(&*tx, user, &src, root, options, scan_id, progress) {
        Ok(done) => done,
        Err(e) => {
            drop(tx);
            failed(conn, user, source)?;
            return Err(e.into());
        }
    };
    if done.counts.changed > 0 || done.held.is_some() {
        local_settle::mark_unsettled(&*tx, user, scan_id)?;
    }
    tx.commit()?;
    // A first walk's duplicate candidates: written as they come hashed, no lock held meanwhile.
    if let Some(held) = done.held.take() {
        match first_scan::write_held(conn, user, held, &mut done.issues, progress) {
            Ok(counts) => done.counts = counts,
            Err(e) => {
                scans::finish(conn, scan_id, false, done.counts.listed, 0, &done.issues)?;
                return Err(e.into());
            }
        }
    }
    files::refresh_statistics(conn, done.counts.changed + done.counts.removed)?;
    // The hashes: files are read with no lock held. After a scan cut off before its end,
    // every size group is settled again.
    let all = local_settle::others_unsettled(conn, user, scan_id)?;
    let hashed = if done.counts.changed > 0 || all {
        match local_scan::settle_owner(conn, user, &src, root, scan_id, all, progress) {
            Ok((hashed, issues)) => {
                done.issues.extend(issues);
                hashed
            }
            Err(e) => {
                // The mark stays: the next scan settles what this one could not.
                scans::finish(conn, scan_id, false, done.counts.listed, 0, &done.issues)?;
                return Err(e.into());
            }
        }
    } else {
        0
    };
    let tx = conn.transaction(Lock::Owner(user.as_str()))?;
    scans::set_cursor(&*tx, user, source, None, scan_id)?;
    scans::finish(&*tx, scan_id, true, done.counts.listed, 0, &done.issues)?;
    // Groups depend only on the index: an unchanged index keeps its groups.
    if done.counts.changed + done.counts.removed + hashed > 0 || all {
        progress.phase("grouping", None);
        groups::recompute_in(&*tx, user)?;
    }
    local_settle::clear_unsettled(&*tx, user, scan_id, all)?;
    crate::store::cache::expire(&*tx, crate::db::now())?;
    // A walk that wrote nothing left the rows it found.
    let unchanged = done.counts.changed + done.counts.removed + hashed == 0 && !all;
    let indexed = if unchanged {
        done.counts.before
    } else {
        files::count(&*tx, user, source)?
    };
    tx.commit()?;
    Ok(ScanSummary {
        scan_id,
        incremental: false,
        changes: done.counts.listed,
        indexed,
        api_calls: 0,
        issues: done.issues,
    })
}

/// Records a scan that failed before indexing anything.
fn failed(conn: &dyn Db, user: &UserId, source: &Source) -> Result<(), EngineError> {
    let scan_id = scans::begin(conn, user, source, false)?;
    scans::finish(conn, scan_id, false, 0, 0, &[])?;
    Ok(())
}
