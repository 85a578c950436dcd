//! Serving an application in the platform stack ([`crate::layers::App`]) on an already bound
//! listener, over plain TCP or TLS, until shutdown.
//!
//! Each request carries a [`ConnInfo`] extension (peer address, whether TLS was used, the client
//! certificate's fingerprint). Slow or silent clients are bounded by handshake and header-read
//! timeouts (the latter on a per-connection clock, see `header_timer`); the number of open
//! connections is capped; on shutdown the listener closes and in-flight requests get a grace
//! period to finish.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::Request;
use axum::response::Response;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;
use tower::{Service, ServiceExt};

use crate::drain::{Drain, Watch};
use crate::header_timer::HeaderReadTimer;
use crate::layers::App;
use crate::tls::fingerprint_sha1;

/// What is known about the connection a request arrived on.
#[derive(Debug, Clone)]
pub struct ConnInfo {
    /// The TCP peer (a proxy, when there is one).
    pub peer: SocketAddr,
    /// Whether the connection is TLS terminated by this process.
    pub tls: bool,
    /// SHA-1 fingerprint of the verified client certificate, if one was presented.
    pub client_cert_sha1: Option<String>,
}

/// Connection-level limits.
#[derive(Clone)]
pub struct ServeOptions {
    /// TLS configuration; `None` serves plain HTTP.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Time allowed for a TLS handshake.
    pub handshake_timeout: Duration,
    /// Time allowed for a client to send a request's headers.
    pub header_read_timeout: Duration,
    /// Grace period for in-flight requests at shutdown.
    pub drain_timeout: Duration,
    /// Most connections open at once; further clients wait in the kernel's accept queue.
    pub max_connections: usize,
    /// Largest read (and write) buffer of one HTTP/1 connection, at least 8 KiB. A body is read
    /// from the socket at most this much at a time, so it bounds what each uploading client
    /// costs in memory; hyper's own default is about 400 KiB.
    pub max_buffer_bytes: usize,
}

impl std::fmt::Debug for ServeOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeOptions")
            .field("tls", &self.tls.is_some())
            .field("handshake_timeout", &self.handshake_timeout)
            .field("header_read_timeout", &self.header_read_timeout)
            .field("drain_timeout", &self.drain_timeout)
            .field("max_connections", &self.max_connections)
            .field("max_buffer_bytes", &self.max_buffer_bytes)
            .finish()
    }
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            tls: None,
            handshake_timeout: Duration::from_secs(10),
            header_read_timeout: Duration::from_secs(10),
            drain_timeout: Duration::from_secs(20),
            max_connections: 10_000,
            max_buffer_bytes: 8192 + 4096 * 100,
        }
    }
}

/// Connections the kernel queues for a listener of [`bind`] until the accept loop takes them
/// (it caps the figure at `net.core.somaxconn`, 4096 by default since Linux 5.4).
pub const ACCEPT_BACKLOG: u32 = 4096;

/// Binds a listener for [`serve`] whose accept queue holds [`ACCEPT_BACKLOG`] connections.
/// Tokio's own `bind` asks for 1,024: a burst of new connections beyond what the accept loop
/// takes meanwhile (a load balancer opening its upstream connections, a thousand clients at
/// once) overflowed it, and each connection dropped there waited for the client's SYN to be
/// sent again, a second later and then three.
pub fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    // As tokio's `bind`: a restarted server binds its port at once, whatever TIME_WAIT holds.
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(ACCEPT_BACKLOG)
}

/// Serves `app` on `listener` until `shutdown` resolves, then drains.
pub async fn serve<T>(
    listener: TcpListener,
    app: App<T>,
    opts: ServeOptions,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()>
where
    T: Service<Request, Response = Response, Error = Infallible> + Clone + Send + Sync + 'static,
    T::Future: Send + 'static,
{
    let acceptor = opts.tls.clone().map(TlsAcceptor::from);
    let drain = Drain::new();
    let mut builder = Builder::new(TokioExecutor::new());
    // Each connection gets its own header-read timer below. Responses are written flattened:
    // head and body copied into one buffer and sent with one `write`, rather than the head and
    // each body chunk handed to `writev` separately. For the small answers that make up most of
    // the traffic that served about 7% more cached reads per second (`bench/fpasted-load.sh`);
    // large bodies must come in bounded chunks, since each chunk is copied whole.
    builder
        .http1()
        .header_read_timeout(opts.header_read_timeout)
        .max_buf_size(opts.max_buffer_bytes.max(8192))
        .writev(false);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(Duration::from_secs(30)));
    let limit = Arc::new(Semaphore::new(opts.max_connections.max(1)));
    tracing::info!(addr = %listener.local_addr()?, tls = acceptor.is_some(), "listening");

    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&limit).acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(error) => {
                    // Typically EMFILE: back off instead of spinning.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let mut builder = builder.clone();
        builder.http1().timer(HeaderReadTimer::default());
        let watch = drain.watch();
        let acceptor = acceptor.clone();
        let handshake_timeout = opts.handshake_timeout;
        tokio::spawn(async move {
            let _permit = permit;
            let Some(acceptor) = acceptor else {
                let info = ConnInfo {
                    peer,
                    tls: false,
                    client_cert_sha1: None,
                };
                let conn = builder.serve_connection(TokioIo::new(stream), service(app, info));
                log_end(watch.serve(conn, |c| c.graceful_shutdown()).await);
                return;
            };
            let stream =
                match tokio::time::timeout(handshake_timeout, acceptor.accept(stream)).await {
                    Ok(Ok(stream)) => stream,
                    Ok(Err(error)) => {
                        tracing::debug!(%error, "TLS handshake failed");
                        return;
                    }
                    Err(_) => {
                        tracing::debug!("TLS handshake timed out");
                        return;
                    }
                };
            let client_cert_sha1 = stream
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|chain| chain.first())
                .map(|leaf| fingerprint_sha1(leaf));
            let info = ConnInfo {
                peer,
                tls: true,
                client_cert_sha1,
            };
            serve_tls(builder, watch, stream, app, info).await;
        });
    }
    drop(listener);
    drain.close();
    // Every connection holds one of the limit's permits until it ends.
    let all = u32::try_from(opts.max_connections.max(1)).unwrap_or(u32::MAX);
    tokio::select! {
        _ = limit.acquire_many(all) => tracing::info!("all connections drained"),
        () = tokio::time::sleep(opts.drain_timeout) => {
            tracing::warn!("drain timeout elapsed; closing remaining connections");
        }
    }
    Ok(())
}

async fn serve_tls<S, T>(
    builder: Builder<TokioExecutor>,
    watch: Watch,
    stream: S,
    app: App<T>,
    info: ConnInfo,
) where
    S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
    T: Service<Request, Response = Response, Error = Infallible> + Clone + Send + Sync + 'static,
    T::Future: Send + 'static,
{
    let conn = builder.serve_connection(TokioIo::new(stream), service(app, info));
    log_end(watch.serve(conn, |c| c.graceful_shutdown()).await);
}

fn service<T>(
    app: App<T>,
    info: ConnInfo,
) -> impl hyper::service::Service<
    http::Request<Incoming>,
    Response = Response,
    Error = Infallible,
    Future = impl Future<Output = Result<Response, Infallible>> + Send,
> + Clone
where
    T: Service<Request, Response = Response, Error = Infallible> + Clone + Send + Sync + 'static,
    T::Future: Send + 'static,
{
    hyper::service::service_fn(move |mut req: http::Request<Incoming>| {
        req.extensions_mut().insert(info.clone());
        app.clone().oneshot(req)
    })
}

fn log_end(result: Result<(), Box<dyn std::error::Error + Send + Sync>>) {
    if let Err(error) = result {
        // Clients that vanish mid-request are routine; nothing to alarm anyone with.
        tracing::debug!(%error, "connection ended with an error");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A burst of connections larger than tokio's own queue (1,024) all get in while the
    /// accept loop takes none of them; with tokio's `bind`, the ones past its queue are never
    /// let in (nothing accepts), so however long the wait, they fail it.
    #[tokio::test]
    async fn a_burst_of_connections_waits_in_the_accept_queue() -> std::io::Result<()> {
        const BURST: usize = 1_500;
        // As many descriptors: a soft limit of 1,024 (many desktops) is raised as far as the
        // hard one allows.
        let nofile = rustix::process::Resource::Nofile;
        let mut limit = rustix::process::getrlimit(nofile);
        if limit.current.is_some_and(|soft| soft < 4_096) {
            limit.current = Some(limit.maximum.map_or(4_096, |hard| hard.min(4_096)));
            rustix::process::setrlimit(nofile, limit)?;
        }
        let listener = bind(SocketAddr::from(([127, 0, 0, 1], 0)))?;
        let addr = listener.local_addr()?;
        let connects = (0..BURST).map(|_| {
            tokio::time::timeout(Duration::from_secs(5), tokio::net::TcpStream::connect(addr))
        });
        let streams = futures_util::future::join_all(connects).await;
        let connected = streams.iter().filter(|s| matches!(s, Ok(Ok(_)))).count();
        assert_eq!(
            connected, BURST,
            "connections left waiting past the accept queue"
        );
        drop(listener);
        Ok(())
    }
}
