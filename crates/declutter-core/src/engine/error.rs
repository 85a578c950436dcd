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
    /// No provider is configured for a source.
    #[error("no credentials configured for {0}")]
    NotConfigured(String),
}

impl From<platform_db::rusqlite::Error> for EngineError {
    fn from(e: platform_db::rusqlite::Error) -> Self {
        Self::Db(DbError::Sqlite(e))
    }
}
