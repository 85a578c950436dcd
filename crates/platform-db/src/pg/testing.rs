//! A fresh PostgreSQL database per test, on the server `.ci/postgres start` runs.
//!
//! [`ENV_URL`] names an administrative URL of that server, and [`ENV_CA`] the CA file its TLS
//! certificate chains to (`.ci/postgres ca`). Without them a test is skipped with a note on
//! stderr, except under `CI=true`, where a missing setting is a failure: CI must never pass by
//! skipping.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use deadpool_postgres::Pool;
use tokio_postgres::NoTls;

use super::PgError;

/// The variable holding the admin URL of the test server.
pub const ENV_URL: &str = "PLATFORM_TEST_POSTGRES";

/// The variable holding the path of the test server's CA certificate (PEM).
pub const ENV_CA: &str = "PLATFORM_TEST_POSTGRES_CA";

/// A database created for one test and dropped (with any open sessions) when dropped.
#[derive(Debug)]
pub struct FreshDb {
    /// URL of the new database.
    pub url: String,
    name: String,
    admin: tokio_postgres::Config,
}

/// Why no database could be made.
#[derive(Debug, thiserror::Error)]
pub enum FreshError {
    /// CI runs without a server: a failure, not a skip.
    #[error("{ENV_URL} is not set under CI=true: start PostgreSQL with `.ci/postgres start`")]
    Missing,
    /// CI runs without the server's CA.
    #[error("{ENV_CA} is not set under CI=true: it is the path `.ci/postgres ca` prints")]
    MissingCa,
    /// The admin setting is not a `postgres://` URL.
    #[error("{ENV_URL} must be a postgres:// URL")]
    NotAUrl,
    /// An ICU locale name with other characters than letters, digits and dashes.
    #[error("an ICU locale is letters, digits and dashes")]
    BadLocale,
    /// The server refused.
    #[error(transparent)]
    Pg(#[from] PgError),
}

impl From<tokio_postgres::Error> for FreshError {
    fn from(e: tokio_postgres::Error) -> Self {
        Self::Pg(PgError::Query(e))
    }
}

static NEXT: AtomicU64 = AtomicU64::new(0);

/// The mark of this process's view of process ids in the names of the databases its tests
/// create (`t_<mark>_<pid>_…`): the first 8 hex digits of SHA-256 of the kernel's boot id, the
/// pid namespace (containers sharing a kernel and a PostgreSQL server differ there) and the
/// host name, so a sweep judges only databases whose creating processes it can see.
fn host_mark() -> String {
    use sha2::Digest as _;
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").unwrap_or_default();
    let pids = std::fs::read_link("/proc/self/ns/pid").unwrap_or_default();
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let mut h = sha2::Sha256::new();
    for part in [
        boot.trim().as_bytes(),
        pids.as_os_str().as_encoded_bytes(),
        host.trim().as_bytes(),
    ] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part);
    }
    h.finalize()[..4]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Drops the databases that ended test processes with this view of process ids left behind.
/// A test that keeps its database in a static (the engine's suite keeps one per database path,
/// as a file would be kept) never drops it, since statics are not dropped at exit; without the
/// sweep each such test process left one database on the server. Best effort: a database whose
/// creating process still runs, or of another machine or container, stays; without `/proc`
/// nothing is swept (no process could be told to be gone).
async fn sweep(client: &tokio_postgres::Client, host: &str) {
    let proc = std::path::Path::new("/proc");
    if !proc.join("self").exists() {
        return;
    }
    let Ok(rows) = client
        .query(
            "SELECT datname::text FROM pg_database WHERE datname LIKE $1",
            &[&format!("t\\_{host}\\_%")],
        )
        .await
    else {
        return;
    };
    for row in rows {
        let name: String = row.get(0);
        let Some(pid) = name.split('_').nth(2) else {
            continue;
        };
        let ours = name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !ours || pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        if proc.join(pid).exists() {
            continue;
        }
        // Checked above: lower-case letters, digits and underscores only.
        if let Err(e) = client
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await
        {
            tracing::debug!(database = %name, error = %e, "a leftover test database stayed");
        }
    }
}

fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// The test server's CA file; `Ok(None)` (skip) when [`ENV_CA`] is unset or empty outside CI.
pub fn ca_file() -> Result<Option<PathBuf>, FreshError> {
    match std::env::var_os(ENV_CA).filter(|v| !v.is_empty()) {
        Some(path) => Ok(Some(PathBuf::from(path))),
        None if under_ci() => Err(FreshError::MissingCa),
        None => {
            eprintln!("skipped: {ENV_CA} is not set (it is the path `.ci/postgres ca` prints)");
            Ok(None)
        }
    }
}

impl FreshDb {
    /// Creates an empty database; `Ok(None)` (skip) when no server is configured outside CI.
    pub async fn create() -> Result<Option<Self>, FreshError> {
        Self::create_with("").await
    }

    /// Creates an empty database whose text sorts by ICU's linguistic order for `icu_locale`
    /// (such as `en-US`: lower and upper case interleaved, accents after their letter), as a
    /// cluster created under a linguistic locale sorts by default; `Ok(None)` (skip) as
    /// [`Self::create`]. A locale of anything but letters, digits and dashes is refused. Needs
    /// PostgreSQL 15 or later (`LOCALE_PROVIDER`).
    pub async fn create_in_icu_locale(icu_locale: &str) -> Result<Option<Self>, FreshError> {
        if icu_locale.is_empty()
            || !icu_locale
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(FreshError::BadLocale);
        }
        Self::create_with(&format!(
            " TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE '{icu_locale}'"
        ))
        .await
    }

    /// `CREATE DATABASE <a fresh name><options>`.
    async fn create_with(options: &str) -> Result<Option<Self>, FreshError> {
        let Ok(admin_url) = std::env::var(ENV_URL) else {
            if under_ci() {
                return Err(FreshError::Missing);
            }
            eprintln!("skipped: {ENV_URL} is not set (start a server with .ci/postgres start)");
            return Ok(None);
        };
        let admin: tokio_postgres::Config = admin_url.parse().map_err(PgError::Url)?;
        let host = host_mark();
        let name = format!(
            "t_{host}_{}_{}_{:08x}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            rand::random::<u32>()
        );
        let client = connect(&admin).await?;
        sweep(&client, &host).await;
        // The name is ours (digits, letters, underscores): safe to splice in.
        client
            .batch_execute(&format!("CREATE DATABASE {name}{options}"))
            .await?;
        let mut url = url::Url::parse(&admin_url).map_err(|_| FreshError::NotAUrl)?;
        url.set_path(&name);
        Ok(Some(Self {
            url: url.to_string(),
            name,
            admin,
        }))
    }

    /// A pool of `max_size` connections to this database (TLS as its URL says, trusting
    /// Mozilla's roots only).
    pub fn pool(&self, max_size: usize) -> Result<Pool, PgError> {
        super::connect(&self.url, max_size, &super::PgTls::default())
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for FreshDb {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        // Drop may run inside a runtime that must not block: a thread of its own with a small
        // runtime drops the database, forcing out connections a test left open.
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(async {
                let client = connect(&admin).await.map_err(std::io::Error::other)?;
                client
                    .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await
                    .map_err(std::io::Error::other)
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("warning: test database {} was not dropped", self.name);
        }
    }
}

async fn connect(config: &tokio_postgres::Config) -> Result<tokio_postgres::Client, PgError> {
    let (client, connection) = config.connect(NoTls).await?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!(error = %e, "test admin connection ended");
        }
    });
    Ok(client)
}
