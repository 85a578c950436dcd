//! The middleware stack, assembled in one place and in one fixed order.

use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, Method, StatusCode, header};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::timeout::TimeoutBody;

use crate::metrics::HttpMetrics;
use crate::problem::Problem;
use crate::request_id::request_id;
use crate::request_log::request_log;
use crate::security_headers::{SecurityHeaders, security_headers};

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
        }
    }
}

/// Wraps `router` with the whole stack and the problem-details fallbacks.
///
/// Outermost first, so every later layer's answer is seen by the earlier ones:
/// 1. request id: established before anything logs;
/// 2. request log and metrics: see the final status, panics and timeouts included;
/// 3. security headers: on every response, errors included;
/// 4. panic catching: a panic becomes a problem-details 500, the connection survives;
/// 5. timeout of the whole request;
/// 6. body bounds: refuse an oversize `Content-Length` before reading, cut streamed bodies off
///    at the limit, and time out idle gaps between body chunks;
/// 7. CORS: closed unless origins are configured.
pub fn layers<S>(router: Router<S>, cfg: LayerConfig) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let cors = cors(&cfg.cors_origins);
    let stack = ServiceBuilder::new()
        .layer(from_fn(request_id))
        .layer(from_fn_with_state(cfg.metrics.clone(), request_log))
        .layer(from_fn_with_state(
            SecurityHeaders { hsts: cfg.hsts },
            security_headers,
        ))
        .layer(CatchPanicLayer::custom(|_| {
            Problem::internal("handler panicked").into_response()
        }))
        .layer(from_fn_with_state(cfg.request_timeout, request_timeout))
        .layer(from_fn_with_state(
            BodyBounds {
                max_bytes: cfg.max_body_bytes,
                idle: cfg.body_idle_timeout,
            },
            body_bounds,
        ))
        .option_layer(cors);
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

async fn request_timeout(State(limit): State<Duration>, req: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(res) => res,
        Err(_) => Problem::new(
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            "Request took too long",
        )
        .into_response(),
    }
}

#[derive(Debug, Clone, Copy)]
struct BodyBounds {
    max_bytes: u64,
    idle: Duration,
}

async fn body_bounds(State(bounds): State<BodyBounds>, req: Request, next: Next) -> Response {
    let max = bounds.max_bytes;
    let announced = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > max) {
        return too_large(max).into_response();
    }
    let req = req.map(|body| {
        axum::body::Body::new(TimeoutBody::new(
            bounds.idle,
            http_body_util::Limited::new(body, usize::try_from(max).unwrap_or(usize::MAX)),
        ))
    });
    next.run(req).await
}

/// The 413 problem for a body over `max` bytes.
pub fn too_large(max: u64) -> Problem {
    Problem::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("Content exceeds the maximum size of {max} bytes"),
    )
    .with("max_size", max)
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
