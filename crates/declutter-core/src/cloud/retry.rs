//! One place that talks HTTP to cloud APIs: bearer tokens with one refresh on 401, retries
//! with exponential backoff and jitter on throttling (429, 503, Drive's 403 rate-limit
//! reasons) and transient failures, `Retry-After` honoured, and a cap on requests in flight.
//! Redirects are followed by reqwest, which drops the `Authorization` header when the target
//! is another host (Graph's downloads answer 302 to a pre-authenticated storage URL).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rand::Rng as _;
use reqwest::{RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;
use tokio::sync::Semaphore;

use super::api_error::ApiError;
use super::error::HttpError;
use super::token::TokenSource;

/// How hard to retry.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// First backoff delay.
    pub base_delay: Duration,
    /// Longest backoff delay.
    pub max_delay: Duration,
    /// Longest `Retry-After` we obey (a server asking for more gets this). Graph has been seen
    /// asking for 315 s; waiting less only earns another 429.
    pub max_retry_after: Duration,
    /// Requests in flight at once.
    pub concurrency: usize,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 8,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(60),
            max_retry_after: Duration::from_secs(MAX_RETRY_AFTER_SECS),
            concurrency: 4,
        }
    }
}

/// Default cap on a `Retry-After` wait: ten minutes.
pub const MAX_RETRY_AFTER_SECS: u64 = 600;

impl RetryPolicy {
    /// How long to wait before retry number `attempt`: the server's `Retry-After` up to
    /// [`Self::max_retry_after`], else [`Self::backoff`].
    pub fn wait(&self, retry_after: Option<Duration>, attempt: u32) -> Duration {
        match retry_after {
            Some(d) => d.min(self.max_retry_after),
            None => self.backoff(attempt),
        }
    }

    /// Backoff before retry number `attempt` (1-based): exponential, capped, with full jitter
    /// over the upper half so that clients throttled together do not retry together.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = self.base_delay.saturating_mul(1u32 << attempt.min(16));
        let capped = exp.min(self.max_delay);
        let factor = rand::rng().random_range(0.5..=1.0);
        capped.mul_f64(factor)
    }
}

/// An authenticated, throttling-aware HTTP client for one account.
#[derive(Clone)]
pub struct HttpClient {
    http: reqwest::Client,
    tokens: Arc<dyn TokenSource>,
    policy: RetryPolicy,
    in_flight: Arc<Semaphore>,
    downloads: Arc<Semaphore>,
    calls: Arc<AtomicU64>,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

/// Why an attempt should be retried.
enum Verdict {
    Done(Response),
    Retry(Option<Duration>),
    Refresh,
    Fail(HttpError),
}

fn retry_after(resp: &Response) -> Option<Duration> {
    let v = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?;
    v.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// Drive reports per-user throttling as 403 with these reasons; they pass within seconds.
/// `dailyLimitExceeded` is not among them: the project's quota for the day is spent, and
/// retrying within minutes only spends more requests.
fn is_rate_limit_reason(reason: Option<&str>) -> bool {
    matches!(reason, Some("userRateLimitExceeded" | "rateLimitExceeded"))
}

fn location(resp: &Response) -> Option<String> {
    resp.headers()
        .get(reqwest::header::LOCATION)?
        .to_str()
        .ok()
        .map(str::to_owned)
}

/// The failure for a non-success `resp`, with the API's message and reason.
async fn failure(resp: Response) -> HttpError {
    let status = resp.status().as_u16();
    let location = location(&resp);
    let body = resp.text().await.unwrap_or_default();
    let api = ApiError::parse(&body);
    HttpError::Status {
        status,
        message: api.message,
        reason: api.reason,
        location,
    }
}

impl HttpClient {
    /// A client using `tokens` and `policy`.
    pub fn new(tokens: Arc<dyn TokenSource>, policy: RetryPolicy) -> Result<Self, HttpError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(20))
            .timeout(Duration::from_secs(120))
            .build()?;
        Ok(Self::with_http(http, tokens, policy))
    }

    /// A client over an existing connection pool `http` (cheap: many short-lived clients, one
    /// pool), using `tokens` and `policy`.
    pub fn with_http(
        http: reqwest::Client,
        tokens: Arc<dyn TokenSource>,
        policy: RetryPolicy,
    ) -> Self {
        Self {
            http,
            tokens,
            policy,
            in_flight: Arc::new(Semaphore::new(policy.concurrency.max(1))),
            downloads: Arc::new(Semaphore::new(policy.concurrency.max(1))),
            calls: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Requests sent so far, retries included.
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// Sends the request `build` makes, retrying as the policy says; non-success is an error.
    pub async fn send(
        &self,
        build: impl Fn(&reqwest::Client) -> RequestBuilder,
    ) -> Result<Response, HttpError> {
        let mut attempt = 0u32;
        let mut refreshed = false;
        let mut token = self.tokens.token().await?;
        loop {
            let verdict = {
                let _permit = self
                    .in_flight
                    .acquire()
                    .await
                    .map_err(|_| HttpError::Throttled { attempts: attempt })?;
                self.calls.fetch_add(1, Ordering::Relaxed);
                match build(&self.http).bearer_auth(&token).send().await {
                    Err(e) if attempt >= self.policy.max_retries => Verdict::Fail(e.into()),
                    Err(_) => Verdict::Retry(None),
                    Ok(resp) => judge(resp).await,
                }
            };
            match verdict {
                Verdict::Done(resp) => return Ok(resp),
                Verdict::Fail(e) => return Err(e),
                Verdict::Refresh if refreshed => return Err(HttpError::Unauthorized),
                Verdict::Refresh => {
                    refreshed = true;
                    token = self.tokens.refresh().await?;
                }
                Verdict::Retry(_) if attempt >= self.policy.max_retries => {
                    return Err(HttpError::Throttled {
                        attempts: attempt + 1,
                    });
                }
                Verdict::Retry(after) => {
                    attempt += 1;
                    let wait = self.policy.wait(after, attempt);
                    tracing::debug!(
                        attempt,
                        wait_ms = wait.as_millis() as u64,
                        "throttled, retrying"
                    );
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    /// Sends and decodes a JSON body.
    pub async fn json<T: DeserializeOwned>(
        &self,
        build: impl Fn(&reqwest::Client) -> RequestBuilder,
    ) -> Result<T, HttpError> {
        let resp = self.send(build).await?;
        let bytes = resp.bytes().await?;
        serde_json::from_slice(&bytes).map_err(|e| HttpError::Decode(e.to_string()))
    }

    /// Downloads the body `build` asks for and returns its BLAKE3 (hex) and length, streaming
    /// it chunk by chunk (memory stays one chunk whatever the size); `None` as soon as the body
    /// exceeds `max_bytes`. At most [`RetryPolicy::concurrency`] downloads of this client run
    /// at once: a permit is held from the request to the last byte.
    pub async fn hash_body(
        &self,
        build: impl Fn(&reqwest::Client) -> RequestBuilder,
        max_bytes: u64,
    ) -> Result<Option<(String, u64)>, HttpError> {
        let _permit = self
            .downloads
            .acquire()
            .await
            .map_err(|_| HttpError::Throttled { attempts: 0 })?;
        let mut resp = self.send(build).await?;
        if resp.content_length().is_some_and(|n| n > max_bytes) {
            return Ok(None);
        }
        let mut hasher = blake3::Hasher::new();
        let mut total = 0u64;
        while let Some(chunk) = resp.chunk().await? {
            total += chunk.len() as u64;
            if total > max_bytes {
                return Ok(None);
            }
            hasher.update(&chunk);
        }
        Ok(Some((hasher.finalize().to_hex().to_string(), total)))
    }

    /// Like [`Self::json`], but a 404 is `None`.
    pub async fn json_opt<T: DeserializeOwned>(
        &self,
        build: impl Fn(&reqwest::Client) -> RequestBuilder,
    ) -> Result<Option<T>, HttpError> {
        match self.json(build).await {
            Ok(v) => Ok(Some(v)),
            Err(HttpError::Status { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

async fn judge(resp: Response) -> Verdict {
    let status = resp.status();
    if status.is_success() {
        return Verdict::Done(resp);
    }
    match status {
        StatusCode::UNAUTHORIZED => Verdict::Refresh,
        StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => {
            Verdict::Retry(retry_after(&resp))
        }
        StatusCode::INTERNAL_SERVER_ERROR
        | StatusCode::BAD_GATEWAY
        | StatusCode::GATEWAY_TIMEOUT => Verdict::Retry(None),
        StatusCode::FORBIDDEN => {
            let after = retry_after(&resp);
            let err = failure(resp).await;
            if is_rate_limit_reason(err.reason()) {
                Verdict::Retry(after)
            } else {
                Verdict::Fail(err)
            }
        }
        _ => Verdict::Fail(failure(resp).await),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_retry_after_is_obeyed_up_to_ten_minutes() {
        let p = RetryPolicy::default();
        let graph_seen = Duration::from_secs(315);
        assert_eq!(p.wait(Some(graph_seen), 1), graph_seen);
        assert_eq!(
            p.wait(Some(Duration::from_secs(86_400)), 1),
            Duration::from_secs(MAX_RETRY_AFTER_SECS)
        );
        assert!(p.wait(None, 1) <= p.max_delay);
    }

    #[test]
    fn only_short_lived_rate_limits_are_retried() {
        assert!(is_rate_limit_reason(Some("userRateLimitExceeded")));
        assert!(is_rate_limit_reason(Some("rateLimitExceeded")));
        assert!(!is_rate_limit_reason(Some("dailyLimitExceeded")));
        assert!(!is_rate_limit_reason(Some("insufficientFilePermissions")));
    }
}
