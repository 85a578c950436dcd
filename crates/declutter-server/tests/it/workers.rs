//! Scale-out with the real binary: `serve --no-worker` queues scans and clean-ups, `declutter
//! worker` processes run them; a worker killed with SIGKILL mid-scan or mid-apply leaves the
//! job to the next worker, which runs it to the end with the index and the trash exactly as one
//! uninterrupted run leaves them. Each case runs on one SQLite file and on one PostgreSQL
//! database.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use platform_db::pg::testing::FreshDb;
use platform_db::sql::pg::BlockingPool;
use platform_db::sql::{Db, DbExt as _};
use platform_db::vals;

use crate::server::Server;
use crate::support::TestResult;
use crate::web::Browser;

/// Files in the scanned folder, in [`FOLDERS`] folders: enough that a debug build is still
/// scanning when it is killed.
const FILES: usize = 6_000;
const FOLDERS: usize = 60;

/// Where the instances keep their data: the SQLite file, or a PostgreSQL database they share
/// (the file's folder then only holds the development key).
struct Store {
    db: std::path::PathBuf,
    pg: Option<(FreshDb, BlockingPool)>,
}

impl Store {
    /// The store of `dir`, on PostgreSQL when `postgres`; `None` when no server is configured.
    async fn new(dir: &Path, postgres: bool) -> TestResult<Option<Self>> {
        let db = dir.join("declutter.db");
        if !postgres {
            return Ok(Some(Self { db, pg: None }));
        }
        let Some(fresh) = FreshDb::create().await? else {
            return Ok(None);
        };
        let pool = BlockingPool::connect(&fresh.url, 2, &platform_db::pg::PgTls::default())?;
        Ok(Some(Self {
            db,
            pg: Some((fresh, pool)),
        }))
    }

    /// The variables naming it to `serve` and `worker`.
    fn envs(&self) -> Vec<(&str, &str)> {
        let mut out = Vec::new();
        if let Some((fresh, _)) = &self.pg {
            out.push(("DECLUTTER_DATABASE_URL", fresh.url.as_str()));
        }
        out
    }

    /// A connection for the test's own reads.
    fn conn(&self) -> TestResult<Box<dyn Db>> {
        match &self.pg {
            Some((_, pool)) => Ok(Box::new(pool.get()?)),
            None => {
                let c = platform_db::open(&self.db)?;
                c.busy_timeout(Duration::from_secs(5))?;
                Ok(Box::new(c))
            }
        }
    }
}

/// A `declutter worker` on `store` with `roots` allowed; killed on drop.
struct Worker(Child);

impl Worker {
    fn start(store: &Store, roots: &Path) -> TestResult<Self> {
        Ok(Self(
            Command::new(env!("CARGO_BIN_EXE_declutter"))
                .arg("worker")
                .env_remove("DECLUTTER_TOKEN_KEY")
                .env_remove("DECLUTTER_TOKEN_KEY_FILE")
                .env_remove("DECLUTTER_PUBLIC_URL")
                .env_remove("DECLUTTER_TRUSTED_PROXY")
                .env_remove("DECLUTTER_DATABASE_URL")
                .env("DECLUTTER_DB", &store.db)
                .envs(store.envs())
                .env("DECLUTTER_LOCAL_ROOTS", roots)
                .env("DECLUTTER_LISTEN", "127.0.0.1:0")
                .env("RUST_LOG", "warn")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()?,
        ))
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `(state, attempts, engine scans ended)` of scan job `id`, read from the database.
fn job(db: &Store, id: i64) -> TestResult<Option<(String, i64, i64)>> {
    Ok(db.conn()?.row_opt(
        "SELECT state, attempts, (SELECT count(*) FROM scans WHERE status = 'done')
         FROM scan_jobs WHERE id = ?1",
        vals![id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?)
}

/// Polls job `id` until `pred` holds (bounded).
fn wait_for(
    db: &Store,
    id: i64,
    what: &str,
    pred: impl Fn(&(String, i64, i64)) -> bool,
) -> TestResult<(String, i64, i64)> {
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        if let Some(j) = job(db, id)?
            && pred(&j)
        {
            return Ok(j);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Err(format!("job {id} never became {what}: {:?}", job(db, id)?).into())
}

/// A `serve --no-worker` on a fresh database with [`FILES`] files in pairs of equal contents
/// under an allowed root, assigned to the first account (an admin), signed in.
struct Seeded {
    db: Store,
    /// Holds the folder (and the SQLite database) until the test ends.
    _dir: tempfile::TempDir,
    roots: std::path::PathBuf,
    web: Server,
    b: Browser,
    source: i64,
}

impl Seeded {
    /// `None` when PostgreSQL is asked for and no server is configured.
    async fn start(postgres: bool) -> TestResult<Option<Self>> {
        let dir = tempfile::tempdir()?;
        let Some(db) = Store::new(dir.path(), postgres).await? else {
            return Ok(None);
        };
        let roots = dir.path().join("roots");
        let folder = roots.join("photos");
        for i in 0..FILES {
            let sub = folder.join(format!("d{:03}", i % FOLDERS));
            std::fs::create_dir_all(&sub)?;
            // Pairs of equal contents: FILES / 2 duplicate groups.
            std::fs::write(sub.join(format!("f{i}.bin")), format!("content {}", i / 2))?;
        }
        let roots_str = roots.to_str().ok_or("utf-8")?;
        let mut envs = vec![
            ("DECLUTTER_NO_WORKER", "1"),
            ("DECLUTTER_LOCAL_ROOTS", roots_str),
        ];
        envs.extend(db.envs());
        let web = Server::start(&db.db, &envs).await?;
        let b = Browser::new(&web.base)?;
        let (status, _) = b
            .signup("admin@example.com", "Admin", "correct horse battery staple")
            .await?;
        assert_eq!(status, 303, "the first account is the admin");
        let me = b.json("/api/me").await?;
        let uid = me["id"].as_str().ok_or("id")?;
        let folder_str = folder.to_str().ok_or("utf-8")?;
        let (status, _) = b
            .post_form(
                "/admin/sources",
                "/admin/sources",
                &[("user_id", uid), ("path", folder_str)],
            )
            .await?;
        assert_eq!(status, 303, "the folder is assigned");
        let sources = b.json("/api/sources").await?;
        let source = sources[0]["id"].as_i64().ok_or("source id")?;
        Ok(Some(Self {
            _dir: dir,
            db,
            roots,
            web,
            b,
            source,
        }))
    }

    /// Queues a scan of the folder; its job id.
    async fn queue_scan(&self) -> TestResult<i64> {
        let (status, location) = self
            .b
            .post_form("/sources", &format!("/sources/{}/scan", self.source), &[])
            .await?;
        assert_eq!(status, 303);
        Ok(location.rsplit('/').next().ok_or("job")?.parse()?)
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_worker_killed_mid_scan_leaves_the_job_to_the_next_one() -> TestResult {
    killed_mid_scan(false).await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_worker_killed_mid_scan_on_postgres_leaves_the_job_to_the_next_one() -> TestResult {
    killed_mid_scan(true).await
}

async fn killed_mid_scan(postgres: bool) -> TestResult {
    let Some(seeded) = Seeded::start(postgres).await? else {
        return Ok(());
    };
    let id = seeded.queue_scan().await?;
    let (db, roots, b) = (&seeded.db, &seeded.roots, &seeded.b);
    assert_eq!(
        job(db, id)?.ok_or("no job")?.0,
        "queued",
        "the web instance runs no scans"
    );
    // The first worker takes it and is killed as soon as it runs, mid-scan.
    let mut first = Worker::start(db, roots)?;
    let (_, attempts, _) = wait_for(db, id, "running", |(s, _, _)| s == "running")?;
    assert_eq!(attempts, 1);
    first.0.kill()?;
    first.0.wait()?;
    let (state, _, committed) = job(db, id)?.ok_or("no job")?;
    assert_eq!(
        (state.as_str(), committed),
        ("running", 0),
        "killed before the engine's scan ended"
    );

    // The next worker finds the runner gone (its process ended), runs the job again to the end.
    let _second = Worker::start(db, roots)?;
    let (state, attempts, _) =
        wait_for(db, id, "finished", |(s, _, _)| s == "done" || s == "failed")?;
    assert_eq!((state.as_str(), attempts), ("done", 2));
    let status = b.json(&format!("/api/scans/{id}")).await?;
    assert_eq!(
        status["indexed"],
        FILES + FOLDERS,
        "files and folders: {status}"
    );
    // Exactly the folder's files are indexed, once each, and every pair is one group.
    let (rows, paths): (i64, i64) = db.conn()?.row(
        "SELECT count(*), count(DISTINCT path) FROM files WHERE is_dir = 0",
        &[],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    assert_eq!((rows, paths), (FILES as i64, FILES as i64));
    let dupes = b.json("/api/dupes").await?;
    assert_eq!(
        dupes["total_groups"],
        FILES / 2,
        "{}",
        dupes["total_groups"]
    );
    seeded.web.stop()?;
    Ok(())
}

/// `(state, attempts, done)` of a clean-up job, and the trash rows (all, distinct items).
type CleanupRow = (String, i64, i64, i64, i64);

/// The [`CleanupRow`] of clean-up job `id`.
fn cleanup(db: &Store, id: i64) -> TestResult<Option<CleanupRow>> {
    Ok(db.conn()?.row_opt(
        "SELECT state, attempts, done, (SELECT count(*) FROM trash),
                (SELECT count(DISTINCT item_id) FROM trash) FROM jobs WHERE id = ?1",
        vals![id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
    )?)
}

/// Polls clean-up job `id` until `pred` holds (bounded).
fn wait_cleanup(
    db: &Store,
    id: i64,
    what: &str,
    pred: impl Fn(&CleanupRow) -> bool,
) -> TestResult<CleanupRow> {
    let deadline = Instant::now() + Duration::from_secs(180);
    while Instant::now() < deadline {
        if let Some(j) = cleanup(db, id)?
            && pred(&j)
        {
            return Ok(j);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Err(format!("job {id} never became {what}: {:?}", cleanup(db, id)?).into())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_worker_killed_mid_apply_leaves_the_job_to_the_next_one() -> TestResult {
    killed_mid_apply(false).await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_worker_killed_mid_apply_on_postgres_leaves_the_job_to_the_next_one() -> TestResult {
    killed_mid_apply(true).await
}

async fn killed_mid_apply(postgres: bool) -> TestResult {
    let Some(seeded) = Seeded::start(postgres).await? else {
        return Ok(());
    };
    let (db, roots, b) = (&seeded.db, &seeded.roots, &seeded.b);
    let scan = seeded.queue_scan().await?;
    {
        let _scanner = Worker::start(db, roots)?;
        let (state, ..) = wait_for(db, scan, "finished", |(s, _, _)| {
            s == "done" || s == "failed"
        })?;
        assert_eq!(state, "done");
    }
    // A plan keeping the newest of each pair, applied from the web instance: queued there.
    let (status, location) = b
        .post_form("/dupes", "/plans", &[("prefer", "newest")])
        .await?;
    assert_eq!(status, 303, "{location}");
    let plan = location.trim_start_matches("/plans/").to_owned();
    let (status, location) = b
        .post_form(&location, &format!("/plans/{plan}/apply"), &[])
        .await?;
    assert_eq!(status, 303, "{location}");
    let id: i64 = location.rsplit('/').next().ok_or("job")?.parse()?;
    assert_eq!(
        cleanup(db, id)?.ok_or("no job")?.0,
        "queued",
        "the web instance runs no clean-ups"
    );

    // The first worker runs it and is killed mid-way, files already in the trash.
    let mut first = Worker::start(db, roots)?;
    wait_cleanup(db, id, "under way", |(s, _, done, ..)| {
        s == "running" && *done >= 20
    })?;
    first.0.kill()?;
    first.0.wait()?;
    let (state, attempts, _, moved, _) = cleanup(db, id)?.ok_or("no job")?;
    assert_eq!((state.as_str(), attempts), ("running", 1));
    assert!(
        moved > 0 && moved < (FILES / 2) as i64,
        "killed mid-way: {moved} of {} moved",
        FILES / 2
    );

    // The next worker finds the run gone, resumes it where the journal says, and ends it.
    let _second = Worker::start(db, roots)?;
    let (state, attempts, _, trashed, distinct) = wait_cleanup(db, id, "finished", |(s, ..)| {
        s != "queued" && s != "running"
    })?;
    assert_eq!((state.as_str(), attempts), ("done", 2));
    // Exactly as one uninterrupted run: one copy of each pair in the trash, once each, the
    // other copy in place; nothing else moved.
    assert_eq!(
        (trashed, distinct),
        ((FILES / 2) as i64, (FILES / 2) as i64)
    );
    let mut live = std::collections::BTreeMap::<String, usize>::new();
    for entry in walk(&roots.join("photos"))? {
        if entry
            .components()
            .any(|c| c.as_os_str().to_string_lossy().starts_with(".declutter"))
        {
            continue;
        }
        *live.entry(std::fs::read_to_string(&entry)?).or_default() += 1;
    }
    assert_eq!(live.len(), FILES / 2, "every content keeps a live copy");
    assert!(live.values().all(|n| *n == 1), "one live copy of each");
    seeded.web.stop()?;
    Ok(())
}

/// Every file under `dir`.
fn walk(dir: &Path) -> TestResult<Vec<std::path::PathBuf>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            out.extend(walk(&path)?);
        } else {
            out.push(path);
        }
    }
    Ok(out)
}
