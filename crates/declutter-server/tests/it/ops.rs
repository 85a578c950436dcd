//! The operations commands' refusals and `rotate-token-key`, against the real binary.

use std::path::Path;

use declutter_web::crypto::{Keyring, generate_key, parse_key};

use crate::support::{Env, TestResult};

const PASSWORD: &str = "correct horse battery staple";

/// A web-migrated database at `db` with one account holding one connection sealed by `key`;
/// returns the account id.
pub(crate) async fn instance(db: &Path, key: &str) -> TestResult<String> {
    let pool = declutter_web::db::open(db).await?;
    drop(pool);
    let c = platform_db::open(db)?;
    let mut c2 = platform_db::open(db)?;
    let user = declutter_web::db::users::create(&mut c2, "ann@example.com", "Ann", None, None)?;
    let keyring = Keyring::new(&parse_key(key)?, &[]);
    let (kid, sealed) = keyring.seal(&user.id, "onedrive", b"refresh-ann")?;
    declutter_web::db::connections::upsert(
        &c,
        &user.id,
        "onedrive",
        "ann",
        "Files.Read",
        &kid,
        &sealed,
    )?;
    Ok(user.id)
}

fn sealed(db: &Path) -> TestResult<(String, Vec<u8>)> {
    let c = platform_db::open(db)?;
    Ok(c.query_row(
        "SELECT key_id, token_sealed FROM oauth_connections",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?)
}

#[test]
fn backup_and_restore_refuse_what_they_must() -> TestResult {
    let env = Env::new()?;
    let dir = env.dir.path();
    let out = env.run(&["backup", &dir.join("b.db").display().to_string()])?;
    assert_eq!(out.status.code(), Some(5), "no database to back up");
    assert!(!env.db.exists(), "backup never creates the database");

    env.write("x/one", b"dup")?;
    env.write("y/one", b"dup")?;
    env.ok(&["scan", env.root_str()?])?;
    let target = dir.join("b.db");
    let t = target.display().to_string();
    env.ok(&["backup", &t])?;
    let leftovers: Vec<_> = std::fs::read_dir(dir)?
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(".declutter-backup-")
        })
        .collect();
    assert!(leftovers.is_empty(), "staging directory removed");

    let junk = dir.join("junk.db");
    std::fs::write(
        &junk,
        b"this is not a database at all, not even close, really",
    )?;
    let fresh = dir.join("fresh/declutter.db");
    let out = env
        .cmd()
        .env("DECLUTTER_DB", &fresh)
        .args(["restore", &junk.display().to_string()])
        .output()?;
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !fresh.exists(),
        "a failed restore leaves no database behind"
    );

    // An idle existing database is replaced only with --force; an open one never.
    let out = env.run(&["restore", &t])?;
    assert_eq!(out.status.code(), Some(6));
    let holder = platform_db::open(&env.db)?;
    let _: i64 = holder.query_row("SELECT count(*) FROM files", [], |r| r.get(0))?;
    let out = env.run(&["restore", "--force", &t])?;
    assert_eq!(
        out.status.code(),
        Some(8),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    drop(holder);
    let out = env.ok(&["restore", "--force", &t])?;
    assert!(out.contains("integrity ok"), "{out}");
    Ok(())
}

#[tokio::test]
async fn user_add_validates_and_refuses_duplicates() -> TestResult {
    let env = Env::new()?;
    let add = |args: &[&str], pw: &str| {
        env.cmd()
            .args(["user", "add"])
            .args(args)
            .env("DECLUTTER_PASSWORD", pw)
            .output()
    };
    let out = add(&["--email", "ann@example.com"], PASSWORD)?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8(out.stdout)?.starts_with("created user ann@example.com"));
    let out = add(&["--email", "ANN@example.com", "--admin"], PASSWORD)?;
    assert_eq!(out.status.code(), Some(6), "duplicate email");
    assert_eq!(
        add(&["--email", "not-an-email"], PASSWORD)?.status.code(),
        Some(2)
    );
    assert_eq!(
        add(&["--email", "bob@example.com"], "short")?.status.code(),
        Some(2)
    );
    assert_eq!(
        add(&["--email", "bob@example.com"], "password123")?
            .status
            .code(),
        Some(2)
    );
    let c = platform_db::open(&env.db)?;
    let role: String = c.query_row(
        "SELECT role FROM users WHERE email = 'ann@example.com'",
        [],
        |r| r.get(0),
    )?;
    assert_eq!(role, "user", "--admin is opt-in");
    Ok(())
}

#[tokio::test]
async fn rotate_token_key_reseals_under_the_new_key() -> TestResult {
    let env = Env::new()?;
    let (old, new) = (generate_key(), generate_key());
    let uid = instance(&env.db, &old).await?;
    let (old_kid, _) = sealed(&env.db)?;

    let rotate = |new: &str, old: &str| {
        env.cmd()
            .arg("rotate-token-key")
            .env("DECLUTTER_TOKEN_KEY", new)
            .env("DECLUTTER_OLD_TOKEN_KEY", old)
            .env_remove("DECLUTTER_TOKEN_KEY_FILE")
            .env_remove("DECLUTTER_OLD_TOKEN_KEY_FILE")
            .output()
    };
    // A wrong old key changes nothing.
    let out = rotate(&new, &generate_key())?;
    assert_eq!(
        out.status.code(),
        Some(7),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(sealed(&env.db)?.0, old_kid);

    let out = rotate(&new, &old)?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8(out.stdout)?.starts_with("resealed 1 connection tokens"));
    let (kid, token) = sealed(&env.db)?;
    assert_ne!(kid, old_kid);
    let plain = Keyring::new(&parse_key(&new)?, &[]).open(&kid, &uid, "onedrive", &token)?;
    assert_eq!(plain, b"refresh-ann");
    assert!(
        Keyring::new(&parse_key(&old)?, &[])
            .open(&kid, &uid, "onedrive", &token)
            .is_err()
    );

    let out = rotate(&new, &old)?;
    assert!(
        String::from_utf8(out.stdout)?.starts_with("resealed 0"),
        "idempotent"
    );

    let out = env
        .cmd()
        .arg("rotate-token-key")
        .env("DECLUTTER_TOKEN_KEY", &new)
        .env_remove("DECLUTTER_OLD_TOKEN_KEY")
        .env_remove("DECLUTTER_OLD_TOKEN_KEY_FILE")
        .output()?;
    assert_eq!(out.status.code(), Some(7), "no old key");
    Ok(())
}
