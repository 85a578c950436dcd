//! Connecting OneDrive and Google Drive: OAuth 2.0 authorization code with PKCE (S256) and a
//! single-use `state` bound to the caller's browser session. Scopes are least privilege and
//! granted step by step ([`Access`]): metadata to scan; content when the person wants
//! verification or previews; write when they first apply a plan (incremental consent).
//! Tokens go from the token endpoint straight into the sealed store
//! (`cloud::save_connection`); they are never logged and never reach the browser.
//!
//! Why these scopes (from Microsoft's and Google's scope references): Graph's `Files.Read`
//! lists, hashes (quickXorHash) and downloads; `Files.ReadWrite` moves and deletes. Drive's
//! `drive.metadata.readonly` lists with md5Checksum but cannot download and gets no
//! `thumbnailLink`; `drive.readonly` adds content; only `drive` may trash files the app did
//! not create (`drive.file` covers only files created or opened with the app, so it never
//! covers a person's existing duplicates).

use crate::oauth_flow::{Authorize, FlowError, PendingFlows, outbound_client};
use std::collections::HashMap;

use futures_util::future::BoxFuture;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::cloud::Revoker;
use crate::config::OAuthClient;

/// Microsoft Graph: read-only scope (list, hashes, content).
pub const MS_READ: &str = "Files.Read";
/// Microsoft Graph: write scope, asked for when applying a plan.
pub const MS_WRITE: &str = "Files.ReadWrite";
/// Google Drive: metadata read-only (enough to scan and group by checksum). Restricted.
pub const GOOGLE_READ: &str = "https://www.googleapis.com/auth/drive.metadata.readonly";
/// Google Drive: content read-only, asked for verification and previews. Restricted.
pub const GOOGLE_CONTENT: &str = "https://www.googleapis.com/auth/drive.readonly";
/// Google Drive: full access, the only scope that may trash the person's existing files.
/// Restricted.
pub const GOOGLE_WRITE: &str = "https://www.googleapis.com/auth/drive";

/// How much a connection is asked to allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// List and hash: enough to scan and group.
    Scan,
    /// Also read content: verification downloads and thumbnails.
    Content,
    /// Also move to the trash: applying a plan.
    Write,
}

impl Access {
    /// From a form's `access` field (`content`, `write`; anything else scans).
    pub fn from_form(value: Option<&str>) -> Self {
        match value {
            Some("write") => Self::Write,
            Some("content") => Self::Content,
            _ => Self::Scan,
        }
    }
}

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
    /// Storing or taking the flow failed.
    #[error(transparent)]
    Flow(#[from] FlowError),
}

/// The account name a connection is stored under: one connection per provider and user.
pub const ACCOUNT: &str = "default";

/// One connect flow in progress, keyed by its `state`.
#[derive(Debug, Clone, Serialize, Deserialize)]
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

/// The scopes to ask for `access` (Google adds them to the earlier grant).
pub fn scopes(provider: &str, access: Access) -> Option<&'static str> {
    Some(match (provider, access) {
        // Files.Read already reads content: scanning and verifying need the same grant.
        ("onedrive", Access::Scan | Access::Content) => "Files.Read offline_access",
        ("onedrive", Access::Write) => "Files.ReadWrite offline_access",
        ("gdrive", Access::Scan) => GOOGLE_READ,
        ("gdrive", Access::Content) => GOOGLE_CONTENT,
        ("gdrive", Access::Write) => GOOGLE_WRITE,
        _ => return None,
    })
}

fn granted(scopes: &str, wanted: &str) -> bool {
    scopes
        .split_whitespace()
        .any(|g| g.eq_ignore_ascii_case(wanted))
}

/// Whether granted `scopes` allow reading content (verification downloads, thumbnails).
pub fn can_read_content(provider: &str, scopes: &str) -> bool {
    let has = |s: &str| granted(scopes, s);
    match provider {
        "onedrive" => [
            "Files.Read",
            "Files.ReadWrite",
            "Files.Read.All",
            "Files.ReadWrite.All",
        ]
        .iter()
        .any(|s| has(s)),
        "gdrive" => has(GOOGLE_CONTENT) || has(GOOGLE_WRITE),
        _ => false,
    }
}

/// A human name for `provider`.
pub fn label(provider: &str) -> &'static str {
    match provider {
        "onedrive" => "OneDrive",
        "gdrive" => "Google Drive",
        _ => "cloud drive",
    }
}

/// Whether granted `scopes` allow changes (moving the person's duplicates to the trash).
/// Drive's `drive.file` does not: it covers only files the app created or was given.
pub fn can_write(provider: &str, scopes: &str) -> bool {
    let has = |s: &str| granted(scopes, s);
    match provider {
        "onedrive" => has(MS_WRITE) || has("Files.ReadWrite.All"),
        "gdrive" => has(GOOGLE_WRITE),
        _ => false,
    }
}

/// The configured drive clients and the flows in progress (in the database: any instance
/// finishes a flow another started).
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
        pending: PendingFlows<Pending>,
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
            pending,
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
    pub async fn start(
        &self,
        provider: &str,
        access: Access,
        redirect_uri: &str,
        user_id: &str,
        session_hash: &str,
        next: String,
        resume_plan: Option<i64>,
    ) -> Result<String, ConnectError> {
        let (key, c) = self.client(provider)?;
        let scope = scopes(key, access).ok_or(ConnectError::UnknownProvider)?;
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
            if access != Access::Scan {
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
        self.pending.insert(&state, &flow, crate::db::now()).await?;
        Ok(url.into())
    }

    /// Takes (once) the flow for `state`, checking provider, account, session and age.
    pub async fn take(
        &self,
        provider: &str,
        state: &str,
        user_id: &str,
        session_hash: &str,
    ) -> Result<Pending, ConnectError> {
        let p = self
            .pending
            .take(state, crate::db::now())
            .await?
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
    fn scopes_are_least_privilege_and_do_what_we_ask() {
        assert_eq!(
            scopes("onedrive", Access::Scan),
            Some("Files.Read offline_access")
        );
        assert_eq!(
            scopes("onedrive", Access::Write),
            Some("Files.ReadWrite offline_access")
        );
        assert_eq!(scopes("gdrive", Access::Scan), Some(GOOGLE_READ));
        assert_eq!(scopes("gdrive", Access::Content), Some(GOOGLE_CONTENT));
        assert_eq!(scopes("gdrive", Access::Write), Some(GOOGLE_WRITE));
        assert!(!can_write("onedrive", "Files.Read offline_access"));
        assert!(can_write("onedrive", "Files.Read Files.ReadWrite"));
        assert!(!can_write("gdrive", GOOGLE_READ));
        assert!(!can_write("gdrive", GOOGLE_CONTENT));
        // drive.file never covers the person's existing files: not a write grant for us.
        assert!(!can_write(
            "gdrive",
            &format!("{GOOGLE_READ} https://www.googleapis.com/auth/drive.file")
        ));
        assert!(can_write(
            "gdrive",
            &format!("{GOOGLE_READ} {GOOGLE_WRITE}")
        ));
        // Metadata scopes neither download nor get thumbnail links.
        assert!(!can_read_content("gdrive", GOOGLE_READ));
        assert!(can_read_content(
            "gdrive",
            &format!("{GOOGLE_READ} {GOOGLE_CONTENT}")
        ));
        assert!(can_read_content("onedrive", "Files.Read"));
        assert_eq!(Access::from_form(Some("content")), Access::Content);
        assert_eq!(Access::from_form(Some("bogus")), Access::Scan);
        assert_eq!(scopes("dropbox", Access::Scan), None);
    }
}
