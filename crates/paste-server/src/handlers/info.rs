//! `GET /`: what this server is, what it accepts, and what the caller may still store.

use axum::Json;
use axum::extract::State;
use paste_api::ServerInfo;
use paste_api::types::Limits;
use paste_core::now_unix;
use paste_core::store::MAX_VIEWS;
use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::identity::{ClientAddr, Identity};
use crate::state::AppState;

/// API information, with the caller's quota.
#[utoipa::path(
    get,
    path = "/",
    operation_id = "getInfo",
    tag = "meta",
    responses(
        (status = 200, description = "What the server is and accepts: the OpenAPI document's \
            path, limits, features, and the caller's own quota", body = paste_api::ServerInfo),
        (status = 400, response = crate::openapi::problems::Problem400),
        (status = 403, response = crate::openapi::problems::Problem403),
    )
)]
pub async fn info(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    identity: Identity,
) -> Result<Json<ServerInfo>, ApiError> {
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
        (
            format!("GET {p}/openapi.json"),
            "OpenAPI 3.1 document: every route, header and problem code",
        ),
        (format!("GET {p}/health"), "Health check"),
        (format!("GET {p}/client"), "Download the fpaste client"),
    ] {
        endpoints.insert(route, Value::from(what));
    }
    if c.pki.enabled {
        for (route, what) in [
            (
                format!("GET {p}/pki/status"),
                "The built-in PKI: CA and counts",
            ),
            (
                format!("GET {p}/pki/ca.crt"),
                "The PKI's CA certificate (PEM)",
            ),
            (
                format!("GET {p}/pki/crl"),
                "The PKI's revocation list (PEM)",
            ),
            (
                format!("POST {p}/register"),
                "A client certificate as PKCS#12 (proof of work: GET /register/challenge)",
            ),
            (
                format!("POST {p}/csr"),
                "Sign a PEM CSR (same proof of work)",
            ),
        ] {
            endpoints.insert(route, Value::from(what));
        }
    }
    let now = now_unix();
    let quota = match crate::quota::for_caller(c, &identity, ip, now) {
        None => None,
        Some(quota) => {
            let used = state.store.usage(quota.scope.clone(), now).await?;
            Some(crate::quota::status(&quota, used))
        }
    };
    let mut features = vec!["max_views", "burn_confirm", "short_urls", "openapi"];
    if state.pow.enabled() {
        features.push("pow");
    }
    if c.scanner.is_some() {
        features.push("malware_scan");
    }
    let unlimited = paste_core::store::QuotaLimits {
        bytes: 0,
        pastes: 0,
    };
    if c.quota != unlimited || c.anon_quota != unlimited {
        features.push("quotas");
    }
    if c.require_identity {
        features.push("require_identity");
    }
    if c.pki.enabled {
        features.push("pki");
    }
    Ok(Json(ServerInfo {
        name: "fpaste".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        endpoints,
        openapi: format!("{p}/openapi.json"),
        limits: Limits {
            max_anon_size: c.max_anon,
            max_auth_size: c.max_auth,
            min_size: c.min_size,
            default_expiry: c.expiry_anon,
            max_expiry: c.max_expiry,
            min_entropy: c.min_entropy,
            min_entropy_size: c.min_entropy_size,
            pow_enabled: state.pow.enabled(),
            identity_required: c.require_identity,
            max_views: MAX_VIEWS,
            quota_bytes: c.quota.bytes,
            quota_pastes: c.quota.pastes,
            anon_quota_bytes: c.anon_quota.bytes,
            anon_quota_pastes: c.anon_quota.pastes,
        },
        features: features.into_iter().map(str::to_owned).collect(),
        quota,
    }))
}
