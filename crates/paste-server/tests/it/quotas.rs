//! Write only with a certificate (`require_identity`), and quotas per certificate and per
//! anonymous address, seen in create headers, `GET /` and the admin API.

use serde_json::Value;

use crate::support::{Pki, Server, TestResult, http, problem, s};

#[tokio::test]
async fn require_identity_writes_with_a_certificate_and_reads_with_the_link() -> TestResult {
    let pki = Pki::new()?;
    let alice = pki.ca.client("alice")?;
    let files = pki.server_files()?;
    let server = Server::start(move |c| {
        c.tls = Some(files);
        c.require_identity = true;
    })
    .await?;
    let anon = pki.client(None)?;
    let as_alice = pki.client(Some(&alice))?;

    problem(
        anon.post(server.url("/")).body("no cert").send().await?,
        401,
        "identity_required",
    )
    .await?;
    let created: Value = as_alice
        .post(server.url("/"))
        .body("signed")
        .send()
        .await?
        .json()
        .await?;
    let raw = anon
        .get(server.url(&format!("/{}/raw", s(&created, "id"))))
        .send()
        .await?;
    assert_eq!(raw.status(), 200, "anyone with the link reads");
    assert_eq!(raw.text().await?, "signed");
    let info: Value = anon.get(server.url("/")).send().await?.json().await?;
    assert_eq!(info["limits"]["identity_required"], true);
    assert!(
        info["features"]
            .as_array()
            .is_some_and(|f| f.contains(&"require_identity".into()))
    );
    Ok(())
}

#[test]
fn require_identity_without_a_source_of_identities_is_refused_at_start() {
    use clap::Parser;
    use paste_server::config::{Args, Config};
    let args = Args::parse_from(["fpasted", "--require-identity"]);
    assert!(Config::from_args(args).is_err());
    let args = Args::parse_from(["fpasted", "--require-identity", "--trust-proxy"]);
    assert!(Config::from_args(args).is_ok());
}

#[tokio::test]
async fn certificate_quota_shows_what_is_left_and_refuses_past_it() -> TestResult {
    let pki = Pki::new()?;
    let alice = pki.ca.client("alice")?;
    let admin = pki.ca.client("admin")?;
    let files = pki.server_files()?;
    let admin_fp = admin.sha1();
    let server = Server::start(move |c| {
        c.tls = Some(files);
        c.admins = vec![admin_fp];
        c.quota.bytes = 10;
        c.quota.pastes = 3;
    })
    .await?;
    let as_alice = pki.client(Some(&alice))?;
    let as_admin = pki.client(Some(&admin))?;

    let res = as_alice.post(server.url("/")).body("123456").send().await?;
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["x-quota-remaining-bytes"], "4");
    assert_eq!(res.headers()["x-quota-remaining-pastes"], "2");
    assert!(
        res.headers().get("x-quota-reset").is_none(),
        "a certificate quota does not reset"
    );
    let first: Value = res.json().await?;

    let over = problem(
        as_alice.post(server.url("/")).body("12345").send().await?,
        429,
        "quota_exceeded",
    )
    .await?;
    assert_eq!(over["quota"]["remaining_bytes"], 4, "{over}");
    assert_eq!(over["quota"]["scope"], "certificate");

    let info: Value = as_alice.get(server.url("/")).send().await?.json().await?;
    assert_eq!(info["quota"]["used_bytes"], 6);
    assert_eq!(info["quota"]["remaining_pastes"], 2);

    let seen: Value = as_admin
        .get(server.url(&format!("/admin/quota?owner={}", alice.sha1())))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(
        (seen["used_pastes"].clone(), seen["limit_bytes"].clone()),
        (1.into(), 10.into())
    );
    problem(
        as_alice
            .get(server.url(&format!("/admin/quota?owner={}", alice.sha1())))
            .send()
            .await?,
        403,
        "admin_required",
    )
    .await?;

    // Deleting a paste gives its bytes back; admins have no quota.
    as_alice
        .delete(server.url(&format!("/{}", s(&first, "id"))))
        .send()
        .await?;
    let res = as_alice
        .post(server.url("/"))
        .body("0123456789")
        .send()
        .await?;
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["x-quota-remaining-bytes"], "0");
    let res = as_admin
        .post(server.url("/"))
        .body("a long admin paste")
        .send()
        .await?;
    assert_eq!(res.status(), 201);
    assert!(res.headers().get("x-quota-remaining-bytes").is_none());
    Ok(())
}

#[tokio::test]
async fn anonymous_daily_quota_per_address_holds_under_concurrency() -> TestResult {
    let server = Server::start(|c| {
        c.anon_quota.pastes = 5;
        c.anon_quota.bytes = 0;
    })
    .await?;
    let c = http();
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let req = c.post(server.url("/")).body(format!("paste {i}"));
            tokio::spawn(async move { req.send().await })
        })
        .collect();
    let (mut created, mut refused) = (0, 0);
    for t in tasks {
        let res = t.await??;
        match res.status().as_u16() {
            201 => created += 1,
            429 => {
                assert!(res.headers().contains_key("retry-after"));
                let body = problem(res, 429, "quota_exceeded").await?;
                assert_eq!(body["quota"]["scope"], "address");
                refused += 1;
            }
            other => return Err(format!("unexpected status {other}").into()),
        }
    }
    assert_eq!((created, refused), (5, 15));
    let info: Value = c.get(server.url("/")).send().await?.json().await?;
    assert_eq!(info["quota"]["remaining_pastes"], 0);
    assert!(
        info["quota"]["resets_at"]
            .as_i64()
            .is_some_and(|t| t % 86_400 == 0)
    );
    Ok(())
}

#[tokio::test]
async fn an_update_that_grows_a_paste_counts_against_the_owners_quota() -> TestResult {
    let pki = Pki::new()?;
    let alice = pki.ca.client("alice")?;
    let admin = pki.ca.client("admin")?;
    let files = pki.server_files()?;
    let admin_fp = admin.sha1();
    let server = Server::start(move |c| {
        c.tls = Some(files);
        c.admins = vec![admin_fp];
        c.quota.bytes = 10;
        c.quota.pastes = 3;
    })
    .await?;
    let as_alice = pki.client(Some(&alice))?;
    let as_admin = pki.client(Some(&admin))?;
    let made: Value = as_alice
        .post(server.url("/"))
        .body("123456")
        .send()
        .await?
        .json()
        .await?;
    let url = server.url(&format!("/{}", s(&made, "id")));

    // 6 of 10 bytes used: growing the paste to 11 bytes would hold 11, refused like a create,
    // and the content stays as it was.
    let over = problem(
        as_alice.put(&url).body("0123456789a").send().await?,
        429,
        "quota_exceeded",
    )
    .await?;
    assert_eq!(over["quota"]["used_bytes"], 6, "{over}");
    let raw = as_alice
        .get(format!("{url}/raw"))
        .send()
        .await?
        .text()
        .await?;
    assert_eq!(raw, "123456", "a refused update changes nothing");
    // Up to the limit exactly, then shrinking, both fit (the old bytes are given back).
    let res = as_alice.put(&url).body("0123456789").send().await?;
    assert_eq!(res.status(), 200, "{}", res.text().await?);
    let res = as_alice.put(&url).body("0123").send().await?;
    assert_eq!(res.status(), 200);
    let info: Value = as_alice.get(server.url("/")).send().await?.json().await?;
    assert_eq!(info["quota"]["used_bytes"], 4);
    // An admin updating alice's paste is held to alice's quota, not to the admin's none.
    problem(
        as_admin.put(&url).body("a much longer text").send().await?,
        429,
        "quota_exceeded",
    )
    .await?;
    Ok(())
}

/// Every boolean variable reads the spellings FlaskPaste's docs use (`1`, `yes`, `on`), not
/// only `true`, and a typo stops the server instead of silently meaning "off".
#[tokio::test]
async fn boolean_variables_accept_one_and_refuse_typos() -> TestResult {
    let dir = tempfile::tempdir()?;
    let server = crate::support::spawn_fpasted(
        &dir.path().join("f.db"),
        &[
            ("FLASKPASTE_TRUST_PROXY", "1"),
            ("FLASKPASTE_REQUIRE_IDENTITY", "yes"),
            ("FLASKPASTE_BURN_CONFIRM", "on"),
            ("FLASKPASTE_TLS_REQUIRE_CLIENT_CERT", "0"),
        ],
    )
    .await?;
    problem(
        http()
            .post(format!("{}/", server.base))
            .body("x")
            .send()
            .await?,
        401,
        "identity_required",
    )
    .await?;
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_fpasted"))
        .env_clear()
        .env("FLASKPASTE_LISTEN", "127.0.0.1:0")
        .env("FLASKPASTE_DB", dir.path().join("g.db"))
        .env("FLASKPASTE_REQUIRE_IDENTITY", "maybe")
        .output()
        .await?;
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("maybe"), "names the bad value: {err}");
    Ok(())
}
