//! App metrics beside the platform's request histogram: authentication outcomes.

use platform::metrics::MetricsRegistry;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EventLabels {
    event: &'static str,
}

/// Counters of sign-in, sign-up and lockout events.
#[derive(Clone, Debug)]
pub struct WebMetrics {
    auth: Family<EventLabels, Counter>,
}

impl WebMetrics {
    /// Registers `declutter_auth_events_total` in `registry`.
    pub fn new(registry: &MetricsRegistry) -> Self {
        let auth = Family::<EventLabels, Counter>::default();
        registry.register(|r| {
            r.register(
                "auth_events",
                "Authentication events by outcome",
                auth.clone(),
            );
        });
        Self { auth }
    }

    /// Counts one event (a fixed, low-cardinality name).
    pub fn auth(&self, event: &'static str) {
        self.auth.get_or_create(&EventLabels { event }).inc();
    }
}
