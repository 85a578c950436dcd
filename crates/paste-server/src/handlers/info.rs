//! `GET /`: what this server is and what it accepts.

use axum::Json;
use axum::extract::State;
use paste_api::ServerInfo;
use paste_api::types::Limits;
use serde_json::{Map, Value};

use crate::state::AppState;

/// API information.
pub async fn info(State(state): State<AppState>) -> Json<ServerInfo> {
    let c = &state.config;
    let p = &c.url_prefix;
    let mut endpoints = Map::new();
    for (route, what) in [
        (format!("GET {p}/"), "API information"),
        (
            format!("POST {p}/"),
            "Create a paste (raw body or JSON {\"content\": ...})",
        ),
        (format!("GET {p}/{{id}}"), "Paste metadata"),
        (format!("GET {p}/{{id}}/raw"), "Paste content"),
        (
            format!("DELETE {p}/{{id}}"),
            "Delete a paste (owner, admin or X-Delete-Token)",
        ),
        (format!("GET {p}/challenge"), "Proof-of-work challenge"),
        (format!("GET {p}/health"), "Health check"),
        (format!("GET {p}/client"), "Download the fpaste client"),
    ] {
        endpoints.insert(route, Value::from(what));
    }
    Json(ServerInfo {
        name: "fpaste".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        endpoints,
        limits: Limits {
            max_anon_size: c.max_anon,
            max_auth_size: c.max_auth,
            min_size: c.min_size,
            default_expiry: c.expiry_anon,
            max_expiry: c.max_expiry,
            min_entropy: c.min_entropy,
            min_entropy_size: c.min_entropy_size,
            pow_enabled: state.pow.enabled(),
        },
    })
}
