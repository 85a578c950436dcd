//! Clean-up jobs: applying a plan and undoing it run in the background; their pages and API
//! read the job row (progress, cancel, summary), so a reload or another instance sees the same.
//!
//! Live progress is polling, not a stream: the job page's script (`static/app.js`) reads
//! `GET /api/jobs/{id}` once a second, one indexed row read per request and nothing held open
//! per viewer, and reloads the page for the summary when the job ends. Without script the page
//! refreshes itself (a meta refresh inside `<noscript>`).

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use declutter_core::store::jobs::{Job, JobKind};
use http::{HeaderValue, StatusCode, header};
use serde::Serialize;

use super::audit;
use crate::auth::access::{Ctx, CurrentUser, Principal};
use crate::error::ApiError;
use crate::model::JobDisplay;
use crate::pages::{JobPage, human};
use crate::path_id::Id;
use crate::services::cleanup::Cleanup;
use crate::state::AppState;
use crate::views::{Layout, page};
use crate::work;

/// The job page's CSP: the HTML one plus `connect-src 'self'`, so its script may read the
/// job's status from this origin (and nowhere else).
pub const JOB_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// A clean-up without a plan, and how the audit log records its start.
pub(super) struct Unplanned {
    pub kind: JobKind,
    pub action: &'static str,
    pub target: Option<&'static str>,
}

/// Queues `what` for the caller (see [`Cleanup::start_unplanned`]) and writes its start to
/// the audit log with the job's id.
pub(super) async fn start_unplanned(
    state: &AppState,
    cleanup: &Cleanup,
    ctx: &Ctx,
    p: &Principal,
    what: &Unplanned,
) -> Result<i64, ApiError> {
    let job = cleanup
        .start_unplanned(&work::owner(&p.user.id)?, what.kind)
        .await?;
    let target = what.target.map(str::to_owned);
    let detail = Some(format!("job {job}"));
    audit(state, ctx, Some(p), what.action, target, detail).await?;
    Ok(job)
}

/// A job as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct JobView {
    /// The stored job.
    #[serde(flatten)]
    pub job: Job,
    /// `bytes` in the units the pages use (IEC, as the CLI), so the page's script shows the
    /// same text as the server.
    pub bytes_text: String,
    /// Where to poll it.
    pub status_url: String,
}

impl From<Job> for JobView {
    fn from(job: Job) -> Self {
        Self {
            status_url: format!("/api/jobs/{}", job.id),
            bytes_text: human(job.bytes),
            job,
        }
    }
}

/// A job started in the background.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct JobStarted {
    /// The job id.
    pub job: i64,
    /// Where to poll it (`GET`).
    pub status_url: String,
}

/// 202 Accepted for a started job: its id and where to watch it.
pub fn accepted(job: i64) -> Response {
    let status_url = format!("/api/jobs/{job}");
    (
        StatusCode::ACCEPTED,
        [(header::LOCATION, status_url.clone())],
        Json(JobStarted { job, status_url }),
    )
        .into_response()
}

async fn job(cleanup: &Cleanup, p: &Principal, id: i64) -> Result<Job, ApiError> {
    cleanup.job(&work::owner(&p.user.id)?, id).await
}

/// `GET /jobs/{id}`: live progress (its script polls the job; without script the page
/// refreshes itself), then the summary.
pub async fn page_(
    State(state): State<AppState>,
    State(cleanup): State<Cleanup>,
    CurrentUser(p): CurrentUser,
    Id(id): Id,
) -> Result<Response, ApiError> {
    let view = JobPage {
        job: JobDisplay::of(job(&cleanup, &p, id).await?),
        layout: Layout::new(&state, Some(&p), "", "trash"),
    };
    let mut res = page(StatusCode::OK, &view);
    if res.headers().contains_key(header::CONTENT_SECURITY_POLICY) {
        res.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(JOB_CSP),
        );
    }
    Ok(res)
}

/// One of the caller's clean-up jobs (apply or restore): its progress, then its summary.
#[utoipa::path(get, path = "/api/jobs/{id}", operation_id = "getJob", tag = "cleanup",
    params(("id" = i64, Path, minimum = 1, description = "Job id")),
    responses((status = 200, description = "The job", body = JobView)))]
pub async fn api_get(
    State(cleanup): State<Cleanup>,
    CurrentUser(p): CurrentUser,
    Id(id): Id,
) -> Result<Json<JobView>, ApiError> {
    Ok(Json(job(&cleanup, &p, id).await?.into()))
}

async fn cancel(
    state: &AppState,
    cleanup: &Cleanup,
    ctx: &Ctx,
    p: &Principal,
    id: i64,
) -> Result<Job, ApiError> {
    let job = cleanup.cancel(&work::owner(&p.user.id)?, id).await?;
    audit(
        state,
        ctx,
        Some(p),
        "job.cancelled",
        Some(id.to_string()),
        None,
    )
    .await?;
    Ok(job)
}

/// `POST /jobs/{id}/cancel`: stops the job before its next file, then back to its page.
pub async fn cancel_form(
    State(state): State<AppState>,
    State(cleanup): State<Cleanup>,
    ctx: Ctx,
    CurrentUser(p): CurrentUser,
    Id(id): Id,
) -> Result<Response, ApiError> {
    cancel(&state, &cleanup, &ctx, &p, id).await?;
    Ok(Redirect::to(&format!("/jobs/{id}")).into_response())
}

/// Asks a running job to stop before its next file; what it already moved stays in the
/// trash (restore the plan to undo it).
#[utoipa::path(post, path = "/api/jobs/{id}/cancel", operation_id = "cancelJob", tag = "cleanup",
    params(("id" = i64, Path, minimum = 1, description = "Job id")),
    responses((status = 202, description = "Asked; the job stops before its next file", body = JobView),
        (status = 409, description = "The job is over", body = platform::Problem, content_type = "application/problem+json")))]
pub async fn api_cancel(
    State(state): State<AppState>,
    State(cleanup): State<Cleanup>,
    ctx: Ctx,
    CurrentUser(p): CurrentUser,
    Id(id): Id,
) -> Result<Response, ApiError> {
    let job: JobView = cancel(&state, &cleanup, &ctx, &p, id).await?.into();
    Ok((StatusCode::ACCEPTED, Json(job)).into_response())
}

async fn restore_plan(
    state: &AppState,
    cleanup: &Cleanup,
    ctx: &Ctx,
    p: &Principal,
    plan: i64,
) -> Result<i64, ApiError> {
    let job = cleanup
        .start_restore(&work::owner(&p.user.id)?, plan)
        .await?;
    audit(
        state,
        ctx,
        Some(p),
        "plan.restore_started",
        Some(plan.to_string()),
        Some(format!("job {job}")),
    )
    .await?;
    Ok(job)
}

/// `POST /plans/{id}/restore`: undoes the whole plan in the background; shows its progress.
pub async fn restore_plan_form(
    State(state): State<AppState>,
    State(cleanup): State<Cleanup>,
    ctx: Ctx,
    CurrentUser(p): CurrentUser,
    Id(id): Id,
) -> Result<Response, ApiError> {
    let job = restore_plan(&state, &cleanup, &ctx, &p, id).await?;
    Ok(Redirect::to(&format!("/jobs/{job}")).into_response())
}

/// Undoes a whole plan in the background: every file it moved to the trash goes back.
#[utoipa::path(post, path = "/api/plans/{id}/restore", operation_id = "restorePlan", tag = "cleanup",
    params(("id" = i64, Path, minimum = 1, description = "Plan id")),
    responses((status = 202, description = "Started; poll the job",
            headers(("Location" = String, description = "The job's status URL")),
            body = JobStarted),
        (status = 409, description = "Nothing of the plan is in the trash, or another job of \
            this account is running", body = platform::Problem, content_type = "application/problem+json")))]
pub async fn api_restore_plan(
    State(state): State<AppState>,
    State(cleanup): State<Cleanup>,
    ctx: Ctx,
    CurrentUser(p): CurrentUser,
    Id(id): Id,
) -> Result<Response, ApiError> {
    Ok(accepted(
        restore_plan(&state, &cleanup, &ctx, &p, id).await?,
    ))
}
