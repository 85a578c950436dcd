//! Authentication and authorisation: passwords, sessions, CSRF, API tokens, roles, the access
//! check every route passes, sign-in backoff and OpenID Connect.

pub mod access;
pub mod csrf;
pub mod jwt;
pub mod lockout;
pub mod password;
pub mod role;
pub mod session;

/// 32 random bytes, URL-safe base64 without padding (session ids, CSRF tokens, state, nonce).
pub fn random_token() -> String {
    use base64::Engine as _;
    use rand::RngCore as _;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Hex SHA-256 of `s`.
pub fn sha256_hex(s: &str) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(s.as_bytes()))
}

/// Constant-time equality of two strings.
pub fn same(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq as _;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}
