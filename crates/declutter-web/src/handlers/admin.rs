//! Admin pages (user and role management, the whole audit log) and the own-activity page.

use crate::extract::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use http::StatusCode;
use serde::Deserialize;

use super::audit as record;
use crate::auth::access::{Ctx, CurrentUser};
use crate::auth::role::Role;
use crate::db;
use crate::error::ApiError;
use crate::state::AppState;
use crate::views::{AdminUsersPage, AuditPage, Layout, page};

/// `GET /admin/users`.
pub async fn users(
    State(state): State<AppState>,
    CurrentUser(p): CurrentUser,
) -> Result<Response, ApiError> {
    let users = state.pool.read(db::users::list).await??;
    Ok(page(
        StatusCode::OK,
        &AdminUsersPage {
            layout: Layout::new(&state, Some(&p), "", "users"),
            users,
        },
    ))
}

/// The role form.
#[derive(Debug, Deserialize)]
pub struct RoleForm {
    role: String,
}

/// `POST /admin/users/{id}/role`: never removes the last admin; revokes the target's tokens.
pub async fn set_role(
    State(state): State<AppState>,
    ctx: Ctx,
    CurrentUser(p): CurrentUser,
    Path(id): Path<String>,
    Form(f): Form<RoleForm>,
) -> Result<Response, ApiError> {
    let role: Role = f
        .role
        .parse()
        .map_err(|_| ApiError::Invalid("Role must be admin or user.".into()))?;
    let target = id.clone();
    let exists = state
        .pool
        .read(move |c| db::users::by_id(c, &target))
        .await??
        .is_some();
    if !exists {
        return Err(ApiError::NotFound);
    }
    let target = id.clone();
    if !state
        .pool
        .write(move |c| db::users::set_role(c, &target, role))
        .await??
    {
        return Err(ApiError::Conflict(
            "The last admin cannot be demoted.".into(),
        ));
    }
    record(
        &state,
        &ctx,
        Some(&p),
        "user.role_changed",
        Some(id),
        Some(format!("role={role}")),
    )
    .await?;
    Ok(Redirect::to("/admin/users").into_response())
}

/// `POST /admin/users/{id}/delete`.
pub async fn delete_user(
    State(state): State<AppState>,
    ctx: Ctx,
    CurrentUser(p): CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    if id == p.user.id {
        return Err(ApiError::Conflict(
            "Delete your own account from the account page.".into(),
        ));
    }
    if !super::account::erase(&state, &ctx, &p, &id).await? {
        return Err(ApiError::NotFound);
    }
    Ok(Redirect::to("/admin/users").into_response())
}

/// `GET /admin/audit`: the whole log.
pub async fn audit(
    State(state): State<AppState>,
    CurrentUser(p): CurrentUser,
) -> Result<Response, ApiError> {
    let entries = state
        .pool
        .read(|c| db::audit::recent(c, None, 500))
        .await??;
    Ok(page(
        StatusCode::OK,
        &AuditPage {
            layout: Layout::new(&state, Some(&p), "", "admin_audit"),
            entries,
            all: true,
        },
    ))
}

/// `GET /audit`: the caller's own entries.
pub async fn own_audit(
    State(state): State<AppState>,
    CurrentUser(p): CurrentUser,
) -> Result<Response, ApiError> {
    let uid = p.user.id.clone();
    let entries = state
        .pool
        .read(move |c| db::audit::recent(c, Some(&uid), 500))
        .await??;
    Ok(page(
        StatusCode::OK,
        &AuditPage {
            layout: Layout::new(&state, Some(&p), "", "audit"),
            entries,
            all: false,
        },
    ))
}
