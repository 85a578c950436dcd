//! The trash bin: what apply moved away, a page at a time, with the days left before it may be
//! purged and the space it holds; restore or purge one entry, a selection or a whole plan, and
//! "free space now" (purge everything, confirmed).

use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use declutter_core::engine::trash::{PurgeSelection, RestoreReport};
use declutter_core::store::jobs::JobKind;
use http::StatusCode;
use serde::{Deserialize, Serialize};

use super::{audit, form_ids, form_pairs};
use crate::auth::access::{Ctx, CurrentUser, Principal};
use crate::db;
use crate::error::ApiError;
use crate::extract::{Form, Json, Query};
use crate::model::{TrashSummary, TrashView};
use crate::pages::{TrashPage, human};
use crate::path_id::Id;
use crate::services::cleanup::{Cleanup, PAGE_SIZE};
use crate::state::AppState;
use crate::views::{Layout, page};
use crate::work;

/// Starting to empty the trash, as the audit log records it.
const EMPTY: super::jobs::Unplanned = super::jobs::Unplanned {
    kind: JobKind::Purge,
    action: "trash.empty_started",
    target: Some("all"),
};

/// Highest page number accepted (100 entries a page: ten million entries).
const MAX_PAGE: u64 = 100_000;

/// `?page=N` (from 1).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page number, from 1.
    #[param(minimum = 1, maximum = 100_000)]
    pub page: Option<u64>,
}

fn page_number(q: &PageQuery) -> Result<u64, ApiError> {
    match q.page.unwrap_or(1) {
        n @ 1..=MAX_PAGE => Ok(n),
        _ => Err(ApiError::Invalid(format!(
            "page must be from 1 to {MAX_PAGE}"
        ))),
    }
}

/// The ids to act on, in the API body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct Selection {
    /// Trash entry ids (at most 500).
    #[serde(default)]
    #[schema(max_items = 500)]
    pub ids: Vec<i64>,
    /// Not accepted: to restore or purge everything, restore the plans
    /// (`POST /api/plans/{id}/restore`) or empty the trash (`POST /api/trash/empty`).
    #[serde(default)]
    pub all: bool,
}

/// What a purge removed for good.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PurgeReport {
    /// Entries purged.
    pub purged: u64,
    /// Bytes freed.
    pub bytes: u64,
}

async fn view(
    state: &AppState,
    cleanup: &Cleanup,
    p: &Principal,
    page_no: u64,
    notice: Option<String>,
) -> Result<TrashPage, ApiError> {
    let t = cleanup
        .trash_page(&work::owner(&p.user.id)?, page_no)
        .await?;
    let now = db::now();
    let pages = t.count.div_ceil(PAGE_SIZE).max(1);
    Ok(TrashPage {
        entries: t
            .entries
            .into_iter()
            .map(|e| TrashView::of(e, now))
            .collect(),
        summary: TrashSummary {
            count: t.count,
            bytes_text: human(t.bytes),
            bytes: t.bytes,
            plans: t.plans,
        },
        page: page_no,
        pages,
        layout: Layout::new(state, Some(p), "", "trash"),
        notice,
    })
}

async fn restore(
    state: &AppState,
    cleanup: &Cleanup,
    ctx: &Ctx,
    p: &Principal,
    ids: Vec<i64>,
) -> Result<RestoreReport, ApiError> {
    let target = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    let report = cleanup.restore(&work::owner(&p.user.id)?, ids).await?;
    audit(
        state,
        ctx,
        Some(p),
        "trash.restored",
        Some(target),
        Some(format!(
            "{} restored, {} conflicts",
            report.restored,
            report.conflicts.len()
        )),
    )
    .await?;
    Ok(report)
}

async fn purge(
    state: &AppState,
    cleanup: &Cleanup,
    ctx: &Ctx,
    p: &Principal,
    selection: PurgeSelection,
) -> Result<PurgeReport, ApiError> {
    let target = match &selection {
        PurgeSelection::Ids(ids) => ids.iter().map(i64::to_string).collect::<Vec<_>>().join(","),
        PurgeSelection::All => "all".into(),
        PurgeSelection::Expired => "expired".into(),
    };
    let purged = cleanup.purge(&work::owner(&p.user.id)?, selection).await?;
    let report = PurgeReport {
        purged: purged.len() as u64,
        bytes: purged.iter().map(|e| e.size).sum(),
    };
    audit(
        state,
        ctx,
        Some(p),
        "trash.purged",
        Some(target),
        Some(format!("{} files, {} bytes", report.purged, report.bytes)),
    )
    .await?;
    Ok(report)
}

/// One entry restored, or the reason it was not, as an error (409 for a conflict).
fn single(report: RestoreReport) -> Result<(), ApiError> {
    if !report.conflicts.is_empty() {
        return Err(ApiError::Conflict(
            "cannot restore: something now exists at the original place".into(),
        ));
    }
    match report.failed.into_iter().next() {
        Some((_, reason)) => Err(ApiError::Conflict(format!("cannot restore: {reason}"))),
        None => Ok(()),
    }
}

fn restore_notice(r: &RestoreReport) -> String {
    let mut s = format!("{} files restored ({}).", r.restored, human(r.bytes));
    if !r.conflicts.is_empty() {
        s.push_str(&format!(
            " {} left in the trash because something exists at the original place now: {}.",
            r.conflicts.len(),
            r.conflicts.join(", ")
        ));
    }
    if !r.failed.is_empty() {
        s.push_str(&format!(" {} could not be restored.", r.failed.len()));
    }
    s
}

/// `GET /trash?page=N`.
pub async fn page_(
    State(state): State<AppState>,
    State(cleanup): State<Cleanup>,
    CurrentUser(p): CurrentUser,
    Query(q): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let view = view(&state, &cleanup, &p, page_number(&q)?, None).await?;
    Ok(page(StatusCode::OK, &view))
}

/// One page of the caller's trash (100 entries), newest first.
#[utoipa::path(get, path = "/api/trash", operation_id = "listTrash", tag = "cleanup", params(PageQuery),
    responses((status = 200, description = "The entries (none past the last page)", body = Vec<TrashView>)))]
pub async fn api_list(
    State(cleanup): State<Cleanup>,
    CurrentUser(p): CurrentUser,
    Query(q): Query<PageQuery>,
) -> Result<Json<Vec<TrashView>>, ApiError> {
    let t = cleanup
        .trash_page(&work::owner(&p.user.id)?, page_number(&q)?)
        .await?;
    let now = db::now();
    Ok(Json(
        t.entries
            .into_iter()
            .map(|e| TrashView::of(e, now))
            .collect(),
    ))
}

/// The caller's trash in numbers: entries, the bytes they hold (freed only by a purge) and the
/// plans with files in it.
#[utoipa::path(get, path = "/api/trash/summary", operation_id = "getTrashSummary", tag = "cleanup",
    responses((status = 200, description = "The summary", body = TrashSummary)))]
pub async fn api_summary(
    State(cleanup): State<Cleanup>,
    CurrentUser(p): CurrentUser,
) -> Result<Json<TrashSummary>, ApiError> {
    let t = cleanup.trash_page(&work::owner(&p.user.id)?, 1).await?;
    Ok(Json(TrashSummary {
        count: t.count,
        bytes_text: human(t.bytes),
        bytes: t.bytes,
        plans: t.plans,
    }))
}

/// `POST /trash/{id}/restore`.
pub async fn restore_form(
    State(state): State<AppState>,
    State(cleanup): State<Cleanup>,
    ctx: Ctx,
    CurrentUser(p): CurrentUser,
    Id(id): Id,
) -> Result<Response, ApiError> {
    single(restore(&state, &cleanup, &ctx, &p, vec![id]).await?)?;
    Ok(Redirect::to("/trash").into_response())
}

/// `POST /trash/{id}/purge`.
pub async fn purge_form(
    State(state): State<AppState>,
    State(cleanup): State<Cleanup>,
    ctx: Ctx,
    CurrentUser(p): CurrentUser,
    Id(id): Id,
) -> Result<Response, ApiError> {
    purge(&state, &cleanup, &ctx, &p, PurgeSelection::Ids(vec![id])).await?;
    Ok(Redirect::to("/trash").into_response())
}

/// `POST /trash/selection`: restore or purge the ticked entries (`ids`, `action`).
pub async fn selection_form(
    State(state): State<AppState>,
    State(cleanup): State<Cleanup>,
    ctx: Ctx,
    CurrentUser(p): CurrentUser,
    body: Bytes,
) -> Result<Response, ApiError> {
    let pairs = form_pairs(&body);
    let ids = form_ids(&pairs, "ids")?;
    let action = pairs
        .iter()
        .find(|(k, _)| k == "action")
        .map(|(_, v)| v.as_str());
    let notice = match action {
        Some("restore") => restore_notice(&restore(&state, &cleanup, &ctx, &p, ids).await?),
        Some("purge") => {
            let r = purge(&state, &cleanup, &ctx, &p, PurgeSelection::Ids(ids)).await?;
            format!(
                "{} files deleted for good; {} freed.",
                r.purged,
                human(r.bytes)
            )
        }
        _ => return Err(ApiError::Invalid("choose restore or purge".into())),
    };
    let view = view(&state, &cleanup, &p, 1, Some(notice)).await?;
    Ok(page(StatusCode::OK, &view))
}

/// The body of `POST /trash/empty`.
#[derive(Debug, Deserialize)]
pub struct EmptyForm {
    /// `yes` when the confirmation box is ticked; absent otherwise.
    confirm: Option<String>,
}

/// `POST /trash/empty`: "free space now", purging everything; needs the `confirm` box ticked.
/// Queues the job and shows its page (a drive purges one file per API call: thousands of
/// files take minutes).
pub async fn empty_form(
    State(state): State<AppState>,
    State(cleanup): State<Cleanup>,
    ctx: Ctx,
    CurrentUser(p): CurrentUser,
    Form(form): Form<EmptyForm>,
) -> Result<Response, ApiError> {
    if form.confirm.as_deref() != Some("yes") {
        return Err(ApiError::Invalid(
            "tick the box to confirm that every file in the trash is deleted for good".into(),
        ));
    }
    let job = super::jobs::start_unplanned(&state, &cleanup, &ctx, &p, &EMPTY).await?;
    Ok(Redirect::to(&format!("/jobs/{job}")).into_response())
}

/// Starts deleting everything in the caller's trash for good ("free space now") in the
/// background; the job's summary says what was purged and what was left.
#[utoipa::path(post, path = "/api/trash/empty", operation_id = "emptyTrash", tag = "cleanup",
    responses((status = 202, description = "Started; poll the job",
            headers(("Location" = String, description = "The job's status URL")),
            body = super::jobs::JobStarted),
        (status = 409, description = "Another clean-up of this account (an apply, an undo or a \
            purge) is queued or running", body = platform::Problem, content_type = "application/problem+json")))]
pub async fn api_empty(
    State(state): State<AppState>,
    State(cleanup): State<Cleanup>,
    ctx: Ctx,
    CurrentUser(p): CurrentUser,
) -> Result<Response, ApiError> {
    Ok(super::jobs::accepted(
        super::jobs::start_unplanned(&state, &cleanup, &ctx, &p, &EMPTY).await?,
    ))
}

/// Puts one trashed file back where it was (never over something that is there now).
#[utoipa::path(post, path = "/api/trash/{id}/restore", operation_id = "restoreTrashEntry", tag = "cleanup",
    params(("id" = i64, Path, minimum = 1, description = "Trash entry id")),
    responses((status = 204, description = "Restored"),
        (status = 409, description = "Something exists at the original place now, or the entry \
            is no longer in the trash", body = platform::Problem, content_type = "application/problem+json")))]
pub async fn api_restore(
    State(state): State<AppState>,
    State(cleanup): State<Cleanup>,
    ctx: Ctx,
    CurrentUser(p): CurrentUser,
    Id(id): Id,
) -> Result<StatusCode, ApiError> {
    single(restore(&state, &cleanup, &ctx, &p, vec![id]).await?)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes one trashed file for good.
#[utoipa::path(delete, path = "/api/trash/{id}", operation_id = "purgeTrashEntry", tag = "cleanup",
    params(("id" = i64, Path, minimum = 1, description = "Trash entry id")),
    responses((status = 204, description = "Purged"),
        (status = 409, description = "The entry is no longer in the trash", body = platform::Problem, content_type = "application/problem+json")))]
pub async fn api_purge(
    State(state): State<AppState>,
    State(cleanup): State<Cleanup>,
    ctx: Ctx,
    CurrentUser(p): CurrentUser,
    Id(id): Id,
) -> Result<StatusCode, ApiError> {
    purge(&state, &cleanup, &ctx, &p, PurgeSelection::Ids(vec![id])).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Restores the named trash entries (at most 500); conflicts and refusals are in the report.
#[utoipa::path(post, path = "/api/trash/restore", operation_id = "restoreTrashEntries", tag = "cleanup", request_body = Selection,
    responses((status = 200, description = "What was restored and what was not",
            body = declutter_core::engine::trash::RestoreReport),
        (status = 400, description = "The body is not JSON of this shape", body = platform::Problem, content_type = "application/problem+json"),
        (status = 404, description = "An id names no entry of the caller's trash; nothing moved", body = platform::Problem, content_type = "application/problem+json"),
        (status = 409, description = "An entry is no longer in the trash", body = platform::Problem, content_type = "application/problem+json")))]
pub async fn api_restore_selection(
    State(state): State<AppState>,
    State(cleanup): State<Cleanup>,
    ctx: Ctx,
    CurrentUser(p): CurrentUser,
    Json(s): Json<Selection>,
) -> Result<Json<RestoreReport>, ApiError> {
    if s.all {
        return Err(ApiError::Invalid(
            "restore a plan (POST /api/plans/{id}/restore) or name the entries".into(),
        ));
    }
    Ok(Json(restore(&state, &cleanup, &ctx, &p, s.ids).await?))
}

/// Deletes the named trash entries for good (at most 500); to delete everything, empty the
/// trash (`POST /api/trash/empty`).
#[utoipa::path(post, path = "/api/trash/purge", operation_id = "purgeTrashEntries", tag = "cleanup", request_body = Selection,
    responses((status = 200, description = "What was purged", body = PurgeReport),
        (status = 400, description = "The body is not JSON of this shape", body = platform::Problem, content_type = "application/problem+json"),
        (status = 404, description = "An id names no entry of the caller's trash; nothing was purged", body = platform::Problem, content_type = "application/problem+json"),
        (status = 409, description = "An entry is no longer in the trash, or a clean-up of this \
            account is running", body = platform::Problem, content_type = "application/problem+json")))]
pub async fn api_purge_selection(
    State(state): State<AppState>,
    State(cleanup): State<Cleanup>,
    ctx: Ctx,
    CurrentUser(p): CurrentUser,
    Json(s): Json<Selection>,
) -> Result<Json<PurgeReport>, ApiError> {
    if s.all {
        return Err(ApiError::Invalid(
            "to delete everything, empty the trash (POST /api/trash/empty); or name the entries"
                .into(),
        ));
    }
    Ok(Json(
        purge(&state, &cleanup, &ctx, &p, PurgeSelection::Ids(s.ids)).await?,
    ))
}
