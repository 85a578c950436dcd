//! The middleware stack, assembled in one place and in one fixed order.

use std::convert::Infallible;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::Request;
use axum::response::Response;
use http::{HeaderValue, Method, StatusCode, header};
use tower::util::{Either, future::EitherResponseFuture};
use tower::{Service, ServiceBuilder};
use tower_http::cors::{self, AllowOrigin, Cors, CorsLayer};

use crate::envelope::{Envelope, EnvelopeFuture, EnvelopeLayer, EnvelopeService};
pub use crate::envelope::{LINGER_MAX_BYTES, linger, too_large};
use crate::error_reporting::ErrorReporter;
use crate::metrics::HttpMetrics;
use crate::problem::Problem;
use crate::route_label::LabelRoutesLayer;
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

/// An application inside the whole stack, the only kind of service [`crate::serve::serve`]
/// serves: the envelope (the private `platform::envelope`) outermost, so every answer passes
/// through it, then CORS, then the application.
#[derive(Clone)]
pub struct App<T = Router>(EnvelopeService<Either<Cors<T>, T>>);

impl<T> std::fmt::Debug for App<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("App")
    }
}

/// The response future of [`App`].
pub type AppFuture<F> = EnvelopeFuture<EitherResponseFuture<cors::ResponseFuture<F>, F>>;

impl<T, B> Service<http::Request<B>> for App<T>
where
    T: Service<Request, Response = Response, Error = Infallible>,
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = AppFuture<T::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        // Most requests (reads) carry no body, and an empty one needs no boxing.
        self.0.call(req.map(|body| {
            if body.is_end_stream() {
                Body::empty()
            } else {
                Body::new(body)
            }
        }))
    }
}

/// `router` with what the stack expects of it ([`routes`]), inside the whole stack ([`stack`]).
pub fn layers(router: Router, cfg: LayerConfig) -> App {
    stack(routes(router), cfg)
}

/// Adds what the stack expects of a router: the problem-details fallbacks for unknown paths and
/// methods, and every response labelled with the route template that answered it (the request
/// log and the histogram read the label; see [`crate::route_label`]). [`layers`] calls it; a
/// service that puts something in front of its router calls it before [`stack`].
pub fn routes<S>(router: Router<S>) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(LabelRoutesLayer)
}

/// Wraps `app` in the whole stack, outermost first, so every later layer's answer is seen by the
/// earlier ones:
/// 1. the envelope (the private `platform::envelope`): request id before anything logs; body
///    bounds (an oversize `Content-Length` refused without running the handler, streamed bodies cut off at
///    the limit, idle gaps between chunks timed out); the whole-request timeout; panic catching
///    (a panic becomes a problem-details 500, the connection survives); and on every response,
///    errors included, security headers, the echoed id, the duration histogram, the log line
///    and the error report (panics and internal errors, when configured);
/// 2. CORS: closed unless origins are configured.
///
/// The stack wraps the application once, not each route: per-route layers cost a clone of the
/// route and a boxed future per layer and request.
pub fn stack<T>(app: T, cfg: LayerConfig) -> App<T>
where
    T: Service<Request, Response = Response, Error = Infallible>,
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
    App(ServiceBuilder::new()
        .layer(envelope)
        .option_layer(cors)
        .service(app))
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
