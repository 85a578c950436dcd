//! Paste lifetimes: the server's defaults and caps, and the `X-Expiry` header value.

use std::num::ParseIntError;

/// Who is creating, for the default lifetime: FlaskPaste's tiered expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    /// No certificate.
    Anonymous,
    /// A certificate issued elsewhere (an admin-configured CA, or a proxy's).
    Certificate,
    /// A certificate issued by this server's own PKI.
    OurPki,
}

/// Lifetime policy in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpiryPolicy {
    /// Default lifetime of an anonymous paste.
    pub default_anon: u64,
    /// Default lifetime of a paste by a certificate from elsewhere.
    pub default_auth: u64,
    /// Default lifetime of a paste by a certificate from this server's PKI.
    pub default_pki: u64,
    /// Cap on any requested lifetime.
    pub max: u64,
}

/// An `X-Expiry` value that is not a positive whole number of seconds.
#[derive(Debug, thiserror::Error)]
#[error("X-Expiry must be a positive whole number of seconds")]
pub struct InvalidExpiry(#[from] Option<ParseIntError>);

impl ExpiryPolicy {
    /// The lifetime for a paste given the optional header and the creator's tier.
    pub fn lifetime(&self, requested: Option<&str>, tier: Tier) -> Result<u64, InvalidExpiry> {
        let default = match tier {
            Tier::Anonymous => self.default_anon,
            Tier::Certificate => self.default_auth,
            Tier::OurPki => self.default_pki,
        };
        let Some(raw) = requested else {
            return Ok(default.min(self.max));
        };
        let secs: u64 = raw.trim().parse().map_err(|e| InvalidExpiry(Some(e)))?;
        if secs == 0 {
            return Err(InvalidExpiry(None));
        }
        Ok(secs.min(self.max))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: ExpiryPolicy = ExpiryPolicy {
        default_anon: 3600,
        default_auth: 86400,
        default_pki: 5000,
        max: 7200,
    };

    #[test]
    fn caps_and_defaults() {
        assert_eq!(P.lifetime(None, Tier::Anonymous).ok(), Some(3600));
        assert_eq!(P.lifetime(None, Tier::Certificate).ok(), Some(7200));
        assert_eq!(P.lifetime(None, Tier::OurPki).ok(), Some(5000));
        assert_eq!(P.lifetime(Some("60"), Tier::Anonymous).ok(), Some(60));
        assert_eq!(P.lifetime(Some("999999"), Tier::OurPki).ok(), Some(7200));
        for bad in ["0", "-5", "1h", "", "1e3"] {
            assert!(P.lifetime(Some(bad), Tier::Anonymous).is_err(), "{bad}");
        }
    }
}
