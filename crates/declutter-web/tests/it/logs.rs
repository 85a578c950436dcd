//! Passwords, session ids, API tokens and cloud tokens never reach the logs.

use secrecy::SecretString;

use crate::support::{PASSWORD, TestApp, TestResult, logs, set_cookie};

#[tokio::test]
async fn secrets_never_reach_the_logs() -> TestResult {
    let app = TestApp::start().await?;
    let b = app.browser()?;
    let res = b.signup("t@example.com", "T", PASSWORD).await?;
    let session = set_cookie(&res, "__Host-declutter").ok_or("cookie")?;
    let session = session
        .trim_start_matches("__Host-declutter=")
        .split(';')
        .next()
        .unwrap_or_default()
        .to_owned();
    let wrong = "wrong-password-LOGCANARY-42";
    app.browser()?.login("t@example.com", wrong, None).await?;
    let res = b
        .client
        .post(b.url("/api/tokens"))
        .header("x-csrf-token", b.csrf("/account").await?)
        .send()
        .await?;
    let token = res.json::<serde_json::Value>().await?["access_token"]
        .as_str()
        .ok_or("token")?
        .to_owned();
    app.plain()?
        .get(app.url("/api/me"))
        .bearer_auth(&token)
        .send()
        .await?;
    app.plain()?
        .get(app.url("/api/me"))
        .bearer_auth("forged.CANARY.token")
        .send()
        .await?;
    let id = b.get("/api/me").await?.json::<serde_json::Value>().await?["id"]
        .as_str()
        .ok_or("id")?
        .to_owned();
    let cloud = "cloud-refresh-LOGCANARY-99";
    let conn = declutter_web::cloud::save_connection(
        &app.vault(),
        &id,
        "gdrive",
        "t@gmail.example",
        "drive.metadata.readonly",
        &SecretString::from(cloud.to_owned()),
    )
    .await?;
    b.client
        .delete(b.url(&format!("/api/connections/{conn}")))
        .header("x-csrf-token", b.csrf("/account").await?)
        .send()
        .await?;
    let text = logs();
    assert!(text.contains("/api/me"), "the request log was captured");
    for secret in [
        PASSWORD,
        wrong,
        session.as_str(),
        token.as_str(),
        "CANARY.token",
        cloud,
    ] {
        assert!(!text.contains(secret), "a secret reached the logs");
    }
    Ok(())
}
