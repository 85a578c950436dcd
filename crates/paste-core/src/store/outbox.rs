//! The webhook outbox: which endpoints are configured, what is due, and delivery bookkeeping.

use platform_db::rusqlite::{TransactionBehavior, params};

use super::{PasteStore, StoreError};

/// One pending delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxItem {
    /// Delivery id, stable across retries (receivers use it for idempotency).
    pub id: i64,
    /// Target URL.
    pub endpoint: String,
    /// `paste.created`, `paste.deleted` or `paste.expired`.
    pub event: String,
    /// The paste.
    pub paste_id: String,
    /// Its MIME type.
    pub mime_type: String,
    /// Its size.
    pub size: i64,
    /// `burned`, `deleted` or `expired` for removals.
    pub reason: Option<String>,
    /// Unix seconds.
    pub occurred_at: i64,
    /// Deliveries tried so far.
    pub attempts: i64,
}

impl PasteStore {
    /// Replaces the configured endpoints; pending deliveries to removed endpoints are dropped.
    pub async fn set_webhook_endpoints(&self, urls: Vec<String>) -> Result<(), StoreError> {
        self.pool
            .write(move |c| {
                let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
                tx.execute("DELETE FROM webhook_endpoints", [])?;
                for url in &urls {
                    tx.execute("INSERT OR IGNORE INTO webhook_endpoints (url) VALUES (?1)", [url])?;
                }
                tx.execute(
                    "DELETE FROM webhook_outbox WHERE endpoint NOT IN (SELECT url FROM webhook_endpoints)",
                    [],
                )?;
                tx.commit()?;
                Ok::<_, StoreError>(())
            })
            .await?
    }

    /// Deliveries due at `now_ms`, oldest first.
    pub async fn due_webhooks(
        &self,
        now_ms: i64,
        limit: u32,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        Ok(self
            .pool
            .read(move |c| {
                c.prepare_cached(
                    "SELECT id, endpoint, event, paste_id, mime_type, size, reason, occurred_at, attempts \
                     FROM webhook_outbox WHERE dead = 0 AND next_attempt_ms <= ?1 ORDER BY id LIMIT ?2",
                )?
                .query_map(params![now_ms, limit], |r| {
                    Ok(OutboxItem {
                        id: r.get(0)?,
                        endpoint: r.get(1)?,
                        event: r.get(2)?,
                        paste_id: r.get(3)?,
                        mime_type: r.get(4)?,
                        size: r.get(5)?,
                        reason: r.get(6)?,
                        occurred_at: r.get(7)?,
                        attempts: r.get(8)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()
            })
            .await??)
    }

    /// When the next delivery falls due (milliseconds), if any is pending.
    pub async fn next_webhook_due(&self) -> Result<Option<i64>, StoreError> {
        Ok(self
            .pool
            .read(|c| {
                c.query_row(
                    "SELECT min(next_attempt_ms) FROM webhook_outbox WHERE dead = 0",
                    [],
                    |r| r.get(0),
                )
            })
            .await??)
    }

    /// Removes a delivered item.
    pub async fn webhook_delivered(&self, id: i64) -> Result<(), StoreError> {
        self.pool
            .write(move |c| c.execute("DELETE FROM webhook_outbox WHERE id = ?1", [id]))
            .await??;
        Ok(())
    }

    /// Records a failed attempt: retry at `next_attempt_ms`, or give up when `dead`.
    pub async fn webhook_failed(
        &self,
        id: i64,
        status: String,
        next_attempt_ms: i64,
        dead: bool,
    ) -> Result<(), StoreError> {
        self.pool
            .write(move |c| {
                c.execute(
                    "UPDATE webhook_outbox SET attempts = attempts + 1, last_status = ?2, \
                     next_attempt_ms = ?3, dead = ?4 WHERE id = ?1",
                    params![id, status, next_attempt_ms, dead],
                )
            })
            .await??;
        Ok(())
    }
}
