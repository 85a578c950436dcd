//! Sign in with Google and Microsoft: OpenID Connect authorization code flow with PKCE (S256),
//! `state` bound to a browser cookie, and `nonce`; the ID token is verified against the
//! provider's JWKS (RS256/ES256 only, never `none` or HMAC), audience = our client id, and the
//! issuer exact, or for Microsoft's multi-tenant `{tenantid}` template, the issuer rebuilt from
//! the token's own `tid`. Endpoints come from discovery so tests point at a local fake.

pub mod verify;

use crate::oauth_flow::{Authorize, FlowError, PendingFlows, outbound_client};
use std::collections::HashMap;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::config::OidcSettings;

pub use crate::oauth_flow::{FLOW_TTL_SECS, pkce_challenge};

/// A sign-in flow failed; the user sees one generic message, the log the reason.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    /// Unknown or disabled provider.
    #[error("unknown provider")]
    UnknownProvider,
    /// `state` missing, unknown, expired, or not bound to this browser.
    #[error("state mismatch")]
    State,
    /// The provider said no (user cancelled, consent refused).
    #[error("provider returned an error")]
    Denied,
    /// Talking to the provider failed.
    #[error("provider request failed: {0}")]
    Http(String),
    /// The ID token did not verify.
    #[error("invalid ID token: {0}")]
    Token(String),
    /// Storing or taking the flow failed.
    #[error(transparent)]
    Flow(#[from] FlowError),
}

/// The provider's discovery document (the members we use).
#[derive(Debug, Clone, Deserialize)]
pub struct Discovery {
    /// Issuer (may contain `{tenantid}` for Microsoft's multi-tenant endpoints).
    pub issuer: String,
    /// Authorization endpoint.
    pub authorization_endpoint: String,
    /// Token endpoint.
    pub token_endpoint: String,
    /// JWKS URI.
    pub jwks_uri: String,
}

/// One flow in progress, keyed by its `state`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pending {
    /// Provider name.
    pub provider: String,
    /// SHA-256 of the browser binding cookie value.
    pub binding_hash: String,
    /// Expected `nonce`.
    pub nonce: String,
    /// PKCE verifier.
    pub verifier: String,
    /// Where to go after.
    pub next: String,
}

/// The configured providers and the flows in progress (in the database: any instance finishes
/// a flow another started, and a restart cancels none).
#[derive(Debug)]
pub struct Providers {
    settings: HashMap<&'static str, OidcSettings>,
    discovery: tokio::sync::Mutex<HashMap<&'static str, Discovery>>,
    pending: PendingFlows<Pending>,
    http: reqwest::Client,
}

impl Providers {
    /// Providers from configuration.
    pub fn new(
        google: Option<OidcSettings>,
        microsoft: Option<OidcSettings>,
        pending: PendingFlows<Pending>,
    ) -> Result<Self, OidcError> {
        let mut settings = HashMap::new();
        if let Some(g) = google {
            settings.insert("google", g);
        }
        if let Some(m) = microsoft {
            settings.insert("microsoft", m);
        }
        let http = outbound_client().map_err(|e| OidcError::Http(e.to_string()))?;
        Ok(Self {
            settings,
            discovery: tokio::sync::Mutex::default(),
            pending,
            http,
        })
    }

    /// Whether `name` is configured.
    pub fn enabled(&self, name: &str) -> bool {
        self.settings.contains_key(name)
    }

    fn settings(&self, name: &str) -> Result<(&'static str, &OidcSettings), OidcError> {
        self.settings
            .get_key_value(name)
            .map(|(k, v)| (*k, v))
            .ok_or(OidcError::UnknownProvider)
    }

    /// The discovery document, fetched once.
    pub async fn discovery(&self, name: &str) -> Result<Discovery, OidcError> {
        let (key, s) = self.settings(name)?;
        let mut cache = self.discovery.lock().await;
        if let Some(d) = cache.get(key) {
            return Ok(d.clone());
        }
        let url = format!("{}/.well-known/openid-configuration", s.issuer);
        let d: Discovery = self
            .http
            .get(url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| OidcError::Http(e.to_string()))?
            .json()
            .await
            .map_err(|e| OidcError::Http(e.to_string()))?;
        cache.insert(key, d.clone());
        Ok(d)
    }

    /// Starts a flow: returns the authorization URL and stores the pending state.
    pub async fn start(
        &self,
        name: &str,
        redirect_uri: &str,
        binding_hash: String,
        next: String,
    ) -> Result<String, OidcError> {
        let (key, s) = self.settings(name)?;
        let d = self.discovery(name).await?;
        let state = crate::auth::random_token();
        let nonce = crate::auth::random_token();
        let verifier = crate::auth::random_token();
        let mut url = Authorize {
            endpoint: &d.authorization_endpoint,
            client_id: &s.client_id,
            redirect_uri,
            scope: "openid email profile",
            state: &state,
            verifier: &verifier,
        }
        .url()
        .map_err(OidcError::Http)?;
        url.query_pairs_mut().append_pair("nonce", &nonce);
        let flow = Pending {
            provider: key.to_owned(),
            binding_hash,
            nonce,
            verifier,
            next,
        };
        self.pending.insert(&state, &flow, crate::db::now()).await?;
        Ok(url.into())
    }

    /// Takes (once) the pending flow for `state`, checking provider, browser binding and age.
    pub async fn take(
        &self,
        name: &str,
        state: &str,
        binding_hash: Option<&str>,
    ) -> Result<Pending, OidcError> {
        let p = self
            .pending
            .take(state, crate::db::now())
            .await?
            .ok_or(OidcError::State)?;
        let bound = binding_hash.is_some_and(|b| crate::auth::same(b, &p.binding_hash));
        if p.provider != name || !bound {
            return Err(OidcError::State);
        }
        Ok(p)
    }

    /// Exchanges the code (with the PKCE verifier) and verifies the ID token.
    pub async fn finish(
        &self,
        name: &str,
        code: &str,
        redirect_uri: &str,
        pending: &Pending,
    ) -> Result<verify::Identity, OidcError> {
        let (_, s) = self.settings(name)?;
        let d = self.discovery(name).await?;
        #[derive(Deserialize)]
        struct TokenResponse {
            id_token: String,
        }
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("client_id", s.client_id.as_str()),
            ("client_secret", s.client_secret.expose_secret()),
            ("code_verifier", pending.verifier.as_str()),
        ];
        let tr: TokenResponse = self
            .http
            .post(&d.token_endpoint)
            .form(&form)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| OidcError::Http(e.to_string()))?
            .json()
            .await
            .map_err(|e| OidcError::Http(e.to_string()))?;
        let jwks: jsonwebtoken::jwk::JwkSet = self
            .http
            .get(&d.jwks_uri)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| OidcError::Http(e.to_string()))?
            .json()
            .await
            .map_err(|e| OidcError::Http(e.to_string()))?;
        let id = verify::id_token(&tr.id_token, &jwks, &d.issuer, &s.client_id, &pending.nonce)?;
        let _ = SecretString::from(tr.id_token);
        Ok(id)
    }
}
