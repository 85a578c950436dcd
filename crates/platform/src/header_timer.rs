//! The clock behind hyper's header-read timeout, with one tokio timer per connection instead of
//! one per request.
//!
//! hyper asks its [`Timer`] for a fresh sleep each time it starts waiting for a request head and
//! drops it as soon as the head is in, so with hyper-util's `TokioTimer` every keep-alive request
//! inserts an entry into tokio's timer wheel and removes it again: a measurable share of the
//! work of serving a small cached response. [`HeaderReadTimer`] instead keeps a single tokio
//! sleep per connection and lets it run late: a head sleep only moves that shared sleep when it
//! has already fired or would fire too late. On a busy connection every deadline lies after the
//! previous one, so the wheel is touched about once per timeout period, and a quiet connection
//! still wakes exactly at its deadline. The timeout itself (a client must finish a request head
//! within the period: the slow-loris defence) behaves exactly as with `TokioTimer`.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use hyper::rt::{Sleep, Timer};
use tokio::time::Sleep as TokioSleep;

/// A [`Timer`] for one connection's header-read timeout; create one per connection.
#[derive(Debug, Default)]
pub(crate) struct HeaderReadTimer {
    shared: Arc<SharedSleep>,
}

/// The connection's one tokio sleep, created at the first head sleep that has to wait.
#[derive(Debug, Default)]
struct SharedSleep(Mutex<Option<Pin<Box<TokioSleep>>>>);

impl Timer for HeaderReadTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Sleep>> {
        self.sleep_until(self.now() + duration)
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn Sleep>> {
        Box::pin(HeadSleep {
            deadline: tokio::time::Instant::from_std(deadline),
            shared: Arc::clone(&self.shared),
        })
    }

    /// tokio's clock, so that a paused test clock drives both deadlines and their checks.
    fn now(&self) -> Instant {
        tokio::time::Instant::now().into_std()
    }
}

/// One wait for a request head.
struct HeadSleep {
    deadline: tokio::time::Instant,
    shared: Arc<SharedSleep>,
}

impl Sleep for HeadSleep {}

impl Future for HeadSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if tokio::time::Instant::now() >= self.deadline {
            return Poll::Ready(());
        }
        // Only this connection's task ever takes the lock; a panic while holding it cannot
        // leave the sleep half-updated, so poisoning carries no meaning here.
        let mut slot = self.shared.0.lock().unwrap_or_else(PoisonError::into_inner);
        let sleep = slot.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(self.deadline)));
        // A sleep that already fired, or one set past this deadline, is moved to it. A sleep set
        // earlier is left alone: it wakes the task early, once, and is moved then.
        if sleep.is_elapsed() || sleep.deadline() > self.deadline {
            sleep.as_mut().reset(self.deadline);
        }
        // The shared sleep firing before our deadline is an early wake-up, not the timeout.
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) if tokio::time::Instant::now() >= self.deadline => Poll::Ready(()),
            Poll::Ready(()) => {
                sleep.as_mut().reset(self.deadline);
                let _ = sleep.as_mut().poll(cx);
                Poll::Pending
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::future::poll_fn;

    use super::*;

    /// Polls once, registering the test task's waker.
    async fn poll_once(sleep: &mut Pin<Box<dyn Sleep>>) -> Poll<()> {
        poll_fn(|cx| Poll::Ready(sleep.as_mut().poll(cx))).await
    }

    #[tokio::test(start_paused = true)]
    async fn a_head_sleep_ends_at_its_deadline_and_not_before() {
        let timer = HeaderReadTimer::default();
        let mut sleep = timer.sleep(Duration::from_secs(10));
        assert!(poll_once(&mut sleep).await.is_pending());
        tokio::time::advance(Duration::from_millis(9_999)).await;
        assert!(poll_once(&mut sleep).await.is_pending());
        tokio::time::advance(Duration::from_millis(1)).await;
        assert!(poll_once(&mut sleep).await.is_ready());
    }

    #[tokio::test(start_paused = true)]
    async fn later_heads_on_the_same_connection_get_their_full_period() {
        let timer = HeaderReadTimer::default();
        let mut first = timer.sleep(Duration::from_secs(10));
        assert!(poll_once(&mut first).await.is_pending());
        drop(first); // the head arrived

        tokio::time::advance(Duration::from_secs(6)).await;
        let mut second = timer.sleep(Duration::from_secs(10));
        assert!(poll_once(&mut second).await.is_pending());
        // The shared sleep, still set for the first head, fires at 10 s: not the second's end.
        tokio::time::advance(Duration::from_secs(5)).await;
        assert!(poll_once(&mut second).await.is_pending());
        tokio::time::advance(Duration::from_millis(4_999)).await;
        assert!(poll_once(&mut second).await.is_pending());
        tokio::time::advance(Duration::from_millis(1)).await;
        assert!(poll_once(&mut second).await.is_ready());
    }

    #[tokio::test(start_paused = true)]
    async fn the_waiting_task_is_woken_at_the_deadline() {
        let timer = HeaderReadTimer::default();
        let mut early = timer.sleep(Duration::from_secs(3));
        assert!(poll_once(&mut early).await.is_pending());
        drop(early);
        // Awaiting needs a wake-up at 7 s; the shared sleep set for 3 s must not strand it.
        let started = tokio::time::Instant::now();
        timer.sleep(Duration::from_secs(7)).await;
        assert_eq!(started.elapsed(), Duration::from_secs(7));
    }

    #[tokio::test(start_paused = true)]
    async fn a_shorter_deadline_than_the_shared_sleep_still_fires_on_time() {
        let timer = HeaderReadTimer::default();
        let mut long = timer.sleep(Duration::from_secs(60));
        assert!(poll_once(&mut long).await.is_pending());
        drop(long);
        let started = tokio::time::Instant::now();
        timer.sleep(Duration::from_secs(2)).await;
        assert_eq!(started.elapsed(), Duration::from_secs(2));
    }
}
