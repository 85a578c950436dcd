//! The trash bin: what apply moved away, days left before it may be purged, restore, purge.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use declutter_core::engine::trash::{self, PurgeSelection};
use http::StatusCode;
use serde::Serialize;

use super::audit;
use crate::auth::access::{Ctx, CurrentUser, Principal};
use crate::db;
use crate::error::ApiError;
use crate::pages::{TrashPage, human};
use crate::path_id::Id;
use crate::state::AppState;
use crate::views::{Layout, page};
use crate::work;

/// One trashed file.
#[derive(Debug, Clone, Serialize)]
pub struct TrashView {
    /// Entry id.
    pub id: i64,
    /// Where it was.
    pub original_path: String,
    /// Bytes.
    pub size: u64,
    /// Human size.
    pub size_text: String,
    /// Trashed at (unix seconds).
    pub trashed_at: i64,
    /// Purgeable from (unix seconds).
    pub expires_at: i64,
    /// Whole days left before it may be purged (0 when due).
    pub days_left: i64,
}

async fn list(state: &AppState, p: &Principal) -> Result<Vec<TrashView>, ApiError> {
    let owner = work::owner(&p.user.id)?;
    let entries = state.pool.read(move |c| trash::list(c, &owner)).await??;
    let now = db::now();
    Ok(entries
        .into_iter()
        .map(|e| TrashView {
            id: e.id,
            size_text: human(e.size),
            original_path: e.original_path,
            size: e.size,
            trashed_at: e.trashed_at,
            expires_at: e.expires_at,
            days_left: ((e.expires_at - now).max(0) + 86_399) / 86_400,
        })
        .collect())
}

async fn restore_one(state: &AppState, ctx: &Ctx, p: &Principal, id: i64) -> Result<(), ApiError> {
    let owner = work::owner(&p.user.id)?;
    work::run(state, &p.user.id, move |conn, rt, providers| {
        rt.block_on(trash::restore(conn, &owner, id, providers))
    })
    .await?;
    audit(
        state,
        ctx,
        Some(p),
        "trash.restored",
        Some(id.to_string()),
        None,
    )
    .await
}

async fn purge_one(state: &AppState, ctx: &Ctx, p: &Principal, id: i64) -> Result<(), ApiError> {
    let owner = work::owner(&p.user.id)?;
    work::run(state, &p.user.id, move |conn, rt, providers| {
        rt.block_on(trash::purge(
            conn,
            &owner,
            &PurgeSelection::Ids(vec![id]),
            providers,
        ))
    })
    .await?;
    audit(
        state,
        ctx,
        Some(p),
        "trash.purged",
        Some(id.to_string()),
        None,
    )
    .await
}

/// `GET /trash`.
pub async fn page_(
    State(state): State<AppState>,
    CurrentUser(p): CurrentUser,
) -> Result<Response, ApiError> {
    let view = TrashPage {
        entries: list(&state, &p).await?,
        layout: Layout::new(&state, Some(&p), "", "trash"),
        notice: None,
    };
    Ok(page(StatusCode::OK, &view))
}

/// `GET /api/trash`.
pub async fn api_list(
    State(state): State<AppState>,
    CurrentUser(p): CurrentUser,
) -> Result<Json<Vec<TrashView>>, ApiError> {
    Ok(Json(list(&state, &p).await?))
}

/// `POST /trash/{id}/restore`.
pub async fn restore_form(
    State(state): State<AppState>,
    ctx: Ctx,
    CurrentUser(p): CurrentUser,
    Id(id): Id,
) -> Result<Response, ApiError> {
    restore_one(&state, &ctx, &p, id).await?;
    Ok(Redirect::to("/trash").into_response())
}

/// `POST /trash/{id}/purge`.
pub async fn purge_form(
    State(state): State<AppState>,
    ctx: Ctx,
    CurrentUser(p): CurrentUser,
    Id(id): Id,
) -> Result<Response, ApiError> {
    purge_one(&state, &ctx, &p, id).await?;
    Ok(Redirect::to("/trash").into_response())
}

/// `POST /api/trash/{id}/restore`.
pub async fn api_restore(
    State(state): State<AppState>,
    ctx: Ctx,
    CurrentUser(p): CurrentUser,
    Id(id): Id,
) -> Result<StatusCode, ApiError> {
    restore_one(&state, &ctx, &p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /api/trash/{id}`: purges for good.
pub async fn api_purge(
    State(state): State<AppState>,
    ctx: Ctx,
    CurrentUser(p): CurrentUser,
    Id(id): Id,
) -> Result<StatusCode, ApiError> {
    purge_one(&state, &ctx, &p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
