//! Duplicate groups of the caller, largest waste first, a page at a time.
//!
//! Images (local or in a connected drive) carry a thumbnail URL ([`super::files::thumbnail`]);
//! the page shows one per exact group (the copies are byte-identical) and one per file in
//! probable groups, loaded lazily so a page view itself never reads file contents or calls a
//! provider.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use std::sync::Arc;

use axum::response::{IntoResponse, Response};
use declutter_core::store::groups::{self, Confidence};
use http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::auth::access::{CurrentUser, Principal};
use crate::error::ApiError;
use crate::pages::{DupesPage, FileView, human};
use crate::state::AppState;
use crate::views::{Layout, page};
use crate::work;

/// Groups per page.
pub const PAGE_SIZE: usize = 20;

/// `?page=` (1-based).
#[derive(Debug, Deserialize)]
pub struct PageQuery {
    /// Page number, from 1.
    pub page: Option<usize>,
}

/// One group.
#[derive(Debug, Clone, Serialize)]
pub struct GroupView {
    /// Group id.
    pub id: i64,
    /// `exact` (same content hash) or `probable` (same size and name; never acted on).
    pub confidence: &'static str,
    /// Size of each copy.
    pub size: u64,
    /// Bytes freed by keeping one copy.
    pub reclaimable: u64,
    /// Human form of `reclaimable`.
    pub reclaimable_text: String,
    /// The copies.
    pub files: Vec<FileView>,
    /// Thumbnail of the group: the first copy's, for exact groups of images.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thumbnail: Option<String>,
}

/// One page of groups.
#[derive(Debug, Clone, Serialize)]
pub struct DupesView {
    /// This page (1-based).
    pub page: usize,
    /// Number of pages (at least 1).
    pub pages: usize,
    /// Groups in total.
    pub total_groups: usize,
    /// Bytes reclaimable over all exact groups.
    pub reclaimable_bytes: u64,
    /// The groups of this page.
    pub groups: Vec<GroupView>,
}

/// What one read of the database gave: a page still current in the cache, or fresh rows.
enum Read {
    Cached(Arc<DupesView>),
    Fresh {
        version: i64,
        summary: groups::Summary,
        page_no: usize,
        pages: usize,
        rows: Vec<groups::Group>,
    },
}

async fn load(state: &AppState, p: &Principal, page_no: usize) -> Result<Arc<DupesView>, ApiError> {
    let owner = work::owner(&p.user.id)?;
    let key: Arc<str> = Arc::from(p.user.id.as_str());
    let cache = Arc::clone(&state.dupes_cache);
    let read_key = Arc::clone(&key);
    // The version first, then the data: a write in between can only make the cached copy look
    // older than it is (a later miss), never newer. Only the summary and one page are read:
    // both come from the `dup_groups_page` index.
    let read = state
        .pool
        .read(move |c| -> Result<_, declutter_core::db::DbError> {
            let version = groups::view_version(c, &owner)?;
            let summary = groups::summary(c, &owner)?;
            let total = usize::try_from(summary.group_count).unwrap_or(usize::MAX);
            let pages = total.div_ceil(PAGE_SIZE).max(1);
            let page_no = page_no.clamp(1, pages);
            if let Some(view) = cache.get(&read_key, page_no, version) {
                return Ok(Read::Cached(view));
            }
            let offset = ((page_no - 1) * PAGE_SIZE) as u64;
            let rows = groups::page(c, &owner, offset, PAGE_SIZE as u64)?;
            Ok(Read::Fresh {
                version,
                summary,
                page_no,
                pages,
                rows,
            })
        })
        .await?
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let (version, summary, page_no, pages, rows) = match read {
        Read::Cached(view) => return Ok(view),
        Read::Fresh {
            version,
            summary,
            page_no,
            pages,
            rows,
        } => (version, summary, page_no, pages, rows),
    };
    let groups = rows
        .iter()
        .map(|g| {
            let files: Vec<FileView> = g.files.iter().map(FileView::of_row).collect();
            GroupView {
                id: g.id,
                confidence: match g.confidence {
                    Confidence::Exact => "exact",
                    Confidence::Probable => "probable",
                },
                size: g.size,
                reclaimable: g.wasted(),
                reclaimable_text: human(g.wasted()),
                thumbnail: match g.confidence {
                    Confidence::Exact => files.iter().find_map(|f| f.thumbnail.clone()),
                    Confidence::Probable => None,
                },
                files,
            }
        })
        .collect();
    let view = Arc::new(DupesView {
        page: page_no,
        pages,
        total_groups: usize::try_from(summary.group_count).unwrap_or(usize::MAX),
        reclaimable_bytes: summary.reclaimable_bytes,
        groups,
    });
    state
        .dupes_cache
        .put(key, page_no, version, Arc::clone(&view));
    Ok(view)
}

fn page_no(q: Result<Query<PageQuery>, QueryRejection>) -> Result<usize, ApiError> {
    let Query(q) = q.map_err(|_| ApiError::Invalid("page must be a positive number".into()))?;
    Ok(q.page.unwrap_or(1))
}

/// `GET /dupes?page=`.
pub async fn page_(
    State(state): State<AppState>,
    CurrentUser(p): CurrentUser,
    q: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let dupes = load(&state, &p, page_no(q)?).await?;
    let view = DupesPage {
        reclaimable: human(dupes.reclaimable_bytes),
        dupes,
        layout: Layout::new(&state, Some(&p), "", "dupes"),
    };
    Ok(page(StatusCode::OK, &view))
}

/// `GET /api/dupes?page=`.
pub async fn api_list(
    State(state): State<AppState>,
    CurrentUser(p): CurrentUser,
    q: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let view = load(&state, &p, page_no(q)?).await?;
    Ok(Json(&*view).into_response())
}
