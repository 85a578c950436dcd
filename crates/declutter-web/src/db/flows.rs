//! Storage of OAuth flows in progress: rows keyed by a hash of `state`, taken at most once.
//! Sealing and expiry rules live in [`crate::oauth_flow`]; this module only stores bytes.

use platform_db::sql::{Conn, Db, Lock, Optional as _, RusqliteLike as _};
use platform_db::vals as params;

use super::DbError;

/// A stored flow as read back.
#[derive(Debug)]
pub struct StoredFlow {
    /// When it started, Unix seconds.
    pub created_at: i64,
    /// Keyring key that sealed it.
    pub key_id: String,
    /// The sealed payload.
    pub sealed: Vec<u8>,
}

/// Inserts a flow after deleting this purpose's flows started at or before `expired`; answers
/// `false` (and stores nothing) when `max` flows of the purpose are still pending.
pub fn insert(
    conn: &mut dyn Conn,
    purpose: &str,
    state_hash: &[u8],
    flow: &StoredFlow,
    expired: i64,
    max: u64,
) -> Result<bool, DbError> {
    // Every flow of the purpose is counted: the whole database's writers wait (SQLite's
    // immediate transaction; PostgreSQL's global lock).
    let tx = conn.transaction(Lock::All)?;
    tx.prepare_cached("DELETE FROM oauth_flows WHERE purpose = ?1 AND created_at <= ?2")?
        .execute(params![purpose, expired])?;
    let pending: i64 = tx
        .prepare_cached("SELECT count(*) FROM oauth_flows WHERE purpose = ?1")?
        .query_row([purpose], |r| r.get(0))?;
    if u64::try_from(pending).unwrap_or(u64::MAX) >= max {
        return Ok(false);
    }
    tx.prepare_cached(
        "INSERT INTO oauth_flows (state_hash, purpose, created_at, key_id, sealed) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        state_hash,
        purpose,
        flow.created_at,
        flow.key_id,
        flow.sealed
    ])?;
    tx.commit()?;
    Ok(true)
}

/// Removes and answers the flow of `purpose` under `state_hash`; one caller gets it, whichever
/// instance it runs on.
pub fn take(
    conn: &dyn Db,
    purpose: &str,
    state_hash: &[u8],
) -> Result<Option<StoredFlow>, DbError> {
    Ok(conn
        .prepare_cached(
            "DELETE FROM oauth_flows WHERE state_hash = ?1 AND purpose = ?2 \
             RETURNING created_at, key_id, sealed",
        )?
        .query_row(params![state_hash, purpose], |r| {
            Ok(StoredFlow {
                created_at: r.get(0)?,
                key_id: r.get(1)?,
                sealed: r.get(2)?,
            })
        })
        .optional()?)
}
