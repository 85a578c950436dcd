//! Token encryption at rest, data export, account deletion.

use secrecy::SecretString;

use crate::support::{PASSWORD, TestApp, TestResult};

#[tokio::test]
async fn cloud_tokens_are_not_stored_in_plaintext() -> TestResult {
    let app = TestApp::start().await?;
    let b = app.user("o@example.com", "O").await?;
    let id = b.get("/api/me").await?.json::<serde_json::Value>().await?["id"]
        .as_str()
        .ok_or("id")?
        .to_owned();
    let secret = "1//0gPLAINTEXT-REFRESH-TOKEN-do-not-store";
    declutter_web::cloud::save_connection(
        &app.state,
        &id,
        "onedrive",
        "o@outlook.example",
        "Files.Read offline_access",
        &SecretString::from(secret.to_owned()),
    )
    .await?;
    // Checkpoint the WAL so every byte is in the main file too, then scan both.
    let conn = platform_db::open(&app.dir.path().join("declutter.db"))?;
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    for entry in std::fs::read_dir(app.dir.path())? {
        let path = entry?.path();
        if !path.is_file() {
            continue; // the local-roots folder
        }
        let bytes = std::fs::read(path)?;
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "plaintext token on disk"
        );
    }
    // Rotation: a new key re-encrypts every record; the old key alone no longer opens them.
    let old: [u8; 32] = *b"0123456789abcdef0123456789abcdef";
    let new: [u8; 32] = *b"fedcba9876543210fedcba9876543210";
    let mut c2 = platform_db::open(&app.dir.path().join("declutter.db"))?;
    let k_old = declutter_web::crypto::Keyring::new(&old, &[]);
    let (kid, sealed) = k_old.seal(&id, "gdrive", b"gd-token")?;
    declutter_web::db::connections::upsert(&c2, &id, "gdrive", "g", "s", &kid, &sealed)?;
    let rotated = declutter_web::crypto::Keyring::new(&new, &[old, *app_key(&app)?]);
    assert_eq!(rotated.reseal_all(&mut c2)?, 2);
    let rows = declutter_web::db::connections::all_sealed(&c2)?;
    assert!(rows.iter().all(|r| r.key_id == rotated.current_id()));
    Ok(())
}

fn app_key(app: &TestApp) -> TestResult<Box<[u8; 32]>> {
    // The app's key is random per test; recover it by sealing and trying is impossible, so the
    // test support exposes it through the keyring id only. Re-read it from the config instead.
    use secrecy::ExposeSecret as _;
    let b64 = app
        .state
        .config
        .token_key
        .as_ref()
        .ok_or("no key")?
        .expose_secret()
        .to_owned();
    Ok(Box::new(declutter_web::crypto::parse_key(&b64)?))
}

#[tokio::test]
async fn export_and_delete() -> TestResult {
    let app = TestApp::start().await?;
    let _admin = app.user("p@example.com", "P").await?;
    let b = app.user("q@example.com", "Q <b>bold</b>").await?;
    let id = b.get("/api/me").await?.json::<serde_json::Value>().await?["id"]
        .as_str()
        .ok_or("id")?
        .to_owned();
    declutter_web::cloud::save_connection(
        &app.state,
        &id,
        "gdrive",
        "q@gmail.example",
        "drive.metadata.readonly",
        &SecretString::from("tok-q".to_owned()),
    )
    .await?;
    let res = b.get("/account/export").await?;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-disposition"]
            .to_str()?
            .starts_with("attachment")
    );
    let body = res.text().await?;
    assert!(
        body.contains("q@example.com")
            && body.contains("q@gmail.example")
            && body.contains("user.signup")
    );
    assert!(!body.contains("tok-q") && !body.contains("token_sealed") && !body.contains("argon2"));
    let res = b
        .submit(
            "/account",
            "/account/delete",
            &[("password", "wrong password")],
        )
        .await?;
    assert_eq!(res.status(), 401, "deletion needs the password");
    let res = b
        .submit("/account", "/account/delete", &[("password", PASSWORD)])
        .await?;
    assert_eq!(res.status(), 303);
    let revoked = app.revoked.0.lock().map_err(|_| "poisoned")?.clone();
    assert_eq!(revoked, vec![("gdrive".to_owned(), "tok-q".to_owned())]);
    assert_eq!(b.get("/dashboard").await?.status(), 303);
    assert_eq!(
        app.browser()?
            .login("q@example.com", PASSWORD, None)
            .await?
            .status(),
        401
    );
    let conn = platform_db::open(&app.dir.path().join("declutter.db"))?;
    for table in [
        "users",
        "sessions",
        "oauth_connections",
        "scans",
        "files",
        "trash",
    ] {
        let n: i64 = conn.query_row(
            &format!(
                "SELECT count(*) FROM {table} WHERE {} = ?1",
                if table == "users" { "id" } else { "user_id" }
            ),
            [&id],
            |r| r.get(0),
        )?;
        assert_eq!(n, 0, "{table} still holds the user's rows");
    }
    Ok(())
}
