//! Prometheus metrics: one registry per service, an HTTP request-duration histogram labelled by
//! method, route template and status, and the text exposition.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::response::{IntoResponse, Response};
use http::{Method, header};
use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};

use crate::route_label::RouteLabel;

/// Content type of the OpenMetrics text exposition, which Prometheus scrapes natively.
pub const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// A service's metric registry, shareable across handlers.
#[derive(Clone)]
pub struct MetricsRegistry {
    inner: Arc<Mutex<Registry>>,
}

impl std::fmt::Debug for MetricsRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MetricsRegistry")
    }
}

impl MetricsRegistry {
    /// A registry whose metric names all start with `prefix_`.
    pub fn new(prefix: &str) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Registry::with_prefix(prefix))),
        }
    }

    /// Registers a metric; `f` receives the registry.
    pub fn register(&self, f: impl FnOnce(&mut Registry)) {
        f(&mut self.inner.lock().unwrap_or_else(PoisonError::into_inner));
    }

    /// Renders the exposition text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let registry = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        // Writing into a String cannot fail; an encoding error would be a bug in a metric type.
        if encode(&mut out, &registry).is_err() {
            out.clear();
        }
        out
    }

    /// The exposition as an HTTP response.
    pub fn response(&self) -> Response {
        ([(header::CONTENT_TYPE, OPENMETRICS)], self.render()).into_response()
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
struct MethodLabel(Method);

impl EncodeLabelValue for MethodLabel {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> std::fmt::Result {
        EncodeLabelValue::encode(&self.0.as_str(), encoder)
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpLabels {
    method: MethodLabel,
    route: RouteLabel,
    status: u16,
}

/// The request-duration histogram.
#[derive(Clone, Debug)]
pub struct HttpMetrics {
    duration: Family<HttpLabels, Histogram>,
}

impl HttpMetrics {
    /// Registers `<prefix>_request_duration_seconds` in `registry`.
    pub fn new(registry: &MetricsRegistry) -> Self {
        let duration = Family::<HttpLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.0005, 2.0, 16))
        });
        registry.register(|r| {
            r.register_with_unit(
                "request_duration",
                "HTTP request duration by method, route template and status",
                Unit::Seconds,
                duration.clone(),
            );
        });
        Self { duration }
    }

    /// Records one request.
    pub fn observe(&self, method: &Method, route: &RouteLabel, status: u16, elapsed: Duration) {
        self.duration
            .get_or_create(&HttpLabels {
                method: MethodLabel(method.clone()),
                route: route.clone(),
                status,
            })
            .observe(elapsed.as_secs_f64());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_is_named_with_prefix_and_unit() {
        let registry = MetricsRegistry::new("svc");
        let m = HttpMetrics::new(&registry);
        m.observe(
            &Method::GET,
            &RouteLabel::Named("/{id}"),
            200,
            Duration::from_millis(3),
        );
        let text = registry.render();
        assert!(text.contains("svc_request_duration_seconds_bucket"));
        assert!(text.contains("route=\"/{id}\""));
    }
}
