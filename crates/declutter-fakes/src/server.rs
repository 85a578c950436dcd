//! Starting an axum app on an ephemeral loopback port, stopped when the handle drops.

use std::net::SocketAddr;

use axum::Router;
use tokio::task::JoinHandle;

/// The fake server could not start.
#[derive(Debug, thiserror::Error)]
pub enum FakeError {
    /// Binding the loopback port failed.
    #[error("cannot bind fake server: {0}")]
    Bind(#[from] std::io::Error),
}

/// A running server.
#[derive(Debug)]
pub struct Running {
    /// Bound address.
    pub addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves `app` on `127.0.0.1:0`.
pub async fn serve(app: Router) -> Result<Running, FakeError> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            eprintln!("fake server stopped: {e}");
        }
    });
    Ok(Running { addr, task })
}
