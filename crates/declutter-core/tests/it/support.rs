//! Helpers: temporary trees, databases and a provider table.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use declutter_core::cloud::RetryPolicy;
use declutter_core::engine::scan::{ScanSummary, scan_local};
use declutter_core::engine::{AnyProvider, EngineError, Providers};
use declutter_core::ids::{Source, UserId};
use declutter_core::local::{LocalProvider, WalkOptions};
use declutter_core::platform_db::pg::testing::FreshDb;
use declutter_core::platform_db::sql::pg::BlockingPool;
use declutter_core::platform_db::sql::{Conn, Db, RusqliteLike as _};
use declutter_core::progress::NoProgress;

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A fast retry policy for tests.
pub fn quick_policy() -> RetryPolicy {
    RetryPolicy {
        max_retries: 6,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(50),
        max_retry_after: Duration::from_secs(2),
        concurrency: 4,
    }
}

/// Providers by source.
#[derive(Default)]
pub struct Table(pub HashMap<Source, Arc<AnyProvider>>);

impl Table {
    pub fn with(mut self, source: Source, p: AnyProvider) -> Self {
        self.0.insert(source, Arc::new(p));
        self
    }
    pub fn local(root: &Path) -> Self {
        Self::default().with(
            Source::Local(root.to_owned()),
            AnyProvider::Local(LocalProvider::new(root)),
        )
    }
}

impl Providers for Table {
    fn provider(&self, source: &Source) -> Result<Arc<AnyProvider>, EngineError> {
        self.0
            .get(source)
            .cloned()
            .ok_or_else(|| EngineError::NotConfigured(source.to_string()))
    }
}

/// The variable choosing the database the suite runs on: `postgres` for a fresh PostgreSQL
/// database per test database (on the server `PLATFORM_TEST_POSTGRES` names), anything else
/// or nothing for SQLite files.
pub const BACKEND: &str = "DECLUTTER_TEST_BACKEND";

/// Whether the suite runs on PostgreSQL.
pub fn on_postgres() -> bool {
    std::env::var(BACKEND).is_ok_and(|v| v == "postgres")
}

/// How many times PostgreSQL's statistics of `files` were refreshed by `ANALYZE` (the
/// PostgreSQL suite only: autovacuum's own refreshes are counted apart).
pub fn files_analyzed(conn: &dyn Db) -> Result<i64, Box<dyn std::error::Error>> {
    Ok(conn.query_row(
        "SELECT analyze_count FROM pg_stat_user_tables WHERE relname = 'files'",
        [],
        |r| r.get(0),
    )?)
}

/// A connection to a test database: a SQLite file, or on PostgreSQL a fresh database that
/// lives as long as connections to it do.
pub struct TestDb {
    conn: Box<dyn Conn + Send>,
    _shared: Option<Arc<PgTestDb>>,
}

/// A PostgreSQL database standing for one SQLite file path.
pub struct PgTestDb {
    pool: BlockingPool,
    _db: FreshDb,
}

/// The PostgreSQL databases standing for the SQLite paths tests opened, kept while the
/// path's folder exists (as the file would be), dropped once it is gone.
static PG_DBS: std::sync::LazyLock<std::sync::Mutex<HashMap<PathBuf, Arc<PgTestDb>>>> =
    std::sync::LazyLock::new(Default::default);

/// A connection to the test database at `path`: the file itself on SQLite; on PostgreSQL the
/// fresh database standing for that path (the same one for every connection opened to it).
pub fn open(path: &Path) -> Result<TestDb, OpenError> {
    if !on_postgres() {
        return Ok(TestDb {
            conn: Box::new(declutter_core::db::open(path).map_err(|e| OpenError(e.to_string()))?),
            _shared: None,
        });
    }
    let shared = {
        let mut dbs = PG_DBS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        dbs.retain(|p, _| p.parent().is_some_and(Path::exists));
        match dbs.get(path) {
            Some(db) => Arc::clone(db),
            None => {
                let db = Arc::new(fresh_pg().map_err(|e| OpenError(e.to_string()))?);
                dbs.insert(path.to_owned(), Arc::clone(&db));
                db
            }
        }
    };
    Ok(TestDb {
        conn: Box::new(shared.pool.get().map_err(|e| OpenError(e.to_string()))?),
        _shared: Some(shared),
    })
}

/// A test database could not be opened.
#[derive(Debug)]
pub struct OpenError(String);

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "opening the test database: {}", self.0)
    }
}

impl std::error::Error for OpenError {}

/// A fresh PostgreSQL database with the engine's schema.
fn fresh_pg() -> Result<PgTestDb, Box<dyn std::error::Error + Send + Sync>> {
    // Created from a thread of its own: the caller may be inside a runtime.
    std::thread::spawn(
        || -> Result<PgTestDb, Box<dyn std::error::Error + Send + Sync>> {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let db = rt
                .block_on(FreshDb::create())?
                .ok_or("DECLUTTER_TEST_BACKEND=postgres needs PLATFORM_TEST_POSTGRES")?;
            rt.block_on(async {
                let pool = db.pool(1)?;
                declutter_core::platform_db::pg::migrate(
                    &pool,
                    declutter_core::db::PG_COMPONENT,
                    declutter_core::db::PG_MIGRATIONS,
                )
                .await
            })?;
            Ok(PgTestDb {
                pool: BlockingPool::connect(&db.url, 8, &platform_db::pg::PgTls::default())?,
                _db: db,
            })
        },
    )
    .join()
    .map_err(|_| "creating the PostgreSQL test database panicked")?
}

declutter_core::platform_db::delegate_db!(impl[] for TestDb => |t| &*t.conn);

impl Conn for TestDb {}

/// A fresh database in `dir`.
pub fn db(dir: &Path) -> Result<TestDb, OpenError> {
    open(&dir.join("declutter.db"))
}

/// Scans the local folder `root` for the local user with default walk options, no progress.
pub async fn scan_folder(conn: &mut dyn Conn, root: &Path) -> Result<ScanSummary, EngineError> {
    scan_local(
        conn,
        &UserId::local(),
        root,
        WalkOptions::default(),
        Arc::new(NoProgress),
    )
    .await
}

/// Writes `content` to `root/rel`, creating folders.
pub fn write(root: &Path, rel: &str, content: &[u8]) -> Result<PathBuf, std::io::Error> {
    let p = root.join(rel);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&p, content)?;
    Ok(p)
}

/// Deterministic pseudo-random bytes.
pub fn bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407)
        | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// A drive file for listings: `size` bytes, modified at `modified_ns`, MD5 `hash` (`None`: not
/// hashed), named after the last component of `path`.
pub fn drive_file(
    id: &str,
    path: &str,
    size: u64,
    modified_ns: i64,
    hash: Option<&str>,
) -> Result<declutter_core::provider::Item, Box<dyn std::error::Error>> {
    use declutter_core::hash::{ContentHash, HashKind};
    Ok(declutter_core::provider::Item {
        id: std::str::FromStr::from_str(id)?,
        parent_id: None,
        name: path.rsplit('/').next().unwrap_or(path).to_owned(),
        path: path.to_owned(),
        is_dir: false,
        size,
        modified_ns,
        hash: hash.map(|h| ContentHash::new(HashKind::Md5, h)),
        etag: None,
        mime: None,
        comparable: true,
        inode: None,
    })
}

/// A full listing of `items`, as a first scan gets it.
pub fn full_listing(
    items: Vec<declutter_core::provider::Item>,
) -> declutter_core::provider::Listing {
    declutter_core::provider::Listing {
        full: true,
        changes: items
            .into_iter()
            .map(declutter_core::provider::Change::Upsert)
            .collect(),
        ..Default::default()
    }
}

/// Applies plan `plan_id` of `user` with the default options and no progress.
pub async fn apply_plan(
    conn: &mut dyn Conn,
    user: &UserId,
    plan_id: i64,
    providers: &Table,
) -> Result<declutter_core::engine::apply::ApplyReport, EngineError> {
    declutter_core::engine::apply::apply(
        conn,
        user,
        plan_id,
        providers,
        &declutter_core::engine::apply::ApplyOptions::default(),
        &declutter_core::progress::NoProgress,
    )
    .await
}
