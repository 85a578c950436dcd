//! `GET /auth/{provider}/start` and `/callback`.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use http::HeaderMap;
use platform::cookies;
use serde::Deserialize;

use super::{audit, safe_next};
use crate::auth::access::{Ctx, Principal};
use crate::auth::{random_token, session, sha256_hex};
use crate::db;
use crate::error::ApiError;
use crate::oauth_flow::{FLOW_RETRY_SECS, FlowError};
use crate::oidc::OidcError;
use crate::state::AppState;

/// Query of the start route.
#[derive(Debug, Deserialize)]
pub struct StartQuery {
    next: Option<String>,
}

/// Query of the callback.
#[derive(Debug, Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

fn redirect_uri(state: &AppState, provider: &str) -> String {
    format!("{}/auth/{provider}/callback", state.config.public_url)
}

fn failed(e: &OidcError) -> ApiError {
    tracing::warn!(error = %e, "OpenID Connect sign-in failed");
    match e {
        OidcError::UnknownProvider => ApiError::NotFound,
        // Anyone can start a flow: a flood of them is answered like one of sign-ins.
        OidcError::Flow(FlowError::Full) => ApiError::TooMany(FLOW_RETRY_SECS),
        _ => ApiError::Invalid(
            "Sign-in with the provider did not complete. Please try again.".into(),
        ),
    }
}

/// Redirects to the provider, binding the flow to this browser with a cookie.
pub async fn start(
    State(state): State<AppState>,
    Path(provider): Path<String>,
    Query(q): Query<StartQuery>,
) -> Result<Response, ApiError> {
    let binding = random_token();
    let url = state
        .oidc
        .start(
            &provider,
            &redirect_uri(&state, &provider),
            sha256_hex(&binding),
            safe_next(q.next.as_deref()),
        )
        .await
        .map_err(|e| failed(&e))?;
    let cookie = state.cookies.cookie(
        state.cookies.oidc,
        &binding,
        Some(crate::oidc::FLOW_TTL_SECS),
    );
    Ok((
        session::SetCookies(cookie.into_iter().collect()),
        Redirect::to(&url),
    )
        .into_response())
}

/// Completes the flow: state and binding, code exchange, ID token checks, then the account
/// linked to (issuer, subject), or a new one. An email already used by another account is
/// refused rather than linked (provider emails are not proof of ownership here).
pub async fn callback(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(provider): Path<String>,
    Query(q): Query<CallbackQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let binding = cookies::read(&headers, state.cookies.oidc).map(|b| sha256_hex(&b));
    let st = q
        .state
        .as_deref()
        .ok_or_else(|| failed(&OidcError::State))?;
    let pending = state
        .oidc
        .take(&provider, st, binding.as_deref())
        .await
        .map_err(|e| failed(&e))?;
    if q.error.is_some() {
        return Err(failed(&OidcError::Denied));
    }
    let code = q
        .code
        .as_deref()
        .ok_or_else(|| failed(&OidcError::Denied))?;
    let id = state
        .oidc
        .finish(&provider, code, &redirect_uri(&state, &provider), &pending)
        .await
        .map_err(|e| failed(&e))?;
    let (iss, sub) = (id.issuer.clone(), id.subject.clone());
    let existing = state
        .pool
        .read(move |c| db::users::by_identity(c, &iss, &sub))
        .await??;
    let (user, created) = match existing {
        Some(u) => (u, false),
        None => {
            let email = id
                .email
                .clone()
                .unwrap_or_else(|| format!("{}@{}.invalid", id.subject, provider));
            let name = id.name.clone().unwrap_or_else(|| email.clone());
            let (iss, sub, em) = (id.issuer.clone(), id.subject.clone(), id.email.clone());
            let made = state
                .pool
                .write(move |c| {
                    let identity = db::users::Identity {
                        issuer: &iss,
                        subject: &sub,
                        email: em.as_deref(),
                    };
                    db::users::create_linked(c, &email, &name, identity)
                })
                .await?;
            match made {
                Ok(u) => (u, true),
                Err(e) if e.is_conflict() => {
                    return Err(ApiError::Conflict(
                        "An account with this email already exists. Sign in with your password."
                            .into(),
                    ));
                }
                Err(e) => return Err(e.into()),
            }
        }
    };
    let mut set = session::start(&state.pool, &state.cookies, &headers, &user.id).await?;
    set.0
        .extend(state.cookies.cookie(state.cookies.oidc, "", Some(0)));
    let p = Principal {
        user: user.clone(),
        session: None,
        jti: None,
    };
    if created {
        audit(
            &state,
            &ctx,
            Some(&p),
            "user.signup",
            Some(user.id.clone()),
            Some(format!("oidc={provider}")),
        )
        .await?;
    }
    audit(
        &state,
        &ctx,
        Some(&p),
        "auth.login",
        None,
        Some(format!("oidc={provider}")),
    )
    .await?;
    state.metrics.auth("login");
    Ok((set, Redirect::to(&pending.next)).into_response())
}
