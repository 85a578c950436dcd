//! `GET /{id}` (metadata, never burns) and `GET|HEAD /{id}/raw` (content).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use paste_api::{PasteInfo, headers};
use paste_core::content::serving_type;
use paste_core::id::PasteId;
use paste_core::now_unix;
use paste_core::store::PasteMeta;

use super::create::header_checked;
use super::paste_path;
use crate::error::{ApiError, not_found, problem};
use crate::identity::Identity;
use crate::state::AppState;

/// Raw content may be anything, so it is rendered, if at all, in a sandbox with no origin.
const RAW_CSP: &str = "sandbox; default-src 'none'";

/// Paste metadata.
pub async fn meta(
    State(state): State<AppState>,
    Path(id): Path<String>,
    identity: Identity,
) -> Result<Json<PasteInfo>, ApiError> {
    let id = parse_id(&id)?;
    let meta = state
        .store
        .meta(id.as_str(), now_unix())
        .await?
        .ok_or_else(not_found)?;
    let may_see_owner = identity.is_admin()
        || (meta.owner.is_some() && identity.fingerprint() == meta.owner.as_deref());
    Ok(Json(PasteInfo {
        raw: format!("{}/raw", paste_path(&state.config.url_prefix, &meta.id)),
        id: meta.id,
        mime_type: meta.mime_type,
        size: meta.size,
        created_at: meta.created_at,
        expires_at: meta.expires_at,
        burn_after_read: meta.burn_after_read.then_some(true),
        password_protected: meta.password_hash.is_some().then_some(true),
        owner: if may_see_owner { meta.owner } else { None },
        scan: meta.scan,
    }))
}

/// Paste content with its detected type; burns a burn-after-read paste.
pub async fn raw(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let now = now_unix();
    let paste = state
        .store
        .readable(id.as_str(), now)
        .await?
        .ok_or_else(not_found)?;
    let meta = &paste.meta;
    let content = match &paste.content {
        Some(content) => content.clone(),
        None => {
            check_password(&state, meta, &headers).await?;
            let content = if meta.burn_after_read {
                let burned = state
                    .store
                    .burn(id.as_str(), now)
                    .await?
                    .ok_or_else(not_found)?;
                state.metrics.deleted(meta.size);
                state.webhooks.notify();
                burned
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
    let mut res = content.into_response();
    let h = res.headers_mut();
    if let Ok(ct) = HeaderValue::from_str(&serving_type(&meta.mime_type)) {
        h.insert(header::CONTENT_TYPE, ct);
    }
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("inline"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(RAW_CSP),
    );
    Ok(res)
}

/// Ids that cannot exist are answered exactly like unknown ones.
pub fn parse_id(raw: &str) -> Result<PasteId, ApiError> {
    raw.parse().map_err(|_| not_found())
}

/// 401 without a password, 403 with a wrong one; the Argon2 work is the same either way.
async fn check_password(
    state: &AppState,
    meta: &PasteMeta,
    headers: &HeaderMap,
) -> Result<(), ApiError> {
    let Some(hash) = meta.password_hash.clone() else {
        return Ok(());
    };
    let Some(given) = header_checked(headers, headers::PASTE_PASSWORD)?.map(str::to_owned) else {
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
