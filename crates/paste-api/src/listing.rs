//! `GET /pastes` and `GET /s` bodies: an owner's pastes, one page at a time.

use serde::{Deserialize, Serialize};

/// One paste in a listing. Unlike [`crate::PasteInfo`], every flag is always present, as in
/// FlaskPaste's listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PasteListItem {
    /// The paste id.
    pub id: String,
    /// Detected MIME type.
    pub mime_type: String,
    /// Content length in bytes.
    pub size: u64,
    /// Unix seconds.
    pub created_at: i64,
    /// ISO-8601 (UTC), as FlaskPaste's listing gives it; `null` for no expiry.
    pub expires_at: Option<String>,
    /// The same instant in unix seconds, like every other time of this API.
    pub expires_at_unix: Option<i64>,
    /// Single-read paste.
    pub burn_after_read: bool,
    /// A password protects the paste.
    pub password_protected: bool,
    /// The owner's label, `null` when unnamed.
    pub display_name: Option<String>,
    /// Owner fingerprint.
    pub owner: Option<String>,
    /// Path of the paste.
    pub url: String,
    /// Path of the raw content.
    pub raw: String,
}

/// `GET /pastes` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PasteList {
    /// This page, newest first.
    pub pastes: Vec<PasteListItem>,
    /// Items on this page.
    pub count: usize,
    /// Matches across all pages.
    pub total: u64,
    /// Page size used.
    pub limit: u32,
    /// Items skipped.
    pub offset: u32,
}
