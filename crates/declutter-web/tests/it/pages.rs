//! Pages: escaping, CSP, static asset caching, health.

use crate::support::{TestApp, TestResult};

#[tokio::test]
async fn xss_in_display_names_renders_inert() -> TestResult {
    let app = TestApp::start().await?;
    let payload = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'";
    let admin = app.user("r@example.com", payload).await?;
    for page in ["/dashboard", "/account", "/admin/users"] {
        let res = admin.get(page).await?;
        let csp = res.headers()["content-security-policy"]
            .to_str()?
            .to_owned();
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{page}: {csp}"
        );
        let html = res.text().await?;
        assert!(
            !html.contains("<script>alert(1)") && !html.contains("<img src=x"),
            "{page} renders the payload raw"
        );
        assert!(
            html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
            "{page} escapes it"
        );
    }
    Ok(())
}

#[tokio::test]
async fn assets_are_hashed_and_immutable() -> TestResult {
    let app = TestApp::start().await?;
    let b = app.browser()?;
    let res = b.get("/login").await?;
    assert_eq!(
        res.headers()["referrer-policy"],
        "same-origin",
        "own form posts keep their Origin"
    );
    let html = res.text().await?;
    assert!(
        !html.contains("<script>") && !html.contains("style="),
        "no inline script or style"
    );
    let start = html.find("/static/app.").ok_or("no stylesheet")?;
    let href = &html[start..start + html[start..].find('"').ok_or("quote")?];
    assert!(href.ends_with(".css") && href.len() > "/static/app..css".len());
    let res = b.get(href).await?;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(
        b.get("/static/app.css").await?.status(),
        404,
        "only hashed names are served"
    );
    Ok(())
}

#[tokio::test]
async fn health_and_unknown_routes() -> TestResult {
    let app = TestApp::start().await?;
    let c = app.plain()?;
    assert_eq!(c.get(app.url("/healthz")).send().await?.status(), 200);
    let ready: serde_json::Value = c.get(app.url("/readyz")).send().await?.json().await?;
    assert_eq!(ready["database"], "ok");
    assert_eq!(ready["queue"], "ok", "both scan workers run");
    let res = c.get(app.url("/nope")).send().await?;
    assert_eq!(res.status(), 404);
    let res = c.get(app.url("/metrics")).send().await?;
    assert_eq!(res.status(), 404, "metrics are not on the public port");
    Ok(())
}
