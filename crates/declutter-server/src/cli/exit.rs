//! Exit codes, one per failure family, and one-line error messages.

use declutter_core::cloud::{HttpError, TokenError};
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
/// The database is open in another process (stop the service first).
pub const IN_USE: u8 = 8;
/// Another apply of this account is running.
pub const BUSY: u8 = 9;
/// The runtime could not start.
pub const INTERNAL: u8 = 70;

/// The exit code for `err`.
pub fn code(err: &anyhow::Error) -> u8 {
    if let Some(e) = err.downcast_ref::<EngineError>() {
        return match e {
            EngineError::Db(_) => DATABASE,
            EngineError::Provider(ProviderError::RestoreConflict(_)) => CONFLICT,
            // A refused refresh token or client: the credentials need replacing.
            EngineError::Provider(ProviderError::Http(HttpError::Token(
                TokenError::InvalidGrant(_) | TokenError::InvalidClient(_),
            ))) => CONFIG,
            EngineError::Provider(_) => PROVIDER,
            EngineError::PlanNotFound(_)
            | EngineError::FileNotFound(_)
            | EngineError::TrashNotFound(_)
            | EngineError::TrashState { .. } => NOT_FOUND,
            EngineError::InvalidRule(_)
            | EngineError::Id(_)
            | EngineError::UnknownKeepFolder(_)
            | EngineError::WouldRemoveEveryCopy(_)
            | EngineError::NothingToRemove(_)
            | EngineError::NotOwned(_) => USAGE,
            EngineError::PlanItemNotFound(_) => NOT_FOUND,
            EngineError::PlanNotEditable { .. } | EngineError::SelectionChanged => BUSY,
            EngineError::ApplyBusy { .. } | EngineError::JobBusy(_) | EngineError::LeaseLost => {
                BUSY
            }
            EngineError::NotConfigured(_) => CONFIG,
        };
    }
    if err.downcast_ref::<DbError>().is_some() {
        return DATABASE;
    }
    if let Some(e) = err.downcast_ref::<platform_db::pg::copy::CopyError>() {
        use platform_db::pg::copy::CopyError as E;
        return match e {
            E::Pg(_) | E::Sqlite(_) => DATABASE,
            E::NotEmpty(_) => CONFLICT,
            E::Schema(_) | E::Value { .. } | E::Mismatch { .. } => FAILURE,
        };
    }
    if err.downcast_ref::<platform_db::pg::PgError>().is_some() {
        return DATABASE;
    }
    if err.downcast_ref::<super::db::EndError>().is_some() {
        return USAGE;
    }
    if let Some(e) = err.downcast_ref::<super::account::AccountError>() {
        return match e {
            super::account::AccountError::Db(_) => DATABASE,
            _ => USAGE,
        };
    }
    if err.downcast_ref::<super::context::ConfigError>().is_some() {
        return CONFIG;
    }
    operations_code(err).unwrap_or(FAILURE)
}

/// Exit codes of `serve`, `backup`, `restore`, `user` and `rotate-token-key`.
fn operations_code(err: &anyhow::Error) -> Option<u8> {
    use super::dbfile::DbFileError;
    use super::user::UserError;
    use declutter_web::crypto::{CryptoError, ResealError};
    use platform_db::BackupError;

    if let Some(e) = err.downcast_ref::<DbFileError>() {
        return Some(match e {
            DbFileError::Missing(_) => NOT_FOUND,
            DbFileError::Exists { .. } | DbFileError::StaleSidecar(_) => CONFLICT,
            DbFileError::InUse(_) => IN_USE,
            DbFileError::Sqlite { .. } => DATABASE,
        });
    }
    if let Some(e) = err.downcast_ref::<BackupError>() {
        return Some(match e {
            BackupError::Exists(_) => CONFLICT,
            BackupError::Sqlite(_) | BackupError::Corrupt(_) => DATABASE,
        });
    }
    if let Some(e) = err.downcast_ref::<UserError>() {
        return Some(match e {
            UserError::InvalidEmail(_) | UserError::InvalidName | UserError::Mismatch => USAGE,
            UserError::NoPassword(_) => CONFIG,
            UserError::Exists(_) => CONFLICT,
        });
    }
    if let Some(e) = err.downcast_ref::<ResealError>() {
        return Some(match e {
            ResealError::Crypto(_) => CONFIG,
            ResealError::Db(_) => DATABASE,
        });
    }
    if err
        .downcast_ref::<declutter_web::auth::password::PolicyError>()
        .is_some()
    {
        return Some(USAGE);
    }
    let config = err
        .downcast_ref::<super::serve::ServeError>()
        .is_some_and(|e| {
            matches!(
                e,
                super::serve::ServeError::NoKey | super::serve::ServeError::NoSharedJwtSecret
            )
        })
        || err.downcast_ref::<super::SqliteOnly>().is_some()
        || err.downcast_ref::<CryptoError>().is_some()
        || err.downcast_ref::<super::rotate::KeyError>().is_some()
        || err.downcast_ref::<platform_db::pg::CaError>().is_some()
        || err
            .downcast_ref::<declutter_web::config::ConfigError>()
            .is_some();
    if config {
        return Some(CONFIG);
    }
    let database = err.downcast_ref::<platform_db::OpenError>().is_some()
        || err.downcast_ref::<platform_db::rusqlite::Error>().is_some()
        || err.downcast_ref::<declutter_web::db::DbError>().is_some();
    database.then_some(DATABASE)
}

/// The error and its causes on one line.
pub fn one_line(err: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in err.chain() {
        // Errors name paths and provider messages: shown escaped, on one line.
        let s = super::output::safe(&cause.to_string()).into_owned();
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
    }
    parts.join(": ")
}
