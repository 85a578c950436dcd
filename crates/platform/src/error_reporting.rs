//! Optional error reporting to Sentry: panics caught by the middleware and internal (500)
//! errors, one event each, tagged with the request id, method and route template.
//!
//! Nothing is set up without a DSN: no client, no thread, no network. With one (and the
//! `error-reporting` feature), events go out on the sentry client's own sender thread over
//! rustls, and carry only what the request log already carries: the request id, method, route
//! template, status and the scrubbed internal cause. Never the request itself (no body, headers,
//! cookies, query or client address) and never a user: `send_default_pii` is off and a
//! `before_send` hook drops every request, user, breadcrumb and extra field an integration might
//! add, and scrubs secrets out of the text that remains.
//!
//! The DSN is read from the environment by the service's own configuration (never by the
//! sentry client behind its back: `sentry::init` is not used).

use axum::response::Response;
use http::StatusCode;

use crate::problem::InternalCause;
use crate::request_log::Started;

/// Why a reporter could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ReporterError {
    /// The DSN does not parse.
    #[error("the Sentry DSN is not valid (expected https://<key>@<host>/<project>)")]
    InvalidDsn,
    /// This build has no Sentry client.
    #[error("a Sentry DSN is configured but this build lacks the error-reporting feature")]
    Unsupported,
}

/// Marks a response as the answer to a caught panic (set by the panic-catching layer).
#[derive(Debug, Clone, Copy)]
pub struct Panicked;

/// What kind of failure is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// A handler panicked; the panic layer answered 500.
    Panic,
    /// A handler answered 500 with an internal cause.
    Internal,
}

impl Failure {
    /// The `failure` tag value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Panic => "panic",
            Self::Internal => "internal_error",
        }
    }
}

/// One failed request, as reported.
#[derive(Debug, Clone)]
pub struct Report<'a> {
    /// Panic or internal error.
    pub failure: Failure,
    /// The internal cause (scrubbed again before sending).
    pub cause: &'a str,
    /// The request id.
    pub request_id: &'a str,
    /// HTTP method.
    pub method: &'a str,
    /// Route template (never the raw path).
    pub route: &'a str,
    /// Response status.
    pub status: u16,
}

/// Sends reports to Sentry; cheap to clone. Its `Debug` never shows the DSN.
#[derive(Clone)]
pub struct ErrorReporter {
    #[cfg(feature = "error-reporting")]
    client: std::sync::Arc<sentry::Client>,
}

impl std::fmt::Debug for ErrorReporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ErrorReporter { dsn: [redacted] }")
    }
}

/// Settings of a reporter.
#[derive(Debug, Clone, Default)]
pub struct ReporterOptions {
    /// `release` of every event, e.g. `declutter@0.1.0`.
    pub release: Option<String>,
    /// `environment` of every event, e.g. `production`.
    pub environment: Option<String>,
}

impl ErrorReporter {
    /// A reporter for `dsn`; `None` or an empty DSN gives `Ok(None)`: nothing is initialised.
    pub fn from_dsn(
        dsn: Option<&str>,
        options: ReporterOptions,
    ) -> Result<Option<Self>, ReporterError> {
        let Some(dsn) = dsn.map(str::trim).filter(|d| !d.is_empty()) else {
            return Ok(None);
        };
        Self::build(dsn, options).map(Some)
    }

    #[cfg(feature = "error-reporting")]
    fn build(dsn: &str, options: ReporterOptions) -> Result<Self, ReporterError> {
        use std::sync::Arc;

        let dsn: sentry::types::Dsn = dsn.parse().map_err(|_| ReporterError::InvalidDsn)?;
        // `ClientOptions` is non-exhaustive: start from the defaults and set every field that
        // matters here explicitly.
        let mut opts = sentry::ClientOptions::default();
        opts.dsn = Some(dsn);
        opts.release = options.release.map(Into::into);
        opts.environment = options.environment.map(Into::into);
        opts.send_default_pii = false;
        opts.attach_stacktrace = false;
        opts.default_integrations = false;
        opts.max_breadcrumbs = 0;
        opts.server_name = None;
        opts.before_send = Some(Arc::new(scrub_event));
        opts.transport = Some(Arc::new(sentry::transports::DefaultTransportFactory));
        opts.shutdown_timeout = std::time::Duration::from_secs(2);
        Ok(Self {
            client: Arc::new(sentry::Client::with_options(opts)),
        })
    }

    #[cfg(not(feature = "error-reporting"))]
    fn build(_dsn: &str, _options: ReporterOptions) -> Result<Self, ReporterError> {
        Err(ReporterError::Unsupported)
    }

    /// Queues one event for `report` (never blocks on the network).
    pub fn report(&self, report: &Report<'_>) {
        #[cfg(feature = "error-reporting")]
        {
            use sentry::protocol::{Event, Level};
            let mut event = Event {
                level: match report.failure {
                    Failure::Panic => Level::Fatal,
                    Failure::Internal => Level::Error,
                },
                message: Some(format!(
                    "{} {}: {}",
                    report.method,
                    report.route,
                    scrub(report.cause)
                )),
                logger: Some("platform::error_reporting".into()),
                // Group by what failed where, not by the varying cause text.
                fingerprint: vec![
                    report.failure.as_str().into(),
                    report.method.to_owned().into(),
                    report.route.to_owned().into(),
                ]
                .into(),
                ..Event::default()
            };
            for (k, v) in [
                ("request_id", report.request_id.to_owned()),
                ("method", report.method.to_owned()),
                ("route", report.route.to_owned()),
                ("status", report.status.to_string()),
                ("failure", report.failure.as_str().to_owned()),
            ] {
                event.tags.insert(k.to_owned(), v);
            }
            self.client.capture_event(event, None);
        }
        #[cfg(not(feature = "error-reporting"))]
        let _ = report;
    }

    /// Waits up to `timeout` for queued events to be sent; `true` when the queue drained.
    pub fn flush(&self, timeout: std::time::Duration) -> bool {
        #[cfg(feature = "error-reporting")]
        return self.client.flush(Some(timeout));
        #[cfg(not(feature = "error-reporting"))]
        {
            let _ = timeout;
            true
        }
    }

    /// Sends what is queued (up to `timeout`) and stops the sender; later reports are dropped.
    pub fn close(&self, timeout: std::time::Duration) -> bool {
        #[cfg(feature = "error-reporting")]
        return self.client.close(Some(timeout));
        #[cfg(not(feature = "error-reporting"))]
        {
            let _ = timeout;
            true
        }
    }

    /// Reports `res` when it is a 500 carrying an internal cause (a panic or an internal error),
    /// tagged from the request noted in `started`.
    pub fn report_response(&self, started: &Started, res: &Response) {
        if res.status() != StatusCode::INTERNAL_SERVER_ERROR {
            return;
        }
        let Some(InternalCause(cause)) = res.extensions().get::<InternalCause>() else {
            return;
        };
        let failure = if res.extensions().get::<Panicked>().is_some() {
            Failure::Panic
        } else {
            Failure::Internal
        };
        self.report(&Report {
            failure,
            cause,
            request_id: started.request_id(),
            method: started.method().as_str(),
            route: started.route(),
            status: res.status().as_u16(),
        });
    }
}

/// The `before_send` hook: keeps only the message, level, tags and fingerprint we set, with
/// secrets scrubbed from the text; drops anything an integration could have attached.
#[cfg(feature = "error-reporting")]
fn scrub_event(
    mut e: sentry::protocol::Event<'static>,
) -> Option<sentry::protocol::Event<'static>> {
    e.request = None;
    e.user = None;
    e.breadcrumbs = Default::default();
    e.extra.clear();
    e.contexts.clear();
    e.server_name = None;
    e.message = e.message.map(|m| scrub(&m));
    if let Some(m) = e.logentry.as_mut() {
        m.message = scrub(&m.message);
        m.params.clear();
    }
    for ex in &mut e.exception.values {
        ex.value = ex.value.as_deref().map(scrub);
    }
    for v in e.tags.values_mut() {
        *v = scrub(v);
    }
    Some(e)
}

/// Words whose value, after `=` or `:`, is replaced by `[redacted]`.
const SECRET_KEYS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "secret",
    "token",
    "api_key",
    "apikey",
    "api-key",
    "access_key",
    "private_key",
    "credential",
    "session",
    "dsn",
    "signature",
];

/// Header names whose whole value (to the end of the line) is replaced.
const SECRET_HEADERS: &[&str] = &["authorization", "cookie", "set-cookie", "x-api-key"];

/// The redaction marker.
pub const REDACTED: &str = "[redacted]";

/// `text` with likely secrets replaced by `[redacted]`: values of `password=`, `token:`,
/// `"secret": "..."` and the like, whole `Authorization:`/`Cookie:` values, `Bearer`/`Basic`
/// credentials, and the user-info part of URLs.
pub fn scrub(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let lower = text.to_ascii_lowercase();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < text.len() {
        // Header-like names: redact the rest of the line.
        if let Some(len) = starts_word(&lower, i, SECRET_HEADERS)
            && let Some(start) = value_start(bytes, i + len)
        {
            out.push_str(&text[i..start]);
            out.push_str(REDACTED);
            i = line_end(bytes, start);
            continue;
        }
        // `Bearer x` / `Basic x`.
        if let Some(len) = starts_word(&lower, i, &["bearer ", "basic "]) {
            let start = i + len;
            let end = token_end(bytes, start);
            if end > start {
                out.push_str(&text[i..start]);
                out.push_str(REDACTED);
                i = end;
                continue;
            }
        }
        // `key=value`, `key: value`, `"key":"value"`, where key contains a secret word.
        if let Some(len) = key_at(&lower, i)
            && let Some(start) = value_start(bytes, i + len)
        {
            let end = token_end(bytes, start);
            if end > start {
                out.push_str(&text[i..start]);
                out.push_str(REDACTED);
                i = end;
                continue;
            }
        }
        // `scheme://user:pass@host`.
        if lower[i..].starts_with("://") {
            let start = i + 3;
            let auth_end = text[start..]
                .find(['/', ' ', '\n', '"', '\''])
                .map_or(text.len(), |n| start + n);
            if let Some(at) = text[start..auth_end].rfind('@') {
                out.push_str("://");
                out.push_str(REDACTED);
                i = start + at;
                continue;
            }
        }
        let Some(c) = text[i..].chars().next() else {
            break;
        };
        out.push(c);
        i += c.len_utf8();
    }
    out
}

/// The length of the word of `words` starting at `i`, at a word boundary.
fn starts_word(lower: &str, i: usize, words: &[&str]) -> Option<usize> {
    let boundary = i == 0 || !is_word_byte(lower.as_bytes()[i - 1]);
    if !boundary {
        return None;
    }
    words
        .iter()
        .find(|w| lower[i..].starts_with(**w))
        .map(|w| w.len())
}

/// A key (an identifier-like run holding a secret word) starting at `i`: its length.
fn key_at(lower: &str, i: usize) -> Option<usize> {
    let b = lower.as_bytes();
    if (i > 0 && is_word_byte(b[i - 1])) || !is_word_byte(b[i]) {
        return None;
    }
    let end = (i..b.len())
        .find(|&j| !is_word_byte(b[j]))
        .unwrap_or(b.len());
    let key = &lower[i..end];
    SECRET_KEYS
        .iter()
        .any(|w| key.contains(w))
        .then_some(end - i)
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// After a key ending at `i`: an optional closing quote, spaces, `=` or `:`, spaces and an
/// optional opening quote; where the value starts.
fn value_start(b: &[u8], mut i: usize) -> Option<usize> {
    if b.get(i).is_some_and(|c| *c == b'"' || *c == b'\'') {
        i += 1;
    }
    while b.get(i) == Some(&b' ') {
        i += 1;
    }
    if !matches!(b.get(i), Some(b'=' | b':')) {
        return None;
    }
    i += 1;
    while b.get(i) == Some(&b' ') {
        i += 1;
    }
    if b.get(i).is_some_and(|c| *c == b'"' || *c == b'\'') {
        i += 1;
    }
    Some(i)
}

fn token_end(b: &[u8], start: usize) -> usize {
    (start..b.len())
        .find(|&j| {
            matches!(
                b[j],
                b' ' | b'\n' | b'\r' | b'\t' | b'&' | b';' | b',' | b'"' | b'\''
            )
        })
        .unwrap_or(b.len())
}

fn line_end(b: &[u8], start: usize) -> usize {
    (start..b.len())
        .find(|&j| matches!(b[j], b'\n' | b'\r'))
        .unwrap_or(b.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrubs_secrets_and_keeps_the_rest() {
        let cases = [
            ("login failed password=hunter2 for x", "hunter2"),
            ("Authorization: Bearer abc.def.ghi", "abc.def"),
            ("cookie: __Host-session=s3cr3t; other=1", "s3cr3t"),
            (r#"{"refresh_token":"rt-123","a":1}"#, "rt-123"),
            ("GET https://user:pa55@example.com/x", "pa55"),
            ("using Bearer tok-999", "tok-999"),
            ("client_secret: abc999", "abc999"),
            ("DSN=https://k@o.ingest/1", "k@o"),
        ];
        for (text, secret) in cases {
            let s = scrub(text);
            assert!(!s.contains(secret), "{text} -> {s}");
            assert!(s.contains(REDACTED), "{text} -> {s}");
        }
        let plain = "database is locked at /var/lib/x.db (tokenizer ok)";
        assert_eq!(scrub(plain), plain);
        assert_eq!(scrub("été: ok"), "été: ok");
    }

    #[test]
    fn no_dsn_means_no_reporter() -> Result<(), ReporterError> {
        assert!(ErrorReporter::from_dsn(None, ReporterOptions::default())?.is_none());
        assert!(ErrorReporter::from_dsn(Some("  "), ReporterOptions::default())?.is_none());
        Ok(())
    }

    #[cfg(feature = "error-reporting")]
    #[test]
    fn bad_dsns_are_refused() {
        assert!(matches!(
            ErrorReporter::from_dsn(Some("not a dsn"), ReporterOptions::default()),
            Err(ReporterError::InvalidDsn)
        ));
    }
}
