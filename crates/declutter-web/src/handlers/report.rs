//! The clutter report: largest, untouched, empty, temporary.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use declutter_core::engine::report::{self, ReportOptions};
use declutter_core::store::files::FileRow;
use http::StatusCode;
use serde::Serialize;

use crate::auth::access::{CurrentUser, Principal};
use crate::error::ApiError;
use crate::pages::{FileView, ReportPage};
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
        .map(|f| FileView::of(&f.path, f.size, f.modified_ns))
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
#[utoipa::path(get, path = "/api/report", tag = "review",
    responses((status = 200, description = "The report", body = ReportView)))]
pub async fn api_get(
    State(state): State<AppState>,
    CurrentUser(p): CurrentUser,
) -> Result<Json<ReportView>, ApiError> {
    Ok(Json(load(&state, &p).await?))
}
