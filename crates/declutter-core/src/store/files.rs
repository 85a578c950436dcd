//! The file index: one row per item per source, replaced by full listings and patched by deltas.

use std::collections::HashMap;

use platform_db::sql::{
    Conn, Db, DbExt as _, Dialect, Lock, Optional as _, Row, RusqliteLike as _, SqlError,
    ToValue as _, Value,
};
use platform_db::vals as params;

use super::{DbError, size_of, sql_size};
use crate::ids::{Source, UserId};
use crate::provider::{Change, Item, Listing};

/// A row of the file index.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FileRow {
    /// Row id.
    pub id: i64,
    /// Source (`local:/root`, `onedrive:`, `gdrive:`).
    pub source: String,
    /// Provider name.
    pub provider: String,
    /// Provider item id.
    pub item_id: String,
    /// Parent item id.
    pub parent_id: Option<String>,
    /// File name.
    pub name: String,
    /// Display path.
    pub path: String,
    /// Folder.
    pub is_dir: bool,
    /// Bytes.
    pub size: u64,
    /// Modification time (ns since epoch).
    pub modified_ns: i64,
    /// Hash algorithm.
    pub hash_kind: Option<String>,
    /// Hash value.
    pub hash: Option<String>,
    /// Version tag.
    pub etag: Option<String>,
    /// MIME type.
    pub mime: Option<String>,
    /// Has comparable bytes.
    pub comparable: bool,
    /// Owned by the user (false: shared with them by someone else; never planned for removal).
    pub owned: bool,
}

/// Columns read by [`from_row`], in order.
pub const COLUMNS: &str = "id, source, provider, item_id, parent_id, name, path, is_dir, size, \
                           modified_ns, hash_kind, hash, etag, mime, comparable, owned";

/// Decodes a row selected with [`COLUMNS`].
pub fn from_row(r: &dyn Row) -> Result<FileRow, SqlError> {
    from_row_at(r, 0)
}

/// Decodes [`COLUMNS`] starting at column `at`.
pub fn from_row_at(r: &dyn Row, at: usize) -> Result<FileRow, SqlError> {
    Ok(FileRow {
        id: r.get(at)?,
        source: r.get(at + 1)?,
        provider: r.get(at + 2)?,
        item_id: r.get(at + 3)?,
        parent_id: r.get(at + 4)?,
        name: r.get(at + 5)?,
        path: r.get(at + 6)?,
        is_dir: r.get(at + 7)?,
        size: size_of(r.get(at + 8)?),
        modified_ns: r.get(at + 9)?,
        hash_kind: r.get(at + 10)?,
        hash: r.get(at + 11)?,
        etag: r.get(at + 12)?,
        mime: r.get(at + 13)?,
        comparable: r.get(at + 14)?,
        owned: r.get(at + 15)?,
    })
}

/// The columns an upsert writes, in order.
const UPSERT_COLUMNS: &str = "user_id, source, provider, item_id, parent_id, name, path, is_dir, \
     size, modified_ns, hash_kind, hash, etag, mime, comparable, dev, ino, scan_id";
/// Parameters per upserted row.
const UPSERT_PARAMS: usize = 18;
/// What an upsert of an indexed item changes.
const UPSERT_CONFLICT: &str = " ON CONFLICT (user_id, source, item_id) DO UPDATE SET \
     parent_id = excluded.parent_id, name = excluded.name, path = excluded.path, \
     is_dir = excluded.is_dir, size = excluded.size, modified_ns = excluded.modified_ns, \
     hash_kind = excluded.hash_kind, hash = excluded.hash, etag = excluded.etag, \
     mime = excluded.mime, comparable = excluded.comparable, dev = excluded.dev, \
     ino = excluded.ino, scan_id = excluded.scan_id, partial = NULL";
/// Rows per upsert statement on PostgreSQL, where each statement is a round trip (18
/// parameters a row, far under its 65,535).
const PG_BATCH: usize = 500;

fn row_values(
    user: &UserId,
    source: &str,
    provider: &str,
    (item, path): (&Item, &str),
    scan_id: i64,
) -> [Value; UPSERT_PARAMS] {
    [
        user.as_str().to_value(),
        source.to_value(),
        provider.to_value(),
        item.id.as_str().to_value(),
        item.parent_id.as_ref().map(|p| p.as_str()).to_value(),
        item.name.to_value(),
        path.to_value(),
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
        scan_id.to_value(),
    ]
}

fn upsert(
    tx: &dyn Db,
    user: &UserId,
    source: &str,
    provider: &str,
    item: (&Item, &str),
    scan_id: i64,
) -> Result<(), DbError> {
    let mut stmt = tx.prepare_cached(&format!(
        "INSERT INTO files ({UPSERT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, \
         ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18){UPSERT_CONFLICT}"
    ))?;
    stmt.execute(&row_values(user, source, provider, item, scan_id)[..])?;
    Ok(())
}

/// Upserts on PostgreSQL go out [`PG_BATCH`] rows per statement; SQLite's per-row prepared
/// statement is already as fast as it gets. A batch never holds one item twice (one statement
/// may not update a row twice) and is flushed before any removal, so changes apply in order.
struct Upserts<'a> {
    batch: bool,
    /// Items with the path each is written with.
    pending: Vec<(&'a Item, &'a str)>,
    ids: std::collections::HashSet<&'a str>,
}

impl<'a> Upserts<'a> {
    fn new(tx: &dyn Db) -> Self {
        Self {
            batch: tx.dialect() == Dialect::Postgres,
            pending: Vec::new(),
            ids: std::collections::HashSet::new(),
        }
    }

    fn add(
        &mut self,
        tx: &dyn Db,
        (user, source, provider, scan_id): (&UserId, &str, &str, i64),
        item: (&'a Item, &'a str),
    ) -> Result<(), DbError> {
        if !self.batch {
            return upsert(tx, user, source, provider, item, scan_id);
        }
        if self.pending.len() >= PG_BATCH || self.ids.contains(item.0.id.as_str()) {
            self.flush(tx, (user, source, provider, scan_id))?;
        }
        self.ids.insert(item.0.id.as_str());
        self.pending.push(item);
        Ok(())
    }

    fn flush(
        &mut self,
        tx: &dyn Db,
        (user, source, provider, scan_id): (&UserId, &str, &str, i64),
    ) -> Result<(), DbError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let mut sql = format!("INSERT INTO files ({UPSERT_COLUMNS}) VALUES ");
        let mut values = Vec::with_capacity(self.pending.len() * UPSERT_PARAMS);
        for (row, item) in self.pending.iter().enumerate() {
            sql.push_str(if row == 0 { "(" } else { ", (" });
            for col in 1..=UPSERT_PARAMS {
                if col > 1 {
                    sql.push_str(", ");
                }
                sql.push('?');
                sql.push_str(&(row * UPSERT_PARAMS + col).to_string());
            }
            sql.push(')');
            values.extend(row_values(user, source, provider, *item, scan_id));
        }
        sql.push_str(UPSERT_CONFLICT);
        tx.run(&sql, &values)?;
        self.pending.clear();
        self.ids.clear();
        Ok(())
    }
}

/// What decides whether an indexed row must be rewritten.
type Fingerprint = (
    Option<String>,
    String,
    String,
    bool,
    i64,
    i64,
    Option<String>,
    Option<String>,
);

fn fingerprint(item: &Item, path: &str) -> Fingerprint {
    (
        item.parent_id.as_ref().map(|p| p.as_str().to_owned()),
        item.name.clone(),
        path.to_owned(),
        item.is_dir,
        sql_size(item.size),
        item.modified_ns,
        item.hash.as_ref().map(ToString::to_string),
        item.etag.clone(),
    )
}

fn existing(
    tx: &dyn Db,
    user: &UserId,
    src: &str,
) -> Result<HashMap<String, Fingerprint>, DbError> {
    let mut stmt = tx.prepare(
        "SELECT item_id, parent_id, name, path, is_dir, size, modified_ns, hash_kind, hash, etag \
         FROM files WHERE user_id = ?1 AND source = ?2",
    )?;
    let rows = stmt.query_map(params![user.as_str(), src], |r| {
        let kind: Option<String> = r.get(7)?;
        let hash: Option<String> = r.get(8)?;
        let hash = kind.zip(hash).map(|(k, h)| format!("{k}:{h}"));
        Ok((
            r.get::<_, String>(0)?,
            (
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                hash,
                r.get(9)?,
            ),
        ))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Applies a listing to the index of `source`: a full listing replaces it, a delta patches it.
/// Only rows that differ are written, so rescanning an unchanged tree writes nothing. Returns
/// the number of rows written or deleted.
pub fn apply_listing(
    conn: &mut dyn Conn,
    user: &UserId,
    source: &Source,
    listing: &Listing,
    scan_id: i64,
) -> Result<u64, DbError> {
    let src = source.to_string();
    let provider = source.provider().as_str();
    // A full listing of a drive names every node of the source, so each item's path comes from
    // the listing's parent links now, and the rows are written right the first time (a delta
    // needs the stored rows: their paths are fixed after it, in `recompute_paths`).
    let paths = (listing.full && source.local_root().is_none()).then(|| listing_paths(listing));
    let tx = conn.transaction(Lock::None)?;
    let mut before = if listing.full {
        existing(&*tx, user, &src)?
    } else {
        HashMap::new()
    };
    let mut written = 0u64;
    {
        let mut remove = tx.prepare_cached(
            "DELETE FROM files WHERE user_id = ?1 AND source = ?2 AND item_id = ?3",
        )?;
        let mut upserts = Upserts::new(&*tx);
        let row = (user, src.as_str(), provider, scan_id);
        for change in &listing.changes {
            match change {
                Change::Upsert(item) => {
                    let path = paths
                        .as_ref()
                        .and_then(|p| p.get(item.id.as_str()))
                        .map_or(item.path.as_str(), String::as_str);
                    let same = before
                        .remove(item.id.as_str())
                        .is_some_and(|old| old == fingerprint(item, path));
                    if !same {
                        upserts.add(&*tx, row, (item, path))?;
                        written += 1;
                    }
                }
                Change::Removed(id) => {
                    upserts.flush(&*tx, row)?;
                    before.remove(id.as_str());
                    written += remove.execute(params![user.as_str(), src, id.as_str()])?;
                }
            }
        }
        upserts.flush(&*tx, row)?;
        // A full listing: whatever it did not mention is gone.
        for gone in before.keys() {
            written += remove.execute(params![user.as_str(), src, gone])?;
        }
    }
    if source.local_root().is_none() && written > 0 && paths.is_none() {
        recompute_paths(&*tx, user, &src)?;
    }
    tx.commit()?;
    Ok(written)
}

/// Records which listed items the user owns: a full listing marks every item owned but those
/// in `not_owned`; a delta sets the flag of the items it upserts. Only differing rows change.
pub fn set_ownership(
    conn: &mut dyn Conn,
    user: &UserId,
    source: &Source,
    listing: &Listing,
    not_owned: &[crate::ids::ItemId],
) -> Result<(), DbError> {
    let src = source.to_string();
    let shared: std::collections::HashSet<&str> = not_owned.iter().map(|i| i.as_str()).collect();
    if shared.is_empty() && !listing.full {
        // A delta of owned items: reset only those that were marked shared.
        let any_shared: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM files WHERE user_id = ?1 AND source = ?2 AND owned = 0)",
            params![user.as_str(), src],
            |r| r.get(0),
        )?;
        if !any_shared {
            return Ok(());
        }
    }
    let tx = conn.transaction(Lock::None)?;
    {
        let mut set = tx.prepare_cached(
            "UPDATE files SET owned = ?4 WHERE user_id = ?1 AND source = ?2 AND item_id = ?3 \
             AND owned != ?4",
        )?;
        if listing.full {
            tx.execute(
                "UPDATE files SET owned = 1 WHERE user_id = ?1 AND source = ?2 AND owned = 0",
                params![user.as_str(), src],
            )?;
            for id in &shared {
                set.execute(params![user.as_str(), src, id, false])?;
            }
        } else {
            for change in &listing.changes {
                if let Change::Upsert(item) = change {
                    let owned = !shared.contains(item.id.as_str());
                    set.execute(params![user.as_str(), src, item.id.as_str(), owned])?;
                }
            }
        }
    }
    tx.commit()?;
    Ok(())
}

/// Rebuilds display paths of a cloud source from parent ids (deltas carry no paths).
fn recompute_paths(tx: &dyn Db, user: &UserId, src: &str) -> Result<(), DbError> {
    let mut nodes: HashMap<String, (Option<String>, String, String)> = HashMap::new();
    {
        let mut stmt = tx.prepare(
            "SELECT item_id, parent_id, name, path FROM files WHERE user_id = ?1 AND source = ?2",
        )?;
        let rows = stmt.query_map(params![user.as_str(), src], |r| {
            Ok((r.get::<_, String>(0)?, (r.get(1)?, r.get(2)?, r.get(3)?)))
        })?;
        for row in rows {
            let (id, v) = row?;
            nodes.insert(id, v);
        }
    }
    let mut memo: HashMap<String, String> = HashMap::new();
    let mut changed: Vec<(&str, String)> = Vec::new();
    for (id, (_, _, old)) in &nodes {
        let path = path_of(id, &nodes, &mut memo);
        if &path != old {
            changed.push((id, path));
        }
    }
    if tx.dialect() == Dialect::Postgres {
        // One round trip per PG_BATCH rows rather than per row.
        for chunk in changed.chunks(PG_BATCH) {
            let mut sql = String::from("UPDATE files AS f SET path = v.path FROM (VALUES ");
            let mut values = vec![user.as_str().to_value(), src.to_value()];
            for (i, (id, path)) in chunk.iter().enumerate() {
                let at = 3 + 2 * i;
                sql.push_str(&format!(
                    "{}(CAST(?{at} AS TEXT), CAST(?{} AS TEXT))",
                    if i == 0 { "" } else { ", " },
                    at + 1
                ));
                values.push(id.to_value());
                values.push(path.to_value());
            }
            sql.push_str(
                ") AS v(item_id, path) WHERE f.user_id = ?1 AND f.source = ?2 \
                 AND f.item_id = v.item_id",
            );
            tx.run(&sql, &values)?;
        }
        return Ok(());
    }
    let mut update = tx.prepare(
        "UPDATE files SET path = ?3 WHERE user_id = ?1 AND source = ?2 AND item_id = ?4",
    )?;
    for (id, path) in &changed {
        update.execute(params![user.as_str(), src, path, id])?;
    }
    Ok(())
}

/// The path of every item of a full listing, from its parent links (as [`path_of`] computes
/// them from stored rows): `/` and the names from the topmost listed ancestor down.
fn listing_paths(listing: &Listing) -> HashMap<String, String> {
    let mut nodes: HashMap<&str, (Option<&str>, &str)> = HashMap::new();
    for change in &listing.changes {
        if let Change::Upsert(item) = change {
            nodes.insert(
                item.id.as_str(),
                (item.parent_id.as_ref().map(|p| p.as_str()), &item.name),
            );
        }
    }
    let mut memo: HashMap<String, String> = HashMap::with_capacity(nodes.len());
    for id in nodes.keys() {
        if memo.contains_key(*id) {
            continue;
        }
        let mut chain: Vec<&str> = Vec::new();
        let mut cur = Some(*id);
        let mut prefix = String::new();
        while let Some(c) = cur {
            if let Some(p) = memo.get(c) {
                prefix.clone_from(p);
                break;
            }
            if chain.contains(&c) || chain.len() > 256 {
                break;
            }
            chain.push(c);
            cur = nodes
                .get(c)
                .and_then(|(parent, _)| *parent)
                .filter(|n| nodes.contains_key(n));
        }
        for c in chain.iter().rev() {
            let name = nodes.get(c).map_or("", |(_, n)| n);
            prefix = format!("{prefix}/{name}");
            memo.insert((*c).to_owned(), prefix.clone());
        }
    }
    memo
}

fn path_of(
    id: &str,
    nodes: &HashMap<String, (Option<String>, String, String)>,
    memo: &mut HashMap<String, String>,
) -> String {
    // Iterative walk up to the first known ancestor; a cycle or an unknown parent ends the walk.
    let mut chain = Vec::new();
    let mut cur = Some(id.to_owned());
    let mut prefix = String::new();
    while let Some(c) = cur {
        if let Some(p) = memo.get(&c) {
            prefix.clone_from(p);
            break;
        }
        if chain.contains(&c) || chain.len() > 256 {
            break;
        }
        let next = nodes.get(&c).and_then(|(parent, _, _)| parent.clone());
        chain.push(c);
        cur = next.filter(|n| nodes.contains_key(n));
    }
    for c in chain.iter().rev() {
        let name = nodes.get(c).map_or("", |(_, n, _)| n.as_str());
        prefix = format!("{prefix}/{name}");
        memo.insert(c.clone(), prefix.clone());
    }
    memo.get(id).cloned().unwrap_or(prefix)
}

/// Every indexed row of an owner (optionally of one source).
pub fn all(conn: &dyn Db, user: &UserId, source: Option<&Source>) -> Result<Vec<FileRow>, DbError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM files WHERE user_id = ?1 AND (CAST(?2 AS TEXT) IS NULL OR source = ?2) ORDER BY path"
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(
        params![user.as_str(), source.map(ToString::to_string)],
        from_row,
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Counts indexed items of one source.
pub fn count(conn: &dyn Db, user: &UserId, source: &Source) -> Result<u64, DbError> {
    let n: i64 = conn.query_row(
        "SELECT count(*) FROM files WHERE user_id = ?1 AND source = ?2",
        params![user.as_str(), source.to_string()],
        |r| r.get(0),
    )?;
    Ok(size_of(n))
}

/// Files and bytes of one source and one file extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageRow {
    /// Source key.
    pub source: String,
    /// Lower-case text after the name's last dot, empty when there is none.
    pub extension: String,
    /// Files (directories excluded).
    pub files: u64,
    /// Their total size.
    pub bytes: u64,
}

/// Per source and per extension totals of an owner's files, aggregated in SQL over the
/// covering `files_usage` index (extension is the generated `ext` column), ordered by source
/// then extension.
pub fn usage(conn: &dyn Db, user: &UserId) -> Result<Vec<UsageRow>, DbError> {
    let mut stmt = conn.prepare_cached(
        "SELECT source, ext, count(*), CAST(coalesce(sum(size), 0) AS BIGINT) FROM files INDEXED BY files_usage \
         WHERE user_id = ?1 AND is_dir = 0 GROUP BY source, ext ORDER BY source, ext",
    )?;
    let rows = stmt.query_map([user.as_str()], |r| {
        Ok(UsageRow {
            source: r.get(0)?,
            extension: r.get(1)?,
            files: size_of(r.get(2)?),
            bytes: size_of(r.get(3)?),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Whether the owner's indexed item is theirs (`false`: shared with them by someone else);
/// `None` when it is no longer indexed.
pub fn owned(
    conn: &dyn Db,
    user: &UserId,
    source: &str,
    item_id: &str,
) -> Result<Option<bool>, DbError> {
    Ok(conn
        .prepare_cached(
            "SELECT owned FROM files WHERE user_id = ?1 AND source = ?2 AND item_id = ?3",
        )?
        .query_row(params![user.as_str(), source, item_id], |r| r.get(0))
        .optional()?)
}
