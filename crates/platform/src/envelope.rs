//! The per-request envelope: one middleware that does, in order, what every request needs around
//! its handler.
//!
//! On the way in: establish the request id, refuse an oversize `Content-Length` before reading a
//! byte, bound a streamed body (total size and idle gaps between chunks), and start the clock of
//! the whole-request timeout. On the way out, whatever the handler or the layers inside answered
//! (a panic's 500 and a timeout's 408 included): security headers, the echoed request id, the
//! duration histogram, the log line and, when configured, the error report.
//!
//! One layer rather than one per concern because each axum `from_fn` layer boxes its future and
//! clones the inner service; measured on a cached `GET /{id}/raw`, five of them were most of the
//! server's own work per request.

use std::time::Duration;

use axum::body::HttpBody as _;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{StatusCode, header};
use tower_http::timeout::TimeoutBody;

use crate::error_reporting::ErrorReporter;
use crate::metrics::HttpMetrics;
use crate::problem::Problem;
use crate::request_id::{X_REQUEST_ID, establish};
use crate::request_log::Started;
use crate::security_headers::{self, SecurityHeaders};

/// What the envelope enforces and where it records.
#[derive(Debug, Clone)]
pub(crate) struct Envelope {
    pub(crate) request_timeout: Duration,
    pub(crate) body_idle_timeout: Duration,
    pub(crate) max_body_bytes: u64,
    pub(crate) security: SecurityHeaders,
    pub(crate) metrics: Option<HttpMetrics>,
    pub(crate) reporter: Option<ErrorReporter>,
}

/// The middleware; see the module documentation.
pub(crate) async fn envelope(
    State(env): State<Envelope>,
    mut req: Request,
    next: Next,
) -> Response {
    let (id, id_value) = establish(req.headers());
    req.headers_mut()
        .insert(X_REQUEST_ID.clone(), id_value.clone());
    req.extensions_mut().insert(id.clone());
    let started = Started::of(&req);

    let mut res = match bound_body(req, env.max_body_bytes, env.body_idle_timeout) {
        None => too_large(env.max_body_bytes).into_response(),
        Some(req) => match tokio::time::timeout(env.request_timeout, next.run(req)).await {
            Ok(res) => res,
            Err(_) => Problem::new(
                StatusCode::REQUEST_TIMEOUT,
                "request_timeout",
                "Request took too long",
            )
            .into_response(),
        },
    };

    security_headers::apply(res.headers_mut(), env.security);
    res.headers_mut().insert(X_REQUEST_ID.clone(), id_value);
    res.extensions_mut().insert(id);
    if let Some(reporter) = &env.reporter {
        reporter.report_response(&started, &res);
    }
    started.finish(env.metrics.as_ref(), &res);
    res
}

/// `None` for a body announced larger than `max`; otherwise the request, with a body that may
/// still come wrapped so it is cut off at `max` bytes and times out after `idle` without a
/// chunk. Requests without a body (most GETs) pass through untouched.
fn bound_body(req: Request, max: u64, idle: Duration) -> Option<Request> {
    let announced = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > max) {
        return None;
    }
    if req.body().is_end_stream() {
        return Some(req);
    }
    Some(req.map(|body| {
        axum::body::Body::new(TimeoutBody::new(
            idle,
            http_body_util::Limited::new(body, usize::try_from(max).unwrap_or(usize::MAX)),
        ))
    }))
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
