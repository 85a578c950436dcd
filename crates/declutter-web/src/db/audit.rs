//! The audit log: append-only by construction. This module offers `append` and reads only;
//! the schema's triggers refuse UPDATE and DELETE from anyone else.

use platform_db::sql::{Db, DbExt as _};
use platform_db::vals as params;
use serde::Serialize;

use super::{DbError, now};

/// Who did what, where from.
#[derive(Debug, Clone, Default)]
pub struct Entry {
    /// Acting account id (None for anonymous actions such as a failed sign-in).
    pub actor_id: Option<String>,
    /// Acting account email at the time.
    pub actor_email: Option<String>,
    /// Stable action name, e.g. `user.role_changed`.
    pub action: String,
    /// What was acted on (an account id, a connection id).
    pub target: Option<String>,
    /// Short non-secret detail.
    pub detail: Option<String>,
    /// The request id.
    pub request_id: Option<String>,
    /// Client address.
    pub ip: Option<String>,
}

/// One stored entry.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Record {
    /// Sequence number.
    pub id: i64,
    /// Unix seconds.
    pub at: i64,
    /// Acting account id.
    pub actor_id: Option<String>,
    /// Acting account email.
    pub actor_email: Option<String>,
    /// Action name.
    pub action: String,
    /// Target.
    pub target: Option<String>,
    /// Detail.
    pub detail: Option<String>,
    /// Request id.
    pub request_id: Option<String>,
    /// Client address.
    pub ip: Option<String>,
}

/// Appends an entry.
pub fn append(c: &dyn Db, e: &Entry) -> Result<(), DbError> {
    c.execute(
        "INSERT INTO audit_log (at, actor_id, actor_email, action, target, detail, request_id, ip)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            now(),
            e.actor_id,
            e.actor_email,
            e.action,
            e.target,
            e.detail,
            e.request_id,
            e.ip
        ],
    )?;
    Ok(())
}

/// The newest `limit` entries, optionally only those by `actor_id`.
pub fn recent(c: &dyn Db, actor_id: Option<&str>, limit: i64) -> Result<Vec<Record>, DbError> {
    Ok(c.rows(
        "SELECT id, at, actor_id, actor_email, action, target, detail, request_id, ip
         FROM audit_log WHERE (CAST(?1 AS TEXT) IS NULL OR actor_id = ?1) ORDER BY id DESC LIMIT ?2",
        params![actor_id, limit],
        |r| {
        Ok(Record {
            id: r.get(0)?,
            at: r.get(1)?,
            actor_id: r.get(2)?,
            actor_email: r.get(3)?,
            action: r.get(4)?,
            target: r.get(5)?,
            detail: r.get(6)?,
            request_id: r.get(7)?,
            ip: r.get(8)?,
        })
        },
    )?)
}
