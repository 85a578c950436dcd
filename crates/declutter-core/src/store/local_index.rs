//! Streaming upkeep of a local source's index: walked entries are compared one by one with
//! their row and only new or changed rows are written; rows the walk did not see are found by
//! count and removed. A rescan reads the source's rows into memory once, before the walk
//! (module `known_rows`); a source with more rows than the scan may keep is looked up row by row
//! through the unique index instead. The per-file state is one bit per row id, plus the new
//! rows a source's first walk holds so that the scan can hash its duplicate candidates before
//! writing them ([`LocalIndex::take_held`]); both are bounded by the same limit.
//!
//! One physical file has one row per owner, whatever sources overlap (a folder scanned, then
//! its parent; a bind mount; a hard link across sources): the schema holds (device, inode)
//! unique per owner, and an entry whose file is already indexed under another source, and
//! still there, is skipped and reported. Rows whose file is no longer at their path (a rename,
//! a reused inode) give way.

use std::path::Path;

use platform_db::sql::{Db, DbExt as _, Dialect, Optional as _, RusqliteLike as _, ToValue as _};
use platform_db::vals as params;

use super::known_rows::{Indexed, KnownRows};
use super::{DbError, size_of, sql_size};
use crate::hash::HashKind;
use crate::ids::{ItemId, UserId};
use crate::local::held::HeldEntries;
use crate::local::paths;
use crate::local::walk::Entry;

/// Rows a statement on PostgreSQL writes at most (each statement is a round trip there).
pub(super) const PG_ROWS: usize = 1_000;

/// What became of one walked entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// Indexed (new, changed or unchanged) under this source.
    Indexed,
    /// The same physical file is indexed elsewhere (the message says where); not indexed twice.
    Overlap(String),
}

/// What [`LocalIndex::finish`] reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IndexCounts {
    /// Entries recorded.
    pub listed: u64,
    /// Rows inserted or updated (new or changed files).
    pub changed: u64,
    /// Rows deleted (files gone).
    pub removed: u64,
    /// Rows the source had when the walk began.
    pub before: u64,
}

/// Keeps one local source's rows in step with a walk. It holds no connection: each call takes
/// the one to write with, so the rows of one walk may be written by several transactions
/// (held rows, hashed after the walk's own transaction committed).
#[derive(Debug)]
pub struct LocalIndex {
    user: String,
    source: String,
    scan_id: i64,
    before: u64,
    matched: u64,
    seen: Vec<u64>,
    /// A rescan's rows, read before the walk (none beyond the memory limit: each entry is
    /// then looked up), and the ones deleted since (a clash settled by removing them).
    known: Option<KnownRows>,
    dropped: Vec<u64>,
    counts: IndexCounts,
    /// New rows waiting to be inserted [`PG_ROWS`] a statement (PostgreSQL only).
    pending: Vec<NewRow>,
    /// A first walk's new entries, none written yet, while there are fewer than `hold`.
    held: Option<HeldEntries>,
    hold: usize,
    /// Entries refused while pending rows were written: (path, where it is indexed).
    overlaps: Vec<(String, String)>,
}

/// A new entry waiting to be written, with the hashes known for it.
#[derive(Debug)]
pub struct NewRow {
    /// Item id (from the path).
    pub id: ItemId,
    /// What the walk saw.
    pub entry: Entry,
    /// Head+tail hash, once examined.
    pub partial: Option<String>,
    /// Full BLAKE3, where needed.
    pub hash: Option<String>,
}

impl NewRow {
    fn new(id: ItemId, entry: Entry) -> Self {
        Self {
            id,
            entry,
            partial: None,
            hash: None,
        }
    }

    /// A walked entry under its item id ([`paths::id_for`]), no hashes known yet.
    pub fn walked(entry: Entry) -> Self {
        Self::new(paths::id_for(&entry.path).0, entry)
    }

    fn view(&self) -> RowView<'_> {
        RowView {
            id: &self.id,
            entry: &self.entry,
            partial: self.partial.as_deref(),
            hash: self.hash.as_deref(),
        }
    }
}

/// A new row to insert, borrowed (a walked entry is written without being copied).
#[derive(Debug, Clone, Copy)]
struct RowView<'a> {
    id: &'a ItemId,
    entry: &'a Entry,
    partial: Option<&'a str>,
    hash: Option<&'a str>,
}

fn mark(bits: &mut Vec<u64>, id: i64) {
    let Ok(i) = usize::try_from(id) else { return };
    let word = i / 64;
    if bits.len() <= word {
        bits.resize(word + 1, 0);
    }
    bits[word] |= 1 << (i % 64);
}

fn marked(bits: &[u64], id: i64) -> bool {
    usize::try_from(id)
        .ok()
        .and_then(|i| bits.get(i / 64).map(|w| w & (1 << (i % 64)) != 0))
        .unwrap_or(false)
}

impl LocalIndex {
    /// Starts the upkeep of `source` (run it inside a transaction: every statement is cached
    /// and nothing is committed until the caller commits). Up to `held` rows are kept in
    /// memory: a first walk of the source (below `root`) holds its new entries
    /// ([`Self::take_held`]); a rescan reads the source's rows to compare the walk with.
    pub fn new(
        conn: &dyn Db,
        user: &UserId,
        source: &str,
        scan_id: i64,
        root: &Path,
        held: usize,
    ) -> Result<Self, DbError> {
        let before: i64 = conn.query_row(
            "SELECT count(*) FROM files WHERE user_id = ?1 AND source = ?2",
            params![user.as_str(), source],
            |r| r.get(0),
        )?;
        let before = size_of(before);
        let known = match usize::try_from(before) {
            Ok(n) if n > 0 => {
                // Item ids below the root begin with it.
                let prefix = format!("{}/", paths::id_for(root).0.as_str());
                KnownRows::load(conn, (user.as_str(), source), &prefix, (n, held))?
            }
            _ => None,
        };
        Ok(Self {
            user: user.as_str().to_owned(),
            source: source.to_owned(),
            scan_id,
            before,
            matched: 0,
            seen: Vec::new(),
            known,
            dropped: Vec::new(),
            counts: IndexCounts::default(),
            pending: Vec::new(),
            held: (before == 0 && held > 0).then(|| HeldEntries::new(root)),
            hold: held,
            overlaps: Vec::new(),
        })
    }

    /// The new entries of a first walk, held unwritten (none when the walk was not a first
    /// one, or too large to hold): the caller hashes the duplicate candidates among them and
    /// writes them with [`Self::put`]. Entries are held no longer after this.
    pub fn take_held(&mut self) -> Option<HeldEntries> {
        let mut held = self.held.take().filter(|h| !h.is_empty())?;
        held.shrink_to_fit();
        Some(held)
    }

    /// A first walk too large to hold: what it held is written now, unhashed (the settle
    /// passes hash it), and the rest goes as any walk's.
    fn spill_held(&mut self, conn: &dyn Db) -> Result<(), DbError> {
        let Some(held) = self.held.take() else {
            return Ok(());
        };
        for i in 0..held.len() {
            self.pending.push(NewRow::walked(held.entry(i)));
            if self.pending.len() >= PG_ROWS {
                self.insert_pending(conn)?;
            }
        }
        self.insert_pending(conn)
    }

    /// Writes `rows` (held ones, from [`Self::take_held`]) with the hashes they carry;
    /// entries refused are reported by [`Self::take_overlaps`].
    pub fn put(&mut self, conn: &dyn Db, rows: Vec<NewRow>) -> Result<(), DbError> {
        self.pending.extend(rows);
        self.insert_pending(conn)
    }

    /// Records one walked entry under `id` (its [`paths::id_for`]): an unchanged row is only
    /// marked as seen; a changed one is rewritten with its hashes cleared (so its size group
    /// is examined again). A source indexed for the first time skips the lookup and holds its
    /// new rows ([`Self::take_held`]); on PostgreSQL new rows wait to be inserted together.
    /// An entry refused when waiting rows are written is reported by [`Self::take_overlaps`].
    pub fn record(&mut self, conn: &dyn Db, id: &ItemId, e: &Entry) -> Result<Recorded, DbError> {
        self.counts.listed += 1;
        let (dev, ino) = (e.dev as i64, e.ino as i64);
        let mut existing = self.lookup(conn, id)?;
        let same = |r: &Indexed| {
            r.is_dir == e.is_dir
                && r.size == sql_size(e.size)
                && r.mtime_ns == e.mtime_ns
                && r.dev == Some(dev)
                && r.ino == Some(ino)
        };
        // Rows still waiting may settle a clash by removing this very row (an inode reused by
        // a file walked earlier): they are written first, and the row looked up again, so
        // the changes apply in walk order. An unchanged row is marked seen below, which no
        // waiting row can remove.
        if existing.as_ref().is_some_and(|r| !same(r)) && !self.pending.is_empty() {
            self.insert_pending(conn)?;
            existing = self.lookup(conn, id)?;
        }
        match existing {
            Some(found) => {
                let same = same(&found);
                let row = found.id;
                self.matched += 1;
                mark(&mut self.seen, row);
                if !same
                    && (found.dev, found.ino) != (Some(dev), Some(ino))
                    && let Some(why) = self.make_room(conn, e, Some(row))?
                {
                    return Ok(Recorded::Overlap(why));
                }
                if !same {
                    conn.prepare_cached(
                        "UPDATE files SET is_dir = ?2, size = ?3, modified_ns = ?4, dev = ?5, \
                         ino = ?6, hash_kind = NULL, hash = NULL, partial = NULL, \
                         scan_id = ?7 WHERE id = ?1",
                    )?
                    .execute(params![
                        row,
                        e.is_dir,
                        sql_size(e.size),
                        e.mtime_ns,
                        dev,
                        ino,
                        self.scan_id
                    ])?;
                    self.counts.changed += 1;
                }
            }
            None if self.held.is_some() => {
                if let Some(held) = self.held.as_mut() {
                    held.push(e);
                }
                if self.held.as_ref().is_some_and(|h| h.len() >= self.hold) {
                    self.spill_held(conn)?;
                }
            }
            None if conn.dialect() == Dialect::Postgres => {
                self.pending.push(NewRow::new(id.clone(), e.clone()));
                if self.pending.len() >= PG_ROWS {
                    self.insert_pending(conn)?;
                }
            }
            None => {
                let row = RowView {
                    id,
                    entry: e,
                    partial: None,
                    hash: None,
                };
                // The common case is one statement; a clash with the identity of a row of
                // this or another source is settled, then the row is written for certain.
                if !self.insert_new(conn, row, true)? {
                    if let Some(why) = self.make_room(conn, e, None)? {
                        return Ok(Recorded::Overlap(why));
                    }
                    self.insert_new(conn, row, false)?;
                }
            }
        }
        Ok(Recorded::Indexed)
    }

    /// Inserts `row` and marks it seen; with `or_nothing`, a clash with any unique identity
    /// inserts nothing (answers false) instead of failing.
    fn insert_new(
        &mut self,
        conn: &dyn Db,
        row: RowView<'_>,
        or_nothing: bool,
    ) -> Result<bool, DbError> {
        const INSERT: &str = "INSERT INTO files (user_id, source, provider, item_id, parent_id, \
             name, path, is_dir, size, modified_ns, comparable, dev, ino, scan_id, partial, \
             hash_kind, hash) \
             VALUES (?1, ?2, 'local', ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1, ?10, ?11, ?12, ?13, ?14, ?15)";
        const INSERT_OR_NOTHING: &str = "INSERT INTO files (user_id, source, provider, item_id, \
             parent_id, name, path, is_dir, size, modified_ns, comparable, dev, ino, scan_id, \
             partial, hash_kind, hash) \
             VALUES (?1, ?2, 'local', ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1, ?10, ?11, ?12, ?13, ?14, ?15) \
             ON CONFLICT DO NOTHING";
        let e = row.entry;
        let (parent, name) = e.parent_and_name();
        let id = conn
            .prepare_cached(if or_nothing {
                INSERT_OR_NOTHING
            } else {
                INSERT
            })?
            .insert(params![
                self.user,
                self.source,
                row.id.as_str(),
                parent.as_ref().map(ItemId::as_str),
                name,
                e.path.to_string_lossy(),
                e.is_dir,
                sql_size(e.size),
                e.mtime_ns,
                e.dev as i64,
                e.ino as i64,
                self.scan_id,
                row.partial,
                row.hash.map(|_| HashKind::Blake3.as_str()),
                row.hash
            ])?;
        match id {
            Some(id) => {
                mark(&mut self.seen, id);
                self.counts.changed += 1;
                Ok(true)
            }
            None if or_nothing => Ok(false),
            None => Err(DbError::Corrupt("a file row was not written".into())),
        }
    }

    /// The row indexed under `id` in this source (none looked for in a source indexed for the
    /// first time).
    fn lookup(&self, conn: &dyn Db, id: &ItemId) -> Result<Option<Indexed>, DbError> {
        if self.before == 0 {
            return Ok(None);
        }
        if let Some(known) = &self.known {
            return Ok(known
                .get(id.as_str())
                .filter(|r| !marked(&self.dropped, r.id)));
        }
        Ok(conn
            .prepare_cached(Indexed::BY_ITEM)?
            .query_row(params![self.user, self.source, id.as_str()], |r| {
                Indexed::read(r, 0)
            })
            .optional()?)
    }

    /// Entries refused since the last call, found while pending rows were written: (path,
    /// where the same file is indexed).
    pub fn take_overlaps(&mut self) -> Vec<(String, String)> {
        std::mem::take(&mut self.overlaps)
    }

    /// Inserts the pending new rows (1,000 a statement on PostgreSQL; done by
    /// [`Self::finish`] too: call it first to [`take the overlaps`](Self::take_overlaps) it
    /// finds); those that clash with an identity (the same file indexed elsewhere) are then
    /// settled one by one, as [`Self::record`] settles them.
    pub fn insert_pending(&mut self, conn: &dyn Db) -> Result<(), DbError> {
        let rows = std::mem::take(&mut self.pending);
        let mut refused = Vec::new();
        if conn.dialect() == Dialect::Postgres {
            for chunk in rows.chunks(PG_ROWS) {
                let written = self.insert_many(conn, chunk)?;
                refused.extend(chunk.iter().filter(|r| !written.contains(r.id.as_str())));
            }
        } else {
            for row in &rows {
                if !self.insert_new(conn, row.view(), true)? {
                    refused.push(row);
                }
            }
        }
        for row in refused {
            if let Some(why) = self.make_room(conn, &row.entry, None)? {
                self.overlaps
                    .push((row.entry.path.to_string_lossy().into_owned(), why));
                continue;
            }
            self.insert_new(conn, row.view(), false)?;
        }
        Ok(())
    }

    /// Inserts `rows` in one statement, skipping those that clash with an identity; answers
    /// the item ids written.
    fn insert_many(
        &mut self,
        conn: &dyn Db,
        rows: &[NewRow],
    ) -> Result<std::collections::HashSet<String>, DbError> {
        const PER_ROW: usize = 12;
        let mut sql = String::from(
            "INSERT INTO files (user_id, source, provider, item_id, parent_id, name, path, \
             is_dir, size, modified_ns, comparable, dev, ino, scan_id, partial, hash_kind, \
             hash) VALUES ",
        );
        let mut values = vec![
            self.user.to_value(),
            self.source.to_value(),
            self.scan_id.to_value(),
        ];
        for (i, row) in rows.iter().enumerate() {
            let at = 4 + PER_ROW * i;
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str("(?1, ?2, 'local'");
            for k in 0..7 {
                sql.push_str(&format!(", ?{}", at + k));
            }
            sql.push_str(&format!(
                ", 1, ?{}, ?{}, ?3, ?{}, ?{}, ?{})",
                at + 7,
                at + 8,
                at + 9,
                at + 10,
                at + 11
            ));
            let e = &row.entry;
            let (parent, name) = e.parent_and_name();
            values.extend([
                row.id.as_str().to_value(),
                parent.as_ref().map(ItemId::as_str).to_value(),
                name.to_value(),
                e.path.to_string_lossy().into_owned().to_value(),
                e.is_dir.to_value(),
                sql_size(e.size).to_value(),
                e.mtime_ns.to_value(),
                (e.dev as i64).to_value(),
                (e.ino as i64).to_value(),
                row.partial.as_deref().to_value(),
                row.hash
                    .as_ref()
                    .map(|_| HashKind::Blake3.as_str())
                    .to_value(),
                row.hash.as_deref().to_value(),
            ]);
        }
        // Only the physical identity is checked for before each row (less than half the cost
        // of checking every unique index): a new row's item id is in no row of its source (it
        // was looked up), so the other unique indexes can only clash on a bug, which fails.
        sql.push_str(
            " ON CONFLICT (user_id, dev, ino) WHERE dev IS NOT NULL DO NOTHING \
             RETURNING id, item_id",
        );
        let inserted: Vec<(i64, String)> =
            conn.rows(&sql, &values, |r| Ok((r.get(0)?, r.get(1)?)))?;
        for (row, _) in &inserted {
            mark(&mut self.seen, *row);
        }
        self.counts.changed += inserted.len() as u64;
        Ok(inserted.into_iter().map(|(_, item)| item).collect())
    }

    /// Clears the way for `e` to be indexed by this source, as row `own` or a new one: rows of
    /// the owner with the same physical file give way when their file is no longer at their
    /// path; when it still is, the entry is refused (returns where it is indexed).
    fn make_room(
        &mut self,
        conn: &dyn Db,
        e: &Entry,
        own: Option<i64>,
    ) -> Result<Option<String>, DbError> {
        // A clash may be with a row still waiting: written first, as if recorded in order.
        self.insert_pending(conn)?;
        let clashes: Vec<(i64, String, String)> = {
            let mut stmt = conn.prepare_cached(
                "SELECT id, source, path FROM files WHERE user_id = ?1 AND id IS DISTINCT FROM ?2 \
                 AND dev = ?3 AND ino = ?4",
            )?;
            let rows = stmt
                .query_map(params![self.user, own, e.dev as i64, e.ino as i64], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?;
            rows.collect::<Result<_, _>>()?
        };
        for (row, source, path) in clashes {
            let still_there = if source == self.source {
                // Seen in this walk already: the same file reached twice (a followed link).
                marked(&self.seen, row)
            } else {
                std::fs::symlink_metadata(&path).is_ok_and(|m| {
                    use std::os::unix::fs::MetadataExt as _;
                    (m.dev(), m.ino()) == (e.dev, e.ino)
                })
            };
            if still_there {
                return Ok(Some(if source == self.source {
                    format!("the same file as {path}; indexed once")
                } else {
                    format!("already indexed in source {source} (as {path}); indexed once")
                }));
            }
            remove(conn, row)?;
            mark(&mut self.dropped, row);
            if source == self.source {
                self.counts.removed += 1;
            }
        }
        Ok(None)
    }

    /// Removes the rows the walk did not see (only looked for when the counts say some are
    /// missing) and returns what changed.
    pub fn finish(mut self, conn: &dyn Db) -> Result<IndexCounts, DbError> {
        self.insert_pending(conn)?;
        if self.matched < self.before {
            let gone: Vec<i64> = {
                let mut stmt =
                    conn.prepare("SELECT id FROM files WHERE user_id = ?1 AND source = ?2")?;
                let ids = stmt.query_map(params![self.user, self.source], |r| r.get(0))?;
                let mut gone = Vec::new();
                for id in ids {
                    let id: i64 = id?;
                    if !marked(&self.seen, id) {
                        gone.push(id);
                    }
                }
                gone
            };
            for id in gone {
                self.counts.removed += remove(conn, id)?;
            }
        }
        self.counts.before = self.before;
        Ok(self.counts)
    }
}

/// Deletes row `id`, keeping its hashes in the hash cache under its inode first: a file that
/// was moved or renamed comes back as a new row, and its contents are not read again while
/// its size and mtime are unchanged. Returns the rows deleted.
fn remove(conn: &dyn Db, id: i64) -> Result<u64, DbError> {
    conn.prepare_cached(
        "INSERT INTO hash_cache (dev, ino, size, mtime_ns, partial, \"full\", stored_at) \
         SELECT dev, ino, size, modified_ns, partial, \
                CASE WHEN hash_kind = 'blake3' THEN hash END, ?2 \
         FROM files WHERE id = ?1 AND dev IS NOT NULL \
              AND (partial IS NOT NULL OR hash_kind = 'blake3') \
         ON CONFLICT (dev, ino) DO UPDATE SET size = excluded.size, \
         mtime_ns = excluded.mtime_ns, partial = excluded.partial, \"full\" = excluded.\"full\", \
         stored_at = excluded.stored_at",
    )?
    .execute(params![id, crate::db::now()])?;
    Ok(conn
        .prepare_cached("DELETE FROM files WHERE id = ?1")?
        .execute([id])?)
}
