//! The environment variables fpasted reads (each also a command-line flag, see [`super::Args`]).

/// Listen address `host:port`.
pub const LISTEN: &str = "FLASKPASTE_LISTEN";
/// SQLite database file.
pub const DB: &str = "FLASKPASTE_DB";
/// Largest anonymous paste, bytes.
pub const MAX_ANON: &str = "FLASKPASTE_MAX_ANON";
/// Largest authenticated paste, bytes.
pub const MAX_AUTH: &str = "FLASKPASTE_MAX_AUTH";
/// Smallest paste, bytes.
pub const MIN_SIZE: &str = "FLASKPASTE_MIN_SIZE";
/// Default lifetime of an anonymous paste, seconds.
pub const EXPIRY: &str = "FLASKPASTE_EXPIRY";
/// Default lifetime of an authenticated paste, seconds.
pub const EXPIRY_AUTH: &str = "FLASKPASTE_EXPIRY_AUTH";
/// Default lifetime of pastes by certificates from this server's own PKI, seconds.
pub const EXPIRY_PKI: &str = "FLASKPASTE_EXPIRY_PKI";
/// Cap on `X-Expiry`, seconds.
pub const MAX_EXPIRY: &str = "FLASKPASTE_MAX_EXPIRY";
/// Content-hash throttle window, seconds.
pub const DEDUP_WINDOW: &str = "FLASKPASTE_DEDUP_WINDOW";
/// Same-content submissions allowed per window; 0 disables.
pub const DEDUP_MAX: &str = "FLASKPASTE_DEDUP_MAX";
/// Proof-of-work leading zero bits; 0 disables.
pub const POW_DIFFICULTY: &str = "FLASKPASTE_POW_DIFFICULTY";
/// Challenge lifetime, seconds.
pub const POW_TTL: &str = "FLASKPASTE_POW_TTL";
/// HMAC secret for challenges (random per start when unset).
pub const POW_SECRET: &str = "FLASKPASTE_POW_SECRET";
/// Creations per minute above which difficulty rises; 0 disables.
pub const POW_FLOOD: &str = "FLASKPASTE_POW_FLOOD";
/// Minimum entropy, bits per byte; 0 disables.
pub const MIN_ENTROPY: &str = "FLASKPASTE_MIN_ENTROPY";
/// Pastes shorter than this are exempt from the entropy rule.
pub const MIN_ENTROPY_SIZE: &str = "FLASKPASTE_MIN_ENTROPY_SIZE";
/// Trust `X-SSL-Client-SHA1` and `X-Forwarded-For` from a TLS-terminating proxy.
pub const TRUST_PROXY: &str = "FLASKPASTE_TRUST_PROXY";
/// Secret the proxy sends as `X-Proxy-Secret`.
pub const PROXY_SECRET: &str = "TRUSTED_PROXY_SECRET";
/// Path prefix when served under a sub-path.
pub const URL_PREFIX: &str = "FLASKPASTE_URL_PREFIX";
/// Creations per minute per client IP; 0 disables.
pub const RATE_LIMIT: &str = "FLASKPASTE_RATE_LIMIT";
/// Comma-separated admin certificate fingerprints.
pub const ADMINS: &str = "FLASKPASTE_ADMINS";
/// PEM certificate chain for native TLS.
pub const TLS_CERT: &str = "FLASKPASTE_TLS_CERT";
/// PEM private key for native TLS.
pub const TLS_KEY: &str = "FLASKPASTE_TLS_KEY";
/// PEM CA bundle for client certificates (enables mTLS identities).
pub const TLS_CLIENT_CA: &str = "FLASKPASTE_TLS_CLIENT_CA";
/// Refuse connections without a client certificate.
pub const TLS_REQUIRE_CLIENT_CERT: &str = "FLASKPASTE_TLS_REQUIRE_CLIENT_CERT";
/// Whole-request timeout, seconds.
pub const REQUEST_TIMEOUT: &str = "FLASKPASTE_REQUEST_TIMEOUT";
/// Seconds a client may take to send request headers.
pub const HEADER_TIMEOUT: &str = "FLASKPASTE_HEADER_TIMEOUT";
/// Longest pause, seconds, between two chunks of a request body.
pub const BODY_TIMEOUT: &str = "FLASKPASTE_BODY_TIMEOUT";
/// Seconds between expiry sweeps.
pub const PURGE_INTERVAL: &str = "FLASKPASTE_PURGE_INTERVAL";
/// Public origin (`https://paste.example`) for URLs the server writes into served files;
/// derived from the request's Host when unset.
pub const PUBLIC_URL: &str = "FLASKPASTE_PUBLIC_URL";
/// Path of the `fpaste` binary served at `/client`.
pub const CLIENT_BINARY: &str = "FLASKPASTE_CLIENT_BINARY";
/// Comma-separated webhook endpoint URLs.
pub const WEBHOOK_URLS: &str = "FLASKPASTE_WEBHOOK_URLS";
/// HMAC-SHA256 secret signing webhook deliveries.
pub const WEBHOOK_SECRET: &str = "FLASKPASTE_WEBHOOK_SECRET";
/// First retry delay in milliseconds; doubles per attempt, capped at an hour.
pub const WEBHOOK_RETRY_BASE_MS: &str = "FLASKPASTE_WEBHOOK_RETRY_BASE_MS";
/// Attempts before a delivery is given up.
pub const WEBHOOK_MAX_ATTEMPTS: &str = "FLASKPASTE_WEBHOOK_MAX_ATTEMPTS";
/// Longest URL the shortener accepts, bytes.
pub const SHORT_URL_MAX: &str = "FLASKPASTE_SHORT_URL_MAX";
/// Creation quota multiplier for certificate holders.
pub const RATE_AUTH_MULTIPLIER: &str = "FLASKPASTE_RATE_AUTH_MULTIPLIER";
/// Most client addresses the rate limiter tracks at once.
pub const RATE_MAX_CLIENTS: &str = "FLASKPASTE_RATE_MAX_CLIENTS";
/// clamd address (`host:port` or a socket path) to scan uploads; unset disables scanning.
pub const CLAMAV: &str = "FLASKPASTE_CLAMAV";
/// Seconds to wait for a scan verdict.
pub const CLAMAV_TIMEOUT: &str = "FLASKPASTE_CLAMAV_TIMEOUT";
/// Bytes of small, freely readable pastes kept in memory (0 disables the cache).
pub const CACHE_BYTES: &str = "FLASKPASTE_CACHE_BYTES";
/// Separate listener for `/metrics`.
pub const METRICS_LISTEN: &str = "FLASKPASTE_METRICS_LISTEN";
/// `json` or `text`.
pub const LOG_FORMAT: &str = "LOG_FORMAT";
/// Creating needs a client certificate; reading with the link never does.
pub const REQUIRE_IDENTITY: &str = "FLASKPASTE_REQUIRE_IDENTITY";
/// Counted pastes (burn after read, `X-Max-Views`) count only confirmed reads by default.
pub const BURN_CONFIRM: &str = "FLASKPASTE_BURN_CONFIRM";
/// Bytes of live pastes one certificate may hold; 0 disables.
pub const QUOTA_BYTES: &str = "FLASKPASTE_QUOTA_BYTES";
/// Live pastes one certificate may hold; 0 disables.
pub const QUOTA_PASTES: &str = "FLASKPASTE_QUOTA_PASTES";
/// Bytes one anonymous address may create per UTC day; 0 disables.
pub const ANON_QUOTA_BYTES: &str = "FLASKPASTE_ANON_QUOTA_BYTES";
/// Pastes one anonymous address may create per UTC day; 0 disables.
pub const ANON_QUOTA_PASTES: &str = "FLASKPASTE_ANON_QUOTA_PASTES";
/// Request-body bytes held in memory at once, across all uploads.
pub const BODY_BUDGET: &str = "FLASKPASTE_BODY_BUDGET";
/// Seconds an upload waits for room in the body budget before a 503.
pub const BODY_WAIT: &str = "FLASKPASTE_BODY_WAIT";
/// Bytes of uploads spooled to disk at once (beside the database) while they arrive.
pub const SPOOL_BUDGET: &str = "FLASKPASTE_SPOOL_BUDGET";
