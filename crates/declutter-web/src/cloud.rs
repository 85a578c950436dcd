//! Cloud connections as the web app holds them: sealed provider tokens bound to their owner,
//! and the hook that revokes them at the provider on disconnect and account deletion.
//! The connect flow itself is in [`crate::connect`] and `handlers/connections.rs`.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use platform_db::sql::AnyPool;
use secrecy::{ExposeSecret, SecretString};

use crate::connect::Connector;
use crate::crypto::Keyring;
use crate::db;
use crate::error::ApiError;

/// What reading, sealing, refreshing and revoking a user's connections needs (`FromRef` of the
/// app state), nothing else of it.
#[derive(Clone, Debug)]
pub struct Vault {
    /// The shared pool.
    pub pool: AnyPool,
    /// Seals and opens stored tokens.
    pub keyring: Arc<Keyring>,
    /// The drive clients (refresh grants, which providers are configured).
    pub connector: Arc<Connector>,
    /// Revokes tokens at the provider.
    pub revoker: Arc<dyn Revoker>,
}

/// Revokes a provider token (Google's revoke endpoint, Microsoft's session revoke, ...).
pub trait Revoker: Send + Sync + std::fmt::Debug {
    /// Revokes `token` at `provider`; failures are logged by the caller, never shown.
    fn revoke(&self, provider: &str, token: SecretString)
    -> BoxFuture<'static, Result<(), String>>;
}

/// Revocation that only records the intent; used until provider endpoints are configured.
#[derive(Debug, Default)]
pub struct LogRevoker;

impl Revoker for LogRevoker {
    fn revoke(
        &self,
        provider: &str,
        _token: SecretString,
    ) -> BoxFuture<'static, Result<(), String>> {
        tracing::info!(provider, "provider token revocation requested");
        Box::pin(async { Ok(()) })
    }
}

/// Stores a connection's token sealed; returns the connection id.
pub async fn save_connection(
    vault: &Vault,
    user_id: &str,
    provider: &str,
    account: &str,
    scopes: &str,
    token: &SecretString,
) -> Result<i64, ApiError> {
    let row = (user_id, provider, account, scopes);
    let secret = token.expose_secret().as_bytes();
    seal_and_write(vault, row, secret, db::connections::upsert).await
}

/// A statement that stores a sealed token for (user, provider, account, scopes, key id, sealed).
type SealedWrite<T> =
    fn(&dyn platform_db::sql::Db, &str, &str, &str, &str, &str, &[u8]) -> Result<T, db::DbError>;

/// Seals `secret` for the connection's owner and provider, then runs `write` with the
/// connection's columns, the key id and the sealed bytes on the writer connection.
async fn seal_and_write<T: Send + 'static>(
    vault: &Vault,
    (user_id, provider, account, scopes): (&str, &str, &str, &str),
    secret: &[u8],
    write: SealedWrite<T>,
) -> Result<T, ApiError> {
    let (kid, sealed) = vault
        .keyring
        .seal(user_id, provider, secret)
        .map_err(|e| ApiError::internal(e))?;
    let (u, p, a, s) = (
        user_id.to_owned(),
        provider.to_owned(),
        account.to_owned(),
        scopes.to_owned(),
    );
    Ok(vault
        .pool
        .write(move |c| write(c, &u, &p, &a, &s, &kid, &sealed))
        .await??)
}

/// Stores a token set from the connect flow sealed (as JSON); returns the connection id.
pub async fn save_tokens(
    vault: &Vault,
    user_id: &str,
    provider: &str,
    account: &str,
    scopes: &str,
    tokens: &crate::connect::TokenSet,
) -> Result<i64, ApiError> {
    let json = serde_json::to_string(tokens).map_err(|e| ApiError::internal(e))?;
    save_connection(
        vault,
        user_id,
        provider,
        account,
        scopes,
        &SecretString::from(json),
    )
    .await
}

/// Reseals a refreshed token set over an existing connection; `false` when it was removed.
pub async fn replace_tokens(
    vault: &Vault,
    user_id: &str,
    provider: &str,
    account: &str,
    scopes: &str,
    tokens: &crate::connect::TokenSet,
) -> Result<bool, ApiError> {
    let json = serde_json::to_string(tokens).map_err(|e| ApiError::internal(e))?;
    let row = (user_id, provider, account, scopes);
    seal_and_write(vault, row, json.as_bytes(), db::connections::update_sealed).await
}

/// The stored token set of `user_id`'s connection to `provider`/`account`, if any.
pub async fn load_tokens(
    vault: &Vault,
    user_id: &str,
    provider: &str,
    account: &str,
) -> Result<Option<(db::connections::ConnectionInfo, crate::connect::TokenSet)>, ApiError> {
    let uid = user_id.to_owned();
    let list = vault
        .pool
        .read(move |c| db::connections::list(c, &uid))
        .await??;
    let Some(conn) = list
        .into_iter()
        .find(|c| c.provider == provider && c.account == account)
    else {
        return Ok(None);
    };
    let (uid, id) = (user_id.to_owned(), conn.id);
    let Some(row) = vault
        .pool
        .read(move |c| db::connections::sealed_for(c, &uid, id))
        .await??
    else {
        return Ok(None);
    };
    let plain = vault
        .keyring
        .open(&row.key_id, user_id, provider, &row.sealed)
        .map_err(|e| ApiError::internal(e))?;
    // Rows stored before the connect flow hold a bare token; they have nothing to carry over.
    Ok(serde_json::from_slice(&plain).ok().map(|t| (conn, t)))
}

/// The token to revoke from a sealed payload: a token set's refresh token, or a bare token.
fn revocable_token(plain: &[u8]) -> SecretString {
    match serde_json::from_slice::<crate::connect::TokenSet>(plain) {
        Ok(t) => SecretString::from(t.revocable().to_owned()),
        Err(_) => SecretString::from(String::from_utf8_lossy(plain).into_owned()),
    }
}

/// Revokes at the provider, then forgets, every connection of `user_id` (or just `only`).
pub async fn revoke_connections(
    vault: &Vault,
    user_id: &str,
    only: Option<i64>,
) -> Result<usize, ApiError> {
    let uid = user_id.to_owned();
    let list = vault
        .pool
        .read(move |c| db::connections::list(c, &uid))
        .await??;
    let mut n = 0;
    for conn in list
        .into_iter()
        .filter(|c| only.is_none_or(|id| id == c.id))
    {
        let uid = user_id.to_owned();
        let id = conn.id;
        let row = vault
            .pool
            .read(move |c| db::connections::sealed_for(c, &uid, id))
            .await??;
        if let Some(row) = row {
            match vault
                .keyring
                .open(&row.key_id, user_id, &conn.provider, &row.sealed)
            {
                Ok(plain) => {
                    let token = revocable_token(&plain);
                    if let Err(error) = vault.revoker.revoke(&conn.provider, token).await {
                        tracing::warn!(provider = %conn.provider, %error, "provider token revocation failed");
                    }
                }
                Err(error) => tracing::warn!(%error, "cannot open a stored token to revoke it"),
            }
        }
        let uid = user_id.to_owned();
        vault
            .pool
            .write(move |c| db::connections::delete(c, &uid, id))
            .await??;
        n += 1;
    }
    Ok(n)
}
