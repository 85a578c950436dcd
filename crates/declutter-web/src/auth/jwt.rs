//! API access tokens: HS256 JWTs valid for 15 minutes, carrying the account's token version.
//! Bumping the version (sign-out, password change, role change) revokes every token issued
//! before; the `jti` names one token in the audit log.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// Lifetime of an access token.
pub const TTL_SECS: i64 = 15 * 60;
const ISSUER: &str = "declutter";
const AUDIENCE: &str = "declutter-api";

/// The claims we issue.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// Account id.
    pub sub: String,
    /// Token id.
    pub jti: String,
    /// Token version at issue.
    pub ver: i64,
    /// Issued at.
    pub iat: i64,
    /// Expiry.
    pub exp: i64,
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
}

/// A token that does not verify.
#[derive(Debug, thiserror::Error)]
#[error("invalid access token")]
pub struct JwtError;

/// Signs and verifies access tokens.
#[derive(Clone)]
pub struct TokenSigner {
    enc: EncodingKey,
    dec: DecodingKey,
}

impl std::fmt::Debug for TokenSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenSigner")
    }
}

impl TokenSigner {
    /// A signer keyed with `secret` (at least 32 bytes are expected).
    pub fn new(secret: &[u8]) -> Self {
        Self {
            enc: EncodingKey::from_secret(secret),
            dec: DecodingKey::from_secret(secret),
        }
    }

    /// Issues a token for `sub` at version `ver`; returns it with its claims.
    pub fn issue(&self, sub: &str, ver: i64, now: i64) -> Result<(String, Claims), JwtError> {
        let claims = Claims {
            sub: sub.to_owned(),
            jti: uuid::Uuid::new_v4().to_string(),
            ver,
            iat: now,
            exp: now + TTL_SECS,
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.enc)
            .map_err(|_| JwtError)?;
        Ok((token, claims))
    }

    /// Verifies signature, algorithm, expiry, issuer and audience.
    pub fn verify(&self, token: &str) -> Result<Claims, JwtError> {
        let mut v = Validation::new(Algorithm::HS256);
        v.set_issuer(&[ISSUER]);
        v.set_audience(&[AUDIENCE]);
        v.leeway = 5;
        v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        jsonwebtoken::decode::<Claims>(token, &self.dec, &v)
            .map(|d| d.claims)
            .map_err(|_| JwtError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issues_and_refuses_tampering() -> Result<(), JwtError> {
        let s = TokenSigner::new(&[7; 32]);
        let now = crate::db::now();
        let (t, c) = s.issue("u1", 3, now)?;
        assert_eq!(s.verify(&t)?.ver, 3);
        assert_eq!(c.exp - c.iat, TTL_SECS);
        assert!(TokenSigner::new(&[8; 32]).verify(&t).is_err());
        let (old, _) = s.issue("u1", 3, now - 3600)?;
        assert!(s.verify(&old).is_err());
        Ok(())
    }
}
