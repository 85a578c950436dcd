//! Static assets compiled into the binary and served under content-hashed names
//! (`/static/app.<hash>.css`), so they can be cached for a year and never go stale.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, header};
use sha2::Digest as _;

use crate::error::ApiError;
use crate::state::AppState;

const FILES: &[(&str, &str, &[u8])] = &[
    (
        "app.css",
        "text/css; charset=utf-8",
        include_bytes!("../static/app.css"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../static/app.js"),
    ),
    (
        "swagger-ui-bundle.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../static/swagger/swagger-ui-bundle.js"),
    ),
    (
        "swagger-ui.css",
        "text/css; charset=utf-8",
        include_bytes!("../static/swagger/swagger-ui.css"),
    ),
    (
        "swagger-init.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../static/swagger-init.js"),
    ),
    (
        "logo.svg",
        "image/svg+xml",
        include_bytes!("../static/logo.svg"),
    ),
];

/// The asset table: logical name → hashed URL, and hashed name → content.
#[derive(Debug)]
pub struct Assets {
    urls: HashMap<&'static str, String>,
    files: HashMap<String, (&'static str, &'static [u8])>,
}

impl Assets {
    /// Hashes every asset.
    pub fn new() -> Self {
        let mut urls = HashMap::new();
        let mut files = HashMap::new();
        for (name, mime, bytes) in FILES {
            let hash = hex::encode(&sha2::Sha256::digest(bytes)[..6]);
            let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
            let hashed = format!("{stem}.{hash}.{ext}");
            urls.insert(*name, format!("/static/{hashed}"));
            files.insert(hashed, (*mime, *bytes));
        }
        Self { urls, files }
    }

    /// The URL of `name` (e.g. `app.css`).
    pub fn url(&self, name: &str) -> &str {
        self.urls
            .get(name)
            .map_or("/static/missing", String::as_str)
    }
}

impl Default for Assets {
    fn default() -> Self {
        Self::new()
    }
}

/// `GET /static/{file}`: immutable for a year, since the name changes with the content.
pub async fn serve(
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response, ApiError> {
    let (mime, bytes) = state.assets.files.get(&file).ok_or(ApiError::NotFound)?;
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    Ok(res)
}
