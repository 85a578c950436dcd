//! The per-owner apply lock: one row per owner whose apply is running, held by one run.

use platform_db::sql::{Db, DbExt as _};
use platform_db::vals;

use super::DbError;
use crate::ids::UserId;

/// Who holds an owner's apply lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    /// The plan being applied.
    pub plan_id: i64,
    /// Random token of the run.
    pub token: String,
    /// Machine the run is on (`/etc/machine-id`, or the host name).
    pub host: String,
    /// Its process id.
    pub pid: i64,
    /// Its process start time (clock ticks since boot), to tell a reused pid apart.
    pub pid_start: Option<i64>,
    /// When it last showed life (unix seconds).
    pub renewed_at: i64,
}

/// The current holder of `user`'s lock.
pub fn get(conn: &dyn Db, user: &UserId) -> Result<Option<Holder>, DbError> {
    Ok(conn.row_opt(
        "SELECT plan_id, holder, host, pid, pid_start, renewed_at FROM apply_locks \
         WHERE user_id = ?1",
        vals![user.as_str()],
        |r| {
            Ok(Holder {
                plan_id: r.get(0)?,
                token: r.get(1)?,
                host: r.get(2)?,
                pid: r.get(3)?,
                pid_start: r.get(4)?,
                renewed_at: r.get(5)?,
            })
        },
    )?)
}

/// Makes `h` the holder of `user`'s lock (replacing a stale one).
pub fn put(conn: &dyn Db, user: &UserId, h: &Holder) -> Result<(), DbError> {
    conn.execute(
        "INSERT INTO apply_locks (user_id, plan_id, holder, host, pid, pid_start, renewed_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (user_id) DO UPDATE SET \
         plan_id = excluded.plan_id, holder = excluded.holder, host = excluded.host, \
         pid = excluded.pid, pid_start = excluded.pid_start, renewed_at = excluded.renewed_at",
        vals![
            user.as_str(),
            h.plan_id,
            h.token.as_str(),
            h.host.as_str(),
            h.pid,
            h.pid_start,
            h.renewed_at
        ],
    )?;
    Ok(())
}

/// Renews the lock held by `token`; false when it is no longer ours.
pub fn renew(conn: &dyn Db, user: &UserId, token: &str, now: i64) -> Result<bool, DbError> {
    Ok(conn.execute(
        "UPDATE apply_locks SET renewed_at = ?3 WHERE user_id = ?1 AND holder = ?2",
        vals![user.as_str(), token, now],
    )? == 1)
}

/// Releases the lock held by `token` (nothing when another run holds it now).
pub fn release(conn: &dyn Db, user: &UserId, token: &str) -> Result<(), DbError> {
    conn.execute(
        "DELETE FROM apply_locks WHERE user_id = ?1 AND holder = ?2",
        vals![user.as_str(), token],
    )?;
    Ok(())
}
