//! Configuration: every variable a documented constant with the `DECLUTTER_` prefix, read once
//! at start-up through clap (flag or environment), validated, then frozen in [`Config`].

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Parser;
use platform::telemetry::LogFormat;
use platform::tls::TlsFiles;
use platform_db::pg::PgTls;
use secrecy::SecretString;

/// Environment variable names.
pub mod env {
    /// Listen address `host:port`.
    pub const LISTEN: &str = "DECLUTTER_LISTEN";
    /// SQLite database file, shared with the engine.
    pub const DB: &str = "DECLUTTER_DB";
    /// PostgreSQL database several instances share (`postgres://…`); replaces [`DB`] when set.
    pub const DATABASE_URL: &str = "DECLUTTER_DATABASE_URL";
    /// File holding [`DATABASE_URL`] (a mounted secret); exclusive with it.
    pub const DATABASE_URL_FILE: &str = "DECLUTTER_DATABASE_URL_FILE";
    /// PEM file of the CA certificate(s) PostgreSQL's TLS certificate chains to, trusted
    /// besides Mozilla's roots.
    pub const DATABASE_CA_FILE: &str = "DECLUTTER_DATABASE_CA_FILE";
    /// Connections each instance opens to PostgreSQL at most.
    pub const DB_POOL: &str = "DECLUTTER_DB_POOL";
    /// Public base URL, e.g. `https://declutter.example.com` (origin checks, OIDC redirects).
    pub const PUBLIC_URL: &str = "DECLUTTER_PUBLIC_URL";
    /// PEM certificate chain for native TLS.
    pub const TLS_CERT: &str = "DECLUTTER_TLS_CERT";
    /// PEM private key for native TLS.
    pub const TLS_KEY: &str = "DECLUTTER_TLS_KEY";
    /// IP address of the one reverse proxy whose `X-Forwarded-Proto`/`-For` are believed.
    pub const TRUSTED_PROXY: &str = "DECLUTTER_TRUSTED_PROXY";
    /// Comma-separated origins allowed by CORS (none by default).
    pub const CORS_ORIGINS: &str = "DECLUTTER_CORS_ORIGINS";
    /// Base64 of 32 bytes: the key encrypting cloud OAuth tokens at rest.
    pub const TOKEN_KEY: &str = "DECLUTTER_TOKEN_KEY";
    /// File holding the token key (base64), instead of the variable.
    pub const TOKEN_KEY_FILE: &str = "DECLUTTER_TOKEN_KEY_FILE";
    /// `1`: development mode (generates and persists a dev token key next to the database).
    pub const DEV: &str = "DECLUTTER_DEV";
    /// HMAC secret signing API access tokens (random per start when unset).
    pub const JWT_SECRET: &str = "DECLUTTER_JWT_SECRET";
    /// File holding [`JWT_SECRET`] (a mounted secret); exclusive with it.
    pub const JWT_SECRET_FILE: &str = "DECLUTTER_JWT_SECRET_FILE";
    /// Google OIDC client id (enables "Sign in with Google").
    pub const GOOGLE_CLIENT_ID: &str = "DECLUTTER_GOOGLE_CLIENT_ID";
    /// Google OIDC client secret.
    pub const GOOGLE_CLIENT_SECRET: &str = "DECLUTTER_GOOGLE_CLIENT_SECRET";
    /// Google issuer (discovery at `{issuer}/.well-known/openid-configuration`).
    pub const GOOGLE_ISSUER: &str = "DECLUTTER_GOOGLE_ISSUER";
    /// Microsoft OIDC client id (enables "Sign in with Microsoft").
    pub const MICROSOFT_CLIENT_ID: &str = "DECLUTTER_MICROSOFT_CLIENT_ID";
    /// Microsoft OIDC client secret.
    pub const MICROSOFT_CLIENT_SECRET: &str = "DECLUTTER_MICROSOFT_CLIENT_SECRET";
    /// Microsoft authority, `.../{tenant}/v2.0` (default `common`, multi-tenant).
    pub const MICROSOFT_ISSUER: &str = "DECLUTTER_MICROSOFT_ISSUER";
    /// Microsoft OAuth authorize endpoint (OneDrive connections).
    pub const MS_AUTH_URL: &str = "DECLUTTER_MS_AUTH_URL";
    /// Microsoft OAuth token endpoint.
    pub const MS_TOKEN_URL: &str = "DECLUTTER_MS_TOKEN_URL";
    /// Optional token revocation endpoint for Microsoft (Microsoft has none by default).
    pub const MS_REVOKE_URL: &str = "DECLUTTER_MS_REVOKE_URL";
    /// Google OAuth authorize endpoint (Drive connections).
    pub const GOOGLE_AUTH_URL: &str = "DECLUTTER_GOOGLE_AUTH_URL";
    /// Google OAuth token endpoint.
    pub const GOOGLE_TOKEN_URL: &str = "DECLUTTER_GOOGLE_TOKEN_URL";
    /// Google token revocation endpoint.
    pub const GOOGLE_REVOKE_URL: &str = "DECLUTTER_GOOGLE_REVOKE_URL";
    /// Microsoft Graph API base URL (scans of connected OneDrives).
    pub const GRAPH_URL: &str = "DECLUTTER_GRAPH_URL";
    /// Google Drive v3 API base URL (scans of connected Google Drives).
    pub const DRIVE_URL: &str = "DECLUTTER_DRIVE_URL";
    /// Sign-in attempts per minute per client IP.
    pub const LOGIN_RATE: &str = "DECLUTTER_LOGIN_RATE";
    /// Sign-ups per minute per client IP.
    pub const SIGNUP_RATE: &str = "DECLUTTER_SIGNUP_RATE";
    /// API requests per minute per client IP.
    pub const API_RATE: &str = "DECLUTTER_API_RATE";
    /// Separate listener for `/metrics` (loopback by default; unset disables).
    pub const METRICS_LISTEN: &str = "DECLUTTER_METRICS_LISTEN";
    /// Comma-separated folders under which admins may add local sources.
    pub const LOCAL_ROOTS: &str = "DECLUTTER_LOCAL_ROOTS";
    /// Scan workers per process.
    pub const SCAN_WORKERS: &str = "DECLUTTER_SCAN_WORKERS";
    /// `serve` without scan workers (the web UI alone).
    pub const NO_WORKER: &str = "DECLUTTER_NO_WORKER";
    /// Sentry DSN: report panics and internal errors there (unset: nothing is reported).
    pub const SENTRY_DSN: &str = "DECLUTTER_SENTRY_DSN";
    /// The conventional variable, read when [`SENTRY_DSN`] is unset.
    pub const SENTRY_DSN_CONVENTIONAL: &str = "SENTRY_DSN";
    /// The `environment` of reported events (e.g. `production`).
    pub const SENTRY_ENVIRONMENT: &str = "DECLUTTER_SENTRY_ENVIRONMENT";
    /// `json` or `text`.
    pub const LOG_FORMAT: &str = "LOG_FORMAT";
}

/// Command-line flags of `declutter serve`; each also reads its environment variable.
#[derive(Debug, Clone, Parser)]
#[command(name = "declutter-serve", about = "Serve the Declutter Cloud web app")]
pub struct Args {
    /// Address to listen on.
    #[arg(long, env = env::LISTEN, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// SQLite database file (created with its directory) [default: declutter.db in the user's
    /// data folder, ~/.local/share/declutter].
    #[arg(long, env = env::DB, default_value_os_t = declutter_core::db::default_path(), hide_default_value = true)]
    pub db: PathBuf,
    /// PostgreSQL database shared by several instances (`postgres://user:password@host/db`);
    /// when set, the SQLite file is not used.
    #[arg(long, env = env::DATABASE_URL, hide_env_values = true)]
    pub database_url: Option<SecretString>,
    /// File holding the PostgreSQL URL (a mounted secret), instead of `--database-url`.
    #[arg(long, env = env::DATABASE_URL_FILE)]
    pub database_url_file: Option<PathBuf>,
    /// PEM file of the CA certificate(s) of PostgreSQL's TLS certificate, trusted besides
    /// Mozilla's roots. TLS is always verified (chain and host name); add `sslmode=require` to
    /// the URL to refuse plain text.
    #[arg(long, env = env::DATABASE_CA_FILE)]
    pub database_ca_file: Option<PathBuf>,
    /// Connections this instance opens to PostgreSQL at most.
    #[arg(long, env = env::DB_POOL, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub db_pool: u16,
    /// Public base URL; defaults to `http://<listen>`.
    #[arg(long, env = env::PUBLIC_URL)]
    pub public_url: Option<String>,
    /// PEM certificate chain (with --tls-key: serve HTTPS).
    #[arg(long, env = env::TLS_CERT, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key.
    #[arg(long, env = env::TLS_KEY, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// The reverse proxy's address; only it may set X-Forwarded-Proto / X-Forwarded-For.
    #[arg(long, env = env::TRUSTED_PROXY)]
    pub trusted_proxy: Option<IpAddr>,
    /// Origins allowed by CORS, comma separated (none by default).
    #[arg(long, env = env::CORS_ORIGINS, value_delimiter = ',')]
    pub cors_origins: Vec<String>,
    /// Token encryption key, base64 of 32 bytes.
    #[arg(long, env = env::TOKEN_KEY, hide_env_values = true)]
    pub token_key: Option<SecretString>,
    /// File holding the token encryption key.
    #[arg(long, env = env::TOKEN_KEY_FILE)]
    pub token_key_file: Option<PathBuf>,
    /// Development mode: a dev token key is generated and kept beside the database.
    #[arg(long, env = env::DEV, value_parser = clap::builder::BoolishValueParser::new(), default_value = "false")]
    pub dev: bool,
    /// Secret for API access tokens (HS256); random per start when unset.
    #[arg(long, env = env::JWT_SECRET, hide_env_values = true)]
    pub jwt_secret: Option<SecretString>,
    /// File holding the API token secret (a mounted secret), instead of `--jwt-secret`.
    #[arg(long, env = env::JWT_SECRET_FILE)]
    pub jwt_secret_file: Option<PathBuf>,
    /// Google client id.
    #[arg(long, env = env::GOOGLE_CLIENT_ID)]
    pub google_client_id: Option<String>,
    /// Google client secret.
    #[arg(long, env = env::GOOGLE_CLIENT_SECRET, hide_env_values = true)]
    pub google_client_secret: Option<SecretString>,
    /// Google issuer.
    #[arg(long, env = env::GOOGLE_ISSUER, default_value = "https://accounts.google.com")]
    pub google_issuer: String,
    /// Microsoft client id.
    #[arg(long, env = env::MICROSOFT_CLIENT_ID)]
    pub microsoft_client_id: Option<String>,
    /// Microsoft client secret.
    #[arg(long, env = env::MICROSOFT_CLIENT_SECRET, hide_env_values = true)]
    pub microsoft_client_secret: Option<SecretString>,
    /// Microsoft authority (`common` accepts any tenant).
    #[arg(long, env = env::MICROSOFT_ISSUER, default_value = "https://login.microsoftonline.com/common/v2.0")]
    pub microsoft_issuer: String,
    /// Microsoft authorize endpoint for OneDrive connections.
    #[arg(long, env = env::MS_AUTH_URL, default_value = "https://login.microsoftonline.com/common/oauth2/v2.0/authorize")]
    pub ms_auth_url: String,
    /// Microsoft token endpoint.
    #[arg(long, env = env::MS_TOKEN_URL, default_value = "https://login.microsoftonline.com/common/oauth2/v2.0/token")]
    pub ms_token_url: String,
    /// Microsoft revocation endpoint (unset: tokens expire; the connection is forgotten).
    #[arg(long, env = env::MS_REVOKE_URL)]
    pub ms_revoke_url: Option<String>,
    /// Google authorize endpoint for Drive connections.
    #[arg(long, env = env::GOOGLE_AUTH_URL, default_value = "https://accounts.google.com/o/oauth2/v2/auth")]
    pub google_auth_url: String,
    /// Google token endpoint.
    #[arg(long, env = env::GOOGLE_TOKEN_URL, default_value = "https://oauth2.googleapis.com/token")]
    pub google_token_url: String,
    /// Google revocation endpoint.
    #[arg(long, env = env::GOOGLE_REVOKE_URL, default_value = "https://oauth2.googleapis.com/revoke")]
    pub google_revoke_url: Option<String>,
    /// Microsoft Graph API base URL.
    #[arg(long, env = env::GRAPH_URL, default_value = declutter_core::onedrive::DEFAULT_BASE_URL)]
    pub graph_url: String,
    /// Google Drive v3 API base URL.
    #[arg(long, env = env::DRIVE_URL, default_value = declutter_core::gdrive::DEFAULT_BASE_URL)]
    pub drive_url: String,
    /// Sign-in attempts per minute per IP (0 disables).
    #[arg(long, env = env::LOGIN_RATE, default_value_t = 20)]
    pub login_rate: u32,
    /// Sign-ups per minute per IP (0 disables).
    #[arg(long, env = env::SIGNUP_RATE, default_value_t = 5)]
    pub signup_rate: u32,
    /// API requests per minute per IP (0 disables).
    #[arg(long, env = env::API_RATE, default_value_t = 600)]
    pub api_rate: u32,
    /// Metrics listener.
    #[arg(long, env = env::METRICS_LISTEN)]
    pub metrics_listen: Option<SocketAddr>,
    /// Folders under which admins may add local sources (none by default).
    #[arg(long, env = env::LOCAL_ROOTS, value_delimiter = ',')]
    pub local_roots: Vec<PathBuf>,
    /// Workers in this process: as many for scans as for clean-ups (apply, undo), each
    /// running one queued job at a time.
    #[arg(long, env = env::SCAN_WORKERS, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub scan_workers: u16,
    /// Serve the web UI only: scans and clean-ups queued here are run by other instances' workers
    /// (`declutter worker`, or a `serve` without this flag) on the same database.
    #[arg(long, env = env::NO_WORKER, value_parser = clap::builder::BoolishValueParser::new(), default_value = "false")]
    pub no_worker: bool,
    /// Sentry DSN for error reports (panics and internal errors; never bodies, cookies or
    /// credentials). Unset: nothing is reported and nothing is initialised.
    #[arg(long, env = env::SENTRY_DSN, hide_env_values = true)]
    pub sentry_dsn: Option<SecretString>,
    /// `SENTRY_DSN`, used when `DECLUTTER_SENTRY_DSN` is unset.
    #[arg(long = "sentry-dsn-conventional", env = env::SENTRY_DSN_CONVENTIONAL, hide = true, hide_env_values = true)]
    pub sentry_dsn_conventional: Option<SecretString>,
    /// `environment` of reported events.
    #[arg(long, env = env::SENTRY_ENVIRONMENT)]
    pub sentry_environment: Option<String>,
    /// Log format.
    #[arg(long, env = env::LOG_FORMAT, value_enum, default_value_t = LogFormat::Json)]
    pub log_format: LogFormat,
}

/// One OpenID Connect provider's settings.
#[derive(Debug, Clone)]
pub struct OidcSettings {
    /// The client id registered with the provider.
    pub client_id: String,
    /// The client secret.
    pub client_secret: SecretString,
    /// Issuer (or, for Microsoft, the authority whose discovery document is read).
    pub issuer: String,
}

/// One OAuth client for cloud drive connections (authorization code + PKCE).
#[derive(Debug, Clone)]
pub struct OAuthClient {
    /// The client id (the same app registration as sign-in).
    pub client_id: String,
    /// The client secret.
    pub client_secret: SecretString,
    /// Authorize endpoint.
    pub auth_url: String,
    /// Token endpoint (code exchange and refresh).
    pub token_url: String,
    /// Revocation endpoint (RFC 7009 style `token=` form), when the provider has one.
    pub revoke_url: Option<String>,
}

/// Validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Database file (SQLite), and the folder of the development key.
    pub db: PathBuf,
    /// The PostgreSQL database, when the instance runs on one instead of [`Config::db`].
    pub database_url: Option<SecretString>,
    /// Whom PostgreSQL's TLS certificate may chain to.
    pub database_tls: PgTls,
    /// PostgreSQL connections at most.
    pub db_pool: usize,
    /// Public base URL without a trailing slash.
    pub public_url: String,
    /// TLS files, when serving HTTPS natively.
    pub tls: Option<TlsFiles>,
    /// The trusted reverse proxy.
    pub trusted_proxy: Option<IpAddr>,
    /// CORS origins.
    pub cors_origins: Vec<String>,
    /// Token key, base64 (from the variable).
    pub token_key: Option<SecretString>,
    /// Token key file.
    pub token_key_file: Option<PathBuf>,
    /// Development mode.
    pub dev: bool,
    /// API token secret.
    pub jwt_secret: Option<SecretString>,
    /// Google sign-in.
    pub google: Option<OidcSettings>,
    /// Microsoft sign-in.
    pub microsoft: Option<OidcSettings>,
    /// OneDrive connections (enabled by the Microsoft client id).
    pub onedrive: Option<OAuthClient>,
    /// Google Drive connections (enabled by the Google client id).
    pub gdrive: Option<OAuthClient>,
    /// Microsoft Graph API base URL, without a trailing slash.
    pub graph_url: String,
    /// Google Drive v3 API base URL, without a trailing slash.
    pub drive_url: String,
    /// Rate limits per minute: sign-in, sign-up, API.
    pub rates: (u32, u32, u32),
    /// Metrics listener.
    pub metrics_listen: Option<SocketAddr>,
    /// Password hashing cost; lowered by tests only.
    pub argon2_memory_kib: u32,
    /// Base of the exponential sign-in backoff.
    pub lockout_base: Duration,
    /// Allow-listed roots for local sources.
    pub local_roots: Vec<PathBuf>,
    /// Scan workers this process runs, and as many clean-up workers (0 with `--no-worker`).
    pub scan_workers: usize,
    /// Sentry DSN (redacted in `Debug`).
    pub sentry_dsn: Option<SecretString>,
    /// `environment` of reported events.
    pub sentry_environment: Option<String>,
}

/// A configuration that cannot work.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The public URL is not an absolute http(s) URL.
    #[error("{} must be an absolute http:// or https:// URL", env::PUBLIC_URL)]
    PublicUrl,
    /// A secret is given both directly and as a file.
    #[error("set {0} or {0}_FILE, not both")]
    SecretTwice(&'static str),
    /// The PostgreSQL CA file cannot be used (its content is never shown).
    #[error("{var}: {0}", var = env::DATABASE_CA_FILE)]
    DatabaseCa(#[from] platform_db::pg::CaError),
    /// A secret's file could not be read, or holds nothing (its content is never shown).
    #[error("{var}: cannot read {}: {reason}", path.display())]
    SecretFile {
        /// The variable naming the file.
        var: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// A secret given directly or in a file (Kubernetes and systemd credentials mount secrets as
/// files); the file's content without its line ending. `var` names the direct form in errors.
pub fn secret(
    direct: Option<SecretString>,
    file: Option<&Path>,
    var: &'static str,
) -> Result<Option<SecretString>, ConfigError> {
    match (direct, file) {
        (Some(_), Some(_)) => Err(ConfigError::SecretTwice(var)),
        (direct, None) => Ok(direct),
        (None, Some(path)) => {
            let failed = |reason: String| ConfigError::SecretFile {
                var,
                path: path.to_owned(),
                reason,
            };
            let text = std::fs::read_to_string(path).map_err(|e| failed(e.to_string()))?;
            let value = text.trim_end_matches(['\n', '\r']);
            if value.is_empty() {
                return Err(failed("the file is empty".into()));
            }
            Ok(Some(SecretString::from(value.to_owned())))
        }
    }
}

impl Args {
    /// Whether a PostgreSQL database is named (directly or by file).
    pub fn names_postgres(&self) -> bool {
        self.database_url.is_some() || self.database_url_file.is_some()
    }

    /// Whether the API token secret is given (directly or by file).
    pub fn has_jwt_secret(&self) -> bool {
        self.jwt_secret.is_some() || self.jwt_secret_file.is_some()
    }
}

impl Config {
    /// Validates parsed flags.
    pub fn from_args(a: Args) -> Result<Self, ConfigError> {
        let public_url = a
            .public_url
            .clone()
            .unwrap_or_else(|| {
                let scheme = if a.tls_cert.is_some() {
                    "https"
                } else {
                    "http"
                };
                format!("{scheme}://{}", a.listen)
            })
            .trim_end_matches('/')
            .to_owned();
        if reqwest::Url::parse(&public_url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
            .is_none()
        {
            return Err(ConfigError::PublicUrl);
        }
        let tls = match (a.tls_cert, a.tls_key) {
            (Some(cert), Some(key)) => Some(TlsFiles {
                cert,
                key,
                client_ca: None,
                require_client_cert: false,
            }),
            _ => None,
        };
        let oidc = |id: Option<String>, secret: Option<SecretString>, issuer: String| {
            id.map(|client_id| OidcSettings {
                client_id,
                client_secret: secret.unwrap_or_else(|| SecretString::from(String::new())),
                issuer: issuer.trim_end_matches('/').to_owned(),
            })
        };
        let client = |id: &Option<String>,
                      secret: &Option<SecretString>,
                      auth_url: String,
                      token_url: String,
                      revoke_url: Option<String>| {
            id.clone().map(|client_id| OAuthClient {
                client_id,
                client_secret: secret
                    .clone()
                    .unwrap_or_else(|| SecretString::from(String::new())),
                auth_url,
                token_url,
                revoke_url: revoke_url.filter(|u| !u.is_empty()),
            })
        };
        let onedrive = client(
            &a.microsoft_client_id,
            &a.microsoft_client_secret,
            a.ms_auth_url,
            a.ms_token_url,
            a.ms_revoke_url,
        );
        let gdrive = client(
            &a.google_client_id,
            &a.google_client_secret,
            a.google_auth_url,
            a.google_token_url,
            a.google_revoke_url,
        );
        Ok(Self {
            db: a.db,
            database_url: secret(
                a.database_url,
                a.database_url_file.as_deref(),
                env::DATABASE_URL,
            )?,
            database_tls: match &a.database_ca_file {
                Some(path) => PgTls::with_ca_file(path)?,
                None => PgTls::default(),
            },
            db_pool: usize::from(a.db_pool),
            public_url,
            tls,
            trusted_proxy: a.trusted_proxy,
            cors_origins: a
                .cors_origins
                .into_iter()
                .filter(|o| !o.is_empty())
                .collect(),
            token_key: a.token_key,
            token_key_file: a.token_key_file,
            dev: a.dev,
            jwt_secret: secret(a.jwt_secret, a.jwt_secret_file.as_deref(), env::JWT_SECRET)?,
            google: oidc(a.google_client_id, a.google_client_secret, a.google_issuer),
            microsoft: oidc(
                a.microsoft_client_id,
                a.microsoft_client_secret,
                a.microsoft_issuer,
            ),
            onedrive,
            gdrive,
            graph_url: a.graph_url.trim_end_matches('/').to_owned(),
            drive_url: a.drive_url.trim_end_matches('/').to_owned(),
            rates: (a.login_rate, a.signup_rate, a.api_rate),
            metrics_listen: a.metrics_listen,
            argon2_memory_kib: 19 * 1024,
            lockout_base: Duration::from_secs(1),
            local_roots: a
                .local_roots
                .into_iter()
                .filter(|p| !p.as_os_str().is_empty())
                .collect(),
            scan_workers: if a.no_worker {
                0
            } else {
                usize::from(a.scan_workers)
            },
            sentry_dsn: a.sentry_dsn.or(a.sentry_dsn_conventional),
            sentry_environment: a.sentry_environment.filter(|e| !e.is_empty()),
        })
    }

    /// Whether the public URL is HTTPS (HSTS is sent and `Secure` is meaningful).
    pub fn https(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// The database for messages: the SQLite file's path, or "the PostgreSQL database" (its
    /// URL may hold a password).
    pub fn store_name(&self) -> String {
        match self.database_url {
            Some(_) => "the PostgreSQL database (DECLUTTER_DATABASE_URL)".to_owned(),
            None => self.db.display().to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory as _, Parser, Subcommand};

    #[derive(Debug, Parser)]
    struct Cli {
        #[arg(long, global = true, env = super::env::DB, default_value = "declutter.db")]
        db: std::path::PathBuf,
        #[command(subcommand)]
        command: Cmd,
    }

    #[derive(Debug, Subcommand)]
    enum Cmd {
        Serve(super::Args),
    }

    #[test]
    fn nests_under_the_declutter_cli() {
        Cli::command().debug_assert();
    }

    #[test]
    fn sentry_dsn_prefers_ours_and_never_shows() -> Result<(), Box<dyn std::error::Error>> {
        use secrecy::ExposeSecret as _;
        let parse = |extra: &[&str]| -> Result<super::Config, Box<dyn std::error::Error>> {
            let mut v = vec!["declutter-serve"];
            v.extend_from_slice(extra);
            Ok(super::Config::from_args(super::Args::try_parse_from(v)?)?)
        };
        let ours = "https://ourkey@o1.ingest.example/1";
        let conventional = "https://theirkey@o2.ingest.example/2";
        let c = parse(&[
            "--sentry-dsn",
            ours,
            "--sentry-dsn-conventional",
            conventional,
        ])?;
        assert_eq!(c.sentry_dsn.as_ref().map(|d| d.expose_secret()), Some(ours));
        let dump = format!("{c:?}");
        assert!(!dump.contains("ourkey"), "{dump}");
        let c = parse(&["--sentry-dsn-conventional", conventional])?;
        assert_eq!(
            c.sentry_dsn.as_ref().map(|d| d.expose_secret()),
            Some(conventional)
        );
        let help = super::Args::command().render_long_help().to_string();
        assert!(help.contains("--sentry-dsn"));
        assert!(!help.contains("sentry-dsn-conventional"), "hidden alias");
        Ok(())
    }
}
