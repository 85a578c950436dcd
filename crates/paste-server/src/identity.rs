//! Who is asking: the fingerprint of a client certificate, verified by our own TLS or vouched
//! for by the trusted proxy, or nobody.
//!
//! Deny unless proven: `X-SSL-Client-SHA1` counts only when the proxy is trusted and, when a
//! proxy secret is configured, the request carries it (compared in constant time). A wrong
//! secret is refused outright; a malformed fingerprint from a trusted proxy is a 400. Neither is
//! ever turned into an identity.

use axum::extract::{FromRef, FromRequestParts};
use http::StatusCode;
use http::request::Parts;
use paste_api::headers;
use platform::serve::ConnInfo;
use platform::tls::is_fingerprint;
use secrecy::ExposeSecret;
use subtle::ConstantTimeEq;

use crate::error::{ApiError, problem};
use crate::state::AppState;

/// The caller's identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// No certificate.
    Anonymous,
    /// A certificate with this SHA-1 fingerprint.
    Cert {
        /// 40 lowercase hex digits.
        fingerprint: String,
        /// Configured as an admin, or issued as one by the built-in PKI.
        admin: bool,
        /// Issued by the built-in PKI (our CA): the longest default expiry.
        ours: bool,
    },
}

impl Identity {
    /// The fingerprint, if any.
    pub fn fingerprint(&self) -> Option<&str> {
        match self {
            Self::Anonymous => None,
            Self::Cert { fingerprint, .. } => Some(fingerprint),
        }
    }

    /// Whether this is a configured admin.
    pub fn is_admin(&self) -> bool {
        matches!(self, Self::Cert { admin: true, .. })
    }

    /// The expiry tier: certificates issued by this server's own PKI get the longest default,
    /// certificates from elsewhere the middle one.
    pub fn expiry_tier(&self) -> paste_core::expiry::Tier {
        match self {
            Self::Anonymous => paste_core::expiry::Tier::Anonymous,
            Self::Cert { ours: true, .. } => paste_core::expiry::Tier::OurPki,
            Self::Cert { .. } => paste_core::expiry::Tier::Certificate,
        }
    }
}

/// Whether the request came through the trusted proxy; `Err` on a wrong secret.
pub fn proxy_trusted(parts: &Parts, state: &AppState) -> Result<bool, ApiError> {
    if !state.config.trust_proxy {
        return Ok(false);
    }
    let Some(secret) = &state.config.proxy_secret else {
        // Trusted without a secret: warned about at start-up.
        return Ok(true);
    };
    match parts.headers.get(headers::PROXY_SECRET) {
        None => Ok(false),
        Some(sent) => {
            if bool::from(sent.as_bytes().ct_eq(secret.expose_secret().as_bytes())) {
                Ok(true)
            } else {
                Err(problem(
                    StatusCode::FORBIDDEN,
                    "proxy_secret_invalid",
                    "Invalid proxy secret",
                ))
            }
        }
    }
}

impl<S> FromRequestParts<S> for Identity
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let native = parts
            .extensions
            .get::<ConnInfo>()
            .and_then(|c| c.client_cert_sha1.clone());
        let fingerprint = match native {
            Some(fp) => Some(fp),
            None => from_proxy(parts, &state)?,
        };
        Ok(match fingerprint {
            None => Self::Anonymous,
            Some(fingerprint) => {
                let standing = state.pki.as_ref().and_then(|p| p.standing(&fingerprint));
                // Native mTLS already refused a revoked certificate; this catches one vouched
                // for by a proxy whose CRL is stale.
                if standing.is_some_and(|s| s.revoked) {
                    return Err(problem(
                        StatusCode::FORBIDDEN,
                        "certificate_revoked",
                        "This client certificate has been revoked",
                    ));
                }
                let admin =
                    state.config.is_admin(&fingerprint) || standing.is_some_and(|s| s.admin);
                Self::Cert {
                    fingerprint,
                    admin,
                    ours: standing.is_some(),
                }
            }
        })
    }
}

fn from_proxy(parts: &Parts, state: &AppState) -> Result<Option<String>, ApiError> {
    let Some(value) = parts.headers.get(headers::SSL_CLIENT_SHA1) else {
        return Ok(None);
    };
    if !proxy_trusted(parts, state)? {
        tracing::warn!("ignored X-SSL-Client-SHA1 from an untrusted client");
        return Ok(None);
    }
    let fp = value
        .to_str()
        .map(|s| s.trim().to_ascii_lowercase().replace(':', ""))
        .ok()
        .filter(|s| is_fingerprint(s))
        .ok_or_else(|| {
            problem(
                StatusCode::BAD_REQUEST,
                "invalid_client_fingerprint",
                "X-SSL-Client-SHA1 is not a SHA-1 fingerprint",
            )
        })?;
    Ok(Some(fp))
}

/// The client's address: the socket peer, or the proxy's `X-Forwarded-For` when trusted.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub std::net::IpAddr);

impl<S> FromRequestParts<S> for ClientAddr
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let peer = parts
            .extensions
            .get::<ConnInfo>()
            .map(|c| c.peer)
            .ok_or_else(|| ApiError::Internal("connection info missing".into()))?;
        let trusted = proxy_trusted(parts, &state)?;
        Ok(Self(platform::client_ip::client_ip(
            peer,
            &parts.headers,
            trusted,
        )))
    }
}
