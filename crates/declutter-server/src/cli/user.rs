//! `declutter user add --email E [--admin]`: create an account from the command line, e.g. the
//! first administrator of an instance before it is opened to sign-ups.

use std::path::Path;

use declutter_web::auth::role::Role;
use declutter_web::db::DbError;

use super::output;

/// Environment variable holding the new account's password (otherwise it is prompted for).
pub const ENV_PASSWORD: &str = "DECLUTTER_PASSWORD";

/// A refused `user` command.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    /// The email has no valid shape.
    #[error("not a valid email address: {0:?}")]
    InvalidEmail(String),
    /// The display name is empty, too long or has control characters.
    #[error("the name must be 1 to 100 characters without control characters")]
    InvalidName,
    /// No password in the environment and no terminal to ask on.
    #[error("no password: set {ENV_PASSWORD} or run in a terminal to be prompted ({0})")]
    NoPassword(std::io::Error),
    /// The two typed passwords differ.
    #[error("the passwords do not match")]
    Mismatch,
    /// An account with this email exists.
    #[error("an account with email {0} already exists")]
    Exists(String),
}

/// Arguments of `user`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to do.
    #[command(subcommand)]
    pub action: Action,
}

/// User actions.
#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Create an account; the password comes from DECLUTTER_PASSWORD or a prompt.
    Add {
        /// Sign-in email address.
        #[arg(long)]
        email: String,
        /// Display name (default: the part of the email before `@`).
        #[arg(long)]
        name: Option<String>,
        /// Make the account an administrator (otherwise a plain user).
        #[arg(long)]
        admin: bool,
    },
}

fn password(email: &str) -> Result<String, UserError> {
    if let Ok(p) = std::env::var(ENV_PASSWORD) {
        return Ok(p);
    }
    let first = rpassword::prompt_password(format!("Password for {email}: "))
        .map_err(UserError::NoPassword)?;
    let again =
        rpassword::prompt_password("Repeat the password: ").map_err(UserError::NoPassword)?;
    if first == again {
        Ok(first)
    } else {
        Err(UserError::Mismatch)
    }
}

/// Runs `user`.
pub async fn run(db: &Path, args: Args) -> anyhow::Result<()> {
    let Action::Add { email, name, admin } = args.action;
    let email = email.trim().to_owned();
    if !declutter_web::handlers::auth::valid_email(&email) {
        return Err(UserError::InvalidEmail(email).into());
    }
    let name = name
        .unwrap_or_else(|| email.split('@').next().unwrap_or_default().to_owned())
        .trim()
        .to_owned();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(UserError::InvalidName.into());
    }
    let role = if admin { Role::Admin } else { Role::User };
    let password = password(&email)?;
    let config = super::web::config(db)?;
    let user = match declutter_web::create_user(&config, &email, &name, &password, role).await {
        Ok(u) => u,
        Err(e)
            if e.downcast_ref::<DbError>()
                .is_some_and(DbError::is_conflict) =>
        {
            return Err(UserError::Exists(email).into());
        }
        Err(e) => return Err(e),
    };
    output::print(&format!(
        "created {} {} (id {}) in {}\n",
        user.role,
        output::safe(&user.email),
        user.id,
        output::safe(&config.store_name())
    ))
}
