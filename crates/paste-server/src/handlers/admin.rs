//! The admin API, for configured admin certificates only: statistics, cleanup, listing by
//! owner (deleting any paste goes through the ordinary `DELETE /{id}`). Every action is written
//! to the audit log target.

use axum::Json;
use axum::extract::State;
use http::StatusCode;
use paste_api::PasteInfo;
use paste_core::store::Stats;
use platform::extract::Query;
use platform::tls::is_fingerprint;
use serde::Deserialize;

use super::paste_path;
use crate::error::{ApiError, problem};
use crate::identity::Identity;
use crate::state::AppState;

/// "Expiring soon" means within a day.
const SOON_SECS: i64 = 86_400;
/// Most pastes one listing returns.
const MAX_LIST: u32 = 1000;

/// An admin identity, or 401/403.
#[derive(Debug)]
pub struct Admin(String);

impl Admin {
    pub(crate) fn require(identity: &Identity) -> Result<Self, ApiError> {
        match identity {
            Identity::Anonymous => Err(problem(
                StatusCode::UNAUTHORIZED,
                "authentication_required",
                "Admin endpoints require a client certificate",
            )),
            Identity::Cert { admin: false, .. } => Err(problem(
                StatusCode::FORBIDDEN,
                "admin_required",
                "This certificate is not an admin",
            )),
            Identity::Cert { fingerprint, .. } => Ok(Self(fingerprint.clone())),
        }
    }

    /// The audit-log actor: a fingerprint prefix, enough to tell admins apart, not a credential.
    pub(crate) fn actor(&self) -> &str {
        &self.0[..8.min(self.0.len())]
    }
}

/// `GET /admin/stats`.
#[utoipa::path(
    get,
    path = "/admin/stats",
    operation_id = "adminStats",
    tag = "admin",
    responses(
        (status = 200, description = "Counts and bytes of live, expiring and expired pastes", body = paste_core::store::Stats),
        (status = 400, response = crate::openapi::problems::Problem400),
        (status = 401, response = crate::openapi::problems::Problem401),
        (status = 403, response = crate::openapi::problems::Problem403),
    )
)]
pub async fn stats(
    State(state): State<AppState>,
    identity: Identity,
) -> Result<Json<Stats>, ApiError> {
    let admin = Admin::require(&identity)?;
    let stats = state
        .store
        .stats(state.config.clock.now(), SOON_SECS)
        .await?;
    tracing::info!(target: "audit", actor = admin.actor(), action = "admin.stats", "admin action");
    Ok(Json(stats))
}

/// `POST /admin/cleanup`: purge expired pastes now.
#[utoipa::path(
    post,
    path = "/admin/cleanup",
    operation_id = "adminCleanup",
    tag = "admin",
    responses(
        (status = 200, description = "Expired pastes purged now", body = paste_api::Purged),
        (status = 400, response = crate::openapi::problems::Problem400),
        (status = 401, response = crate::openapi::problems::Problem401),
        (status = 403, response = crate::openapi::problems::Problem403),
    )
)]
pub async fn cleanup(
    State(state): State<AppState>,
    identity: Identity,
) -> Result<Json<paste_api::Purged>, ApiError> {
    let admin = Admin::require(&identity)?;
    let window = i64::try_from(state.config.dedup_window).unwrap_or(i64::MAX);
    let purged = state
        .store
        .purge_expired(state.config.clock.now(), window)
        .await?;
    let bytes: u64 = purged.iter().map(|(_, size)| size).sum();
    state.metrics.expired(purged.len());
    tracing::info!(
        target: "audit",
        actor = admin.actor(),
        action = "admin.cleanup",
        purged = purged.len(),
        bytes,
        "admin action"
    );
    Ok(Json(paste_api::Purged {
        purged: purged.len(),
        bytes,
    }))
}

/// Query of `GET /admin/pastes`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// The owner's certificate fingerprint (SHA-1, 40 hex digits).
    #[param(pattern = "^[0-9A-Fa-f]{40}$")]
    owner: String,
    /// Page size (clamped to the server's maximum).
    limit: Option<u32>,
}

/// `GET /admin/pastes?owner=<fingerprint>`.
#[utoipa::path(
    get,
    path = "/admin/pastes",
    operation_id = "adminListPastes",
    tag = "admin",
    params(ListQuery),
    responses(
        (status = 200, description = "The owner's live pastes, newest first", body = Vec<paste_api::PasteInfo>),
        (status = 400, response = crate::openapi::problems::Problem400),
        (status = 401, response = crate::openapi::problems::Problem401),
        (status = 403, response = crate::openapi::problems::Problem403),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    identity: Identity,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<PasteInfo>>, ApiError> {
    let admin = Admin::require(&identity)?;
    let owner = q.owner.trim().to_ascii_lowercase();
    if !is_fingerprint(&owner) {
        return Err(problem(
            StatusCode::BAD_REQUEST,
            "invalid_owner",
            "owner must be a SHA-1 fingerprint (40 hex digits)",
        ));
    }
    let limit = q.limit.unwrap_or(100).clamp(1, MAX_LIST);
    let pastes = state
        .store
        .by_owner(&owner, state.config.clock.now(), limit)
        .await?;
    tracing::info!(
        target: "audit",
        actor = admin.actor(),
        action = "admin.list",
        owner = &owner[..8],
        count = pastes.len(),
        "admin action"
    );
    let prefix = &state.config.url_prefix;
    Ok(Json(
        pastes
            .into_iter()
            .map(|m| PasteInfo {
                raw: format!("{}/raw", paste_path(prefix, &m.id)),
                id: m.id,
                mime_type: m.mime_type,
                size: m.size,
                created_at: m.created_at,
                expires_at: m.expires_at,
                burn_after_read: m.burn_after_read.then_some(true),
                password_protected: m.password_hash.is_some().then_some(true),
                owner: m.owner,
                scan: m.scan,
                max_views: None,
                views_left: None,
                burn_confirm: None,
                display_name: m.display_name,
            })
            .collect(),
    ))
}

/// Query of `GET /admin/quota`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QuotaQuery {
    /// The owner's certificate fingerprint (SHA-1, 40 hex digits).
    #[param(pattern = "^[0-9A-Fa-f]{40}$")]
    owner: String,
}

/// `GET /admin/quota?owner=<fingerprint>`: the certificate's quota, usage and what is left.
#[utoipa::path(
    get,
    path = "/admin/quota",
    operation_id = "adminQuota",
    tag = "admin",
    params(QuotaQuery),
    responses(
        (status = 200, description = "The certificate's quota, usage and what is left", body = paste_api::QuotaStatus),
        (status = 400, response = crate::openapi::problems::Problem400),
        (status = 401, response = crate::openapi::problems::Problem401),
        (status = 403, response = crate::openapi::problems::Problem403),
    )
)]
pub async fn quota(
    State(state): State<AppState>,
    identity: Identity,
    Query(q): Query<QuotaQuery>,
) -> Result<Json<paste_api::QuotaStatus>, ApiError> {
    let admin = Admin::require(&identity)?;
    let owner = q.owner.trim().to_ascii_lowercase();
    if !is_fingerprint(&owner) {
        return Err(problem(
            StatusCode::BAD_REQUEST,
            "invalid_owner",
            "owner must be a SHA-1 fingerprint (40 hex digits)",
        ));
    }
    let quota = crate::quota::of_owner(&state.config, &owner);
    let used = state
        .store
        .usage(quota.scope.clone(), state.config.clock.now())
        .await?;
    tracing::info!(
        target: "audit",
        actor = admin.actor(),
        action = "admin.quota",
        owner = &owner[..8],
        "admin action"
    );
    Ok(Json(crate::quota::status(&quota, used)))
}
