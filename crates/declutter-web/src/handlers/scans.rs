//! Starting a scan of one of the caller's sources (an assigned local folder or a connected
//! cloud drive) in the background, and watching it.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use declutter_core::engine::{self, EngineError, Providers as _};
use declutter_core::ids::Source;
use declutter_core::local::WalkOptions;
use http::StatusCode;
use serde::Serialize;
use serde_json::json;

use super::audit;
use crate::auth::access::{Ctx, CurrentUser, Principal};
use crate::db::{self, sources::Job, sources::Target};
use crate::error::ApiError;
use crate::local_roots::confine;
use crate::pages::ScanPage;
use crate::state::AppState;
use crate::views::{Layout, page};
use crate::work::{self, LiveView};

/// A job and, while it runs, its live progress.
#[derive(Debug, Clone, Serialize)]
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

fn started(job: i64) -> Response {
    (
        StatusCode::ACCEPTED,
        Json(json!({"job": job, "status_url": format!("/api/scans/{job}")})),
    )
        .into_response()
}

/// `POST /sources/{id}/scan`: starts a scan, then shows its progress page.
pub async fn start_form(
    State(state): State<AppState>,
    ctx: Ctx,
    CurrentUser(p): CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let job = start(&state, &ctx, &p, Target::Local(id)).await?;
    Ok(Redirect::to(&format!("/scans/{job}")).into_response())
}

/// `POST /api/sources/{id}/scans`: 202 with the job id.
pub async fn api_start(
    State(state): State<AppState>,
    ctx: Ctx,
    CurrentUser(p): CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    Ok(started(start(&state, &ctx, &p, Target::Local(id)).await?))
}

/// `POST /drives/{id}/scan`: scans a connected drive, then shows its progress page.
pub async fn drive_form(
    State(state): State<AppState>,
    ctx: Ctx,
    CurrentUser(p): CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let job = start(&state, &ctx, &p, Target::Drive(id)).await?;
    Ok(Redirect::to(&format!("/scans/{job}")).into_response())
}

/// `POST /api/connections/{id}/scans`: 202 with the job id.
pub async fn api_drive(
    State(state): State<AppState>,
    ctx: Ctx,
    CurrentUser(p): CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    Ok(started(start(&state, &ctx, &p, Target::Drive(id)).await?))
}

/// `GET /scans/{id}`: refreshes itself (meta refresh, no script needed) while running.
pub async fn page_(
    State(state): State<AppState>,
    CurrentUser(p): CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let view = ScanPage {
        status: status(&state, &p, id).await?,
        layout: Layout::new(&state, Some(&p), "", "sources"),
    };
    Ok(page(StatusCode::OK, &view))
}

/// `GET /api/scans/{id}`.
pub async fn api_status(
    State(state): State<AppState>,
    CurrentUser(p): CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<ScanStatus>, ApiError> {
    Ok(Json(status(&state, &p, id).await?))
}
