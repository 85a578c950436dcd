//! The documented error bodies of the cloud APIs, reduced to what the engine acts on: a
//! message for people and a machine-readable reason.
//!
//! - Graph: `{"error":{"code":"accessDenied","message":"…","innerError":{…}}}`: the reason is
//!   `code` (a string).
//! - Drive: `{"error":{"code":403,"message":"…","errors":[{"domain":"global",
//!   "reason":"insufficientFilePermissions","message":"…"}]}}`: the reason is the first
//!   `errors[].reason` (`code` is the HTTP status again).
//! - OAuth token endpoints (RFC 6749 §5.2): `{"error":"invalid_grant","error_description":…}`.

use serde::Deserialize;

/// What an error body says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApiError {
    /// Human-readable message (at most 200 characters of the body when it is not JSON).
    pub message: String,
    /// Machine-readable reason (`accessDenied`, `userRateLimitExceeded`, `invalid_grant`…).
    pub reason: Option<String>,
}

#[derive(Deserialize)]
struct Envelope {
    error: ErrorField,
    error_description: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ErrorField {
    Object(ErrorObject),
    Code(String),
}

#[derive(Deserialize)]
struct ErrorObject {
    #[serde(default)]
    code: Option<serde_json::Value>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    errors: Vec<ErrorItem>,
}

#[derive(Deserialize)]
struct ErrorItem {
    reason: Option<String>,
}

impl ApiError {
    /// Reads an error body of any of the three documented shapes.
    pub fn parse(body: &str) -> Self {
        let fallback = || Self {
            message: body.chars().take(200).collect(),
            reason: None,
        };
        let Ok(env) = serde_json::from_str::<Envelope>(body) else {
            return fallback();
        };
        match env.error {
            ErrorField::Code(code) => Self {
                message: env.error_description.unwrap_or_else(|| code.clone()),
                reason: Some(code),
            },
            ErrorField::Object(o) => {
                let reason = o
                    .errors
                    .into_iter()
                    .find_map(|e| e.reason)
                    .or_else(|| o.code.and_then(|c| c.as_str().map(str::to_owned)));
                Self {
                    message: o.message.unwrap_or_default(),
                    reason,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_graph_drive_and_oauth_errors() {
        let graph = ApiError::parse(
            r#"{"error":{"code":"accessDenied","message":"Access denied","innerError":{"date":"2024-01-01T00:00:00","request-id":"x"}}}"#,
        );
        assert_eq!(graph.reason.as_deref(), Some("accessDenied"));
        assert_eq!(graph.message, "Access denied");
        let drive = ApiError::parse(
            r#"{"error":{"code":403,"message":"Rate","errors":[{"domain":"usageLimits","reason":"userRateLimitExceeded","message":"Rate"}]}}"#,
        );
        assert_eq!(drive.reason.as_deref(), Some("userRateLimitExceeded"));
        let oauth = ApiError::parse(r#"{"error":"invalid_grant","error_description":"expired"}"#);
        assert_eq!(oauth.reason.as_deref(), Some("invalid_grant"));
        assert_eq!(oauth.message, "expired");
        let text = ApiError::parse("<html>bad gateway</html>");
        assert_eq!(
            (text.reason, text.message.as_str()),
            (None, "<html>bad gateway</html>")
        );
    }
}
