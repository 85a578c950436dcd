//! Security headers after OWASP's REST security cheat sheet.
//!
//! Set on every response unless a handler chose its own value (for instance a raw paste's
//! sandboxing CSP, or the HTML pages of the web app); `if absent` is the only relaxation.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http::{HeaderName, HeaderValue, header};

/// Whether to send `Strict-Transport-Security`; only meaningful over HTTPS.
#[derive(Debug, Clone, Copy, Default)]
pub struct SecurityHeaders {
    /// Send HSTS (one year, subdomains).
    pub hsts: bool,
}

const DEFAULTS: [(HeaderName, &str); 8] = [
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; frame-ancestors 'none'",
    ),
    (header::CACHE_CONTROL, "no-store"),
    (header::REFERRER_POLICY, "no-referrer"),
    (
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    ),
    (
        HeaderName::from_static("cross-origin-resource-policy"),
        "same-origin",
    ),
    (
        HeaderName::from_static("permissions-policy"),
        "accelerometer=(), camera=(), geolocation=(), microphone=(), payment=(), usb=()",
    ),
];

/// Middleware: adds the headers a response does not already carry.
pub async fn security_headers(
    State(cfg): State<SecurityHeaders>,
    req: Request,
    next: Next,
) -> Response {
    let mut res = next.run(req).await;
    let headers = res.headers_mut();
    for (name, value) in &DEFAULTS {
        if !headers.contains_key(name) {
            headers.insert(name.clone(), HeaderValue::from_static(value));
        }
    }
    if cfg.hsts && !headers.contains_key(header::STRICT_TRANSPORT_SECURITY) {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    res
}
