//! `declutter` on PostgreSQL over TLS (the test server's certificate from a throwaway CA):
//! with `DECLUTTER_DATABASE_CA_FILE` and `sslmode=require` it works; without the CA, or with a
//! CA file that is not one, it stops with one readable line and a non-zero exit, showing
//! neither the URL's password nor the file's content.

use platform_db::pg::testing::{self, FreshDb};

use crate::support::{Env, TestResult};

const PASSWORD: &str = "correct horse battery staple";

#[tokio::test]
async fn user_add_reaches_postgres_over_verified_tls() -> TestResult {
    let Some(ca) = testing::ca_file()? else {
        return Ok(());
    };
    let Some(pg) = FreshDb::create().await? else {
        return Ok(());
    };
    let env = Env::new()?;
    // A password the server (trusting loopback) ignores, to see it never printed.
    let mut url = reqwest::Url::parse(&pg.url)?;
    url.set_password(Some("url-Pa55word"))
        .map_err(|()| "cannot set a password")?;
    let url = format!("{url}?sslmode=require");
    let add = |email: &str| {
        let mut c = env.cmd();
        c.args(["user", "add", "--email", email])
            .env("DECLUTTER_DATABASE_URL", &url)
            .env("DECLUTTER_PASSWORD", PASSWORD)
            .env_remove("DECLUTTER_DATABASE_CA_FILE");
        c
    };

    let out = add("tls@example.com")
        .env("DECLUTTER_DATABASE_CA_FILE", &ca)
        .output()?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("in the PostgreSQL database"));

    // Without the CA the server is not trusted, and `require` does not fall back.
    let out = add("untrusted@example.com").output()?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "a database failure: {stderr}");
    assert!(
        stderr.contains("invalid peer certificate: UnknownIssuer"),
        "{stderr}"
    );
    assert!(!stderr.contains("url-Pa55word"), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    Ok(())
}

#[test]
fn a_ca_file_that_is_not_one_is_a_configuration_error() -> TestResult {
    let env = Env::new()?;
    let not_pem = env.dir.path().join("ca.pem");
    std::fs::write(&not_pem, "postgres password: hunter2\n")?;
    let missing = env.dir.path().join("missing.pem");
    for (file, expected) in [
        (&not_pem, "holds no PEM certificate"),
        (&missing, "cannot read the PostgreSQL CA file"),
    ] {
        let out = env
            .cmd()
            .args(["user", "add", "--email", "x@example.com"])
            .env(
                "DECLUTTER_DATABASE_URL",
                "postgres://u:url-secret@127.0.0.1:1/d",
            )
            .env("DECLUTTER_DATABASE_CA_FILE", file)
            .env("DECLUTTER_PASSWORD", PASSWORD)
            .output()?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(7), "{stderr}");
        assert!(stderr.contains("DECLUTTER_DATABASE_CA_FILE"), "{stderr}");
        assert!(stderr.contains(expected), "{stderr}");
        assert!(!stderr.contains("hunter2"), "{stderr}");
        assert!(!stderr.contains("url-secret"), "{stderr}");
    }
    Ok(())
}
