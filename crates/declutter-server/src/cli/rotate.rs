//! `declutter rotate-token-key`: re-encrypt every stored cloud token under a new key, in one
//! transaction (nothing changes if any record fails to open).
//!
//! The new key is read like `serve` reads its key (`DECLUTTER_TOKEN_KEY` or
//! `DECLUTTER_TOKEN_KEY_FILE`), so the same environment serves afterwards; the retired keys
//! come from `DECLUTTER_OLD_TOKEN_KEY` or `DECLUTTER_OLD_TOKEN_KEY_FILE`.

use std::path::{Path, PathBuf};

use declutter_web::config::env;
use declutter_web::crypto::{Keyring, parse_key};
use secrecy::{ExposeSecret as _, SecretString};

use super::{dbfile, output};

/// A retired key, base64 of 32 bytes.
pub const ENV_OLD_KEY: &str = "DECLUTTER_OLD_TOKEN_KEY";
/// Files holding retired keys, comma separated.
pub const ENV_OLD_KEY_FILE: &str = "DECLUTTER_OLD_TOKEN_KEY_FILE";

/// A key that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// No new key given.
    #[error("no new key: set {} or {}", env::TOKEN_KEY, env::TOKEN_KEY_FILE)]
    NoNewKey,
    /// No retired key given.
    #[error("no old key: set {ENV_OLD_KEY} or {ENV_OLD_KEY_FILE}")]
    NoOldKey,
    /// A key file could not be read.
    #[error("cannot read key file {}: {source}", .path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

/// Arguments of `rotate-token-key`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The new key (base64 of 32 bytes): the one the service runs with afterwards.
    #[arg(long, env = env::TOKEN_KEY, hide_env_values = true)]
    pub new_key: Option<SecretString>,
    /// File holding the new key.
    #[arg(long, env = env::TOKEN_KEY_FILE)]
    pub new_key_file: Option<PathBuf>,
    /// A retired key whose records are re-encrypted.
    #[arg(long, env = ENV_OLD_KEY, hide_env_values = true)]
    pub old_key: Option<SecretString>,
    /// Files holding retired keys (comma separated or repeated; e.g. a token-key.dev).
    #[arg(long, env = ENV_OLD_KEY_FILE, value_delimiter = ',')]
    pub old_key_file: Vec<PathBuf>,
}

fn read(path: &Path) -> Result<[u8; 32], anyhow::Error> {
    let text = std::fs::read_to_string(path).map_err(|source| KeyError::File {
        path: path.to_owned(),
        source,
    })?;
    Ok(parse_key(&text)?)
}

fn keyring(args: &Args) -> anyhow::Result<Keyring> {
    let new = match (&args.new_key, &args.new_key_file) {
        (Some(k), _) => parse_key(k.expose_secret())?,
        (None, Some(f)) => read(f)?,
        (None, None) => return Err(KeyError::NoNewKey.into()),
    };
    let mut old = Vec::new();
    if let Some(k) = &args.old_key {
        old.push(parse_key(k.expose_secret())?);
    }
    for f in &args.old_key_file {
        old.push(read(f)?);
    }
    if old.is_empty() {
        return Err(KeyError::NoOldKey.into());
    }
    Ok(Keyring::new(&new, &old))
}

/// Runs `rotate-token-key`.
pub async fn run(db: &Path, args: Args) -> anyhow::Result<()> {
    let config = super::web::config(db)?;
    if config.database_url.is_none() {
        dbfile::require(db)?;
    }
    let keyring = keyring(&args)?;
    let id = keyring.current_id().to_owned();
    let n = declutter_web::reseal_tokens(&config, keyring).await?;
    output::print(&format!(
        "resealed {n} connection tokens under key {id}; restart the service with the new key\n"
    ))
}
