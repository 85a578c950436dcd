//! Behind a TLS-terminating proxy: a request the configured proxy marks
//! `X-Forwarded-Proto: http` is redirected to the HTTPS public URL. The header is ignored from
//! every other peer, so a client cannot talk its way around HTTPS or into our logs.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use platform::serve::ConnInfo;

use crate::state::AppState;

/// Middleware: upgrade plain-HTTP requests forwarded by the trusted proxy.
pub async fn https_upgrade(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let from_proxy = req
        .extensions()
        .get::<ConnInfo>()
        .is_some_and(|c| state.config.trusted_proxy == Some(c.peer.ip()));
    let forwarded_http = req
        .headers()
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("http"));
    if from_proxy && forwarded_http && state.config.https() {
        let pq = req.uri().path_and_query().map_or("/", |p| p.as_str());
        return Redirect::permanent(&format!("{}{pq}", state.config.public_url)).into_response();
    }
    next.run(req).await
}
