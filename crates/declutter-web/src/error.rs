//! The service's one error type. Every failure becomes an RFC 9457 problem; for browser routes
//! [`crate::views::html_errors`] renders the same problem as an HTML page.

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
    /// Anything else unexpected; the text is logged, never shown.
    #[error("{0}")]
    Internal(String),
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
