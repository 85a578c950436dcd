//! Server-side browser sessions. The cookie holds 32 random bytes; the table holds only their
//! SHA-256, so a copy of the database does not yield live sessions.

use platform_db::sql::{Db, DbExt as _, RusqliteLike as _};
use platform_db::vals as params;

use super::{DbError, now};

/// A live session as the request sees it.
#[derive(Debug, Clone)]
pub struct SessionRow {
    /// Hash of the cookie value (the row key).
    pub id_hash: String,
    /// The signed-in account.
    pub user_id: String,
    /// The synchronizer token every state-changing form must echo.
    pub csrf_token: String,
}

/// Inserts a session.
pub fn insert(c: &dyn Db, row: &SessionRow, ttl_secs: i64) -> Result<(), DbError> {
    let t = now();
    c.execute(
        "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![row.id_hash, row.user_id, row.csrf_token, t, t + ttl_secs],
    )?;
    Ok(())
}

/// Deletes one session.
pub fn delete(c: &dyn Db, id_hash: &str) -> Result<(), DbError> {
    c.execute("DELETE FROM sessions WHERE id_hash = ?1", [id_hash])?;
    Ok(())
}

/// Deletes every session of an account.
pub fn delete_all(c: &dyn Db, user_id: &str) -> Result<u64, DbError> {
    Ok(c.execute("DELETE FROM sessions WHERE user_id = ?1", [user_id])?)
}

/// Removes expired sessions.
pub fn sweep(c: &dyn Db) -> Result<u64, DbError> {
    Ok(c.execute("DELETE FROM sessions WHERE expires_at <= ?1", [now()])?)
}

/// Number of live sessions of an account.
pub fn count(c: &dyn Db, user_id: &str) -> Result<i64, DbError> {
    Ok(c.query_row(
        "SELECT count(*) FROM sessions WHERE user_id = ?1 AND expires_at > ?2",
        params![user_id, now()],
        |r| r.get(0),
    )?)
}
