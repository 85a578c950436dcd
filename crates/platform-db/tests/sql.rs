//! The portable SQL interface: each case runs on SQLite (a fresh file) and on PostgreSQL (a
//! fresh database; skipped outside CI when no server is configured).

use std::sync::mpsc;
use std::time::Duration;

use platform_db::pg::PgTls;
use platform_db::pg::testing::FreshDb;
use platform_db::sql::pg::BlockingPool;
use platform_db::sql::{Conn, Db, DbExt as _, Dialect, Lock, SqlError};
use platform_db::vals;

type TestResult<T = ()> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// A fresh PostgreSQL database and a blocking pool on it, or `None` (skip).
fn fresh_pg() -> TestResult<Option<(FreshDb, BlockingPool)>> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let Some(db) = rt.block_on(FreshDb::create())? else {
        return Ok(None);
    };
    let pool = BlockingPool::connect(&db.url, 4, &PgTls::default())?;
    Ok(Some((db, pool)))
}

/// Runs `case` on a fresh SQLite file and on a fresh PostgreSQL database.
fn on_both(case: impl Fn(&mut dyn Conn) -> TestResult) -> TestResult {
    let dir = tempfile::tempdir()?;
    let mut sqlite = platform_db::open(&dir.path().join("t.db"))?;
    case(&mut sqlite).map_err(|e| format!("SQLite: {e}"))?;
    if let Some((_db, pool)) = fresh_pg()? {
        let mut pg = pool.get()?;
        case(&mut pg).map_err(|e| format!("PostgreSQL: {e}"))?;
    }
    Ok(())
}

const TABLE: &str = "CREATE TABLE t (id BIGINT PRIMARY KEY, name TEXT, data BYTEA, flag BIGINT)";

fn create(db: &dyn Db) -> TestResult {
    db.batch(&match db.dialect() {
        Dialect::Postgres => TABLE.to_owned(),
        // `INTEGER PRIMARY KEY`: the row id itself, as every table `Db::insert` serves.
        Dialect::Sqlite => TABLE
            .replace("BYTEA", "BLOB")
            .replace("id BIGINT PRIMARY KEY", "id INTEGER PRIMARY KEY"),
    })?;
    Ok(())
}

#[test]
fn values_go_in_and_come_back_typed() -> TestResult {
    on_both(|db| {
        create(db)?;
        let n = db.execute(
            "INSERT INTO t (id, name, data, flag) VALUES (?1, ?2, ?3, ?4), (?5, NULL, NULL, ?6)",
            vals![1i64, "one", vec![0u8, 255], true, 2i64, false],
        )?;
        assert_eq!(n, 2);
        let rows = db.rows(
            "SELECT id, name, data, flag FROM t WHERE id >= ?1 ORDER BY id",
            vals![1i64],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, Option<Vec<u8>>>(2)?,
                    r.get::<_, bool>(3)?,
                ))
            },
        )?;
        assert_eq!(
            rows,
            vec![
                (1, Some("one".into()), Some(vec![0, 255]), true),
                (2, None, None, false)
            ]
        );
        // Counts and comparisons read as integers on both (PostgreSQL answers BIGINT and
        // BOOLEAN); a sum is cast, as PostgreSQL's sum of BIGINT is NUMERIC.
        assert_eq!(db.one::<i64>("SELECT count(*) FROM t", &[])?, 2);
        assert!(db.one::<bool>("SELECT count(*) > 1 FROM t", &[])?);
        assert_eq!(
            db.one::<i64>("SELECT CAST(sum(id) AS BIGINT) FROM t", &[])?,
            3
        );
        // RETURNING, the same on both.
        let id: i64 = db.one(
            "INSERT INTO t (id, name) VALUES (?1, 'q''?2') RETURNING id",
            vals![7i64],
        )?;
        assert_eq!(id, 7);
        assert_eq!(
            db.one::<String>("SELECT name FROM t WHERE id = ?1", vals![7i64])?,
            "q'?2"
        );
        // The id of an inserted row, and none when a conflict inserted nothing.
        assert_eq!(
            db.insert("INSERT INTO t (id, name) VALUES (?1, 'n')", vals![9i64])?,
            Some(9)
        );
        assert_eq!(
            db.insert(
                "INSERT INTO t (id, name) VALUES (?1, 'n') ON CONFLICT DO NOTHING",
                vals![9i64]
            )?,
            None
        );
        // A value read as the wrong type is an error that names the column.
        assert!(matches!(
            db.one::<i64>("SELECT name FROM t WHERE id = 1", &[]),
            Err(SqlError::Type { column: 0, .. })
        ));
        assert!(matches!(
            db.one::<i64>("SELECT id FROM t WHERE id = 99", &[]),
            Err(SqlError::NoRow)
        ));
        let dup = db.execute("INSERT INTO t (id) VALUES (?1)", vals![1i64]);
        assert!(dup.is_err_and(|e| e.is_conflict()));
        Ok(())
    })
}

#[test]
fn a_transaction_is_undone_unless_committed() -> TestResult {
    on_both(|db| {
        create(db)?;
        {
            let tx = db.transaction(Lock::None)?;
            tx.execute("INSERT INTO t (id) VALUES (1)", &[])?;
        }
        assert_eq!(db.one::<i64>("SELECT count(*) FROM t", &[])?, 0);
        let tx = db.transaction(Lock::Owner("u"))?;
        tx.execute("INSERT INTO t (id) VALUES (2)", &[])?;
        tx.commit()?;
        assert_eq!(db.one::<i64>("SELECT count(*) FROM t", &[])?, 1);
        // A failed statement inside does not leave the connection in a transaction.
        {
            let tx = db.transaction(Lock::All)?;
            assert!(tx.execute("INSERT INTO t (id) VALUES (2)", &[]).is_err());
        }
        db.execute("INSERT INTO t (id) VALUES (3)", &[])?;
        assert_eq!(db.one::<i64>("SELECT count(*) FROM t", &[])?, 2);
        Ok(())
    })
}

#[test]
fn rows_stream_through_a_callback_and_a_long_result_reads_whole() -> TestResult {
    on_both(|db| {
        let mut sum = 0i64;
        db.each(
            "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < ?1)
             SELECT n FROM c",
            vals![20_000i64],
            &mut |r| {
                sum += r.get::<_, i64>(0)?;
                Ok(())
            },
        )?;
        assert_eq!(sum, 20_000 * 20_001 / 2);
        // A failing callback stops the query and the connection goes on.
        let mut seen = 0;
        let stopped = db.each(
            "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 1000)
             SELECT n FROM c",
            &[],
            &mut |_| {
                seen += 1;
                if seen == 3 {
                    Err(SqlError::NoRow)
                } else {
                    Ok(())
                }
            },
        );
        assert!(matches!(stopped, Err(SqlError::NoRow)));
        assert_eq!(db.one::<i64>("SELECT 1 + 1", &[])?, 2);
        Ok(())
    })
}

#[test]
fn a_statement_inside_a_row_loop_fails_on_postgres_instead_of_hanging() -> TestResult {
    let Some((_db, pool)) = fresh_pg()? else {
        return Ok(());
    };
    let conn = pool.get()?;
    let nested = conn.each("SELECT 1 UNION ALL SELECT 2", &[], &mut |_| {
        conn.execute("SELECT 1", &[]).map(drop)
    });
    assert!(matches!(nested, Err(SqlError::Nested)));
    assert_eq!(conn.one::<i64>("SELECT 3", &[])?, 3);
    Ok(())
}

#[tokio::test]
async fn a_postgres_connection_works_from_inside_a_runtime() -> TestResult {
    let Some(db) = FreshDb::create().await? else {
        return Ok(());
    };
    let pool = BlockingPool::connect(&db.url, 2, &PgTls::default())?;
    // Blocking calls from a runtime's own thread (as the engine makes them from `block_on`).
    let conn = pool.get()?;
    assert_eq!(conn.one::<String>("SELECT 'a' || ?1", vals!["b"])?, "ab");
    drop(conn);
    // Many calls from a task that never yields spend its cooperative budget (128 polls);
    // they must still complete, not spin (on a thread of its own, so a spin fails the test).
    let (done, finished) = mpsc::channel();
    let spinner = pool.clone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().build();
        let out = rt.map_err(|e| e.to_string()).and_then(|rt| {
            rt.block_on(async {
                for i in 0..300_i64 {
                    let conn = spinner.get().map_err(|e| e.to_string())?;
                    let n: i64 = conn
                        .one("SELECT CAST(?1 AS BIGINT)", vals![i])
                        .map_err(|e| e.to_string())?;
                    assert_eq!(n, i);
                }
                Ok::<_, String>(())
            })
        });
        let _ = done.send(out);
    });
    finished
        .recv_timeout(std::time::Duration::from_secs(60))
        .map_err(|_| "300 calls from one task never finished (spinning on a spent budget)")??;
    drop(pool);
    Ok(())
}

/// Opens a transaction holding `lock` on another connection and reports once it has it; it
/// commits when told to.
fn hold(
    pool: &BlockingPool,
    lock: &'static str,
) -> TestResult<(
    mpsc::Receiver<()>,
    mpsc::Sender<()>,
    std::thread::JoinHandle<TestResult>,
)> {
    let (got, got_rx) = mpsc::channel();
    let (release, release_rx) = mpsc::channel::<()>();
    let mut conn = pool.get()?;
    let worker = std::thread::spawn(move || -> TestResult {
        let lock = match lock {
            "all" => Lock::All,
            owner => Lock::Owner(owner),
        };
        let tx = conn.transaction(lock)?;
        got.send(())?;
        release_rx.recv()?;
        tx.commit()?;
        Ok(())
    });
    Ok((got_rx, release, worker))
}

#[test]
fn postgres_locks_exclude_the_same_owner_and_everyone_under_all() -> TestResult {
    let Some((_db, pool)) = fresh_pg()? else {
        return Ok(());
    };
    let wait = Duration::from_millis(300);
    let (a_got, a_release, a) = hold(&pool, "alice")?;
    a_got.recv_timeout(Duration::from_secs(5))?;
    // Another owner goes ahead; the same owner and an "all" wait.
    let (b_got, b_release, b) = hold(&pool, "bob")?;
    b_got.recv_timeout(Duration::from_secs(5))?;
    b_release.send(())?;
    b.join().map_err(|_| "thread panicked")??;
    let (a2_got, a2_release, a2) = hold(&pool, "alice")?;
    let (all_got, all_release, all) = hold(&pool, "all")?;
    assert!(
        a2_got.recv_timeout(wait).is_err(),
        "the same owner went ahead"
    );
    assert!(
        all_got.recv_timeout(wait).is_err(),
        "a lock on all went ahead"
    );
    a_release.send(())?;
    a.join().map_err(|_| "thread panicked")??;
    // Now the second alice and the "all" run, one after the other.
    let first = loop {
        if a2_got.recv_timeout(Duration::from_millis(50)).is_ok() {
            break "alice";
        }
        if all_got.recv_timeout(Duration::from_millis(50)).is_ok() {
            break "all";
        }
    };
    if first == "alice" {
        assert!(
            all_got.recv_timeout(wait).is_err(),
            "all ran beside an owner"
        );
        a2_release.send(())?;
        all_got.recv_timeout(Duration::from_secs(5))?;
        all_release.send(())?;
    } else {
        assert!(
            a2_got.recv_timeout(wait).is_err(),
            "an owner ran beside all"
        );
        all_release.send(())?;
        a2_got.recv_timeout(Duration::from_secs(5))?;
        a2_release.send(())?;
    }
    a2.join().map_err(|_| "thread panicked")??;
    all.join().map_err(|_| "thread panicked")??;
    Ok(())
}
