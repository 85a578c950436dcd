//! `POST /connections/{provider}/connect` and `GET /connections/{provider}/callback`: connect
//! OneDrive or Google Drive read-only, or upgrade a connection to write access (incremental
//! consent) with `access=write`. The flow is bound to the browser session that started it.

use axum::extract::{FromRef as _, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use declutter_core::ids::Source;
use serde::Deserialize;

use super::{audit, safe_next};
use crate::auth::access::{Ctx, CurrentUser};
use crate::cloud::{self, Vault};
use crate::connect::{Access, ConnectError, can_write, scopes};
use crate::error::ApiError;
use crate::oauth_flow::{FLOW_RETRY_SECS, FlowError};
use crate::path_id::Id;
use crate::state::AppState;

pub use crate::connect::ACCOUNT;

/// Form of the connect route (the CSRF field is checked by the access layer).
#[derive(Debug, Deserialize)]
pub struct ConnectForm {
    /// `write` asks for change access in addition to read.
    access: Option<String>,
    /// Where to resume afterwards (same-site path only).
    next: Option<String>,
}

/// Query of the callback.
#[derive(Debug, Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// Our callback URL for `provider`.
pub fn redirect_uri(state: &AppState, provider: &str) -> String {
    format!(
        "{}/connections/{provider}/callback",
        state.config.public_url
    )
}

/// The user-facing error of a failed flow (the reason is logged).
pub fn failed(e: &ConnectError) -> ApiError {
    tracing::warn!(error = %e, "cloud connection flow failed");
    match e {
        ConnectError::UnknownProvider => ApiError::NotFound,
        // Anyone can start a flow: a flood of them is answered like one of sign-ins.
        ConnectError::Flow(FlowError::Full) => ApiError::TooMany(FLOW_RETRY_SECS),
        _ => ApiError::Invalid(
            "Connecting the cloud drive did not complete. Please try again.".into(),
        ),
    }
}

/// Redirects to the provider's authorize URL with the least scopes needed.
pub async fn connect(
    State(state): State<AppState>,
    CurrentUser(p): CurrentUser,
    Path(provider): Path<String>,
    crate::extract::Form(f): crate::extract::Form<ConnectForm>,
) -> Result<Response, ApiError> {
    let session = p.session.as_ref().ok_or(ApiError::Forbidden)?;
    let url = state
        .connector
        .start(
            &provider,
            Access::from_form(f.access.as_deref()),
            &redirect_uri(&state, &provider),
            &p.user.id,
            &session.id_hash,
            safe_next(f.next.as_deref().or(Some("/account"))),
            None,
        )
        .await
        .map_err(|e| failed(&e))?;
    Ok(Redirect::to(&url).into_response())
}

/// Completes the flow: state (single use, this session), code exchange with the verifier,
/// then the tokens sealed with the scopes the provider granted.
pub async fn callback(
    State(state): State<AppState>,
    ctx: Ctx,
    CurrentUser(p): CurrentUser,
    Path(provider): Path<String>,
    Query(q): Query<CallbackQuery>,
) -> Result<Response, ApiError> {
    let session = p.session.as_ref().ok_or(ApiError::Forbidden)?;
    let st = q
        .state
        .as_deref()
        .ok_or_else(|| failed(&ConnectError::State))?;
    let pending = state
        .connector
        .take(&provider, st, &p.user.id, &session.id_hash)
        .await
        .map_err(|e| failed(&e))?;
    if q.error.is_some() {
        return Err(failed(&ConnectError::Denied));
    }
    let code = q
        .code
        .as_deref()
        .ok_or_else(|| failed(&ConnectError::Denied))?;
    let mut tokens = state
        .connector
        .exchange(&provider, code, &redirect_uri(&state, &provider), &pending)
        .await
        .map_err(|e| failed(&e))?;
    let previous =
        cloud::load_tokens(&Vault::from_ref(&state), &p.user.id, &provider, ACCOUNT).await?;
    if tokens.refresh_token.is_none() {
        // Re-consent may omit the refresh token; the earlier grant's one stays valid.
        tokens.refresh_token = previous.as_ref().and_then(|(_, t)| t.refresh_token.clone());
    }
    // Record what the provider granted, not what we asked for.
    let granted = tokens
        .scope
        .clone()
        .or_else(|| scopes(&provider, Access::Scan).map(str::to_owned))
        .unwrap_or_default();
    let id = cloud::save_tokens(
        &Vault::from_ref(&state),
        &p.user.id,
        &provider,
        ACCOUNT,
        &granted,
        &tokens,
    )
    .await?;
    let action = if previous.is_some() {
        "connection.updated"
    } else {
        "connection.created"
    };
    let detail = format!(
        "provider={provider} write={}",
        can_write(&provider, &granted)
    );
    audit(
        &state,
        &ctx,
        Some(&p),
        action,
        Some(id.to_string()),
        Some(detail),
    )
    .await?;
    if let Some(plan) = pending.resume_plan
        && can_write(&provider, &granted)
    {
        // The apply that asked for this upgrade continues now, without a second click (drive
        // folders are never removed: the option is for local folders).
        return super::plans::apply_or_consent(
            &state,
            &ctx,
            &p,
            plan,
            &super::plans::ApplyChoice::default(),
        )
        .await;
    }
    Ok(Redirect::to(&pending.next).into_response())
}

/// Revokes `id` (one of the caller's connections) at the provider, forgets it and what was
/// indexed of its drive, audits.
pub async fn disconnect(
    state: &AppState,
    ctx: &Ctx,
    p: &crate::auth::access::Principal,
    id: i64,
) -> Result<(), ApiError> {
    let uid = p.user.id.clone();
    let provider = state
        .pool
        .read(move |c| crate::db::connections::list(c, &uid))
        .await??
        .into_iter()
        .find(|k| k.id == id)
        .map(|k| k.provider)
        .ok_or(ApiError::NotFound)?;
    if cloud::revoke_connections(&Vault::from_ref(state), &p.user.id, Some(id)).await? == 0 {
        return Err(ApiError::NotFound);
    }
    // Its files leave the duplicate groups; a later connection starts with a full listing.
    let owner = crate::work::owner(&p.user.id)?;
    // A provider name the engine does not know has nothing indexed to forget.
    if let Some(drive) = provider.parse().ok().and_then(Source::drive) {
        state
            .pool
            .write(move |c| declutter_core::store::owners::forget_source(c, &owner, &drive))
            .await??;
    }
    audit(
        state,
        ctx,
        Some(p),
        "connection.deleted",
        Some(id.to_string()),
        None,
    )
    .await
}

/// `POST /drives/{id}/disconnect`: the account page's "Disconnect" button.
pub async fn disconnect_form(
    State(state): State<AppState>,
    ctx: Ctx,
    CurrentUser(p): CurrentUser,
    Id(id): Id,
) -> Result<Response, ApiError> {
    disconnect(&state, &ctx, &p, id).await?;
    Ok(Redirect::to("/account").into_response())
}
