//! Persistence of the local hash cache.

use platform_db::rusqlite::{Connection, params};

use super::DbError;
use crate::local::hashing::{CacheEntry, HashCache};

/// Loads the whole cache (a few MB for a million files).
pub fn load(conn: &Connection) -> Result<HashCache, DbError> {
    let mut stmt =
        conn.prepare("SELECT dev, ino, size, mtime_ns, partial, full FROM hash_cache")?;
    let rows = stmt.query_map([], |r| {
        let key = (r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64);
        Ok((
            key,
            CacheEntry {
                size: super::size_of(r.get(2)?),
                mtime_ns: r.get(3)?,
                partial: r.get(4)?,
                full: r.get(5)?,
            },
        ))
    })?;
    let mut cache = HashCache::new();
    for row in rows {
        let (k, v) = row?;
        cache.insert(k, v);
    }
    Ok(cache)
}

/// Writes computed entries, replacing stale ones for the same inode.
pub fn save(conn: &mut Connection, updates: &HashCache) -> Result<(), DbError> {
    let tx = conn.transaction()?;
    {
        let mut stmt = tx.prepare(
            "INSERT OR REPLACE INTO hash_cache (dev, ino, size, mtime_ns, partial, full) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for ((dev, ino), e) in updates {
            stmt.execute(params![
                *dev as i64,
                *ino as i64,
                super::sql_size(e.size),
                e.mtime_ns,
                e.partial,
                e.full
            ])?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// The entry of one inode, if its size and mtime still match (a point lookup, for scans that
/// do not load the whole cache).
pub fn get(
    conn: &Connection,
    key: (u64, u64),
    size: u64,
    mtime_ns: i64,
) -> Result<Option<CacheEntry>, DbError> {
    let mut stmt = conn.prepare_cached(
        "SELECT partial, full FROM hash_cache WHERE dev = ?1 AND ino = ?2 AND size = ?3 \
         AND mtime_ns = ?4",
    )?;
    let mut rows = stmt.query(params![
        key.0 as i64,
        key.1 as i64,
        super::sql_size(size),
        mtime_ns
    ])?;
    Ok(match rows.next()? {
        Some(r) => Some(CacheEntry {
            size,
            mtime_ns,
            partial: r.get(0)?,
            full: r.get(1)?,
        }),
        None => None,
    })
}

/// Stores one entry, replacing any older one of the same inode.
pub fn put(conn: &Connection, key: (u64, u64), e: &CacheEntry) -> Result<(), DbError> {
    let mut stmt = conn.prepare_cached(
        "INSERT OR REPLACE INTO hash_cache (dev, ino, size, mtime_ns, partial, full) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    stmt.execute(params![
        key.0 as i64,
        key.1 as i64,
        super::sql_size(e.size),
        e.mtime_ns,
        e.partial,
        e.full
    ])?;
    Ok(())
}

/// Whether the cache holds anything (a cold database skips the lookups altogether).
pub fn is_empty(conn: &Connection) -> Result<bool, DbError> {
    let any: bool = conn.query_row("SELECT EXISTS (SELECT 1 FROM hash_cache)", [], |r| r.get(0))?;
    Ok(!any)
}
