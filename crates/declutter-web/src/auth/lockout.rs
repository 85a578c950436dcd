//! Sign-in backoff: after a few free failures, each further failure doubles the wait before the
//! next attempt is considered, capped at 15 minutes; per account and per client address. A
//! success clears the counter of the account signed in to, never the address's. The wait is a
//! delay, not a permanent lock, so an attacker cannot lock a victim out for long (NIST SP
//! 800-63B 5.2.2). The check and the count are one transaction: [`crate::db::attempts`].

use std::time::Duration;

/// Failures allowed before any wait.
pub const FREE_FAILURES: i64 = 3;
/// Longest wait.
pub const MAX_WAIT: Duration = Duration::from_secs(15 * 60);

/// Seconds to wait after the `failures`-th failure, with `base` as the first step.
pub fn wait_after(failures: i64, base: Duration) -> u64 {
    if failures < FREE_FAILURES {
        return 0;
    }
    let exp = u32::try_from(failures - FREE_FAILURES)
        .unwrap_or(u32::MAX)
        .min(20);
    base.as_secs()
        .max(1)
        .saturating_mul(1u64 << exp)
        .min(MAX_WAIT.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_then_caps() {
        let b = Duration::from_secs(1);
        assert_eq!(wait_after(2, b), 0);
        assert_eq!(wait_after(3, b), 1);
        assert_eq!(wait_after(4, b), 2);
        assert_eq!(wait_after(6, b), 8);
        assert_eq!(wait_after(100, b), 900);
    }
}
