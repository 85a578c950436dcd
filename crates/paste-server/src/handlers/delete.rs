//! `DELETE /{id}`: by the owner, an admin, or the anonymous creator's delete token.

use axum::Json;
use axum::extract::{Path, State};
use http::{HeaderMap, StatusCode};
use paste_api::headers;
use paste_core::id::delete_token_matches;

use super::create::header_checked;
use super::read::parse_id;
use crate::error::{ApiError, not_found, problem};
use crate::identity::Identity;
use crate::state::AppState;

/// The caller's `X-Delete-Token`, when it has either that or a certificate; a 401 before any
/// lookup otherwise (so existence is not revealed). `what` names the thing ("the paste's").
pub fn delete_credentials<'a>(
    headers: &'a HeaderMap,
    identity: &Identity,
    what: &str,
) -> Result<Option<&'a str>, ApiError> {
    let token = header_checked(headers, headers::DELETE_TOKEN)?;
    if token.is_none() && identity.fingerprint().is_none() {
        return Err(problem(
            StatusCode::UNAUTHORIZED,
            "authentication_required",
            format!("Deleting requires a client certificate or {what} X-Delete-Token"),
        ));
    }
    Ok(token)
}

/// Deletes a paste.
///
/// Without a token: 401 for anonymous callers (before any lookup, so existence is not
/// revealed), 404 for unknown ids, 403 for someone else's paste.
#[utoipa::path(
    delete,
    path = "/{id}",
    operation_id = "deletePaste",
    tag = "pastes",
    params(crate::openapi::params::IdPath, crate::openapi::params::DeleteHeaders),
    responses(
        (status = 200, description = "Deleted", body = paste_api::Deleted),
        (status = 400, response = crate::openapi::problems::Problem400),
        (status = 401, response = crate::openapi::problems::Problem401),
        (status = 403, response = crate::openapi::problems::Problem403),
        (status = 404, response = crate::openapi::problems::Problem404),
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    identity: Identity,
    headers: HeaderMap,
) -> Result<Json<paste_api::Deleted>, ApiError> {
    let token = delete_credentials(&headers, &identity, "the paste's")?;
    let id = parse_id(&id)?;
    let meta = state
        .store
        .meta(id.as_str(), state.config.clock.now())
        .await?
        .ok_or_else(not_found)?;
    let by_token = token.is_some_and(|t| {
        meta.delete_token_hash
            .as_deref()
            .is_some_and(|stored| delete_token_matches(stored, t))
    });
    let by_owner = meta.owner.is_some() && identity.fingerprint() == meta.owner.as_deref();
    if !(by_token || by_owner || identity.is_admin()) {
        return Err(problem(
            StatusCode::FORBIDDEN,
            "not_owner",
            "Only the paste's owner or an admin may delete it",
        ));
    }
    if let Some(gone) = state.store.delete(id.as_str()).await? {
        state.metrics.deleted();
        state.webhooks.notify();
        if identity.is_admin() && !by_owner && !by_token {
            tracing::info!(
                target: "audit",
                actor = identity.fingerprint().map(|f| &f[..8]),
                action = "admin.delete",
                size = gone.size,
                "admin action"
            );
        }
    }
    Ok(Json(paste_api::Deleted {
        message: "Paste deleted".into(),
        id: id.to_string(),
    }))
}
