//! Local sources (admin-assigned folders), always scoped to an owner.

use platform_db::rusqlite::{Connection, OptionalExtension, Row, params};
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

fn source_row(r: &Row<'_>) -> platform_db::rusqlite::Result<LocalSource> {
    Ok(LocalSource {
        id: r.get(0)?,
        user_id: r.get(1)?,
        path: r.get(2)?,
        created_at: r.get(3)?,
    })
}

/// Assigns `path` to `user`; a conflict when already assigned.
pub fn add(c: &Connection, user: &str, path: &str, by: &str) -> Result<LocalSource, DbError> {
    c.execute(
        "INSERT INTO local_sources (user_id, path, added_by, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![user, path, by, now()],
    )?;
    let id = c.last_insert_rowid();
    Ok(c.query_row(
        "SELECT id, user_id, path, created_at FROM local_sources WHERE id = ?1",
        [id],
        source_row,
    )?)
}

/// The owner's sources (all sources when `user` is `None`, for admins).
pub fn list(c: &Connection, user: Option<&str>) -> Result<Vec<LocalSource>, DbError> {
    let mut stmt = c.prepare(
        "SELECT id, user_id, path, created_at FROM local_sources
         WHERE (?1 IS NULL OR user_id = ?1) ORDER BY path",
    )?;
    let rows = stmt.query_map([user], source_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// One of the owner's sources; `None` when absent or someone else's.
pub fn get(c: &Connection, user: &str, id: i64) -> Result<Option<LocalSource>, DbError> {
    Ok(c.query_row(
        "SELECT id, user_id, path, created_at FROM local_sources WHERE id = ?1 AND user_id = ?2",
        params![id, user],
        source_row,
    )
    .optional()?)
}
