//! X-Request-ID: accept a well-formed one from the client or a trusted proxy, otherwise generate
//! a UUID; echo it on the response; put it in the request extensions for handlers and logs.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use http::{HeaderName, HeaderValue};

/// The header name, as FlaskPaste and most proxies spell it.
pub static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest accepted client-supplied id; anything longer is replaced rather than truncated.
const MAX_LEN: usize = 128;

/// The request id of the current request, as a request and response extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

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

/// Middleware: establishes the request id and echoes it.
pub async fn request_id(mut req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(&X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_acceptable(v))
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned);
    let id = RequestId(id);
    if let Ok(value) = HeaderValue::from_str(id.as_str()) {
        req.headers_mut().insert(X_REQUEST_ID.clone(), value);
    }
    req.extensions_mut().insert(id.clone());
    let mut res = next.run(req).await;
    if let Ok(value) = HeaderValue::from_str(id.as_str()) {
        res.headers_mut().insert(X_REQUEST_ID.clone(), value);
    }
    res.extensions_mut().insert(id);
    res
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
