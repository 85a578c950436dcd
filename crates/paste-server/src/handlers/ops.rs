//! Operational endpoints: health, proof-of-work challenges, metrics and the client download.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use paste_api::{Challenge, headers};
use platform::health::{Check, report};
use platform::serve::ConnInfo;

use crate::error::{ApiError, problem};
use crate::identity::Identity;
use crate::state::AppState;

/// `GET /health`: liveness plus a database round trip, FlaskPaste's shape.
#[utoipa::path(
    get,
    path = "/health",
    operation_id = "health",
    tag = "meta",
    responses(
        (status = 200, description = "Healthy: the database answers", body = crate::openapi::bodies::Health),
        (status = 503, description = "Unhealthy: the database does not answer", body = crate::openapi::bodies::Health),
    )
)]
pub async fn health(State(state): State<AppState>) -> Response {
    let db = match state.store.ping().await {
        Ok(()) => Check::Ok,
        Err(error) => {
            tracing::error!(%error, "health check: database unavailable");
            Check::Failed
        }
    };
    report(&[("database", db)])
}

/// `GET /challenge`: a signed proof-of-work challenge.
#[utoipa::path(
    get,
    path = "/challenge",
    operation_id = "getChallenge",
    tag = "meta",
    responses(
        (status = 200, description = "A signed proof-of-work challenge, or `enabled: false`", body = paste_api::Challenge),
    )
)]
pub async fn challenge(State(state): State<AppState>) -> Result<Json<Challenge>, ApiError> {
    state
        .pow
        .issue(state.config.clock.now())
        .map(Json)
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// Headers a reverse proxy adds; their presence means the loopback peer is only the proxy.
pub(crate) const FORWARDING_HEADERS: [&str; 4] = [
    "x-forwarded-for",
    "forwarded",
    "x-real-ip",
    "x-ssl-client-sha1",
];

/// `GET /metrics` on the main listener: local clients and admins only; 404 to the rest so the
/// endpoint is not even advertised. A request relayed by a proxy on the same host arrives from
/// loopback too, so any forwarding header disqualifies the loopback exemption.
#[utoipa::path(
    get,
    path = "/metrics",
    operation_id = "getMetrics",
    tag = "meta",
    responses(
        (status = 200, description = "Prometheus metrics (OpenMetrics text), to loopback clients \
            and admins when no separate metrics listener is configured",
            content_type = "application/openmetrics-text", body = String),
        (status = 400, response = crate::openapi::problems::Problem400),
        (status = 403, response = crate::openapi::problems::Problem403),
        (status = 404, response = crate::openapi::problems::Problem404),
    )
)]
pub async fn metrics(
    State(state): State<AppState>,
    identity: Identity,
    conn: Option<axum::Extension<ConnInfo>>,
    headers: http::HeaderMap,
) -> Result<Response, ApiError> {
    let forwarded = FORWARDING_HEADERS.iter().any(|h| headers.contains_key(*h));
    let loopback = !forwarded && conn.is_some_and(|c| c.peer.ip().is_loopback());
    if state.config.metrics_listen.is_some() || !(loopback || identity.is_admin()) {
        return Err(problem(StatusCode::NOT_FOUND, "not_found", "Not found"));
    }
    Ok(scrape(&state).await)
}

/// The metrics as of now: the stored totals are read from the database for each scrape, so
/// they are what the database holds rather than a tally kept beside it.
pub async fn scrape(state: &AppState) -> Response {
    match state.store.totals().await {
        Ok((pastes, bytes)) => state.metrics.set_totals(pastes, bytes),
        Err(error) => tracing::error!(%error, "metrics: could not read storage totals"),
    }
    state.registry.response()
}

/// `GET /client`: the fpaste binary for this server's platform.
#[utoipa::path(
    get,
    path = "/client",
    operation_id = "getClient",
    tag = "meta",
    responses(
        (status = 200, description = "The fpaste binary for this server's platform",
            content_type = "application/octet-stream", body = [u8],
            headers(
                ("X-Content-SHA256" = String, description = "SHA-256 of the binary, hex"),
                ("Content-Disposition" = String, description = "`attachment; filename=\"fpaste\"`"),
            )
        ),
        (status = 404, response = crate::openapi::problems::Problem404),
    )
)]
pub async fn client(State(state): State<AppState>) -> Result<Response, ApiError> {
    let Some(binary) = &state.client.binary else {
        return Err(problem(
            StatusCode::NOT_FOUND,
            "client_unavailable",
            "No client binary is installed on this server; use /client/fpaste.sh",
        ));
    };
    let mut res = binary.body().into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"fpaste\""),
    );
    if let Ok(v) = HeaderValue::from_str(&binary.sha256) {
        h.insert(headers::CLIENT_SHA256, v);
    }
    Ok(res)
}

/// The shell functions, with `@@BASE_URL@@` to be replaced by the public base URL.
const SHELL_FUNCTIONS: &str = include_str!("../../../paste-cli/share/fpaste.sh");

/// `GET /client/fpaste.sh`: POSIX shell functions (curl only) bound to this server's URL.
#[utoipa::path(
    get,
    path = "/client/fpaste.sh",
    operation_id = "getClientScript",
    tag = "meta",
    responses(
        (status = 200, description = "POSIX shell functions (curl only) bound to this server's URL",
            content_type = "text/plain", body = String),
    )
)]
pub async fn client_script(
    State(state): State<AppState>,
    conn: Option<axum::Extension<ConnInfo>>,
    headers: http::HeaderMap,
) -> Response {
    let base = format!(
        "{}{}",
        origin(&state, conn.is_some_and(|c| c.tls), &headers),
        state.config.url_prefix
    );
    let script = SHELL_FUNCTIONS.replace("@@BASE_URL@@", &base);
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        script,
    )
        .into_response()
}

/// The configured public origin, or one built from the request: the scheme this connection
/// used (or the trusted proxy's `X-Forwarded-Proto`) and a Host header that is a plain
/// `host[:port]` (anything else falls back to the listener's loopback name).
fn origin(state: &AppState, tls: bool, headers: &http::HeaderMap) -> String {
    if let Some(url) = &state.config.public_url {
        return url.clone();
    }
    let forwarded_https = state.config.trust_proxy
        && headers
            .get("x-forwarded-proto")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"));
    let scheme = if tls || forwarded_https {
        "https"
    } else {
        "http"
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.bytes().all(|b| {
                    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']')
                })
        })
        .unwrap_or("localhost");
    format!("{scheme}://{host}")
}
