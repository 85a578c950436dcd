//! The file index: one row per item per source, replaced by full listings and patched by deltas.

use platform_db::sql::{Conn, Db, Dialect, Optional as _, Row, RusqliteLike as _, SqlError};
use platform_db::vals as params;

use super::listing::StagedListing;
use super::{DbError, size_of};
use crate::ids::{Source, UserId};
use crate::provider::Listing;

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

/// Applies a listing held in memory to the index of `source` (a full listing replaces it, a
/// delta patches it; items in `listing.not_owned` are marked as someone else's), the way a scan
/// applies a streamed one ([`super::listing::StagedListing`]), as a scan of its own. Returns the
/// number of rows written or deleted.
pub fn apply_listing(
    conn: &mut dyn Conn,
    user: &UserId,
    source: &Source,
    listing: &Listing,
) -> Result<u64, DbError> {
    let scan_id = super::scans::begin(conn, user, source, !listing.full)?;
    let mut staged = StagedListing::begin(conn, user, source, scan_id)?;
    staged.add(conn, listing.changes.clone())?;
    let written = staged.finish(conn, listing.full, &listing.not_owned)?;
    let seen = u64::try_from(listing.changes.len()).unwrap_or(u64::MAX);
    super::scans::finish(conn, scan_id, true, seen, 0, &listing.issues)?;
    Ok(written)
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

/// Rows a scan writes before the planner's statistics of `files` are refreshed at once.
pub const ANALYZE_AFTER_ROWS: u64 = 5_000;

/// Refreshes PostgreSQL's statistics of the index after a scan wrote `written` rows, when they
/// are at least [`ANALYZE_AFTER_ROWS`]: its autovacuum refreshes them only later, and planned
/// from a freshly filled table's empty statistics (one row, it assumes) the hashing passes'
/// batch query sorted every file of the owner at each batch (50,000 files: 4.2 s of a 9.8 s
/// scan). `ANALYZE` reads a sample of bounded size whatever the table's, and only of the
/// columns queries select, join or group on: the long texts (paths, ids, names) were three
/// quarters of its time and no plan reads their statistics. SQLite plans these queries
/// without statistics.
pub fn refresh_statistics(conn: &dyn Db, written: u64) -> Result<(), DbError> {
    if conn.dialect() == Dialect::Postgres && written >= ANALYZE_AFTER_ROWS {
        conn.batch(
            "ANALYZE files (user_id, source, provider, is_dir, comparable, size, hash_kind, \
             hash, partial, dev, ino, scan_id)",
        )?;
    }
    Ok(())
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
