//! What the hashing passes of a local scan read and write: the files of candidate size groups
//! in row order, their head+tail and full hashes, and the marks of scans whose walk indexed
//! files that were not settled yet (a scan cut off between its walk and its end).

use platform_db::sql::{Db, Dialect, RusqliteLike as _, ToValue as _};
use platform_db::vals as params;

use super::{DbError, size_of};
use crate::ids::UserId;

/// Rows a statement on PostgreSQL writes at most (each statement is a round trip there).
const PG_ROWS: usize = super::local_index::PG_ROWS;

/// One file of a candidate size group, as the hashing passes read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Row id.
    pub id: i64,
    /// The local source it is indexed in (`local:/root`).
    pub source: String,
    /// Item id (the path).
    pub item_id: String,
    /// Bytes.
    pub size: u64,
    /// Modification time.
    pub modified_ns: i64,
    /// Device and inode.
    pub inode: (u64, u64),
    /// Head+tail hash, once examined.
    pub partial: Option<String>,
    /// Full BLAKE3, once needed.
    pub hash: Option<String>,
}

/// Calls `f` with the size, whether it was examined (`partial` set) and whether scan `scan_id`
/// wrote it, of every non-empty local file of the owner (all local sources: duplicates span
/// folders), in row order. `NOT INDEXED`: a sequential read of the table beats an index walk
/// that visits each row's page at random.
pub fn for_each_size(
    conn: &dyn Db,
    user: &UserId,
    scan_id: i64,
    mut f: impl FnMut(u64, bool, bool),
) -> Result<(), DbError> {
    conn.each(
        "SELECT size, partial IS NOT NULL, scan_id IS NOT DISTINCT FROM ?2 FROM files NOT INDEXED \
         WHERE user_id = ?1 AND provider = 'local' AND is_dir = 0 AND size > 0",
        params![user.as_str(), scan_id],
        &mut |r| {
            f(size_of(r.get(0)?), r.get(1)?, r.get(2)?);
            Ok(())
        },
    )?;
    Ok(())
}

/// Up to `limit` non-empty local files of the owner with a row id above `after`, in row order,
/// only those without a head+tail hash when `unexamined`, else only those with one.
/// `NOT INDEXED` keeps the planner on the row id range (the size index would sort the whole
/// source for every batch).
pub fn members_after(
    conn: &dyn Db,
    user: &UserId,
    unexamined: bool,
    after: i64,
    limit: usize,
) -> Result<Vec<Member>, DbError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, item_id, size, modified_ns, dev, ino, partial, hash, source FROM files \
         NOT INDEXED WHERE id > ?3 AND user_id = ?1 AND provider = ?2 AND is_dir = 0 \
         AND size > 0 AND (partial IS NULL) = ?4 ORDER BY id LIMIT ?5",
    )?;
    let rows = stmt.query_map(
        params![
            user.as_str(),
            "local",
            after,
            unexamined,
            i64::try_from(limit).unwrap_or(i64::MAX)
        ],
        |r| {
            Ok(Member {
                id: r.get(0)?,
                item_id: r.get(1)?,
                size: size_of(r.get(2)?),
                modified_ns: r.get(3)?,
                inode: (
                    r.get::<_, Option<i64>>(4)?.unwrap_or(0) as u64,
                    r.get::<_, Option<i64>>(5)?.unwrap_or(0) as u64,
                ),
                partial: r.get(6)?,
                hash: r.get(7)?,
                source: r.get(8)?,
            })
        },
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Stores files' head+tail hashes (or clears one, to examine the file again), by row id. Only
/// the table rows change: no index holds the column.
pub fn set_partials(conn: &dyn Db, rows: &[(i64, Option<&str>)]) -> Result<(), DbError> {
    update_by_id(conn, "partial = {}", rows)
}

/// Stores files' full BLAKE3, by row id.
pub fn set_fulls(conn: &dyn Db, rows: &[(i64, &str)]) -> Result<(), DbError> {
    let rows: Vec<(i64, Option<&str>)> = rows.iter().map(|&(id, h)| (id, Some(h))).collect();
    update_by_id(conn, "hash_kind = 'blake3', hash = {}", &rows)
}

/// Sets `set` (a `SET` list where `{}` stands for each row's value) on the rows of `files` with
/// the given ids: PostgreSQL takes [`PG_ROWS`] rows a statement (`UPDATE … FROM (VALUES …)`;
/// each statement is a round trip there), SQLite one prepared statement a row.
fn update_by_id(conn: &dyn Db, set: &str, rows: &[(i64, Option<&str>)]) -> Result<(), DbError> {
    if conn.dialect() == Dialect::Sqlite {
        let mut stmt = conn.prepare_cached(&format!(
            "UPDATE files SET {} WHERE id = ?1",
            set.replace("{}", "?2")
        ))?;
        for (id, value) in rows {
            stmt.execute(params![id, value])?;
        }
        return Ok(());
    }
    for chunk in rows.chunks(PG_ROWS) {
        let mut sql = format!(
            "UPDATE files AS f SET {} FROM (VALUES ",
            set.replace("{}", "v.value")
        );
        let mut values = Vec::with_capacity(2 * chunk.len());
        for (row, (id, value)) in chunk.iter().enumerate() {
            let at = 2 * row + 1;
            if row > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!(
                "(CAST(?{at} AS BIGINT), CAST(?{} AS TEXT))",
                at + 1
            ));
            values.extend([id.to_value(), value.to_value()]);
        }
        sql.push_str(") AS v(id, value) WHERE f.id = v.id");
        conn.run(&sql, &values)?;
    }
    Ok(())
}

/// Records that scan `scan_id` of `user` indexed files whose duplicate hashes are not settled.
pub fn mark_unsettled(conn: &dyn Db, user: &UserId, scan_id: i64) -> Result<(), DbError> {
    conn.prepare_cached(
        "INSERT INTO unsettled (user_id, scan_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
    )?
    .execute(params![user.as_str(), scan_id])?;
    Ok(())
}

/// Whether a scan of `user` other than `scan_id` indexed files and has not settled them.
pub fn others_unsettled(conn: &dyn Db, user: &UserId, scan_id: i64) -> Result<bool, DbError> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM unsettled WHERE user_id = ?1 AND scan_id <> ?2)",
        )?
        .query_row(params![user.as_str(), scan_id], |r| r.get(0))?)
}

/// Clears the marks of `user`'s scans up to `through` (those indexed before scan `through`
/// settled everything), or of that scan alone.
pub fn clear_unsettled(
    conn: &dyn Db,
    user: &UserId,
    through: i64,
    earlier_too: bool,
) -> Result<(), DbError> {
    let sql = if earlier_too {
        "DELETE FROM unsettled WHERE user_id = ?1 AND scan_id <= ?2"
    } else {
        "DELETE FROM unsettled WHERE user_id = ?1 AND scan_id = ?2"
    };
    conn.prepare_cached(sql)?
        .execute(params![user.as_str(), through])?;
    Ok(())
}
