//! Browsers get HTML error pages (404, 405, 422), never raw JSON; a refused form is shown again
//! with what was typed; API clients keep problem documents.

use http::header::CONTENT_TYPE;

use crate::support::{TestApp, TestResult};

fn is_html(res: &reqwest::Response) -> bool {
    res.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"))
}

#[tokio::test]
async fn browsers_get_html_error_pages_and_forms_keep_what_was_typed() -> TestResult {
    let app = TestApp::start().await?;
    let admin = app.user("admin@example.com", "Admin").await?;
    for (method, path, status) in [
        (reqwest::Method::GET, "/no/such/page", 404),
        (reqwest::Method::DELETE, "/dupes", 405),
        (reqwest::Method::GET, "/dupes?page=0", 422),
        (reqwest::Method::GET, "/dupes?sort=nonsense", 422),
        (reqwest::Method::GET, "/plans/999999", 404),
    ] {
        let res = admin
            .client
            .request(method.clone(), admin.url(path))
            .send()
            .await?;
        assert_eq!(res.status(), status, "{method} {path}");
        assert!(is_html(&res), "{method} {path} is an HTML page");
        let body = res.text().await?;
        assert!(
            body.contains(&format!("<h1>{status}</h1>")),
            "{path}: {body}"
        );
    }
    // The API answers the same mistakes with problem documents.
    let res = admin.get("/api/dupes?page=0").await?;
    assert_eq!(res.status(), 422);
    assert_eq!(res.headers()[CONTENT_TYPE], "application/problem+json");

    // A folder outside the allowed roots is refused on the page itself, the form as typed.
    let me: serde_json::Value = admin.get("/api/me").await?.json().await?;
    let uid = me["id"].as_str().ok_or("id")?;
    let res = admin
        .submit(
            "/admin/sources",
            "/admin/sources",
            &[("user_id", uid), ("path", "/etc/not-allowed")],
        )
        .await?;
    assert_eq!(res.status(), 422);
    assert!(is_html(&res));
    let html = res.text().await?;
    assert!(html.contains("class=\"error\""), "the reason is shown");
    assert!(
        html.contains("value=\"/etc/not-allowed\""),
        "the path is kept"
    );
    assert!(
        html.contains(&format!("value=\"{uid}\" selected")),
        "the account is kept"
    );
    Ok(())
}

#[tokio::test]
async fn the_first_admin_is_led_to_add_a_folder_and_cloud_buttons_say_when_unset() -> TestResult {
    let app = TestApp::start().await?;
    let admin = app.user("first@example.com", "First").await?;
    let html = admin.text("/dashboard").await?;
    assert!(html.contains("href=\"/admin/sources\">Add a local folder</a>"));
    assert!(
        html.contains("not set up on this server"),
        "no OAuth client"
    );
    let sources = admin.text("/sources").await?;
    assert!(sources.contains("not set up on this server"));
    assert!(
        !sources.contains("Connect OneDrive or Google Drive"),
        "no dead link"
    );
    let account = admin.text("/account").await?;
    assert!(account.contains("not set up on this server"));
    // A second account is not an admin: it is told who assigns folders.
    let user = app.user("second@example.com", "Second").await?;
    let html = user.text("/dashboard").await?;
    assert!(html.contains("An administrator of this server assigns local folders"));
    assert!(!html.contains("Add a local folder"));
    Ok(())
}
