//! What the two OAuth code flows share (signing in with OIDC, connecting a drive): the
//! authorization request with PKCE S256, the outbound HTTP client, and the in-memory store of
//! flows in progress, keyed by `state`, bounded in number and age, taken at most once.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use reqwest::Url;

/// How long a flow may take from redirect to callback.
pub const FLOW_TTL_SECS: i64 = 600;
/// Most flows held at once; anyone can start one, so the memory they cost is bounded.
const MAX_PENDING: usize = 10_000;

/// The parameters of an authorization request.
#[derive(Debug)]
pub struct Authorize<'a> {
    /// The provider's authorization endpoint.
    pub endpoint: &'a str,
    /// Our client id.
    pub client_id: &'a str,
    /// Our callback.
    pub redirect_uri: &'a str,
    /// Space-separated scopes.
    pub scope: &'a str,
    /// The flow's `state`.
    pub state: &'a str,
    /// The PKCE verifier (only its S256 challenge is sent).
    pub verifier: &'a str,
}

impl Authorize<'_> {
    /// The authorization URL; add provider-specific parameters to its query afterwards.
    pub fn url(&self) -> Result<Url, String> {
        let mut url = Url::parse(self.endpoint).map_err(|e| e.to_string())?;
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", self.client_id)
            .append_pair("redirect_uri", self.redirect_uri)
            .append_pair("scope", self.scope)
            .append_pair("state", self.state)
            .append_pair("code_challenge", &pkce_challenge(self.verifier))
            .append_pair("code_challenge_method", "S256");
        Ok(url)
    }
}

/// `BASE64URL(SHA256(verifier))` (RFC 7636 S256).
pub fn pkce_challenge(verifier: &str) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()))
}

/// The client for token, JWKS and revoke requests: no redirects followed, bounded wait.
pub fn outbound_client() -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
}

/// Too many flows are in progress.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("too many flows in progress")]
pub struct Full;

/// Flows in progress, keyed by `state`.
#[derive(Debug)]
pub struct PendingFlows<T> {
    flows: Mutex<HashMap<String, (i64, T)>>,
}

impl<T> Default for PendingFlows<T> {
    fn default() -> Self {
        Self {
            flows: Mutex::new(HashMap::new()),
        }
    }
}

impl<T> PendingFlows<T> {
    /// Remembers `flow` under `state`, started at `now`; forgets expired flows first.
    pub fn insert(&self, state: String, flow: T, now: i64) -> Result<(), Full> {
        let mut flows = self.flows.lock().unwrap_or_else(PoisonError::into_inner);
        flows.retain(|_, (created, _)| now - *created < FLOW_TTL_SECS);
        if flows.len() >= MAX_PENDING {
            return Err(Full);
        }
        flows.insert(state, (now, flow));
        Ok(())
    }

    /// Removes the flow for `state`; `None` when unknown, already taken or expired at `now`.
    pub fn take(&self, state: &str, now: i64) -> Option<T> {
        let (created, flow) = self
            .flows
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(state)?;
        (now - created < FLOW_TTL_SECS).then_some(flow)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flows_are_taken_once_and_expire() {
        let flows = PendingFlows::default();
        assert!(flows.insert("a".into(), 1, 100).is_ok());
        assert!(flows.insert("b".into(), 2, 100).is_ok());
        assert_eq!(flows.take("a", 101), Some(1));
        assert_eq!(flows.take("a", 101), None, "single use");
        assert_eq!(flows.take("b", 100 + FLOW_TTL_SECS), None, "expired");
    }

    #[test]
    fn challenge_is_unpadded_base64url_of_sha256() {
        // Expected value computed independently with Python's hashlib and base64.
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mJ92K9qkd2rprh6gPsTLE2yP5zY1Zs"),
            "AeipYeWTNqM2pdwa4sTJq5qDydeF30tJlXw6tPOCGQ0"
        );
    }
}
