//! A cloud listing on its way into the index. Its changes wait in `listing_stage` under the
//! scan's id as they arrive, [`STAGE_BATCH`] to a short transaction; once the last page has come
//! they merge into `files` in one transaction, with set-based statements. Memory holds one
//! batch, whatever the drive's size, and a listing cut off midway (an HTTP failure, a killed
//! worker) leaves the index as it was. So does one superseded midway: the next scan of its
//! source drops its staged rows, and its scan's row fences its merge (see
//! [`StagedListing::begin`]).
//!
//! Within a listing the last change of an item wins (an upsert then a removal removes it), which
//! is what applying the changes in order does. A full listing replaces the source's index: its
//! paths come from its own parent links before anything is written, so each row is written
//! once. A delta patches the index; its paths are then rebuilt from the stored rows.

use std::collections::HashMap;
use std::sync::LazyLock;

use platform_db::sql::{
    Conn, Db, DbExt as _, Dialect, Lock, RusqliteLike as _, ToValue as _, Value,
};
use platform_db::vals as params;

use super::{DbError, sql_size};
use crate::ids::{ItemId, Source, UserId};
use crate::provider::{Change, Page, PageSource};

/// Staged rows per statement on PostgreSQL, where each statement is a round trip (18
/// parameters a row, far under its 65,535); SQLite's per-row prepared statement is as fast.
const PG_BATCH: usize = 500;

/// The staged columns, in order.
const STAGE_COLUMNS: &str = "user_id, source, scan_id, item_id, removed, parent_id, name, path, \
     is_dir, size, modified_ns, hash_kind, hash, etag, mime, comparable, dev, ino";
/// Parameters per staged row.
const STAGE_PARAMS: usize = 18;
/// A later change of the same item in the same listing replaces the staged one.
const STAGE_CONFLICT: &str = " ON CONFLICT (scan_id, item_id) DO UPDATE SET \
     removed = excluded.removed, parent_id = excluded.parent_id, name = excluded.name, \
     path = excluded.path, is_dir = excluded.is_dir, size = excluded.size, \
     modified_ns = excluded.modified_ns, hash_kind = excluded.hash_kind, hash = excluded.hash, \
     etag = excluded.etag, mime = excluded.mime, comparable = excluded.comparable, \
     dev = excluded.dev, ino = excluded.ino";

/// Changes held before they are staged in one transaction: each commit writes the stage's
/// pages it dirtied again (to SQLite's WAL), so a commit per 200-item page cost more than the
/// rows themselves. A few MiB of changes.
pub const STAGE_BATCH: usize = 8_192;

/// A listing of one source being received; see the module documentation.
#[derive(Debug)]
pub struct StagedListing {
    user: UserId,
    source: Source,
    scan_id: i64,
    received: u64,
    /// Received, not yet staged (at most `batch` and a page).
    pending: Vec<Change>,
    /// Changes staged per transaction.
    batch: usize,
}

impl StagedListing {
    /// Starts receiving the listing of scan `scan_id` (a `running` row of `scans`), superseding
    /// the source's earlier scans still marked running: they are marked failed and their staged
    /// rows dropped in one transaction. Such a scan is one whose worker was presumed gone (its
    /// lease expired) or one run beside this one (a CLI scan); if it is in fact still there,
    /// its [`Self::finish`] finds its scan superseded and merges nothing, so a listing that lost
    /// rows here never reaches the index.
    pub fn begin(
        conn: &mut dyn Conn,
        user: &UserId,
        source: &Source,
        scan_id: i64,
    ) -> Result<Self, DbError> {
        let tx = conn.transaction(Lock::None)?;
        // The marks first: on PostgreSQL the update waits for an earlier scan's merge that holds
        // its scan's row (see `finish`) before this transaction locks any of the staged rows
        // that merge deletes as it ends; the other order deadlocks.
        tx.execute(
            "UPDATE scans SET status = 'failed', finished_at = ?4 \
             WHERE user_id = ?1 AND source = ?2 AND id < ?3 AND status = 'running'",
            params![user.as_str(), source.to_string(), scan_id, crate::db::now()],
        )?;
        tx.execute(
            "DELETE FROM listing_stage WHERE scan_id IN ( \
             SELECT id FROM scans WHERE user_id = ?1 AND source = ?2 AND id < ?3)",
            params![user.as_str(), source.to_string(), scan_id],
        )?;
        tx.commit()?;
        Ok(Self {
            user: user.clone(),
            source: source.clone(),
            scan_id,
            received: 0,
            pending: Vec::new(),
            batch: STAGE_BATCH,
        })
    }

    /// Stages every `batch` changes (at least 1) rather than every [`STAGE_BATCH`].
    #[must_use]
    pub fn with_batch(mut self, batch: usize) -> Self {
        self.batch = batch.max(1);
        self
    }

    /// Changes received so far (since the last restart).
    pub fn received(&self) -> u64 {
        self.received
    }

    /// Takes the next changes of the listing, in order; every [`STAGE_BATCH`] of them (see
    /// [`Self::with_batch`]) are staged in one transaction.
    pub fn add(&mut self, conn: &mut dyn Conn, changes: Vec<Change>) -> Result<(), DbError> {
        self.received += changes.len() as u64;
        self.pending.extend(changes);
        if self.pending.len() >= self.batch {
            self.flush(conn)?;
        }
        Ok(())
    }

    /// Stages the changes received and not yet staged, in one transaction.
    pub fn flush(&mut self, conn: &mut dyn Conn) -> Result<(), DbError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let changes = std::mem::take(&mut self.pending);
        // One statement may not touch a row twice: keep each item's last change of the batch.
        let mut last: HashMap<&str, usize> = HashMap::with_capacity(changes.len());
        for (i, c) in changes.iter().enumerate() {
            last.insert(id_of(c).as_str(), i);
        }
        let mut rows: Vec<&Change> = changes
            .iter()
            .enumerate()
            .filter(|(i, c)| last.get(id_of(c).as_str()) == Some(i))
            .map(|(_, c)| c)
            .collect();
        let tx = conn.transaction(Lock::None)?;
        // A superseded listing stops at its next batch rather than at its end.
        if !running(&*tx, self.scan_id)? {
            drop(tx);
            return Err(self.superseded(conn));
        }
        let src = self.source.to_string();
        if tx.dialect() == Dialect::Postgres {
            while !rows.is_empty() {
                let batch: Vec<&Change> = rows.drain(..rows.len().min(PG_BATCH)).collect();
                let mut values = Vec::with_capacity(batch.len() * STAGE_PARAMS);
                for c in &batch {
                    values.extend(self.stage_values(&src, c));
                }
                tx.run(&insert_sql(batch.len()), &values)?;
            }
        } else {
            let mut stmt = tx.prepare_cached(&insert_sql(1))?;
            for c in rows {
                stmt.execute(&self.stage_values(&src, c)[..])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Takes pages from `pages` until the provider drops its sink, or the first failure.
    pub async fn receive(
        &mut self,
        conn: &mut dyn Conn,
        pages: &mut PageSource,
    ) -> Result<(), DbError> {
        while let Some(page) = pages.recv().await {
            match page {
                Page::Changes(changes) => self.add(conn, changes)?,
                Page::Restart => self.restart(conn)?,
            }
        }
        Ok(())
    }

    /// Forgets every change received: the provider starts over with a full listing.
    pub fn restart(&mut self, conn: &mut dyn Conn) -> Result<(), DbError> {
        self.received = 0;
        self.pending.clear();
        self.discard_rows(conn)
    }

    /// Drops the staged changes without touching the index (the listing failed).
    pub fn discard(self, conn: &mut dyn Conn) -> Result<(), DbError> {
        self.discard_rows(conn)
    }

    /// Drops this superseded listing's staged rows; the error to return.
    fn superseded(&self, conn: &mut dyn Conn) -> DbError {
        match self.discard_rows(conn) {
            Ok(()) => DbError::Superseded(self.scan_id),
            Err(e) => e,
        }
    }

    fn discard_rows(&self, conn: &mut dyn Conn) -> Result<(), DbError> {
        conn.execute(
            "DELETE FROM listing_stage WHERE scan_id = ?1",
            params![self.scan_id],
        )?;
        Ok(())
    }

    /// Merges the staged listing into the index in one transaction: a `full` listing replaces
    /// the source's rows, a delta patches them. Only rows that differ are written, so an
    /// unchanged drive writes nothing. Items in `not_owned` are marked as someone else's, the
    /// other listed items as the owner's. Returns the rows written or deleted.
    pub fn finish(
        mut self,
        conn: &mut dyn Conn,
        full: bool,
        not_owned: &[ItemId],
    ) -> Result<u64, DbError> {
        self.flush(conn)?;
        let tx = conn.transaction(Lock::None)?;
        // The fence: the scan's row, still running, is held until the merge commits. A later
        // scan's `begin` either superseded it before (nothing merges: part of this listing may
        // have been dropped) or waits for this merge before it drops anything.
        let held = tx.execute(
            "UPDATE scans SET status = 'running' WHERE id = ?1 AND status = 'running'",
            params![self.scan_id],
        )?;
        if held == 0 {
            drop(tx);
            return Err(self.superseded(conn));
        }
        let user = self.user.as_str();
        let src = self.source.to_string();
        let provider = self.source.provider().as_str();
        let cloud = self.source.local_root().is_none();
        if full && cloud {
            tx.execute(&STAGE_PATHS, params![self.scan_id])?;
        }
        // Removals first: a local item renamed within the listing keeps its (dev, ino).
        let mut written = if full {
            tx.execute(
                "DELETE FROM files WHERE user_id = ?1 AND source = ?2 AND NOT EXISTS ( \
                 SELECT 1 FROM listing_stage s WHERE s.scan_id = ?3 AND s.item_id = files.item_id \
                 AND s.removed = 0)",
                params![user, src, self.scan_id],
            )?
        } else {
            tx.execute(
                "DELETE FROM files WHERE user_id = ?1 AND source = ?2 AND item_id IN ( \
                 SELECT item_id FROM listing_stage WHERE scan_id = ?3 AND removed = 1)",
                params![user, src, self.scan_id],
            )?
        };
        written += tx.execute(MERGE, params![user, src, provider, self.scan_id])?;
        if !full && cloud && written > 0 {
            tx.execute(&FILE_PATHS, params![user, src])?;
        }
        set_ownership(&*tx, user, &src, self.scan_id, full, not_owned)?;
        // SQLite empties a whole table at once, not row by row; its writer is alone here, so
        // no other scan can stage rows between the check and the delete.
        let alone = tx.dialect() == Dialect::Sqlite
            && tx.one::<bool>(
                "SELECT NOT EXISTS (SELECT 1 FROM listing_stage WHERE scan_id < ?1) \
                 AND NOT EXISTS (SELECT 1 FROM listing_stage WHERE scan_id > ?1)",
                params![self.scan_id],
            )?;
        if alone {
            tx.execute("DELETE FROM listing_stage", params![])?;
        } else {
            tx.execute(
                "DELETE FROM listing_stage WHERE scan_id = ?1",
                params![self.scan_id],
            )?;
        }
        tx.commit()?;
        Ok(written)
    }

    /// The parameters of one staged row ([`STAGE_COLUMNS`]).
    fn stage_values(&self, src: &str, change: &Change) -> Vec<Value> {
        let mut v = Vec::with_capacity(STAGE_PARAMS);
        v.extend([
            self.user.as_str().to_value(),
            src.to_value(),
            self.scan_id.to_value(),
        ]);
        match change {
            Change::Upsert(item) => v.extend([
                item.id.as_str().to_value(),
                false.to_value(),
                item.parent_id.as_ref().map(|p| p.as_str()).to_value(),
                item.name.to_value(),
                item.path.to_value(),
                item.is_dir.to_value(),
                sql_size(item.size).to_value(),
                item.modified_ns.to_value(),
                item.hash.as_ref().map(|h| h.kind.as_str()).to_value(),
                item.hash.as_ref().map(|h| h.value.as_str()).to_value(),
                item.etag.to_value(),
                item.mime.to_value(),
                item.comparable.to_value(),
                item.inode.map(|(d, _)| d as i64).to_value(),
                item.inode.map(|(_, i)| i as i64).to_value(),
            ]),
            Change::Removed(id) => {
                v.extend([id.as_str().to_value(), true.to_value()]);
                v.resize(STAGE_PARAMS, Value::Null);
            }
        }
        v
    }
}

fn id_of(change: &Change) -> &ItemId {
    match change {
        Change::Upsert(item) => &item.id,
        Change::Removed(id) => id,
    }
}

/// Whether scan `scan_id` is still running (no later scan of its source superseded it).
fn running(conn: &dyn Db, scan_id: i64) -> Result<bool, DbError> {
    Ok(conn
        .row_opt(
            "SELECT status FROM scans WHERE id = ?1",
            params![scan_id],
            |r| r.get::<_, String>(0),
        )?
        .is_some_and(|s| s == "running"))
}

/// `INSERT` of `rows` staged rows.
fn insert_sql(rows: usize) -> String {
    let mut sql = format!("INSERT INTO listing_stage ({STAGE_COLUMNS}) VALUES ");
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for col in 1..=STAGE_PARAMS {
            if col > 1 {
                sql.push_str(", ");
            }
            sql.push('?');
            sql.push_str(&(row * STAGE_PARAMS + col).to_string());
        }
        sql.push(')');
    }
    sql.push_str(STAGE_CONFLICT);
    sql
}

/// The path of every item of a staged full listing (`?1`: the scan), from its parent links:
/// `/` and the names from the topmost listed ancestor down. An item whose parent is not listed
/// is a top item; a cycle of parents, reached from no top item, keeps the paths it came with,
/// and so does anything nested deeper than 256 folders.
static STAGE_PATHS: LazyLock<String> = LazyLock::new(|| {
    paths_sql(
        "listing_stage",
        |t| format!("{t}.scan_id = ?1 AND {t}.removed = 0"),
        "listing_stage.scan_id = ?1",
    )
});

/// The same paths from the stored rows of a source (`?1`, `?2`), after a delta; only rows
/// whose path changes are written.
static FILE_PATHS: LazyLock<String> = LazyLock::new(|| {
    paths_sql(
        "files",
        // Only cloud rows are in the index of parent links (`files_children`).
        |t| format!("{t}.user_id = ?1 AND {t}.source = ?2 AND {t}.provider <> 'local'"),
        "files.user_id = ?1 AND files.source = ?2 AND files.path IS DISTINCT FROM tree.path",
    )
});

/// The statement that sets, from the rows' parent links, the path of every row of `table`
/// that `scope` (a condition on the alias it is given) selects and `target` (a condition on
/// `table` and `tree`) lets through. `CROSS JOIN` makes the recursion's queue the outer loop,
/// each step an index lookup of the children (SQLite 3.53 otherwise scans every row at each
/// step: quadratic).
fn paths_sql(table: &str, scope: impl Fn(&str) -> String, target: &str) -> String {
    let (s, p, c) = (scope("s"), scope("p"), scope("c"));
    format!(
        "WITH RECURSIVE tree (item_id, path, depth) AS ( \
           SELECT s.item_id, '/' || s.name, 1 FROM {table} s \
           WHERE {s} AND NOT EXISTS (SELECT 1 FROM {table} p WHERE {p} AND p.item_id = s.parent_id) \
           UNION ALL \
           SELECT c.item_id, t.path || '/' || c.name, t.depth + 1 FROM tree t \
           CROSS JOIN {table} c WHERE {c} AND c.parent_id = t.item_id AND t.depth < 256) \
         UPDATE {table} SET path = tree.path FROM tree \
         WHERE {target} AND {table}.item_id = tree.item_id"
    )
}

/// Writes the staged items of scan `?4` into the index of `?1`, `?2` (provider `?3`), leaving
/// rows that would not change alone.
const MERGE: &str = "INSERT INTO files (user_id, source, provider, item_id, parent_id, name, path, \
       is_dir, size, modified_ns, hash_kind, hash, etag, mime, comparable, dev, ino, scan_id) \
     SELECT ?1, ?2, ?3, item_id, parent_id, name, path, is_dir, size, modified_ns, hash_kind, \
       hash, etag, mime, comparable, dev, ino, ?4 \
     FROM listing_stage WHERE scan_id = ?4 AND removed = 0 \
     ON CONFLICT (user_id, source, item_id) DO UPDATE SET \
       parent_id = excluded.parent_id, name = excluded.name, path = excluded.path, \
       is_dir = excluded.is_dir, size = excluded.size, modified_ns = excluded.modified_ns, \
       hash_kind = excluded.hash_kind, hash = excluded.hash, etag = excluded.etag, \
       mime = excluded.mime, comparable = excluded.comparable, dev = excluded.dev, \
       ino = excluded.ino, scan_id = excluded.scan_id, partial = NULL \
     WHERE files.parent_id IS DISTINCT FROM excluded.parent_id \
       OR files.name IS DISTINCT FROM excluded.name OR files.path IS DISTINCT FROM excluded.path \
       OR files.is_dir IS DISTINCT FROM excluded.is_dir OR files.size IS DISTINCT FROM excluded.size \
       OR files.modified_ns IS DISTINCT FROM excluded.modified_ns \
       OR files.hash_kind IS DISTINCT FROM excluded.hash_kind \
       OR files.hash IS DISTINCT FROM excluded.hash OR files.etag IS DISTINCT FROM excluded.etag";

/// Which listed items are the owner's: a full listing marks every item owned but those in
/// `not_owned`; a delta sets the flag of the items it lists. Only differing rows change.
fn set_ownership(
    tx: &dyn Db,
    user: &str,
    src: &str,
    scan_id: i64,
    full: bool,
    not_owned: &[ItemId],
) -> Result<(), DbError> {
    if full {
        tx.execute(
            "UPDATE files SET owned = 1 WHERE user_id = ?1 AND source = ?2 AND owned = 0",
            params![user, src],
        )?;
    } else {
        tx.execute(
            "UPDATE files SET owned = 1 WHERE user_id = ?1 AND source = ?2 AND owned = 0 \
             AND item_id IN (SELECT item_id FROM listing_stage WHERE scan_id = ?3 AND removed = 0)",
            params![user, src, scan_id],
        )?;
    }
    let mut shared = tx.prepare_cached(
        "UPDATE files SET owned = 0 WHERE user_id = ?1 AND source = ?2 AND item_id = ?3 \
         AND owned = 1 AND item_id IN (SELECT item_id FROM listing_stage WHERE scan_id = ?4 \
         AND removed = 0)",
    )?;
    for id in not_owned {
        shared.execute(params![user, src, id.as_str(), scan_id])?;
    }
    Ok(())
}
