//! `GET /{id}` (metadata, never burns) and `GET|HEAD /{id}/raw` (content).

use std::convert::Infallible;
use std::sync::LazyLock;

use axum::Json;
use axum::body::Body;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, State};
use axum::response::Response;
use http::request::Parts;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use paste_api::{PasteInfo, headers};
use paste_core::content::{PLAIN_TEXT, serving_type};
use paste_core::id::PasteId;
use paste_core::store::{PasteMeta, STREAM_THRESHOLD};

use super::create::malformed_header;
use super::paste_path;
use super::read_limits::BurnConfirm;
use crate::error::{ApiError, not_found, problem};
use crate::identity::Identity;
use crate::state::AppState;

/// The headers of raw content, plain text until told otherwise. Raw content may be anything, so
/// it is rendered, if at all, in a sandbox with no origin. Built on the platform's security
/// headers, so the envelope finds them all present (the commonest response, made cheap).
static RAW_HEADERS: LazyLock<HeaderMap> = LazyLock::new(|| {
    let mut h = platform::security_headers::defaults();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("inline"),
    );
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(PLAIN_TEXT));
    h
});

/// Paste metadata.
#[utoipa::path(
    get,
    path = "/{id}",
    operation_id = "getPaste",
    tag = "pastes",
    params(crate::openapi::params::IdPath),
    responses(
        (status = 200, description = "Metadata (never the content; never counts as a read)", body = paste_api::PasteInfo),
        (status = 400, response = crate::openapi::problems::Problem400),
        (status = 403, response = crate::openapi::problems::Problem403),
        (status = 404, response = crate::openapi::problems::Problem404),
    )
)]
pub async fn meta(
    State(state): State<AppState>,
    Path(id): Path<String>,
    identity: Identity,
) -> Result<Json<PasteInfo>, ApiError> {
    let id = parse_id(&id)?;
    let meta = state
        .store
        .meta(id.as_str(), state.config.clock.now())
        .await?
        .ok_or_else(not_found)?;
    let may_see_owner = identity.is_admin()
        || (meta.owner.is_some() && identity.fingerprint() == meta.owner.as_deref());
    let limit = if meta.burn_after_read {
        state
            .store
            .read_limit(id.as_str(), state.config.clock.now())
            .await?
    } else {
        None
    };
    Ok(Json(PasteInfo {
        raw: format!("{}/raw", paste_path(&state.config.url_prefix, &meta.id)),
        id: meta.id,
        mime_type: meta.mime_type,
        size: meta.size,
        created_at: meta.created_at,
        expires_at: meta.expires_at,
        burn_after_read: limit.and_then(|l| (l.max_views == 1).then_some(true)),
        password_protected: meta.password_hash.is_some().then_some(true),
        owner: if may_see_owner { meta.owner } else { None },
        scan: meta.scan,
        max_views: limit.map(|l| l.max_views),
        views_left: limit.map(|l| l.views_left()),
        burn_confirm: limit.and_then(|l| l.confirm.then_some(true)),
        display_name: meta.display_name,
    }))
}

/// Paste content with its detected type; counts a read of a counted paste (burning it on its
/// last read), and only a confirmed one when the paste asks for confirmation.
#[utoipa::path(
    get,
    path = "/{id}/raw",
    operation_id = "getRawPaste",
    tag = "pastes",
    params(crate::openapi::params::IdPath, crate::openapi::params::ReadHeaders),
    responses(
        (status = 200, description = "The content, typed as detected (plain text for anything \
            a browser would run), sandboxed by `Content-Security-Policy`",
            content(("*/*")),
            headers(
                ("X-Views-Left" = u32, description = "On a counted read: reads left after this one (0: the paste is gone)"),
                ("Content-Disposition" = String, description = "`inline`"),
                ("Content-Security-Policy" = String, description = "`sandbox; default-src 'none'`"),
            )
        ),
        (status = 400, response = crate::openapi::problems::Problem400),
        (status = 401, response = crate::openapi::problems::Problem401),
        (status = 403, response = crate::openapi::problems::Problem403),
        (status = 404, response = crate::openapi::problems::Problem404),
        (status = 428, response = crate::openapi::problems::Problem428),
    )
)]
pub async fn raw(
    State(state): State<AppState>,
    Path(id): Path<String>,
    password: PastePassword,
    confirm: BurnConfirm,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let now = state.config.clock.now();
    let paste = state
        .store
        .readable(id.as_str(), now)
        .await?
        .ok_or_else(not_found)?;
    let meta = &paste.meta;
    let mut views_left = None;
    let content = match &paste.content {
        Some(content) => content.clone(),
        None => {
            if meta.burn_after_read {
                // Before the password: a link preview learns nothing and costs no Argon2 work.
                let limit = state
                    .store
                    .read_limit(id.as_str(), now)
                    .await?
                    .ok_or_else(not_found)?;
                confirm.check(&limit)?;
            }
            check_password(&state, meta, password).await?;
            let content = if meta.burn_after_read {
                let read = state
                    .store
                    .count_read(id.as_str(), now)
                    .await?
                    .ok_or_else(not_found)?;
                if read.views_left == 0 {
                    state.metrics.deleted();
                    state.webhooks.notify();
                }
                views_left = Some(read.views_left);
                read.content
            } else if meta.size > STREAM_THRESHOLD as u64 {
                let body = crate::download::body(state.store.clone(), meta.id.clone(), meta.size);
                return Ok(raw_response_with(meta, body));
            } else {
                state
                    .store
                    .content(id.as_str(), now)
                    .await?
                    .ok_or_else(not_found)?
            };
            Bytes::from(content)
        }
    };
    let mut res = raw_response(meta, content);
    if let Some(left) = views_left {
        res.headers_mut()
            .insert(headers::VIEWS_LEFT, HeaderValue::from(left));
    }
    Ok(res)
}

/// The answer to a read of `content`, typed (and sandboxed) for what `meta` says it is. Shared
/// with the in-memory fast path ([`crate::hot_raw`]), so both answer alike.
pub fn raw_response(meta: &PasteMeta, content: Bytes) -> Response {
    raw_response_with(meta, platform::sliced_body::body(content))
}

/// [`raw_response`] for a body that is not in memory (a large paste streamed from storage).
pub fn raw_response_with(meta: &PasteMeta, body: Body) -> Response {
    let mut res = Response::new(body);
    *res.headers_mut() = RAW_HEADERS.clone();
    let served = serving_type(&meta.mime_type);
    if served != PLAIN_TEXT {
        match HeaderValue::from_str(&served) {
            Ok(ct) => res.headers_mut().insert(header::CONTENT_TYPE, ct),
            // A stored type that is not a header value is served as bytes.
            Err(_) => res.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            ),
        };
    }
    res
}

/// Ids that cannot exist are answered exactly like unknown ones.
pub fn parse_id(raw: &str) -> Result<PasteId, ApiError> {
    raw.parse().map_err(|_| not_found())
}

/// The `X-Paste-Password` request header, taken alone: a read needs none of the others, and
/// copying the whole header map for it was a measurable part of serving a cached paste.
#[derive(Debug)]
pub struct PastePassword(pub Option<HeaderValue>);

impl<S: Send + Sync> FromRequestParts<S> for PastePassword {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(parts.headers.get(headers::PASTE_PASSWORD).cloned()))
    }
}

/// 401 without a password, 403 with a wrong one; the Argon2 work is the same either way.
pub async fn check_password(
    state: &AppState,
    meta: &PasteMeta,
    password: PastePassword,
) -> Result<(), ApiError> {
    let Some(hash) = meta.password_hash.clone() else {
        return Ok(());
    };
    let given = password
        .0
        .as_ref()
        .map(|v| v.to_str().map(str::to_owned))
        .transpose()
        .map_err(|_| malformed_header(headers::PASTE_PASSWORD))?;
    let Some(given) = given else {
        return Err(problem(
            StatusCode::UNAUTHORIZED,
            "password_required",
            "This paste is password protected: send X-Paste-Password",
        ));
    };
    let _permit = state
        .hashing
        .acquire()
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let ok = tokio::task::spawn_blocking(move || paste_core::password::verify(&given, &hash))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    if ok {
        Ok(())
    } else {
        Err(problem(
            StatusCode::FORBIDDEN,
            "password_invalid",
            "Wrong paste password",
        ))
    }
}
