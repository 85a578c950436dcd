//! Per-file resources of the caller's index: `GET /api/files/{id}/thumbnail`.
//!
//! Owner only: the row is looked up by id *and* owner, so another user's id is a plain 404.
//! Local files: the path is re-confined to the allow-listed roots on every request. Files of a
//! connected drive: the provider's own thumbnail, fetched with the owner's token and bounded
//! ([`crate::cloud_thumbnail`]). Either way the bytes are decoded and re-encoded on the blocking
//! pool, a few at a time ([`crate::state::AppState::thumbnailing`]), so the browser only ever
//! gets our PNG or JPEG.

use std::sync::Arc;

use axum::extract::{FromRef as _, State};
use axum::response::{IntoResponse, Response};
use declutter_core::ids::{ItemId, ProviderKind, Source};
use declutter_core::store::files::FileRow;
use http::{HeaderValue, StatusCode, header};
use platform::Problem;

use crate::auth::access::CurrentUser;
use crate::cloud_thumbnail::{self, CloudThumbError};
use crate::error::ApiError;
use crate::path_id::Id;
use crate::state::AppState;
use crate::thumbnail::{self, ThumbError};
use crate::work;

/// How long a browser may reuse a thumbnail. The page's URLs carry the indexed modification
/// time (`?v=`), so a rescan that sees a change also changes the URL.
pub const THUMBNAIL_MAX_AGE_SECS: u32 = 3600;

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
        .read(move |c| declutter_core::store::singles::file(c, &owner, id))
        .await??
        .ok_or(ApiError::NotFound)
}

fn no_thumbnail() -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        "no_thumbnail",
        "There is no preview of this file",
    )
}

fn cloud_problem(e: &CloudThumbError) -> Problem {
    match e {
        CloudThumbError::NoThumbnail => no_thumbnail(),
        CloudThumbError::TooLarge => problem(&ThumbError::TooLarge(e.to_string())),
        CloudThumbError::Connection => ApiError::Conflict(
            "the connection to this drive is missing or has expired: connect it again on the \
             Account page"
                .into(),
        )
        .problem(),
        CloudThumbError::Provider(cause) => {
            // Logged here because only 500 and 503 problems carry their cause to the request log.
            tracing::warn!(error = %cause, "cloud thumbnail fetch failed");
            Problem::new(
                StatusCode::BAD_GATEWAY,
                "provider_unavailable",
                "The drive did not deliver a preview; try again later",
            )
        }
    }
}

/// The bytes of local file `f`, read from its confined path (on the blocking pool).
async fn local_bytes(state: &AppState, f: &FileRow) -> Result<Vec<u8>, Problem> {
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
    let (size, modified_ns) = (f.size, f.modified_ns);
    tokio::task::spawn_blocking(move || {
        thumbnail::read_confined(&roots, &root, &path, size, modified_ns)
    })
    .await
    .map_err(Problem::internal)?
    .map_err(|e| problem(&e))
}

/// A thumbnail of an image file: a PNG (or, for JPEG files, JPEG) at most 160 pixels a side.
#[utoipa::path(get, path = "/api/files/{id}/thumbnail", operation_id = "getThumbnail", tag = "review",
    params(
        ("id" = i64, Path, minimum = 1, description = "File id (from the duplicates list)"),
        ("v" = Option<String>, Query, description = "Cache key the pages add (the file's version); ignored"),
    ),
    responses(
        (status = 200, description = "The thumbnail", content(
            (Vec<u8> = "image/png"), (Vec<u8> = "image/jpeg"))),
        (status = 409, description = "The drive must be connected again", body = platform::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not an image, or one that cannot be decoded", body = platform::Problem, content_type = "application/problem+json"),
        (status = 502, description = "The drive did not give a thumbnail", body = platform::Problem, content_type = "application/problem+json"),
    ))]
pub async fn thumbnail(
    State(state): State<AppState>,
    CurrentUser(p): CurrentUser,
    Id(id): Id,
) -> Result<Response, Problem> {
    let f = owned_file(&state, &p.user.id, id)
        .await
        .map_err(|e| e.problem())?;
    let kind: ProviderKind = f.provider.parse().map_err(|_| no_thumbnail())?;
    if f.is_dir {
        return Err(no_thumbnail());
    }
    if !thumbnail::is_image(&f.name, f.mime.as_deref()) {
        return Err(problem(&ThumbError::NotAnImage));
    }
    let slot = || async {
        Arc::clone(&state.thumbnailing)
            .acquire_owned()
            .await
            .map_err(Problem::internal)
    };
    let (bytes, _permit) = match kind {
        ProviderKind::Local => {
            let permit = slot().await?;
            (local_bytes(&state, &f).await?, permit)
        }
        ProviderKind::OneDrive | ProviderKind::GDrive => {
            // The provider wait is outside the decode slots: a slow drive must not hold them.
            let bytes = cloud_thumbnail::fetch(
                &crate::work::CloudApis::from_ref(&state),
                &state.thumbnail_fetcher,
                &p.user.id,
                kind,
                &f.item_id,
            )
            .await
            .map_err(|e| cloud_problem(&e))?;
            (bytes, slot().await?)
        }
    };
    let thumb = tokio::task::spawn_blocking(move || thumbnail::render(&bytes))
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
