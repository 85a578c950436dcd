//! The fpaste wire contract, kept compatible with FlaskPaste so existing scripts keep working.
//!
//! Header names, JSON bodies and the proof-of-work puzzle live here; both `fpasted` and the
//! `fpaste` client depend on this crate and on nothing of each other.

pub mod headers;
pub mod listing;
pub mod pki;
pub mod pow;
pub mod short;
pub mod types;
pub mod webhook;

pub use listing::{PasteList, PasteListItem};
pub use short::{Deleted, Purged, ShortUrl, ShortUrlList};
pub use types::{Challenge, PasteCreated, PasteInfo, QuotaStatus, ServerInfo};
