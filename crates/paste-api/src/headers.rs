//! Request and response header names of the API.

/// Per-paste lifetime in seconds on create, capped at the server maximum.
pub const EXPIRY: &str = "x-expiry";
/// `true` makes the paste single-read.
pub const BURN_AFTER_READ: &str = "x-burn-after-read";
/// Password on create; required on reads of a protected paste.
pub const PASTE_PASSWORD: &str = "x-paste-password";
/// A label for the paste on create and update (at most 128 characters); empty removes it.
pub const DISPLAY_NAME: &str = "x-display-name";
/// The delete token an anonymous creator received, sent on `DELETE`.
pub const DELETE_TOKEN: &str = "x-delete-token";
/// The signed challenge token from `GET /challenge`.
pub const POW_TOKEN: &str = "x-pow-token";
/// The decimal solution to the challenge.
pub const POW_SOLUTION: &str = "x-pow-solution";
/// Client certificate fingerprint set by a TLS-terminating proxy.
pub const SSL_CLIENT_SHA1: &str = "x-ssl-client-sha1";
/// Shared secret proving a request came through the trusted proxy.
pub const PROXY_SECRET: &str = "x-proxy-secret";
/// SHA-256 of the client binary served by `GET /client`.
pub const CLIENT_SHA256: &str = "x-content-sha256";
/// On create: the paste expires after this many reads (1 is burn after read).
pub const MAX_VIEWS: &str = "x-max-views";
/// On create, `true` makes reads count only when confirmed; on a read of such a paste, `true`
/// is the confirmation (a read without it gets a notice and does not count).
pub const BURN_CONFIRM: &str = "x-burn-confirm";
/// On a counted read: reads left after this one.
pub const VIEWS_LEFT: &str = "x-views-left";
/// On create: bytes left in the caller's quota after this paste (absent when unlimited).
pub const QUOTA_REMAINING_BYTES: &str = "x-quota-remaining-bytes";
/// On create: pastes left in the caller's quota after this paste (absent when unlimited).
pub const QUOTA_REMAINING_PASTES: &str = "x-quota-remaining-pastes";
/// On create by an anonymous client: Unix seconds at which its daily quota starts afresh.
pub const QUOTA_RESET: &str = "x-quota-reset";

/// A yes/no header value (`X-Burn-After-Read`, `X-Burn-Confirm`, `X-Remove-Password`):
/// `true`/`false`, `1`/`0` or `yes`/`no`, any case, surrounding whitespace ignored; `None` for
/// anything else, which the server refuses rather than guesses.
pub fn parse_flag(value: &str) -> Option<bool> {
    let value = value.trim();
    let is = |word: &str| value.eq_ignore_ascii_case(word);
    if is("true") || is("1") || is("yes") {
        Some(true)
    } else if is("false") || is("0") || is("no") {
        Some(false)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::parse_flag;

    #[test]
    fn flags_are_the_six_words_in_any_case() {
        for (v, want) in [
            ("true", Some(true)),
            (" YES ", Some(true)),
            ("1", Some(true)),
            ("False", Some(false)),
            ("0", Some(false)),
            ("no\t", Some(false)),
            ("", None),
            ("2", None),
            ("truee", None),
            ("y", None),
        ] {
            assert_eq!(parse_flag(v), want, "{v:?}");
        }
    }
}
