//! Access tokens come from the caller: the web app stores them, the CLI reads a file or the
//! environment. The engine asks for a fresh one once when the API answers 401.
//!
//! Microsoft answers every refresh with a new refresh token and the old one eventually stops
//! working, so a refresh hands the new pair to a [`OnRotate`] hook (the CLI writes its token
//! file); a refused refresh token (`invalid_grant`) says plainly that the person must sign in
//! again.

use std::sync::{Arc, Mutex, PoisonError};

use futures_util::future::BoxFuture;
use secrecy::{ExposeSecret, SecretString};

use super::api_error::ApiError;

/// No token could be had.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The source cannot refresh (a fixed token).
    #[error("the access token expired and cannot be refreshed")]
    CannotRefresh,
    /// The token endpoint refused or failed.
    #[error("token refresh failed: {0}")]
    Refresh(String),
    /// The refresh token was refused for good (expired, revoked, or already rotated away).
    #[error("the refresh token was refused ({0}): sign in again and replace the stored token")]
    InvalidGrant(String),
    /// The token endpoint refused our client credentials.
    #[error("the token endpoint refused the client ({0}): check the client id and secret")]
    InvalidClient(String),
    /// The new tokens could not be saved (the old refresh token may no longer work).
    #[error("refreshed, but the new tokens could not be saved: {0}")]
    Persist(String),
}

/// Called with `(access_token, refresh_token)` after every successful refresh, before the new
/// access token is used, so the caller can store a rotated refresh token.
pub type OnRotate = Arc<dyn Fn(&str, &str) -> Result<(), String> + Send + Sync>;

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
    client_secret: Option<SecretString>,
    refresh_token: Mutex<String>,
    current: Mutex<String>,
    on_rotate: Option<OnRotate>,
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
            client_secret: None,
            refresh_token: Mutex::new(refresh_token.to_owned()),
            current: Mutex::new(access_token.to_owned()),
            on_rotate: None,
        }
    }

    /// Authenticates to the token endpoint with `secret` (confidential clients).
    #[must_use]
    pub fn with_client_secret(mut self, secret: SecretString) -> Self {
        self.client_secret = Some(secret);
        self
    }

    /// Calls `hook` with the new tokens after each refresh.
    #[must_use]
    pub fn on_rotate(mut self, hook: OnRotate) -> Self {
        self.on_rotate = Some(hook);
        self
    }
}

#[derive(serde::Deserialize)]
struct TokenResponse {
    access_token: String,
    refresh_token: Option<String>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl TokenSource for OAuthRefresh {
    fn token(&self) -> BoxFuture<'_, Result<String, TokenError>> {
        let t = lock(&self.current).clone();
        Box::pin(async move { Ok(t) })
    }
    fn refresh(&self) -> BoxFuture<'_, Result<String, TokenError>> {
        Box::pin(async move {
            let refresh_token = lock(&self.refresh_token).clone();
            let mut form = vec![
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token.as_str()),
                ("client_id", self.client_id.as_str()),
            ];
            if let Some(secret) = &self.client_secret {
                form.push(("client_secret", secret.expose_secret()));
            }
            let resp = self
                .http
                .post(&self.token_url)
                .form(&form)
                .send()
                .await
                .map_err(|e| TokenError::Refresh(e.without_url().to_string()))?;
            let status = resp.status();
            if !status.is_success() {
                // The body is an OAuth error (RFC 6749 §5.2); it never holds a token.
                let api = ApiError::parse(&resp.text().await.unwrap_or_default());
                let reason = api.reason.unwrap_or_else(|| status.to_string());
                return Err(match reason.as_str() {
                    "invalid_grant" => TokenError::InvalidGrant(reason),
                    "invalid_client" | "unauthorized_client" => TokenError::InvalidClient(reason),
                    _ => {
                        TokenError::Refresh(format!("token endpoint answered {status} ({reason})"))
                    }
                });
            }
            let body: TokenResponse = resp
                .json()
                .await
                .map_err(|e| TokenError::Refresh(e.without_url().to_string()))?;
            let refresh = body.refresh_token.unwrap_or(refresh_token);
            if let Some(hook) = &self.on_rotate {
                hook(&body.access_token, &refresh).map_err(TokenError::Persist)?;
            }
            *lock(&self.refresh_token) = refresh;
            lock(&self.current).clone_from(&body.access_token);
            Ok(body.access_token)
        })
    }
}
