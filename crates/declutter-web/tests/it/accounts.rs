//! Sign up, in and out; password rules; backoff; session fixation.

use crate::support::{PASSWORD, TestApp, TestResult, location, set_cookie};

#[tokio::test]
async fn sign_up_in_out() -> TestResult {
    let app = TestApp::start().await?;
    let b = app.user("ann@example.com", "Ann").await?;
    assert_eq!(b.get("/dashboard").await?.status(), 200);
    let me: serde_json::Value = b.get("/api/me").await?.json().await?;
    assert_eq!(me["role"], "admin", "the first account is admin");
    let res = b.logout().await?;
    assert_eq!(res.status(), 303);
    let res = b.get("/dashboard").await?;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/login?next=/dashboard");
    let res = b.login("ann@example.com", PASSWORD, None).await?;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/dashboard");
    assert_eq!(b.get("/dashboard").await?.status(), 200);
    let second = app.user("bob@example.com", "Bob").await?;
    let me: serde_json::Value = second.get("/api/me").await?.json().await?;
    assert_eq!(me["role"], "user", "later accounts are users");
    Ok(())
}

#[tokio::test]
async fn session_cookie_has_secure_attributes() -> TestResult {
    let app = TestApp::start().await?;
    let b = app.browser()?;
    let res = b.signup("c@example.com", "C", PASSWORD).await?;
    let cookie = set_cookie(&res, "__Host-declutter").ok_or("no session cookie")?;
    for attr in ["Path=/", "Secure", "HttpOnly", "SameSite=Lax"] {
        assert!(cookie.contains(attr), "{cookie} lacks {attr}");
    }
    assert!(!cookie.contains("Domain"));
    Ok(())
}

#[tokio::test]
async fn password_rules_follow_nist() -> TestResult {
    let app = TestApp::start().await?;
    let b = app.browser()?;
    for (pw, why) in [
        ("short", "at least 8"),
        ("password123", "too common"),
        ("iloveyou", "too common"),
    ] {
        let res = b.signup("d@example.com", "D", pw).await?;
        assert_eq!(res.status(), 422, "{pw}");
        assert!(res.text().await?.contains(why), "{pw}");
    }
    // No composition rules: a long all-lowercase passphrase is fine.
    assert_eq!(
        b.signup("d@example.com", "D", "plain lowercase words only")
            .await?
            .status(),
        303
    );
    let again = app
        .browser()?
        .signup("D@EXAMPLE.com", "D2", PASSWORD)
        .await?;
    assert_eq!(again.status(), 422, "emails are unique regardless of case");
    Ok(())
}

#[tokio::test]
async fn failed_sign_ins_back_off_per_account_and_per_ip() -> TestResult {
    // A first step of a minute, so no second boundary can end a wait during the test; waits
    // end by moving the stored deadlines back, as the passing of time would.
    let app = TestApp::start_with(crate::support::Options {
        lockout_base: Some(std::time::Duration::from_secs(60)),
        ..Default::default()
    })
    .await?;
    app.user("e@example.com", "E").await?;
    let b = app.browser()?;
    for _ in 0..3 {
        assert_eq!(
            b.login("e@example.com", "wrong password!", None)
                .await?
                .status(),
            401
        );
    }
    let res = b.login("e@example.com", PASSWORD, None).await?;
    assert_eq!(res.status(), 429, "locked even with the right password");
    let retry: u64 = res.headers()["retry-after"].to_str()?.parse()?;
    assert!((1..=60).contains(&retry), "first wait is one step: {retry}");
    let db = app.db()?;
    let pass_time = |secs: i64| -> Result<(), platform_db::sql::SqlError> {
        for table in ["users", "ip_failures"] {
            platform_db::sql::DbExt::execute(
                &*db,
                &format!("UPDATE {table} SET locked_until = locked_until - ?1"),
                [secs],
            )?;
        }
        Ok(())
    };
    pass_time(60)?;
    let res = b.login("e@example.com", "wrong again!!", None).await?;
    assert_eq!(res.status(), 401, "the first wait is over");
    let res = b.login("e@example.com", PASSWORD, None).await?;
    assert_eq!(res.status(), 429, "the fourth failure locks again");
    let retry: u64 = res.headers()["retry-after"].to_str()?.parse()?;
    assert!(
        (61..=120).contains(&retry),
        "the second wait doubles: {retry}"
    );
    // Per IP: failures across many unknown accounts lock this address too.
    let other = app.browser()?;
    let res = other
        .login("nobody@example.com", "whatever pw", None)
        .await?;
    assert_eq!(
        res.status(),
        429,
        "the address is already past its free failures"
    );
    // Once every wait is over, the right password signs in and clears the account's count.
    pass_time(120)?;
    assert_eq!(
        b.login("e@example.com", PASSWORD, None).await?.status(),
        303
    );
    Ok(())
}

#[tokio::test]
async fn sign_in_rotates_the_session_id() -> TestResult {
    let app = TestApp::start().await?;
    app.user("f@example.com", "F").await?;
    let client = app.plain()?;
    let planted = "attackerchosenvalue0123456789abcdefghijkl";
    let csrf = "anonymouscsrftoken0123456789abcdefghijklm";
    let res = client
        .post(app.url("/login"))
        .header("origin", &app.base)
        .header(
            "cookie",
            format!("__Host-declutter={planted}; __Host-declutter-csrf={csrf}"),
        )
        .form(&[
            ("email", "f@example.com"),
            ("password", crate::support::PASSWORD),
            ("csrf", csrf),
        ])
        .send()
        .await?;
    assert_eq!(res.status(), 303);
    let fresh = set_cookie(&res, "__Host-declutter").ok_or("no new session")?;
    assert!(!fresh.contains(planted), "the planted id must not be kept");
    let res = client
        .get(app.url("/dashboard"))
        .header("cookie", format!("__Host-declutter={planted}"))
        .send()
        .await?;
    assert_eq!(res.status(), 303, "the planted id is not signed in");
    Ok(())
}

#[tokio::test]
async fn sign_in_rate_limit() -> TestResult {
    let app = TestApp::start_with(crate::support::Options {
        login_rate: Some(2),
        ..Default::default()
    })
    .await?;
    let b = app.browser()?;
    b.login("g@example.com", "x-wrong-pass", None).await?;
    b.login("g@example.com", "x-wrong-pass", None).await?;
    assert_eq!(
        b.login("g@example.com", "x-wrong-pass", None)
            .await?
            .status(),
        429
    );
    Ok(())
}
