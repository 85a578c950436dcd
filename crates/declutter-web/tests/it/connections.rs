//! Connecting cloud drives through a fake OAuth server over real HTTP: least-privilege scopes,
//! PKCE, state bound to the session and single use, tokens sealed, incremental consent,
//! revocation on disconnect.

use declutter_core::store::plans::{Action, PlanItem};
use declutter_web::connect::{GOOGLE_CONTENT, GOOGLE_READ, GOOGLE_WRITE};

use crate::support::{Browser, Options, TestApp, TestResult, location, oauth_client};
use declutter_fakes::FakeOAuth;

async fn app_with_drives() -> TestResult<(TestApp, FakeOAuth)> {
    let fake = FakeOAuth::start().await?;
    let app = TestApp::start_with(Options {
        onedrive: Some(oauth_client(&fake)),
        gdrive: Some(oauth_client(&fake)),
        ..Options::default()
    })
    .await?;
    Ok((app, fake))
}

/// Posts the connect form; returns the provider's redirect back to our callback.
pub async fn authorize(
    app: &TestApp,
    b: &Browser,
    provider: &str,
    fields: &[(&str, &str)],
) -> TestResult<String> {
    let res = b
        .submit(
            "/account",
            &format!("/connections/{provider}/connect"),
            fields,
        )
        .await?;
    assert_eq!(res.status(), 303, "connect redirects to the provider");
    let at_provider = location(&res);
    let res = app.plain()?.get(&at_provider).send().await?;
    assert_eq!(res.status(), 303, "the fake consents");
    Ok(location(&res))
}

/// The whole flow; returns where the callback sent the browser.
pub async fn connect(
    app: &TestApp,
    b: &Browser,
    provider: &str,
    fields: &[(&str, &str)],
) -> TestResult<String> {
    let back = authorize(app, b, provider, fields).await?;
    let res = b.client.get(&back).send().await?;
    assert_eq!(res.status(), 303, "callback completes");
    Ok(location(&res))
}

pub async fn connections(b: &Browser) -> TestResult<Vec<serde_json::Value>> {
    Ok(b.get("/api/connections").await?.json().await?)
}

#[tokio::test]
async fn connect_seals_tokens_and_records_read_only_scope() -> TestResult {
    let (app, fake) = app_with_drives().await?;
    let b = app.user("c@example.com", "C").await?;
    let page = b.text("/account").await?;
    assert!(page.contains("action=\"/connections/gdrive/connect\""));
    assert!(page.contains("Connect OneDrive (read-only)"));
    let next = connect(&app, &b, "gdrive", &[]).await?;
    assert!(
        b.text("/account")
            .await?
            .contains("Google Drive: connected, read-only")
    );
    assert_eq!(next, "/account");
    let asked = fake.last_authorize();
    assert_eq!(asked["scope"], GOOGLE_READ, "read-only to scan");
    assert_eq!(asked["code_challenge_method"], "S256");
    assert_eq!(
        fake.pkce_checked(),
        1,
        "the code was exchanged with the verifier"
    );
    let list = connections(&b).await?;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["provider"], "gdrive");
    assert_eq!(list[0]["scopes"], GOOGLE_READ);
    // OneDrive asks for Files.Read and a refresh token, nothing more.
    connect(&app, &b, "onedrive", &[]).await?;
    assert_eq!(fake.last_authorize()["scope"], "Files.Read offline_access");
    let issued = fake.issued();
    assert_eq!(issued.len(), 4);
    let listed = serde_json::to_string(&connections(&b).await?)?;
    let files = app.stored_bytes()?;
    let logs = crate::support::logs();
    for token in &issued {
        assert!(
            !listed.contains(token.as_str()),
            "tokens never reach the browser"
        );
        assert!(
            !logs.contains(token.as_str()),
            "tokens never reach the logs"
        );
        for bytes in &files {
            assert!(
                !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
                "plaintext token on disk"
            );
        }
    }
    Ok(())
}

#[tokio::test]
async fn state_must_match_this_session_and_is_single_use() -> TestResult {
    let (app, fake) = app_with_drives().await?;
    let a = app.user("a@example.com", "A").await?;
    let b = app.user("b@example.com", "B").await?;
    let back = authorize(&app, &a, "gdrive", &[]).await?;
    let url = reqwest::Url::parse(&back)?;
    let code = url
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .ok_or("code")?;
    let path = "/connections/gdrive/callback";
    for (who, query) in [
        (&a, format!("?code={code}")),
        (&a, format!("?code={code}&state=forged")),
        (&b, url.query().map(|q| format!("?{q}")).ok_or("query")?),
    ] {
        let res = who.get(&format!("{path}{query}")).await?;
        assert_eq!(res.status(), 422, "{query} refused");
    }
    // B's attempt spent the state: the owner's own callback now fails too.
    assert_eq!(a.client.get(&back).send().await?.status(), 422);
    assert!(connections(&a).await?.is_empty());
    assert!(connections(&b).await?.is_empty());
    // A fresh flow works once, and its replay is refused.
    let back = authorize(&app, &a, "gdrive", &[]).await?;
    assert_eq!(a.client.get(&back).send().await?.status(), 303);
    assert_eq!(a.client.get(&back).send().await?.status(), 422, "replay");
    assert_eq!(connections(&a).await?.len(), 1);
    assert_eq!(fake.pkce_checked(), 1);
    // Unknown providers are absent, and the form needs its CSRF token.
    let res = a
        .submit("/account", "/connections/dropbox/connect", &[])
        .await?;
    assert_eq!(res.status(), 404);
    let res = a
        .client
        .post(a.url("/connections/gdrive/connect"))
        .send()
        .await?;
    assert_eq!(res.status(), 403, "no CSRF token");
    Ok(())
}

#[tokio::test]
async fn applying_asks_for_write_access_incrementally() -> TestResult {
    let (app, fake) = app_with_drives().await?;
    let b = app.user("w@example.com", "W").await?;
    connect(&app, &b, "gdrive", &[]).await?;
    let first = connections(&b).await?;
    let next = connect(
        &app,
        &b,
        "gdrive",
        &[("access", "write"), ("next", "/plans/7")],
    )
    .await?;
    assert_eq!(next, "/plans/7", "resumes where the user was");
    let asked = fake.last_authorize();
    assert!(
        asked["scope"].split(' ').any(|s| s == GOOGLE_WRITE),
        "the full drive scope: drive.file never covers existing files; {asked:?}"
    );
    assert_eq!(asked["include_granted_scopes"], "true");
    let after = connections(&b).await?;
    assert_eq!(after.len(), 1, "the same connection, upgraded");
    assert_eq!(after[0]["id"], first[0]["id"]);
    let scopes = after[0]["scopes"].as_str().ok_or("scopes")?;
    assert!(scopes.contains(GOOGLE_READ) && scopes.contains(GOOGLE_WRITE));
    // Content access (verification, previews) is its own, narrower step.
    let b2 = app.user("c@example.com", "C").await?;
    connect(&app, &b2, "gdrive", &[]).await?;
    connect(&app, &b2, "gdrive", &[("access", "content")]).await?;
    assert_eq!(fake.last_authorize()["scope"], GOOGLE_CONTENT);
    assert_eq!(fake.last_authorize()["include_granted_scopes"], "true");
    // OneDrive: the upgrade asks for Files.ReadWrite.
    connect(&app, &b, "onedrive", &[("access", "write")]).await?;
    assert!(
        fake.last_authorize()["scope"]
            .split(' ')
            .any(|s| s == "Files.ReadWrite")
    );
    // An off-site `next` is not followed.
    let next = connect(&app, &b, "gdrive", &[("next", "https://evil.example/")]).await?;
    assert_eq!(next, "/dashboard");
    Ok(())
}

#[tokio::test]
async fn disconnect_revokes_at_the_provider() -> TestResult {
    let (app, fake) = app_with_drives().await?;
    let b = app.user("d@example.com", "D").await?;
    connect(&app, &b, "gdrive", &[]).await?;
    let id = connections(&b).await?[0]["id"].as_i64().ok_or("id")?;
    let res = b
        .client
        .delete(b.url(&format!("/api/connections/{id}")))
        .header("x-csrf-token", b.csrf("/account").await?)
        .send()
        .await?;
    assert_eq!(res.status(), 204);
    assert!(connections(&b).await?.is_empty());
    let refresh = fake
        .issued()
        .into_iter()
        .find(|t| t.starts_with("RT-"))
        .ok_or("refresh")?;
    let revoked = app.revoked.0.lock().map_err(|_| "poisoned")?.clone();
    assert_eq!(
        revoked,
        vec![("gdrive".to_owned(), refresh.clone())],
        "the revoke hook gets the refresh token"
    );
    // The production revoker posts it to the configured endpoint.
    let connector = std::sync::Arc::new(declutter_web::connect::Connector::new(
        None,
        Some(oauth_client(&fake)),
        declutter_web::oauth_flow::PendingFlows::new(
            "connect",
            app.state.pool.clone(),
            app.state.keyring.clone(),
        ),
    )?);
    use declutter_web::cloud::Revoker as _;
    declutter_web::connect::HttpRevoker(connector)
        .revoke("gdrive", refresh.clone().into())
        .await?;
    assert_eq!(fake.revoked(), vec![refresh]);
    Ok(())
}

fn cloud_item(action: Action, id: &str) -> PlanItem {
    PlanItem {
        id: 0,
        group_key: "sha1:abc:10".into(),
        action,
        source: "gdrive".into(),
        provider: "gdrive".into(),
        item_id: id.into(),
        parent_id: None,
        name: format!("{id}.jpg"),
        path: format!("/Photos/{id}.jpg"),
        size: 10,
        modified_ns: 0,
        hash_kind: Some("sha1".into()),
        hash: Some("abc".into()),
        etag: None,
        state: "planned".into(),
        reason: None,
        trash_id: None,
    }
}

#[tokio::test]
async fn apply_on_a_read_only_drive_offers_allow_changes() -> TestResult {
    let (app, fake) = app_with_drives().await?;
    let b = app.user("p@example.com", "P").await?;
    connect(&app, &b, "gdrive", &[]).await?;
    let me: serde_json::Value = b.get("/api/me").await?.json().await?;
    let owner: declutter_core::ids::UserId = me["id"].as_str().ok_or("id")?.parse()?;
    let mut conn = app.db()?;
    let plan = declutter_core::store::plans::insert(
        &mut *conn,
        &owner,
        "newest",
        &[
            cloud_item(Action::Keep, "a"),
            cloud_item(Action::Remove, "b"),
        ],
    )?;
    let page = b.text(&format!("/plans/{plan}")).await?;
    assert!(page.contains("Allow changes"));
    assert!(page.contains("action=\"/connections/gdrive/connect\""));
    let res = b
        .client
        .post(b.url(&format!("/api/plans/{plan}/apply")))
        .header("x-csrf-token", b.csrf("/account").await?)
        .send()
        .await?;
    assert_eq!(res.status(), 409, "refused while read-only");
    assert!(res.text().await?.contains("Allow changes"));
    // The button's form: write access, then back to the plan.
    let next = connect(
        &app,
        &b,
        "gdrive",
        &[("access", "write"), ("next", &format!("/plans/{plan}"))],
    )
    .await?;
    assert_eq!(next, format!("/plans/{plan}"));
    assert_eq!(fake.last_authorize()["include_granted_scopes"], "true");
    let page = b.text(&format!("/plans/{plan}")).await?;
    assert!(!page.contains("Allow changes"), "write access granted");
    Ok(())
}
