//! Graceful shutdown of open connections, free of cost while they serve.
//!
//! hyper-util's `GracefulShutdown` hands every connection a receiver of one shared `watch`
//! channel and polls it each time the connection's task runs, which takes a lock shared by all
//! connections, several times per request: about 5% of the throughput of a cached read
//! (`bench/fpasted-load.sh`). Here each connection has its own oneshot receiver, whose poll is an
//! atomic load, and the [`Drain`] keeps the senders: closing it drops them all, each connection
//! finishes its in-flight request and closes, and a connection registered after the close is
//! told at once. Waiting for the connections to end is the caller's (the listener's connection
//! limit already counts them).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use std::future::Future;
use std::pin::Pin;

use tokio::sync::oneshot;

/// The senders of every open connection's shutdown signal; `None` once closed.
#[derive(Debug, Default)]
pub(crate) struct Drain {
    open: Mutex<Option<Registry>>,
}

#[derive(Debug, Default)]
struct Registry {
    next: u64,
    senders: HashMap<u64, oneshot::Sender<()>>,
}

impl Drain {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            open: Mutex::new(Some(Registry::default())),
        })
    }

    /// Registers a connection; its [`Watch`] unregisters it when dropped.
    pub(crate) fn watch(self: &Arc<Self>) -> Watch {
        let (tx, rx) = oneshot::channel();
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        // After the close, `tx` is dropped here and the connection is told straight away.
        let id = open.as_mut().map(|registry| {
            let id = registry.next;
            registry.next += 1;
            registry.senders.insert(id, tx);
            id
        });
        Watch {
            drain: Arc::clone(self),
            id,
            stop: rx,
        }
    }

    /// Tells every open connection, and any registered later, to finish and close.
    pub(crate) fn close(&self) {
        let registry = self
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        drop(registry);
    }
}

/// One connection's registration and shutdown signal.
#[derive(Debug)]
pub(crate) struct Watch {
    drain: Arc<Drain>,
    id: Option<u64>,
    stop: oneshot::Receiver<()>,
}

impl Watch {
    /// Drives `conn` to its end, calling `shutdown` on it (hyper's graceful shutdown: in-flight
    /// requests finish, no new ones are read) once the drain is closed.
    pub(crate) async fn serve<C: Future>(
        mut self,
        conn: C,
        shutdown: impl FnOnce(Pin<&mut C>),
    ) -> C::Output {
        let mut conn = std::pin::pin!(conn);
        tokio::select! {
            biased;
            ended = conn.as_mut() => return ended,
            // Sent or dropped, it is the signal.
            _ = &mut self.stop => shutdown(conn.as_mut()),
        }
        conn.await
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let Some(id) = self.id else { return };
        if let Some(registry) = self
            .drain
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_mut()
        {
            registry.senders.remove(&id);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::task::{Context, Poll};

    use super::*;

    /// A connection that ends only after it was asked to shut down.
    struct Conn(Arc<AtomicBool>);

    impl Future for Conn {
        type Output = Result<(), ()>;
        fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Self::Output> {
            if self.0.load(Ordering::SeqCst) {
                Poll::Ready(Ok(()))
            } else {
                Poll::Pending
            }
        }
    }

    fn ask(conn: Pin<&mut Conn>) {
        conn.0.store(true, Ordering::SeqCst);
    }

    #[tokio::test]
    async fn closing_shuts_down_open_and_later_connections_and_forgets_ended_ones() {
        let drain = Drain::new();
        let asked = Arc::new(AtomicBool::new(false));
        let open = tokio::spawn(drain.watch().serve(Conn(Arc::clone(&asked)), ask));
        let ended = drain.watch();
        drop(ended);
        tokio::task::yield_now().await;
        assert!(!open.is_finished());
        assert_eq!(
            drain
                .open
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .as_ref()
                .map(|r| r.senders.len()),
            Some(1)
        );

        drain.close();
        assert_eq!(open.await.ok(), Some(Ok(())));
        assert!(asked.load(Ordering::SeqCst));

        let late = Arc::new(AtomicBool::new(false));
        assert_eq!(
            drain.watch().serve(Conn(Arc::clone(&late)), ask).await,
            Ok(())
        );
        assert!(late.load(Ordering::SeqCst));
    }
}
