//! Sign-up, sign-in and sign-out with email and password.

use crate::extract::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use http::{HeaderMap, StatusCode};
use platform::cookies;
use serde::Deserialize;

use super::{audit, safe_next};
use crate::auth::access::{Ctx, CurrentUser, MaybeUser};
use crate::auth::session::{self, SetCookies};
use crate::auth::{password, random_token};
use crate::db::attempts::Attempt;
use crate::db::{self, now};
use crate::error::ApiError;
use crate::state::AppState;
use crate::views::{Layout, LoginPage, SignupPage, page};

/// Query of the sign-in page.
#[derive(Debug, Deserialize)]
pub struct NextQuery {
    /// Where to go after signing in.
    pub next: Option<String>,
}

/// The sign-in form.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    next: Option<String>,
}

/// The sign-up form.
#[derive(Debug, Deserialize)]
pub struct SignupForm {
    email: String,
    display_name: String,
    password: String,
}

/// The pre-session CSRF token: the one the browser holds, or a new one to set.
fn anon_csrf(state: &AppState, headers: &HeaderMap) -> (String, SetCookies) {
    match cookies::read(headers, state.cookies.csrf).filter(|v| v.len() >= 32) {
        Some(t) => (t, SetCookies::default()),
        None => {
            let t = random_token();
            let c = state.cookies.cookie(state.cookies.csrf, &t, None);
            (t, SetCookies(c.into_iter().collect()))
        }
    }
}

fn login_view(
    state: &AppState,
    csrf: &str,
    next: &str,
    email: &str,
    error: Option<String>,
) -> LoginPage {
    LoginPage {
        layout: Layout::new(state, None, csrf, "login"),
        error,
        next: next.to_owned(),
        email: email.to_owned(),
        google: state.oidc.enabled("google"),
        microsoft: state.oidc.enabled("microsoft"),
    }
}

/// `GET /login`.
pub async fn login_page(
    State(state): State<AppState>,
    MaybeUser(p): MaybeUser,
    Query(q): Query<NextQuery>,
    headers: HeaderMap,
) -> Response {
    let next = safe_next(q.next.as_deref());
    if p.is_some() {
        return Redirect::to(&next).into_response();
    }
    let (csrf, set) = anon_csrf(&state, &headers);
    (
        set,
        page(StatusCode::OK, &login_view(&state, &csrf, &next, "", None)),
    )
        .into_response()
}

/// `POST /login`: per-IP rate limit; per-account and per-IP backoff checked and the attempt
/// counted in one transaction ([`db::attempts`]) before a constant-work verify; then a fresh
/// session (the old id, if any, is discarded).
pub async fn login(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Result<Response, ApiError> {
    if let Some(l) = &state.rates.login {
        l.check(ctx.ip).map_err(ApiError::TooMany)?;
    }
    let t = now();
    let ip = ctx.ip.to_string();
    let email = f.email.trim().to_owned();
    let base = state.config.lockout_base;
    let (ip2, em) = (ip.clone(), email.clone());
    // Check the backoff and count the attempt in one transaction, before any verifying.
    let attempt = state
        .pool
        .write(move |c| db::attempts::reserve(c, &em, &ip2, t, base))
        .await??;
    let reserved = match attempt {
        Attempt::Locked(until) => {
            state.metrics.auth("login_locked");
            return Err(ApiError::TooMany(u64::try_from(until - t).unwrap_or(1)));
        }
        Attempt::Reserved(r) => r,
    };
    let creds = reserved.creds.clone();
    let hash = creds
        .as_ref()
        .and_then(|c| c.password_hash.clone())
        .unwrap_or_else(|| state.hasher.dummy().to_owned());
    let ok = verify(&state, f.password, hash).await?
        && creds.as_ref().is_some_and(|c| c.password_hash.is_some());
    let next = safe_next(f.next.as_deref());
    let Some(creds) = creds.filter(|_| ok) else {
        state.metrics.auth("login_failed");
        audit(
            &state,
            &ctx,
            None,
            "auth.login_failed",
            reserved.creds.map(|c| c.user.id),
            Some(format!("ip_failures={}", reserved.ip_failures)),
        )
        .await?;
        let (csrf, set) = anon_csrf(&state, &headers);
        let view = login_view(
            &state,
            &csrf,
            &next,
            &f.email,
            Some("Wrong email or password.".into()),
        );
        return Ok((set, page(StatusCode::UNAUTHORIZED, &view)).into_response());
    };
    let uid = creds.user.id.clone();
    state
        .pool
        .write(move |c| db::attempts::signed_in(c, &uid, &ip, &reserved))
        .await??;
    let set = session::start(&state.pool, &state.cookies, &headers, &creds.user.id).await?;
    state.metrics.auth("login");
    let principal = crate::auth::access::Principal {
        user: creds.user.clone(),
        session: None,
        jti: None,
    };
    audit(
        &state,
        &ctx,
        Some(&principal),
        "auth.login",
        None,
        Some("password".into()),
    )
    .await?;
    Ok((set, Redirect::to(&next)).into_response())
}

async fn verify(state: &AppState, password: String, hash: String) -> Result<bool, ApiError> {
    let _slot = state
        .hashing
        .acquire()
        .await
        .map_err(|e| ApiError::internal(e))?;
    let hasher = state.hasher.clone();
    Ok(
        tokio::task::spawn_blocking(move || hasher.verify(&password, &hash).unwrap_or(false))
            .await?,
    )
}

/// Hashes a new password on the blocking pool.
pub async fn hash(state: &AppState, password: String) -> Result<String, ApiError> {
    let _slot = state
        .hashing
        .acquire()
        .await
        .map_err(|e| ApiError::internal(e))?;
    let hasher = state.hasher.clone();
    tokio::task::spawn_blocking(move || hasher.hash(&password))
        .await?
        .map_err(|e| ApiError::internal(e))
}

/// `GET /signup`.
pub async fn signup_page(
    State(state): State<AppState>,
    MaybeUser(p): MaybeUser,
    headers: HeaderMap,
) -> Response {
    if p.is_some() {
        return Redirect::to("/dashboard").into_response();
    }
    let (csrf, set) = anon_csrf(&state, &headers);
    let view = SignupPage {
        layout: Layout::new(&state, None, &csrf, "signup"),
        error: None,
        email: String::new(),
        display_name: String::new(),
    };
    (set, page(StatusCode::OK, &view)).into_response()
}

/// Checks an email address's shape (the provider proves ownership; we only bound it).
pub fn valid_email(e: &str) -> bool {
    e.len() <= 254
        && !e.chars().any(|c| c.is_whitespace() || c.is_control())
        && e.split_once('@')
            .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.starts_with('.'))
}

/// `POST /signup`: NIST password rules, Argon2id, first account becomes admin.
pub async fn signup(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Form(f): Form<SignupForm>,
) -> Result<Response, ApiError> {
    if let Some(l) = &state.rates.signup {
        l.check(ctx.ip).map_err(ApiError::TooMany)?;
    }
    let email = f.email.trim().to_owned();
    let name = f.display_name.trim().to_owned();
    let problem = if !valid_email(&email) {
        Some("Enter a valid email address.".to_owned())
    } else if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        Some("Enter a name of 1 to 100 characters.".to_owned())
    } else {
        password::check_policy(&f.password, &email)
            .err()
            .map(|e| e.to_string())
    };
    let rerender = |error: String| {
        let (csrf, set) = anon_csrf(&state, &headers);
        let view = SignupPage {
            layout: Layout::new(&state, None, &csrf, "signup"),
            error: Some(error),
            email: email.clone(),
            display_name: name.clone(),
        };
        Ok((set, page(StatusCode::UNPROCESSABLE_ENTITY, &view)).into_response())
    };
    if let Some(error) = problem {
        return rerender(error);
    }
    let phc = hash(&state, f.password).await?;
    let (e2, n2) = (email.clone(), name.clone());
    let created = state
        .pool
        .write(move |c| db::users::create(c, &e2, &n2, Some(&phc), None))
        .await?;
    let user = match created {
        Ok(u) => u,
        Err(e) if e.is_conflict() => {
            return rerender("An account with this email already exists; sign in instead.".into());
        }
        Err(e) => return Err(e.into()),
    };
    let set = session::start(&state.pool, &state.cookies, &headers, &user.id).await?;
    state.metrics.auth("signup");
    let p = crate::auth::access::Principal {
        user: user.clone(),
        session: None,
        jti: None,
    };
    audit(
        &state,
        &ctx,
        Some(&p),
        "user.signup",
        Some(user.id.clone()),
        Some(format!("role={}", user.role)),
    )
    .await?;
    Ok((set, Redirect::to("/dashboard")).into_response())
}

/// `POST /logout`: ends the session and revokes the account's API tokens.
pub async fn logout(
    State(state): State<AppState>,
    ctx: Ctx,
    CurrentUser(p): CurrentUser,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let set = session::end(&state.pool, &state.cookies, &headers).await?;
    let uid = p.user.id.clone();
    state
        .pool
        .write(move |c| db::users::bump_token_version(c, &uid))
        .await??;
    audit(&state, &ctx, Some(&p), "auth.logout", None, None).await?;
    Ok((set, Redirect::to("/login")).into_response())
}
