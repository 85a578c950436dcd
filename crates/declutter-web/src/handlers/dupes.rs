//! Duplicate groups of the caller: filtered (type, size, folder, source, name), sorted and
//! paged ([`crate::review`]); the folder view, where a person picks the folder to keep and
//! the folder to clean up instead of typing paths; and the verification of likely matches, a
//! queued job ([`crate::services::cleanup`]).
//!
//! Images (local or in a connected drive) carry a thumbnail URL ([`super::files::thumbnail`]);
//! the page shows one per exact group (the copies are byte-identical) and one per file in
//! probable groups, loaded lazily so a page view itself never reads file contents or calls a
//! provider.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use declutter_core::store::jobs::JobKind;
use declutter_core::store::review::{Filter, Kind, Sort};
use http::{StatusCode, header};
use serde::{Deserialize, Serialize};

use crate::auth::access::{Ctx, CurrentUser};
use crate::error::ApiError;
use crate::extract::Query;
use crate::pages::{Choice, DupesGroups, DupesPage, FolderRow, FoldersPage, human};
use crate::review::{DupesQuery, Folders, Review, Selection};
use crate::services::cleanup::Cleanup;
use crate::state::AppState;
use crate::views::{Layout, page, page_sized};
use crate::work;

/// Starting to verify likely matches, as the audit log records it.
const VERIFY: super::jobs::Unplanned = super::jobs::Unplanned {
    kind: JobKind::Verify,
    action: "dupes.verify_started",
    target: None,
};

/// `GET /dupes?…`.
pub async fn page_(
    State(state): State<AppState>,
    State(review): State<Review>,
    CurrentUser(p): CurrentUser,
    Query(q): Query<DupesQuery>,
) -> Result<Response, ApiError> {
    let sel = Selection::try_from(q)?;
    let owner = work::owner(&p.user.id)?;
    // Every source and folder, whatever the filter: they are the filter's choices.
    let (dupes, folders) = review
        .page_and_folders(owner, &sel, &Filter::default())
        .await?;
    let query = sel.query();
    let link = |page: usize| format!("/dupes?{query}&page={page}");
    let groups = dupes
        .groups_html(|d| askama::Template::render(&DupesGroups { dupes: d }))
        .map_err(ApiError::internal)?;
    let view = DupesPage {
        groups,
        reclaimable: human(dupes.reclaimable_bytes),
        prev: (dupes.page > 1).then(|| link(dupes.page - 1)),
        next: (dupes.page < dupes.pages).then(|| link(dupes.page + 1)),
        kinds: choices(
            Kind::ALL.iter().map(|k| (k.to_string(), kind_label(*k))),
            sel.filter.kind.map(|k| k.to_string()),
        ),
        sorts: choices(
            Sort::ALL.iter().map(|s| (s.to_string(), sort_label(*s))),
            Some(sel.sort.to_string()),
        ),
        sizes: choices(
            [
                (1u64 << 20, "1 MiB"),
                (10 << 20, "10 MiB"),
                (100 << 20, "100 MiB"),
                (1 << 30, "1 GiB"),
            ]
            .iter()
            .map(|(n, l)| (n.to_string(), format!("{l} or more"))),
            sel.filter.min_size.map(|n| n.to_string()),
        ),
        sources: choices(
            folders.tree.sources.iter().map(|s| (s.clone(), s.clone())),
            sel.filter.source.clone(),
        ),
        keep_options: keep_options(&folders, sel.keep.as_deref()),
        clear_folder: sel.with("folder", None),
        clear_keep: sel.with("keep", None),
        search: sel.filter.name.clone().unwrap_or_default(),
        sel,
        dupes,
        layout: Layout::new(&state, Some(&p), "", "dupes"),
    };
    let groups = view.groups.len();
    Ok(page_sized(StatusCode::OK, &view, groups))
}

/// A page of the caller's duplicate groups, filtered and sorted.
#[utoipa::path(get, path = "/api/dupes", operation_id = "listDuplicates", tag = "review", params(DupesQuery),
    responses((status = 200, description = "The page (an empty page past the last)",
        body = crate::review::DupesView)))]
pub async fn api_list(
    State(review): State<Review>,
    CurrentUser(p): CurrentUser,
    Query(q): Query<DupesQuery>,
) -> Result<Response, ApiError> {
    let sel = Selection::try_from(q)?;
    let view = review.page(work::owner(&p.user.id)?, &sel).await?;
    let body = view.json().map_err(ApiError::internal)?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// `?parent=` of the folder view, beside the duplicates query it carries along.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FolderQuery {
    /// The folder whose subfolders are shown (absent or empty: the top).
    #[param(max_length = 4096)]
    pub parent: Option<String>,
}

/// One folder in the API.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FolderItem {
    /// Folder path.
    pub path: String,
    /// Duplicate copies below it.
    pub copies: u64,
    /// Groups with a copy below it.
    pub groups: u64,
    /// Bytes freed by removing the copies below it (every group keeping one copy).
    pub reclaimable: u64,
}

/// The subfolders of `parent` holding duplicates; an unknown parent is 404.
fn children(folders: &Folders, parent: Option<&str>) -> Result<Vec<FolderItem>, ApiError> {
    let parent = parent.map(|p| p.trim_end_matches('/')).unwrap_or("");
    if !parent.is_empty() && folders.tree.get(parent).is_none() {
        return Err(ApiError::NotFound);
    }
    Ok(folders
        .tree
        .children(parent)
        .into_iter()
        .map(|(path, s)| FolderItem {
            path: path.to_owned(),
            copies: s.copies,
            groups: s.groups,
            reclaimable: s.reclaimable,
        })
        .collect())
}

/// `GET /dupes/folders?parent=…&keep=…&folder=…`: where the duplicates are.
pub async fn folders_page(
    State(state): State<AppState>,
    State(review): State<Review>,
    CurrentUser(p): CurrentUser,
    Query(f): Query<FolderQuery>,
    Query(q): Query<DupesQuery>,
) -> Result<Response, ApiError> {
    let sel = Selection::try_from(q)?;
    let folders = review
        .folders(work::owner(&p.user.id)?, &sel.tree_filter())
        .await?;
    let parent = f.parent.filter(|p| !p.is_empty());
    let rows = children(&folders, parent.as_deref())?
        .into_iter()
        .map(|c| FolderRow {
            open: (!folders.tree.children(&c.path).is_empty())
                .then(|| format!("/dupes/folders?{}&parent={}", sel.query(), encode(&c.path))),
            show: format!("/dupes?{}", sel.with("folder", Some(&c.path))),
            keep: format!("/dupes?{}", sel.with("keep", Some(&c.path))),
            is_keep: sel.keep.as_deref() == Some(c.path.as_str()),
            is_clean: sel.filter.folder.as_deref() == Some(c.path.as_str()),
            copies: c.copies,
            reclaimable: human(c.reclaimable),
            path: c.path,
        })
        .collect();
    let view = FoldersPage {
        up: parent.as_ref().map(|p| {
            let up = p.rsplit_once('/').map_or("", |(u, _)| u);
            format!("/dupes/folders?{}&parent={}", sel.query(), encode(up))
        }),
        parent,
        rows,
        back: format!("/dupes?{}", sel.query()),
        sel,
        layout: Layout::new(&state, Some(&p), "", "folders"),
    };
    Ok(page(StatusCode::OK, &view))
}

/// The subfolders of `parent` that hold duplicate copies, with what removing them frees,
/// counting only the groups that pass the duplicates view's filter (`type`, `min_size`,
/// `max_size`, `source`, `q`; its `page`, `sort`, `folder` and `keep` are read and ignored).
#[utoipa::path(get, path = "/api/folders", operation_id = "listFolders", tag = "review",
    params(FolderQuery, DupesQuery),
    responses((status = 200, description = "The subfolders", body = Vec<FolderItem>),
        (status = 404, description = "No duplicates below `parent`", body = platform::Problem,
            content_type = "application/problem+json")))]
pub async fn api_folders(
    State(review): State<Review>,
    CurrentUser(p): CurrentUser,
    Query(f): Query<FolderQuery>,
    Query(q): Query<DupesQuery>,
) -> Result<Json<Vec<FolderItem>>, ApiError> {
    let sel = Selection::try_from(q)?;
    let folders = review
        .folders(work::owner(&p.user.id)?, &sel.tree_filter())
        .await?;
    Ok(Json(children(&folders, f.parent.as_deref())?))
}

fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn choices(
    options: impl Iterator<Item = (String, String)>,
    current: Option<String>,
) -> Vec<Choice> {
    options
        .map(|(value, label)| Choice {
            selected: current.as_deref() == Some(value.as_str()),
            value,
            label,
        })
        .collect()
}

/// The keep-folder picker: the folders holding the most copies, by path, and the one picked.
fn keep_options(folders: &Folders, picked: Option<&str>) -> Vec<Choice> {
    let mut paths = folders.picker.clone();
    if let Some(p) = picked
        && !paths.iter().any(|x| x == p)
    {
        paths.push(p.to_owned());
        paths.sort();
    }
    choices(
        paths.into_iter().map(|p| (p.clone(), p)),
        picked.map(str::to_owned),
    )
}

fn kind_label(k: Kind) -> String {
    match k {
        Kind::Image => "Pictures",
        Kind::Video => "Videos",
        Kind::Audio => "Music and audio",
        Kind::Document => "Documents",
        Kind::Archive => "Archives",
        Kind::Other => "Other files",
    }
    .to_owned()
}

fn sort_label(s: Sort) -> String {
    match s {
        Sort::Reclaimable => "Most space freed",
        Sort::Size => "Largest files",
        Sort::Count => "Most copies",
        Sort::Date => "Most recently changed",
    }
    .to_owned()
}

/// `POST /dupes/verify`: queue a verification of the likely matches and show its job.
pub async fn verify_form(
    State(state): State<AppState>,
    State(cleanup): State<Cleanup>,
    ctx: Ctx,
    CurrentUser(p): CurrentUser,
) -> Result<Response, ApiError> {
    let job = super::jobs::start_unplanned(&state, &cleanup, &ctx, &p, &VERIFY).await?;
    Ok(Redirect::to(&format!("/jobs/{job}")).into_response())
}

/// Starts verifying the caller's likely matches in the background: each file of a probable
/// group (same size and name on different providers) is downloaded and hashed, then the groups
/// are recomputed, so confirmed copies form exact groups a plan may act on. Drives need read
/// access to contents (the account page's "Allow previews and verification").
#[utoipa::path(post, path = "/api/dupes/verify", operation_id = "verifyDuplicates", tag = "review",
    responses((status = 202, description = "Started; poll the job",
            headers(("Location" = String, description = "The job's status URL")),
            body = super::jobs::JobStarted),
        (status = 409, description = "Another job of this account (an apply, an undo, a purge or a \
            verification) is queued or running", body = platform::Problem, content_type = "application/problem+json")))]
pub async fn api_verify(
    State(state): State<AppState>,
    State(cleanup): State<Cleanup>,
    ctx: Ctx,
    CurrentUser(p): CurrentUser,
) -> Result<Response, ApiError> {
    Ok(super::jobs::accepted(
        super::jobs::start_unplanned(&state, &cleanup, &ctx, &p, &VERIFY).await?,
    ))
}
