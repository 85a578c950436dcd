//! Quotas per identity: which quota a caller creates under, how it is shown (response headers
//! on create, `GET /`, the admin API) and how a refusal reads.
//!
//! A certificate is limited in the bytes and pastes it holds alive; an anonymous client address
//! (IPv6 by /64, as the rate limit) in the bytes and pastes it creates per UTC day. Admins are
//! not limited. The store checks the quota in the transaction that inserts the paste, so
//! concurrent uploads cannot pass it together.

use std::net::IpAddr;

use http::{HeaderMap, HeaderValue, StatusCode};
use paste_api::{QuotaStatus, headers};
use paste_core::store::{Quota, QuotaLimits, QuotaScope, Usage};
use platform::Problem;
use platform::client_ip::rate_key;

use crate::config::Config;
use crate::error::ApiError;
use crate::identity::Identity;

/// The quota `identity`, calling from `ip` at `now`, creates under; `None` when unlimited.
pub fn for_caller(cfg: &Config, identity: &Identity, ip: IpAddr, now: i64) -> Option<Quota> {
    let (scope, limits) = match identity {
        Identity::Cert { admin: true, .. } => return None,
        Identity::Cert { fingerprint, .. } => (QuotaScope::Owner(fingerprint.clone()), cfg.quota),
        Identity::Anonymous => (
            QuotaScope::anonymous(rate_key(ip).to_string(), now),
            cfg.anon_quota,
        ),
    };
    (limits
        != QuotaLimits {
            bytes: 0,
            pastes: 0,
        })
    .then_some(Quota { scope, limits })
}

/// The certificate quota of `owner`, as the admin API shows it.
pub fn of_owner(cfg: &Config, owner: &str) -> Quota {
    Quota {
        scope: QuotaScope::Owner(owner.to_owned()),
        limits: if cfg.is_admin(owner) {
            QuotaLimits {
                bytes: 0,
                pastes: 0,
            }
        } else {
            cfg.quota
        },
    }
}

/// `quota` with `used` counted, in the wire shape.
pub fn status(quota: &Quota, used: Usage) -> QuotaStatus {
    let (remaining_bytes, remaining_pastes) = quota.remaining(used);
    QuotaStatus {
        scope: match quota.scope {
            QuotaScope::Owner(_) => "certificate",
            QuotaScope::Anonymous { .. } => "address",
        }
        .into(),
        limit_bytes: quota.limits.bytes,
        limit_pastes: quota.limits.pastes,
        used_bytes: used.bytes,
        used_pastes: used.pastes,
        remaining_bytes,
        remaining_pastes,
        resets_at: quota.scope.resets_at(),
    }
}

/// Adds what is left of `quota` after `used` to the headers of a create.
pub fn add_headers(map: &mut HeaderMap, quota: &Quota, used: Usage) {
    let (bytes, pastes) = quota.remaining(used);
    for (name, value) in [
        (headers::QUOTA_REMAINING_BYTES, bytes),
        (headers::QUOTA_REMAINING_PASTES, pastes),
        (
            headers::QUOTA_RESET,
            quota.scope.resets_at().and_then(|t| u64::try_from(t).ok()),
        ),
    ] {
        if let Some(v) = value {
            map.insert(name, HeaderValue::from(v));
        }
    }
}

/// The refusal of a paste of `size` bytes that does not fit in `quota` at `used`.
pub fn exceeded(quota: &Quota, used: Usage, size: u64, now: i64) -> ApiError {
    let what = match quota.scope {
        QuotaScope::Owner(_) => "this certificate's storage quota",
        QuotaScope::Anonymous { .. } => "this address's daily quota",
    };
    let mut p = Problem::new(
        StatusCode::TOO_MANY_REQUESTS,
        "quota_exceeded",
        format!("This paste of {size} bytes would exceed {what}"),
    )
    .with(
        "quota",
        serde_json::to_value(status(quota, used)).unwrap_or_default(),
    );
    if let Some(reset) = quota.scope.resets_at() {
        p = p.retry_after(u64::try_from(reset - now).unwrap_or(1).max(1));
    }
    p.into()
}
