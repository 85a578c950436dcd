//! Cross-site request forgery defences for cookie-authenticated requests: the Origin (or, when
//! absent, Referer) must be our public origin, and a synchronizer token must be echoed in the
//! `X-CSRF-Token` header or the `csrf` form field. Signed-in requests compare against the
//! session's token; sign-in and sign-up compare against a pre-session cookie (double submit).

use http::{HeaderMap, Method, header};

/// Header carrying the token for scripts.
pub const HEADER: &str = "x-csrf-token";
/// Form field carrying the token.
pub const FIELD: &str = "csrf";

/// Methods that change state and so need the checks.
pub fn needs_check(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Whether the request's Origin, else Referer, is `origin` (scheme://host:port). A request
/// with neither is refused: every browser we support sends Origin on POST.
pub fn origin_ok(headers: &HeaderMap, origin: &str) -> bool {
    if let Some(o) = headers.get(header::ORIGIN) {
        return o.to_str().is_ok_and(|o| o == origin);
    }
    headers
        .get(header::REFERER)
        .and_then(|r| r.to_str().ok())
        .and_then(|r| reqwest::Url::parse(r).ok())
        .is_some_and(|u| u.origin().ascii_serialization() == origin)
}

/// The token sent in the form body (`application/x-www-form-urlencoded`).
pub fn from_form(body: &[u8]) -> Option<String> {
    url_pairs(body).find(|(k, _)| k == FIELD).map(|(_, v)| v)
}

fn url_pairs(body: &[u8]) -> impl Iterator<Item = (String, String)> + '_ {
    reqwest::Url::parse("http://x/")
        .ok()
        .map(|mut u| {
            u.set_query(std::str::from_utf8(body).ok());
            u.query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
        .into_iter()
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn origin_and_referer() {
        let o = "http://127.0.0.1:8080";
        let mut h = HeaderMap::new();
        assert!(!origin_ok(&h, o));
        h.insert(
            header::REFERER,
            HeaderValue::from_static("http://127.0.0.1:8080/login?x=1"),
        );
        assert!(origin_ok(&h, o));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://evil.example"),
        );
        assert!(!origin_ok(&h, o));
        h.insert(header::ORIGIN, HeaderValue::from_static("null"));
        assert!(!origin_ok(&h, o));
    }

    #[test]
    fn every_method_but_the_safe_three_needs_a_check() {
        for safe in [Method::GET, Method::HEAD, Method::OPTIONS] {
            assert!(!needs_check(&safe), "{safe}");
        }
        let custom = Method::from_bytes(b"PROPPATCH").unwrap();
        for unsafe_method in [
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::TRACE,
            Method::CONNECT,
            custom,
        ] {
            assert!(needs_check(&unsafe_method), "{unsafe_method}");
        }
    }

    #[test]
    fn reads_form_field() {
        assert_eq!(from_form(b"a=1&csrf=ab%2Bc&b=2").as_deref(), Some("ab+c"));
        assert_eq!(from_form(b"a=1"), None);
    }
}
