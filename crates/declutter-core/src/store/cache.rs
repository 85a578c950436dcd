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
