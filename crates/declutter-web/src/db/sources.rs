//! Local sources (admin-assigned folders), always scoped to an owner.

use platform_db::sql::{Db, DbExt as _, Optional as _, Row, RusqliteLike as _, SqlError};
use platform_db::vals as params;
use serde::Serialize;

use super::{DbError, now};

/// A local folder a user may scan.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LocalSource {
    /// Id.
    pub id: i64,
    /// Owner.
    pub user_id: String,
    /// Canonical absolute path.
    pub path: String,
    /// Added at (unix seconds).
    pub created_at: i64,
}

fn source_row(r: &dyn Row) -> Result<LocalSource, SqlError> {
    Ok(LocalSource {
        id: r.get(0)?,
        user_id: r.get(1)?,
        path: r.get(2)?,
        created_at: r.get(3)?,
    })
}

/// Assigns `path` to `user`; a conflict when already assigned.
pub fn add(c: &dyn Db, user: &str, path: &str, by: &str) -> Result<LocalSource, DbError> {
    let id = c.insert_id(
        "INSERT INTO local_sources (user_id, path, added_by, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![user, path, by, now()],
    )?;
    Ok(c.query_row(
        "SELECT id, user_id, path, created_at FROM local_sources WHERE id = ?1",
        params![id],
        source_row,
    )?)
}

/// The owner's sources (all sources when `user` is `None`, for admins).
pub fn list(c: &dyn Db, user: Option<&str>) -> Result<Vec<LocalSource>, DbError> {
    Ok(c.rows(
        "SELECT id, user_id, path, created_at FROM local_sources
         WHERE (CAST(?1 AS TEXT) IS NULL OR user_id = ?1) ORDER BY path",
        params![user],
        source_row,
    )?)
}

/// One of the owner's sources; `None` when absent or someone else's.
pub fn get(c: &dyn Db, user: &str, id: i64) -> Result<Option<LocalSource>, DbError> {
    Ok(c.query_row(
        "SELECT id, user_id, path, created_at FROM local_sources WHERE id = ?1 AND user_id = ?2",
        params![id, user],
        source_row,
    )
    .optional()?)
}
