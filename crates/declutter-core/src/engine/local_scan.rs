//! The local scan behind [`super::scan::scan_local`].
//!
//! 1. A parallel walk hands each directory to a bounded channel; this thread compares every
//!    entry with its row and writes only what changed ([`LocalIndex`]). Hard-linked files
//!    (link count above one, rare) are held back and indexed once, under their smallest path.
//! 2. A folder's first scan (no row of its source yet) holds its new entries instead, up to
//!    [`WalkOptions::held_rows`]: the files sharing their size with another are hashed on the
//!    rayon pool while this thread writes the other rows, and their rows are written with their
//!    hashes as they come (module [`first_scan`]: each row written once).
//! 3. Duplicate candidates left are the sizes shared by two files or more where some file was
//!    not examined yet, or where files hashed by this scan meet files indexed before, counted in
//!    one sequential pass over the rows (a map of sizes, not of files). Their files are taken
//!    from the database a bounded batch at a time in row order, head+tail hashed (or looked up
//!    in the hash cache) in parallel, and fully hashed only where size and head+tail agree
//!    ([`settle`]). A first scan has none of its own: only those it shares with other folders.
//!
//! Memory is bounded by the channel, the batch, one bit per row id, one counter per distinct
//! size and a first scan's held entries (about 50 bytes each and their paths), whatever the
//! tree size; a warm rescan of an unchanged tree marks rows as seen, reads no file content and
//! writes nothing.
//!
//! The walk runs inside the caller's transaction ([`index`]); files are read with no lock held
//! for them: a first scan's held candidates are hashed while its transaction writes the other
//! rows, and written in short transactions of their own once it committed
//! ([`first_scan::write_held`]); the settle passes run outside any, writing the hashes of the
//! batch before while the next files are read, in short transactions. Other writers on the
//! database (a web app's sign-ins, a worker's heartbeat) wait for database work, not for file
//! reads.

use std::collections::HashMap;
use std::os::unix::ffi::OsStrExt as _;
use std::path::Path;
use std::sync::mpsc;

use platform_db::sql::{Db, Lock, RusqliteLike as _};
use rayon::prelude::*;

use crate::db::DbError;
use crate::ids::UserId;
use crate::local::confined::Root;
use crate::local::hashing::{self, CacheEntry, PARTIAL_BYTES};
use crate::local::paths;
use crate::local::walk::{self, DirBatch, Entry, WalkOptions};
use crate::progress::Progress;
use crate::provider::ScanIssue;
use crate::store::cache;
use crate::store::local_index::{self, IndexCounts, LocalIndex};
use crate::store::local_settle::{self, Member};

use super::first_scan::{self, Held, Started};

/// Directories in flight between the walk and the index writer.
const CHANNEL_DIRS: usize = 64;
/// Rows read and hashed per batch of the hashing passes.
const CHUNK_FILES: usize = 2048;
/// Hashed rows written per transaction (bounded memory: a few batches' members).
pub(super) const FLUSH_ROWS: usize = 8_192;

/// What a local walk did.
#[derive(Debug, Default)]
pub(crate) struct Refreshed {
    /// Index counts (entries listed, rows written); final once [`first_scan::write_held`] ran.
    pub counts: IndexCounts,
    /// Problems that did not stop the scan.
    pub issues: Vec<ScanIssue>,
    /// A first walk's duplicate candidates, being hashed: [`first_scan::write_held`] writes
    /// them once the walk's transaction committed.
    pub held: Option<Held>,
}

/// Walks `root` into the index of `source` on `conn` (the caller's transaction).
pub(crate) fn index(
    conn: &dyn Db,
    user: &UserId,
    source: &str,
    root: &Root,
    options: WalkOptions,
    scan_id: i64,
    progress: &dyn Progress,
) -> Result<Refreshed, DbError> {
    let mut out = Refreshed::default();
    progress.phase("walking", None);
    let (send, recv) = mpsc::sync_channel::<DirBatch>(CHANNEL_DIRS);
    let written = std::thread::scope(|s| {
        s.spawn(move || {
            walk::walk_with(root, options, &|batch| {
                // A closed channel means the writer failed; the rest of the walk is dropped.
                let _ = send.send(batch);
            });
        });
        let mut index =
            LocalIndex::new(conn, user, source, scan_id, root.path(), options.held_rows)?;
        let mut linked: HashMap<(u64, u64), Entry> = HashMap::new();
        for mut batch in recv {
            out.issues.append(&mut batch.issues);
            let n = batch.entries.len() as u64;
            for entry in in_order(batch.entries, &mut linked) {
                record(conn, &mut index, &entry, &mut out.issues)?;
            }
            progress.advance(n);
        }
        // Hard links share an inode: one file, indexed once under its smallest path.
        for entry in linked.into_values() {
            record(conn, &mut index, &entry, &mut out.issues)?;
        }
        Ok::<_, DbError>(index)
    });
    let mut index = written?;
    if let Some(held) = index.take_held() {
        match first_scan::start(conn, index, held, root, progress, &mut out.issues)? {
            Started::Hashing(held) => out.held = Some(*held),
            Started::Written(counts) => out.counts = counts,
        }
        return Ok(out);
    }
    index.insert_pending(conn)?;
    overlaps(&mut index, &mut out.issues);
    out.counts = index.finish(conn)?;
    Ok(out)
}

/// Settles the duplicate candidates of `user`'s local files: the size groups that gained
/// unexamined files, or, with `all`, every size group (a scan before this one was cut off
/// between its walk and its end). Call it outside any transaction. Returns rows written.
pub(crate) fn settle_owner(
    conn: &dyn Db,
    user: &UserId,
    source: &str,
    root: &Root,
    scan_id: i64,
    all: bool,
    progress: &dyn Progress,
) -> Result<(u64, Vec<ScanIssue>), DbError> {
    let roots = Roots::of(conn, user, source, root)?;
    settle(conn, user, &roots, scan_id, all, progress)
}

/// A walked folder's entries in path order (a folder's rows sit together in the index, so
/// lookups stay on a page), less its hard-linked files: those go to `linked`, one entry per
/// inode under its smallest path, indexed once at the end of the walk.
fn in_order(
    mut entries: Vec<(Entry, u64)>,
    linked: &mut HashMap<(u64, u64), Entry>,
) -> impl Iterator<Item = Entry> + '_ {
    entries.sort_unstable_by(|a, b| {
        a.0.path
            .as_os_str()
            .as_bytes()
            .cmp(b.0.path.as_os_str().as_bytes())
    });
    entries.into_iter().filter_map(move |(entry, nlink)| {
        if entry.is_dir || nlink <= 1 {
            return Some(entry);
        }
        match linked.entry((entry.dev, entry.ino)) {
            std::collections::hash_map::Entry::Occupied(mut o) => {
                if entry.path < o.get().path {
                    o.insert(entry);
                }
            }
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(entry);
            }
        }
        None
    })
}

fn record(
    conn: &dyn Db,
    index: &mut LocalIndex,
    e: &Entry,
    issues: &mut Vec<ScanIssue>,
) -> Result<(), DbError> {
    let (id, raw) = paths::id_for(&e.path);
    if raw {
        issues.push(ScanIssue {
            path: e.path.to_string_lossy().into_owned(),
            kind: "non_utf8",
            message: "name is not valid UTF-8; indexed under a raw id".into(),
        });
    }
    if let local_index::Recorded::Overlap(message) = index.record(conn, &id, e)? {
        issues.push(ScanIssue {
            path: e.path.to_string_lossy().into_owned(),
            kind: "overlap",
            message,
        });
    }
    overlaps(index, issues);
    Ok(())
}

/// Reports the entries refused while the index wrote rows it held back.
pub(super) fn overlaps(index: &mut LocalIndex, issues: &mut Vec<ScanIssue>) {
    for (path, message) in index.take_overlaps() {
        issues.push(ScanIssue {
            path,
            kind: "overlap",
            message,
        });
    }
}

/// Per-member working state of a batch.
struct Work {
    member: Member,
    /// The hash cache entry, looked up at most once.
    cached: Option<Option<CacheEntry>>,
    /// Something changed (to store in the row).
    dirty: bool,
}

impl Work {
    fn new(member: Member) -> Self {
        Self {
            member,
            cached: None,
            dirty: false,
        }
    }

    /// The hash cache entry of this file, if still valid.
    fn cached(&mut self, conn: &dyn Db, use_cache: bool) -> Result<Option<&CacheEntry>, DbError> {
        if self.cached.is_none() {
            let m = &self.member;
            let found = if use_cache {
                cache::get(conn, m.inode, m.size, m.modified_ns)?
            } else {
                None
            };
            self.cached = Some(found);
        }
        Ok(self.cached.as_ref().and_then(Option::as_ref))
    }
}

/// What the settle passes know of the owner's files of one size.
#[derive(Debug, Default)]
struct SizeGroup {
    files: u32,
    unexamined: u32,
    /// Some file was examined by this scan (a first walk's held candidates).
    hashed_now: bool,
    /// Some file was indexed by an earlier scan.
    earlier: bool,
}

/// A 64-bit fingerprint of (size, head+tail hash); a collision only costs a full hash.
fn fingerprint(size: u64, partial: &str) -> u64 {
    use std::hash::{Hash as _, Hasher as _};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    size.hash(&mut h);
    partial.hash(&mut h);
    h.finish()
}

/// Examines the size groups that gained new or changed files, in two sequential passes over
/// the rows (row order keeps reads and writes on neighbouring pages): head+tail hashes for
/// unexamined members, then full hashes where size and head+tail agree. Returns rows written.
fn settle(
    conn: &dyn Db,
    user: &UserId,
    roots: &Roots,
    scan_id: i64,
    all: bool,
    progress: &dyn Progress,
) -> Result<(u64, Vec<ScanIssue>), DbError> {
    let mut issues = Vec::new();
    // Sizes shared by two files or more that need examining: some file was not examined yet,
    // or files hashed by this scan's walk (among themselves) meet files indexed before.
    let mut sizes: HashMap<u64, SizeGroup> = HashMap::new();
    local_settle::for_each_size(conn, user, scan_id, |size, examined, this_scan| {
        let g = sizes.entry(size).or_default();
        g.files = g.files.saturating_add(1);
        g.unexamined = g.unexamined.saturating_add(u32::from(!examined));
        g.hashed_now |= examined && this_scan;
        g.earlier |= !this_scan;
    })?;
    sizes.retain(|_, g| g.files > 1 && (all || g.unexamined > 0 || (g.hashed_now && g.earlier)));
    sizes.shrink_to_fit();
    if sizes.is_empty() {
        return Ok((0, issues));
    }
    let use_cache = !cache::is_empty(conn)?;
    let mut written = 0u64;
    let mut pending = Pending::new(user, false);
    progress.phase(
        "partial hashes",
        Some(sizes.values().map(|g| u64::from(g.unexamined)).sum()),
    );
    let mut after = 0;
    // The previous batch, hashed: written while this one's files are read.
    let mut previous: Option<Vec<Work>> = None;
    loop {
        let batch = local_settle::members_after(conn, user, true, after, CHUNK_FILES)?;
        let Some(last) = batch.last() else { break };
        after = last.id;
        let mut work: Vec<Work> = batch
            .into_iter()
            .filter(|m| sizes.contains_key(&m.size))
            .map(Work::new)
            .collect();
        let mut to_read = Vec::new();
        for (k, w) in work.iter_mut().enumerate() {
            match w.cached(conn, use_cache)?.and_then(|e| e.partial.clone()) {
                Some(p) => {
                    w.member.partial = Some(p);
                    w.dirty = true;
                }
                None => to_read.push(k),
            }
        }
        let hash = |m: &Member| hashing::partial_hash(roots.of_member(m)?, &path_of(m), m.size);
        let (hashed, wrote) = read_all_while(&work, &to_read, hash, || {
            previous.take().map_or(Ok(0), |p| pending.add(conn, p))
        });
        written += wrote?;
        for (k, r) in hashed {
            match r {
                Ok(h) => {
                    let w = &mut work[k];
                    w.member.partial = Some(h);
                    w.dirty = true;
                }
                Err(e) => issues.push(walk::issue(&path_of(&work[k].member), &e)),
            }
        }
        progress.advance(work.len() as u64);
        previous = Some(work);
    }
    if let Some(p) = previous.take() {
        written += pending.add(conn, p)?;
    }
    written += pending.flush(conn)?;
    // Members of those groups that share size and head+tail need the full hash.
    let mut same: HashMap<u64, u32> = HashMap::new();
    each_examined(conn, user, &sizes, |batch| {
        for m in batch {
            if let Some(p) = &m.partial {
                let n = same.entry(fingerprint(m.size, p)).or_default();
                *n = n.saturating_add(1);
            }
        }
        Ok(())
    })?;
    same.retain(|_, n| *n > 1);
    progress.phase("full hashes", None);
    let mut pending = Pending::new(user, true);
    let mut previous: Option<Vec<Work>> = None;
    each_examined(conn, user, &sizes, |batch| {
        let mut work: Vec<Work> = batch
            .into_iter()
            .filter(|m| {
                m.hash.is_none()
                    && m.partial
                        .as_deref()
                        .is_some_and(|p| same.contains_key(&fingerprint(m.size, p)))
            })
            .map(Work::new)
            .collect();
        let mut to_read = Vec::new();
        for (k, w) in work.iter_mut().enumerate() {
            // Files no bigger than both windows were read whole: head+tail is the full hash.
            let known = if w.member.size <= 2 * PARTIAL_BYTES {
                w.member.partial.clone()
            } else {
                w.cached(conn, use_cache)?.and_then(|e| e.full.clone())
            };
            match known {
                Some(h) => {
                    w.member.hash = Some(h);
                    w.dirty = true;
                }
                None => to_read.push(k),
            }
        }
        let hash = |m: &Member| hashing::full_hash(roots.of_member(m)?, &path_of(m));
        let (hashed, wrote) = read_all_while(&work, &to_read, hash, || {
            previous.take().map_or(Ok(0), |p| pending.add(conn, p))
        });
        written += wrote?;
        for (k, r) in hashed {
            match r {
                Ok(h) => {
                    let w = &mut work[k];
                    w.member.hash = Some(h);
                    w.dirty = true;
                }
                Err(e) => issues.push(walk::issue(&path_of(&work[k].member), &e)),
            }
        }
        progress.advance(work.len() as u64);
        previous = Some(work);
        Ok(())
    })?;
    if let Some(p) = previous.take() {
        written += pending.add(conn, p)?;
    }
    written += pending.flush(conn)?;
    Ok((written, issues))
}

/// Hashing results waiting to be written: a few batches' worth go in one short transaction
/// (a commit per batch costs WAL writes of the same pages again and again).
struct Pending<'u> {
    /// Whose rows: the transactions lock this owner (no apply of theirs reads half of it).
    user: &'u UserId,
    work: Vec<Work>,
    full: bool,
}

impl<'u> Pending<'u> {
    fn new(user: &'u UserId, full: bool) -> Self {
        Self {
            user,
            work: Vec::new(),
            full,
        }
    }

    /// Keeps what `work` has to write; writes everything once [`FLUSH_ROWS`] are waiting.
    fn add(&mut self, conn: &dyn Db, work: Vec<Work>) -> Result<u64, DbError> {
        self.work.extend(work.into_iter().filter(|w| w.dirty));
        if self.work.len() >= FLUSH_ROWS {
            self.flush(conn)
        } else {
            Ok(0)
        }
    }

    /// Writes what is waiting; returns rows written.
    fn flush(&mut self, conn: &dyn Db) -> Result<u64, DbError> {
        let written = store(conn, self.user, &mut self.work, self.full)?;
        self.work.clear();
        Ok(written)
    }
}

/// Calls `f` with batches of the examined members of the `sizes` groups, in row order.
fn each_examined(
    conn: &dyn Db,
    user: &UserId,
    sizes: &HashMap<u64, SizeGroup>,
    mut f: impl FnMut(Vec<Member>) -> Result<(), DbError>,
) -> Result<(), DbError> {
    let mut after = 0;
    loop {
        let batch = local_settle::members_after(conn, user, false, after, CHUNK_FILES)?;
        let Some(last) = batch.last() else {
            return Ok(());
        };
        after = last.id;
        f(batch
            .into_iter()
            .filter(|m| sizes.contains_key(&m.size))
            .collect())?;
    }
}

/// Writes the changed rows of a batch (only the head+tail column in the first pass, only the
/// hash columns in the second, so the first touches no index) in one short transaction of its
/// own; returns rows written. The hashes live in the rows: the hash cache only receives those
/// of rows that leave the index ([`local_index`]), so a cold scan writes each hash once.
fn store(conn: &dyn Db, user: &UserId, work: &mut [Work], full: bool) -> Result<u64, DbError> {
    if !work.iter().any(|w| w.dirty) {
        return Ok(0);
    }
    let tx = conn.begin(Lock::Owner(user.as_str()))?;
    let written = store_in(&*tx, work, full)?;
    tx.commit()?;
    Ok(written)
}

fn store_in(conn: &dyn Db, work: &mut [Work], full: bool) -> Result<u64, DbError> {
    let mut fulls = Vec::new();
    let mut partials = Vec::new();
    for w in work.iter().filter(|w| w.dirty) {
        let m = &w.member;
        match (full, &m.hash) {
            (true, Some(h)) => fulls.push((m.id, h.as_str())),
            _ => partials.push((m.id, m.partial.as_deref())),
        }
    }
    local_settle::set_fulls(conn, &fulls)?;
    local_settle::set_partials(conn, &partials)?;
    Ok((fulls.len() + partials.len()) as u64)
}

/// A confined handle on the root of each of the owner's local sources: a size group spans
/// sources, and each file is read below its own source's root.
struct Roots(HashMap<String, Result<Root, String>>);

impl Roots {
    fn of(conn: &dyn Db, user: &UserId, source: &str, root: &Root) -> Result<Self, DbError> {
        let mut map = HashMap::new();
        // The scanned source through the scan's own handle; the others opened now.
        map.insert(
            source.to_owned(),
            root.try_clone().map_err(|e| e.to_string()),
        );
        let mut stmt = conn.prepare(
            "SELECT DISTINCT source FROM scans WHERE user_id = ?1 AND source LIKE 'local:%'",
        )?;
        let others = stmt.query_map([user.as_str()], |r| r.get::<_, String>(0))?;
        for other in others {
            let other = other?;
            if let Some(path) = other.strip_prefix("local:")
                && !map.contains_key(&other)
            {
                let opened = Root::open(Path::new(path)).map_err(|e| e.to_string());
                map.insert(other, opened);
            }
        }
        Ok(Self(map))
    }

    fn of_member(&self, m: &Member) -> std::io::Result<&Root> {
        match self.0.get(&m.source) {
            Some(Ok(root)) => Ok(root),
            Some(Err(e)) => Err(std::io::Error::other(format!("source {}: {e}", m.source))),
            None => Err(std::io::Error::other(format!(
                "source {} is unknown",
                m.source
            ))),
        }
    }
}

fn path_of(m: &Member) -> std::path::PathBuf {
    paths::path_for(&crate::ids::ItemId::from_str_unchecked(&m.item_id))
}

/// Hashes the members at `which` on the rayon pool while `meanwhile` runs on this thread
/// (the database writes of the previous batch): reading files and writing rows overlap, so
/// neither the cores nor the database wait for the other.
fn read_all_while<T>(
    work: &[Work],
    which: &[usize],
    hash: impl Fn(&Member) -> std::io::Result<(String, u64)> + Sync,
    meanwhile: impl FnOnce() -> T,
) -> (Vec<(usize, std::io::Result<String>)>, T) {
    if which.is_empty() {
        return (Vec::new(), meanwhile());
    }
    std::thread::scope(|s| {
        let hashing = s.spawn(|| read_all(work, which, &hash));
        let other = meanwhile();
        match hashing.join() {
            Ok(hashed) => (hashed, other),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

/// Hashes the members at `which` on the rayon pool.
fn read_all(
    work: &[Work],
    which: &[usize],
    hash: impl Fn(&Member) -> std::io::Result<(String, u64)> + Sync,
) -> Vec<(usize, std::io::Result<String>)> {
    which
        .par_iter()
        .map(|&k| (k, hash(&work[k].member).map(|(h, _)| h)))
        .collect()
}
