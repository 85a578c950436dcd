//! Per-client rate limits on top of `governor`'s GCRA, keyed by [`crate::client_ip::rate_key`].

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use governor::clock::{Clock, DefaultClock};
use governor::{Quota, RateLimiter as Gcra};

use crate::client_ip::rate_key;

type Keyed = Gcra<IpAddr, governor::state::keyed::DefaultKeyedStateStore<IpAddr>, DefaultClock>;

/// A keyed limiter; clone freely.
#[derive(Clone)]
pub struct RateLimiter {
    inner: Arc<Keyed>,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RateLimiter")
    }
}

impl RateLimiter {
    /// `per_minute` events per client per minute, allowed in a burst of the same size; `None`
    /// when `per_minute` is 0 (disabled).
    pub fn per_minute(per_minute: u32) -> Option<Self> {
        let n = NonZeroU32::new(per_minute)?;
        Some(Self {
            inner: Arc::new(Gcra::keyed(Quota::per_minute(n))),
        })
    }

    /// Counts one event for `ip`; on refusal, the whole seconds to wait.
    pub fn check(&self, ip: IpAddr) -> Result<(), u64> {
        self.inner.check_key(&rate_key(ip)).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })
    }

    /// Forgets clients whose state is back to full; call periodically to bound memory.
    pub fn sweep(&self) {
        self.inner.retain_recent();
        self.inner.shrink_to_fit();
    }

    /// Number of clients currently tracked.
    pub fn tracked(&self) -> usize {
        self.inner.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_client_and_reports_wait() {
        let limiter = RateLimiter::per_minute(2).unwrap();
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        assert!(limiter.check(a).is_ok());
        assert!(limiter.check(a).is_ok());
        let wait = limiter.check(a).unwrap_err();
        assert!((1..=60).contains(&wait));
        assert!(limiter.check(b).is_ok());
        assert!(RateLimiter::per_minute(0).is_none());
    }
}
