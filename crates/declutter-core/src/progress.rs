//! Progress reporting hooks, so a CLI can draw bars and a web app can publish percentages
//! without the engine knowing either.

/// Receives progress of long operations. Implementations must be cheap: called per item.
pub trait Progress: Send + Sync {
    /// A new phase begins, with its total work units when known.
    fn phase(&self, name: &str, total: Option<u64>);
    /// `n` more units of the current phase are done.
    fn advance(&self, n: u64);
    /// `n` more bytes were moved (into or out of the trash).
    fn bytes(&self, _n: u64) {}
    /// One item was skipped or refused, with the reason; the run goes on.
    fn error(&self, _path: &str, _reason: &str) {}
    /// Whether the run should stop before its next item (a cancel button). Asked between
    /// items, never in the middle of one, so a stop leaves nothing half done.
    fn cancelled(&self) -> bool {
        false
    }
}

/// Discards all progress.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn phase(&self, _name: &str, _total: Option<u64>) {}
    fn advance(&self, _n: u64) {}
}
