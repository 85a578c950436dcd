//! The documented error bodies of both services, so that clients are tested against what the
//! real ones send: Graph's `{"error":{"code","message","innerError":{…}}}` and Drive's
//! `{"error":{"code":N,"message","errors":[{"domain","reason","message"}]}}`.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Which service's error shape a fake speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// Microsoft Graph.
    Graph,
    /// Google Drive v3.
    Drive,
}

/// A Graph error: `code` is the documented string code (`accessDenied`, `itemNotFound`, …).
pub fn graph(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({"error": {"code": code, "message": message, "innerError": {
        "date": "2024-01-01T00:00:00",
        "request-id": "00000000-0000-0000-0000-000000000000",
        "client-request-id": "00000000-0000-0000-0000-000000000000"
    }}});
    (status, Json(body)).into_response()
}

/// A Drive error with one `errors[]` entry; `usageLimits` for quota reasons, else `global`.
pub fn drive(status: StatusCode, reason: &str, message: &str) -> Response {
    let domain = match reason {
        "userRateLimitExceeded" | "rateLimitExceeded" | "dailyLimitExceeded" => "usageLimits",
        _ => "global",
    };
    let body = json!({"error": {"code": status.as_u16(), "message": message,
        "errors": [{"message": message, "domain": domain, "reason": reason}]}});
    (status, Json(body)).into_response()
}

/// The token was missing, unknown or expired.
pub fn unauthorized(flavor: Flavor) -> Response {
    match flavor {
        Flavor::Graph => graph(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            "Access token has expired or is not yet valid.",
        ),
        Flavor::Drive => drive(
            StatusCode::UNAUTHORIZED,
            "authError",
            "Request had invalid authentication credentials.",
        ),
    }
}

/// The token is valid but its scopes do not cover the route.
pub fn scope_denied(flavor: Flavor) -> Response {
    match flavor {
        Flavor::Graph => graph(StatusCode::FORBIDDEN, "accessDenied", "Access denied"),
        Flavor::Drive => drive(
            StatusCode::FORBIDDEN,
            "insufficientPermissions",
            "Request had insufficient authentication scopes.",
        ),
    }
}

/// Adds `Retry-After: secs`.
pub fn with_retry_after(mut resp: Response, secs: Option<u64>) -> Response {
    if let Some(v) = secs.and_then(|s| HeaderValue::from_str(&s.to_string()).ok()) {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}
