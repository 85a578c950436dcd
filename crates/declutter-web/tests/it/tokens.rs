//! API access tokens: issue, use, expire by revocation on sign-out and password change.

use crate::support::{Browser, TestApp, TestResult};

async fn issue(b: &Browser) -> TestResult<String> {
    let res = b
        .client
        .post(b.url("/api/tokens"))
        .header("x-csrf-token", b.csrf("/account").await?)
        .send()
        .await?;
    assert_eq!(res.status(), 201);
    let body: serde_json::Value = res.json().await?;
    assert_eq!(body["expires_in"], 900);
    Ok(body["access_token"].as_str().ok_or("token")?.to_owned())
}

#[tokio::test]
async fn tokens_work_and_are_revoked() -> TestResult {
    let app = TestApp::start().await?;
    let b = app.user("k@example.com", "K").await?;
    let api = app.plain()?;
    let token = issue(&b).await?;
    let me = api
        .get(app.url("/api/me"))
        .bearer_auth(&token)
        .send()
        .await?;
    assert_eq!(me.status(), 200);
    // A token is not a browser credential, and a bad one is an error, not anonymity.
    assert_eq!(
        api.get(app.url("/dashboard"))
            .bearer_auth(&token)
            .send()
            .await?
            .status(),
        401
    );
    assert_eq!(
        api.get(app.url("/api/me"))
            .bearer_auth("garbage")
            .send()
            .await?
            .status(),
        401
    );
    let res = api
        .get(app.url("/api/me"))
        .bearer_auth("garbage")
        .send()
        .await?;
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    // Bearer requests need no CSRF token (no ambient credential), but only a browser session
    // issues tokens, so a stolen token cannot renew itself.
    assert_eq!(
        api.post(app.url("/api/tokens"))
            .bearer_auth(&token)
            .send()
            .await?
            .status(),
        403,
        "a token cannot mint its successor (hardening::attack_a_bearer_token_cannot_renew_itself)"
    );
    // Sign-out revokes.
    b.logout().await?;
    assert_eq!(
        api.get(app.url("/api/me"))
            .bearer_auth(&token)
            .send()
            .await?
            .status(),
        401
    );
    // Password change revokes.
    b.login("k@example.com", crate::support::PASSWORD, None)
        .await?;
    let token = issue(&b).await?;
    let res = b
        .submit(
            "/account",
            "/account/password",
            &[
                ("current", crate::support::PASSWORD),
                ("new", "a brand new passphrase"),
            ],
        )
        .await?;
    assert_eq!(res.status(), 303);
    assert_eq!(
        api.get(app.url("/api/me"))
            .bearer_auth(&token)
            .send()
            .await?
            .status(),
        401
    );
    assert_eq!(
        b.get("/dashboard").await?.status(),
        200,
        "this browser keeps a fresh session"
    );
    Ok(())
}

#[tokio::test]
async fn password_change_ends_other_sessions() -> TestResult {
    let app = TestApp::start().await?;
    let one = app.user("l@example.com", "L").await?;
    let two = app.browser()?;
    two.login("l@example.com", crate::support::PASSWORD, None)
        .await?;
    assert_eq!(two.get("/dashboard").await?.status(), 200);
    let res = one
        .submit(
            "/account",
            "/account/password",
            &[("current", "wrong"), ("new", "a brand new passphrase")],
        )
        .await?;
    assert_eq!(res.status(), 401, "re-authentication required");
    one.submit(
        "/account",
        "/account/password",
        &[
            ("current", crate::support::PASSWORD),
            ("new", "a brand new passphrase"),
        ],
    )
    .await?;
    assert_eq!(
        two.get("/dashboard").await?.status(),
        303,
        "the other device is signed out"
    );
    Ok(())
}
