//! `--user EMAIL`: run the engine commands as a web account instead of the command line's own
//! owner, so folders scanned here show up in that person's web app.
//!
//! The command line and `declutter serve` share one database (the engine's tables beside the
//! web's). Engine rows carry an owner: [`UserId::local`] for plain CLI use, the account id for
//! the web. Naming an account makes every engine command read and write that account's rows,
//! and `scan FOLDER` also records the folder as one of the account's local sources (the web's
//! `local_sources`, with an audit entry), as an administrator assigning it in the web app would.
//! Whoever can run the CLI on the database already holds everything in it, so no password is
//! asked; the account must exist (`declutter user add`).

use std::path::Path;

use declutter_core::ids::UserId;
use declutter_core::platform_db::rusqlite::Connection;
use declutter_web::db::{self, DbError};

/// Who `added_by` and the audit log name for a folder attached from the command line.
const CLI_ACTOR: &str = "command line";

/// A refused `--user`.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// No account has this email.
    #[error("no account with email {0:?} in this database (create it with `declutter user add`)")]
    Unknown(String),
    /// The stored account id is not a valid owner id.
    #[error("the account {0:?} has an id the engine cannot use")]
    BadId(String),
    /// The folder path is not UTF-8, which the web's source list cannot hold.
    #[error("the folder name must be UTF-8 to attach it to an account: {0}")]
    NotUtf8(String),
    /// `--user` given to a command that does not act for an account.
    #[error(
        "--user applies to the engine commands (scan, dupes, verify, plan, apply, trash, report)"
    )]
    NotForOperations,
    /// The web tables could not be read or written.
    #[error(transparent)]
    Db(#[from] DbError),
}

/// The web account named by `email` (after bringing the web tables up to date).
pub fn resolve(conn: &mut Connection, email: &str) -> Result<UserId, AccountError> {
    let email = email.trim();
    db::migrate(conn)?;
    let creds =
        db::users::credentials(conn, email)?.ok_or_else(|| AccountError::Unknown(email.into()))?;
    creds
        .user
        .id
        .parse()
        .map_err(|_| AccountError::BadId(creds.user.id.clone()))
}

/// Records `folder` (canonical) as a local source of `user`, unless it already is one; answers
/// whether it was added.
pub fn attach_folder(
    conn: &Connection,
    user: &UserId,
    folder: &Path,
) -> Result<bool, AccountError> {
    let path = folder
        .to_str()
        .ok_or_else(|| AccountError::NotUtf8(folder.display().to_string()))?;
    let owner = user.as_str();
    if db::sources::list(conn, Some(owner))?
        .iter()
        .any(|s| s.path == path)
    {
        return Ok(false);
    }
    let added = db::sources::add(conn, owner, path, CLI_ACTOR)?;
    db::audit::append(
        conn,
        &db::audit::Entry {
            actor_id: None,
            actor_email: Some(CLI_ACTOR.into()),
            action: "source.added".into(),
            target: Some(added.id.to_string()),
            detail: Some(format!("{} for {}", added.path, added.user_id)),
            ..Default::default()
        },
    )?;
    Ok(true)
}
