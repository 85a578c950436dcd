//! One structured log line and one histogram observation per request.
//!
//! The line carries the route template (never the raw path: paste ids are capabilities), the
//! status, `duration_ms` and the request id. A server error's internal cause, which the response
//! body never shows, is logged here, once.

use std::time::Instant;

use axum::extract::Request;
use axum::response::Response;
use http::Method;

use crate::metrics::HttpMetrics;
use crate::problem::InternalCause;
use crate::request_id::RequestId;
use crate::route_label::RouteSlot;

/// What the log line needs from the request, taken before the handler consumes it. The id and
/// the route are reference-counted handles: nothing is copied per request.
#[derive(Debug)]
pub struct Started {
    at: Instant,
    method: Method,
    id: Option<RequestId>,
    route: RouteSlot,
}

impl Started {
    /// Notes the start of `req` (after its request id was established), whose route will be
    /// recorded in `route` (see [`crate::route_label`]).
    pub fn of(req: &Request, route: RouteSlot) -> Self {
        Self {
            at: Instant::now(),
            method: req.method().clone(),
            id: req.extensions().get::<RequestId>().cloned(),
            route,
        }
    }

    /// When the request started.
    pub fn at(&self) -> Instant {
        self.at
    }

    /// The request's method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The matched route template, or [`crate::route_label::UNMATCHED_ROUTE`].
    pub fn route(&self) -> &str {
        self.route.get().as_str()
    }

    /// The request id, empty when none was established.
    pub fn request_id(&self) -> &str {
        self.id.as_ref().map_or("", RequestId::as_str)
    }

    /// Records the finished request: one histogram observation and one log line, with the
    /// internal cause of a server error when the response carries one.
    pub fn finish(&self, metrics: Option<&HttpMetrics>, res: &Response) {
        let elapsed = self.at.elapsed();
        let status = res.status();
        let label = self.route.get();
        if let Some(metrics) = metrics {
            metrics.observe(&self.method, label, status.as_u16(), elapsed);
        }
        let route = label.as_str();
        let request_id = self.request_id();
        let method = &self.method;
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
    }
}
