//! Targets for what fpasted parses: the proof-of-work headers, request header values as the
//! handlers read them, and the MIME sniffing of uploaded bytes.

use http::{HeaderMap, HeaderValue};
use paste_core::content::{detect_mime, is_active, serving_type, shannon_entropy};
use paste_core::expiry::{ExpiryPolicy, Tier};
use paste_core::pow::{PowError, PowPolicy, ProofOfWork};
use paste_core::{display_name, password};
use platform::request_id;

/// A time inside the range the server's clock gives.
const NOW: i64 = 1_700_000_000;

/// `X-PoW-Token`, a newline, then `X-PoW-Solution`: parsed and checked by the server's own
/// verifier. No input can forge its HMAC, so every answer is a refusal, and never a panic.
pub fn pow_token(data: &[u8]) {
    let (token, solution) = match data.iter().position(|&b| b == b'\n') {
        Some(at) => (&data[..at], Some(&data[at + 1..])),
        None => (data, None),
    };
    // As the handler reads them: header values that are visible ASCII, else a 400 before this.
    let token = HeaderValue::from_bytes(token).ok();
    let solution = solution.and_then(|s| HeaderValue::from_bytes(s).ok());
    let token = token.as_ref().and_then(|v| v.to_str().ok());
    let solution = solution.as_ref().and_then(|v| v.to_str().ok());
    let policy = PowPolicy {
        base_difficulty: 4,
        ttl_secs: 300,
        flood_threshold: 0,
    };
    let Ok(pow) = ProofOfWork::new(&[7; 32], policy) else {
        panic!("a 32-byte secret is long enough");
    };
    let refused = pow.verify(token, solution, NOW);
    assert!(
        matches!(
            refused,
            Err(PowError::Missing | PowError::Malformed | PowError::Forged)
        ),
        "{token:?} / {solution:?}: {refused:?}"
    );
}

/// One header value given to every header parser, as the handlers call them.
pub fn header_values(data: &[u8]) {
    let Ok(value) = HeaderValue::from_bytes(data) else {
        return;
    };
    request_id_header(&value);
    // `X-Display-Name` is read as UTF-8 (names need not be ASCII).
    if let Ok(text) = std::str::from_utf8(value.as_bytes()) {
        display_name_header(text);
    }
    // The others are refused unless visible ASCII (`header_checked`).
    let Ok(text) = value.to_str() else {
        return;
    };
    let policy = ExpiryPolicy {
        default_anon: 3600,
        default_auth: 86_400,
        default_pki: 5000,
        max: 7200,
    };
    if let Ok(secs) = policy.lifetime(Some(text), Tier::Anonymous) {
        assert!(
            (1..=policy.max).contains(&secs),
            "X-Expiry {text:?}: {secs}"
        );
    }
    if let Some(flag) = paste_api::headers::parse_flag(text) {
        let word = text.trim().to_ascii_lowercase();
        let words: &[&str] = if flag {
            &["true", "1", "yes"]
        } else {
            &["false", "0", "no"]
        };
        assert!(
            words.contains(&word.as_str()),
            "flag {text:?} read as {flag}"
        );
    }
    assert_eq!(
        password::validate(text).is_ok(),
        (1..=password::MAX_PASSWORD_LEN).contains(&text.len()),
        "password of {} bytes",
        text.len()
    );
}

/// The request id kept is always an acceptable one, and a client's acceptable id is kept as is.
fn request_id_header(value: &HeaderValue) {
    let mut headers = HeaderMap::new();
    headers.insert(request_id::X_REQUEST_ID.clone(), value.clone());
    let (id, echoed) = request_id::establish(&headers);
    assert!(request_id::is_acceptable(id.as_str()), "{:?}", id.as_str());
    assert_eq!(echoed.as_bytes(), id.as_str().as_bytes());
    if let Ok(sent) = value.to_str()
        && request_id::is_acceptable(sent)
    {
        assert_eq!(id.as_str(), sent);
    }
}

/// A kept name is trimmed, bounded, printable, and parses to itself.
fn display_name_header(text: &str) {
    if let Ok(Some(name)) = display_name::parse(text) {
        assert!(name.chars().count() <= display_name::MAX_CHARS);
        assert!(!name.chars().any(char::is_control), "{name:?}");
        assert_eq!(name, name.trim());
        assert_eq!(display_name::parse(&name), Ok(Some(name.clone())));
    }
}

/// Types a browser runs script in, written out here as the oracle (the server's own list is
/// what is under test).
const SCRIPTABLE: [&str; 8] = [
    "text/html",
    "application/xhtml+xml",
    "image/svg+xml",
    "text/xml",
    "application/xml",
    "text/javascript",
    "application/javascript",
    "application/pdf",
];

/// Uploaded bytes: whatever they are, they are served as a type no browser runs, in a valid
/// header, with an entropy between 0 and 8 bits per byte.
pub fn mime_sniff(data: &[u8]) {
    let mime = detect_mime(data);
    assert!(!mime.is_empty());
    let served = serving_type(&mime);
    assert!(!is_active(&served), "{mime} served as {served}");
    let essence = served.split(';').next().unwrap_or_default().trim();
    assert!(
        !SCRIPTABLE.iter().any(|s| s.eq_ignore_ascii_case(essence))
            && !essence.to_ascii_lowercase().ends_with("+xml"),
        "{mime} served as {served}"
    );
    assert!(HeaderValue::from_str(&served).is_ok(), "{served:?}");
    let entropy = shannon_entropy(data);
    assert!((0.0..=8.0).contains(&entropy), "{entropy}");
}
