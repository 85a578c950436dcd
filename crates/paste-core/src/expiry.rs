//! Paste lifetimes: the server's defaults and caps, and the `X-Expiry` header value.

use std::num::ParseIntError;

/// Lifetime policy in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpiryPolicy {
    /// Default lifetime of an anonymous paste.
    pub default_anon: u64,
    /// Default lifetime of an authenticated paste.
    pub default_auth: u64,
    /// Cap on any requested lifetime.
    pub max: u64,
}

/// An `X-Expiry` value that is not a positive whole number of seconds.
#[derive(Debug, thiserror::Error)]
#[error("X-Expiry must be a positive whole number of seconds")]
pub struct InvalidExpiry(#[from] Option<ParseIntError>);

impl ExpiryPolicy {
    /// The lifetime for a paste given the optional header and whether the creator is known.
    pub fn lifetime(
        &self,
        requested: Option<&str>,
        authenticated: bool,
    ) -> Result<u64, InvalidExpiry> {
        let default = if authenticated {
            self.default_auth
        } else {
            self.default_anon
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
        max: 7200,
    };

    #[test]
    fn caps_and_defaults() {
        assert_eq!(P.lifetime(None, false).ok(), Some(3600));
        assert_eq!(P.lifetime(None, true).ok(), Some(7200));
        assert_eq!(P.lifetime(Some("60"), false).ok(), Some(60));
        assert_eq!(P.lifetime(Some("999999"), false).ok(), Some(7200));
        for bad in ["0", "-5", "1h", "", "1e3"] {
            assert!(P.lifetime(Some(bad), false).is_err(), "{bad}");
        }
    }
}
