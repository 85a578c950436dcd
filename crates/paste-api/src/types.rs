//! JSON bodies of the API.

use serde::{Deserialize, Serialize};

/// `201 Created` body of `POST /`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PasteCreated {
    /// The paste id.
    pub id: String,
    /// Path of the metadata resource, URL prefix included (`/{id}`).
    pub url: String,
    /// Path of the raw content (`/{id}/raw`).
    pub raw: String,
    /// Detected MIME type.
    pub mime_type: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds; `None` only when the server keeps pastes forever.
    pub expires_at: Option<i64>,
    /// Fingerprint of the authenticated creator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Present and `true` for single-read pastes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub burn_after_read: Option<bool>,
    /// Present and `true` when a password protects the paste.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_protected: Option<bool>,
    /// Token an anonymous creator sends as `X-Delete-Token` to delete the paste.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_token: Option<String>,
    /// Reads allowed before the paste is gone, when they are counted (1: burn after read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_views: Option<u32>,
    /// Present and `true` when only reads sending `X-Burn-Confirm: true` count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub burn_confirm: Option<bool>,
    /// The `X-Display-Name` the paste was created with, when one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

/// `GET /{id}` body: metadata, never content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PasteInfo {
    /// The paste id.
    pub id: String,
    /// Detected MIME type.
    pub mime_type: String,
    /// Content length in bytes.
    pub size: u64,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub expires_at: Option<i64>,
    /// Path of the raw content.
    pub raw: String,
    /// Present and `true` for single-read pastes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub burn_after_read: Option<bool>,
    /// Present and `true` when a password protects the paste.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_protected: Option<bool>,
    /// Fingerprint of the owner, shown to the owner and admins only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Malware-scan verdict, when scanning is enabled (`clean`, or `skipped: <reason>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scan: Option<String>,
    /// Reads allowed in all, when they are counted (1: burn after read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_views: Option<u32>,
    /// Reads left, when they are counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub views_left: Option<u32>,
    /// Present and `true` when only reads sending `X-Burn-Confirm: true` count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub burn_confirm: Option<bool>,
    /// The owner's label (`X-Display-Name`), when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

/// `GET /challenge` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Challenge {
    /// Whether creation requires a proof of work.
    pub enabled: bool,
    /// Hex nonce to hash with the solution (absent when disabled).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub nonce: String,
    /// Leading zero bits required.
    #[serde(default)]
    pub difficulty: u32,
    /// Unix seconds after which the token is refused (absent when disabled).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub expires: i64,
    /// Signed token to send back as `X-PoW-Token` (absent when disabled).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub token: String,
    /// The configured difficulty before any anti-flood increase (absent when disabled).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_difficulty: Option<u32>,
    /// Whether anti-flood currently raises `difficulty` above `base_difficulty`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elevated: Option<bool>,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

/// `GET /` body: what the server is and accepts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServerInfo {
    /// Service name.
    pub name: String,
    /// Server version.
    pub version: String,
    /// Endpoint summary, `"METHOD path"` to description.
    #[cfg_attr(feature = "openapi", schema(value_type = std::collections::BTreeMap<String, String>))]
    pub endpoints: serde_json::Map<String, serde_json::Value>,
    /// Path of this API's OpenAPI 3.1 document (`/openapi.json`, URL prefix included): every
    /// route, header and problem code, generated from the server's code.
    #[serde(default)]
    pub openapi: String,
    /// Limits and policies in force.
    pub limits: Limits,
    /// Optional behaviours this server offers, by name (`max_views`, `burn_confirm`,
    /// `short_urls`, `openapi`, and when configured `pow`, `malware_scan`, `quotas`,
    /// `require_identity`), so clients discover them instead of guessing.
    #[serde(default)]
    pub features: Vec<String>,
    /// The caller's own quota: what it may still store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota: Option<QuotaStatus>,
}

/// One caller's quota: limits (0 = unlimited), usage and what is left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QuotaStatus {
    /// `certificate` (live pastes of the certificate) or `address` (pastes created by this
    /// anonymous client address today, UTC).
    pub scope: String,
    /// Most bytes; 0 when unlimited.
    pub limit_bytes: u64,
    /// Most pastes; 0 when unlimited.
    pub limit_pastes: u64,
    /// Bytes counted.
    pub used_bytes: u64,
    /// Pastes counted.
    pub used_pastes: u64,
    /// Bytes left; absent when unlimited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining_bytes: Option<u64>,
    /// Pastes left; absent when unlimited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining_pastes: Option<u64>,
    /// Unix seconds at which a daily quota starts afresh.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resets_at: Option<i64>,
}

/// Limits a client needs to know before uploading.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Limits {
    /// Largest anonymous paste in bytes.
    pub max_anon_size: u64,
    /// Largest authenticated paste in bytes.
    pub max_auth_size: u64,
    /// Smallest accepted paste in bytes.
    pub min_size: u64,
    /// Default lifetime in seconds.
    pub default_expiry: u64,
    /// Largest `X-Expiry` honoured.
    pub max_expiry: u64,
    /// Minimum Shannon entropy in bits per byte; 0 when not enforced.
    pub min_entropy: f64,
    /// Pastes shorter than this are exempt from the entropy rule.
    pub min_entropy_size: u64,
    /// Whether `POST /` requires a proof of work.
    pub pow_enabled: bool,
    /// Whether `POST /` requires a client certificate (reading never does).
    #[serde(default)]
    pub identity_required: bool,
    /// Largest `X-Max-Views`.
    #[serde(default)]
    pub max_views: u32,
    /// Bytes of live pastes one certificate may hold; 0 when unlimited.
    #[serde(default)]
    pub quota_bytes: u64,
    /// Live pastes one certificate may hold; 0 when unlimited.
    #[serde(default)]
    pub quota_pastes: u64,
    /// Bytes one anonymous address may create per UTC day; 0 when unlimited.
    #[serde(default)]
    pub anon_quota_bytes: u64,
    /// Pastes one anonymous address may create per UTC day; 0 when unlimited.
    #[serde(default)]
    pub anon_quota_pastes: u64,
}
