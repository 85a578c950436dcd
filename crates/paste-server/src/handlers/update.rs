//! `PUT /{id}`: the owner (or an admin) replaces a paste's content and/or changes its expiry,
//! password and display name. New content passes every check a create does.
//!
//! Headers: `X-Expiry` (a new lifetime from now), `X-Display-Name` (empty removes it),
//! `X-Paste-Password` (the current password of a protected paste; on an unprotected one it sets
//! a password, as FlaskPaste's update does), `X-New-Password` (sets or replaces it),
//! `X-Remove-Password: true`. A non-empty body replaces the content.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use http::{HeaderMap, StatusCode};
use paste_api::{PasteInfo, headers};
use paste_core::now_unix;
use paste_core::store::{Content, DedupPolicy, NewContent, PasteUpdate, Updated};
use platform::Problem;

use super::create::{
    check_entropy, display_name_header, hash_password, header_checked, parse_bool, scan,
};
use super::paste_path;
use super::read::{PastePassword, check_password, parse_id};
use crate::error::{ApiError, not_found, problem};
use crate::identity::Identity;
use crate::metrics::Rejection;
use crate::scanner::Target;
use crate::state::AppState;

/// Sets or replaces the password of a paste on update.
pub const NEW_PASSWORD: &str = "x-new-password";
/// `true` removes the password on update.
pub const REMOVE_PASSWORD: &str = "x-remove-password";

/// Updates a paste; answers its new metadata.
#[utoipa::path(
    put,
    path = "/{id}",
    operation_id = "updatePaste",
    tag = "pastes",
    params(crate::openapi::params::IdPath, crate::openapi::params::UpdateHeaders),
    request_body(
        description = "New content (optional: an empty body keeps it), raw or JSON `{\"content\": ...}`",
        content(
            (String = "text/plain"),
            ([u8] = "application/octet-stream"),
            (crate::openapi::bodies::PasteJson = "application/json"),
        )
    ),
    responses(
        (status = 200, description = "Updated; the new metadata", body = paste_api::PasteInfo),
        (status = 400, response = crate::openapi::problems::Problem400),
        (status = 401, response = crate::openapi::problems::Problem401),
        (status = 403, response = crate::openapi::problems::Problem403),
        (status = 404, response = crate::openapi::problems::Problem404),
        (status = 408, response = crate::openapi::problems::Problem408),
        (status = 409, response = crate::openapi::problems::Problem409),
        (status = 413, response = crate::openapi::problems::Problem413),
        (status = 422, response = crate::openapi::problems::Problem422),
        (status = 429, response = crate::openapi::problems::Problem429),
        (status = 503, response = crate::openapi::problems::Problem503),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    identity: Identity,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<PasteInfo>, ApiError> {
    let cfg = &state.config;
    let Some(me) = identity.fingerprint().map(str::to_owned) else {
        return Err(problem(
            StatusCode::UNAUTHORIZED,
            "authentication_required",
            "Updating a paste requires a client certificate",
        ));
    };
    let id = parse_id(&id)?;
    let now = now_unix();
    let meta = state
        .store
        .meta(id.as_str(), now)
        .await?
        .ok_or_else(not_found)?;
    if meta.owner.as_deref() != Some(me.as_str()) && !identity.is_admin() {
        return Err(problem(
            StatusCode::FORBIDDEN,
            "not_owner",
            "Only the paste's owner or an admin may update it",
        ));
    }
    if meta.burn_after_read {
        return Err(problem(
            StatusCode::CONFLICT,
            "burn_after_read_immutable",
            "Burn-after-read pastes cannot be updated",
        ));
    }
    let protected = meta.password_hash.is_some();
    if protected {
        check_password(
            &state,
            &meta,
            PastePassword(headers.get(headers::PASTE_PASSWORD).cloned()),
        )
        .await?;
    }

    let mut update = PasteUpdate {
        display_name: display_name_header(&headers)?,
        ..PasteUpdate::default()
    };
    if let Some(expiry) = header_checked(&headers, headers::EXPIRY)? {
        let lifetime = cfg
            .expiry_policy()
            .lifetime(Some(expiry), identity.expiry_tier())
            .map_err(|e| problem(StatusCode::BAD_REQUEST, "invalid_expiry", e.to_string()))?;
        update.expires_at = Some(now.saturating_add(i64::try_from(lifetime).unwrap_or(i64::MAX)));
    }
    let remove = parse_bool(header_checked(&headers, REMOVE_PASSWORD)?).map_err(|_| {
        problem(
            StatusCode::BAD_REQUEST,
            "invalid_remove_password",
            "X-Remove-Password must be true or false",
        )
    })?;
    let new_password = match header_checked(&headers, NEW_PASSWORD)? {
        Some(pw) => Some(pw),
        None if !protected => header_checked(&headers, headers::PASTE_PASSWORD)?,
        None => None,
    };
    match (remove, new_password) {
        (true, Some(_)) => {
            return Err(problem(
                StatusCode::BAD_REQUEST,
                "conflicting_password_headers",
                "Send either a new password or X-Remove-Password, not both",
            ));
        }
        (true, None) => update.password_hash = Some(None),
        (false, Some(pw)) => {
            update.password_hash = Some(Some(hash_password(&state, pw.to_owned()).await?));
        }
        (false, None) => {}
    }

    let crate::upload::Received { upload, holds } =
        crate::upload::receive(&state, &headers, body, cfg.max_auth).await?;
    let facts = upload.facts;
    if facts.len > 0 {
        if facts.len < cfg.min_size.max(1) {
            state.metrics.rejected(Rejection::Size);
            return Err(problem(
                StatusCode::BAD_REQUEST,
                "content_too_small",
                format!("Content must be at least {} bytes", cfg.min_size.max(1)),
            ));
        }
        let entropy = check_entropy(&state, facts.entropy, facts.len)?;
        let mime_type = facts.mime.clone();
        let target = match &upload.content {
            Content::Memory(bytes) => Target::Bytes(bytes),
            Content::Spooled { file, .. } => Target::File(file),
        };
        let verdict = scan(&state, target, entropy, &mime_type).await?;
        update.content = Some(NewContent {
            sha256: facts.sha256,
            content: upload.content,
            mime_type,
            scan: verdict,
        });
    }
    if update.content.is_none()
        && update.expires_at.is_none()
        && update.password_hash.is_none()
        && update.display_name.is_none()
    {
        return Err(problem(
            StatusCode::BAD_REQUEST,
            "nothing_to_update",
            "Send new content, X-Expiry, X-Display-Name, X-New-Password or X-Remove-Password",
        ));
    }
    let dedup = DedupPolicy {
        window_secs: i64::try_from(cfg.dedup_window).unwrap_or(i64::MAX),
        max: cfg.dedup_max,
    };
    // New content counts against the owner's quota as a create does (admins' are unlimited).
    let quota = meta
        .owner
        .as_deref()
        .map(|owner| crate::quota::of_owner(cfg, owner))
        .filter(|q| q.limits.bytes > 0);
    let new_size = update.content.as_ref().map_or(0, NewContent::len);
    let outcome = state
        .store
        .update(id.as_str(), update, dedup, quota.clone(), now)
        .await?;
    // Stored or refused, the upload's bytes are no longer held.
    drop(holds);
    let meta = match outcome {
        Updated::Done(meta) => meta,
        Updated::NotFound => return Err(not_found()),
        Updated::OverQuota { used } => {
            state.metrics.rejected(Rejection::Quota);
            let quota =
                quota.ok_or_else(|| ApiError::Internal("quota refusal without a quota".into()))?;
            return Err(crate::quota::exceeded(&quota, used, new_size, now));
        }
        Updated::Throttled { retry_after, count } => {
            state.metrics.rejected(Rejection::Dedup);
            return Err(Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "duplicate_content",
                "This content was submitted too many times recently",
            )
            .with("count", count)
            .with("window_seconds", cfg.dedup_window)
            .retry_after(retry_after)
            .into());
        }
    };
    state.webhooks.notify();
    Ok(Json(PasteInfo {
        raw: format!("{}/raw", paste_path(&cfg.url_prefix, &meta.id)),
        id: meta.id,
        mime_type: meta.mime_type,
        size: meta.size,
        created_at: meta.created_at,
        expires_at: meta.expires_at,
        burn_after_read: meta.burn_after_read.then_some(true),
        password_protected: meta.password_hash.is_some().then_some(true),
        owner: meta.owner,
        scan: meta.scan,
        display_name: meta.display_name,
        // Counted pastes (burn after read, max views) are never updated.
        max_views: None,
        views_left: None,
        burn_confirm: None,
    }))
}
