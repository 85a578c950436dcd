//! Access tokens come from the caller: the web app stores them, the CLI reads a file or the
//! environment. The engine asks for a fresh one once when the API answers 401.

use futures_util::future::BoxFuture;
use std::sync::Mutex;

/// No token could be had.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The source cannot refresh (a fixed token).
    #[error("the access token expired and cannot be refreshed")]
    CannotRefresh,
    /// The token endpoint refused or failed.
    #[error("token refresh failed: {0}")]
    Refresh(String),
}

/// Supplies bearer tokens for one account.
pub trait TokenSource: Send + Sync {
    /// The current access token.
    fn token(&self) -> BoxFuture<'_, Result<String, TokenError>>;
    /// Obtains a new access token after the current one was refused.
    fn refresh(&self) -> BoxFuture<'_, Result<String, TokenError>>;
}

/// A fixed token that cannot be refreshed.
pub struct StaticToken(String);

impl std::fmt::Debug for StaticToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StaticToken(<redacted>)")
    }
}

impl StaticToken {
    /// Wraps `token`.
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }
}

impl TokenSource for StaticToken {
    fn token(&self) -> BoxFuture<'_, Result<String, TokenError>> {
        let t = self.0.clone();
        Box::pin(async move { Ok(t) })
    }
    fn refresh(&self) -> BoxFuture<'_, Result<String, TokenError>> {
        Box::pin(async { Err(TokenError::CannotRefresh) })
    }
}

/// An OAuth 2.0 refresh-token grant (RFC 6749 §6) against a configurable token endpoint.
pub struct OAuthRefresh {
    http: reqwest::Client,
    token_url: String,
    client_id: String,
    refresh_token: String,
    current: Mutex<String>,
}

impl std::fmt::Debug for OAuthRefresh {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthRefresh")
            .field("token_url", &self.token_url)
            .finish_non_exhaustive()
    }
}

impl OAuthRefresh {
    /// Starts from `access_token`, refreshing with `refresh_token` at `token_url`.
    pub fn new(token_url: &str, client_id: &str, refresh_token: &str, access_token: &str) -> Self {
        Self {
            http: reqwest::Client::new(),
            token_url: token_url.to_owned(),
            client_id: client_id.to_owned(),
            refresh_token: refresh_token.to_owned(),
            current: Mutex::new(access_token.to_owned()),
        }
    }
}

#[derive(serde::Deserialize)]
struct TokenResponse {
    access_token: String,
}

impl TokenSource for OAuthRefresh {
    fn token(&self) -> BoxFuture<'_, Result<String, TokenError>> {
        let t = self.current.lock().map(|t| t.clone()).unwrap_or_default();
        Box::pin(async move { Ok(t) })
    }
    fn refresh(&self) -> BoxFuture<'_, Result<String, TokenError>> {
        Box::pin(async move {
            let form = [
                ("grant_type", "refresh_token"),
                ("refresh_token", self.refresh_token.as_str()),
                ("client_id", self.client_id.as_str()),
            ];
            let resp = self
                .http
                .post(&self.token_url)
                .form(&form)
                .send()
                .await
                .map_err(|e| TokenError::Refresh(e.to_string()))?;
            if !resp.status().is_success() {
                return Err(TokenError::Refresh(format!(
                    "token endpoint answered {}",
                    resp.status()
                )));
            }
            let body: TokenResponse = resp
                .json()
                .await
                .map_err(|e| TokenError::Refresh(e.to_string()))?;
            if let Ok(mut cur) = self.current.lock() {
                cur.clone_from(&body.access_token);
            }
            Ok(body.access_token)
        })
    }
}
