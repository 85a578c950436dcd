//! The OpenAPI document parses and lists exactly the `/api` routes of the route table.

use std::collections::BTreeSet;

use declutter_web::router::table;

use crate::support::{TestApp, TestResult};

#[tokio::test]
async fn openapi_lists_every_api_route() -> TestResult {
    let app = TestApp::start().await?;
    let res = app
        .plain()?
        .get(app.url("/api/openapi.json"))
        .send()
        .await?;
    assert_eq!(res.status(), 200);
    let doc: serde_json::Value = res.json().await?;
    assert_eq!(doc["openapi"], "3.1.0");
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().ok_or("paths")? {
        for method in item.as_object().ok_or("path item")?.keys() {
            documented.insert((method.to_uppercase(), path.clone()));
        }
    }
    let routed: BTreeSet<(String, String)> = table()
        .into_iter()
        .filter(|(_, p, _)| p.starts_with("/api/"))
        .map(|(m, p, _)| (m.as_str().to_owned(), p.to_owned()))
        .collect();
    assert_eq!(documented, routed, "openapi.json and router.rs disagree");
    // Every $ref resolves.
    let text = doc.to_string();
    for piece in text.split("\"$ref\":\"#/components/").skip(1) {
        let target = piece.split('"').next().ok_or("ref")?;
        let mut node = &doc["components"];
        for part in target.split('/') {
            node = &node[part];
        }
        assert!(!node.is_null(), "dangling $ref {target}");
    }
    Ok(())
}

#[tokio::test]
async fn swagger_ui_is_served_from_our_own_assets() -> TestResult {
    let app = TestApp::start().await?;
    let client = app.plain()?;
    let res = client.get(app.url("/api/docs")).send().await?;
    assert_eq!(res.status(), 200);
    let csp = res
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
    let html = res.text().await?;
    assert!(!html.contains("https://"), "no CDN");
    assert!(!html.contains("<script>"), "no inline script");
    for asset in ["swagger-ui-bundle.", "swagger-ui.", "swagger-init."] {
        let start = html.find(&format!("/static/{asset}")).ok_or(asset)?;
        let end = start + html[start..].find('"').ok_or("quote")?;
        let res = client.get(app.url(&html[start..end])).send().await?;
        assert_eq!(res.status(), 200, "{asset}");
        assert!(res.bytes().await?.len() > 100);
    }
    Ok(())
}

/// Swagger UI actually renders under the strict CSP (no inline script or `unsafe-eval`
/// needed): headless Chromium's DOM after load shows the document's title. Skipped, loudly,
/// without chromium, except under `CI=true`, where that fails.
#[tokio::test]
async fn swagger_ui_renders_in_chromium_under_the_csp() -> TestResult {
    const CHROMIUM: &str = "/usr/bin/chromium";
    if !std::path::Path::new(CHROMIUM).exists() {
        return crate::support::tool_missing(CHROMIUM);
    }
    let app = TestApp::start().await?;
    let profile = app.dir.path().join("chromium-profile");
    let out = tokio::process::Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--virtual-time-budget=10000",
            "--enable-logging=stderr",
            &format!("--user-data-dir={}", profile.display()),
            "--dump-dom",
            &app.url("/api/docs"),
        ])
        .kill_on_drop(true)
        .output()
        .await?;
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(
        dom.contains("Declutter Cloud API") && dom.contains("/api/plans/{id}/apply"),
        "Swagger UI did not render: {}\n{}",
        dom.chars().take(3000).collect::<String>(),
        String::from_utf8_lossy(&out.stderr)
            .lines()
            .filter(|l| l.contains("CONSOLE") || l.contains("Content Security"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    Ok(())
}

#[test]
fn the_annotated_routes_need_no_hand_written_entry() -> TestResult {
    use utoipa::OpenApi as _;
    // The generated part alone (before the hand-written paths are merged in) documents these.
    let generated = serde_json::to_value(declutter_web::handlers::api_doc::ApiDoc::openapi())?;
    for (method, path) in [
        ("post", "/api/tokens"),
        ("get", "/api/me"),
        ("get", "/api/connections"),
        ("delete", "/api/connections/{id}"),
        ("get", "/api/audit"),
        ("get", "/api/admin/users"),
        ("get", "/api/admin/sources"),
        ("post", "/api/admin/sources"),
        ("get", "/api/sources"),
        ("post", "/api/sources/{id}/scans"),
        ("post", "/api/connections/{id}/scans"),
        ("get", "/api/scans/{id}"),
        ("get", "/api/files/{id}/thumbnail"),
        ("get", "/api/report"),
        ("get", "/api/usage"),
        ("get", "/api/openapi.json"),
        ("get", "/api/docs"),
    ] {
        let op = &generated["paths"][path][method];
        assert!(op.is_object(), "{method} {path} is not annotated");
        if path != "/api/openapi.json" && path != "/api/docs" {
            for code in ["401", "403", "429", "503"] {
                assert!(
                    !op["responses"][code].is_null(),
                    "{method} {path}: no {code}"
                );
            }
        }
        if path.contains('{') {
            assert!(!op["responses"]["404"].is_null(), "{method} {path}: no 404");
        }
    }
    Ok(())
}

#[tokio::test]
async fn an_id_that_is_not_a_positive_integer_names_nothing() -> TestResult {
    let app = TestApp::start().await?;
    let ann = app.user("ann@example.com", "Ann").await?;
    for path in [
        "/api/scans/abc",
        "/api/scans/0",
        "/api/scans/-4",
        "/api/scans/99999999999999999999",
    ] {
        let res = ann.get(path).await?;
        assert_eq!(res.status(), 404, "{path}");
        assert_eq!(
            res.headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("application/problem+json"),
            "{path}"
        );
    }
    Ok(())
}
