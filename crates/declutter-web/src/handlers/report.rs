//! The clutter report: largest, untouched, empty, temporary; files picked there become a plan
//! (`POST /plans/clutter`) applied and undone like any other.

use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use declutter_core::engine::clutter::ClutterPlan;
use declutter_core::engine::report::{self, ReportOptions};
use declutter_core::store::files::FileRow;
use http::StatusCode;
use serde::Serialize;

use super::{audit, form_ids, form_pairs};
use crate::auth::access::{Ctx, CurrentUser, Principal};
use crate::error::ApiError;
use crate::extract::Json;
use crate::pages::{FileView, ReportPage};
use crate::services::cleanup::Cleanup;
use crate::state::AppState;
use crate::views::{Layout, page};
use crate::work;

/// Most entries listed per section.
pub const SECTION_LIMIT: usize = 100;

/// The report, each section capped at [`SECTION_LIMIT`] entries with its full count.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReportView {
    /// Largest files.
    pub large: Vec<FileView>,
    /// Not modified for a year, oldest first.
    pub old: Vec<FileView>,
    /// Empty files and folders.
    pub empty: Vec<FileView>,
    /// Temporary and junk files.
    pub temp: Vec<FileView>,
}

fn views(rows: &[FileRow]) -> Vec<FileView> {
    rows.iter()
        .take(SECTION_LIMIT)
        .map(|f| FileView {
            id: Some(f.id),
            ..FileView::of(&f.path, f.size, f.modified_ns)
        })
        .collect()
}

async fn load(state: &AppState, p: &Principal) -> Result<ReportView, ApiError> {
    let owner = work::owner(&p.user.id)?;
    let r = state
        .pool
        .read(move |c| report::build(c, &owner, ReportOptions::default()))
        .await??;
    let mut empty = r.empty_files;
    empty.extend(r.empty_folders);
    Ok(ReportView {
        large: views(&r.largest),
        old: views(&r.untouched),
        empty: views(&empty),
        temp: views(&r.temporary),
    })
}

/// `GET /report`.
pub async fn page_(
    State(state): State<AppState>,
    CurrentUser(p): CurrentUser,
) -> Result<Response, ApiError> {
    let r = load(&state, &p).await?;
    let view = ReportPage {
        layout: Layout::new(&state, Some(&p), "", "report"),
        sections: vec![
            (
                "Largest files",
                "The biggest files first; large videos and archives are the usual suspects.",
                r.large,
            ),
            (
                "Untouched for a year",
                "Not modified in 365 days; consider archiving them.",
                r.old,
            ),
            (
                "Empty files and folders",
                "Zero-byte files and folders with nothing inside.",
                r.empty,
            ),
            (
                "Temporary files",
                "Left behind by editors, browsers and downloads (.tmp, ~$, .part…).",
                r.temp,
            ),
        ],
    };
    Ok(page(StatusCode::OK, &view))
}

/// The clutter report: largest, untouched for a year, empty and temporary items (each
/// section at most 100 entries).
#[utoipa::path(get, path = "/api/report", operation_id = "getReport", tag = "review",
    responses((status = 200, description = "The report", body = ReportView)))]
pub async fn api_get(
    State(state): State<AppState>,
    CurrentUser(p): CurrentUser,
) -> Result<Json<ReportView>, ApiError> {
    Ok(Json(load(&state, &p).await?))
}

/// The files to plan the removal of.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct Picked {
    /// File ids from the report (1 to 10,000).
    #[schema(min_items = 1, max_items = 10000)]
    pub ids: Vec<i64>,
}

async fn plan(
    state: &AppState,
    cleanup: &Cleanup,
    ctx: &Ctx,
    p: &Principal,
    ids: Vec<i64>,
) -> Result<ClutterPlan, ApiError> {
    let plan = cleanup.plan_singles(&work::owner(&p.user.id)?, ids).await?;
    audit(
        state,
        ctx,
        Some(p),
        "plan.created",
        Some(plan.plan_id.to_string()),
        Some(format!(
            "clutter: {} files, {} bytes, {} left out",
            plan.remove_count,
            plan.bytes_reclaimed,
            plan.refused.len()
        )),
    )
    .await?;
    Ok(plan)
}

/// `POST /plans/clutter`: the ticked report rows (`ids`) become a plan; then its preview.
pub async fn plan_form(
    State(state): State<AppState>,
    State(cleanup): State<Cleanup>,
    ctx: Ctx,
    CurrentUser(p): CurrentUser,
    body: Bytes,
) -> Result<Response, ApiError> {
    let ids = form_ids(&form_pairs(&body), "ids")?;
    let plan = plan(&state, &cleanup, &ctx, &p, ids).await?;
    Ok(Redirect::to(&format!("/plans/{}", plan.plan_id)).into_response())
}

/// A draft plan removing files picked from the clutter report; files that have a duplicate
/// now (review those on the duplicates page) are left out and listed.
#[utoipa::path(post, path = "/api/plans/clutter", operation_id = "createClutterPlan", tag = "cleanup", request_body = Picked,
    responses((status = 201, description = "The plan and what was left out",
            body = declutter_core::engine::clutter::ClutterPlan),
        (status = 400, description = "The body is not JSON of this shape", body = platform::Problem, content_type = "application/problem+json"),
        (status = 404, description = "An id names no file of the caller's; no plan was made", body = platform::Problem, content_type = "application/problem+json")))]
pub async fn api_plan(
    State(state): State<AppState>,
    State(cleanup): State<Cleanup>,
    ctx: Ctx,
    CurrentUser(p): CurrentUser,
    Json(picked): Json<Picked>,
) -> Result<Response, ApiError> {
    let ids = picked.ids;
    let plan = plan(&state, &cleanup, &ctx, &p, ids).await?;
    Ok((StatusCode::CREATED, Json(plan)).into_response())
}
