//! Accounts: creation, lookup, roles and the token version (the failed-sign-in counters are
//! kept by [`super::attempts`]).

use platform_db::sql::{
    Conn, Db, DbExt as _, Lock, Optional as _, Row, RusqliteLike as _, SqlError,
};
use platform_db::vals as params;
use serde::Serialize;

use super::{DbError, now};
use crate::auth::role::Role;

/// One account, as handlers see it (the password hash never leaves this module's callers).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct User {
    /// Stable id (UUID), the `user_id` of every engine row.
    pub id: String,
    /// Sign-in email.
    pub email: String,
    /// Free text shown in the UI (escaped by the templates).
    pub display_name: String,
    /// admin or user.
    pub role: Role,
    /// Current API token version.
    pub token_version: i64,
    /// Unix seconds.
    pub created_at: i64,
    /// Whether a password is set (accounts from OIDC may have none).
    pub has_password: bool,
}

const COLUMNS: &str =
    "id, email, display_name, role, token_version, created_at, password_hash IS NOT NULL";

fn from_row(r: &dyn Row) -> Result<User, SqlError> {
    let role: String = r.get(3)?;
    Ok(User {
        id: r.get(0)?,
        email: r.get(1)?,
        display_name: r.get(2)?,
        role: role.parse().unwrap_or(Role::User),
        token_version: r.get(4)?,
        created_at: r.get(5)?,
        has_password: r.get(6)?,
    })
}

/// Creates an account; the first account of the instance becomes admin. Returns it. The count
/// and the insert hold the global lock, so two first sign-ups at once do not both become admin.
pub fn create(
    c: &mut dyn Conn,
    email: &str,
    display_name: &str,
    password_hash: Option<&str>,
    role: Option<Role>,
) -> Result<User, DbError> {
    let tx = c.transaction(Lock::All)?;
    let user = insert(&*tx, email, display_name, password_hash, role)?;
    tx.commit()?;
    Ok(user)
}

/// A federated identity: its issuer, its subject there, and the email it asserted.
#[derive(Debug, Clone, Copy)]
pub struct Identity<'a> {
    /// The provider's issuer URL.
    pub issuer: &'a str,
    /// The account's id at the issuer.
    pub subject: &'a str,
    /// The email the issuer asserted, if any.
    pub email: Option<&'a str>,
}

/// Creates an account linked to a federated identity, both or neither (a conflict on either
/// leaves nothing behind).
pub fn create_linked(
    c: &mut dyn Conn,
    email: &str,
    display_name: &str,
    identity: Identity<'_>,
) -> Result<User, DbError> {
    let tx = c.transaction(Lock::All)?;
    let user = insert(&*tx, email, display_name, None, None)?;
    link_identity(&*tx, identity, &user.id)?;
    tx.commit()?;
    Ok(user)
}

fn insert(
    tx: &dyn Db,
    email: &str,
    display_name: &str,
    password_hash: Option<&str>,
    role: Option<Role>,
) -> Result<User, DbError> {
    let count: i64 = tx.query_row("SELECT count(*) FROM users", [], |r| r.get(0))?;
    let role = role.unwrap_or(if count == 0 { Role::Admin } else { Role::User });
    let id = uuid::Uuid::new_v4().to_string();
    tx.execute(
        "INSERT INTO users (id, email, display_name, password_hash, role, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![id, email, display_name, password_hash, role.as_str(), now()],
    )?;
    Ok(tx.query_row(
        &format!("SELECT {COLUMNS} FROM users WHERE id = ?1"),
        [&id],
        from_row,
    )?)
}

/// The account with `id`.
pub fn by_id(c: &dyn Db, id: &str) -> Result<Option<User>, DbError> {
    Ok(c.query_row(
        &format!("SELECT {COLUMNS} FROM users WHERE id = ?1"),
        [id],
        from_row,
    )
    .optional()?)
}

/// The account signed in with the unexpired session `id_hash`, and the session, in one query
/// (every signed-in page asks).
pub fn by_session(
    c: &dyn Db,
    id_hash: &str,
) -> Result<Option<(User, super::sessions::SessionRow)>, DbError> {
    Ok(c.query_row(
        &format!(
            "SELECT {COLUMNS}, s.sid, s.csrf FROM users \
             JOIN (SELECT user_id AS uid, id_hash AS sid, csrf_token AS csrf FROM sessions \
                   WHERE id_hash = ?1 AND expires_at > ?2) s ON users.id = s.uid"
        ),
        params![id_hash, now()],
        |r| {
            let user = from_row(r)?;
            let session = super::sessions::SessionRow {
                id_hash: r.get(7)?,
                user_id: user.id.clone(),
                csrf_token: r.get(8)?,
            };
            Ok((user, session))
        },
    )
    .optional()?)
}

/// What sign-in needs: the account, its hash and its lock.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The account.
    pub user: User,
    /// PHC string, if a password is set.
    pub password_hash: Option<String>,
    /// Failed attempts since the last success.
    pub failed_logins: i64,
    /// Unix seconds before which sign-in is refused.
    pub locked_until: i64,
}

/// The account with `email`, with its credentials.
pub fn credentials(c: &dyn Db, email: &str) -> Result<Option<Credentials>, DbError> {
    Ok(c.query_row(
        &format!(
            "SELECT {COLUMNS}, password_hash, failed_logins, locked_until FROM users WHERE email = ?1"
        ),
        [email],
        |r| {
            Ok(Credentials {
                user: from_row(r)?,
                password_hash: r.get(7)?,
                failed_logins: r.get(8)?,
                locked_until: r.get(9)?,
            })
        },
    )
    .optional()?)
}

/// The password hash of `id`.
pub fn password_hash(c: &dyn Db, id: &str) -> Result<Option<String>, DbError> {
    Ok(
        c.query_row("SELECT password_hash FROM users WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .optional()?
        .flatten(),
    )
}

/// Sets a new password hash and bumps the token version (revoking API tokens).
pub fn set_password(c: &dyn Db, id: &str, hash: &str) -> Result<(), DbError> {
    c.execute(
        "UPDATE users SET password_hash = ?2, token_version = token_version + 1 WHERE id = ?1",
        params![id, hash],
    )?;
    Ok(())
}

/// Bumps the token version: every API token issued so far stops working.
pub fn bump_token_version(c: &dyn Db, id: &str) -> Result<(), DbError> {
    c.execute(
        "UPDATE users SET token_version = token_version + 1 WHERE id = ?1",
        [id],
    )?;
    Ok(())
}

/// Changes a role; refuses to remove the last admin. Returns whether a row changed. The check
/// and the change hold the global lock, so two admins demoting each other at once cannot leave
/// the instance without one.
pub fn set_role(c: &mut dyn Conn, id: &str, role: Role) -> Result<bool, DbError> {
    let tx = c.transaction(Lock::All)?;
    if role != Role::Admin {
        let admins: i64 = tx.query_row(
            "SELECT count(*) FROM users WHERE role = 'admin' AND id != ?1",
            [id],
            |r| r.get(0),
        )?;
        if admins == 0 {
            return Ok(false);
        }
    }
    let n = tx.execute(
        "UPDATE users SET role = ?2, token_version = token_version + 1 WHERE id = ?1",
        params![id, role.as_str()],
    )?;
    tx.commit()?;
    Ok(n == 1)
}

/// Every account, oldest first.
pub fn list(c: &dyn Db) -> Result<Vec<User>, DbError> {
    Ok(c.rows(
        &format!("SELECT {COLUMNS} FROM users ORDER BY created_at, email"),
        &[],
        from_row,
    )?)
}

/// Whether `id` is an admin and no other account is.
pub fn is_last_admin(c: &dyn Db, id: &str) -> Result<bool, DbError> {
    Ok(c.query_row(
        "SELECT count(*) = 0 AND EXISTS (SELECT 1 FROM users WHERE id = ?1 AND role = 'admin')
         FROM users WHERE role = 'admin' AND id != ?1",
        [id],
        |r| r.get(0),
    )?)
}

/// What [`delete`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deleted {
    /// The account and its rows are gone.
    Gone,
    /// No such account.
    Absent,
    /// Refused: the instance would be left without an admin.
    LastAdmin,
}

/// Erases the account unless it is the last admin: its sessions, identities and connections
/// cascade; the engine's rows for this owner go too (`declutter_core::store::owners`). The
/// audit log keeps its entries (append-only, ids only). The last-admin check is inside the
/// same transaction, so two admins deleting themselves at once cannot both succeed.
pub fn delete(c: &mut dyn Conn, id: &str) -> Result<Deleted, DbError> {
    let tx = c.transaction(Lock::All)?;
    if is_last_admin(&*tx, id)? {
        return Ok(Deleted::LastAdmin);
    }
    // Web account ids are UUIDs, always valid owner ids; the engine knows its own tables.
    let owner: declutter_core::ids::UserId = id
        .parse()
        .map_err(|e: declutter_core::ids::IdError| DbError::Corrupt(e.to_string()))?;
    declutter_core::store::owners::delete_in(&*tx, &owner)?;
    let n = tx.execute("DELETE FROM users WHERE id = ?1", [id])?;
    tx.commit()?;
    Ok(if n == 1 {
        Deleted::Gone
    } else {
        Deleted::Absent
    })
}

/// Links a federated identity to an account.
pub fn link_identity(c: &dyn Db, identity: Identity<'_>, user_id: &str) -> Result<(), DbError> {
    c.execute(
        "INSERT INTO identities (issuer, subject, user_id, email, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![identity.issuer, identity.subject, user_id, identity.email, now()],
    )?;
    Ok(())
}

/// The account linked to a federated identity.
pub fn by_identity(c: &dyn Db, issuer: &str, subject: &str) -> Result<Option<User>, DbError> {
    let id: Option<String> = c
        .query_row(
            "SELECT user_id FROM identities WHERE issuer = ?1 AND subject = ?2",
            [issuer, subject],
            |r| r.get(0),
        )
        .optional()?;
    match id {
        Some(id) => by_id(c, &id),
        None => Ok(None),
    }
}

/// The identities linked to an account: `(issuer, subject, email)`.
pub fn identities(
    c: &dyn Db,
    user_id: &str,
) -> Result<Vec<(String, String, Option<String>)>, DbError> {
    Ok(c.rows(
        "SELECT issuer, subject, email FROM identities WHERE user_id = ?1",
        params![user_id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_last_admin_is_never_deleted() -> Result<(), DbError> {
        let dir = tempfile::tempdir().map_err(|e| DbError::Corrupt(e.to_string()))?;
        let pool = super::super::open(&dir.path().join("t.db")).await?;
        pool.write(|c| -> Result<(), DbError> {
            let admin = create(c, "a@example.com", "A", None, None)?;
            let user = create(c, "u@example.com", "U", None, None)?;
            assert_eq!(delete(c, &admin.id)?, Deleted::LastAdmin);
            assert!(by_id(c, &admin.id)?.is_some());
            assert!(set_role(c, &user.id, Role::Admin)?);
            assert_eq!(delete(c, &admin.id)?, Deleted::Gone);
            assert_eq!(delete(c, &admin.id)?, Deleted::Absent);
            assert_eq!(delete(c, &user.id)?, Deleted::LastAdmin);
            Ok(())
        })
        .await?
    }
}
