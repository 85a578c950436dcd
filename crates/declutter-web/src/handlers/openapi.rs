//! `GET /api/openapi.json`: the OpenAPI 3.1 description of every `/api` route, generated from
//! the handlers ([`super::api_doc`]). A test checks that it lists exactly the `/api` routes of
//! the route table. `GET /api/docs` is the vendored Swagger UI (`static/swagger/`, served from
//! our own hashed assets, no CDN).

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};

use crate::state::AppState;

/// This document.
#[utoipa::path(get, path = "/api/openapi.json", operation_id = "getOpenApi", tag = "docs",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json")))]
pub async fn document() -> Response {
    let mut res = super::api_doc::JSON.as_str().into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    res
}

/// The Swagger UI page.
#[derive(Template)]
#[template(path = "api_docs.html")]
pub struct DocsPage {
    /// Hashed Swagger UI stylesheet.
    pub css: String,
    /// Hashed Swagger UI bundle.
    pub bundle: String,
    /// Hashed initializer.
    pub init: String,
    /// Hashed favicon.
    pub logo: String,
}

/// The page's CSP: the HTML one plus `connect-src 'self'`, the one relaxation Swagger UI needs
/// (it fetches `/api/openapi.json` and sends "Try it out" requests to this origin only).
pub const DOCS_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// This document in Swagger UI (an HTML page).
#[utoipa::path(get, path = "/api/docs", operation_id = "getDocs", tag = "docs",
    responses((status = 200, description = "The Swagger UI page", content_type = "text/html")))]
pub async fn docs(State(state): State<AppState>) -> Response {
    let a = &state.assets;
    let mut res = crate::views::page(
        StatusCode::OK,
        &DocsPage {
            css: a.url("swagger-ui.css").to_owned(),
            bundle: a.url("swagger-ui-bundle.js").to_owned(),
            init: a.url("swagger-init.js").to_owned(),
            logo: a.url("logo.svg").to_owned(),
        },
    );
    res.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(DOCS_CSP),
    );
    res
}
