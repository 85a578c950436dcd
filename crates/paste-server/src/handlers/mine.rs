//! `GET /pastes`: the caller's own pastes, newest first, a page at a time; admins may list
//! anyone's (`?owner=`) or everyone's (`?all=true`).

use axum::Json;
use axum::extract::State;
use http::StatusCode;
use paste_api::{PasteList, PasteListItem};
use paste_core::now_unix;
use paste_core::store::{ListFilter, PasteMeta};
use platform::extract::Query;
use platform::tls::is_fingerprint;
use serde::Deserialize;

use super::paste_path;
use crate::error::{ApiError, problem};
use crate::identity::Identity;
use crate::state::AppState;

/// Page size when none is asked for.
const DEFAULT_LIMIT: u32 = 50;
/// Largest page.
pub const MAX_LIMIT: u32 = 200;
/// Deepest offset: deep paging costs a scan; filter by time instead.
const MAX_OFFSET: u32 = 100_000;

/// Query of `GET /pastes`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Page size, 1 to 200 (default 50).
    limit: Option<u32>,
    /// Items to skip (at most 100000).
    offset: Option<u32>,
    /// A MIME type, or a family such as `image/*`.
    #[serde(rename = "type")]
    mime: Option<String>,
    /// Created at or after (unix seconds).
    after: Option<i64>,
    /// Created before (unix seconds).
    before: Option<i64>,
    /// Admins: this owner's pastes.
    owner: Option<String>,
    /// Admins: everyone's pastes.
    all: Option<bool>,
}

/// Lists pastes; 401 without a certificate, 403 for `owner`/`all` from a non-admin.
#[utoipa::path(
    get,
    path = "/pastes",
    operation_id = "listPastes",
    tag = "pastes",
    params(ListQuery),
    responses(
        (status = 200, description = "The caller's pastes (admins: anyone's), newest first", body = paste_api::PasteList),
        (status = 400, response = crate::openapi::problems::Problem400),
        (status = 401, response = crate::openapi::problems::Problem401),
        (status = 403, response = crate::openapi::problems::Problem403),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    identity: Identity,
    Query(q): Query<ListQuery>,
) -> Result<Json<PasteList>, ApiError> {
    let Some(me) = identity.fingerprint() else {
        return Err(problem(
            StatusCode::UNAUTHORIZED,
            "authentication_required",
            "Listing pastes requires a client certificate",
        ));
    };
    let wants_other = q.owner.is_some() || q.all == Some(true);
    if wants_other && !identity.is_admin() {
        return Err(problem(
            StatusCode::FORBIDDEN,
            "admin_required",
            "Only admins may list other owners' pastes",
        ));
    }
    let owner = match (&q.owner, q.all) {
        (_, Some(true)) => None,
        (Some(owner), _) => {
            let owner = owner.trim().to_ascii_lowercase();
            if !is_fingerprint(&owner) {
                return Err(problem(
                    StatusCode::BAD_REQUEST,
                    "invalid_owner",
                    "owner must be a SHA-1 fingerprint (40 hex digits)",
                ));
            }
            Some(owner)
        }
        (None, _) => Some(me.to_owned()),
    };
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(problem(
            StatusCode::BAD_REQUEST,
            "invalid_limit",
            format!("limit must be between 1 and {MAX_LIMIT}"),
        ));
    }
    let offset = q.offset.unwrap_or(0);
    if offset > MAX_OFFSET {
        return Err(problem(
            StatusCode::BAD_REQUEST,
            "invalid_offset",
            format!("offset must be at most {MAX_OFFSET}; narrow the listing with after/before"),
        ));
    }
    let (mime_exact, mime_prefix) = mime_filter(q.mime.as_deref())?;
    if wants_other {
        tracing::info!(
            target: "audit",
            actor = &me[..8],
            action = "admin.list",
            owner = owner.as_deref().map_or("*", |o| &o[..8]),
            "admin action"
        );
    }
    let page = state
        .store
        .list(
            ListFilter {
                owner,
                mime_exact,
                mime_prefix,
                after: q.after,
                before: q.before,
                limit,
                offset,
            },
            now_unix(),
        )
        .await?;
    let prefix = &state.config.url_prefix;
    let pastes: Vec<_> = page.pastes.into_iter().map(|m| item(prefix, m)).collect();
    Ok(Json(PasteList {
        count: pastes.len(),
        pastes,
        total: page.total,
        limit,
        offset,
    }))
}

/// `type=text/plain` matches exactly, `type=image/*` the family; anything else is a 400.
fn mime_filter(mime: Option<&str>) -> Result<(Option<String>, Option<String>), ApiError> {
    let Some(mime) = mime.map(|m| m.trim().to_ascii_lowercase()) else {
        return Ok((None, None));
    };
    let valid = |s: &str| {
        !s.is_empty()
            && s.len() <= 127
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
    };
    match mime.split_once('/') {
        Some((family, "*")) if valid(family) => Ok((None, Some(format!("{family}/")))),
        Some((family, sub)) if valid(family) && valid(sub) => Ok((Some(mime), None)),
        _ => Err(problem(
            StatusCode::BAD_REQUEST,
            "invalid_type",
            "type must be a MIME type such as text/plain, or a family such as image/*",
        )),
    }
}

/// An ISO-8601 UTC instant, as FlaskPaste writes them.
pub fn iso8601(unix: i64) -> Option<String> {
    let at = time::OffsetDateTime::from_unix_timestamp(unix).ok()?;
    at.format(&time::format_description::well_known::Rfc3339)
        .ok()
}

fn item(prefix: &str, m: PasteMeta) -> PasteListItem {
    let url = paste_path(prefix, &m.id);
    PasteListItem {
        raw: format!("{url}/raw"),
        url,
        id: m.id,
        mime_type: m.mime_type,
        size: m.size,
        created_at: m.created_at,
        expires_at: m.expires_at.and_then(iso8601),
        expires_at_unix: m.expires_at,
        burn_after_read: m.burn_after_read,
        password_protected: m.password_hash.is_some(),
        display_name: m.display_name,
        owner: m.owner,
    }
}
