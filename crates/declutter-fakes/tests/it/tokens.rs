//! The token endpoint: scopes reported, refresh tokens rotated or single use, expired, and the
//! client secret checked.

use declutter_fakes::{FakeGraph, Gated, Rotation};
use serde_json::Value;

use crate::TestResult;

async fn refresh(
    fake: &FakeGraph,
    token: &str,
    secret: Option<&str>,
) -> Result<(u16, Value), reqwest::Error> {
    let mut form = vec![("grant_type", "refresh_token"), ("refresh_token", token)];
    if let Some(s) = secret {
        form.push(("client_secret", s));
    }
    let resp = reqwest::Client::new()
        .post(fake.token_url())
        .form(&form)
        .send()
        .await?;
    Ok((resp.status().as_u16(), resp.json().await?))
}

#[tokio::test]
async fn refresh_tokens_rotate_expire_and_need_the_secret() -> TestResult {
    let fake = FakeGraph::start().await?;
    let grant = fake.grant(&["Files.Read", "offline_access"]);
    let (status, body) = refresh(&fake, &grant.refresh, None).await?;
    assert_eq!(status, 200);
    assert_eq!(body["scope"], "Files.Read offline_access");
    let rotated = body["refresh_token"].as_str().ok_or("rotated")?.to_owned();
    assert_ne!(rotated, grant.refresh);
    // Rotating: the old one still works. Single use: it does not.
    assert_eq!(refresh(&fake, &grant.refresh, None).await?.0, 200);
    fake.set_rotation(Rotation::SingleUse);
    let (_, body) = refresh(&fake, &rotated, None).await?;
    let next = body["refresh_token"].as_str().ok_or("next")?.to_owned();
    let (status, body) = refresh(&fake, &rotated, None).await?;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    fake.require_client_secret("s3cret");
    let (status, body) = refresh(&fake, &next, None).await?;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let (status, body) = refresh(&fake, &next, Some("s3cret")).await?;
    assert_eq!(status, 200);
    let last = body["refresh_token"].as_str().ok_or("last")?.to_owned();
    fake.expire_refresh_tokens();
    assert_eq!(refresh(&fake, &last, Some("s3cret")).await?.0, 400);
    Ok(())
}
