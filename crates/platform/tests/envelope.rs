//! The platform envelope over real HTTP: panics become problem-details 500s on a connection that
//! keeps serving, a handler that overruns the request timeout is answered 408, and every answer,
//! errors included, carries the security headers and the request id, with a handler's own header
//! values left as the handler set them.

use std::time::Duration;

use axum::Router;
use axum::response::{AppendHeaders, IntoResponse};
use axum::routing::get;
use http::header;
use platform::layers::{LayerConfig, layers};
use platform::metrics::{HttpMetrics, MetricsRegistry};
use platform::serve::ServeOptions;
use platform::testkit::RunningServer;

async fn service(registry: &MetricsRegistry) -> anyhow::Result<RunningServer> {
    let app = Router::new()
        .route(
            "/panic-at-once",
            get(|| async {
                if std::hint::black_box(true) {
                    panic!("boom");
                }
                "unreachable"
            }),
        )
        .route(
            "/panic-later",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(20)).await;
                if std::hint::black_box(true) {
                    panic!("boom after a wait");
                }
                "unreachable"
            }),
        )
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                "too late"
            }),
        )
        .route(
            "/own-headers",
            get(|| async {
                (
                    AppendHeaders([
                        (header::CACHE_CONTROL, "max-age=60"),
                        (header::SET_COOKIE, "a=1"),
                        (header::SET_COOKIE, "b=2"),
                    ]),
                    "mine",
                )
                    .into_response()
            }),
        );
    let app = layers(
        app,
        LayerConfig {
            request_timeout: Duration::from_millis(300),
            hsts: true,
            metrics: Some(HttpMetrics::new(registry)),
            ..LayerConfig::default()
        },
    );
    RunningServer::start(app, ServeOptions::default())
        .await
        .map_err(|e| anyhow::anyhow!(e))
}

fn assert_enveloped(res: &reqwest::Response) {
    let h = res.headers();
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["x-frame-options"], "DENY");
    assert!(h.contains_key("strict-transport-security"));
    assert!(h.contains_key("x-request-id"));
}

#[tokio::test]
async fn panics_timeouts_and_own_headers() -> anyhow::Result<()> {
    let registry = MetricsRegistry::new("t");
    let server = service(&registry).await?;
    let base = server.base_url(false);
    // One client, so every request after a panic reuses the same kept-alive connection.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .build()?;

    for path in ["/panic-at-once", "/panic-later"] {
        let res = client.get(format!("{base}{path}")).send().await?;
        assert_eq!(res.status(), 500, "{path}");
        assert_enveloped(&res);
        assert_eq!(
            res.headers()[header::CONTENT_TYPE],
            "application/problem+json"
        );
        let body = res.text().await?;
        assert!(!body.contains("boom"), "the panic message leaked: {body}");
    }

    let res = client.get(format!("{base}/slow")).send().await?;
    assert_eq!(res.status(), 408);
    assert_enveloped(&res);

    let res = client
        .get(format!("{base}/own-headers"))
        .header("x-request-id", "own-1")
        .send()
        .await?;
    assert_eq!(res.status(), 200);
    assert_enveloped(&res);
    assert_eq!(res.headers()["x-request-id"], "own-1");
    let cache: Vec<_> = res
        .headers()
        .get_all(header::CACHE_CONTROL)
        .iter()
        .collect();
    assert_eq!(cache, ["max-age=60"]);
    let cookies: Vec<_> = res.headers().get_all(header::SET_COOKIE).iter().collect();
    assert_eq!(cookies, ["a=1", "b=2"]);
    assert_eq!(res.text().await?, "mine");

    let metrics = registry.render();
    for line in [
        r#"route="/panic-at-once",status="500""#,
        r#"route="/panic-later",status="500""#,
        r#"route="/slow",status="408""#,
        r#"route="/own-headers",status="200""#,
    ] {
        assert!(
            metrics.contains(line),
            "no histogram series with {line}:\n{metrics}"
        );
    }
    Ok(())
}
