//! Cookies built by one helper with secure defaults, and read back from a `Cookie` header.
//!
//! Defaults follow the `__Host-` prefix rules (RFC 6265bis): `Secure`, `Path=/`, no `Domain`,
//! plus `HttpOnly` and `SameSite=Lax`. Browsers treat `http://localhost` and `127.0.0.1` as
//! secure contexts, so the same cookie works on a plain-HTTP loopback development server.

use http::{HeaderMap, HeaderValue, header};

/// The `SameSite` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SameSite {
    /// Sent on top-level navigations from other sites, not on their sub-requests or POSTs.
    Lax,
    /// Never sent on cross-site requests.
    Strict,
}

/// A `Set-Cookie` value under construction; secure unless told otherwise.
#[derive(Debug, Clone)]
pub struct CookieBuilder {
    name: String,
    value: String,
    http_only: bool,
    secure: bool,
    same_site: SameSite,
    max_age_secs: Option<i64>,
}

/// Refused cookie names or values (anything outside RFC 6265 `token` / `cookie-octet`).
#[derive(Debug, thiserror::Error)]
#[error("invalid cookie name or value")]
pub struct CookieError;

impl CookieBuilder {
    /// A session cookie `name=value`: HttpOnly, Secure, SameSite=Lax, Path=/.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            value: value.into(),
            http_only: true,
            secure: true,
            same_site: SameSite::Lax,
            max_age_secs: None,
        }
    }

    /// A cookie that deletes `name` (empty value, `Max-Age=0`, same attributes).
    pub fn removal(name: impl Into<String>) -> Self {
        Self::new(name, "").max_age(0)
    }

    /// Sets `Max-Age` in seconds (a persistent cookie).
    #[must_use]
    pub fn max_age(mut self, secs: i64) -> Self {
        self.max_age_secs = Some(secs);
        self
    }

    /// Sets `SameSite`.
    #[must_use]
    pub fn same_site(mut self, same_site: SameSite) -> Self {
        self.same_site = same_site;
        self
    }

    /// Drops `Secure`; only for plain HTTP that is not loopback, and never with `__Host-`.
    #[must_use]
    pub fn insecure(mut self) -> Self {
        self.secure = false;
        self
    }

    /// Lets scripts read the cookie; only for values that are not secrets.
    #[must_use]
    pub fn readable_by_scripts(mut self) -> Self {
        self.http_only = false;
        self
    }

    /// The `Set-Cookie` header value.
    pub fn build(&self) -> Result<HeaderValue, CookieError> {
        let name_ok = !self.name.is_empty()
            && self
                .name
                .bytes()
                .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b));
        let value_ok = self
            .value
            .bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'"' | b',' | b';' | b'\\'));
        // A `__Host-` cookie without `Secure` is dropped by browsers; refuse to build one.
        let prefix_ok = self.secure || !self.name.starts_with("__Host-");
        if !(name_ok && value_ok && prefix_ok) {
            return Err(CookieError);
        }
        let mut out = format!("{}={}; Path=/", self.name, self.value);
        if let Some(age) = self.max_age_secs {
            out.push_str(&format!("; Max-Age={age}"));
        }
        if self.secure {
            out.push_str("; Secure");
        }
        if self.http_only {
            out.push_str("; HttpOnly");
        }
        out.push_str(match self.same_site {
            SameSite::Lax => "; SameSite=Lax",
            SameSite::Strict => "; SameSite=Strict",
        });
        HeaderValue::from_str(&out).map_err(|_| CookieError)
    }
}

/// The value of cookie `name` in the request's `Cookie` headers, if present exactly once.
///
/// A name sent twice is treated as absent: an attacker able to plant a cookie on a sibling
/// host must not shadow ours (the reason `__Host-` exists).
pub fn read(headers: &HeaderMap, name: &str) -> Option<String> {
    let mut found = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned());
    let first = found.next()?;
    found.next().is_none().then_some(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_secure() -> Result<(), CookieError> {
        let v = CookieBuilder::new("__Host-s", "abc").build()?;
        assert_eq!(
            v.to_str().unwrap_or_default(),
            "__Host-s=abc; Path=/; Secure; HttpOnly; SameSite=Lax"
        );
        assert!(
            CookieBuilder::new("__Host-s", "x")
                .insecure()
                .build()
                .is_err()
        );
        assert!(CookieBuilder::new("s", "a;b").build().is_err());
        let gone = CookieBuilder::removal("s").build()?;
        assert!(gone.to_str().unwrap_or_default().contains("Max-Age=0"));
        Ok(())
    }

    #[test]
    fn reads_one_value_and_refuses_duplicates() {
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, HeaderValue::from_static("a=1; b=2"));
        assert_eq!(read(&h, "b").as_deref(), Some("2"));
        assert_eq!(read(&h, "c"), None);
        h.append(header::COOKIE, HeaderValue::from_static("b=3"));
        assert_eq!(read(&h, "b"), None);
    }
}
