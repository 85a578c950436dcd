//! Configuration: every variable a documented constant, read once at start-up through clap
//! (flag or environment), validated, then frozen in [`Config`]. FlaskPaste's variable names are
//! kept so existing deployments switch without edits.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Parser;
use clap::builder::BoolishValueParser;
use platform::telemetry::LogFormat;
use platform::tls::{TlsFiles, is_fingerprint};
use secrecy::SecretString;

/// Environment variable names.
pub mod env;

const MIB: u64 = 1024 * 1024;
const DAY: u64 = 86_400;

/// Command-line flags; each also reads its environment variable.
#[derive(Debug, Parser)]
#[command(
    name = "fpasted",
    version,
    about = "Secure, minimal pastebin API server"
)]
pub struct Args {
    /// Address to listen on.
    #[arg(long, env = env::LISTEN, default_value = "127.0.0.1:5000")]
    pub listen: SocketAddr,
    /// SQLite database file (created with its directory).
    #[arg(long, env = env::DB, default_value = "data/fpaste.db")]
    pub db: PathBuf,
    /// Largest anonymous paste in bytes.
    #[arg(long, env = env::MAX_ANON, default_value_t = 3 * MIB)]
    pub max_anon: u64,
    /// Largest authenticated paste in bytes.
    #[arg(long, env = env::MAX_AUTH, default_value_t = 50 * MIB)]
    pub max_auth: u64,
    /// Smallest paste in bytes.
    #[arg(long, env = env::MIN_SIZE, default_value_t = 0)]
    pub min_size: u64,
    /// Default lifetime of anonymous pastes, seconds.
    #[arg(long, env = env::EXPIRY, default_value_t = DAY)]
    pub expiry: u64,
    /// Default lifetime of authenticated pastes, seconds.
    #[arg(long, env = env::EXPIRY_AUTH, default_value_t = 7 * DAY)]
    pub expiry_auth: u64,
    /// Default lifetime of pastes by certificates from this server's PKI, seconds.
    #[arg(long, env = env::EXPIRY_PKI, default_value_t = 30 * DAY)]
    pub expiry_pki: u64,
    /// Largest lifetime a client may ask for with X-Expiry, seconds.
    #[arg(long, env = env::MAX_EXPIRY, default_value_t = 30 * DAY)]
    pub max_expiry: u64,
    /// Content-hash throttle window, seconds.
    #[arg(long, env = env::DEDUP_WINDOW, default_value_t = 3600)]
    pub dedup_window: u64,
    /// Same-content submissions allowed per window (0 disables).
    #[arg(long, env = env::DEDUP_MAX, default_value_t = 3)]
    pub dedup_max: u32,
    /// Proof-of-work difficulty in leading zero bits (0 disables).
    #[arg(long, env = env::POW_DIFFICULTY, default_value_t = 0)]
    pub pow_difficulty: u32,
    /// Proof-of-work challenge lifetime, seconds.
    #[arg(long, env = env::POW_TTL, default_value_t = 300)]
    pub pow_ttl: u64,
    /// Proof-of-work HMAC secret, at least 32 bytes (random per start when unset).
    #[arg(long, env = env::POW_SECRET, hide_env_values = true)]
    pub pow_secret: Option<SecretString>,
    /// Creations per minute above which difficulty rises (0 disables).
    #[arg(long, env = env::POW_FLOOD, default_value_t = 60)]
    pub pow_flood: u32,
    /// Minimum Shannon entropy in bits per byte (0 disables).
    #[arg(long, env = env::MIN_ENTROPY, default_value_t = 0.0)]
    pub min_entropy: f64,
    /// Pastes shorter than this many bytes are exempt from the entropy rule.
    #[arg(long, env = env::MIN_ENTROPY_SIZE, default_value_t = 256)]
    pub min_entropy_size: u64,
    /// Trust identity and client-address headers from a TLS-terminating proxy.
    #[arg(long, env = env::TRUST_PROXY, default_value_t = false, value_parser = BoolishValueParser::new())]
    pub trust_proxy: bool,
    /// Secret the proxy must send as X-Proxy-Secret; setting it implies --trust-proxy.
    #[arg(long, env = env::PROXY_SECRET, hide_env_values = true)]
    pub proxy_secret: Option<SecretString>,
    /// Path prefix for reverse-proxy sub-paths, e.g. /paste.
    #[arg(long, env = env::URL_PREFIX, default_value = "")]
    pub url_prefix: String,
    /// Creations per minute per client address (0 disables).
    #[arg(long, env = env::RATE_LIMIT, default_value_t = 10)]
    pub rate_limit: u32,
    /// Admin certificate fingerprints (SHA-1, 40 hex), comma separated.
    #[arg(long, env = env::ADMINS, value_delimiter = ',')]
    pub admins: Vec<String>,
    /// PEM certificate chain: serve HTTPS directly.
    #[arg(long, env = env::TLS_CERT, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, env = env::TLS_KEY, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// PEM CA bundle for client certificates (enables mTLS identities).
    #[arg(long, env = env::TLS_CLIENT_CA, requires = "tls_cert")]
    pub tls_client_ca: Option<PathBuf>,
    /// Refuse TLS clients without a certificate.
    #[arg(long, env = env::TLS_REQUIRE_CLIENT_CERT, default_value_t = false, value_parser = BoolishValueParser::new())]
    pub tls_require_client_cert: bool,
    /// Whole-request timeout, seconds.
    #[arg(long, env = env::REQUEST_TIMEOUT, default_value_t = 60)]
    pub request_timeout: u64,
    /// Seconds a client may take to send its request headers.
    #[arg(long, env = env::HEADER_TIMEOUT, default_value_t = 10)]
    pub header_timeout: u64,
    /// Longest pause, seconds, between two chunks of a request body.
    #[arg(long, env = env::BODY_TIMEOUT, default_value_t = 15)]
    pub body_timeout: u64,
    /// Seconds between sweeps that purge expired pastes.
    #[arg(long, env = env::PURGE_INTERVAL, default_value_t = 60)]
    pub purge_interval: u64,
    /// Public origin, e.g. https://paste.example (default: from the request's Host header).
    #[arg(long, env = env::PUBLIC_URL)]
    pub public_url: Option<String>,
    /// The fpaste binary served at /client (default: `fpaste` beside this executable).
    #[arg(long, env = env::CLIENT_BINARY)]
    pub client_binary: Option<PathBuf>,
    /// Webhook endpoints (http or https URLs), comma separated.
    #[arg(long, env = env::WEBHOOK_URLS, value_delimiter = ',')]
    pub webhook_urls: Vec<String>,
    /// Secret for webhook signatures, at least 32 bytes; required with --webhook-urls.
    #[arg(long, env = env::WEBHOOK_SECRET, hide_env_values = true)]
    pub webhook_secret: Option<SecretString>,
    /// First webhook retry delay, milliseconds.
    #[arg(long, env = env::WEBHOOK_RETRY_BASE_MS, default_value_t = 5000)]
    pub webhook_retry_base_ms: u64,
    /// Webhook delivery attempts before giving up.
    #[arg(long, env = env::WEBHOOK_MAX_ATTEMPTS, default_value_t = 12)]
    pub webhook_max_attempts: u32,
    /// Longest URL the shortener (/s) accepts, bytes.
    #[arg(long, env = env::SHORT_URL_MAX, default_value_t = 2048)]
    pub short_url_max: usize,
    /// Certificate holders may create this many times more per minute.
    #[arg(long, env = env::RATE_AUTH_MULTIPLIER, default_value_t = 5)]
    pub rate_auth_multiplier: u32,
    /// Most client addresses the rate limiter tracks at once.
    #[arg(long, env = env::RATE_MAX_CLIENTS, default_value_t = 100_000)]
    pub rate_max_clients: usize,
    /// Scan uploads with the ClamAV daemon at this address (host:port or socket path).
    #[arg(long, env = env::CLAMAV)]
    pub clamav: Option<crate::scanner::ClamdAddr>,
    /// Seconds to wait for a scan verdict.
    #[arg(long, env = env::CLAMAV_TIMEOUT, default_value_t = 30)]
    pub clamav_timeout: u64,
    /// Bytes of small pastes (neither burn-after-read nor password protected) kept in memory
    /// for fast reads; 0 disables, as it must when several processes share one database.
    #[arg(long, env = env::CACHE_BYTES, default_value_t = 16 * MIB)]
    pub cache_bytes: u64,
    /// Serve /metrics on this separate address instead of the main listener.
    #[arg(long, env = env::METRICS_LISTEN)]
    pub metrics_listen: Option<SocketAddr>,
    /// Log format.
    #[arg(long, env = env::LOG_FORMAT, value_enum, default_value_t = LogFormat::Json)]
    pub log_format: LogFormat,
    /// Creating needs a client certificate; anyone with a link can still read.
    #[arg(long, env = env::REQUIRE_IDENTITY, default_value_t = false, value_parser = BoolishValueParser::new())]
    pub require_identity: bool,
    /// Burn-after-read and X-Max-Views pastes count only reads sending X-Burn-Confirm: true,
    /// unless their creator sent X-Burn-Confirm: false.
    #[arg(long, env = env::BURN_CONFIRM, default_value_t = false, value_parser = BoolishValueParser::new())]
    pub burn_confirm: bool,
    /// Bytes of live pastes one certificate may hold (0 disables).
    #[arg(long, env = env::QUOTA_BYTES, default_value_t = 1024 * MIB)]
    pub quota_bytes: u64,
    /// Live pastes one certificate may hold (0 disables).
    #[arg(long, env = env::QUOTA_PASTES, default_value_t = 10_000)]
    pub quota_pastes: u64,
    /// Bytes one anonymous client address (IPv6 by /64) may create per UTC day (0 disables).
    #[arg(long, env = env::ANON_QUOTA_BYTES, default_value_t = 100 * MIB)]
    pub anon_quota_bytes: u64,
    /// Pastes one anonymous client address may create per UTC day (0 disables).
    #[arg(long, env = env::ANON_QUOTA_PASTES, default_value_t = 1000)]
    pub anon_quota_pastes: u64,
    /// Request-body bytes held in memory at once across all uploads; at least the largest paste.
    #[arg(long, env = env::BODY_BUDGET, default_value_t = 96 * MIB)]
    pub body_budget: u64,
    /// Seconds an upload waits for room in the body budget before it is refused with 503.
    #[arg(long, env = env::BODY_WAIT, default_value_t = 5)]
    pub body_wait: u64,
    /// The built-in PKI (`FLASKPASTE_PKI_*`, `FLASKPASTE_REGISTER_POW`).
    #[command(flatten)]
    pub pki: crate::pki::config::PkiArgs,
    /// Bytes of large uploads spooled to disk at once while they arrive; at least the largest
    /// paste. Uploads past it wait as for the body budget.
    #[arg(long, env = env::SPOOL_BUDGET, default_value_t = 1024 * MIB)]
    pub spool_budget: u64,
}

/// Validated, frozen configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// SQLite database file.
    pub db: PathBuf,
    /// Largest anonymous paste.
    pub max_anon: u64,
    /// Largest authenticated paste.
    pub max_auth: u64,
    /// Smallest paste.
    pub min_size: u64,
    /// Default anonymous lifetime.
    pub expiry_anon: u64,
    /// Default authenticated lifetime.
    pub expiry_auth: u64,
    /// Default lifetime, our-PKI certificates.
    pub expiry_pki: u64,
    /// Cap on lifetimes.
    pub max_expiry: u64,
    /// Throttle window.
    pub dedup_window: u64,
    /// Throttle count.
    pub dedup_max: u32,
    /// Proof-of-work difficulty.
    pub pow_difficulty: u32,
    /// Challenge lifetime.
    pub pow_ttl: u64,
    /// Challenge secret.
    pub pow_secret: Option<SecretString>,
    /// Flood threshold.
    pub pow_flood: u32,
    /// Entropy minimum.
    pub min_entropy: f64,
    /// Entropy exemption size.
    pub min_entropy_size: u64,
    /// Trust proxy headers.
    pub trust_proxy: bool,
    /// Proxy secret.
    pub proxy_secret: Option<SecretString>,
    /// Normalised prefix: empty or `/segment(/segment)*`.
    pub url_prefix: String,
    /// Per-IP creations per minute.
    pub rate_limit: u32,
    /// Admin fingerprints.
    pub admins: Vec<String>,
    /// Native TLS.
    pub tls: Option<TlsFiles>,
    /// Whole-request timeout.
    pub request_timeout: Duration,
    /// Header read timeout.
    pub header_timeout: Duration,
    /// Body idle timeout.
    pub body_timeout: Duration,
    /// Sweep interval.
    pub purge_interval: Duration,
    /// Public origin without trailing slash.
    pub public_url: Option<String>,
    /// Binary served at `/client`.
    pub client_binary: Option<PathBuf>,
    /// Where "now" comes from: the system clock, or a manual one in tests.
    pub clock: paste_core::clock::Clock,
    /// Separate metrics listener.
    pub metrics_listen: Option<SocketAddr>,
    /// Read cache capacity in bytes.
    pub cache_bytes: u64,
    /// Malware scanner.
    pub scanner: Option<crate::scanner::Scanner>,
    /// Webhook endpoints.
    pub webhook_urls: Vec<String>,
    /// Webhook signing secret.
    pub webhook_secret: Option<SecretString>,
    /// First retry delay.
    pub webhook_retry_base: Duration,
    /// Attempts before giving up.
    pub webhook_max_attempts: u32,
    /// Creating needs a client certificate.
    pub require_identity: bool,
    /// Counted pastes want confirmed reads unless their creator says otherwise.
    pub burn_confirm: bool,
    /// Per-certificate quota of live pastes.
    pub quota: paste_core::store::QuotaLimits,
    /// Per-address daily quota of anonymous creations.
    pub anon_quota: paste_core::store::QuotaLimits,
    /// Request-body bytes held in memory at once.
    pub body_budget: u64,
    /// Longest wait for room in the body budget.
    pub body_wait: Duration,
    /// Bytes of uploads spooled to disk at once.
    pub spool_budget: u64,
    /// Longest shortened URL, bytes.
    pub short_url_max: usize,
    /// Quota multiplier for certificate holders.
    pub rate_cert_multiplier: u32,
    /// Bound of the rate limiter's address table.
    pub rate_max_clients: usize,
    /// The built-in PKI.
    pub pki: crate::pki::config::PkiConfig,
}

/// A configuration value that cannot work.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Explained in the message.
    #[error("{0}")]
    Invalid(String),
}

fn invalid(msg: impl Into<String>) -> ConfigError {
    ConfigError::Invalid(msg.into())
}

impl Config {
    /// Validates the parsed flags.
    pub fn from_args(args: Args) -> Result<Self, ConfigError> {
        let url_prefix = normalise_prefix(&args.url_prefix)?;
        let admins = args
            .admins
            .iter()
            .map(|a| a.trim().to_ascii_lowercase())
            .filter(|a| !a.is_empty())
            .collect::<Vec<_>>();
        if let Some(bad) = admins.iter().find(|a| !is_fingerprint(a)) {
            return Err(invalid(format!(
                "{}: {bad:?} is not a SHA-1 fingerprint (40 hex digits)",
                env::ADMINS
            )));
        }
        if !(0.0..=8.0).contains(&args.min_entropy) {
            return Err(invalid(format!(
                "{} must be between 0 and 8",
                env::MIN_ENTROPY
            )));
        }
        if args.pow_difficulty > 40 {
            return Err(invalid(format!(
                "{} above 40 is unsolvable in practice",
                env::POW_DIFFICULTY
            )));
        }
        if args.max_anon == 0 || args.max_auth == 0 {
            return Err(invalid("maximum paste sizes must be positive"));
        }
        if args.min_size > args.max_anon.min(args.max_auth) {
            return Err(invalid(format!(
                "{} exceeds the maximum paste size",
                env::MIN_SIZE
            )));
        }
        if args.max_expiry == 0 || args.dedup_window == 0 || args.pow_ttl == 0 {
            return Err(invalid(
                "expiry, dedup window and challenge lifetime must be positive",
            ));
        }
        if let Some(secret) = &args.pow_secret
            && secrecy::ExposeSecret::expose_secret(secret).len() < 32
        {
            return Err(invalid(format!(
                "{} must be at least 32 bytes",
                env::POW_SECRET
            )));
        }
        // With the built-in PKI and native TLS, its CA verifies client certificates.
        let pki_mtls = args.pki.pki_enabled && args.tls_cert.is_some();
        if args.tls_require_client_cert && args.tls_client_ca.is_none() && !pki_mtls {
            return Err(invalid(format!(
                "{} needs {}",
                env::TLS_REQUIRE_CLIENT_CERT,
                env::TLS_CLIENT_CA
            )));
        }
        if args.require_identity && args.tls_client_ca.is_none() && !pki_mtls && !args.trust_proxy {
            return Err(invalid(format!(
                "{} needs a source of identities: {} or {}",
                env::REQUIRE_IDENTITY,
                env::TLS_CLIENT_CA,
                env::TRUST_PROXY
            )));
        }
        for (name, budget) in [
            (env::BODY_BUDGET, args.body_budget),
            (env::SPOOL_BUDGET, args.spool_budget),
        ] {
            if budget < args.max_anon.max(args.max_auth) {
                return Err(invalid(format!(
                    "{name} must hold at least the largest paste ({} bytes)",
                    args.max_anon.max(args.max_auth)
                )));
            }
        }
        let webhook_urls: Vec<String> = args
            .webhook_urls
            .iter()
            .map(|u| u.trim().to_owned())
            .filter(|u| !u.is_empty())
            .collect();
        if let Some(bad) = webhook_urls.iter().find(|u| {
            !(u.starts_with("https://") || u.starts_with("http://"))
                || u.contains(char::is_whitespace)
        }) {
            return Err(invalid(format!(
                "{}: {bad:?} is not an http(s) URL",
                env::WEBHOOK_URLS
            )));
        }
        let secret_len = args
            .webhook_secret
            .as_ref()
            .map_or(0, |s| secrecy::ExposeSecret::expose_secret(s).len());
        if !webhook_urls.is_empty() && secret_len < 32 {
            return Err(invalid(format!(
                "{} needs {} of at least 32 bytes",
                env::WEBHOOK_URLS,
                env::WEBHOOK_SECRET
            )));
        }
        let tls = match (args.tls_cert, args.tls_key) {
            (Some(cert), Some(key)) => Some(TlsFiles {
                cert,
                key,
                client_ca: args.tls_client_ca,
                require_client_cert: args.tls_require_client_cert,
            }),
            _ => None,
        };
        Ok(Self {
            db: args.db,
            max_anon: args.max_anon,
            max_auth: args.max_auth,
            min_size: args.min_size,
            expiry_anon: args.expiry,
            expiry_auth: args.expiry_auth,
            expiry_pki: args.expiry_pki,
            max_expiry: args.max_expiry,
            dedup_window: args.dedup_window,
            dedup_max: args.dedup_max,
            pow_difficulty: args.pow_difficulty,
            pow_ttl: args.pow_ttl,
            pow_secret: args.pow_secret,
            pow_flood: args.pow_flood,
            min_entropy: args.min_entropy,
            min_entropy_size: args.min_entropy_size,
            // FlaskPaste documents the secret alone as enabling proxy trust; honour that rather
            // than silently ignoring every identity the proxy vouches for.
            trust_proxy: args.trust_proxy || args.proxy_secret.is_some(),
            proxy_secret: args.proxy_secret,
            url_prefix,
            rate_limit: args.rate_limit,
            admins,
            tls,
            request_timeout: Duration::from_secs(args.request_timeout.max(1)),
            header_timeout: Duration::from_secs(args.header_timeout.max(1)),
            body_timeout: Duration::from_secs(args.body_timeout.max(1)),
            purge_interval: Duration::from_secs(args.purge_interval.max(1)),
            public_url: match args
                .public_url
                .map(|u| u.trim().trim_end_matches('/').to_owned())
            {
                Some(u)
                    if !(u.starts_with("https://") || u.starts_with("http://"))
                        || u.contains(char::is_whitespace) =>
                {
                    return Err(invalid(format!(
                        "{}: {u:?} is not an http(s) origin",
                        env::PUBLIC_URL
                    )));
                }
                other => other.filter(|u| !u.is_empty()),
            },
            client_binary: args.client_binary,
            clock: paste_core::clock::Clock::system(),
            metrics_listen: args.metrics_listen,
            cache_bytes: args.cache_bytes,
            scanner: args.clamav.map(|addr| crate::scanner::Scanner {
                addr,
                timeout: Duration::from_secs(args.clamav_timeout.max(1)),
            }),
            webhook_urls,
            webhook_secret: args.webhook_secret,
            webhook_retry_base: Duration::from_millis(args.webhook_retry_base_ms.max(1)),
            webhook_max_attempts: args.webhook_max_attempts.max(1),
            require_identity: args.require_identity,
            burn_confirm: args.burn_confirm,
            quota: paste_core::store::QuotaLimits {
                bytes: args.quota_bytes,
                pastes: args.quota_pastes,
            },
            anon_quota: paste_core::store::QuotaLimits {
                bytes: args.anon_quota_bytes,
                pastes: args.anon_quota_pastes,
            },
            body_budget: args.body_budget,
            body_wait: Duration::from_secs(args.body_wait),
            spool_budget: args.spool_budget,
            short_url_max: args.short_url_max.clamp(16, 65_536),
            rate_cert_multiplier: args.rate_auth_multiplier.max(1),
            rate_max_clients: args.rate_max_clients.max(1),
            pki: crate::pki::config::PkiConfig::from_args(args.pki)?,
        })
    }

    /// The lifetime policy: defaults per tier, capped at the maximum.
    pub fn expiry_policy(&self) -> paste_core::expiry::ExpiryPolicy {
        paste_core::expiry::ExpiryPolicy {
            default_anon: self.expiry_anon,
            default_auth: self.expiry_auth,
            default_pki: self.expiry_pki,
            max: self.max_expiry,
        }
    }

    /// Defaults for tests: a database under `dir`, no proof of work, no rate limit, no
    /// throttle; tests switch on what they exercise.
    pub fn for_tests(dir: &Path) -> Self {
        let args = Args::parse_from(["fpasted"]);
        let mut cfg = Self::from_args(args).unwrap_or_else(|_| unreachable_defaults());
        cfg.db = dir.join("fpaste.db");
        cfg.rate_limit = 0;
        cfg.dedup_max = 0;
        cfg.pow_difficulty = 0;
        cfg
    }

    /// Whether `fp` is an admin.
    pub fn is_admin(&self, fp: &str) -> bool {
        self.admins.iter().any(|a| a == fp)
    }
}

#[expect(
    clippy::panic,
    reason = "the built-in defaults are validated by a unit test"
)]
fn unreachable_defaults() -> Config {
    panic!("built-in defaults failed validation")
}

/// `""`, `"/"` → `""`; `"paste/"` → `"/paste"`; refuses characters that need escaping.
pub fn normalise_prefix(raw: &str) -> Result<String, ConfigError> {
    let trimmed = raw.trim().trim_matches('/');
    if trimmed.is_empty() {
        return Ok(String::new());
    }
    let ok = trimmed.split('/').all(|seg| {
        !seg.is_empty()
            && seg != "."
            && seg != ".."
            && seg
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'))
    });
    if ok {
        Ok(format!("/{trimmed}"))
    } else {
        Err(invalid(format!(
            "{}: {raw:?} is not a plain path",
            env::URL_PREFIX
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate() {
        assert!(Config::from_args(Args::parse_from(["fpasted"])).is_ok());
    }

    #[test]
    fn prefixes_normalise() -> Result<(), ConfigError> {
        assert_eq!(normalise_prefix("")?, "");
        assert_eq!(normalise_prefix("/")?, "");
        assert_eq!(normalise_prefix("paste/")?, "/paste");
        assert_eq!(normalise_prefix("/a/b")?, "/a/b");
        assert!(normalise_prefix("/a/../b").is_err());
        assert!(normalise_prefix("/a b").is_err());
        Ok(())
    }

    #[test]
    fn rejects_bad_admins_and_entropy() {
        let args = Args::parse_from(["fpasted", "--admins", "xyz"]);
        assert!(Config::from_args(args).is_err());
        let args = Args::parse_from(["fpasted", "--min-entropy", "9"]);
        assert!(Config::from_args(args).is_err());
    }
}
