//! Connecting OneDrive and Google Drive: OAuth 2.0 authorization code with PKCE (S256) and a
//! single-use `state` bound to the caller's browser session. Scopes are least privilege:
//! read-only to scan; write access is asked for later (incremental consent) when the user
//! first applies a plan. Tokens go from the token endpoint straight into the sealed store
//! (`cloud::save_connection`); they are never logged and never reach the browser.

use crate::oauth_flow::{Authorize, PendingFlows, outbound_client};
use std::collections::HashMap;

use futures_util::future::BoxFuture;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::cloud::Revoker;
use crate::config::OAuthClient;

/// Microsoft Graph: read-only scan scope.
pub const MS_READ: &str = "Files.Read";
/// Microsoft Graph: write scope, asked for when applying a plan.
pub const MS_WRITE: &str = "Files.ReadWrite";
/// Google Drive: metadata read-only (enough to scan and group by checksum).
pub const GOOGLE_READ: &str = "https://www.googleapis.com/auth/drive.metadata.readonly";
/// Google Drive: per-file write access, asked for when applying a plan.
pub const GOOGLE_WRITE: &str = "https://www.googleapis.com/auth/drive.file";
/// Google Drive: full access (also counts as write).
const GOOGLE_FULL: &str = "https://www.googleapis.com/auth/drive";

/// A connect flow failed; the user sees one generic message, the log the reason.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// Unknown or unconfigured provider.
    #[error("unknown provider")]
    UnknownProvider,
    /// `state` missing, unknown, expired, reused, or not bound to this session.
    #[error("state mismatch")]
    State,
    /// The provider said no.
    #[error("provider returned an error")]
    Denied,
    /// Talking to the provider failed (the text never contains tokens).
    #[error("provider request failed: {0}")]
    Http(String),
}

/// One connect flow in progress, keyed by its `state`.
#[derive(Debug, Clone)]
pub struct Pending {
    /// `onedrive` or `gdrive`.
    pub provider: String,
    /// The account that started it.
    pub user_id: String,
    /// Hash of the browser session that started it.
    pub session_hash: String,
    /// PKCE verifier.
    pub verifier: String,
    /// Where to go afterwards.
    pub next: String,
    /// The plan whose apply asked for write access; applied once the upgrade succeeds.
    pub resume_plan: Option<i64>,
}

/// What the token endpoint returned; sealed as JSON, never serialised anywhere else.
#[derive(Clone, Serialize, Deserialize)]
pub struct TokenSet {
    /// Access token.
    pub access_token: String,
    /// Refresh token (absent on some re-consents; the old one is kept then).
    #[serde(default)]
    pub refresh_token: Option<String>,
    /// Unix seconds when the access token expires.
    #[serde(default)]
    pub expires_at: Option<i64>,
    /// Granted scopes, space separated.
    #[serde(default)]
    pub scope: Option<String>,
}

impl std::fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSet")
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

impl TokenSet {
    /// The token to revoke: the refresh token when there is one (revokes the grant).
    pub fn revocable(&self) -> &str {
        self.refresh_token.as_deref().unwrap_or(&self.access_token)
    }
}

/// The scopes to ask for: read-only, plus write when `write`.
pub fn scopes(provider: &str, write: bool) -> Option<&'static str> {
    Some(match (provider, write) {
        ("onedrive", false) => "Files.Read offline_access",
        ("onedrive", true) => "Files.Read Files.ReadWrite offline_access",
        ("gdrive", false) => GOOGLE_READ,
        ("gdrive", true) => {
            "https://www.googleapis.com/auth/drive.metadata.readonly https://www.googleapis.com/auth/drive.file"
        }
        _ => return None,
    })
}

/// A human name for `provider`.
pub fn label(provider: &str) -> &'static str {
    match provider {
        "onedrive" => "OneDrive",
        "gdrive" => "Google Drive",
        _ => "cloud drive",
    }
}

/// Whether granted `scopes` allow changes (moving duplicates to the trash).
pub fn can_write(provider: &str, scopes: &str) -> bool {
    let has = |s: &str| scopes.split_whitespace().any(|g| g.eq_ignore_ascii_case(s));
    match provider {
        "onedrive" => has(MS_WRITE) || has("Files.ReadWrite.All"),
        "gdrive" => has(GOOGLE_WRITE) || has(GOOGLE_FULL),
        _ => false,
    }
}

/// The configured drive clients and the flows in progress (in memory: a restart cancels them).
#[derive(Debug)]
pub struct Connector {
    clients: HashMap<&'static str, OAuthClient>,
    pending: PendingFlows<Pending>,
    http: reqwest::Client,
}

impl Connector {
    /// Clients from configuration.
    pub fn new(
        onedrive: Option<OAuthClient>,
        gdrive: Option<OAuthClient>,
    ) -> Result<Self, ConnectError> {
        let mut clients = HashMap::new();
        if let Some(c) = onedrive {
            clients.insert("onedrive", c);
        }
        if let Some(c) = gdrive {
            clients.insert("gdrive", c);
        }
        let http = outbound_client().map_err(|e| ConnectError::Http(e.to_string()))?;
        Ok(Self {
            clients,
            pending: PendingFlows::default(),
            http,
        })
    }

    /// The origins of the configured authorize endpoints (`scheme://host[:port]`), which our
    /// connect and apply forms redirect to.
    pub fn authorize_origins(&self) -> Vec<String> {
        let mut origins: Vec<String> = self
            .clients
            .values()
            .filter_map(|c| reqwest::Url::parse(&c.auth_url).ok())
            .map(|u| u.origin().ascii_serialization())
            .filter(|o| o != "null")
            .collect();
        origins.sort();
        origins.dedup();
        origins
    }

    /// Whether `provider` is configured.
    pub fn enabled(&self, provider: &str) -> bool {
        self.clients.contains_key(provider)
    }

    fn client(&self, provider: &str) -> Result<(&'static str, &OAuthClient), ConnectError> {
        self.clients
            .get_key_value(provider)
            .map(|(k, v)| (*k, v))
            .ok_or(ConnectError::UnknownProvider)
    }

    /// Starts a flow for `user_id` in session `session_hash`: returns the authorize URL.
    /// `resume_plan` is applied by the callback once write access is granted.
    pub fn start(
        &self,
        provider: &str,
        write: bool,
        redirect_uri: &str,
        user_id: &str,
        session_hash: &str,
        next: String,
        resume_plan: Option<i64>,
    ) -> Result<String, ConnectError> {
        let (key, c) = self.client(provider)?;
        let scope = scopes(key, write).ok_or(ConnectError::UnknownProvider)?;
        let state = crate::auth::random_token();
        let verifier = crate::auth::random_token();
        let mut url = Authorize {
            endpoint: &c.auth_url,
            client_id: &c.client_id,
            redirect_uri,
            scope,
            state: &state,
            verifier: &verifier,
        }
        .url()
        .map_err(ConnectError::Http)?;
        if key == "gdrive" {
            // Offline access gives a refresh token; the upgrade keeps the earlier grant.
            let mut q = url.query_pairs_mut();
            q.append_pair("access_type", "offline");
            if write {
                q.append_pair("include_granted_scopes", "true");
                q.append_pair("prompt", "consent");
            }
        }
        let flow = Pending {
            provider: key.to_owned(),
            user_id: user_id.to_owned(),
            session_hash: session_hash.to_owned(),
            verifier,
            next,
            resume_plan,
        };
        self.pending
            .insert(state, flow, crate::db::now())
            .map_err(|_| ConnectError::Http("too many connections in progress".into()))?;
        Ok(url.into())
    }

    /// Takes (once) the flow for `state`, checking provider, account, session and age.
    pub fn take(
        &self,
        provider: &str,
        state: &str,
        user_id: &str,
        session_hash: &str,
    ) -> Result<Pending, ConnectError> {
        let p = self
            .pending
            .take(state, crate::db::now())
            .ok_or(ConnectError::State)?;
        if p.provider != provider
            || p.user_id != user_id
            || !crate::auth::same(&p.session_hash, session_hash)
        {
            return Err(ConnectError::State);
        }
        Ok(p)
    }

    /// Exchanges the code with the PKCE verifier.
    pub async fn exchange(
        &self,
        provider: &str,
        code: &str,
        redirect_uri: &str,
        pending: &Pending,
    ) -> Result<TokenSet, ConnectError> {
        let (_, c) = self.client(provider)?;
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("client_id", c.client_id.as_str()),
            ("client_secret", c.client_secret.expose_secret()),
            ("code_verifier", pending.verifier.as_str()),
        ];
        self.token_request(c, &form).await
    }

    /// The refresh-token grant (RFC 6749 §6): a new token set for `current`, keeping its
    /// refresh token and scopes when the provider does not rotate or restate them.
    pub async fn refresh(
        &self,
        provider: &str,
        current: &TokenSet,
    ) -> Result<TokenSet, ConnectError> {
        let (_, c) = self.client(provider)?;
        let refresh_token = current
            .refresh_token
            .as_deref()
            .ok_or_else(|| ConnectError::Http("no refresh token stored".into()))?;
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", c.client_id.as_str()),
            ("client_secret", c.client_secret.expose_secret()),
        ];
        let mut fresh = self.token_request(c, &form).await?;
        if fresh.refresh_token.is_none() {
            fresh.refresh_token = current.refresh_token.clone();
        }
        if fresh.scope.is_none() {
            fresh.scope.clone_from(&current.scope);
        }
        Ok(fresh)
    }

    async fn token_request(
        &self,
        c: &OAuthClient,
        form: &[(&str, &str)],
    ) -> Result<TokenSet, ConnectError> {
        #[derive(Deserialize)]
        struct Raw {
            access_token: String,
            refresh_token: Option<String>,
            expires_in: Option<i64>,
            scope: Option<String>,
        }
        // Only the status goes into errors: reqwest's error text never holds the body.
        let raw: Raw = self
            .http
            .post(&c.token_url)
            .form(form)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| ConnectError::Http(e.without_url().to_string()))?
            .json()
            .await
            .map_err(|e| ConnectError::Http(e.without_url().to_string()))?;
        Ok(TokenSet {
            access_token: raw.access_token,
            refresh_token: raw.refresh_token,
            expires_at: raw.expires_in.map(|s| crate::db::now() + s),
            scope: raw.scope,
        })
    }

    /// Calls the provider's revocation endpoint, when one is configured.
    pub async fn revoke(&self, provider: &str, token: &SecretString) -> Result<(), ConnectError> {
        let (_, c) = self.client(provider)?;
        let Some(url) = &c.revoke_url else {
            return Ok(());
        };
        self.http
            .post(url)
            .form(&[("token", token.expose_secret())])
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| ConnectError::Http(e.without_url().to_string()))?;
        Ok(())
    }
}

/// Revokes through the configured endpoints; providers without one are only logged.
#[derive(Debug)]
pub struct HttpRevoker(pub std::sync::Arc<Connector>);

impl Revoker for HttpRevoker {
    fn revoke(
        &self,
        provider: &str,
        token: SecretString,
    ) -> BoxFuture<'static, Result<(), String>> {
        let connector = self.0.clone();
        let provider = provider.to_owned();
        Box::pin(async move {
            if !connector.enabled(&provider) {
                tracing::info!(%provider, "no revocation endpoint; connection forgotten");
                return Ok(());
            }
            connector
                .revoke(&provider, &token)
                .await
                .map_err(|e| e.to_string())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_least_privilege() {
        assert_eq!(scopes("onedrive", false), Some("Files.Read offline_access"));
        assert_eq!(scopes("gdrive", false), Some(GOOGLE_READ));
        assert!(!can_write("onedrive", "Files.Read offline_access"));
        assert!(can_write("onedrive", "Files.Read Files.ReadWrite"));
        assert!(!can_write("gdrive", GOOGLE_READ));
        assert!(can_write(
            "gdrive",
            &format!("{GOOGLE_READ} {GOOGLE_WRITE}")
        ));
        assert!(!can_write(
            "gdrive",
            "https://www.googleapis.com/auth/drive.readonly"
        ));
        assert_eq!(scopes("dropbox", false), None);
    }
}
