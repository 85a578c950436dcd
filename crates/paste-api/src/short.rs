//! `/s` bodies: short URLs, one page at a time, and the answer to a deletion.

use serde::{Deserialize, Serialize};

/// One short URL (`POST /s` answers it with `201`; `GET /s` lists them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShortUrl {
    /// The short id.
    pub id: String,
    /// Path of the redirect, URL prefix included (`/s/{id}`).
    pub url: String,
    /// Where the redirect leads: an absolute `http(s)` URL.
    pub target_url: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds; `null` only when the server keeps items forever.
    pub expires_at: Option<i64>,
    /// Fingerprint of the authenticated creator; `null` for an anonymous one.
    pub owner: Option<String>,
    /// Token an anonymous creator sends as `X-Delete-Token` to delete it (on create only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_token: Option<String>,
}

/// `GET /s` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShortUrlList {
    /// Items on this page.
    pub count: usize,
    /// This page, newest first.
    pub urls: Vec<ShortUrl>,
    /// Matches across all pages.
    pub total: u64,
    /// Page size used.
    pub limit: u32,
    /// Items skipped.
    pub offset: u32,
}

/// The answer to a successful `DELETE` of a paste or a short URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Deleted {
    /// `Paste deleted` or `Short URL deleted`, as FlaskPaste words it.
    pub message: String,
    /// The id that is gone.
    pub id: String,
}

/// `POST /admin/cleanup` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Purged {
    /// Expired pastes removed.
    pub purged: usize,
    /// Their content bytes.
    pub bytes: u64,
}
