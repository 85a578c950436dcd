//! Security headers after OWASP's REST security cheat sheet.
//!
//! Set on every response unless a handler chose its own value (for instance a raw paste's
//! sandboxing CSP, or the HTML pages of the web app); `if absent` is the only relaxation.

use std::sync::LazyLock;

use http::{HeaderMap, HeaderName, HeaderValue, header};

use crate::request_id::X_REQUEST_ID;

/// Whether to send `Strict-Transport-Security`; only meaningful over HTTPS.
#[derive(Debug, Clone, Copy, Default)]
pub struct SecurityHeaders {
    /// Send HSTS (one year, subdomains).
    pub hsts: bool,
}

/// Built at compile time; a static, so reading it copies nothing.
static DEFAULTS: [(HeaderName, HeaderValue); 8] = [
    (
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    ),
    (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
    (
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
    ),
    (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
    (
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    ),
    (
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    ),
    (
        HeaderName::from_static("cross-origin-resource-policy"),
        HeaderValue::from_static("same-origin"),
    ),
    (
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static(
            "accelerometer=(), camera=(), geolocation=(), microphone=(), payment=(), usb=()",
        ),
    ),
];

const HSTS: HeaderValue = HeaderValue::from_static("max-age=31536000; includeSubDomains");

/// The defaults as ready-made maps, with and without HSTS.
static WITHOUT_HSTS: LazyLock<HeaderMap> = LazyLock::new(|| template(false));
static WITH_HSTS: LazyLock<HeaderMap> = LazyLock::new(|| template(true));

fn template(hsts: bool) -> HeaderMap {
    // Room for what a handler and the envelope add, so merging never grows the index.
    let mut map = HeaderMap::with_capacity(DEFAULTS.len() + 8);
    map.extend(DEFAULTS.iter().cloned());
    if hsts {
        map.insert(header::STRICT_TRANSPORT_SECURITY, HSTS);
    }
    map
}

/// The defaults (without HSTS, which [`apply`] adds when configured) as a map to build a response
/// on: a handler that answers many small responses starts from it, and [`apply`] then only has to
/// look its headers up. It also holds an empty `X-Request-ID`, which the envelope fills in: a
/// map cloned from a prepared one has no spare room, and growing it for that one header cost
/// as much as the rest of the copy.
pub fn defaults() -> HeaderMap {
    static BASE: LazyLock<HeaderMap> = LazyLock::new(|| {
        let mut map = WITHOUT_HSTS.clone();
        map.insert(X_REQUEST_ID.clone(), HeaderValue::from_static(""));
        map
    });
    BASE.clone()
}

/// Adds the headers `headers` does not already carry.
///
/// A response built on [`defaults`] costs only the lookups. Otherwise a copy of a prepared map
/// with the response's own headers laid over it costs a third of inserting each default into the
/// response's map (measured with callgrind on a cached raw paste): a response usually carries
/// only two or three headers of its own.
pub fn apply(headers: &mut HeaderMap, cfg: SecurityHeaders) {
    if built_on_defaults(headers) || DEFAULTS.iter().all(|(name, _)| headers.contains_key(name)) {
        if cfg.hsts {
            headers
                .entry(header::STRICT_TRANSPORT_SECURITY)
                .or_insert(HSTS);
        }
        return;
    }
    let mut merged = if cfg.hsts {
        &*WITH_HSTS
    } else {
        &*WITHOUT_HSTS
    }
    .clone();
    let mut last = None;
    for (name, value) in std::mem::take(headers) {
        // `None` continues the previous name: a header with several values.
        match name {
            Some(name) => {
                merged.insert(&name, value);
                last = Some(name);
            }
            None => {
                if let Some(name) = &last {
                    merged.append(name, value);
                }
            }
        }
    }
    *headers = merged;
}

/// Whether `headers` begins with the default names in their order, as a map built on
/// [`defaults`] does (a handler replacing a default's value keeps its place). Proves them all
/// present by comparing names, where looking each up hashes it.
fn built_on_defaults(headers: &HeaderMap) -> bool {
    headers
        .keys()
        .take(DEFAULTS.len())
        .eq(DEFAULTS.iter().map(|(name, _)| name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_response_own_values_win_and_keep_all_their_values() {
        let mut h = HeaderMap::new();
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("max-age=60"),
        );
        h.append(header::SET_COOKIE, HeaderValue::from_static("a=1"));
        h.append(header::SET_COOKIE, HeaderValue::from_static("b=2"));
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        apply(&mut h, SecurityHeaders { hsts: true });

        assert_eq!(h.get_all(header::CACHE_CONTROL).iter().count(), 1);
        assert_eq!(h[header::CACHE_CONTROL], "max-age=60");
        let cookies: Vec<_> = h.get_all(header::SET_COOKIE).iter().collect();
        assert_eq!(cookies, ["a=1", "b=2"]);
        assert_eq!(h[header::CONTENT_TYPE], "text/plain");
        assert_eq!(h[header::X_FRAME_OPTIONS], "DENY");
        assert!(h.contains_key(header::STRICT_TRANSPORT_SECURITY));
        assert_eq!(h.len(), DEFAULTS.len() + 1 + 3);
    }

    #[test]
    fn a_response_built_on_the_defaults_keeps_its_own_values() {
        let mut h = defaults();
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("max-age=60"),
        );
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        apply(&mut h, SecurityHeaders { hsts: true });
        assert_eq!(h[header::CACHE_CONTROL], "max-age=60");
        assert_eq!(h[header::CONTENT_TYPE], "text/plain");
        assert!(h.contains_key(header::STRICT_TRANSPORT_SECURITY));
        assert_eq!(h[&X_REQUEST_ID], "", "left for the envelope to fill");
        assert_eq!(h.len(), DEFAULTS.len() + 3);
    }

    #[test]
    fn a_default_removed_from_a_map_built_on_them_comes_back() {
        let mut h = defaults();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        h.remove(header::X_FRAME_OPTIONS);
        assert!(!built_on_defaults(&h));
        apply(&mut h, SecurityHeaders::default());
        assert_eq!(h[header::X_FRAME_OPTIONS], "DENY");
        assert_eq!(h[header::CONTENT_TYPE], "text/plain");

        let mut h = defaults();
        h.remove("permissions-policy");
        apply(&mut h, SecurityHeaders::default());
        assert!(h.contains_key("permissions-policy"));
        assert!(built_on_defaults(&defaults()));
    }

    #[test]
    fn hsts_only_when_asked() {
        let mut h = HeaderMap::new();
        apply(&mut h, SecurityHeaders::default());
        assert!(!h.contains_key(header::STRICT_TRANSPORT_SECURITY));
        assert_eq!(h.len(), DEFAULTS.len());
    }
}
