//! What both fakes share: scoped bearer tokens that can be expired, a `/token` endpoint,
//! throttling storms and the API call counter, applied by one middleware in front of the API
//! routes. The middleware hands the caller's [`Scopes`] to the routes as a request extension.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use serde_json::json;

use crate::errors::{self, Flavor};
use crate::grants::{Grant, Grants, Refusal, Rotation, Scopes};

/// How a throttled request is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThrottleKind {
    /// 429 Too Many Requests.
    TooManyRequests,
    /// 503 Service Unavailable.
    Unavailable,
    /// Drive's 403 with reason `userRateLimitExceeded`.
    UserRateLimit,
    /// Drive's 403 with reason `dailyLimitExceeded` (the project's daily quota: retrying within
    /// the day does not help).
    DailyLimit,
}

/// A throttling storm: the next `count` API requests are refused.
#[derive(Debug, Clone, Copy)]
pub struct Throttle {
    /// Requests to refuse.
    pub count: u64,
    /// How.
    pub kind: ThrottleKind,
    /// `Retry-After` seconds, if sent.
    pub retry_after: Option<u64>,
}

/// Auth, throttling and counters.
#[derive(Debug)]
pub struct Gate {
    flavor: Flavor,
    grants: Mutex<Grants>,
    calls: AtomicU64,
    refreshes: AtomicU64,
    throttled: AtomicU64,
    /// The API call (1-based) at which every token expires; 0 for never.
    expire_at_call: AtomicU64,
    storm: Mutex<Option<Throttle>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Gate {
    /// A gate speaking `flavor` that accepts [`INITIAL_TOKEN`] and [`REFRESH_TOKEN`] with the
    /// `full` scopes.
    pub fn new(flavor: Flavor, full: &[&str], rotation: Rotation) -> Arc<Self> {
        Arc::new(Self {
            flavor,
            grants: Mutex::new(Grants::new(
                INITIAL_TOKEN,
                REFRESH_TOKEN,
                Scopes::of(full),
                rotation,
            )),
            calls: AtomicU64::new(0),
            refreshes: AtomicU64::new(0),
            throttled: AtomicU64::new(0),
            storm: Mutex::new(None),
            // 0: never (calls are counted from 1).
            expire_at_call: AtomicU64::new(0),
        })
    }

    /// API requests seen (throttled and refused ones included; `/token` excluded).
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }
    /// Resets the API call counter.
    pub fn reset_calls(&self) {
        self.calls.store(0, Ordering::Relaxed);
    }
    /// Successful token refreshes.
    pub fn refreshes(&self) -> u64 {
        self.refreshes.load(Ordering::Relaxed)
    }
    /// Requests refused by throttling.
    pub fn throttled(&self) -> u64 {
        self.throttled.load(Ordering::Relaxed)
    }
    /// Every access token issued so far stops working.
    pub fn expire_tokens(&self) {
        lock(&self.grants).expire_access();
    }
    /// Every refresh token issued so far stops working (`invalid_grant`).
    pub fn expire_refresh_tokens(&self) {
        lock(&self.grants).expire_refresh();
    }
    /// New tokens carrying `scopes`.
    pub fn grant(&self, scopes: &[&str]) -> Grant {
        lock(&self.grants).grant(Scopes::of(scopes))
    }
    /// What refreshing does to refresh tokens from now on.
    pub fn set_rotation(&self, rotation: Rotation) {
        lock(&self.grants).rotation = rotation;
    }
    /// `/token` requires this client secret from now on.
    pub fn require_client_secret(&self, secret: &str) {
        lock(&self.grants).client_secret = Some(secret.to_owned());
    }
    /// Every token issued so far stops working when API call `call` (counted from the last
    /// reset) arrives, and that call is refused: expiry at an exact point of a running job,
    /// with no polling race.
    pub fn expire_tokens_at_call(&self, call: u64) {
        self.expire_at_call.store(call, Ordering::Relaxed);
    }
    /// Starts a storm.
    pub fn throttle(&self, t: Throttle) {
        *lock(&self.storm) = Some(t);
    }

    fn take_storm(&self) -> Option<Throttle> {
        let mut storm = lock(&self.storm);
        match storm.as_mut() {
            Some(t) if t.count > 0 => {
                t.count -= 1;
                Some(*t)
            }
            _ => None,
        }
    }

    fn storm_response(&self, t: Throttle) -> Response {
        let resp = match (t.kind, self.flavor) {
            (ThrottleKind::TooManyRequests, Flavor::Graph) => errors::graph(
                StatusCode::TOO_MANY_REQUESTS,
                "activityLimitReached",
                "The request has been throttled",
            ),
            (ThrottleKind::Unavailable, Flavor::Graph) => errors::graph(
                StatusCode::SERVICE_UNAVAILABLE,
                "serviceNotAvailable",
                "The service is temporarily unavailable",
            ),
            (ThrottleKind::TooManyRequests, Flavor::Drive) => errors::drive(
                StatusCode::TOO_MANY_REQUESTS,
                "rateLimitExceeded",
                "Rate Limit Exceeded",
            ),
            (ThrottleKind::Unavailable, Flavor::Drive) => errors::drive(
                StatusCode::SERVICE_UNAVAILABLE,
                "backendError",
                "Backend Error",
            ),
            (ThrottleKind::UserRateLimit, _) => errors::drive(
                StatusCode::FORBIDDEN,
                "userRateLimitExceeded",
                "User Rate Limit Exceeded",
            ),
            (ThrottleKind::DailyLimit, _) => errors::drive(
                StatusCode::FORBIDDEN,
                "dailyLimitExceeded",
                "Daily Limit Exceeded",
            ),
        };
        errors::with_retry_after(resp, t.retry_after)
    }
}

/// Counts, throttles and authenticates every API request; the route sees the token's
/// [`Scopes`] as an extension.
pub async fn gate(State(gate): State<Arc<Gate>>, mut req: Request, next: Next) -> Response {
    let call = gate.calls.fetch_add(1, Ordering::Relaxed) + 1;
    if call == gate.expire_at_call.load(Ordering::Relaxed) {
        gate.expire_tokens();
    }
    if let Some(t) = gate.take_storm() {
        gate.throttled.fetch_add(1, Ordering::Relaxed);
        return gate.storm_response(t);
    }
    let scopes = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .and_then(|t| lock(&gate.grants).scopes_of(t));
    let Some(scopes) = scopes else {
        return errors::unauthorized(gate.flavor);
    };
    req.extensions_mut().insert(scopes);
    next.run(req).await
}

/// Refresh-token grant form (RFC 6749 §6; the client authenticates in the body).
#[derive(Debug, serde::Deserialize)]
pub struct TokenForm {
    grant_type: String,
    refresh_token: Option<String>,
    client_secret: Option<String>,
}

/// The refresh token every fake accepts (full scopes).
pub const REFRESH_TOKEN: &str = "fake-refresh";
/// The access token both fakes start out accepting (full scopes).
pub const INITIAL_TOKEN: &str = "fake-access-0";

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let body = json!({"error": error, "error_description": description});
    (status, Json(body)).into_response()
}

/// `POST /token`: trades a refresh token for a new access token (and, when rotating, a new
/// refresh token), answering the OAuth error codes of RFC 6749 §5.2.
pub async fn token(State(gate): State<Arc<Gate>>, Form(form): Form<TokenForm>) -> Response {
    if form.grant_type != "refresh_token" {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "only refresh_token",
        );
    }
    let result = lock(&gate.grants).refresh(
        form.refresh_token.as_deref().unwrap_or_default(),
        form.client_secret.as_deref(),
    );
    match result {
        Err(Refusal::InvalidClient) => oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client authentication failed",
        ),
        Err(Refusal::InvalidGrant) => oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "The refresh token has expired or was revoked.",
        ),
        Ok((access, refresh, scopes)) => {
            gate.refreshes.fetch_add(1, Ordering::Relaxed);
            let mut body = json!({"access_token": access, "token_type": "Bearer",
                "expires_in": 3600, "scope": scopes.joined()});
            if let Some(r) = refresh {
                body["refresh_token"] = json!(r);
            }
            Json(body).into_response()
        }
    }
}

/// Locks a fake's state, surviving poisoning (a panicking test must not hide others).
pub fn guard<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    lock(m)
}

/// The test controls both fakes share: call counts, tokens and throttling.
/// Bring it into scope (`use declutter_fakes::Gated;`) to call them on a fake.
pub trait Gated {
    /// The fake's gate.
    fn gate(&self) -> &Gate;
    /// The fake's listening address.
    fn addr(&self) -> std::net::SocketAddr;

    /// OAuth token endpoint.
    fn token_url(&self) -> String {
        format!("http://{}/token", self.addr())
    }
    /// An access token with full scopes, valid until [`Gated::expire_tokens`].
    fn access_token(&self) -> &'static str {
        INITIAL_TOKEN
    }
    /// A refresh token with full scopes that `/token` accepts.
    fn refresh_token(&self) -> &'static str {
        REFRESH_TOKEN
    }
    /// New tokens carrying only `scopes` (names like `Files.Read` or Google scope URLs).
    fn grant(&self, scopes: &[&str]) -> Grant {
        self.gate().grant(scopes)
    }
    /// What refreshing does to refresh tokens from now on.
    fn set_rotation(&self, rotation: Rotation) {
        self.gate().set_rotation(rotation);
    }
    /// `/token` requires `secret` from now on (`invalid_client` otherwise).
    fn require_client_secret(&self, secret: &str) {
        self.gate().require_client_secret(secret);
    }
    /// Every refresh token stops working (`invalid_grant`).
    fn expire_refresh_tokens(&self) {
        self.gate().expire_refresh_tokens();
    }

    /// API requests so far.
    fn calls(&self) -> u64 {
        self.gate().calls()
    }
    /// Resets the API call counter.
    fn reset_calls(&self) {
        self.gate().reset_calls();
    }
    /// Token refreshes so far.
    fn refreshes(&self) -> u64 {
        self.gate().refreshes()
    }
    /// Requests refused by throttling so far.
    fn throttled(&self) -> u64 {
        self.gate().throttled()
    }
    /// Every access token stops working (the next request gets 401).
    fn expire_tokens(&self) {
        self.gate().expire_tokens();
    }
    /// Every access token stops working at API call `call` after the last reset.
    fn expire_tokens_at_call(&self, call: u64) {
        self.gate().expire_tokens_at_call(call);
    }
    /// Refuses the next requests as `t` says.
    fn throttle(&self, t: Throttle) {
        self.gate().throttle(t);
    }
}
