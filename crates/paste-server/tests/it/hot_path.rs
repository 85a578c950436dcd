//! The in-memory read path in front of the router, and how raw content leaves the server. Two
//! servers share one state: the full one, and one whose router knows no route at all, so anything
//! that one answers with a 200 came from the fast path, and anything the fast path leaves to the
//! router gets a 404 there.

use axum::Router;
use paste_server::hot_raw::HotRaw;
use paste_server::{Config, build_state, router};
use platform::layers::{LayerConfig, routes, stack};
use platform::metrics::HttpMetrics;
use platform::serve::ServeOptions;
use platform::testkit::RunningServer;
use reqwest::header::HeaderMap;
use serde_json::Value;

use crate::support::{TestResult, http, s};

/// The headers that must match between two answers to the same read.
fn stable(headers: &HeaderMap) -> Vec<(String, String)> {
    let mut kept: Vec<_> = headers
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "x-request-id" | "date"))
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                value.to_str().unwrap_or("<bytes>").to_owned(),
            )
        })
        .collect();
    kept.sort();
    kept
}

#[tokio::test]
async fn cached_reads_are_answered_alike_without_the_router_and_nothing_else_is() -> TestResult {
    let dir = tempfile::tempdir()?;
    let mut cfg = Config::for_tests(dir.path());
    cfg.url_prefix = "/p".into();
    let state = build_state(cfg).await?;
    let full = RunningServer::start(
        stack(
            HotRaw::new(routes(router(state.clone())), state.clone()),
            LayerConfig {
                metrics: Some(HttpMetrics::new(&state.registry)),
                ..LayerConfig::default()
            },
        ),
        ServeOptions::default(),
    )
    .await?;
    let bare = RunningServer::start(
        stack(
            HotRaw::new(routes(Router::new()), state.clone()),
            LayerConfig::default(),
        ),
        ServeOptions::default(),
    )
    .await?;
    let on = |server: &RunningServer, path: &str| format!("{}{path}", server.base_url(false));
    let c = http();

    // Active content, so the answer carries the sandbox and the plain-text type.
    let created: Value = c
        .post(on(&full, "/p/"))
        .body("<html><script>alert(1)</script></html>")
        .send()
        .await?
        .json()
        .await?;
    let raw = s(&created, "raw");
    let first = c.get(on(&full, &raw)).send().await?; // through the router; fills the cache
    let second = c.get(on(&full, &raw)).send().await?;
    let fast = c.get(on(&bare, &raw)).send().await?;
    for res in [&first, &second, &fast] {
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "text/plain; charset=utf-8");
        assert!(res.headers().contains_key("x-request-id"));
    }
    assert_eq!(stable(first.headers()), stable(second.headers()));
    assert_eq!(stable(first.headers()), stable(fast.headers()));
    let bodies = [
        first.text().await?,
        second.text().await?,
        fast.text().await?,
    ];
    assert!(
        bodies
            .iter()
            .all(|b| b == "<html><script>alert(1)</script></html>")
    );

    // Everything but a GET of exactly `{prefix}/{id}/raw` of a cached paste is the router's.
    let id = s(&created, "id");
    assert_eq!(c.head(on(&bare, &raw)).send().await?.status(), 404);
    for path in [
        format!("/p/{id}/raw/"),
        format!("/{id}/raw"),
        format!("/p/{id}"),
        format!("/p//{id}/raw"),
    ] {
        let status = c.get(on(&bare, &path)).send().await?.status();
        assert_eq!(status, 404, "{path}");
    }
    // As for the router, a query string is no part of the path.
    let queried = c
        .get(on(&bare, &format!("{raw}?download=1")))
        .send()
        .await?;
    assert_eq!(queried.status(), 200);

    // Pastes that need checks are never held in memory.
    let locked: Value = c
        .post(on(&full, "/p/"))
        .header("x-paste-password", "correct horse battery")
        .body("locked")
        .send()
        .await?
        .json()
        .await?;
    let locked_raw = s(&locked, "raw");
    let opened = c
        .get(on(&full, &locked_raw))
        .header("x-paste-password", "correct horse battery")
        .send()
        .await?;
    assert_eq!(opened.status(), 200);
    let again = c
        .get(on(&bare, &locked_raw))
        .header("x-paste-password", "correct horse battery")
        .send()
        .await?;
    assert_eq!(
        again.status(),
        404,
        "a protected paste was served from memory"
    );
    let burning: Value = c
        .post(on(&full, "/p/"))
        .header("x-burn-after-read", "true")
        .body("once")
        .send()
        .await?
        .json()
        .await?;
    let burning_raw = s(&burning, "raw");
    assert_eq!(c.get(on(&bare, &burning_raw)).send().await?.status(), 404);
    assert_eq!(c.get(on(&full, &burning_raw)).send().await?.status(), 200);
    assert_eq!(c.get(on(&full, &burning_raw)).send().await?.status(), 404);

    // Both ways are counted under the route template the router would have matched.
    let metrics = state.registry.render();
    let series = r#"_count{method="GET",route="/p/{id}/raw",status="200"} 4"#;
    assert!(metrics.contains(series), "no {series} in\n{metrics}");
    assert!(!metrics.contains(&id), "a paste id leaked into a label");
    full.stop().await?;
    bare.stop().await?;
    Ok(())
}

/// Written flattened, a large paste goes out in slices; it must still arrive whole, with its
/// length announced.
#[tokio::test]
async fn a_large_paste_arrives_whole_with_its_length() -> TestResult {
    let server = crate::support::Server::start(|_| {}).await?;
    let c = http();
    let content: String = (0..300 * 1024)
        .map(|i: u32| {
            char::from(b'a' + u8::try_from(i.wrapping_mul(2_654_435_761) % 26).unwrap_or(0))
        })
        .collect();
    let created: Value = c
        .post(server.url("/"))
        .body(content.clone())
        .send()
        .await?
        .json()
        .await?;
    let res = c.get(server.url(&s(&created, "raw"))).send().await?;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-length"],
        content.len().to_string().as_str()
    );
    assert!(!res.headers().contains_key("transfer-encoding"));
    assert!(res.text().await? == content, "the body differs");
    Ok(())
}
