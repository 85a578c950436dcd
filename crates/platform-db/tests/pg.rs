//! PostgreSQL on a real server (`.ci/postgres start`): migrations applied once under
//! concurrency, rolled back whole on failure, refused when the database is newer; every test on
//! a fresh database that is gone afterwards.

use platform_db::pg::testing::{ENV_URL, FreshDb};
use platform_db::pg::{self, PgError};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const V1: &str = "CREATE TABLE notes (id BIGSERIAL PRIMARY KEY, body TEXT NOT NULL);";
const V2: &str = "ALTER TABLE notes ADD COLUMN at BIGINT NOT NULL DEFAULT 0;";

async fn version(pool: &deadpool_postgres::Pool, component: &str) -> Result<i64, PgError> {
    let client = pool.get().await?;
    let row = client
        .query_one(
            "SELECT version FROM platform_schema_versions WHERE component = $1",
            &[&component],
        )
        .await?;
    Ok(row.get(0))
}

#[tokio::test]
async fn migrations_apply_once_even_when_instances_start_together() -> TestResult {
    let Some(db) = FreshDb::create().await? else {
        return Ok(());
    };
    let pool = db.pool(8)?;
    let runs: Vec<_> = (0..6)
        .map(|_| {
            let pool = pool.clone();
            tokio::spawn(async move { pg::migrate(&pool, "notes", &[V1, V2]).await })
        })
        .collect();
    let mut applied = Vec::new();
    for run in runs {
        applied.push(run.await??);
    }
    applied.sort_unstable();
    assert_eq!(applied, [0, 0, 0, 0, 0, 2], "exactly one run applied both");
    assert_eq!(version(&pool, "notes").await?, 2);
    // A later start with the same migrations does nothing; a new one applies alone.
    assert_eq!(pg::migrate(&pool, "notes", &[V1, V2]).await?, 0);
    let v3 = "CREATE INDEX notes_at ON notes (at);";
    assert_eq!(pg::migrate(&pool, "notes", &[V1, V2, v3]).await?, 1);
    // Components keep separate versions.
    assert_eq!(
        pg::migrate(&pool, "other", &["CREATE TABLE o (x INT);"]).await?,
        1
    );
    assert_eq!(version(&pool, "notes").await?, 3);
    Ok(())
}

#[tokio::test]
async fn a_failing_migration_leaves_nothing_of_its_run() -> TestResult {
    let Some(db) = FreshDb::create().await? else {
        return Ok(());
    };
    let pool = db.pool(2)?;
    let broken = "CREATE TABLE half (x INT); SELECT no_such_function();";
    let err = pg::migrate(&pool, "notes", &[V1, broken])
        .await
        .err()
        .ok_or("the broken migration must fail")?;
    assert!(matches!(err, PgError::Migrate { version: 2, .. }), "{err}");
    let client = pool.get().await?;
    let tables: i64 = client
        .query_one(
            "SELECT count(*) FROM information_schema.tables WHERE table_name IN ('notes', 'half')",
            &[],
        )
        .await?
        .get(0);
    assert_eq!(tables, 0, "V1 was rolled back with the failing V2");
    drop(client);
    assert_eq!(pg::migrate(&pool, "notes", &[V1]).await?, 1);
    Ok(())
}

#[tokio::test]
async fn a_database_newer_than_the_binary_is_refused() -> TestResult {
    let Some(db) = FreshDb::create().await? else {
        return Ok(());
    };
    let pool = db.pool(2)?;
    pg::migrate(&pool, "notes", &[V1, V2]).await?;
    let err = pg::migrate(&pool, "notes", &[V1])
        .await
        .err()
        .ok_or("an older binary must refuse")?;
    assert!(
        matches!(
            err,
            PgError::TooNew {
                found: 2,
                known: 1,
                ..
            }
        ),
        "{err}"
    );
    Ok(())
}

#[tokio::test]
async fn each_test_database_is_fresh_and_dropped_afterwards() -> TestResult {
    let Some(db) = FreshDb::create().await? else {
        return Ok(());
    };
    let name = db.name().to_owned();
    let pool = db.pool(2)?;
    let client = pool.get().await?;
    let tables: i64 = client
        .query_one(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'",
            &[],
        )
        .await?
        .get(0);
    assert_eq!(tables, 0, "a fresh database is empty");
    // An open connection does not keep the database alive.
    drop(db);
    let admin = pg::connect(&std::env::var(ENV_URL)?, 1)?;
    let left: i64 = admin
        .get()
        .await?
        .query_one(
            "SELECT count(*) FROM pg_database WHERE datname = $1",
            &[&name],
        )
        .await?
        .get(0);
    assert_eq!(left, 0, "{name} was dropped");
    drop(client);
    Ok(())
}

#[tokio::test]
async fn a_url_asking_for_tls_is_refused_not_downgraded() -> TestResult {
    let Some(db) = FreshDb::create().await? else {
        return Ok(());
    };
    let url = format!("{}?sslmode=require", db.url);
    let pool = pg::connect(&url, 1)?;
    let err = pool
        .get()
        .await
        .err()
        .ok_or("sslmode=require must not connect in plain text")?;
    assert!(PgError::from(err).is_unavailable());
    assert!(pg::connect("not a url at all ::", 1).is_err());
    Ok(())
}
