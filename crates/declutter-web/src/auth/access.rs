//! The access check every route passes, configured per route in [`crate::router`]: who is
//! asking (session cookie or bearer token, never silently anonymous when credentials are
//! bad), whether that is enough for the route (deny unless allowed), CSRF for cookie-based
//! state changes, and the API rate limit.

use std::net::IpAddr;

use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use http::request::Parts;
use http::{HeaderMap, header};
use platform::cookies;
use platform::request_id::RequestId;
use platform::serve::ConnInfo;

use super::{csrf, role::Role, same};
use crate::db::{self, sessions::SessionRow, users::User};
use crate::error::ApiError;
use crate::state::AppState;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in account (handlers then scope every query to that account).
    User,
    /// A signed-in browser session (cookie and CSRF token), never a bearer token: what
    /// issues credentials, so a stolen 15-minute token cannot renew itself.
    Session,
    /// Admins only.
    Admin,
}

/// The signed-in caller.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The account.
    pub user: User,
    /// The browser session, when authenticated by cookie.
    pub session: Option<SessionRow>,
    /// The token id, when authenticated by bearer token.
    pub jti: Option<String>,
}

/// Request facts for the audit log.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// Client address (the proxy's view only when the proxy is trusted).
    pub ip: IpAddr,
    /// Request id.
    pub request_id: String,
}

/// Largest form body buffered for the CSRF token check.
const FORM_LIMIT: usize = 64 * 1024;

/// Middleware: resolves the caller and enforces `access`, CSRF and the API rate limit.
pub async fn enforce(
    State((state, access)): State<(AppState, Access)>,
    req: Request,
    next: Next,
) -> Response {
    match check(&state, access, req).await {
        Ok(req) => next.run(req).await,
        Err(res) => res,
    }
}

async fn check(state: &AppState, access: Access, mut req: Request) -> Result<Request, Response> {
    let ctx = ctx(state, &req);
    let path = req.uri().path().to_owned();
    let api = path.starts_with("/api/");
    if api && let Some(limiter) = &state.rates.api {
        limiter
            .check(ctx.ip)
            .map_err(|secs| ApiError::TooMany(secs).into_response())?;
    }
    let principal = resolve(state, req.headers(), api)
        .await
        .map_err(IntoResponse::into_response)?;
    let allowed = match (access, &principal) {
        (Access::Public, _) => true,
        (_, None) => {
            if !api && req.method() == http::Method::GET {
                let next = req.uri().path_and_query().map_or("/", |p| p.as_str());
                let to = format!("/login?next={}", encode(next));
                return Err(Redirect::to(&to).into_response());
            }
            return Err(ApiError::Unauthenticated.into_response());
        }
        (Access::User, Some(_)) => true,
        (Access::Session, Some(p)) if p.session.is_none() => {
            return Err(ApiError::SessionRequired.into_response());
        }
        (Access::Session, Some(_)) => true,
        (Access::Admin, Some(p)) => p.user.role == Role::Admin,
    };
    if !allowed {
        return Err(ApiError::Forbidden.into_response());
    }
    let bearer = principal.as_ref().is_some_and(|p| p.jti.is_some());
    if csrf::needs_check(req.method()) && !bearer {
        if !csrf::origin_ok(req.headers(), &state.origin) {
            return Err(ApiError::Csrf("csrf_origin").into_response());
        }
        let expected = match principal.as_ref().and_then(|p| p.session.as_ref()) {
            Some(s) => Some(s.csrf_token.clone()),
            None => cookies::read(req.headers(), state.cookies.csrf),
        };
        let (sent, rebuilt) = sent_token(req).await?;
        req = rebuilt;
        match (expected, sent) {
            (Some(e), Some(s)) if !e.is_empty() && same(&e, &s) => {}
            _ => return Err(ApiError::Csrf("csrf_token").into_response()),
        }
    }
    req.extensions_mut().insert(ctx);
    if let Some(p) = principal {
        req.extensions_mut().insert(p);
    }
    Ok(req)
}

fn ctx(state: &AppState, req: &Request) -> Ctx {
    let peer = req.extensions().get::<ConnInfo>().map_or_else(
        || std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        |c| c.peer,
    );
    let trusted = state.config.trusted_proxy == Some(peer.ip());
    Ctx {
        ip: platform::client_ip::client_ip(peer, req.headers(), trusted),
        request_id: req
            .extensions()
            .get::<RequestId>()
            .map(|r| r.as_str().to_owned())
            .unwrap_or_default(),
    }
}

async fn resolve(
    state: &AppState,
    headers: &HeaderMap,
    api: bool,
) -> Result<Option<Principal>, ApiError> {
    if let Some(auth) = headers.get(header::AUTHORIZATION) {
        // Presented credentials that do not verify are an error, never anonymity.
        let token = auth
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .filter(|_| api)
            .ok_or(ApiError::Unauthenticated)?;
        let claims = state
            .signer
            .verify(token)
            .map_err(|_| ApiError::Unauthenticated)?;
        let sub = claims.sub.clone();
        let user = state
            .pool
            .read(move |c| db::users::by_id(c, &sub))
            .await??
            .filter(|u| u.token_version == claims.ver)
            .ok_or(ApiError::Unauthenticated)?;
        return Ok(Some(Principal {
            user,
            session: None,
            jti: Some(claims.jti),
        }));
    }
    let Some(hash) = state.cookies.session_hash(headers) else {
        return Ok(None);
    };
    let found = state
        .pool
        .read(move |c| db::users::by_session(c, &hash))
        .await??;
    // An unknown or expired session cookie is simply not signed in: browsers keep stale cookies.
    Ok(found.map(|(user, session)| Principal {
        user,
        session: Some(session),
        jti: None,
    }))
}

async fn sent_token(req: Request) -> Result<(Option<String>, Request), Response> {
    if let Some(h) = req
        .headers()
        .get(csrf::HEADER)
        .and_then(|v| v.to_str().ok())
    {
        let t = h.to_owned();
        return Ok((Some(t), req));
    }
    let form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form {
        return Ok((None, req));
    }
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, FORM_LIMIT)
        .await
        .map_err(|_| platform::layers::too_large(FORM_LIMIT as u64).into_response())?;
    let token = csrf::from_form(&bytes);
    Ok((token, Request::from_parts(parts, Body::from(bytes))))
}

/// Percent-encodes a `next` value for a query string.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Extractor: the signed-in caller; 401 when absent (routes marked User or Admin always have one).
#[derive(Debug, Clone)]
pub struct CurrentUser(pub Principal);

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Principal>()
            .cloned()
            .map(Self)
            .ok_or(ApiError::Unauthenticated)
    }
}

/// Extractor: the caller if signed in (for public pages that adapt).
#[derive(Debug, Clone)]
pub struct MaybeUser(pub Option<Principal>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        Ok(Self(parts.extensions.get::<Principal>().cloned()))
    }
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Ctx>()
            .cloned()
            .ok_or_else(|| ApiError::internal("route without access check"))
    }
}
