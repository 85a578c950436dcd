//! Cloud OAuth connections: provider tokens sealed with [`crate::crypto::Keyring`].

use platform_db::sql::{Db, DbExt as _, Optional as _, RusqliteLike as _};
use platform_db::vals as params;
use serde::Serialize;

use super::{DbError, now};

/// A connection as listed to its owner: never the token.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConnectionInfo {
    /// Row id.
    pub id: i64,
    /// `onedrive` or `gdrive`.
    pub provider: String,
    /// The account at the provider (email or id).
    pub account: String,
    /// Granted scopes, space separated.
    pub scopes: String,
    /// Unix seconds.
    pub created_at: i64,
}

/// A sealed token row, for re-encryption.
#[derive(Debug, Clone)]
pub struct SealedRow {
    /// Row id.
    pub id: i64,
    /// Key that sealed it.
    pub key_id: String,
    /// nonce || ciphertext.
    pub sealed: Vec<u8>,
}

/// Stores (or replaces) a connection with its sealed token.
pub fn upsert(
    c: &dyn Db,
    user_id: &str,
    provider: &str,
    account: &str,
    scopes: &str,
    key_id: &str,
    sealed: &[u8],
) -> Result<i64, DbError> {
    c.execute(
        "INSERT INTO oauth_connections (user_id, provider, account, scopes, key_id, token_sealed, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (user_id, provider, account)
         DO UPDATE SET scopes = ?4, key_id = ?5, token_sealed = ?6",
        params![user_id, provider, account, scopes, key_id, sealed, now()],
    )?;
    Ok(c.query_row(
        "SELECT id FROM oauth_connections WHERE user_id = ?1 AND provider = ?2 AND account = ?3",
        params![user_id, provider, account],
        |r| r.get(0),
    )?)
}

/// Replaces an existing connection's scopes and sealed token; `false` when it is gone (a
/// disconnect during a refresh must not bring it back).
pub fn update_sealed(
    c: &dyn Db,
    user_id: &str,
    provider: &str,
    account: &str,
    scopes: &str,
    key_id: &str,
    sealed: &[u8],
) -> Result<bool, DbError> {
    Ok(c.execute(
        "UPDATE oauth_connections SET scopes = ?4, key_id = ?5, token_sealed = ?6
         WHERE user_id = ?1 AND provider = ?2 AND account = ?3",
        params![user_id, provider, account, scopes, key_id, sealed],
    )? == 1)
}

/// The owner's connections.
pub fn list(c: &dyn Db, user_id: &str) -> Result<Vec<ConnectionInfo>, DbError> {
    Ok(c.rows(
        "SELECT id, provider, account, scopes, created_at FROM oauth_connections
         WHERE user_id = ?1 ORDER BY id",
        params![user_id],
        |r| {
            Ok(ConnectionInfo {
                id: r.get(0)?,
                provider: r.get(1)?,
                account: r.get(2)?,
                scopes: r.get(3)?,
                created_at: r.get(4)?,
            })
        },
    )?)
}

/// The sealed token of connection `id`, only if `user_id` owns it.
pub fn sealed_for(c: &dyn Db, user_id: &str, id: i64) -> Result<Option<SealedRow>, DbError> {
    Ok(c.query_row(
        "SELECT id, key_id, token_sealed FROM oauth_connections WHERE id = ?1 AND user_id = ?2",
        params![id, user_id],
        |r| {
            Ok(SealedRow {
                id: r.get(0)?,
                key_id: r.get(1)?,
                sealed: r.get(2)?,
            })
        },
    )
    .optional()?)
}

/// Every sealed token, for key rotation.
pub fn all_sealed(c: &dyn Db) -> Result<Vec<SealedRow>, DbError> {
    Ok(c.rows(
        "SELECT id, key_id, token_sealed FROM oauth_connections ORDER BY id",
        &[],
        |r| {
            Ok(SealedRow {
                id: r.get(0)?,
                key_id: r.get(1)?,
                sealed: r.get(2)?,
            })
        },
    )?)
}

/// Replaces one row's sealed token and key id.
pub fn reseal(c: &dyn Db, id: i64, key_id: &str, sealed: &[u8]) -> Result<(), DbError> {
    c.execute(
        "UPDATE oauth_connections SET key_id = ?2, token_sealed = ?3 WHERE id = ?1",
        params![id, key_id, sealed],
    )?;
    Ok(())
}

/// Deletes connection `id` if `user_id` owns it; returns whether it existed.
pub fn delete(c: &dyn Db, user_id: &str, id: i64) -> Result<bool, DbError> {
    Ok(c.execute(
        "DELETE FROM oauth_connections WHERE id = ?1 AND user_id = ?2",
        params![id, user_id],
    )? == 1)
}
