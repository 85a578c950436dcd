//! The background sweeper: purges expired pastes and re-syncs the storage gauges.

use std::time::Duration;

use tokio::sync::watch;

use crate::state::AppState;

/// Runs until `stop` changes.
pub async fn run(state: AppState, every: Duration, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => sweep(&state).await,
            _ = stop.changed() => return,
        }
    }
}

/// One sweep.
pub async fn sweep(state: &AppState) {
    let window = i64::try_from(state.config.dedup_window).unwrap_or(i64::MAX);
    match state
        .store
        .purge_expired(state.config.clock.now(), window)
        .await
    {
        Ok(purged) => {
            state.metrics.expired(purged.len());
            if !purged.is_empty() {
                state.webhooks.notify();
                tracing::info!(count = purged.len(), "purged expired pastes");
            }
        }
        Err(error) => tracing::error!(%error, "expiry sweep failed"),
    }
    if let Err(error) = state.store.purge_anon_usage(state.config.clock.now()).await {
        tracing::error!(%error, "could not forget old anonymous quota usage");
    }
    if let Err(error) = state
        .store
        .purge_expired_shorts(state.config.clock.now())
        .await
    {
        tracing::error!(%error, "short URL expiry sweep failed");
    }
}
