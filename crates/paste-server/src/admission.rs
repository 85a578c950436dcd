//! Admission control for request bodies: global budgets of bytes held at once, one for memory
//! and one for the spool on disk. An upload reserves what it may hold (see [`crate::upload`]:
//! a streamed upload's head and buffers in memory and its length on disk, a JSON body its whole
//! length in memory) before a byte of it is read, waits briefly when a budget is spent, and is
//! refused with 503 and `Retry-After` when it stays spent, so a crowd of large uploads costs
//! time, never an out-of-memory or a full disk. A refused client that announced
//! `Expect: 100-continue` (curl does above 1 MiB) never sends its body at all.

use std::sync::Arc;
use std::time::Duration;

use http::StatusCode;
use platform::Problem;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::ApiError;

/// Budget accounting unit: permits are KiB, so budgets beyond 4 GiB stay representable.
const UNIT: u64 = 1024;

/// The shared budget; clone freely.
#[derive(Debug, Clone)]
pub struct BodyBudget {
    permits: Arc<Semaphore>,
    total_units: u32,
    wait: Duration,
}

/// Bytes reserved by one request, given back when it is dropped.
#[derive(Debug)]
pub struct Reservation(#[expect(dead_code, reason = "held for its Drop")] OwnedSemaphorePermit);

impl BodyBudget {
    /// A budget of `bytes`, with uploads waiting up to `wait` for room.
    pub fn new(bytes: u64, wait: Duration) -> Self {
        let total_units = u32::try_from(bytes.div_ceil(UNIT)).unwrap_or(u32::MAX);
        Self {
            permits: Arc::new(Semaphore::new(total_units as usize)),
            total_units,
            wait,
        }
    }

    /// Reserves `bytes` (at most the whole budget), waiting up to the configured time.
    pub async fn reserve(&self, bytes: u64) -> Result<Reservation, ApiError> {
        let units = u32::try_from(bytes.div_ceil(UNIT))
            .unwrap_or(u32::MAX)
            .clamp(1, self.total_units.max(1));
        let acquire = Arc::clone(&self.permits).acquire_many_owned(units);
        match tokio::time::timeout(self.wait, acquire).await {
            Ok(Ok(permit)) => Ok(Reservation(permit)),
            Ok(Err(_closed)) => Err(ApiError::Internal("body budget closed".into())),
            Err(_elapsed) => Err(Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "server_busy",
                "Too many uploads in progress; try again shortly",
            )
            .retry_after(self.wait.as_secs().max(1))
            .into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn waits_for_room_then_refuses() -> Result<(), Box<dyn std::error::Error>> {
        let budget = BodyBudget::new(10 * UNIT, Duration::from_secs(2));
        let held = budget.reserve(8 * UNIT).await?;
        // Waits, and gets in once the holder is done within the wait.
        let waiter = {
            let b = budget.clone();
            tokio::spawn(async move { b.reserve(5 * UNIT).await.map(drop) })
        };
        tokio::time::sleep(Duration::from_secs(1)).await;
        drop(held);
        assert!(waiter.await?.is_ok());
        // Refused when nobody makes room in time.
        let _held = budget.reserve(8 * UNIT).await?;
        let refused = budget.reserve(5 * UNIT).await;
        assert!(matches!(refused, Err(ApiError::Problem(p)) if p.status() == 503));
        // A request larger than the whole budget is admitted alone rather than never.
        drop(_held);
        assert!(budget.reserve(100 * UNIT).await.is_ok());
        Ok(())
    }
}
