//! A folder's first scan (no row of its source yet): its new entries are held in memory
//! ([`HeldEntries`], up to [`crate::local::WalkOptions::held_rows`]) instead of written as
//! they are walked. After the walk, the files that share their size with another held file are
//! hashed on the rayon pool by a thread of their own while the walk's transaction writes the
//! other rows; their rows are written with their hashes as they come, those hashed after the
//! walk's commit in short transactions of their own ([`write_held`]). Each row is written
//! once (no hashing pass rewrites it), and no file is read with a lock held for it. Size
//! groups shared with other folders are left to the settle passes (module `local_scan`).

use std::collections::HashMap;
use std::sync::{Arc, mpsc};

use platform_db::sql::{Db, Lock};
use rayon::prelude::*;

use super::local_scan::{FLUSH_ROWS, overlaps};
use crate::db::DbError;
use crate::ids::UserId;
use crate::local::confined::Root;
use crate::local::hashing::{self, PARTIAL_BYTES};
use crate::local::held::HeldEntries;
use crate::progress::Progress;
use crate::provider::ScanIssue;
use crate::store::cache;
use crate::store::local_index::{IndexCounts, LocalIndex, NewRow};

/// Rows written between looks for hashed candidates.
const PUT_ROWS: usize = 1_024;
/// Candidates hashed together (whole size groups, each a task of its own).
const LOT_FILES: usize = 256;
/// Hashed lots waiting to be written, at most.
const HASHED_LOTS: usize = 8;

/// The duplicate candidates of a source's first walk, hashed on the rayon pool by a thread of
/// their own while the walk's other rows are written: the rows arrive hashed, so they are
/// written once (no hashing pass updates them), and no file is read with a lock held for it.
#[derive(Debug)]
pub(crate) struct Held {
    index: LocalIndex,
    entries: Arc<HeldEntries>,
    hashed: mpsc::Receiver<Vec<HashedFile>>,
    hasher: std::thread::JoinHandle<()>,
    /// Candidates not written yet.
    files: u64,
}

/// A held candidate (by its index in [`HeldEntries`]) and its hashes.
#[derive(Debug)]
struct HashedFile {
    at: usize,
    partial: Option<blake3::Hash>,
    full: Option<blake3::Hash>,
}

/// The row to write for held entry `at`, with the hashes known of it.
fn held_row(
    entries: &HeldEntries,
    at: usize,
    partial: Option<blake3::Hash>,
    full: Option<blake3::Hash>,
) -> NewRow {
    NewRow {
        partial: partial.map(|h| h.to_hex().to_string()),
        hash: full.map(|h| h.to_hex().to_string()),
        ..NewRow::walked(entries.entry(at))
    }
}

fn hashed_rows(entries: &HeldEntries, files: &[HashedFile]) -> Vec<NewRow> {
    files
        .iter()
        .map(|f| held_row(entries, f.at, f.partial, f.full))
        .collect()
}

/// What [`start`] left.
pub(super) enum Started {
    /// Candidates are being hashed: [`write_held`] writes them.
    Hashing(Box<Held>),
    /// Every row is written (nothing to hash first); the walk's counts.
    Written(IndexCounts),
}

/// Writes a first walk's `held` entries in the caller's transaction, all but the duplicate
/// candidates, which a thread of their own hashes meanwhile (those hashed in time are written
/// too). With no candidate, or a hash cache that may know some (files moved here from a
/// removed source: the settle passes consult it), every row is written unhashed.
pub(super) fn start(
    conn: &dyn Db,
    mut index: LocalIndex,
    held: HeldEntries,
    root: &Root,
    progress: &dyn Progress,
    issues: &mut Vec<ScanIssue>,
) -> Result<Started, DbError> {
    let (plain, groups) = candidates_of(&held);
    let files = groups.iter().map(|g| g.len() as u64).sum();
    let opened = if files == 0 || !cache::is_empty(conn)? {
        None
    } else {
        root.try_clone().ok()
    };
    let Some(opened) = opened else {
        for start in (0..held.len()).step_by(PUT_ROWS) {
            let end = held.len().min(start + PUT_ROWS);
            let rows = (start..end).map(|i| held_row(&held, i, None, None));
            index.put(conn, rows.collect())?;
        }
        overlaps(&mut index, issues);
        return Ok(Started::Written(index.finish(conn)?));
    };
    progress.phase("indexing", None);
    let entries = Arc::new(held);
    // Bounded: hashing that runs ahead of the writer waits (and leaves it the cores).
    let (send, hashed) = mpsc::sync_channel(HASHED_LOTS);
    let hasher = {
        let entries = Arc::clone(&entries);
        std::thread::spawn(move || hash_held(&opened, &entries, groups, &send))
    };
    // The other rows are written meanwhile, and candidates as they come hashed.
    let mut left = files;
    for chunk in plain.chunks(PUT_ROWS) {
        let rows = chunk.iter().map(|&i| held_row(&entries, i, None, None));
        index.put(conn, rows.collect())?;
        for mut ready in hashed.try_iter() {
            left -= ready.len() as u64;
            ready.sort_unstable_by_key(|f| f.at);
            index.put(conn, hashed_rows(&entries, &ready))?;
        }
    }
    overlaps(&mut index, issues);
    Ok(Started::Hashing(Box::new(Held {
        index,
        entries,
        hashed,
        hasher,
        files: left,
    })))
}

/// Writes the held candidates of a first walk ([`Held`]) as they come hashed, each lot in a
/// short transaction of its own (files are read with no lock held), and returns the walk's
/// final counts.
pub(crate) fn write_held(
    conn: &dyn Db,
    user: &UserId,
    held: Held,
    issues: &mut Vec<ScanIssue>,
    progress: &dyn Progress,
) -> Result<IndexCounts, DbError> {
    let Held {
        mut index,
        entries,
        hashed,
        hasher,
        files,
    } = held;
    progress.phase("hashing", Some(files));
    let mut written = || {
        while let Ok(mut lot) = hashed.recv() {
            // What else is hashed already goes in the same transaction.
            while lot.len() < FLUSH_ROWS
                && let Ok(more) = hashed.try_recv()
            {
                lot.extend(more);
            }
            let n = lot.len() as u64;
            lot.sort_unstable_by_key(|f| f.at);
            let tx = conn.begin(Lock::Owner(user.as_str()))?;
            for chunk in lot.chunks(PUT_ROWS) {
                index.put(&*tx, hashed_rows(&entries, chunk))?;
            }
            tx.commit()?;
            overlaps(&mut index, issues);
            progress.advance(n);
        }
        Ok::<_, DbError>(())
    };
    let result = written();
    // On an error the hasher stops at its next lot (its channel is closed).
    drop(hashed);
    if let Err(panic) = hasher.join() {
        std::panic::resume_unwind(panic);
    }
    result?;
    let tx = conn.begin(Lock::Owner(user.as_str()))?;
    index.insert_pending(&*tx)?;
    overlaps(&mut index, issues);
    let counts = index.finish(&*tx)?;
    tx.commit()?;
    Ok(counts)
}

/// Splits a first walk's held entries into the rest and the duplicate candidates (files
/// sharing their size with another held file), by size; both by index.
fn candidates_of(held: &HeldEntries) -> (Vec<usize>, Vec<Vec<usize>>) {
    let file = |i: usize| !held.is_dir(i) && held.size(i) > 0;
    let mut count: HashMap<u64, u32> = HashMap::new();
    for i in (0..held.len()).filter(|&i| file(i)) {
        *count.entry(held.size(i)).or_default() += 1;
    }
    let (mut candidates, plain): (Vec<usize>, Vec<usize>) =
        (0..held.len()).partition(|&i| file(i) && count.get(&held.size(i)).is_some_and(|n| *n > 1));
    drop(count);
    // By size, then walk order: each group's members in walk order.
    candidates.sort_unstable_by_key(|&i| (held.size(i), i));
    let groups: Vec<Vec<usize>> = candidates
        .chunk_by(|&a, &b| held.size(a) == held.size(b))
        .map(<[usize]>::to_vec)
        .collect();
    (plain, groups)
}

/// Hashes the candidate groups on the rayon pool, a lot of whole groups at a time, each group
/// a task of its own, and sends each lot once hashed: head+tail for every file, the full hash
/// where head+tail agree within the group. A file that could not be read goes unexamined (the
/// settle passes try it again and report it). This thread, not the pool's, waits when the
/// writer is behind; it stops when the writer is gone.
fn hash_held(
    root: &Root,
    held: &HeldEntries,
    groups: Vec<Vec<usize>>,
    send: &mpsc::SyncSender<Vec<HashedFile>>,
) {
    let mut groups = groups.into_iter().peekable();
    while groups.peek().is_some() {
        let mut lot = Vec::new();
        let mut files = 0;
        while files < LOT_FILES
            && let Some(group) = groups.next()
        {
            files += group.len();
            lot.push(group);
        }
        let hashed: Vec<HashedFile> = lot
            .into_par_iter()
            .flat_map_iter(|group| hash_group(root, held, group))
            .collect();
        if send.send(hashed).is_err() {
            return;
        }
    }
}

fn hash_group(root: &Root, held: &HeldEntries, group: Vec<usize>) -> Vec<HashedFile> {
    let mut files: Vec<HashedFile> = group
        .into_par_iter()
        .map(|at| HashedFile {
            at,
            partial: hashing::partial_digest(root, &held.path(at), held.size(at))
                .ok()
                .map(|(h, _)| h),
            full: None,
        })
        .collect();
    let shared: Vec<bool> = {
        let mut count: HashMap<[u8; 32], u32> = HashMap::new();
        for p in files.iter().filter_map(|f| f.partial) {
            *count.entry(*p.as_bytes()).or_default() += 1;
        }
        files
            .iter()
            .map(|f| f.partial.is_some_and(|p| count[p.as_bytes()] > 1))
            .collect()
    };
    files
        .par_iter_mut()
        .zip(shared)
        .filter(|(_, shared)| *shared)
        .for_each(|(f, _)| {
            // Files no bigger than both windows were read whole: head+tail is the full hash.
            if held.size(f.at) <= 2 * PARTIAL_BYTES {
                f.full = f.partial;
            } else {
                match hashing::full_digest(root, &held.path(f.at)) {
                    Ok((h, _)) => f.full = Some(h),
                    Err(_) => f.partial = None,
                }
            }
        });
    files
}
