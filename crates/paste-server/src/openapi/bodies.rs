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
