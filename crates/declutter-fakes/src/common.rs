//! What both fakes share: bearer tokens that can be expired, a `/token` endpoint, throttling
//! storms and the API call counter, applied by one middleware in front of the API routes.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use serde_json::json;

/// How a throttled request is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThrottleKind {
    /// 429 Too Many Requests.
    TooManyRequests,
    /// 503 Service Unavailable.
    Unavailable,
    /// Drive's 403 with reason `userRateLimitExceeded`.
    UserRateLimit,
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
#[derive(Debug, Default)]
pub struct Gate {
    tokens: Mutex<HashSet<String>>,
    issued: AtomicU64,
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
    /// A gate that accepts `initial`.
    pub fn new(initial: &str) -> Arc<Self> {
        let gate = Self::default();
        lock(&gate.tokens).insert(initial.to_owned());
        Arc::new(gate)
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
    /// Every token issued so far stops working.
    pub fn expire_tokens(&self) {
        lock(&self.tokens).clear();
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

    fn issue(&self) -> String {
        let n = self.issued.fetch_add(1, Ordering::Relaxed) + 1;
        let token = format!("fake-access-{n}");
        lock(&self.tokens).insert(token.clone());
        token
    }
}

/// Counts, throttles and authenticates every API request.
pub async fn gate(State(gate): State<Arc<Gate>>, req: Request, next: Next) -> Response {
    let call = gate.calls.fetch_add(1, Ordering::Relaxed) + 1;
    if call == gate.expire_at_call.load(Ordering::Relaxed) {
        gate.expire_tokens();
    }
    if let Some(t) = gate.take_storm() {
        gate.throttled.fetch_add(1, Ordering::Relaxed);
        let (status, reason) = match t.kind {
            ThrottleKind::TooManyRequests => {
                (StatusCode::TOO_MANY_REQUESTS, "activityLimitReached")
            }
            ThrottleKind::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "serviceNotAvailable"),
            ThrottleKind::UserRateLimit => (StatusCode::FORBIDDEN, "userRateLimitExceeded"),
        };
        let body = json!({"error": {"code": status.as_u16(), "message": "throttled",
            "errors": [{"domain": "usageLimits", "reason": reason, "message": "throttled"}]}});
        let mut resp = (status, Json(body)).into_response();
        if let Some(v) = t
            .retry_after
            .and_then(|secs| HeaderValue::from_str(&secs.to_string()).ok())
        {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return resp;
    }
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned);
    let ok = bearer.is_some_and(|t| lock(&gate.tokens).contains(&t));
    if !ok {
        let body = json!({"error": {"code": "InvalidAuthenticationToken", "message": "Access token has expired or is not yet valid."}});
        return (StatusCode::UNAUTHORIZED, Json(body)).into_response();
    }
    next.run(req).await
}

/// Refresh-token grant form.
#[derive(Debug, serde::Deserialize)]
pub struct TokenForm {
    grant_type: String,
    refresh_token: Option<String>,
}

/// The refresh token every fake accepts.
pub const REFRESH_TOKEN: &str = "fake-refresh";
/// The access token both fakes start out accepting.
pub const INITIAL_TOKEN: &str = "fake-access-0";

/// `POST /token`: trades the refresh token for a new access token.
pub async fn token(State(gate): State<Arc<Gate>>, Form(form): Form<TokenForm>) -> Response {
    if form.grant_type != "refresh_token" || form.refresh_token.as_deref() != Some(REFRESH_TOKEN) {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "invalid_grant"})),
        )
            .into_response();
    }
    gate.refreshes.fetch_add(1, Ordering::Relaxed);
    let t = gate.issue();
    Json(json!({"access_token": t, "token_type": "Bearer", "expires_in": 3600})).into_response()
}

/// Locks a fake's state, surviving poisoning (a panicking test must not hide others).
pub fn guard<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    lock(m)
}

/// The test controls both fakes share: call counts, token expiry and throttling.
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
    /// An access token valid until [`Gated::expire_tokens`].
    fn access_token(&self) -> &'static str {
        INITIAL_TOKEN
    }
    /// The refresh token `/token` accepts.
    fn refresh_token(&self) -> &'static str {
        REFRESH_TOKEN
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
