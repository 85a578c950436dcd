//! Errors of the cloud HTTP layer.

use super::token::TokenError;

/// An API call failed for good (after retries and at most one token refresh).
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// No response (connection refused, reset, timeout) after every retry.
    #[error("network error: {0}")]
    Network(#[from] reqwest::Error),
    /// Still throttled after the last retry.
    #[error("still throttled after {attempts} attempts")]
    Throttled {
        /// Attempts made.
        attempts: u32,
    },
    /// The token was refused even after a refresh.
    #[error("access token refused after refresh; sign in again")]
    Unauthorized,
    /// The token source failed.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// Any other error status.
    #[error("HTTP {status}: {message}")]
    Status {
        /// HTTP status code.
        status: u16,
        /// The API's error message (never a token).
        message: String,
        /// The API's machine-readable reason (Graph `error.code`, Drive `errors[].reason`).
        reason: Option<String>,
        /// The `Location` header (Graph's 410 points at a fresh enumeration).
        location: Option<String>,
    },
    /// The body did not match the documented shape.
    #[error("cannot decode response: {0}")]
    Decode(String),
}

impl HttpError {
    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The API's machine-readable reason, when the server gave one.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Self::Status { reason, .. } => reason.as_deref(),
            _ => None,
        }
    }
}
