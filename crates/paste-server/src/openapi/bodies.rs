//! Bodies the handlers read or write without a `paste-api` type (FlaskPaste's shapes), described
//! for the document only.

use utoipa::ToSchema;

/// `POST /` with `Content-Type: application/json`: the content as a string.
#[derive(Debug, ToSchema)]
pub struct PasteJson {
    /// The paste content.
    pub content: String,
}

/// `POST /s` with `Content-Type: application/json`: the target.
#[derive(Debug, ToSchema)]
pub struct ShortenJson {
    /// An absolute `http(s)` URL.
    pub url: String,
}

/// `GET /health` body (FlaskPaste's shape).
#[derive(Debug, ToSchema)]
pub struct Health {
    /// `healthy` (200) or `unhealthy` (503).
    #[schema(pattern = "^(healthy|unhealthy)$")]
    pub status: String,
    /// `ok` or `error`; never error text.
    #[schema(pattern = "^(ok|error)$")]
    pub database: String,
}

/// `POST /pki/ca` answer (201): the new certificate authority.
#[derive(Debug, ToSchema)]
pub struct CaCreated {
    /// The CA's common name.
    pub common_name: String,
    /// SHA-1 fingerprint of the CA certificate.
    pub fingerprint_sha1: String,
    /// Unix seconds.
    pub created_at: i64,
    /// notAfter of the CA certificate, Unix seconds.
    pub expires_at: i64,
    /// Path of the CA certificate download, URL prefix included.
    pub download: String,
}
