//! The fpaste domain, free of HTTP.
//!
//! Paste ids and delete tokens ([`id`]), what content is ([`content`]: MIME sniffing, active
//! content, entropy; [`sniff`] the same a chunk at a time), display names ([`display_name`]), the proof-of-work verifier ([`pow`]),
//! password hashing ([`password`]), lifetimes ([`expiry`]), the clock they are measured by
//! ([`clock`]) and the SQLite store ([`store`]) with its embedded migrations.

pub mod clock;
pub mod content;
pub mod display_name;
pub mod expiry;
pub mod id;
pub mod password;
pub mod pow;
pub mod short_url;
pub mod sniff;
pub mod store;

/// Seconds since the Unix epoch, the unit every timestamp of the API uses.
pub fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
