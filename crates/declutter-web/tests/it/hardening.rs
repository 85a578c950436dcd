//! Attacks on sign-in and credentials, each over real HTTP: parallel password guessing past the
//! backoff, clearing the address's backoff by signing in to one's own account, a bearer token
//! renewing itself, and an instance left without an admin.

use std::time::Duration;

use declutter_web::auth::lockout::FREE_FAILURES;
use secrecy::SecretString;

use crate::support::{Options, PASSWORD, TestApp, TestResult, csrf_in};

/// Long enough that no backoff ends while a test runs (no test waits for one to end).
const LONG_BACKOFF: Duration = Duration::from_secs(600);

async fn start() -> TestResult<TestApp> {
    TestApp::start_with(Options {
        lockout_base: Some(LONG_BACKOFF),
        ..Options::default()
    })
    .await
}

#[tokio::test]
async fn attack_parallel_wrong_passwords_verify_at_most_the_free_failures() -> TestResult {
    let app = start().await?;
    app.user("victim@example.com", "Victim").await?;
    // Forty ready sign-in forms (each with its own pre-session CSRF cookie), then all at once.
    let mut ready = Vec::new();
    for _ in 0..40 {
        let b = app.browser()?;
        let token = b.csrf("/login").await?;
        ready.push((b, token));
    }
    let mut tasks = tokio::task::JoinSet::new();
    for (i, (b, token)) in ready.into_iter().enumerate() {
        tasks.spawn(async move {
            let guess = format!("wrong guess number {i}");
            let form = [
                ("email", "victim@example.com"),
                ("password", guess.as_str()),
                ("csrf", token.as_str()),
            ];
            let res = b.client.post(b.url("/login")).form(&form).send().await?;
            Ok::<u16, reqwest::Error>(res.status().as_u16())
        });
    }
    let (mut verified, mut refused) = (0, 0);
    while let Some(status) = tasks.join_next().await {
        match status?? {
            401 => verified += 1,
            429 => refused += 1,
            other => return Err(format!("unexpected status {other}").into()),
        }
    }
    assert!(
        verified <= FREE_FAILURES,
        "{verified} of 40 parallel guesses were verified; the backoff allows {FREE_FAILURES}"
    );
    assert_eq!(verified + refused, 40);
    let res = app
        .browser()?
        .login("victim@example.com", PASSWORD, None)
        .await?;
    assert_eq!(res.status(), 429, "the account is in its backoff now");
    Ok(())
}

#[tokio::test]
async fn attack_signing_in_to_ones_own_account_keeps_the_address_backoff() -> TestResult {
    let app = start().await?;
    app.user("mallory@example.com", "Mallory").await?;
    let guesser = app.browser()?;
    for victim in ["a@example.com", "b@example.com"] {
        let res = guesser.login(victim, "a wrong password", None).await?;
        assert_eq!(res.status(), 401);
    }
    // Two failures from this address so far; a success elsewhere must not wipe them.
    let own = app.browser()?;
    assert_eq!(
        own.login("mallory@example.com", PASSWORD, None)
            .await?
            .status(),
        303
    );
    let res = guesser
        .login("c@example.com", "a wrong password", None)
        .await?;
    assert_eq!(res.status(), 401, "the third failure is still free");
    let res = guesser
        .login("d@example.com", "a wrong password", None)
        .await?;
    assert_eq!(
        res.status(),
        429,
        "three failures from this address: the backoff runs, whatever Mallory's own sign-in"
    );
    // Mallory's own account is not held back by the failures against others.
    let me = own.get("/api/me").await?;
    assert_eq!(me.status(), 200);
    Ok(())
}

#[tokio::test]
async fn attack_a_bearer_token_cannot_renew_itself() -> TestResult {
    let app = start().await?;
    let b = app.user("k@example.com", "K").await?;
    let res = b
        .client
        .post(b.url("/api/tokens"))
        .header("x-csrf-token", b.csrf("/account").await?)
        .send()
        .await?;
    assert_eq!(res.status(), 201, "a session issues tokens");
    let body: serde_json::Value = res.json().await?;
    let token = body["access_token"].as_str().ok_or("token")?.to_owned();
    let api = app.plain()?;
    assert_eq!(
        api.get(app.url("/api/me"))
            .bearer_auth(&token)
            .send()
            .await?
            .status(),
        200,
        "the token works"
    );
    let res = api
        .post(app.url("/api/tokens"))
        .bearer_auth(&token)
        .send()
        .await?;
    assert_eq!(res.status(), 403, "a token cannot mint its successor");
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let problem: serde_json::Value = res.json().await?;
    assert_eq!(problem["code"], "session_required", "{problem}");
    // Not even beside the browser's cookies: a presented token is what the request is.
    let res = b
        .client
        .post(b.url("/api/tokens"))
        .bearer_auth(&token)
        .header("x-csrf-token", b.csrf("/account").await?)
        .send()
        .await?;
    assert_eq!(res.status(), 403);
    Ok(())
}

#[tokio::test]
async fn attack_the_last_admin_cannot_delete_itself() -> TestResult {
    let app = start().await?;
    let admin = app.user("admin@example.com", "Admin").await?;
    let user = app.user("user@example.com", "User").await?;
    let admin_id = admin
        .get("/api/me")
        .await?
        .json::<serde_json::Value>()
        .await?["id"]
        .as_str()
        .ok_or("id")?
        .to_owned();
    declutter_web::cloud::save_connection(
        &app.vault(),
        &admin_id,
        "gdrive",
        "admin@gmail.example",
        "drive.metadata.readonly",
        &SecretString::from("tok-admin".to_owned()),
    )
    .await?;

    let res = admin
        .submit("/account", "/account/delete", &[("password", PASSWORD)])
        .await?;
    assert_eq!(res.status(), 409);
    let html = res.text().await?;
    assert!(html.contains("last admin cannot be deleted"), "{html}");
    assert!(
        csrf_in(&html).is_some(),
        "the account page itself, with its forms"
    );
    assert_eq!(admin.get("/api/me").await?.status(), 200, "still signed in");
    assert!(
        app.revoked.0.lock().map_err(|_| "poisoned")?.is_empty(),
        "refused before the drive was disconnected"
    );
    let me: serde_json::Value = admin.get("/api/me").await?.json().await?;
    assert_eq!(me["role"], "admin");

    // With a second admin, the first may go.
    let user_id = user
        .get("/api/me")
        .await?
        .json::<serde_json::Value>()
        .await?["id"]
        .as_str()
        .ok_or("id")?
        .to_owned();
    let res = admin
        .submit(
            "/admin/users",
            &format!("/admin/users/{user_id}/role"),
            &[("role", "admin")],
        )
        .await?;
    assert_eq!(res.status(), 303);
    let res = admin
        .submit("/account", "/account/delete", &[("password", PASSWORD)])
        .await?;
    assert_eq!(res.status(), 303);
    assert_eq!(admin.get("/api/me").await?.status(), 401);
    // And now the promoted account is the last admin.
    let res = user
        .submit("/account", "/account/delete", &[("password", PASSWORD)])
        .await?;
    assert_eq!(res.status(), 409);
    Ok(())
}
