//! Per-client rate limits: a fixed one-minute window per client address (IPv6 by /64, see
//! [`crate::client_ip::rate_key`]), shared by every app.
//!
//! Fixed windows make the `X-RateLimit-Limit`, `-Remaining` and `-Reset` headers exact: `Limit`
//! events per window (multiplied for callers the app trusts more, such as certificate
//! holders), `Remaining` in this one, and `Reset`, the Unix second the window ends. The table
//! is bounded: windows that ended are dropped when it fills, and while it is still full of live
//! windows a new address is refused (fail closed, logged) rather than letting memory grow
//! without end under a flood of addresses.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::client_ip::rate_key;

/// Length of a window, seconds.
pub const WINDOW_SECS: i64 = 60;
/// Addresses tracked at most when the app names no bound.
pub const DEFAULT_MAX_CLIENTS: usize = 100_000;

/// Where one request stands against its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    /// Whether this request may proceed (and was counted).
    pub allowed: bool,
    /// Events per window for this caller.
    pub limit: u32,
    /// Left in the current window after this request.
    pub remaining: u32,
    /// Unix second the current window ends.
    pub reset: i64,
}

impl Standing {
    /// Whole seconds until the window ends, at least 1.
    pub fn retry_after(&self, now: i64) -> u64 {
        u64::try_from((self.reset - now).max(1)).unwrap_or(1)
    }

    /// The three `X-RateLimit-*` headers.
    pub fn headers(&self) -> [(&'static str, String); 3] {
        [
            ("x-ratelimit-limit", self.limit.to_string()),
            ("x-ratelimit-remaining", self.remaining.to_string()),
            ("x-ratelimit-reset", self.reset.to_string()),
        ]
    }

    /// Adds the three `X-RateLimit-*` headers to `map`.
    pub fn apply(&self, map: &mut http::HeaderMap) {
        for (name, value) in self.headers() {
            if let Ok(value) = http::HeaderValue::from_str(&value) {
                map.insert(name, value);
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Window {
    start: i64,
    count: u32,
}

#[derive(Debug)]
struct Inner {
    per_minute: u32,
    multiplier: u32,
    max_clients: usize,
    table: Mutex<HashMap<IpAddr, Window>>,
}

/// A per-client limiter; clone freely (clones share the table).
#[derive(Debug, Clone)]
pub struct RateLimiter {
    inner: Arc<Inner>,
}

/// Now, in Unix seconds.
fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

impl RateLimiter {
    /// `per_minute` events per client per minute, tracking at most [`DEFAULT_MAX_CLIENTS`]
    /// addresses; `None` when `per_minute` is 0 (disabled).
    pub fn per_minute(per_minute: u32) -> Option<Self> {
        Self::new(per_minute, 1, DEFAULT_MAX_CLIENTS)
    }

    /// `per_minute` events per client per minute, times `multiplier` for elevated callers,
    /// tracking at most `max_clients` addresses; `None` when `per_minute` is 0.
    pub fn new(per_minute: u32, multiplier: u32, max_clients: usize) -> Option<Self> {
        (per_minute > 0).then(|| Self {
            inner: Arc::new(Inner {
                per_minute,
                multiplier: multiplier.max(1),
                max_clients: max_clients.max(1),
                table: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// Counts one event for `ip` now; on refusal, the whole seconds to wait.
    pub fn check(&self, ip: IpAddr) -> Result<(), u64> {
        let now = unix_now();
        let standing = self.check_at(ip, false, now);
        if standing.allowed {
            Ok(())
        } else {
            Err(standing.retry_after(now))
        }
    }

    /// Counts one event for `ip` at `now` (Unix seconds) when its limit allows it; `elevated`
    /// callers get the multiplier.
    pub fn check_at(&self, ip: IpAddr, elevated: bool, now: i64) -> Standing {
        let s = &self.inner;
        let limit = if elevated {
            s.per_minute.saturating_mul(s.multiplier)
        } else {
            s.per_minute
        };
        let key = rate_key(ip);
        let mut table = s.table.lock().unwrap_or_else(PoisonError::into_inner);
        if !table.contains_key(&key) && table.len() >= s.max_clients {
            table.retain(|_, w| now < w.start + WINDOW_SECS);
            if table.len() >= s.max_clients {
                tracing::warn!(
                    tracked = table.len(),
                    "rate-limit table full of live windows; refusing a new address"
                );
                return Standing {
                    allowed: false,
                    limit,
                    remaining: 0,
                    reset: now + WINDOW_SECS,
                };
            }
        }
        let window = table.entry(key).or_insert(Window {
            start: now,
            count: 0,
        });
        if now >= window.start + WINDOW_SECS {
            *window = Window {
                start: now,
                count: 0,
            };
        }
        let allowed = window.count < limit;
        if allowed {
            window.count += 1;
        }
        Standing {
            allowed,
            limit,
            remaining: limit.saturating_sub(window.count),
            reset: window.start + WINDOW_SECS,
        }
    }

    /// Addresses currently tracked.
    pub fn tracked(&self) -> usize {
        self.inner
            .table
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))
    }

    fn limiter(per_minute: u32, multiplier: u32, max: usize) -> RateLimiter {
        RateLimiter::new(per_minute, multiplier, max).unwrap_or_else(|| unreachable!())
    }

    #[test]
    fn windows_count_down_and_reset() {
        let q = limiter(2, 3, 10);
        let a = ip("192.0.2.1");
        let first = q.check_at(a, false, 1000);
        assert_eq!(
            (first.allowed, first.limit, first.remaining, first.reset),
            (true, 2, 1, 1060)
        );
        assert!(q.check_at(a, false, 1010).allowed);
        let refused = q.check_at(a, false, 1020);
        assert_eq!((refused.allowed, refused.remaining), (false, 0));
        assert_eq!(refused.retry_after(1020), 40);
        let next = q.check_at(a, false, 1060);
        assert_eq!((next.allowed, next.remaining, next.reset), (true, 1, 1120));
    }

    #[test]
    fn elevated_callers_get_the_multiplier() {
        let q = limiter(2, 3, 10);
        let s = q.check_at(ip("192.0.2.9"), true, 0);
        assert_eq!((s.limit, s.remaining), (6, 5));
    }

    #[test]
    fn clients_are_counted_apart_and_ipv6_by_prefix() {
        let q = limiter(1, 1, 10);
        assert!(q.check_at(ip("2001:db8::1"), false, 0).allowed);
        assert!(!q.check_at(ip("2001:db8::2"), false, 0).allowed, "same /64");
        assert!(q.check_at(ip("192.0.2.1"), false, 0).allowed);
    }

    #[test]
    fn the_table_stays_bounded() {
        let q = limiter(1, 1, 2);
        assert!(q.check_at(ip("192.0.2.1"), false, 0).allowed);
        assert!(q.check_at(ip("192.0.2.2"), false, 0).allowed);
        assert!(
            !q.check_at(ip("192.0.2.3"), false, 10).allowed,
            "full of live windows"
        );
        assert_eq!(q.tracked(), 2);
        assert!(
            q.check_at(ip("192.0.2.3"), false, 60).allowed,
            "ended windows make room"
        );
        assert!(q.tracked() <= 2);
    }

    #[test]
    fn check_reports_the_wait_on_refusal() {
        let limiter = RateLimiter::per_minute(2).unwrap_or_else(|| unreachable!());
        let a = ip("192.0.2.1");
        assert!(limiter.check(a).is_ok());
        assert!(limiter.check(a).is_ok());
        let wait = limiter.check(a).err().unwrap_or(0);
        assert!((1..=60).contains(&wait), "wait {wait}");
        assert!(limiter.check(ip("192.0.2.2")).is_ok());
        assert!(RateLimiter::per_minute(0).is_none());
    }

    #[test]
    fn standing_writes_the_three_headers() {
        let mut map = http::HeaderMap::new();
        Standing {
            allowed: true,
            limit: 6,
            remaining: 5,
            reset: 1060,
        }
        .apply(&mut map);
        assert_eq!(map["x-ratelimit-limit"], "6");
        assert_eq!(map["x-ratelimit-remaining"], "5");
        assert_eq!(map["x-ratelimit-reset"], "1060");
    }
}
