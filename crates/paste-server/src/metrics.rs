//! The paste metrics, with FlaskPaste's names so existing dashboards keep working.
//!
//! | name | type |
//! |---|---|
//! | `flaskpaste_pastes_total` | gauge: pastes stored now |
//! | `flaskpaste_storage_bytes` | gauge: content bytes stored now |
//! | `flaskpaste_pastes_created_total` | counter |
//! | `flaskpaste_pastes_deleted_total` | counter (explicit deletes and burns) |
//! | `flaskpaste_pastes_expired_total` | counter (purged by the sweeper) |
//! | `flaskpaste_rejections_total{reason}` | counter: pow, dedup, rate_limit, entropy, size |
//! | `flaskpaste_request_duration_seconds` | histogram by method, route, status |
//! | `flaskpaste_build_info{version}` | gauge, always 1 |
//!
//! Counters carry the OpenMetrics `_total` suffix, exactly as FlaskPaste's Python client
//! exposes them. No label ever holds a paste id, a fingerprint or an address.

use std::sync::atomic::AtomicI64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Unit;

use platform::metrics::MetricsRegistry;

/// Why a creation was refused.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq)]
pub enum Rejection {
    /// Missing or bad proof of work.
    Pow,
    /// Content-hash throttle.
    Dedup,
    /// Per-IP rate limit.
    RateLimit,
    /// Entropy below the minimum.
    Entropy,
    /// Too large or too small.
    Size,
    /// Malware scanner verdict or failure.
    Scan,
    /// Over the caller's quota.
    Quota,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabel {
    reason: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabel {
    version: &'static str,
}

/// Handles to the paste metrics.
#[derive(Debug, Clone)]
pub struct PasteMetrics {
    stored: Gauge<i64, AtomicI64>,
    bytes: Gauge<i64, AtomicI64>,
    created: Counter,
    deleted: Counter,
    expired: Counter,
    rejected: Family<ReasonLabel, Counter>,
    /// Short URLs created, deleted, and redirects served.
    pub short_created: Counter,
    /// Short URLs deleted.
    pub short_deleted: Counter,
    /// Redirects served by `GET /s/{id}`.
    pub short_redirects: Counter,
}

impl PasteMetrics {
    /// Registers every paste metric in `registry`.
    pub fn new(registry: &MetricsRegistry) -> Self {
        let m = Self {
            stored: Gauge::default(),
            bytes: Gauge::default(),
            created: Counter::default(),
            deleted: Counter::default(),
            expired: Counter::default(),
            rejected: Family::default(),
            short_created: Counter::default(),
            short_deleted: Counter::default(),
            short_redirects: Counter::default(),
        };
        // Every reason exists from the start, so dashboards and absent() see zeros, not gaps.
        for why in [
            Rejection::Pow,
            Rejection::Dedup,
            Rejection::RateLimit,
            Rejection::Entropy,
            Rejection::Size,
            Rejection::Scan,
            Rejection::Quota,
        ] {
            let _ = m.rejected.get_or_create(&ReasonLabel {
                reason: why.label(),
            });
        }
        let build = Family::<BuildLabel, Gauge>::default();
        build
            .get_or_create(&BuildLabel {
                version: env!("CARGO_PKG_VERSION"),
            })
            .set(1);
        registry.register(|r| {
            r.register("pastes_total", "Pastes currently stored", m.stored.clone());
            r.register_with_unit(
                "storage",
                "Content bytes currently stored",
                Unit::Bytes,
                m.bytes.clone(),
            );
            r.register("pastes_created", "Pastes created", m.created.clone());
            r.register(
                "pastes_deleted",
                "Pastes deleted or burned",
                m.deleted.clone(),
            );
            r.register(
                "pastes_expired",
                "Pastes purged after expiry",
                m.expired.clone(),
            );
            r.register(
                "rejections",
                "Creations refused, by reason",
                m.rejected.clone(),
            );
            r.register("build_info", "Build information", build);
            r.register(
                "short_urls_created",
                "Short URLs created",
                m.short_created.clone(),
            );
            r.register(
                "short_urls_deleted",
                "Short URLs deleted",
                m.short_deleted.clone(),
            );
            r.register(
                "short_url_redirects",
                "Short URL redirects served",
                m.short_redirects.clone(),
            );
        });
        m
    }

    /// Sets the stored totals from the database. Only a scrape does this, just before it
    /// encodes: the gauges are a reading of the database, never a running tally, so no
    /// create racing a reset can count a paste twice.
    pub fn set_totals(&self, pastes: i64, bytes: i64) {
        self.stored.set(pastes);
        self.bytes.set(bytes);
    }

    /// One paste created.
    pub fn created(&self) {
        self.created.inc();
    }

    /// One paste deleted or burned.
    pub fn deleted(&self) {
        self.deleted.inc();
    }

    /// `count` pastes purged after expiry.
    pub fn expired(&self, count: usize) {
        self.expired
            .inc_by(u64::try_from(count).unwrap_or(u64::MAX));
    }

    /// One creation refused.
    pub fn rejected(&self, why: Rejection) {
        self.rejected
            .get_or_create(&ReasonLabel {
                reason: why.label(),
            })
            .inc();
    }
}

impl Rejection {
    fn label(self) -> &'static str {
        match self {
            Self::Pow => "pow",
            Self::Dedup => "dedup",
            Self::RateLimit => "rate_limit",
            Self::Entropy => "entropy",
            Self::Size => "size",
            Self::Scan => "scan",
            Self::Quota => "quota",
        }
    }
}
