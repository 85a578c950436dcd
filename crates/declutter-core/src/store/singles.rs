//! Reads behind single-file removals (the clutter report's): is a file a duplicate, or the
//! kept copy another plan's removal relies on? Asked at planning and again inside the
//! transaction that journals the removal.

use platform_db::sql::{Db, Optional as _, RusqliteLike as _};
use platform_db::vals as params;

use super::DbError;
use super::files::{self, FileRow};
use crate::ids::UserId;

/// The owner's indexed file `id`.
pub fn file(conn: &dyn Db, user: &UserId, id: i64) -> Result<Option<FileRow>, DbError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {} FROM files WHERE user_id = ?1 AND id = ?2",
            files::COLUMNS
        ))?
        .query_row(params![user.as_str(), id], files::from_row)
        .optional()?)
}

/// True when the owner's item is in a duplicate group of two files or more.
pub fn in_duplicate_group(
    conn: &dyn Db,
    user: &UserId,
    source: &str,
    item_id: &str,
) -> Result<bool, DbError> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM files f \
             JOIN dup_group_files gf ON gf.file_id = f.id \
             WHERE f.user_id = ?1 AND f.source = ?2 AND f.item_id = ?3 \
             AND (SELECT count(*) FROM dup_group_files x WHERE x.group_id = gf.group_id) > 1)",
        )?
        .query_row(params![user.as_str(), source, item_id], |r| r.get(0))?)
}

/// True when the item is the kept copy of a group, in any plan of any owner, whose removal
/// is being made or has been made (a live trash row): it is what keeps that group alive.
pub fn kept_for_a_removal(conn: &dyn Db, provider: &str, item_id: &str) -> Result<bool, DbError> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM plan_items k INDEXED BY plan_items_item \
             JOIN plan_items r ON r.plan_id = k.plan_id AND r.group_key = k.group_key \
             AND r.action = 'remove' \
             JOIN trash t ON t.plan_item_id = r.id AND t.state IN ('trashing', 'trashed') \
             WHERE k.item_id = ?1 AND k.provider = ?2 AND k.action = 'keep')",
        )?
        .query_row(params![item_id, provider], |r| r.get(0))?)
}
