//! The engine's [`TokenSource`] over a user's sealed connection: the access token comes from
//! the sealed token set; a refusal triggers the refresh-token grant at the provider's token
//! endpoint (through the connector's outbound client, so the wait is bounded), and the new
//! set is sealed and stored again before it is used. Tokens are never logged.
//!
//! The engine runs on the blocking pool inside `Handle::block_on` (see [`crate::work::run`]);
//! these futures only need that runtime context, which `block_on` provides.

use declutter_core::cloud::{TokenError, TokenSource};
use futures_util::future::BoxFuture;
use tokio::sync::Mutex;

use crate::cloud::{self, Vault};
use crate::connect::TokenSet;

/// Bearer tokens of one user's connection to one provider.
pub struct ConnectionTokens {
    vault: Vault,
    user_id: String,
    provider: &'static str,
    account: String,
    /// The set in use; loaded on first use, replaced after a refresh.
    current: Mutex<Option<TokenSet>>,
}

impl std::fmt::Debug for ConnectionTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionTokens")
            .field("provider", &self.provider)
            .finish_non_exhaustive()
    }
}

impl ConnectionTokens {
    /// Tokens of `user_id`'s connection `account` at `provider` (`onedrive` or `gdrive`).
    pub fn new(vault: Vault, user_id: &str, provider: &'static str, account: &str) -> Self {
        Self {
            vault,
            user_id: user_id.to_owned(),
            provider,
            account: account.to_owned(),
            current: Mutex::new(None),
        }
    }

    async fn load(&self) -> Result<(String, TokenSet), TokenError> {
        let found = cloud::load_tokens(&self.vault, &self.user_id, self.provider, &self.account)
            .await
            .map_err(|e| TokenError::Refresh(format!("cannot read the stored connection: {e}")))?;
        let (info, tokens) = found.ok_or_else(|| {
            TokenError::Refresh(format!("no {} connection stored", self.provider))
        })?;
        Ok((info.scopes, tokens))
    }
}

impl TokenSource for ConnectionTokens {
    fn token(&self) -> BoxFuture<'_, Result<String, TokenError>> {
        Box::pin(async move {
            let mut current = self.current.lock().await;
            if let Some(t) = current.as_ref() {
                return Ok(t.access_token.clone());
            }
            let (_, tokens) = self.load().await?;
            let access = tokens.access_token.clone();
            *current = Some(tokens);
            Ok(access)
        })
    }

    fn refresh(&self) -> BoxFuture<'_, Result<String, TokenError>> {
        Box::pin(async move {
            // Held across the grant: concurrent requests refused at once refresh only once.
            let mut current = self.current.lock().await;
            // Start from the stored set: another run may have rotated the refresh token.
            let (scopes, stored) = self.load().await?;
            if current
                .as_ref()
                .is_some_and(|t| t.access_token != stored.access_token)
            {
                // Someone else refreshed since we read it; try theirs first.
                let access = stored.access_token.clone();
                *current = Some(stored);
                return Ok(access);
            }
            let fresh = self
                .vault
                .connector
                .refresh(self.provider, &stored)
                .await
                .map_err(|e| {
                    // The connect error's text holds at most a status, never a token.
                    tracing::warn!(provider = self.provider, error = %e, "token refresh failed");
                    TokenError::Refresh(e.to_string())
                })?;
            // Keep what the provider granted on refresh, else the scopes recorded before.
            let granted = fresh.scope.clone().unwrap_or(scopes);
            let kept = cloud::replace_tokens(
                &self.vault,
                &self.user_id,
                self.provider,
                &self.account,
                &granted,
                &fresh,
            )
            .await
            .map_err(|e| TokenError::Refresh(format!("cannot store the refreshed token: {e}")))?;
            if !kept {
                return Err(TokenError::Refresh("the connection was removed".into()));
            }
            tracing::info!(provider = self.provider, "cloud access token refreshed");
            let access = fresh.access_token.clone();
            *current = Some(fresh);
            Ok(access)
        })
    }
}
