//! Editing a draft plan before it is applied: per file (this copy stays or goes) and per group
//! (only this copy stays). Every change goes through the engine (`engine::edit`), which refuses
//! one that would leave a group without a copy, so these handlers only read input and answer.

use std::collections::HashMap;

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use declutter_core::engine::edit::{self, Override};
use declutter_core::store::plans::{self, Action};
use serde::Deserialize;

use super::audit;
use super::plans::load;
use crate::auth::access::{Ctx, CurrentUser, Principal};
use crate::error::ApiError;
use crate::extract::{Form, Json};
use crate::model::PlanView;
use crate::path_id::Id;
use crate::state::AppState;
use crate::work;

/// Changes to a draft plan (`POST /api/plans/{id}/items`).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditBody {
    /// Per file: this item stays (`keep`) or goes (`remove`).
    #[serde(default)]
    #[schema(max_items = 10000)]
    pub changes: Vec<ItemChange>,
    /// Per group: this item stays and every other copy of its group goes.
    #[serde(default)]
    #[schema(max_items = 10000)]
    pub keep_only: Vec<i64>,
}

/// One per-file change.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemChange {
    /// Plan item id.
    pub id: i64,
    /// `keep` or `remove`.
    #[schema(pattern = "^(keep|remove)$")]
    pub action: String,
}

/// Applies `changes` to the caller's draft plan through the engine, which refuses any change
/// that would leave a group without a copy.
async fn edit_plan(
    state: &AppState,
    ctx: &Ctx,
    p: &Principal,
    id: i64,
    changes: Vec<Override>,
) -> Result<(), ApiError> {
    // Another account's plan is 404 whatever the body says.
    owned_plan(state, p, id).await?;
    if changes.is_empty() {
        return Err(ApiError::Invalid("no change given".into()));
    }
    if changes.len() > 10_000 {
        return Err(ApiError::Invalid("at most 10000 changes at once".into()));
    }
    let owner = work::owner(&p.user.id)?;
    let n = changes.len();
    let plan = state
        .pool
        .write(move |c| edit::edit(c, &owner, id, &changes))
        .await??;
    audit(
        state,
        ctx,
        Some(p),
        "plan.edited",
        Some(id.to_string()),
        Some(format!(
            "{n} changes; now {} files, {} bytes",
            plan.remove_count, plan.bytes_reclaimed
        )),
    )
    .await
}

/// The caller's plan `id`, or 404.
async fn owned_plan(state: &AppState, p: &Principal, id: i64) -> Result<plans::Plan, ApiError> {
    let owner = work::owner(&p.user.id)?;
    state
        .pool
        .read(move |c| plans::get(c, &owner, id))
        .await??
        .ok_or(ApiError::NotFound)
}

fn action(s: &str) -> Result<Action, ApiError> {
    match s {
        "keep" => Ok(Action::Keep),
        "remove" => Ok(Action::Remove),
        _ => Err(ApiError::Invalid("action must be keep or remove".into())),
    }
}

/// `POST /plans/{id}/items`: one group's form, `i<item id>=keep|remove` per copy.
pub async fn edit_form(
    State(state): State<AppState>,
    ctx: Ctx,
    CurrentUser(p): CurrentUser,
    Id(id): Id,
    Form(fields): Form<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let mut changes = Vec::new();
    for (k, v) in &fields {
        if let Some(item) = k.strip_prefix('i').and_then(|n| n.parse::<i64>().ok()) {
            changes.push(Override::Item {
                item,
                action: action(v)?,
            });
        }
    }
    edit_plan(&state, &ctx, &p, id, changes).await?;
    let page = fields
        .get("page")
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(1);
    let anchor = fields
        .get("group")
        .and_then(|n| n.parse::<usize>().ok())
        .map_or_else(String::new, |g| format!("#g{g}"));
    Ok(Redirect::to(&format!("/plans/{id}?page={page}{anchor}")).into_response())
}

/// Edits a draft plan: per file (this copy stays or goes) and per group (only this copy
/// stays). A change that would leave a group without a copy refuses the whole edit.
#[utoipa::path(post, path = "/api/plans/{id}/items", operation_id = "editPlan", tag = "cleanup",
    params(("id" = i64, Path, minimum = 1, description = "Plan id")),
    request_body = EditBody,
    responses((status = 200, description = "The plan after the edit, first page", body = PlanView),
        (status = 400, description = "The body is not JSON of this shape", body = platform::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The plan is no longer a draft", body = platform::Problem, content_type = "application/problem+json")))]
pub async fn api_edit(
    State(state): State<AppState>,
    ctx: Ctx,
    CurrentUser(p): CurrentUser,
    Id(id): Id,
    body: Result<Json<EditBody>, ApiError>,
) -> Result<Json<PlanView>, ApiError> {
    // Another account's plan is 404 before its body is even read.
    owned_plan(&state, &p, id).await?;
    let Json(body) = body?;
    let mut changes = Vec::new();
    for c in &body.changes {
        changes.push(Override::Item {
            item: c.id,
            action: action(&c.action)?,
        });
    }
    changes.extend(
        body.keep_only
            .iter()
            .map(|&item| Override::KeepOnly { item }),
    );
    edit_plan(&state, &ctx, &p, id, changes).await?;
    Ok(Json(load(&state, &p, id, 1).await?.0))
}
