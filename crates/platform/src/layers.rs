//! The middleware stack, assembled in one place and in one fixed order.

use std::time::Duration;

use axum::Router;
use http::{HeaderValue, Method, StatusCode, header};
use tower::ServiceBuilder;
use tower_http::cors::{AllowOrigin, CorsLayer};

pub use crate::envelope::too_large;
use crate::envelope::{Envelope, EnvelopeLayer};
use crate::error_reporting::ErrorReporter;
use crate::metrics::HttpMetrics;
use crate::problem::Problem;
use crate::security_headers::SecurityHeaders;

/// What the stack needs to know about the service.
#[derive(Debug, Clone)]
pub struct LayerConfig {
    /// Upper bound on handling one request, body upload included.
    pub request_timeout: Duration,
    /// Upper bound on the gap between two chunks of a request body (slow-loris uploads).
    pub body_idle_timeout: Duration,
    /// Bodies announced larger than this are refused with 413 before any byte is read; streamed
    /// bodies are cut off at it.
    pub max_body_bytes: u64,
    /// Send HSTS (set when the service speaks TLS itself or sits behind a TLS proxy).
    pub hsts: bool,
    /// Origins allowed for cross-origin requests; empty means none (the default).
    pub cors_origins: Vec<HeaderValue>,
    /// Where to record request durations.
    pub metrics: Option<HttpMetrics>,
    /// Where to report panics and internal errors (Sentry); `None` reports nothing.
    pub error_reporter: Option<ErrorReporter>,
}

impl Default for LayerConfig {
    fn default() -> Self {
        Self {
            request_timeout: Duration::from_secs(60),
            body_idle_timeout: Duration::from_secs(15),
            max_body_bytes: 10 * 1024 * 1024,
            hsts: false,
            cors_origins: Vec::new(),
            metrics: None,
            error_reporter: None,
        }
    }
}

/// Wraps `router` with the whole stack and the problem-details fallbacks.
///
/// Outermost first, so every later layer's answer is seen by the earlier ones:
/// 1. the envelope ([`crate::envelope`]): request id before anything logs; body bounds (an
///    oversize `Content-Length` refused before reading, streamed bodies cut off at the limit,
///    idle gaps between chunks timed out); the whole-request timeout; panic catching (a panic
///    becomes a problem-details 500, the connection survives); and on every response, errors
///    included, security headers, the echoed id, the duration histogram, the log line and the
///    error report (panics and internal errors, when configured);
/// 2. CORS: closed unless origins are configured.
pub fn layers<S>(router: Router<S>, cfg: LayerConfig) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let cors = cors(&cfg.cors_origins);
    let envelope = EnvelopeLayer::new(Envelope {
        request_timeout: cfg.request_timeout,
        body_idle_timeout: cfg.body_idle_timeout,
        max_body_bytes: cfg.max_body_bytes,
        security: SecurityHeaders { hsts: cfg.hsts },
        metrics: cfg.metrics,
        reporter: cfg.error_reporter,
    });
    let stack = ServiceBuilder::new().layer(envelope).option_layer(cors);
    router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(stack)
}

async fn not_found() -> Problem {
    Problem::new(StatusCode::NOT_FOUND, "not_found", "Not found")
}

async fn method_not_allowed() -> Problem {
    Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "Method not allowed",
    )
}

fn cors(origins: &[HeaderValue]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins.iter().cloned()))
            .allow_methods([Method::GET, Method::HEAD, Method::POST, Method::DELETE])
            .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION])
            .max_age(Duration::from_secs(600)),
    )
}
