//! Paste links: turning `ID`, `ID#key` or a full URL into a server, an id and an optional key,
//! and building URLs whose fragment carries the key (fragments never reach the server).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use url::Url;

use crate::envelope::{KEY_LEN, Key};
use crate::error::{CliError, Result};

/// What a `get` or `delete` argument points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Server base URL, URL prefix included, without a trailing slash.
    pub base: Url,
    /// The paste id.
    pub id: String,
    /// The decryption key from the fragment, if any.
    pub key: Option<Key>,
}

/// Encodes a key for a URL fragment: base64url without padding.
pub fn encode_key(key: &Key) -> String {
    URL_SAFE_NO_PAD.encode(key.as_bytes())
}

/// Decodes a fragment into a key.
pub fn decode_key(fragment: &str) -> Result<Key> {
    let bad = || CliError::Decrypt("the URL fragment is not a valid fpaste key".into());
    let bytes = URL_SAFE_NO_PAD
        .decode(fragment.trim_end_matches('='))
        .map_err(|_| bad())?;
    let bytes: [u8; KEY_LEN] = bytes.try_into().map_err(|_| bad())?;
    Ok(Key::from_bytes(bytes))
}

/// Whether `id` has the shape of a paste id (URL-safe characters only).
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Parses a `get`/`delete` argument; a bare id is resolved against `default_base`.
pub fn parse_target(arg: &str, default_base: &Url) -> Result<Target> {
    if arg.contains("://") {
        let url =
            Url::parse(arg).map_err(|e| CliError::Usage(format!("invalid URL {arg:?}: {e}")))?;
        let key = match url.fragment() {
            Some(f) if !f.is_empty() => Some(decode_key(f)?),
            _ => None,
        };
        let mut segments: Vec<&str> = url
            .path_segments()
            .map(|s| s.filter(|s| !s.is_empty()).collect())
            .unwrap_or_default();
        if segments.last() == Some(&"raw") {
            segments.pop();
        }
        let id = segments
            .pop()
            .filter(|id| valid_id(id))
            .ok_or_else(|| CliError::Usage(format!("no paste id in {arg:?}")))?
            .to_owned();
        let mut base = url.clone();
        base.set_fragment(None);
        base.set_query(None);
        base.set_path(&segments.join("/"));
        Ok(Target { base, id, key })
    } else {
        let (id, fragment) = arg.split_once('#').unwrap_or((arg, ""));
        if !valid_id(id) {
            return Err(CliError::Usage(format!(
                "{arg:?} is neither a paste id nor a URL"
            )));
        }
        let key = if fragment.is_empty() {
            None
        } else {
            Some(decode_key(fragment)?)
        };
        Ok(Target {
            base: default_base.clone(),
            id: id.to_owned(),
            key,
        })
    }
}

/// `base` joined with a relative path, keeping any URL prefix in `base`.
pub fn endpoint(base: &Url, rel: &str) -> Url {
    let mut url = base.clone();
    let path = format!(
        "{}/{}",
        base.path().trim_end_matches('/'),
        rel.trim_start_matches('/')
    );
    url.set_path(&path);
    url
}

/// The absolute URL of a path the server returned (it already holds the URL prefix).
pub fn absolute(base: &Url, server_path: &str) -> Url {
    if let Ok(url) = Url::parse(server_path) {
        return url;
    }
    let mut url = base.clone();
    url.set_path(server_path);
    url.set_query(None);
    url.set_fragment(None);
    url
}

/// `url` with the key in its fragment.
pub fn with_key(mut url: Url, key: &Key) -> Url {
    url.set_fragment(Some(&encode_key(key)));
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://paste.example/p").unwrap()
    }

    #[test]
    fn keys_round_trip_through_fragments() {
        let key = Key::generate();
        let enc = encode_key(&key);
        assert_eq!(enc.len(), 43);
        assert!(!enc.contains(['+', '/', '=']));
        assert_eq!(decode_key(&enc).unwrap(), key);
        assert!(decode_key("short").is_err());
        assert!(decode_key(&format!("{enc}AA")).is_err());
    }

    #[test]
    fn parses_urls_with_prefix_raw_and_fragment() {
        let key = Key::generate();
        let url = format!(
            "https://h.example:8443/pre/fix/abc_123/raw#{}",
            encode_key(&key)
        );
        let t = parse_target(&url, &base()).unwrap();
        assert_eq!(t.base.as_str(), "https://h.example:8443/pre/fix");
        assert_eq!(t.id, "abc_123");
        assert_eq!(t.key, Some(key));
        let t = parse_target("http://127.0.0.1:5000/xyz", &base()).unwrap();
        assert_eq!(
            (t.base.as_str(), t.id.as_str(), t.key),
            ("http://127.0.0.1:5000/", "xyz", None)
        );
        assert!(parse_target("http://h.example/", &base()).is_err());
        assert!(parse_target("http://h.example/a#notakey", &base()).is_err());
    }

    proptest::proptest! {
        #[test]
        fn any_key_survives_a_link(bytes in proptest::array::uniform32(0u8..), id in "[A-Za-z0-9_-]{1,24}") {
            let key = Key::from_bytes(bytes);
            let url = with_key(endpoint(&base(), &id), &key);
            let t = parse_target(url.as_str(), &base()).unwrap();
            proptest::prop_assert_eq!(t.key, Some(key));
            proptest::prop_assert_eq!(t.id, id);
            proptest::prop_assert_eq!(t.base, base());
        }

        #[test]
        fn parsing_never_panics(arg in "\\PC{0,40}") {
            let _ = parse_target(&arg, &base());
        }
    }

    #[test]
    fn parses_bare_ids() {
        let t = parse_target("Ab-9_", &base()).unwrap();
        assert_eq!((t.base, t.id.as_str(), t.key), (base(), "Ab-9_", None));
        let key = Key::generate();
        let t = parse_target(&format!("abc#{}", encode_key(&key)), &base()).unwrap();
        assert_eq!(t.key, Some(key));
        for bad in ["", "a/b", "../x", "a b", "a?b"] {
            assert!(parse_target(bad, &base()).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn builds_endpoints_under_the_prefix() {
        assert_eq!(
            endpoint(&base(), "abc/raw").as_str(),
            "https://paste.example/p/abc/raw"
        );
        let root = Url::parse("http://127.0.0.1:1/").unwrap();
        assert_eq!(
            endpoint(&root, "/challenge").as_str(),
            "http://127.0.0.1:1/challenge"
        );
        assert_eq!(
            absolute(&base(), "/p/abc").as_str(),
            "https://paste.example/p/abc"
        );
        let key = Key::generate();
        let linked = with_key(absolute(&base(), "/p/abc"), &key);
        assert_eq!(parse_target(linked.as_str(), &root).unwrap().key, Some(key));
    }
}
