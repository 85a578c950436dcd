//! Targets of the URL shortener: absolute `http`/`https` URLs with a host, no credentials, and
//! a bounded length. The server only ever redirects to them; it never fetches one.

/// Why a target was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    /// Longer than the configured maximum, in bytes.
    #[error("URL exceeds the maximum length of {0} bytes")]
    TooLong(usize),
    /// Not a URL at all.
    #[error("Not a valid URL")]
    Invalid,
    /// A scheme other than http or https.
    #[error("Only http and https URLs can be shortened")]
    Scheme,
    /// `user:password@` in the URL: a classic way to disguise where a link goes.
    #[error("URLs with credentials (user@host) cannot be shortened")]
    Credentials,
}

/// The normalised target, or why it is refused.
pub fn validate(raw: &str, max_bytes: usize) -> Result<String, TargetError> {
    let raw = raw.trim();
    if raw.len() > max_bytes {
        return Err(TargetError::TooLong(max_bytes));
    }
    if raw.is_empty() || raw.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(TargetError::Invalid);
    }
    let url = url::Url::parse(raw).map_err(|_| TargetError::Invalid)?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(TargetError::Scheme);
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(TargetError::Invalid);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(TargetError::Credentials);
    }
    let normalised = url.to_string();
    if normalised.len() > max_bytes {
        return Err(TargetError::TooLong(max_bytes));
    }
    Ok(normalised)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_web_links_pass() {
        assert_eq!(
            validate(" https://example.org/a?b=c ", 2048),
            Ok("https://example.org/a?b=c".into())
        );
        assert_eq!(
            validate("HTTP://Example.org", 2048),
            Ok("http://example.org/".into())
        );
        assert_eq!(
            validate("javascript:alert(1)", 2048),
            Err(TargetError::Scheme)
        );
        assert_eq!(
            validate("file:///etc/passwd", 2048),
            Err(TargetError::Scheme)
        );
        assert_eq!(
            validate("ftp://example.org/", 2048),
            Err(TargetError::Scheme)
        );
        assert_eq!(
            validate("https://bank.example@evil.example/", 2048),
            Err(TargetError::Credentials)
        );
        assert_eq!(validate("not a url", 2048), Err(TargetError::Invalid));
        assert_eq!(
            validate("https://x.org/\u{0}", 2048),
            Err(TargetError::Invalid)
        );
        let long = format!("https://example.org/{}", "a".repeat(2048));
        assert_eq!(validate(&long, 2048), Err(TargetError::TooLong(2048)));
    }
}
