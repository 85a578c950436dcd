//! Graceful shutdown over real sockets: a request in flight when shutdown begins is answered in
//! full, an idle keep-alive connection is closed without waiting for the drain timeout, and the
//! listener stops accepting. On tokio's paused clock: the slow handler, the drain timeout and
//! the bounds below are all virtual time, so the verdict does not depend on a loaded machine.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use platform::layers::{LayerConfig, layers};
use platform::serve::ServeOptions;
use platform::testkit::RunningServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio::time::{Instant, timeout};

const PATIENCE: Duration = Duration::from_secs(5);

#[tokio::test(start_paused = true)]
async fn shutdown_answers_requests_in_flight_and_closes_idle_connections() -> anyhow::Result<()> {
    let entered = Arc::new(Notify::new());
    let in_handler = Arc::clone(&entered);
    let app = Router::new()
        .route("/fast", get(|| async { "fast" }))
        .route(
            "/slow",
            get(move || async move {
                in_handler.notify_one();
                tokio::time::sleep(Duration::from_millis(400)).await;
                "slow"
            }),
        );
    let opts = ServeOptions {
        drain_timeout: Duration::from_secs(30),
        ..ServeOptions::default()
    };
    let server = RunningServer::start(layers(app, LayerConfig::default()), opts)
        .await
        .map_err(|e| anyhow::anyhow!(e))?;
    let addr = server.addr;

    // A kept-alive connection that has been answered and now sits idle.
    let mut idle = TcpStream::connect(addr).await?;
    idle.write_all(b"GET /fast HTTP/1.1\r\nHost: t\r\n\r\n")
        .await?;
    let mut answered = Vec::new();
    while !answered.ends_with(b"fast") {
        let mut chunk = [0; 1024];
        let n = timeout(PATIENCE, idle.read(&mut chunk)).await??;
        anyhow::ensure!(n > 0, "idle connection closed before its answer");
        answered.extend_from_slice(&chunk[..n]);
    }

    // A request still in its handler when shutdown begins.
    let mut busy = TcpStream::connect(addr).await?;
    busy.write_all(b"GET /slow HTTP/1.1\r\nHost: t\r\n\r\n")
        .await?;
    timeout(PATIENCE, entered.notified()).await?;
    let began = Instant::now();
    let stopping = tokio::spawn(server.stop());

    let mut reply = Vec::new();
    timeout(PATIENCE, busy.read_to_end(&mut reply)).await??;
    let reply = String::from_utf8_lossy(&reply);
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert!(reply.ends_with("slow"), "{reply}");

    let mut rest = [0; 64];
    let n = timeout(PATIENCE, idle.read(&mut rest)).await??;
    assert_eq!(n, 0, "the idle connection was not closed");

    timeout(PATIENCE, stopping)
        .await??
        .map_err(|e| anyhow::anyhow!(e))?;
    // The handler's 400 ms, not the drain timeout's 30 s.
    assert!(
        began.elapsed() < Duration::from_secs(5),
        "the drain waited for its timeout: {:?}",
        began.elapsed()
    );
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "still accepting after shutdown"
    );
    Ok(())
}
