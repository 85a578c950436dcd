//! HTTPS behind a proxy: X-Forwarded-Proto trusted only from the configured proxy; HSTS.

use crate::support::{Options, TestApp, TestResult, location};

#[tokio::test]
async fn forwarded_proto_is_trusted_only_from_the_proxy() -> TestResult {
    let public = Some("https://declutter.test".to_owned());
    let app = TestApp::start_with(Options {
        public_url: public.clone(),
        trusted_proxy: Some("127.0.0.1".parse()?),
        ..Default::default()
    })
    .await?;
    let c = app.plain()?;
    let res = c
        .get(app.url("/login?next=/account"))
        .header("x-forwarded-proto", "http")
        .send()
        .await?;
    assert_eq!(res.status(), 308);
    assert_eq!(location(&res), "https://declutter.test/login?next=/account");
    let res = c
        .get(app.url("/login"))
        .header("x-forwarded-proto", "https")
        .send()
        .await?;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["strict-transport-security"]
            .to_str()?
            .contains("max-age=31536000")
    );
    // Another peer's header is ignored.
    let app = TestApp::start_with(Options {
        public_url: public,
        trusted_proxy: Some("192.0.2.1".parse()?),
        ..Default::default()
    })
    .await?;
    let res = app
        .plain()?
        .get(app.url("/login"))
        .header("x-forwarded-proto", "http")
        .send()
        .await?;
    assert_eq!(res.status(), 200);
    Ok(())
}

#[tokio::test]
async fn sign_up_rate_limit() -> TestResult {
    let app = TestApp::start_with(Options {
        signup_rate: Some(1),
        ..Default::default()
    })
    .await?;
    app.user("s1@example.com", "S1").await?;
    let res = app
        .browser()?
        .signup("s2@example.com", "S2", crate::support::PASSWORD)
        .await?;
    assert_eq!(res.status(), 429);
    Ok(())
}

#[tokio::test]
async fn native_https_with_hsts_and_host_cookie() -> TestResult {
    let app = TestApp::start_with(Options {
        tls: true,
        ..Default::default()
    })
    .await?;
    assert!(app.base.starts_with("https://localhost:"));
    let b = app.browser()?;
    let res = b
        .signup("tls@example.com", "TLS", crate::support::PASSWORD)
        .await?;
    assert_eq!(res.status(), 303);
    assert!(
        res.headers()["strict-transport-security"]
            .to_str()?
            .contains("max-age=31536000")
    );
    let cookie = crate::support::set_cookie(&res, "__Host-declutter").ok_or("cookie")?;
    assert!(cookie.contains("Secure"));
    assert_eq!(b.get("/dashboard").await?.status(), 200);
    Ok(())
}
