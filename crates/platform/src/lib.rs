//! The service foundation both fpaste and declutter stand on, written once.
//!
//! A service builds its own `Router` of handlers, wraps it with [`layers::layers`] (request id,
//! request log, metrics, panic catching, timeouts, body limits, security headers, CORS, the
//! problem-details fallback), and hands it to [`serve::serve`] together with an already bound
//! listener and optional TLS settings. Errors leave as RFC 9457 [`problem::Problem`]s, logs as
//! JSON lines, metrics in the Prometheus text format.

pub mod client_ip;
pub mod client_trust;
pub mod cookies;
mod drain;
mod envelope;
pub mod error_reporting;
pub mod extract;
mod header_timer;
pub mod health;
pub mod layers;
pub mod metrics;
pub mod problem;
pub mod rate_limit;
pub mod request_id;
pub mod request_log;
pub mod route_label;
pub mod security_headers;
pub mod serve;
pub mod shutdown;
pub mod sliced_body;
pub mod telemetry;
pub mod tls;

#[cfg(feature = "testkit")]
pub mod testkit;

pub use problem::Problem;
