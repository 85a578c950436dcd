//! One structured log line and one histogram observation per request.
//!
//! The line carries the route template (never the raw path: paste ids are capabilities), the
//! status, `duration_ms` and the request id. A server error's internal cause, which the response
//! body never shows, is logged here, once.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::metrics::HttpMetrics;
use crate::problem::InternalCause;
use crate::request_id::RequestId;

/// The route label used for requests that matched no route.
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// Middleware: logs the request and records its duration.
pub async fn request_log(
    State(metrics): State<Option<HttpMetrics>>,
    req: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED_ROUTE, MatchedPath::as_str)
        .to_owned();
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map(|id| id.as_str().to_owned())
        .unwrap_or_default();
    let res = next.run(req).await;
    let elapsed = started.elapsed();
    let status = res.status();
    if let Some(metrics) = &metrics {
        metrics.observe(method.as_str(), &route, status.as_u16(), elapsed);
    }
    let request_id = request_id.as_str();
    // Microsecond resolution is plenty and keeps log lines short.
    let duration_ms = (elapsed.as_secs_f64() * 1_000_000.0).round() / 1000.0;
    if let Some(InternalCause(cause)) = res.extensions().get::<InternalCause>() {
        tracing::error!(
            request_id,
            method = %method,
            route,
            status = status.as_u16(),
            duration_ms,
            cause,
            "request failed"
        );
    } else {
        tracing::info!(
            request_id,
            method = %method,
            route,
            status = status.as_u16(),
            duration_ms,
            "request"
        );
    }
    res
}
