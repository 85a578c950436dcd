//! Health answers: liveness does no I/O; readiness reports each dependency as ok or error,
//! never with error text.

use axum::Json;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde_json::{Map, Value, json};

/// The result of checking one dependency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// The dependency answered.
    Ok,
    /// It did not; the cause is logged by the caller, not shown.
    Failed,
}

/// `{"status":"healthy", "<dep>":"ok", ...}` with 200, or `"unhealthy"` with 503 when any
/// dependency failed (the FlaskPaste shape).
pub fn report(checks: &[(&str, Check)]) -> Response {
    let healthy = checks.iter().all(|(_, c)| *c == Check::Ok);
    let mut body = Map::new();
    body.insert(
        "status".into(),
        Value::from(if healthy { "healthy" } else { "unhealthy" }),
    );
    for (name, check) in checks {
        let word = if *check == Check::Ok { "ok" } else { "error" };
        body.insert((*name).to_owned(), Value::from(word));
    }
    let status = if healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(Value::Object(body))).into_response()
}

/// Liveness: the process answers.
pub async fn live() -> Response {
    Json(json!({"status": "alive"})).into_response()
}
