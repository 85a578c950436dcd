//! `declutter db copy` and `db verify` against a real PostgreSQL (a fresh database per test):
//! an installation with scans, a plan applied to the trash, an account, a sealed cloud token
//! and audit entries moves over whole, and the copy keeps SQLite's behaviour.

use declutter_web::crypto::generate_key;
use platform_db::pg::testing::FreshDb;

use crate::support::{Env, TestResult};

/// Rows of `sql` (one text column) from PostgreSQL at `url`.
async fn pg_texts(url: &str, sql: &str) -> TestResult<Vec<String>> {
    let pool = platform_db::pg::connect(url, 1, &platform_db::pg::PgTls::default())?;
    let client = pool.get().await?;
    Ok(client
        .query(sql, &[])
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect())
}

async fn pg_execute(url: &str, sql: &str) -> TestResult<Result<u64, String>> {
    let pool = platform_db::pg::connect(url, 1, &platform_db::pg::PgTls::default())?;
    let client = pool.get().await?;
    Ok(client.execute(sql, &[]).await.map_err(|e| {
        e.as_db_error()
            .map_or_else(|| e.to_string(), |d| d.message().to_owned())
    }))
}

#[tokio::test]
async fn an_installation_moves_to_postgres_whole_and_verified() -> TestResult {
    let Some(pg) = FreshDb::create().await? else {
        return Ok(());
    };
    let env = Env::new()?;
    // Files with non-ASCII names, duplicates, a plan applied to the trash.
    env.write("a/Été.TAR.gz", b"same bytes")?;
    env.write("b/Été.TAR.gz", b"same bytes")?;
    env.write("a/noext", b"other")?;
    env.write("b/noext", b"other")?;
    env.write("a/.bashrc", b"lonely")?;
    env.ok(&["scan", env.root_str()?])?;
    env.ok(&["plan", "--keep", "shortest-path"])?;
    env.ok(&["apply", "latest"])?;
    // Groups left standing (their rows feed triggers that must not fire again in the copy).
    env.write("c/pair.txt", b"pair")?;
    env.write("d/pair.txt", b"pair")?;
    env.ok(&["scan", env.root_str()?])?;
    // An account with a sealed token (bytes), and audit entries.
    let key = generate_key();
    let uid = crate::ops::instance(&env.db, &key).await?;
    let lite = platform_db::open(&env.db)?;
    lite.execute(
        "INSERT INTO audit_log (at, actor_id, action, target, detail) VALUES (1, ?1, 'a', 't', 'd'), (2, NULL, 'b', NULL, NULL)",
        [&uid],
    )?;
    drop(lite);

    let to = pg.url.as_str();
    let out = env.ok(&["db", "copy", "--to", to])?;
    assert!(out.contains("copied 28 tables"), "{out}");
    assert!(!out.contains(to), "the URL is not printed");
    // Verified again with the URL from a file, as a mounted secret gives it.
    let url_file = env.dir.path().join("database-url");
    std::fs::write(&url_file, format!("{to}\n"))?;
    let out = env.ok(&[
        "db",
        "verify",
        "--from",
        &format!("sqlite:{}", env.db.display()),
        "--to-file",
        &url_file.to_string_lossy(),
    ])?;
    assert!(out.contains("compared 28 tables"), "{out}");

    // The generated extension column computes what SQLite's does.
    let lite = platform_db::open(&env.db)?;
    let mut stmt = lite.prepare("SELECT id || ':' || ext FROM files ORDER BY id")?;
    let expected: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    drop(stmt);
    drop(lite);
    assert_eq!(
        pg_texts(to, "SELECT id || ':' || ext FROM files ORDER BY id").await?,
        expected
    );
    assert!(expected.iter().any(|e| e.ends_with(":gz")), "{expected:?}");

    // The audit log stays append-only; new rows get fresh ids after the copied ones.
    assert_eq!(
        pg_execute(to, "UPDATE audit_log SET action = 'x'").await?,
        Err("audit_log is append-only".into())
    );
    assert_eq!(
        pg_execute(to, "DELETE FROM audit_log").await?,
        Err("audit_log is append-only".into())
    );
    assert_eq!(
        pg_texts(
            to,
            "INSERT INTO audit_log (at, action) VALUES (3, 'c') RETURNING id::text"
        )
        .await?,
        vec!["3".to_owned()]
    );
    // E-mail addresses stay unique whatever their case.
    assert!(
        pg_execute(
            to,
            "INSERT INTO users (id, email, display_name, role, created_at) VALUES ('z', 'ANN@Example.com', 'A', 'user', 1)"
        )
        .await?
        .is_err()
    );

    // A second copy into the now non-empty database is refused.
    let out = env.run(&["db", "copy", "--to", to])?;
    assert_eq!(
        out.status.code(),
        Some(6),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("not empty"));

    // A row changed on one side is found (the audit row added above, then a file's name).
    let out = env.run(&["db", "verify", "--to", to])?;
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("audit_log differs"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lite = platform_db::open(&env.db)?;
    lite.execute("INSERT INTO audit_log (at, action) VALUES (3, 'c')", [])?;
    drop(lite);
    env.ok(&["db", "verify", "--to", to])?;
    pg_execute(to, "UPDATE files SET name = 'renamed' WHERE id = 1").await??;
    let out = env.run(&["db", "verify", "--to", to])?;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("files differs"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The installation now runs on PostgreSQL: an account added there signs in to `serve`
    // on it, sees the copied account's connection absent from its own, and nothing lands in
    // the SQLite file.
    let out = env
        .cmd()
        .args(["user", "add", "--email", "bob@example.com"])
        .env("DECLUTTER_DATABASE_URL", to)
        .env("DECLUTTER_PASSWORD", "correct horse battery staple")
        .output()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("in the PostgreSQL database"), "{stdout}");
    assert!(!stdout.contains(to), "the URL is not printed: {stdout}");
    let secret = "a shared secret of at least thirty-two bytes";
    let web = crate::server::Server::start(
        &env.db,
        &[
            ("DECLUTTER_DATABASE_URL", to),
            ("DECLUTTER_TOKEN_KEY", &key),
            ("DECLUTTER_JWT_SECRET", secret),
        ],
    )
    .await?;
    let b = crate::web::Browser::new(&web.base)?;
    let (status, _) = b
        .login("bob@example.com", "correct horse battery staple")
        .await?;
    assert_eq!(status, 303, "{}", web.logs());
    assert_eq!(b.json("/api/me").await?["email"], "bob@example.com");
    assert_eq!(b.json("/api/connections").await?, serde_json::json!([]));
    let admin = b.get("/admin/users").await?;
    assert_eq!(
        admin.status(),
        403,
        "bob is not the copied instance's admin"
    );
    web.stop()?;
    let lite = platform_db::open(&env.db)?;
    let bobs: i64 = lite.query_row(
        "SELECT count(*) FROM users WHERE email = 'bob@example.com'",
        [],
        |r| r.get(0),
    )?;
    assert_eq!(bobs, 0, "written to PostgreSQL only");
    Ok(())
}

#[test]
fn db_copy_says_what_it_needs() -> TestResult {
    let env = Env::new()?;
    let out = env.run(&[
        "db",
        "copy",
        "--from",
        "/tmp/x.db",
        "--to",
        "postgres://h/d",
    ])?;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("sqlite:PATH"));
    let out = env.run(&["db", "copy", "--to", "mysql://h/d"])?;
    assert_eq!(out.status.code(), Some(2));
    let out = env.run(&["db", "copy", "--to", "postgres://h/d"])?;
    assert_eq!(out.status.code(), Some(5), "no database to copy");
    // The target named neither way, both ways, or by an empty file.
    let out = env
        .cmd()
        .args(["db", "copy"])
        .env_remove("DECLUTTER_DATABASE_URL")
        .output()?;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--to-file"));
    let url_file = env.dir.path().join("database-url");
    std::fs::write(&url_file, "postgres://u:hunter2@h/d\n")?;
    let file = url_file.to_string_lossy();
    let out = env.run(&["db", "copy", "--to", "postgres://h/d", "--to-file", &file])?;
    assert_eq!(out.status.code(), Some(7));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not both"));
    std::fs::write(&url_file, "")?;
    let out = env.run(&["db", "copy", "--to-file", &file])?;
    assert_eq!(out.status.code(), Some(7));
    assert!(String::from_utf8_lossy(&out.stderr).contains("empty"));
    Ok(())
}

#[test]
fn instances_sharing_postgres_must_share_the_api_token_secret() -> TestResult {
    let env = Env::new()?;
    for command in ["serve", "worker"] {
        let out = env
            .cmd()
            .arg(command)
            .env(
                "DECLUTTER_DATABASE_URL",
                "postgres://u:secret@127.0.0.1:1/d",
            )
            .env("DECLUTTER_LISTEN", "0.0.0.0:0")
            .env("DECLUTTER_TOKEN_KEY", generate_key())
            .env_remove("DECLUTTER_JWT_SECRET")
            .output()?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(7), "{command}: {stderr}");
        assert!(stderr.contains("DECLUTTER_JWT_SECRET"), "{stderr}");
        assert!(
            !stderr.contains("secret@"),
            "the URL is not printed: {stderr}"
        );
    }
    Ok(())
}

#[test]
fn the_sqlite_commands_refuse_while_the_data_is_in_postgres() -> TestResult {
    let env = Env::new()?;
    for args in [
        &["scan", "."][..],
        &["dupes"],
        &["apply", "latest"],
        &["backup", "x.db"],
    ] {
        let out = env
            .cmd()
            .args(args)
            .env(
                "DECLUTTER_DATABASE_URL",
                "postgres://u:secret@127.0.0.1:1/d",
            )
            .output()?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(7), "{args:?}: {stderr}");
        assert!(stderr.contains("SQLite file only"), "{stderr}");
        assert!(!env.db.exists(), "{args:?} created the SQLite file");
    }
    Ok(())
}
