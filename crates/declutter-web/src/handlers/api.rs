//! The JSON API: access tokens, the caller, connections, audit entries.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde_json::json;

use super::audit;
use crate::auth::access::{Ctx, CurrentUser};
use crate::auth::jwt::TTL_SECS;
use crate::db;
use crate::error::ApiError;
use crate::state::AppState;

/// `POST /api/tokens`: a 15-minute bearer token for the caller's browser session (the route's
/// access level refuses bearer tokens).
pub async fn issue_token(
    State(state): State<AppState>,
    ctx: Ctx,
    CurrentUser(p): CurrentUser,
) -> Result<Response, ApiError> {
    let (token, claims) = state
        .signer
        .issue(&p.user.id, p.user.token_version, db::now())
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    audit(
        &state,
        &ctx,
        Some(&p),
        "token.issued",
        Some(claims.jti.clone()),
        None,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"access_token": token, "token_type": "Bearer", "expires_in": TTL_SECS})),
    )
        .into_response())
}

/// `GET /api/me`.
pub async fn me(CurrentUser(p): CurrentUser) -> Json<db::users::User> {
    Json(p.user)
}

/// `GET /api/connections`: the caller's clouds, never their tokens.
pub async fn connections(
    State(state): State<AppState>,
    CurrentUser(p): CurrentUser,
) -> Result<Json<Vec<db::connections::ConnectionInfo>>, ApiError> {
    let uid = p.user.id.clone();
    Ok(Json(
        state
            .pool
            .read(move |c| db::connections::list(c, &uid))
            .await??,
    ))
}

/// `DELETE /api/connections/{id}`: revokes at the provider and forgets; 404 when not the
/// caller's (the same answer as absent).
pub async fn disconnect(
    State(state): State<AppState>,
    ctx: Ctx,
    CurrentUser(p): CurrentUser,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    super::connections::disconnect(&state, &ctx, &p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/audit`: the caller's own entries.
pub async fn audit_entries(
    State(state): State<AppState>,
    CurrentUser(p): CurrentUser,
) -> Result<Json<Vec<db::audit::Record>>, ApiError> {
    let uid = p.user.id.clone();
    Ok(Json(
        state
            .pool
            .read(move |c| db::audit::recent(c, Some(&uid), 500))
            .await??,
    ))
}

/// `GET /api/admin/users`.
pub async fn admin_users(
    State(state): State<AppState>,
) -> Result<Json<Vec<db::users::User>>, ApiError> {
    Ok(Json(state.pool.read(db::users::list).await??))
}
