//! Webhooks delivered to a real receiver over HTTP: signed, retried with backoff, never
//! blocking creation, never carrying content.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use http::{HeaderMap, StatusCode};
use paste_api::webhook::{Event, SIGNATURE_HEADER, verify};
use platform::layers::{LayerConfig, layers};
use platform::serve::ServeOptions;
use platform::testkit::RunningServer;
use secrecy::SecretString;

use crate::support::{BoxError, Server, TestResult, http, s};

const SECRET: &str = "webhook-secret-webhook-secret-0123456789";

#[derive(Clone, Default)]
struct Receiver {
    seen: Arc<Mutex<Vec<(HeaderMap, Bytes)>>>,
    fail_first: Arc<Mutex<u32>>,
}

async fn receive(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let mut fail = r
        .fail_first
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if *fail > 0 {
        *fail -= 1;
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    r.seen
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push((headers, body));
    StatusCode::NO_CONTENT
}

async fn receiver(fail_first: u32) -> Result<(Receiver, RunningServer), BoxError> {
    let r = Receiver::default();
    *r.fail_first
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = fail_first;
    let app = Router::new()
        .route("/hook", post(receive))
        .with_state(r.clone());
    Ok((
        r.clone(),
        RunningServer::start(layers(app, LayerConfig::default()), ServeOptions::default()).await?,
    ))
}

async fn wait_for(r: &Receiver, n: usize) -> Vec<(HeaderMap, Bytes)> {
    for _ in 0..200 {
        let seen = r
            .seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        if seen.len() >= n {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    r.seen
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone()
}

#[tokio::test]
async fn created_and_deleted_events_arrive_signed_and_without_content() -> TestResult {
    let (r, hook) = receiver(0).await?;
    let url = format!("{}/hook", hook.base_url(false));
    let server = Server::start(move |c| {
        c.webhook_urls = vec![url];
        c.webhook_secret = Some(SecretString::from(SECRET));
    })
    .await?;
    let c = http();
    let created: serde_json::Value = c
        .post(server.url("/"))
        .header("x-burn-after-read", "true")
        .body("top secret content")
        .send()
        .await?
        .json()
        .await?;
    let id = s(&created, "id");
    c.get(server.url(&format!("/{id}/raw"))).send().await?;
    let seen = wait_for(&r, 2).await;
    assert_eq!(seen.len(), 2, "both events delivered");
    let now = paste_core::now_unix();
    let mut kinds = Vec::new();
    for (headers, body) in &seen {
        let sig = headers[SIGNATURE_HEADER].to_str()?;
        verify(SECRET.as_bytes(), sig, body, now, 300)?;
        assert!(verify(b"wrong secret", sig, body, now, 300).is_err());
        let text = String::from_utf8_lossy(body);
        assert!(!text.contains("top secret"), "content leaked into an event");
        let event: Event = serde_json::from_slice(body)?;
        assert_eq!(event.paste.id, id);
        kinds.push((event.kind, event.reason));
    }
    assert_eq!(
        kinds,
        vec![
            ("paste.created".to_owned(), None),
            ("paste.deleted".to_owned(), Some("burned".to_owned()))
        ]
    );
    Ok(())
}

#[tokio::test]
async fn failed_deliveries_are_retried_with_backoff() -> TestResult {
    let (r, hook) = receiver(2).await?;
    let url = format!("{}/hook", hook.base_url(false));
    let server = Server::start(move |c| {
        c.webhook_urls = vec![url];
        c.webhook_secret = Some(SecretString::from(SECRET));
        c.webhook_retry_base = Duration::from_millis(50);
    })
    .await?;
    http().post(server.url("/")).body("retry me").send().await?;
    let seen = wait_for(&r, 1).await;
    assert_eq!(seen.len(), 1, "delivered after two failures");
    assert_eq!(
        *r.fail_first
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
        0
    );
    Ok(())
}

#[tokio::test]
async fn a_dead_endpoint_does_not_hold_up_creation() -> TestResult {
    // Accepts connections and never answers: every delivery hangs until its timeout.
    let black_hole = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hook", black_hole.local_addr()?);
    let server = Server::start(move |c| {
        c.webhook_urls = vec![url];
        c.webhook_secret = Some(SecretString::from(SECRET));
    })
    .await?;
    let c = http();
    // Twenty creations all complete while the first deliveries are still stuck in flight.
    for i in 0..20 {
        let res = tokio::time::timeout(
            Duration::from_secs(5),
            c.post(server.url("/")).body(format!("paste {i}")).send(),
        )
        .await??;
        assert_eq!(res.status(), 201);
    }
    let conn = platform_db::open(&server.db_path())?;
    let pending: i64 = conn.query_row("SELECT count(*) FROM webhook_outbox", [], |r| r.get(0))?;
    assert_eq!(
        pending, 20,
        "every event is queued durably while the endpoint is dead"
    );
    drop(black_hole);
    Ok(())
}
