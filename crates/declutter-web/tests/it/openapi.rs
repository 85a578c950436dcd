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
    // Every link names an operation of the document.
    let ids: BTreeSet<&str> = doc["paths"]
        .as_object()
        .ok_or("paths")?
        .values()
        .flat_map(|item| item.as_object().into_iter().flat_map(|m| m.values()))
        .filter_map(|op| op["operationId"].as_str())
        .collect();
    let created = &doc["paths"]["/api/plans"]["post"]["responses"]["201"]["links"];
    assert_eq!(
        created["applyPlan"]["parameters"]["id"],
        "$response.body#/id"
    );
    for piece in text.split("\"operationId\":\"").skip(1) {
        let id = piece.split('"').next().ok_or("id")?;
        assert!(ids.contains(id), "a link names no operation: {id}");
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
fn every_operation_documents_the_problems_it_can_answer() -> TestResult {
    use utoipa::OpenApi as _;
    // The document is generated from the handlers alone; nothing is written by hand.
    let generated = serde_json::to_value(declutter_web::handlers::api_doc::ApiDoc::openapi())?;
    let mut operation_ids = BTreeSet::new();
    for (method, path, _) in table()
        .into_iter()
        .filter(|(_, p, _)| p.starts_with("/api/"))
    {
        let method = method.as_str().to_lowercase();
        let op = &generated["paths"][path][&method];
        assert!(op.is_object(), "{method} {path} is not annotated");
        let id = op["operationId"].as_str().unwrap_or_default();
        assert!(
            operation_ids.insert(id.to_owned()),
            "{method} {path}: operationId {id:?} is used twice"
        );
        if path == "/api/openapi.json" || path == "/api/docs" {
            continue;
        }
        for code in ["401", "403", "429", "503"] {
            assert!(
                !op["responses"][code].is_null(),
                "{method} {path}: no {code}"
            );
        }
        if path.contains('{') {
            assert!(!op["responses"]["404"].is_null(), "{method} {path}: no 404");
        }
        let reads_input = !op["requestBody"].is_null()
            || op["parameters"]
                .as_array()
                .is_some_and(|ps| ps.iter().any(|p| p["in"] != "path"));
        if reads_input {
            assert!(!op["responses"]["422"].is_null(), "{method} {path}: no 422");
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
