//! Disaster recovery, as `docs/DISASTER-RECOVERY.md` describes it: a live instance with
//! accounts, cloud connections and trash is backed up while serving, lost, restored into a
//! fresh database path, and started again with the separately kept token key.

use std::path::Path;
use std::process::Output;

use declutter_web::crypto::{Keyring, generate_key, parse_key};
use serde_json::Value;

use crate::server::Server;
use crate::snapshot;
use crate::support::{Env, TestResult, content};
use crate::web::Browser;

const PASSWORD: &str = "correct horse battery staple";
const OPS_PASSWORD: &str = "an operator's long passphrase";

fn declutter(db: &Path, args: &[&str], envs: &[(&str, &str)]) -> TestResult<Output> {
    Ok(std::process::Command::new(env!("CARGO_BIN_EXE_declutter"))
        .env("DECLUTTER_DB", db)
        .envs(envs.iter().copied())
        .args(args)
        .output()?)
}

fn ok(db: &Path, args: &[&str], envs: &[(&str, &str)]) -> TestResult<String> {
    let out = declutter(db, args, envs)?;
    if !out.status.success() {
        return Err(format!(
            "declutter {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    Ok(String::from_utf8(out.stdout)?)
}

/// Seals a refresh token for `email`'s account the way the connect flow stores it.
fn connect(db: &Path, keyring: &Keyring, email: &str, provider: &str) -> TestResult<()> {
    let c = platform_db::open(db)?;
    let uid: String = c.query_row("SELECT id FROM users WHERE email = ?1", [email], |r| {
        r.get(0)
    })?;
    let (kid, sealed) = keyring.seal(&uid, provider, format!("refresh-{email}").as_bytes())?;
    declutter_web::db::connections::upsert(&c, &uid, provider, email, "Files.Read", &kid, &sealed)?;
    Ok(())
}

#[cfg(unix)]
fn mode(p: &Path) -> TestResult<u32> {
    use std::os::unix::fs::PermissionsExt as _;
    Ok(std::fs::metadata(p)?.permissions().mode() & 0o777)
}

#[tokio::test]
async fn backup_restore_into_a_fresh_instance_keeps_everything() -> TestResult {
    let env = Env::new()?;
    let dir = env.dir.path();
    let live = dir.join("live/declutter.db");
    let key = generate_key();
    let key_file = dir.join("secrets/token.key");
    std::fs::create_dir_all(dir.join("secrets"))?;
    std::fs::write(&key_file, &key)?;
    let key_env = key_file.to_str().ok_or("non-UTF-8 temp dir")?;
    let serve_env = [("DECLUTTER_TOKEN_KEY_FILE", key_env)];

    // A live instance with two accounts signed up over HTTP and one created by the CLI.
    let server = Server::start(&live, &serve_env).await?;
    assert!(
        !live.with_file_name("token-key.dev").exists(),
        "a configured key means no dev key"
    );
    let ann = Browser::new(&server.base)?;
    assert_eq!(ann.signup("ann@example.com", "Ann", PASSWORD).await?.0, 303);
    let bob = Browser::new(&server.base)?;
    assert_eq!(bob.signup("bob@example.com", "Bob", PASSWORD).await?.0, 303);
    let created = ok(
        &live,
        &["user", "add", "--email", "ops@example.com", "--admin"],
        &[("DECLUTTER_PASSWORD", OPS_PASSWORD)],
    )?;
    assert!(
        created.starts_with("created admin ops@example.com"),
        "{created}"
    );

    // Cloud connections sealed under the instance key.
    let keyring = Keyring::new(&parse_key(&key)?, &[]);
    connect(&live, &keyring, "ann@example.com", "onedrive")?;
    connect(&live, &keyring, "ann@example.com", "gdrive")?;
    connect(&live, &keyring, "bob@example.com", "gdrive")?;
    let listed = ann.json("/api/connections").await?;
    assert_eq!(listed.as_array().map(Vec::len), Some(2), "{listed}");

    // Trash: scan a tree with duplicates, plan, apply.
    let same = content(7, 5_000);
    env.write("a/photo.jpg", &same)?;
    env.write("b/photo (1).jpg", &same)?;
    env.write("c/photo copy.jpg", &same)?;
    env.write("a/notes.txt", b"twice")?;
    env.write("z/notes.txt", b"twice")?;
    ok(&live, &["scan", env.root_str()?], &[])?;
    ok(&live, &["plan", "--keep", "shortest-path"], &[])?;
    ok(&live, &["apply", "latest"], &[])?;
    let trash_before = ok(&live, &["trash", "list", "--json"], &[])?;
    let entries: Value = serde_json::from_str(&trash_before)?;
    assert_eq!(entries.as_array().map(Vec::len), Some(3), "{trash_before}");

    // Online backup while the server runs; never over an existing file.
    let backup = dir.join("backups/declutter-1.db");
    std::fs::create_dir_all(dir.join("backups"))?;
    let b = backup.to_str().ok_or("non-UTF-8 temp dir")?;
    let out = ok(&live, &["backup", b], &[])?;
    assert!(
        out.contains("users 3, connections 3, trash entries 3"),
        "{out}"
    );
    assert!(out.contains("integrity ok"), "{out}");
    #[cfg(unix)]
    assert_eq!(mode(&backup)?, 0o600, "backups hold secrets");
    let before = snapshot::take(&live)?;
    let again = declutter(&live, &["backup", b], &[])?;
    assert_eq!(again.status.code(), Some(6), "no overwrite");
    assert_eq!(snapshot::take(&backup)?, before, "the backup is untouched");

    // The disaster: the server stops and its data directory is gone.
    let status = server.stop()?;
    assert!(status.success(), "graceful stop: {status}");
    std::fs::remove_dir_all(dir.join("live"))?;

    // Restore into a fresh path, then start a new instance with the same key.
    let fresh = dir.join("restored/declutter.db");
    let out = ok(&fresh, &["restore", b], &[])?;
    assert!(
        out.contains("users 3, connections 3, trash entries 3, integrity ok"),
        "{out}"
    );
    assert_eq!(snapshot::take(&fresh)?, before, "every row came back");
    let server = Server::start(&fresh, &serve_env).await?;

    // Restoring over a database a server has open is refused.
    let busy = declutter(&fresh, &["restore", "--force", b], &[])?;
    assert_eq!(
        busy.status.code(),
        Some(8),
        "{}",
        String::from_utf8_lossy(&busy.stderr)
    );
    assert!(String::from_utf8(busy.stderr)?.contains("stop the service"));
    let exists = declutter(&fresh, &["restore", b], &[])?;
    assert_eq!(exists.status.code(), Some(6), "existing db without --force");

    // The people can sign in and see what they had.
    for (email, password) in [
        ("ann@example.com", PASSWORD),
        ("bob@example.com", PASSWORD),
        ("ops@example.com", OPS_PASSWORD),
    ] {
        let b = Browser::new(&server.base)?;
        assert_eq!(
            b.login(email, password).await?,
            (303, "/dashboard".to_owned()),
            "{email}"
        );
        let me = b.json("/api/me").await?;
        assert_eq!(me["email"], email);
    }
    let ann = Browser::new(&server.base)?;
    ann.login("ann@example.com", PASSWORD).await?;
    assert_eq!(
        ann.json("/api/me").await?["role"],
        "admin",
        "first account stays admin"
    );
    let conns = ann.json("/api/connections").await?;
    assert_eq!(conns.as_array().map(Vec::len), Some(2), "{conns}");

    // The trash, through the CLI, is what it was.
    assert_eq!(ok(&fresh, &["trash", "list", "--json"], &[])?, trash_before);

    // Tokens open with the separately kept key, and only with it.
    let after = snapshot::take(&fresh)?;
    for (_, uid, provider, account, _, kid, sealed) in &after.connections {
        let plain = keyring.open(kid, uid, provider, sealed)?;
        assert_eq!(plain, format!("refresh-{account}").into_bytes());
        let stranger = Keyring::new(&parse_key(&generate_key())?, &[]);
        assert!(stranger.open(kid, uid, provider, sealed).is_err());
    }
    let status = server.stop()?;
    assert!(status.success(), "graceful stop: {status}");
    Ok(())
}
