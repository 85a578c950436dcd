//! Starting a scan of one of the caller's sources (an assigned local folder or a connected
//! cloud drive) in the background, and watching it.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use declutter_core::engine::{self, EngineError, Providers as _};
use declutter_core::ids::Source;
use declutter_core::local::WalkOptions;
use http::StatusCode;
use serde::Serialize;

use super::audit;
use crate::auth::access::{Ctx, CurrentUser, Principal};
use crate::db::{self, sources::Job, sources::Target};
use crate::error::ApiError;
use crate::local_roots::confine;
use crate::pages::ScanPage;
use crate::path_id::Id;
use crate::state::AppState;
use crate::views::{Layout, page};
use crate::work::{self, LiveView};

/// A job and, while it runs, its live progress.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ScanStatus {
    /// The stored job.
    #[serde(flatten)]
    pub job: Job,
    /// Live progress while running.
    pub progress: Option<LiveView>,
}

impl ScanStatus {
    /// Whether the page should keep refreshing.
    pub fn running(&self) -> bool {
        self.job.state == "running"
    }
}

/// What to scan, resolved for the caller.
enum Scan {
    Local(db::sources::LocalSource),
    Drive(Source),
}

async fn start(
    state: &AppState,
    ctx: &Ctx,
    p: &Principal,
    target: Target,
) -> Result<i64, ApiError> {
    let uid = p.user.id.clone();
    let owner = work::owner(&uid)?;
    let (scan, job) = state
        .pool
        .write(move |c| -> Result<_, ApiError> {
            // Ownership first: another account's source or connection is "not found".
            let scan = match target {
                Target::Local(id) => {
                    Scan::Local(db::sources::get(c, &uid, id)?.ok_or(ApiError::NotFound)?)
                }
                Target::Drive(id) => {
                    let conn = db::connections::list(c, &uid)?
                        .into_iter()
                        .find(|k| k.id == id)
                        .ok_or(ApiError::NotFound)?;
                    Scan::Drive(match conn.provider.as_str() {
                        "onedrive" => Source::OneDrive,
                        "gdrive" => Source::GDrive,
                        _ => return Err(ApiError::NotFound),
                    })
                }
            };
            let job = db::sources::begin_job(c, &uid, target)?.ok_or_else(|| {
                ApiError::Conflict("a scan of this source is already running".into())
            })?;
            Ok((scan, job))
        })
        .await??;
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
    let live = state.jobs.start(job);
    let st = state.clone();
    let user_id = p.user.id.clone();
    tokio::spawn(async move {
        let roots = st.config.local_roots.clone();
        let progress: Arc<dyn declutter_core::progress::Progress> = live;
        let result = work::run(&st, &user_id, move |conn, rt, providers| match scan {
            Scan::Local(source) => {
                // Re-checked now: the folder may have been swapped for a symlink since it was added.
                let root = confine(&roots, std::path::Path::new(&source.path))
                    .map_err(|e| EngineError::NotConfigured(e.to_string()))?;
                rt.block_on(engine::scan::scan_local(
                    conn,
                    &owner,
                    &root,
                    WalkOptions::default(),
                    progress,
                ))
            }
            Scan::Drive(source) => {
                // Cloud listings report no per-item progress; the phase says what happens.
                progress.phase("listing", None);
                let provider = providers.provider(&source)?;
                rt.block_on(engine::scan::scan(conn, &owner, &source, provider.as_ref()))
            }
        })
        .await;
        let summary = match result {
            Ok(s) => Some((
                s.scan_id,
                i64::try_from(s.indexed).unwrap_or(i64::MAX),
                i64::try_from(s.issues.len()).unwrap_or(i64::MAX),
            )),
            Err(error) => {
                tracing::warn!(job, %error, "scan failed");
                None
            }
        };
        match st
            .pool
            .write(move |c| db::sources::finish_job(c, job, summary))
            .await
        {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::warn!(job, %error, "recording the scan's end failed"),
            Err(error) => tracing::warn!(job, %error, "recording the scan's end failed"),
        }
        st.jobs.end(job);
    });
    Ok(job)
}

async fn status(state: &AppState, p: &Principal, id: i64) -> Result<ScanStatus, ApiError> {
    let uid = p.user.id.clone();
    let job = state
        .pool
        .read(move |c| db::sources::job(c, &uid, id))
        .await??
        .ok_or(ApiError::NotFound)?;
    let progress = state.jobs.view(id);
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
#[utoipa::path(post, path = "/api/sources/{id}/scans", tag = "sources",
    params(("id" = i64, Path, minimum = 1, description = "Local source id")),
    responses((status = 202, description = "Started; poll the job", body = ScanStarted)))]
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
#[utoipa::path(post, path = "/api/connections/{id}/scans", tag = "sources",
    params(("id" = i64, Path, minimum = 1, description = "Connection id")),
    responses((status = 202, description = "Started; poll the job", body = ScanStarted),
        (status = 409, description = "The connection must be connected again", body = platform::Problem, content_type = "application/problem+json")))]
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
#[utoipa::path(get, path = "/api/scans/{id}", tag = "sources",
    params(("id" = i64, Path, minimum = 1, description = "Job id")),
    responses((status = 200, description = "The job", body = ScanStatus)))]
pub async fn api_status(
    State(state): State<AppState>,
    CurrentUser(p): CurrentUser,
    Id(id): Id,
) -> Result<Json<ScanStatus>, ApiError> {
    Ok(Json(status(&state, &p, id).await?))
}
