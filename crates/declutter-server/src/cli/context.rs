//! What every subcommand needs: the database, the owner, and providers built from the
//! environment (cloud base URLs and tokens).

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use declutter_core::cloud::{RetryPolicy, StaticToken, TokenSource};
use declutter_core::engine::{AnyProvider, EngineError, Providers};
use declutter_core::gdrive::{self, GDriveProvider};
use declutter_core::ids::{Source, UserId};
use declutter_core::local::LocalProvider;
use declutter_core::onedrive::{self, OneDriveProvider};
use declutter_core::platform_db::rusqlite::Connection;

/// Graph base URL override.
pub const ENV_GRAPH_URL: &str = "DECLUTTER_GRAPH_URL";
/// Drive base URL override.
pub const ENV_DRIVE_URL: &str = "DECLUTTER_DRIVE_URL";
/// OneDrive access token.
pub const ENV_ONEDRIVE_TOKEN: &str = "DECLUTTER_ONEDRIVE_TOKEN";
/// File with the OneDrive token (plain text or JSON with `access_token`, `refresh_token`,
/// `token_url`, `client_id`, `client_secret`; refreshed tokens are written back to it).
pub const ENV_ONEDRIVE_TOKEN_FILE: &str = "DECLUTTER_ONEDRIVE_TOKEN_FILE";
/// Google Drive access token.
pub const ENV_GDRIVE_TOKEN: &str = "DECLUTTER_GDRIVE_TOKEN";
/// File with the Google Drive token (same formats).
pub const ENV_GDRIVE_TOKEN_FILE: &str = "DECLUTTER_GDRIVE_TOKEN_FILE";

/// Requests (and downloads) in flight at once per cloud account.
pub const ENV_CLOUD_CONCURRENCY: &str = "DECLUTTER_CLOUD_CONCURRENCY";

/// The retry policy, with [`ENV_CLOUD_CONCURRENCY`] applied (1 to 64).
fn policy() -> RetryPolicy {
    let mut p = RetryPolicy::default();
    if let Some(n) = std::env::var(ENV_CLOUD_CONCURRENCY)
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
    {
        p.concurrency = n.clamp(1, 64);
    }
    p
}

/// Missing or unreadable configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// No token for a cloud provider.
    #[error("no token for {provider}: set {env} or {env_file}")]
    NoToken {
        /// Provider.
        provider: &'static str,
        /// Token variable.
        env: &'static str,
        /// Token file variable.
        env_file: &'static str,
    },
    /// The token file could not be read.
    #[error("cannot read token file {path}: {detail}")]
    TokenFile {
        /// File.
        path: String,
        /// Why.
        detail: String,
    },
}

fn tokens(
    provider: &'static str,
    env: &'static str,
    env_file: &'static str,
) -> Result<Arc<dyn TokenSource>, ConfigError> {
    if let Ok(t) = std::env::var(env) {
        return Ok(Arc::new(StaticToken::new(t.trim())));
    }
    let Ok(path) = std::env::var(env_file) else {
        return Err(ConfigError::NoToken {
            provider,
            env,
            env_file,
        });
    };
    let text = std::fs::read_to_string(&path).map_err(|e| ConfigError::TokenFile {
        path: path.clone(),
        detail: e.to_string(),
    })?;
    super::token_file::parse(Path::new(&path), &text).map_err(|e| ConfigError::TokenFile {
        path,
        detail: e.to_string(),
    })
}

/// Builds providers on first use and keeps them for the run.
#[derive(Default)]
pub struct CliProviders {
    built: Mutex<HashMap<Source, Arc<AnyProvider>>>,
}

impl CliProviders {
    fn build(source: &Source) -> Result<AnyProvider, EngineError> {
        let not_configured = |e: ConfigError| EngineError::NotConfigured(e.to_string());
        Ok(match source {
            Source::Local(root) => AnyProvider::Local(LocalProvider::new(root)),
            Source::OneDrive => {
                let t = tokens("onedrive", ENV_ONEDRIVE_TOKEN, ENV_ONEDRIVE_TOKEN_FILE)
                    .map_err(not_configured)?;
                let url = std::env::var(ENV_GRAPH_URL)
                    .unwrap_or_else(|_| onedrive::DEFAULT_BASE_URL.to_owned());
                AnyProvider::OneDrive(OneDriveProvider::new(&url, t, policy())?)
            }
            Source::GDrive => {
                let t = tokens("gdrive", ENV_GDRIVE_TOKEN, ENV_GDRIVE_TOKEN_FILE)
                    .map_err(not_configured)?;
                let url = std::env::var(ENV_DRIVE_URL)
                    .unwrap_or_else(|_| gdrive::DEFAULT_BASE_URL.to_owned());
                AnyProvider::GDrive(GDriveProvider::new(&url, t, policy())?)
            }
        })
    }
}

impl Providers for CliProviders {
    fn provider(&self, source: &Source) -> Result<Arc<AnyProvider>, EngineError> {
        let mut built = self
            .built
            .lock()
            .map_err(|_| EngineError::NotConfigured(source.to_string()))?;
        if let Some(p) = built.get(source) {
            return Ok(Arc::clone(p));
        }
        let p = Arc::new(Self::build(source)?);
        built.insert(source.clone(), Arc::clone(&p));
        Ok(p)
    }
}

/// Shared state of one command.
pub struct Context {
    /// The database.
    pub conn: Connection,
    /// The owner: [`UserId::local`], or the web account named by `--user`.
    pub user: UserId,
    /// Whether `user` is a web account (`--user`), whose scanned folders become its sources.
    pub web_account: bool,
    /// Providers.
    pub providers: CliProviders,
}

impl Context {
    /// Opens (creating and migrating) the database, acting as the web account with `email`
    /// when one is given.
    pub fn open(db: &Path, email: Option<&str>) -> anyhow::Result<Self> {
        let mut conn = declutter_core::db::open(db).map_err(EngineError::from)?;
        let user = match email {
            Some(email) => super::account::resolve(&mut conn, email)?,
            None => UserId::local(),
        };
        Ok(Self {
            conn,
            user,
            web_account: email.is_some(),
            providers: CliProviders::default(),
        })
    }
}
