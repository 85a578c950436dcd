//! RFC 9457 problem details: the one error body shape of every API.
//!
//! Each problem carries a stable machine-readable `code`, the request id, and, for clients
//! written against FlaskPaste, an `error` member with the human message. The internal cause of a
//! server error never reaches the body: it travels in a response extension, [`InternalCause`],
//! which the request-log middleware logs once with the request id.

use axum::Json;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use serde::Serialize;
use serde_json::{Map, Value};

/// Media type of a problem-details body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An API error as RFC 9457 problem details.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Problem {
    /// A URI reference naming the problem type; ours are relative `urn`-style tags.
    #[serde(rename = "type")]
    #[cfg_attr(feature = "openapi", schema(pattern = "^urn:problem:[a-z_]+$"))]
    pub kind: String,
    /// Short summary of the problem type.
    pub title: String,
    /// The HTTP status code.
    #[cfg_attr(feature = "openapi", schema(minimum = 400, maximum = 599))]
    pub status: u16,
    /// Human-readable explanation of this occurrence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Stable machine-readable code, e.g. `paste_not_found`.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[a-z_]+$"))]
    pub code: String,
    /// FlaskPaste-compatible message member.
    pub error: String,
    /// Extension members (e.g. `entropy`, `min_entropy`), documented per problem by each service.
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", schema(ignore))]
    pub extensions: Map<String, Value>,
    #[serde(skip)]
    retry_after_secs: Option<u64>,
    #[serde(skip)]
    cause: Option<String>,
}

/// The internal cause of a 5xx response, for the log only.
#[derive(Debug, Clone)]
pub struct InternalCause(pub String);

impl Problem {
    /// A problem with `status`, a stable `code` and a human message.
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self {
            kind: format!("urn:problem:{code}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: Some(message.clone()),
            code: code.to_owned(),
            error: message,
            extensions: Map::new(),
            retry_after_secs: None,
            cause: None,
        }
    }

    /// A 500 whose body says nothing about `cause`; the cause is logged by the request log.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        let mut p = Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Internal server error",
        );
        p.cause = Some(cause.to_string());
        p
    }

    /// A 503 for a dependency that is temporarily unavailable; the cause is logged only.
    pub fn unavailable(cause: impl std::fmt::Display) -> Self {
        let mut p = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Service temporarily unavailable",
        );
        p.cause = Some(cause.to_string());
        p
    }

    /// Adds an extension member.
    #[must_use]
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.extensions.insert(key.to_owned(), value.into());
        self
    }

    /// Sets a `Retry-After` header (seconds, at least 1).
    #[must_use]
    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after_secs = Some(secs.max(1));
        self.extensions
            .insert("retry_after".into(), Value::from(secs.max(1)));
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code, self.error)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status();
        let retry = self.retry_after_secs;
        let cause = self.cause.clone();
        let mut res = (status, Json(self)).into_response();
        res.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let Some(secs) = retry {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if let Some(cause) = cause {
            res.extensions_mut().insert(InternalCause(cause));
        }
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_hide_their_cause() -> Result<(), Box<dyn std::error::Error>> {
        let p = Problem::internal("disk I/O error at /var/secret/path");
        let body = serde_json::to_string(&p)?;
        assert!(!body.contains("secret"));
        assert!(body.contains("\"error\":\"Internal server error\""));
        let res = p.into_response();
        assert_eq!(
            res.headers().get(header::CONTENT_TYPE),
            Some(&HeaderValue::from_static(PROBLEM_JSON))
        );
        let cause = res.extensions().get::<InternalCause>();
        assert!(cause.is_some_and(|c| c.0.contains("secret")));
        Ok(())
    }
}
