//! Webhook delivery from the durable outbox.
//!
//! Paste changes enqueue deliveries through database triggers (see migration 002); this task
//! drains the queue: signed POSTs, a bounded number in flight, exponential backoff with jitter
//! on failure, given up after a configured number of attempts. Nothing here is on the request
//! path, so a dead endpoint costs a paste creation nothing.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use paste_api::webhook::{
    DELIVERY_HEADER, EVENT_HEADER, Event, EventPaste, SIGNATURE_HEADER, sign,
};
use paste_core::now_unix;
use paste_core::store::{OutboxItem, PasteStore};
use rand::Rng;
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::{Notify, watch};

/// Deliveries in flight at once.
const CONCURRENCY: usize = 8;
/// Longest wait for one endpoint.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest retry delay.
const MAX_BACKOFF: Duration = Duration::from_secs(3600);
/// Idle re-check interval, in case a wake-up was missed.
const IDLE_POLL: Duration = Duration::from_secs(5);

/// The dispatcher's handle: wake it when something was enqueued.
#[derive(Debug, Clone, Default)]
pub struct Webhooks {
    wake: Arc<Notify>,
}

impl Webhooks {
    /// Wakes the dispatcher (cheap; safe to call when webhooks are off).
    pub fn notify(&self) {
        self.wake.notify_one();
    }
}

/// Delivery settings.
#[derive(Debug, Clone)]
pub struct Dispatcher {
    /// The outbox.
    pub store: PasteStore,
    /// Signing secret.
    pub secret: SecretString,
    /// First retry delay.
    pub retry_base: Duration,
    /// Attempts before giving up.
    pub max_attempts: u32,
}

impl Dispatcher {
    /// Drains the outbox until `stop` changes.
    pub async fn run(self, handle: Webhooks, mut stop: watch::Receiver<bool>) {
        let client = match reqwest::Client::builder()
            .timeout(DELIVERY_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("fpasted/", env!("CARGO_PKG_VERSION")))
            .build()
        {
            Ok(c) => c,
            Err(error) => {
                tracing::error!(%error, "webhooks disabled: HTTP client unavailable");
                return;
            }
        };
        loop {
            let wait = match self.drain(&client).await {
                Ok(wait) => wait,
                Err(error) => {
                    tracing::error!(%error, "webhook outbox unavailable");
                    IDLE_POLL
                }
            };
            tokio::select! {
                () = handle.wake.notified() => {}
                () = tokio::time::sleep(wait) => {}
                _ = stop.changed() => return,
            }
        }
    }

    /// Delivers everything due; returns how long to sleep before the next item falls due.
    async fn drain(
        &self,
        client: &reqwest::Client,
    ) -> Result<Duration, paste_core::store::StoreError> {
        loop {
            let due = self.store.due_webhooks(now_ms(), 64).await?;
            if due.is_empty() {
                break;
            }
            futures_util::stream::iter(due)
                .for_each_concurrent(CONCURRENCY, |item| self.deliver(client, item))
                .await;
        }
        Ok(match self.store.next_webhook_due().await? {
            Some(at) => {
                Duration::from_millis(u64::try_from(at - now_ms()).unwrap_or(0)).min(IDLE_POLL)
            }
            None => IDLE_POLL,
        })
    }

    async fn deliver(&self, client: &reqwest::Client, item: OutboxItem) {
        let event = Event {
            id: item.id.to_string(),
            kind: item.event.clone(),
            occurred_at: item.occurred_at,
            paste: EventPaste {
                id: item.paste_id.clone(),
                mime_type: item.mime_type.clone(),
                size: item.size,
            },
            reason: item.reason.clone(),
        };
        let body = match serde_json::to_vec(&event) {
            Ok(b) => b,
            Err(error) => {
                tracing::error!(%error, "webhook event not serialisable");
                return;
            }
        };
        let signature = sign(self.secret.expose_secret().as_bytes(), now_unix(), &body);
        let outcome = client
            .post(&item.endpoint)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, signature)
            .header(EVENT_HEADER, &item.event)
            .header(DELIVERY_HEADER, item.id.to_string())
            .body(body)
            .send()
            .await;
        let status = match outcome {
            Ok(res) if res.status().is_success() => {
                if let Err(error) = self.store.webhook_delivered(item.id).await {
                    tracing::error!(%error, "could not record webhook delivery");
                }
                return;
            }
            Ok(res) => res.status().as_u16().to_string(),
            Err(error) if error.is_timeout() => "timeout".to_owned(),
            Err(error) if error.is_connect() => "connect".to_owned(),
            Err(_) => "transport".to_owned(),
        };
        let attempts = u32::try_from(item.attempts)
            .unwrap_or(u32::MAX)
            .saturating_add(1);
        let dead = attempts >= self.max_attempts;
        let next = now_ms() + backoff_ms(self.retry_base, attempts);
        // The endpoint's host is configuration, not user data; the status says what went wrong.
        tracing::warn!(
            delivery = item.id,
            attempts,
            status,
            dead,
            "webhook delivery failed"
        );
        if let Err(error) = self.store.webhook_failed(item.id, status, next, dead).await {
            tracing::error!(%error, "could not record webhook failure");
        }
    }
}

/// `base * 2^(attempts-1)`, capped, with ±20% jitter so retries of many events spread out.
fn backoff_ms(base: Duration, attempts: u32) -> i64 {
    let exp = base
        .saturating_mul(1u32 << attempts.saturating_sub(1).min(20))
        .min(MAX_BACKOFF);
    let ms = i64::try_from(exp.as_millis()).unwrap_or(i64::MAX);
    let jitter = rand::rng().random_range(-(ms / 5)..=ms / 5);
    (ms + jitter).max(1)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let base = Duration::from_millis(1000);
        let first = backoff_ms(base, 1);
        assert!((800..=1200).contains(&first), "{first}");
        let third = backoff_ms(base, 3);
        assert!((3200..=4800).contains(&third), "{third}");
        let capped = backoff_ms(base, 40);
        assert!(capped <= 3_600_000 * 12 / 10, "{capped}");
    }
}
