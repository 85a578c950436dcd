//! The local hash cache: the hashes of rows that left the index (a file moved or renamed),
//! under their inode, read back while its size and mtime are unchanged. Rows are written by
//! `store::local_index` as it deletes them, and dropped by a scan once older than
//! [`KEEP_SECS`] (a moved file is found again by the next scan of its folder; an entry older
//! than that is most likely of a deleted file).

use platform_db::sql::{Db, DbExt as _, RusqliteLike as _};
use platform_db::vals as params;

use super::DbError;
use crate::local::hashing::CacheEntry;

/// How long an entry is kept: 30 days.
pub const KEEP_SECS: i64 = 30 * 86_400;

/// Drops the entries stored before `now - KEEP_SECS`; returns how many.
pub fn expire(conn: &dyn Db, now: i64) -> Result<u64, DbError> {
    Ok(conn
        .prepare_cached("DELETE FROM hash_cache WHERE stored_at < ?1")?
        .execute([now - KEEP_SECS])?)
}

/// The entry of one inode, if its size and mtime still match (a point lookup, for scans that
/// do not load the whole cache).
pub fn get(
    conn: &dyn Db,
    key: (u64, u64),
    size: u64,
    mtime_ns: i64,
) -> Result<Option<CacheEntry>, DbError> {
    Ok(conn.row_opt(
        "SELECT partial, \"full\" FROM hash_cache WHERE dev = ?1 AND ino = ?2 AND size = ?3 \
         AND mtime_ns = ?4",
        params![key.0 as i64, key.1 as i64, super::sql_size(size), mtime_ns],
        |r| {
            Ok(CacheEntry {
                size,
                mtime_ns,
                partial: r.get(0)?,
                full: r.get(1)?,
            })
        },
    )?)
}

/// Whether the cache holds anything (a cold database skips the lookups altogether).
pub fn is_empty(conn: &dyn Db) -> Result<bool, DbError> {
    let any: bool = conn.query_row("SELECT EXISTS (SELECT 1 FROM hash_cache)", [], |r| r.get(0))?;
    Ok(!any)
}
