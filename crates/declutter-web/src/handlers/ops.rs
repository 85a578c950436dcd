//! Liveness, readiness and the root redirect.

use axum::extract::{FromRef as _, State};
use axum::response::{IntoResponse, Redirect, Response};
use platform::health::{Check, report};

use crate::auth::access::MaybeUser;
use crate::services::cleanup::Cleanup;
use crate::services::scans::Scans;
use crate::state::AppState;

/// `GET /`: the dashboard when signed in, else the sign-in page.
pub async fn root(MaybeUser(p): MaybeUser) -> Redirect {
    Redirect::to(if p.is_some() { "/dashboard" } else { "/login" })
}

/// `GET /healthz`: the process answers; no I/O.
pub async fn healthz() -> Response {
    platform::health::live().await
}

/// `GET /readyz`: the database answers, the scan queue can be read, every scan and clean-up
/// worker this instance started is still running, and the installation's tokens are still
/// sealed under this instance's key (a rotation done elsewhere takes it out of service).
pub async fn readyz(State(state): State<AppState>) -> Response {
    let db = if crate::db::ping(&state.pool).await {
        Check::Ok
    } else {
        tracing::warn!("readiness: database check failed");
        Check::Failed
    };
    let (scanning, readable) = Scans::from_ref(&state).health().await;
    let cleaning = Cleanup::from_ref(&state).workers_alive();
    let started = state.config.scan_workers;
    let queue = if readable && scanning == started && cleaning == started {
        Check::Ok
    } else {
        tracing::warn!(
            readable,
            scanning,
            cleaning,
            started,
            "readiness: queue check failed"
        );
        Check::Failed
    };
    let current = state.keyring.current_id().to_owned();
    let token_key = match state.pool.read(|c| crate::db::token_key::get(c)).await {
        Ok(Ok(Some(recorded))) if recorded == current => Check::Ok,
        other => {
            tracing::warn!(current, ?other, "readiness: token key check failed");
            Check::Failed
        }
    };
    report(&[("database", db), ("queue", queue), ("token_key", token_key)]).into_response()
}
