//! The per-address creation quota behind `X-RateLimit-Limit`, `-Remaining` and `-Reset`.
//!
//! A fixed one-minute window per client address (IPv6 by /64), so the three headers are exact:
//! `Limit` creations per window (multiplied for certificate holders), `Remaining` in this one,
//! and `Reset`, the Unix second the window ends. The table is bounded: windows that ended are
//! dropped when it fills, and while it is still full of live windows new addresses are refused
//! (fail closed, logged) rather than letting the table grow without end.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};

use platform::client_ip::rate_key;

/// Length of a window, seconds.
const WINDOW_SECS: i64 = 60;

/// Where one request stands against its quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    /// Whether this request may proceed (and was counted).
    pub allowed: bool,
    /// Creations per window for this caller.
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
}

#[derive(Debug, Clone, Copy)]
struct Window {
    start: i64,
    count: u32,
}

/// Creations per address per minute; `None` when disabled.
#[derive(Debug)]
pub struct CreationQuota {
    per_minute: u32,
    cert_multiplier: u32,
    max_clients: usize,
    table: Mutex<HashMap<IpAddr, Window>>,
}

impl CreationQuota {
    /// `per_minute` for anonymous callers, times `cert_multiplier` for certificate holders,
    /// tracking at most `max_clients` addresses; `None` when `per_minute` is 0.
    pub fn new(per_minute: u32, cert_multiplier: u32, max_clients: usize) -> Option<Self> {
        (per_minute > 0).then(|| Self {
            per_minute,
            cert_multiplier: cert_multiplier.max(1),
            max_clients: max_clients.max(1),
            table: Mutex::new(HashMap::new()),
        })
    }

    /// Counts one creation by `ip` at `now` (Unix seconds) when the quota allows it.
    pub fn check(&self, ip: IpAddr, certified: bool, now: i64) -> Standing {
        let limit = if certified {
            self.per_minute.saturating_mul(self.cert_multiplier)
        } else {
            self.per_minute
        };
        let key = rate_key(ip);
        let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        if !table.contains_key(&key) && table.len() >= self.max_clients {
            table.retain(|_, w| now < w.start + WINDOW_SECS);
            if table.len() >= self.max_clients {
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
        self.table
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

/// The 429 for a refused creation, with `Retry-After` and the quota headers.
pub fn refusal(standing: Standing, now: i64) -> axum::response::Response {
    use axum::response::IntoResponse;
    let mut res = platform::Problem::new(
        http::StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        "Too many creations from this address; slow down",
    )
    .retry_after(standing.retry_after(now))
    .into_response();
    stamp(&mut res, Some(standing));
    res
}

/// Adds the quota headers to `res` when a quota applies.
pub fn stamp(res: &mut axum::response::Response, standing: Option<Standing>) {
    let Some(standing) = standing else {
        return;
    };
    for (name, value) in standing.headers() {
        if let Ok(value) = http::HeaderValue::from_str(&value) {
            res.headers_mut().insert(name, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))
    }

    #[test]
    fn windows_count_down_and_reset() {
        let q = CreationQuota::new(2, 3, 10).unwrap_or_else(|| unreachable!());
        let a = ip("192.0.2.1");
        let first = q.check(a, false, 1000);
        assert_eq!(
            (first.allowed, first.limit, first.remaining, first.reset),
            (true, 2, 1, 1060)
        );
        assert!(q.check(a, false, 1010).allowed);
        let refused = q.check(a, false, 1020);
        assert_eq!((refused.allowed, refused.remaining), (false, 0));
        assert_eq!(refused.retry_after(1020), 40);
        let next = q.check(a, false, 1060);
        assert_eq!((next.allowed, next.remaining, next.reset), (true, 1, 1120));
    }

    #[test]
    fn certificate_holders_get_the_multiplier() {
        let q = CreationQuota::new(2, 3, 10).unwrap_or_else(|| unreachable!());
        let s = q.check(ip("192.0.2.9"), true, 0);
        assert_eq!((s.limit, s.remaining), (6, 5));
    }

    #[test]
    fn the_table_stays_bounded() {
        let q = CreationQuota::new(1, 1, 2).unwrap_or_else(|| unreachable!());
        assert!(q.check(ip("192.0.2.1"), false, 0).allowed);
        assert!(q.check(ip("192.0.2.2"), false, 0).allowed);
        assert!(
            !q.check(ip("192.0.2.3"), false, 10).allowed,
            "full of live windows"
        );
        assert_eq!(q.tracked(), 2);
        assert!(
            q.check(ip("192.0.2.3"), false, 60).allowed,
            "ended windows make room"
        );
        assert!(q.tracked() <= 2);
    }
}
