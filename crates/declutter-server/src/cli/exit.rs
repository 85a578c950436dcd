//! Exit codes, one per failure family, and one-line error messages.

use declutter_core::db::DbError;
use declutter_core::engine::EngineError;
use declutter_core::provider::ProviderError;

/// Anything not classified below.
pub const FAILURE: u8 = 1;
/// Bad arguments (clap uses 2 as well).
pub const USAGE: u8 = 2;
/// The database could not be opened or used.
pub const DATABASE: u8 = 3;
/// A provider (disk or cloud API) failed.
pub const PROVIDER: u8 = 4;
/// A plan or trash entry does not exist or is in the wrong state.
pub const NOT_FOUND: u8 = 5;
/// Restoring would overwrite something.
pub const CONFLICT: u8 = 6;
/// Missing credentials or configuration.
pub const CONFIG: u8 = 7;
/// The runtime could not start.
pub const INTERNAL: u8 = 70;

/// The exit code for `err`.
pub fn code(err: &anyhow::Error) -> u8 {
    if let Some(e) = err.downcast_ref::<EngineError>() {
        return match e {
            EngineError::Db(_) => DATABASE,
            EngineError::Provider(ProviderError::RestoreConflict(_)) => CONFLICT,
            EngineError::Provider(_) => PROVIDER,
            EngineError::PlanNotFound(_)
            | EngineError::TrashNotFound(_)
            | EngineError::TrashState { .. } => NOT_FOUND,
            EngineError::InvalidRule(_) | EngineError::Id(_) => USAGE,
            EngineError::NotConfigured(_) => CONFIG,
        };
    }
    if err.downcast_ref::<DbError>().is_some() {
        return DATABASE;
    }
    if err.downcast_ref::<super::context::ConfigError>().is_some() {
        return CONFIG;
    }
    FAILURE
}

/// The error and its causes on one line.
pub fn one_line(err: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in err.chain() {
        let s = cause.to_string().replace('\n', " ");
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
    }
    parts.join(": ")
}
