//! Where "now" comes from: the system clock, or, in tests, one moved by hand, so expiry is
//! tested by advancing a number instead of sleeping past it.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// The source of Unix seconds a server reads; cheap to clone, clones share the time.
#[derive(Debug, Clone, Default)]
pub struct Clock(Option<Arc<AtomicI64>>);

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self(None)
    }

    /// A clock standing at `start` until [`Clock::advance`] moves it.
    pub fn manual(start: i64) -> Self {
        Self(Some(Arc::new(AtomicI64::new(start))))
    }

    /// Seconds since the Unix epoch.
    pub fn now(&self) -> i64 {
        match &self.0 {
            None => crate::now_unix(),
            Some(at) => at.load(Ordering::SeqCst),
        }
    }

    /// Moves a manual clock forward by `secs`; the system clock cannot be moved.
    pub fn advance(&self, secs: i64) {
        if let Some(at) = &self.0 {
            at.fetch_add(secs, Ordering::SeqCst);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Clock;

    #[test]
    fn a_manual_clock_moves_only_when_told_and_clones_share_it() {
        let clock = Clock::manual(1_000);
        let shared = clock.clone();
        assert_eq!(clock.now(), 1_000);
        shared.advance(5);
        assert_eq!(clock.now(), 1_005);
        let system = Clock::system();
        system.advance(1_000_000);
        assert!((system.now() - crate::now_unix()).abs() < 1_000);
    }
}
