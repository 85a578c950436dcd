//! X-Request-ID: accept a well-formed one from the client or a trusted proxy, otherwise generate
//! a UUID; echo it on the response; put it in the request extensions for handlers and logs.

use std::sync::Arc;

use http::{HeaderName, HeaderValue};

/// The header name, as FlaskPaste and most proxies spell it.
pub static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest accepted client-supplied id; anything longer is replaced rather than truncated.
const MAX_LEN: usize = 128;

/// The request id of the current request, as a request and response extension. A generated id
/// is held inline (cloning it copies 36 bytes, allocates nothing); a client's shares its string.
#[derive(Debug, Clone)]
pub struct RequestId(Repr);

#[derive(Debug, Clone)]
enum Repr {
    Generated([u8; uuid::fmt::Hyphenated::LENGTH]),
    Given(Arc<str>),
}

impl RequestId {
    /// The id as a string.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            // Written from a hyphenated UUID, so always ASCII.
            Repr::Generated(text) => std::str::from_utf8(text).unwrap_or_default(),
            Repr::Given(text) => text,
        }
    }
}

impl PartialEq for RequestId {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for RequestId {}

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
        return (RequestId(Repr::Given(text.into())), sent.clone());
    }
    let mut text = [0; uuid::fmt::Hyphenated::LENGTH];
    uuid::Uuid::new_v4().hyphenated().encode_lower(&mut text);
    // A hyphenated UUID is always a valid header value.
    let value = HeaderValue::from_bytes(&text).unwrap_or_else(|_| HeaderValue::from_static("-"));
    (RequestId(Repr::Generated(text)), value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_id_is_a_uuid_and_its_header_value() {
        let (id, value) = establish(&http::HeaderMap::new());
        assert_eq!(id.as_str().len(), 36);
        assert!(
            uuid::Uuid::parse_str(id.as_str()).is_ok(),
            "{}",
            id.as_str()
        );
        assert_eq!(value, id.as_str());
        let (other, _) = establish(&http::HeaderMap::new());
        assert_ne!(id, other);
    }

    #[test]
    fn only_plain_ids_are_accepted() {
        assert!(is_acceptable("abc-123_x.y:z"));
        assert!(!is_acceptable(""));
        assert!(!is_acceptable("a b"));
        assert!(!is_acceptable("line\nbreak"));
        assert!(!is_acceptable(&"x".repeat(129)));
    }
}
