//! Queueing a scan of one of the caller's sources (an assigned local folder or a connected
//! cloud drive) for the workers (`services::scans`), and watching it.

use axum::Json;
use axum::extract::{FromRef as _, State};
use axum::response::{IntoResponse, Redirect, Response};
use http::StatusCode;
use serde::Serialize;

use super::audit;
use crate::auth::access::{Ctx, CurrentUser, Principal};
use crate::db::scan_jobs::Target;
use crate::error::ApiError;
use crate::model::ScanStatus;
use crate::pages::ScanPage;
use crate::path_id::Id;
use crate::services::scans::Scans;
use crate::state::AppState;
use crate::views::{Layout, page};

async fn start(
    state: &AppState,
    ctx: &Ctx,
    p: &Principal,
    target: Target,
) -> Result<i64, ApiError> {
    let job = Scans::from_ref(state).enqueue(&p.user.id, target).await?;
    let (target_id, detail) = match target {
        Target::Local(id) => (id, None),
        Target::Drive(id) => (id, Some("connection".to_owned())),
    };
    audit(
        state,
        ctx,
        Some(p),
        "scan.started",
        Some(target_id.to_string()),
        detail,
    )
    .await?;
    Ok(job)
}

async fn status(state: &AppState, p: &Principal, id: i64) -> Result<ScanStatus, ApiError> {
    let (job, progress) = Scans::from_ref(state).status(&p.user.id, id).await?;
    Ok(ScanStatus { job, progress })
}

/// A scan started in the background.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ScanStarted {
    /// The job id.
    pub job: i64,
    /// Where to poll it (`GET`).
    pub status_url: String,
}

fn started(job: i64) -> Response {
    (
        StatusCode::ACCEPTED,
        Json(ScanStarted {
            job,
            status_url: format!("/api/scans/{job}"),
        }),
    )
        .into_response()
}

/// `POST /sources/{id}/scan`: starts a scan, then shows its progress page.
pub async fn start_form(
    State(state): State<AppState>,
    ctx: Ctx,
    CurrentUser(p): CurrentUser,
    Id(id): Id,
) -> Result<Response, ApiError> {
    let job = start(&state, &ctx, &p, Target::Local(id)).await?;
    Ok(Redirect::to(&format!("/scans/{job}")).into_response())
}

/// Starts scanning one of the caller's local sources in the background.
#[utoipa::path(post, path = "/api/sources/{id}/scans", operation_id = "scanSource", tag = "sources",
    params(("id" = i64, Path, minimum = 1, description = "Local source id")),
    responses((status = 202, description = "Started; poll the job", body = ScanStarted),
        (status = 409, description = "A scan of this source is already queued or running", body = platform::Problem, content_type = "application/problem+json")))]
pub async fn api_start(
    State(state): State<AppState>,
    ctx: Ctx,
    CurrentUser(p): CurrentUser,
    Id(id): Id,
) -> Result<Response, ApiError> {
    Ok(started(start(&state, &ctx, &p, Target::Local(id)).await?))
}

/// `POST /drives/{id}/scan`: scans a connected drive, then shows its progress page.
pub async fn drive_form(
    State(state): State<AppState>,
    ctx: Ctx,
    CurrentUser(p): CurrentUser,
    Id(id): Id,
) -> Result<Response, ApiError> {
    let job = start(&state, &ctx, &p, Target::Drive(id)).await?;
    Ok(Redirect::to(&format!("/scans/{job}")).into_response())
}

/// Starts scanning one of the caller's connected drives in the background.
#[utoipa::path(post, path = "/api/connections/{id}/scans", operation_id = "scanConnection", tag = "sources",
    params(("id" = i64, Path, minimum = 1, description = "Connection id")),
    responses((status = 202, description = "Started; poll the job", body = ScanStarted),
        (status = 409, description = "The connection must be connected again, or a scan of it \
            is already queued or running", body = platform::Problem, content_type = "application/problem+json")))]
pub async fn api_drive(
    State(state): State<AppState>,
    ctx: Ctx,
    CurrentUser(p): CurrentUser,
    Id(id): Id,
) -> Result<Response, ApiError> {
    Ok(started(start(&state, &ctx, &p, Target::Drive(id)).await?))
}

/// `GET /scans/{id}`: refreshes itself (meta refresh, no script needed) while running.
pub async fn page_(
    State(state): State<AppState>,
    CurrentUser(p): CurrentUser,
    Id(id): Id,
) -> Result<Response, ApiError> {
    let view = ScanPage {
        status: status(&state, &p, id).await?,
        layout: Layout::new(&state, Some(&p), "", "sources"),
    };
    Ok(page(StatusCode::OK, &view))
}

/// A scan job and, while it runs, its progress.
#[utoipa::path(get, path = "/api/scans/{id}", operation_id = "getScan", tag = "sources",
    params(("id" = i64, Path, minimum = 1, description = "Job id")),
    responses((status = 200, description = "The job", body = ScanStatus)))]
pub async fn api_status(
    State(state): State<AppState>,
    CurrentUser(p): CurrentUser,
    Id(id): Id,
) -> Result<Json<ScanStatus>, ApiError> {
    Ok(Json(status(&state, &p, id).await?))
}
