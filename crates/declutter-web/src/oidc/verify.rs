//! ID token verification.

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use super::OidcError;

/// Who signed in.
#[derive(Debug, Clone)]
pub struct Identity {
    /// The issuer as verified (Microsoft: with the tenant filled in).
    pub issuer: String,
    /// Stable subject at that issuer.
    pub subject: String,
    /// Email claim, if any (display and new-account only; never used to link accounts).
    pub email: Option<String>,
    /// Name claim.
    pub name: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Claims {
    iss: String,
    sub: String,
    nonce: Option<String>,
    tid: Option<String>,
    email: Option<String>,
    name: Option<String>,
}

/// Verifies `token`: signature by a key of `jwks` with an asymmetric algorithm, `aud`,
/// `exp`, the issuer (exact, or `{tenantid}` replaced by the token's `tid`), and `nonce`.
pub fn id_token(
    token: &str,
    jwks: &JwkSet,
    issuer: &str,
    client_id: &str,
    nonce: &str,
) -> Result<Identity, OidcError> {
    let bad = |m: &str| OidcError::Token(m.to_owned());
    let header = jsonwebtoken::decode_header(token).map_err(|_| bad("header"))?;
    if !matches!(header.alg, Algorithm::RS256 | Algorithm::ES256) {
        return Err(bad("algorithm"));
    }
    let kid = header.kid.ok_or_else(|| bad("no kid"))?;
    let jwk = jwks.find(&kid).ok_or_else(|| bad("unknown kid"))?;
    let key = DecodingKey::from_jwk(jwk).map_err(|_| bad("jwk"))?;
    let mut v = Validation::new(header.alg);
    v.set_audience(&[client_id]);
    v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    v.leeway = 60;
    let claims = jsonwebtoken::decode::<Claims>(token, &key, &v)
        .map_err(|e| OidcError::Token(e.to_string()))?
        .claims;
    let expected = if issuer.contains("{tenantid}") {
        let tid = claims
            .tid
            .as_deref()
            .filter(|t| !t.is_empty())
            .ok_or_else(|| bad("no tid"))?;
        issuer.replace("{tenantid}", tid)
    } else {
        issuer.to_owned()
    };
    if claims.iss != expected {
        return Err(bad("issuer"));
    }
    if !claims
        .nonce
        .as_deref()
        .is_some_and(|n| crate::auth::same(n, nonce))
    {
        return Err(bad("nonce"));
    }
    Ok(Identity {
        issuer: claims.iss,
        subject: claims.sub,
        email: claims.email,
        name: claims.name,
    })
}
