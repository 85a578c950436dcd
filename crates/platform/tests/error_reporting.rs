//! Error reporting against a fake Sentry ingestion server over real HTTP: panics and internal
//! errors arrive as events tagged with the request id, without cookies, credentials or bodies;
//! without a DSN nothing is sent.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use platform::Problem;
use platform::error_reporting::{ErrorReporter, ReporterOptions};
use platform::layers::{LayerConfig, layers};
use platform::serve::ServeOptions;
use platform::testkit::RunningServer;
use tokio::net::TcpListener;

type Received = Arc<Mutex<Vec<(String, String)>>>;

/// Accepts `POST /api/{project}/envelope/` like Sentry's ingestion endpoint and keeps the
/// bodies.
async fn fake_sentry() -> anyhow::Result<(String, Received)> {
    let received: Received = Arc::default();
    let app = Router::new()
        .route(
            "/api/{project}/envelope/",
            post(
                |State(r): State<Received>, Path(project): Path<String>, body: String| async move {
                    if let Ok(mut r) = r.lock() {
                        r.push((project, body));
                    }
                    r#"{"id":"00000000000000000000000000000000"}"#
                },
            ),
        )
        .with_state(received.clone());
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok((format!("http://public-key@{addr}/42"), received))
}

/// A service whose routes panic, fail, or are merely unavailable, behind the platform layers.
async fn service(reporter: Option<ErrorReporter>) -> anyhow::Result<RunningServer> {
    let app = Router::new()
        .route(
            "/panic",
            post(|| async {
                if std::hint::black_box(true) {
                    panic!("boom while checking password=hunter2-secret");
                }
                "unreachable"
            }),
        )
        .route(
            "/items/{id}/fail",
            post(|| async {
                Problem::internal("db exploded; refresh_token=tok-secret-1 was in the row")
            }),
        )
        .route(
            "/busy",
            get(|| async { Problem::unavailable("database is locked") }),
        )
        .route("/ok", get(|| async { "ok" }));
    let app = layers(
        app,
        LayerConfig {
            error_reporter: reporter,
            ..LayerConfig::default()
        },
    );
    RunningServer::start(app, ServeOptions::default())
        .await
        .map_err(|e| anyhow::anyhow!(e))
}

const SECRETS: &[&str] = &[
    "cookie-secret-1",
    "auth-secret-1",
    "body-secret-1",
    "hunter2-secret",
    "tok-secret-1",
    "query-secret-1",
];

/// Sends the three failing requests, each with a cookie, credentials and a secret body.
async fn hit(base: &str) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    for (method, path, id) in [
        (reqwest::Method::POST, "/panic", "req-panic-1"),
        (
            reqwest::Method::POST,
            "/items/7/fail?api_key=query-secret-1",
            "req-fail-1",
        ),
        (reqwest::Method::GET, "/busy", "req-busy-1"),
        (reqwest::Method::GET, "/ok", "req-ok-1"),
    ] {
        let res = http
            .request(method, format!("{base}{path}"))
            .header("x-request-id", id)
            .header("cookie", "__Host-session=cookie-secret-1")
            .header("authorization", "Bearer auth-secret-1")
            .header("content-type", "application/json")
            .body(r#"{"password":"body-secret-1"}"#)
            .send()
            .await?;
        let status = res.status().as_u16();
        let body = res.text().await?;
        for s in SECRETS {
            assert!(!body.contains(s), "{path} leaked {s} in {body}");
        }
        assert!(matches!(status, 200 | 500 | 503), "{path}: {status}");
    }
    Ok(())
}

#[tokio::test]
async fn panics_and_internal_errors_reach_sentry_scrubbed() -> anyhow::Result<()> {
    let (dsn, received) = fake_sentry().await?;
    let reporter = ErrorReporter::from_dsn(
        Some(&dsn),
        ReporterOptions {
            release: Some("test@1".into()),
            environment: Some("test".into()),
        },
    )?
    .ok_or_else(|| anyhow::anyhow!("a DSN gives a reporter"))?;
    let server = service(Some(reporter.clone())).await?;
    let base = server.base_url(false);
    hit(&base).await?;
    let r = reporter.clone();
    let drained = tokio::task::spawn_blocking(move || r.flush(Duration::from_secs(10))).await?;
    assert!(drained, "the sender drained its queue");
    // The sender thread posts before `flush` returns; allow the fake a moment to record it.
    let deadline = Instant::now() + Duration::from_secs(5);
    let events = loop {
        let got = received.lock().map(|r| r.clone()).unwrap_or_default();
        if got.len() >= 2 || Instant::now() > deadline {
            break got;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(
        events.len(),
        2,
        "one event per 500, none for 503/200: {events:#?}"
    );
    for (project, body) in &events {
        assert_eq!(project, "42");
        for s in SECRETS {
            assert!(!body.contains(s), "event leaked {s}: {body}");
        }
        for absent in ["\"request\"", "\"user\"", "cookie", "authorization"] {
            assert!(
                !body.to_ascii_lowercase().contains(absent),
                "event has {absent}: {body}"
            );
        }
        assert!(body.contains("\"release\":\"test@1\""), "{body}");
    }
    let panic = events
        .iter()
        .find(|(_, b)| b.contains("\"request_id\":\"req-panic-1\""))
        .ok_or_else(|| anyhow::anyhow!("no panic event: {events:#?}"))?;
    assert!(panic.1.contains("\"failure\":\"panic\""), "{}", panic.1);
    assert!(panic.1.contains("\"level\":\"fatal\""), "{}", panic.1);
    assert!(panic.1.contains("handler panicked: boom"), "{}", panic.1);
    assert!(panic.1.contains("\"route\":\"/panic\""), "{}", panic.1);
    let fail = events
        .iter()
        .find(|(_, b)| b.contains("\"request_id\":\"req-fail-1\""))
        .ok_or_else(|| anyhow::anyhow!("no internal-error event: {events:#?}"))?;
    assert!(
        fail.1.contains("\"failure\":\"internal_error\""),
        "{}",
        fail.1
    );
    // The route template, never the raw path or its query.
    assert!(
        fail.1.contains("\"route\":\"/items/{id}/fail\""),
        "{}",
        fail.1
    );
    assert!(fail.1.contains("db exploded"), "{}", fail.1);
    assert!(reporter.close(Duration::from_secs(5)));
    Ok(())
}

/// Unset, empty and blank DSNs (`SENTRY_DSN=` in a unit file) all mean "off", never an error
/// and never a client; a service without one sends nothing, while the same requests through a
/// service reporting to the same fake arrive (the control that the fake would have seen them).
#[tokio::test]
async fn without_a_dsn_nothing_is_sent() -> anyhow::Result<()> {
    let (dsn, received) = fake_sentry().await?;
    for off in [None, Some(""), Some("   ")] {
        let reporter = ErrorReporter::from_dsn(off, ReporterOptions::default())?;
        assert!(reporter.is_none(), "{off:?} gave a reporter");
    }
    let quiet = service(None).await?;
    hit(&quiet.base_url(false)).await?;

    let reporter = ErrorReporter::from_dsn(Some(&dsn), ReporterOptions::default())?
        .ok_or_else(|| anyhow::anyhow!("a DSN gives a reporter"))?;
    let loud = service(Some(reporter.clone())).await?;
    hit(&loud.base_url(false)).await?;
    let r = reporter.clone();
    assert!(tokio::task::spawn_blocking(move || r.flush(Duration::from_secs(10))).await?);
    let deadline = Instant::now() + Duration::from_secs(5);
    let events = loop {
        let got = received.lock().map(|r| r.clone()).unwrap_or_default();
        if got.len() >= 2 || Instant::now() > deadline {
            break got;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(
        events.len(),
        2,
        "only the reporting service's two: {events:#?}"
    );
    assert!(reporter.close(Duration::from_secs(5)));
    Ok(())
}
