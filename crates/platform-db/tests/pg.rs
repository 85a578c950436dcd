//! PostgreSQL on a real server (`.ci/postgres start`): migrations applied once under
//! concurrency, rolled back whole on failure, refused when the database is newer; every test on
//! a fresh database that is gone afterwards. TLS to that server (its certificate for localhost
//! and 127.0.0.1 from a throwaway CA): encrypted and verified, or refused.

use platform_db::pg::testing::{self, ENV_URL, FreshDb};
use platform_db::pg::{self, PgError, PgTls};
use platform_db::sql::pg::BlockingPool;

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
    let admin = pg::connect(&std::env::var(ENV_URL)?, 1, &PgTls::default())?;
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

/// A database whose creating process is gone (a test that kept it in a static, where no
/// destructor runs) is dropped by the next test database's creation; one whose process still
/// runs, or another machine's, is left alone.
#[tokio::test]
async fn databases_left_by_ended_test_processes_are_swept() -> TestResult {
    let Some(db) = FreshDb::create().await? else {
        return Ok(());
    };
    let host = db
        .name()
        .split('_')
        .nth(1)
        .ok_or("t_<host>_<pid>_…")?
        .to_owned();
    let mut child = std::process::Command::new("true").spawn()?;
    let ended = child.id();
    child.wait()?;
    let leftover = format!("t_{host}_{ended}_0_0000dead");
    let running = format!("t_{host}_{}_999_0000f00d", std::process::id());
    let elsewhere = format!(
        "t_{}_{ended}_0_0000beef",
        if host == "00000000" {
            "11111111"
        } else {
            "00000000"
        }
    );
    let admin = pg::connect(&std::env::var(ENV_URL)?, 1, &PgTls::default())?;
    let admin = admin.get().await?;
    for name in [&leftover, &running, &elsewhere] {
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await?;
    }
    let next = FreshDb::create().await?.ok_or("a second database")?;
    let exists = |name: String| {
        let admin = &admin;
        async move {
            let n: i64 = admin
                .query_one(
                    "SELECT count(*) FROM pg_database WHERE datname = $1",
                    &[&name],
                )
                .await?
                .get(0);
            Ok::<_, tokio_postgres::Error>(n == 1)
        }
    };
    let (gone, kept, foreign, mine) = (
        !exists(leftover.clone()).await?,
        exists(running.clone()).await?,
        exists(elsewhere.clone()).await?,
        exists(db.name().to_owned()).await? && exists(next.name().to_owned()).await?,
    );
    for name in [&leftover, &running, &elsewhere] {
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await?;
    }
    assert!(gone, "{leftover} was swept");
    assert!(kept, "{running} (a running process's) stayed");
    assert!(foreign, "{elsewhere} (another machine's) stayed");
    assert!(mine, "the databases of this process stayed");
    Ok(())
}

/// Whether the session `pool` hands out is encrypted, as the server sees it.
async fn encrypted(pool: &deadpool_postgres::Pool) -> Result<bool, PgError> {
    let client = pool.get().await?;
    let row = client
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .await?;
    Ok(row.get(0))
}

/// The error and its causes, as `declutter` prints them (tokio-postgres keeps the TLS cause in
/// `source()`, out of its own message).
fn chain(e: &PgError) -> String {
    std::iter::successors(Some(e as &dyn std::error::Error), |e| e.source())
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(": ")
}

/// A fresh database and the test server's CA; `None` (skip) when either is not configured.
async fn with_ca() -> Result<Option<(FreshDb, PgTls)>, Box<dyn std::error::Error>> {
    let Some(ca) = testing::ca_file()? else {
        return Ok(None);
    };
    let Some(db) = FreshDb::create().await? else {
        return Ok(None);
    };
    Ok(Some((db, PgTls::with_ca_file(&ca)?)))
}

/// `db`'s URL with `password` and, as host, `host`; the TCP connection still goes to
/// 127.0.0.1 (`hostaddr`), so `host` is only what the certificate must name.
fn named(
    db: &FreshDb,
    host: &str,
    password: &str,
    params: &str,
) -> Result<String, Box<dyn std::error::Error>> {
    let mut url = url::Url::parse(&db.url)?;
    url.set_host(Some(host))?;
    url.set_password(Some(password))
        .map_err(|()| "cannot set a password")?;
    Ok(format!("{url}?hostaddr=127.0.0.1&{params}"))
}

#[tokio::test]
async fn require_with_the_servers_ca_is_encrypted() -> TestResult {
    let Some((db, tls)) = with_ca().await? else {
        return Ok(());
    };
    let pool = pg::connect(&format!("{}?sslmode=require", db.url), 1, &tls)?;
    assert!(encrypted(&pool).await?, "TLS to 127.0.0.1 (an IP name)");
    // libpq's spellings, and a DNS name.
    for mode in ["verify-full", "verify-ca"] {
        let url = named(&db, "localhost", "pw", &format!("sslmode={mode}"))?;
        assert!(encrypted(&pg::connect(&url, 1, &tls)?).await?, "{mode}");
    }
    Ok(())
}

#[tokio::test]
async fn require_refuses_a_server_whose_ca_is_not_trusted_and_never_shows_the_password()
-> TestResult {
    let Some((db, _)) = with_ca().await? else {
        return Ok(());
    };
    // Mozilla's roots only, then another CA (freshly minted) besides them.
    let key = rcgen::KeyPair::generate()?;
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new())?;
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let other = params.self_signed(&key)?.pem();
    let dir = tempfile::tempdir()?;
    let other_file = dir.path().join("other-ca.pem");
    std::fs::write(&other_file, other)?;
    let password = "s3cret-Pa55word";
    let url = named(&db, "localhost", password, "sslmode=require")?;
    for tls in [PgTls::default(), PgTls::with_ca_file(&other_file)?] {
        let err = encrypted(&pg::connect(&url, 1, &tls)?)
            .await
            .err()
            .ok_or("an untrusted server must be refused")?;
        let text = chain(&err);
        assert!(err.is_unavailable(), "{text}");
        assert!(
            text.contains("invalid peer certificate: UnknownIssuer"),
            "{text}"
        );
        assert!(!text.contains(password), "{text}");
        assert!(!format!("{err:?}").contains(password), "{err:?}");
    }
    Ok(())
}

#[tokio::test]
async fn require_refuses_a_certificate_for_another_name() -> TestResult {
    let Some((db, tls)) = with_ca().await? else {
        return Ok(());
    };
    // The certificate names localhost and 127.0.0.1; the CA is trusted.
    let url = named(&db, "db.example.com", "pw", "sslmode=verify-full")?;
    let err = encrypted(&pg::connect(&url, 1, &tls)?)
        .await
        .err()
        .ok_or("a certificate for another name must be refused")?;
    let text = chain(&err);
    assert!(text.contains("certificate not valid for name"), "{text}");
    Ok(())
}

#[tokio::test]
async fn disable_is_plain_text_and_prefer_encrypts_only_what_verifies() -> TestResult {
    let Some((db, tls)) = with_ca().await? else {
        return Ok(());
    };
    let plain = pg::connect(&format!("{}?sslmode=disable", db.url), 1, &tls)?;
    assert!(!encrypted(&plain).await?);
    // `prefer`, the default: TLS with the CA; without it, plain text rather than no connection
    // and never an unverified TLS session.
    assert!(encrypted(&pg::connect(&db.url, 1, &tls)?).await?);
    let untrusted = pg::connect(&db.url, 1, &PgTls::default())?;
    assert!(!encrypted(&untrusted).await?);
    // An address without a host name leaves no name to verify: plain text under `prefer`.
    let address_only = format!(
        "hostaddr=127.0.0.1 port={} user=postgres dbname={}",
        url::Url::parse(&db.url)?.port().ok_or("no port")?,
        db.name()
    );
    assert!(!encrypted(&pg::connect(&address_only, 1, &tls)?).await?);
    Ok(())
}

#[tokio::test]
async fn urls_that_cannot_work_are_refused_before_connecting() {
    let tls = PgTls::default();
    let with_ca_in_url = "postgres://u:s3cret@h/db?sslmode=verify-full&sslrootcert=/etc/ca.pem";
    for url in ["not a url at all ::", with_ca_in_url] {
        let err = pg::connect(url, 1, &tls)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(!err.is_empty(), "{url} must be refused");
        assert!(!err.contains("s3cret"), "{err}");
        // The blocking pool refuses it too, from inside a runtime, without panicking.
        assert!(BlockingPool::connect(url, 1, &tls).is_err());
    }
    let err = pg::connect(with_ca_in_url, 1, &tls).err();
    assert!(matches!(err, Some(PgError::SslRootCert)), "{err:?}");
}
