//! Per-file resources of the caller's index: `GET /api/files/{id}/thumbnail`.
//!
//! Owner only: the row is looked up by id *and* owner, so another user's id is a plain 404.
//! Only local files have thumbnails (cloud thumbnails would mean a provider call per image);
//! the path is re-confined to the allow-listed roots on every request, and decoding runs on the
//! blocking pool, a few at a time ([`crate::state::AppState::thumbnailing`]).

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use declutter_core::ids::{ItemId, Source};
use declutter_core::store::files::{COLUMNS, FileRow, from_row};
use http::{HeaderValue, StatusCode, header};
use platform::Problem;

use crate::auth::access::CurrentUser;
use crate::error::ApiError;
use crate::state::AppState;
use crate::thumbnail::{self, ThumbError};
use crate::work;

/// How long a browser may reuse a thumbnail. The page's URLs carry the indexed modification
/// time (`?v=`), so a rescan that sees a change also changes the URL.
pub const THUMBNAIL_MAX_AGE_SECS: u32 = 3600;

/// The thumbnail URL of file `id` as indexed with `modified_ns`.
pub fn thumbnail_url(id: i64, modified_ns: i64) -> String {
    format!("/api/files/{id}/thumbnail?v={modified_ns}")
}

fn problem(e: &ThumbError) -> Problem {
    use StatusCode as S;
    match e {
        ThumbError::Missing => Problem::new(S::NOT_FOUND, "not_found", "Not found"),
        ThumbError::Changed => Problem::new(
            S::NOT_FOUND,
            "file_changed",
            "The file changed since it was scanned; scan again for a preview",
        ),
        ThumbError::NotAnImage => {
            Problem::new(S::UNSUPPORTED_MEDIA_TYPE, "not_an_image", e.to_string())
        }
        ThumbError::TooLarge(_) => {
            Problem::new(S::UNPROCESSABLE_ENTITY, "image_too_large", e.to_string())
        }
        ThumbError::Undecodable => {
            Problem::new(S::UNPROCESSABLE_ENTITY, "image_undecodable", e.to_string())
        }
        ThumbError::Internal(cause) => Problem::internal(cause),
    }
}

/// The caller's file `id`, if it exists and is theirs.
async fn owned_file(state: &AppState, user_id: &str, id: i64) -> Result<FileRow, ApiError> {
    let owner = work::owner(user_id)?;
    state
        .pool
        .read(
            move |c| -> Result<Option<FileRow>, declutter_core::db::DbError> {
                let mut stmt = c.prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM files WHERE id = ?1 AND user_id = ?2"
                ))?;
                let mut rows = stmt.query_map(
                    declutter_core::platform_db::rusqlite::params![id, owner.as_str()],
                    from_row,
                )?;
                Ok(rows.next().transpose()?)
            },
        )
        .await?
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .ok_or(ApiError::NotFound)
}

/// `GET /api/files/{id}/thumbnail`: a PNG (or, for JPEG files, JPEG) at most 160 pixels a side.
pub async fn thumbnail(
    State(state): State<AppState>,
    CurrentUser(p): CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, Problem> {
    let f = owned_file(&state, &p.user.id, id)
        .await
        .map_err(|e| e.problem())?;
    if f.is_dir || f.provider != "local" {
        return Err(Problem::new(
            StatusCode::NOT_FOUND,
            "no_thumbnail",
            "Previews are made for local image files only",
        ));
    }
    if !thumbnail::is_image(&f.name, f.mime.as_deref()) {
        return Err(problem(&ThumbError::NotAnImage));
    }
    let source: Source = f
        .source
        .parse()
        .map_err(|_| problem(&ThumbError::Missing))?;
    let root = source
        .local_root()
        .ok_or_else(|| problem(&ThumbError::Missing))?
        .to_path_buf();
    let item: ItemId = f
        .item_id
        .parse()
        .map_err(|_| problem(&ThumbError::Missing))?;
    let path = declutter_core::local::paths::path_for(&item);
    let roots = state.config.local_roots.clone();
    let _permit = state
        .thumbnailing
        .acquire()
        .await
        .map_err(Problem::internal)?;
    let thumb = tokio::task::spawn_blocking(move || {
        let bytes = thumbnail::read_confined(&roots, &root, &path, f.size, f.modified_ns)?;
        thumbnail::render(&bytes)
    })
    .await
    .map_err(Problem::internal)?
    .map_err(|e| problem(&e))?;
    let mut res = (StatusCode::OK, thumb.bytes).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(thumb.content_type),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("private, max-age={THUMBNAIL_MAX_AGE_SECS}")) {
        h.insert(header::CACHE_CONTROL, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(res)
}
