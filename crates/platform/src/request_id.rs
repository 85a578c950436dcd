//! X-Request-ID: accept a well-formed one from the client or a trusted proxy, otherwise generate
//! a UUID; echo it on the response; put it in the request extensions for handlers and logs.

use std::sync::Arc;

use http::{HeaderName, HeaderValue};

/// The header name, as FlaskPaste and most proxies spell it.
pub static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest accepted client-supplied id; anything longer is replaced rather than truncated.
const MAX_LEN: usize = 128;

/// The request id of the current request, as a request and response extension; cloning it
/// shares the string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(Arc<str>);

impl RequestId {
    /// The id as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Accepts ids of `[A-Za-z0-9._:-]` up to 128 characters; log injection needs none of the rest.
pub fn is_acceptable(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

/// The acceptable id the client sent, or a fresh UUID, with its header value.
pub fn establish(headers: &http::HeaderMap) -> (RequestId, HeaderValue) {
    if let Some(sent) = headers
        .get(&X_REQUEST_ID)
        .filter(|v| v.to_str().is_ok_and(is_acceptable))
    {
        let text = sent.to_str().unwrap_or_default();
        return (RequestId(text.into()), sent.clone());
    }
    let mut buf = uuid::Uuid::encode_buffer();
    let text: &str = uuid::Uuid::new_v4().hyphenated().encode_lower(&mut buf);
    // A hyphenated UUID is always a valid header value.
    let value = HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static("-"));
    (RequestId(text.into()), value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_ids_are_accepted() {
        assert!(is_acceptable("abc-123_x.y:z"));
        assert!(!is_acceptable(""));
        assert!(!is_acceptable("a b"));
        assert!(!is_acceptable("line\nbreak"));
        assert!(!is_acceptable(&"x".repeat(129)));
    }
}
