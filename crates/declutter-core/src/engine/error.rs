//! Errors of engine operations.

use crate::db::DbError;
use crate::ids::IdError;
use crate::provider::ProviderError;

/// An engine operation failed.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// A provider failed.
    #[error(transparent)]
    Provider(#[from] ProviderError),
    /// A stored or given name was invalid.
    #[error(transparent)]
    Id(#[from] IdError),
    /// No such plan for this owner.
    #[error("plan {0} not found")]
    PlanNotFound(i64),
    /// No such trash entry for this owner.
    #[error("trash entry {0} not found")]
    TrashNotFound(i64),
    /// The trash entry is not in a state that allows the operation.
    #[error("trash entry {id} is {state}")]
    TrashState {
        /// Entry id.
        id: i64,
        /// Its state.
        state: String,
    },
    /// A keep rule did not parse.
    #[error(
        "invalid keep rule {0:?}: use newest, oldest, shortest-path, original-name or ref:<folder>"
    )]
    InvalidRule(String),
    /// Another run is applying a plan of this owner.
    #[error(
        "another apply is running for this account (plan {plan_id}, process {pid}); try again when it ends"
    )]
    ApplyBusy {
        /// The plan it applies.
        plan_id: i64,
        /// Its process id.
        pid: i64,
    },
    /// A clean-up job of this account is queued or running.
    #[error(
        "a clean-up of this account is already queued or running (job {0}); wait for it or cancel it"
    )]
    JobBusy(i64),
    /// This run's apply lock was taken over (it was presumed dead); it stopped.
    #[error("the apply lock was taken over by another run; this run stopped")]
    LeaseLost,
    /// A keep folder does not resolve to a folder of the scanned sources.
    #[error(
        "keep folder {0:?} is not a folder of any scanned source (use an absolute path, or a path relative to the current folder)"
    )]
    UnknownKeepFolder(String),
    /// The plan is being applied or was applied; only a draft plan can change.
    #[error("plan {id} is {status}; only a draft plan can be changed")]
    PlanNotEditable {
        /// Plan id.
        id: i64,
        /// Its status.
        status: String,
    },
    /// No such item in this plan.
    #[error("plan item {0} is not part of this plan")]
    PlanItemNotFound(i64),
    /// A change to a plan would leave a duplicate group without a live copy.
    #[error(
        "this would remove every copy of {0:?}; keep at least one copy of each group (nothing was changed)"
    )]
    WouldRemoveEveryCopy(String),
    /// A change to a plan would remove a file someone else owns.
    #[error("{0:?} is shared with you by someone else and is never removed (nothing was changed)")]
    NotOwned(String),
    /// A group or copy picked in the duplicates view is no longer among the owner's
    /// duplicates, or the duplicates changed since the page was shown (a scan regrouped them).
    #[error("the duplicates changed since they were shown; reload the page and choose again")]
    SelectionChanged,
    /// No indexed file with this id for this owner.
    #[error("file {0} not found")]
    FileNotFound(i64),
    /// A single-file plan would remove nothing.
    #[error("nothing to remove: {0}")]
    NothingToRemove(String),
    /// No provider is configured for a source.
    #[error("no credentials configured for {0}")]
    NotConfigured(String),
}

impl From<platform_db::rusqlite::Error> for EngineError {
    fn from(e: platform_db::rusqlite::Error) -> Self {
        Self::Db(DbError::Sqlite(e))
    }
}

impl From<platform_db::sql::SqlError> for EngineError {
    fn from(e: platform_db::sql::SqlError) -> Self {
        Self::Db(e.into())
    }
}
