//! The service's one error type: every failure a handler can return, mapped to a problem.

use axum::response::{IntoResponse, Response};
use http::StatusCode;
use paste_core::pow::PowError;
use paste_core::store::StoreError;
use platform::Problem;

/// What a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A ready-made problem (validation and policy refusals).
    #[error("{0}")]
    Problem(Box<Problem>),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Proof of work refused.
    #[error(transparent)]
    Pow(#[from] PowError),
    /// Anything else unexpected.
    #[error("{0}")]
    Internal(String),
}

impl From<Problem> for ApiError {
    fn from(p: Problem) -> Self {
        Self::Problem(Box::new(p))
    }
}

/// Shorthand for a client-error problem.
pub fn problem(status: StatusCode, code: &str, message: impl Into<String>) -> ApiError {
    ApiError::Problem(Box::new(Problem::new(status, code, message)))
}

/// The 404 every unknown, expired or already burned paste gets alike.
pub fn not_found() -> ApiError {
    problem(StatusCode::NOT_FOUND, "paste_not_found", "Paste not found")
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            Self::Problem(p) => p.into_response(),
            Self::Store(e) if e.is_busy() => Problem::unavailable(e).into_response(),
            Self::Store(e) => Problem::internal(e).into_response(),
            Self::Pow(e) => {
                let status = match e {
                    PowError::Saturated => StatusCode::SERVICE_UNAVAILABLE,
                    _ => StatusCode::BAD_REQUEST,
                };
                let code = match e {
                    PowError::Missing => "pow_required",
                    PowError::Malformed => "pow_malformed",
                    PowError::Forged => "pow_invalid",
                    PowError::Expired => "pow_expired",
                    PowError::Insufficient => "pow_insufficient",
                    PowError::Replayed => "pow_replayed",
                    PowError::Saturated => "pow_saturated",
                };
                Problem::new(status, code, e.to_string()).into_response()
            }
            Self::Internal(cause) => Problem::internal(cause).into_response(),
        }
    }
}

/// The 429 of a creation over the per-address rate limit, with `Retry-After` and the
/// `X-RateLimit-*` headers.
pub fn rate_limited(standing: platform::rate_limit::Standing, now: i64) -> Response {
    let mut res = Problem::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        "Too many creations from this address; slow down",
    )
    .retry_after(standing.retry_after(now))
    .into_response();
    standing.apply(res.headers_mut());
    res
}
