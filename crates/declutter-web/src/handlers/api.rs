//! The JSON API: access tokens, the caller, connections, audit entries.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde::Serialize;

use super::audit;
use crate::auth::access::{Ctx, CurrentUser};
use crate::auth::jwt::TTL_SECS;
use crate::db;
use crate::error::ApiError;
use crate::path_id::Id;
use crate::state::AppState;

/// A bearer token for the API.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenIssued {
    /// The token (a JWT), for `Authorization: Bearer`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until it expires.
    pub expires_in: i64,
}

/// A 15-minute bearer token for the caller's browser session.
///
/// Only a signed-in browser session may ask (a bearer token cannot mint another).
#[utoipa::path(post, path = "/api/tokens", operation_id = "issueToken", tag = "account", security(("session" = [])),
    responses((status = 201, description = "A new token", body = TokenIssued)))]
pub async fn issue_token(
    State(state): State<AppState>,
    ctx: Ctx,
    CurrentUser(p): CurrentUser,
) -> Result<Response, ApiError> {
    let (token, claims) = state
        .signer
        .issue(&p.user.id, p.user.token_version, db::now())
        .map_err(|e| ApiError::internal(e))?;
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
        Json(TokenIssued {
            access_token: token,
            token_type: "Bearer",
            expires_in: TTL_SECS,
        }),
    )
        .into_response())
}

/// The caller's account.
#[utoipa::path(get, path = "/api/me", operation_id = "getMe", tag = "account",
    responses((status = 200, description = "The caller", body = db::users::User)))]
pub async fn me(CurrentUser(p): CurrentUser) -> Json<db::users::User> {
    Json(p.user)
}

/// The caller's connected drives (never their tokens).
#[utoipa::path(get, path = "/api/connections", operation_id = "listConnections", tag = "account",
    responses((status = 200, description = "Connections", body = Vec<db::connections::ConnectionInfo>)))]
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

/// Disconnects a drive: revokes the grant at the provider and forgets the tokens.
///
/// 404 when the connection is not the caller's (the same answer as absent).
#[utoipa::path(delete, path = "/api/connections/{id}", operation_id = "disconnect", tag = "account",
    params(("id" = i64, Path, minimum = 1, description = "Connection id")),
    responses((status = 204, description = "Disconnected")))]
pub async fn disconnect(
    State(state): State<AppState>,
    ctx: Ctx,
    CurrentUser(p): CurrentUser,
    Id(id): Id,
) -> Result<StatusCode, ApiError> {
    super::connections::disconnect(&state, &ctx, &p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's own audit entries, newest first (at most 500).
#[utoipa::path(get, path = "/api/audit", operation_id = "listAudit", tag = "account",
    responses((status = 200, description = "Audit entries", body = Vec<db::audit::Record>)))]
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

/// Every account (administrators only).
#[utoipa::path(get, path = "/api/admin/users", operation_id = "listUsers", tag = "admin",
    responses((status = 200, description = "Accounts", body = Vec<db::users::User>)))]
pub async fn admin_users(
    State(state): State<AppState>,
) -> Result<Json<Vec<db::users::User>>, ApiError> {
    Ok(Json(state.pool.read(db::users::list).await??))
}
