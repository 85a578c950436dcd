//! Security headers after OWASP's REST security cheat sheet.
//!
//! Set on every response unless a handler chose its own value (for instance a raw paste's
//! sandboxing CSP, or the HTML pages of the web app); `if absent` is the only relaxation.

use http::{HeaderMap, HeaderName, HeaderValue, header};

/// Whether to send `Strict-Transport-Security`; only meaningful over HTTPS.
#[derive(Debug, Clone, Copy, Default)]
pub struct SecurityHeaders {
    /// Send HSTS (one year, subdomains).
    pub hsts: bool,
}

/// Checked at compile time, so a response pays for a copy of each pair and nothing else.
const DEFAULTS: [(HeaderName, HeaderValue); 8] = [
    (
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    ),
    (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
    (
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
    ),
    (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
    (
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    ),
    (
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    ),
    (
        HeaderName::from_static("cross-origin-resource-policy"),
        HeaderValue::from_static("same-origin"),
    ),
    (
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static(
            "accelerometer=(), camera=(), geolocation=(), microphone=(), payment=(), usb=()",
        ),
    ),
];

const HSTS: HeaderValue = HeaderValue::from_static("max-age=31536000; includeSubDomains");

/// Adds the headers `headers` does not already carry.
pub fn apply(headers: &mut HeaderMap, cfg: SecurityHeaders) {
    headers.reserve(DEFAULTS.len() + 1);
    for (name, value) in DEFAULTS {
        headers.entry(name).or_insert(value);
    }
    if cfg.hsts {
        headers
            .entry(header::STRICT_TRANSPORT_SECURITY)
            .or_insert(HSTS);
    }
}
