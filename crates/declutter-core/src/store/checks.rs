//! Content checks: the BLAKE3 of an item's downloaded content, recorded by verification and
//! valid while the item keeps the size and modification time it had when checked.

use platform_db::sql::{Db, DbExt as _, RusqliteLike as _};
use platform_db::vals as params;

use super::{DbError, sql_size};
use crate::db::now;
use crate::ids::UserId;
use crate::store::files::FileRow;

/// Records the content hash of `file` as indexed now (replacing an older check).
pub fn record(conn: &dyn Db, user: &UserId, file: &FileRow, blake3: &str) -> Result<(), DbError> {
    conn.prepare_cached(
        "INSERT INTO content_checks (user_id, source, item_id, size, modified_ns, \
         blake3, checked_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
         ON CONFLICT (user_id, source, item_id) DO UPDATE SET size = excluded.size, \
         modified_ns = excluded.modified_ns, blake3 = excluded.blake3, \
         checked_at = excluded.checked_at",
    )?
    .execute(params![
        user.as_str(),
        file.source,
        file.item_id,
        sql_size(file.size),
        file.modified_ns,
        blake3,
        now()
    ])?;
    Ok(())
}

/// The still-valid check of `file`, if any.
pub fn valid(conn: &dyn Db, user: &UserId, file: &FileRow) -> Result<Option<String>, DbError> {
    Ok(conn.row_opt(
        "SELECT blake3 FROM content_checks WHERE user_id = ?1 AND source = ?2 AND item_id = ?3 \
         AND size = ?4 AND modified_ns = ?5",
        params![
            user.as_str(),
            file.source,
            file.item_id,
            sql_size(file.size),
            file.modified_ns
        ],
        |r| r.get(0),
    )?)
}

/// Whether the owner has any check (grouping takes the slower, check-aware path only then).
pub fn any(conn: &dyn Db, user: &UserId) -> Result<bool, DbError> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM content_checks WHERE user_id = ?1)",
        [user.as_str()],
        |r| r.get(0),
    )?)
}

/// Gives a local file without a hash the BLAKE3 its check computed (the scan clears it again
/// if the file changes).
pub fn adopt_local_hash(conn: &dyn Db, file_id: i64, blake3: &str) -> Result<(), DbError> {
    conn.prepare_cached(
        "UPDATE files SET hash_kind = 'blake3', hash = ?2 WHERE id = ?1 AND provider = 'local' \
         AND hash IS NULL",
    )?
    .execute(params![file_id, blake3])?;
    Ok(())
}
