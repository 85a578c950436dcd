//! The service's one error type. Every failure becomes an RFC 9457 problem; for browser routes
//! [`crate::views::html_errors`] renders the same problem as an HTML page.
//!
//! The tiers: each module has its own `thiserror` enum (`DbError`, `EngineError`,
//! `ConnectError`, …); handlers and services return [`ApiError`], reached through `From`
//! impls (a busy database, the web's or the engine's, is a 503 there, never a string match);
//! anything unexpected is [`ApiError::internal`], which keeps the cause and the caller's
//! location. A 5xx body is fixed text: the cause travels to the request log (logged once,
//! with the request id), never to the client.

use std::fmt;
use std::panic::Location;

use axum::response::{IntoResponse, Response};
use http::StatusCode;
use platform::Problem;

use crate::db::DbError;

/// What a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No valid session or token.
    #[error("sign in required")]
    Unauthenticated,
    /// Signed in but not allowed.
    #[error("forbidden")]
    Forbidden,
    /// The route needs a browser session, and a bearer token was presented.
    #[error("a browser session is required")]
    SessionRequired,
    /// Missing, or not yours (the same answer, so ids cannot be probed).
    #[error("not found")]
    NotFound,
    /// Origin or synchronizer token check failed.
    #[error("CSRF check failed: {0}")]
    Csrf(&'static str),
    /// Input refused, with a message for the user.
    #[error("{0}")]
    Invalid(String),
    /// Conflicts with existing state.
    #[error("{0}")]
    Conflict(String),
    /// Wrong email or password (never says which).
    #[error("wrong email or password")]
    BadCredentials,
    /// Too many attempts; seconds to wait.
    #[error("too many attempts")]
    TooMany(u64),
    /// Storage failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The engine failed in a way the person cannot fix; the cause is logged, never shown
    /// (a busy engine database answers 503, like the web's own).
    #[error(transparent)]
    Engine(declutter_core::engine::EngineError),
    /// A background task panicked or was cancelled.
    #[error(transparent)]
    Task(#[from] tokio::task::JoinError),
    /// Anything else unexpected; the cause is logged, never shown.
    #[error(transparent)]
    Internal(Internal),
}

/// An unexpected failure: its cause and the source line that met it, for the log only.
pub struct Internal {
    cause: Box<dyn std::error::Error + Send + Sync>,
    at: &'static Location<'static>,
}

impl Internal {
    /// `cause`, met by the caller.
    #[track_caller]
    pub fn new(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self {
            cause: cause.into(),
            at: Location::caller(),
        }
    }
}

impl fmt::Debug for Internal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Internal {
    /// The cause with its chain of sources, then where it was met.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.cause)?;
        let mut next = self.cause.source();
        while let Some(e) = next {
            write!(f, ": {e}")?;
            next = e.source();
        }
        write!(f, " (at {}:{})", self.at.file(), self.at.line())
    }
}

impl std::error::Error for Internal {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.cause)
    }
}

impl From<declutter_core::db::DbError> for ApiError {
    fn from(e: declutter_core::db::DbError) -> Self {
        declutter_core::engine::EngineError::Db(e).into()
    }
}

/// Whether the engine's database was busy or locked (a retry later will do).
fn engine_busy(e: &declutter_core::engine::EngineError) -> bool {
    use declutter_core::platform_db::rusqlite::{Error, ErrorCode};
    matches!(e, declutter_core::engine::EngineError::Db(declutter_core::db::DbError::Sqlite(Error::SqliteFailure(f, _)))
        if matches!(f.code, ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked))
}

impl From<platform_db::PoolError> for ApiError {
    fn from(e: platform_db::PoolError) -> Self {
        Self::Db(DbError::Pool(e))
    }
}

impl ApiError {
    /// An unexpected failure caused by `cause`: a 500 whose body says nothing; the cause and
    /// the caller's file and line go to the request log.
    #[track_caller]
    pub fn internal(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Internal(Internal::new(cause))
    }

    /// The problem this error is shown as.
    pub fn problem(&self) -> Problem {
        use StatusCode as S;
        match self {
            Self::Unauthenticated => {
                Problem::new(S::UNAUTHORIZED, "unauthenticated", "Sign in required")
            }
            Self::Forbidden => {
                Problem::new(S::FORBIDDEN, "forbidden", "You are not allowed to do that")
            }
            Self::SessionRequired => Problem::new(
                S::FORBIDDEN,
                "session_required",
                "Only a signed-in browser session can do that; an API token cannot",
            ),
            Self::NotFound => Problem::new(S::NOT_FOUND, "not_found", "Not found"),
            Self::Csrf(code) => Problem::new(
                S::FORBIDDEN,
                code,
                "The request did not come from this site's own page; reload the page and try again",
            ),
            Self::Invalid(m) => Problem::new(S::UNPROCESSABLE_ENTITY, "invalid_input", m.clone()),
            Self::Conflict(m) => Problem::new(S::CONFLICT, "conflict", m.clone()),
            Self::BadCredentials => Problem::new(
                S::UNAUTHORIZED,
                "bad_credentials",
                "Wrong email or password",
            ),
            Self::TooMany(secs) => Problem::new(
                S::TOO_MANY_REQUESTS,
                "too_many_attempts",
                "Too many attempts; wait a little and try again",
            )
            .retry_after(*secs),
            Self::Db(e) if e.is_busy() => Problem::unavailable(e),
            Self::Db(e) => Problem::internal(e),
            Self::Engine(e) if engine_busy(e) => Problem::unavailable(e),
            Self::Engine(e) => Problem::internal(e),
            Self::Task(e) => Problem::internal(e),
            Self::Internal(cause) => Problem::internal(cause),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.problem().into_response()
    }
}

impl From<declutter_core::engine::EngineError> for ApiError {
    fn from(e: declutter_core::engine::EngineError) -> Self {
        use declutter_core::engine::EngineError as E;
        use declutter_core::provider::ProviderError as P;
        match e {
            E::PlanNotFound(_) | E::TrashNotFound(_) | E::FileNotFound(_) => Self::NotFound,
            E::NothingToRemove(m) => Self::Invalid(format!("nothing to remove: {m}")),
            E::TrashState { state, .. } => Self::Conflict(format!("the entry is already {state}")),
            E::InvalidRule(r) => Self::Invalid(format!(
                "unknown keep rule {r:?}: use newest, oldest, shortest-path, original-name or ref:<folder>"
            )),
            E::Provider(P::RestoreConflict(_)) => {
                Self::Conflict("cannot restore: something now exists at the original place".into())
            }
            E::Provider(P::Http(declutter_core::cloud::HttpError::Token(_))) => Self::Conflict(
                "the connection to this drive is missing or has expired: connect it again on the Account page".into(),
            ),
            E::UnknownKeepFolder(folder) => Self::Invalid(format!(
                "keep folder {folder:?} is not a folder of your scanned sources: pick a folder that a scan has indexed"
            )),
            E::ApplyBusy { .. } | E::LeaseLost => Self::Conflict(
                "another clean-up of this account is running; try again when it has finished".into(),
            ),
            E::JobBusy(job) => Self::Conflict(format!(
                "another clean-up of this account is queued or running (job {job}); try again when it has finished"
            )),
            E::Provider(P::Outside(path)) => Self::Conflict(format!(
                "{path}: refused, the path leads through a symbolic link or outside the source"
            )),
            E::PlanItemNotFound(_) => Self::NotFound,
            e @ (E::WouldRemoveEveryCopy(_) | E::NotOwned(_)) => Self::Invalid(e.to_string()),
            e @ (E::PlanNotEditable { .. } | E::SelectionChanged) => Self::Conflict(e.to_string()),
            E::NotConfigured(_) => {
                Self::Conflict("this source is not available (outside the allowed roots?)".into())
            }
            other => Self::Engine(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot write the index")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn an_internal_error_logs_its_cause_chain_and_place_and_shows_neither()
    -> Result<(), Box<dyn std::error::Error>> {
        let io = std::io::Error::other("disk full at /srv/secret");
        let line = line!() + 1;
        let err = ApiError::internal(Outer(io));
        let logged = err.to_string();
        assert!(
            logged.starts_with("cannot write the index: disk full at /srv/secret"),
            "{logged}"
        );
        assert!(logged.contains(&format!("error.rs:{line}")), "{logged}");
        assert!(std::error::Error::source(&err).is_some());
        let res = err.into_response();
        let cause = res.extensions().get::<platform::problem::InternalCause>();
        assert!(cause.is_some_and(|c| c.0.contains("/srv/secret")));
        let body = axum::body::to_bytes(res.into_body(), 4096);
        let body = tokio::runtime::Runtime::new()?.block_on(body)?;
        assert!(!String::from_utf8_lossy(&body).contains("secret"));
        Ok(())
    }
}
