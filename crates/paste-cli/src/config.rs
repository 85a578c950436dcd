//! Effective settings: command-line flags override environment variables, which override the
//! config file (`$XDG_CONFIG_HOME/fpaste/config.toml`), which overrides built-in defaults.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use url::Url;

use crate::error::{CliError, Result};

/// Server base URL, URL prefix included.
pub const ENV_SERVER: &str = "FPASTE_SERVER";
/// The original FlaskPaste client's name for the server, read when `FPASTE_SERVER` is unset.
pub const ENV_SERVER_FLASKPASTE: &str = "FLASKPASTE_SERVER";
/// PEM client certificate for mTLS.
pub const ENV_CLIENT_CERT: &str = "FPASTE_CLIENT_CERT";
/// PEM private key of the client certificate.
pub const ENV_CLIENT_KEY: &str = "FPASTE_CLIENT_KEY";
/// PEM CA bundle to trust for the server certificate (on top of the built-in roots).
pub const ENV_CA_FILE: &str = "FPASTE_CA_FILE";
/// SHA-256 fingerprint of the server's leaf certificate; when set, only that certificate is
/// accepted.
pub const ENV_SERVER_FINGERPRINT: &str = "FPASTE_SERVER_FINGERPRINT";
/// Paste password for create and get.
pub const ENV_PASSWORD: &str = "FPASTE_PASSWORD";
/// Path of the config file, instead of the XDG location.
pub const ENV_CONFIG: &str = "FPASTE_CONFIG";
/// Server used when nothing else names one.
pub const DEFAULT_SERVER: &str = "http://127.0.0.1:5000";

/// Where a setting's value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// A command-line flag.
    Flag,
    /// An environment variable.
    Env,
    /// The config file.
    File,
    /// The built-in default.
    Default,
}

/// A value and its origin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Setting<T> {
    /// The value.
    pub value: T,
    /// Where it came from.
    pub source: Source,
}

/// A secret that never prints.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: String) -> Self {
        Self(value)
    }

    /// The secret itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("****")
    }
}

/// The config file's keys, all optional.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Server base URL.
    pub server: Option<String>,
    /// Client certificate path.
    pub client_cert: Option<PathBuf>,
    /// Client key path.
    pub client_key: Option<PathBuf>,
    /// CA bundle path.
    pub ca_file: Option<PathBuf>,
    /// Pinned server certificate SHA-256.
    pub server_fingerprint: Option<String>,
    /// Paste password.
    pub password: Option<String>,
}

/// Values given as flags.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    /// `--config`.
    pub config: Option<PathBuf>,
    /// `--server`.
    pub server: Option<String>,
    /// `--client-cert`.
    pub client_cert: Option<PathBuf>,
    /// `--client-key`.
    pub client_key: Option<PathBuf>,
    /// `--ca-file`.
    pub ca_file: Option<PathBuf>,
    /// `--server-fingerprint`.
    pub server_fingerprint: Option<String>,
    /// `--password VALUE`.
    pub password: Option<String>,
}

/// The effective settings of one run.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The config file read, if any.
    pub config_file: Option<PathBuf>,
    /// Server base URL.
    pub server: Setting<Url>,
    /// Client certificate.
    pub client_cert: Option<Setting<PathBuf>>,
    /// Client key.
    pub client_key: Option<Setting<PathBuf>>,
    /// Extra CA bundle.
    pub ca_file: Option<Setting<PathBuf>>,
    /// Pinned server certificate SHA-256, 64 lowercase hex digits.
    pub server_fingerprint: Option<Setting<String>>,
    /// Paste password.
    pub password: Option<Setting<Secret>>,
}

/// Picks the first of flag, environment, file.
fn pick<T>(flag: Option<T>, env: Option<T>, file: Option<T>) -> Option<Setting<T>> {
    [
        (flag, Source::Flag),
        (env, Source::Env),
        (file, Source::File),
    ]
    .into_iter()
    .find_map(|(v, source)| v.map(|value| Setting { value, source }))
}

/// Normalises a SHA-256 fingerprint (`AB:CD:..` or hex) to 64 lowercase hex digits.
pub fn normalize_fingerprint(raw: &str) -> Result<String> {
    let hex: String = raw
        .chars()
        .filter(|c| *c != ':' && !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    let hex = hex.strip_prefix("sha256/").unwrap_or(&hex).to_owned();
    if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(hex)
    } else {
        Err(CliError::Usage(format!(
            "server fingerprint {raw:?} is not a SHA-256 (64 hex digits)"
        )))
    }
}

/// Parses a server base URL (http or https).
pub fn parse_server(raw: &str) -> Result<Url> {
    let url = Url::parse(raw.trim())
        .map_err(|e| CliError::Usage(format!("invalid server URL {raw:?}: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(CliError::Usage(format!(
            "server URL {raw:?} must be http(s)://host[:port][/prefix]"
        )));
    }
    Ok(url)
}

/// The default config file path under the XDG config dir.
pub fn default_config_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "fpaste").map(|d| d.config_dir().join("config.toml"))
}

/// Reads and parses a config file.
pub fn read_file(path: &Path) -> Result<FileConfig> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::Local(format!("cannot read config {}: {e}", path.display())))?;
    toml::from_str(&text)
        .map_err(|e| CliError::Local(format!("invalid config {}: {e}", path.display())))
}

/// Finds and reads the config file: `--config`, then `FPASTE_CONFIG` (both must exist), then the
/// XDG location when it exists.
pub fn load_file(
    flags: &Overrides,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<(PathBuf, FileConfig)>> {
    let explicit = flags
        .config
        .clone()
        .or_else(|| env(ENV_CONFIG).map(PathBuf::from));
    let path = match explicit {
        Some(path) => path,
        None => match default_config_path() {
            Some(path) if path.exists() => path,
            Some(path) => {
                // The original client's `config` (`key = value` lines) beside ours.
                let legacy = path.with_file_name("config");
                if legacy.is_file() {
                    return Ok(Some((legacy.clone(), read_legacy(&legacy)?)));
                }
                return Ok(None);
            }
            None => return Ok(None),
        },
    };
    Ok(Some((path.clone(), read_file(&path)?)))
}

/// Reads the original FlaskPaste client's config: `key = value` lines, `#` comments. Its keys
/// `server`, `client_cert`, `client_key`, `ca_cert` (or `ca_file`) and `password` are used;
/// others (such as `cert_sha1`) have no meaning here and are ignored.
pub fn read_legacy(path: &Path) -> Result<FileConfig> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::Local(format!("cannot read config {}: {e}", path.display())))?;
    let mut cfg = FileConfig::default();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(CliError::Local(format!(
                "invalid config {} line {}: expected key = value",
                path.display(),
                n + 1
            )));
        };
        let value = value.trim().trim_matches('"').to_owned();
        match key.trim() {
            "server" => cfg.server = Some(value),
            "client_cert" => cfg.client_cert = Some(PathBuf::from(value)),
            "client_key" => cfg.client_key = Some(PathBuf::from(value)),
            "ca_cert" | "ca_file" => cfg.ca_file = Some(PathBuf::from(value)),
            "password" => cfg.password = Some(value),
            _ => {}
        }
    }
    Ok(cfg)
}

/// Merges flags, environment and file into the effective settings.
pub fn resolve(
    flags: &Overrides,
    env: &dyn Fn(&str) -> Option<String>,
    file: Option<(PathBuf, FileConfig)>,
) -> Result<Settings> {
    let (config_file, file) = match file {
        Some((path, cfg)) => (Some(path), cfg),
        None => (None, FileConfig::default()),
    };
    let env = |name: &str| env(name).filter(|v| !v.is_empty());
    let env_server = env(ENV_SERVER).or_else(|| env(ENV_SERVER_FLASKPASTE));
    let server = pick(flags.server.clone(), env_server, file.server).unwrap_or(Setting {
        value: DEFAULT_SERVER.to_owned(),
        source: Source::Default,
    });
    let server = Setting {
        value: parse_server(&server.value)?,
        source: server.source,
    };
    let path_env = |name| env(name).map(PathBuf::from);
    let server_fingerprint = match pick(
        flags.server_fingerprint.clone(),
        env(ENV_SERVER_FINGERPRINT),
        file.server_fingerprint,
    ) {
        Some(s) => Some(Setting {
            value: normalize_fingerprint(&s.value)?,
            source: s.source,
        }),
        None => None,
    };
    let settings = Settings {
        config_file,
        server,
        client_cert: pick(
            flags.client_cert.clone(),
            path_env(ENV_CLIENT_CERT),
            file.client_cert,
        ),
        client_key: pick(
            flags.client_key.clone(),
            path_env(ENV_CLIENT_KEY),
            file.client_key,
        ),
        ca_file: pick(flags.ca_file.clone(), path_env(ENV_CA_FILE), file.ca_file),
        server_fingerprint,
        password: pick(flags.password.clone(), env(ENV_PASSWORD), file.password).map(|s| Setting {
            value: Secret::new(s.value),
            source: s.source,
        }),
    };
    if settings.client_cert.is_some() != settings.client_key.is_some() {
        return Err(CliError::Usage(
            "a client certificate needs its key (client_cert and client_key go together)".into(),
        ));
    }
    Ok(settings)
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
