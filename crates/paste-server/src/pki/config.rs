//! Configuration of the built-in PKI: its own flags (flattened into the server's), validated
//! into a frozen [`PkiConfig`]. FlaskPaste's variable names are kept.

use std::path::PathBuf;

use secrecy::{ExposeSecret, SecretString};

use crate::config::ConfigError;

/// Environment variable names.
pub mod env {
    /// Enable the built-in certificate authority and its endpoints.
    pub const PKI_ENABLED: &str = "FLASKPASTE_PKI_ENABLED";
    /// Password sealing the CA's private key at rest.
    pub const PKI_CA_PASSWORD: &str = "FLASKPASTE_PKI_CA_PASSWORD";
    /// File holding the CA password (for secret managers); exclusive with the variable.
    pub const PKI_CA_PASSWORD_FILE: &str = "FLASKPASTE_PKI_CA_PASSWORD_FILE";
    /// Validity of issued client certificates, days.
    pub const PKI_CERT_DAYS: &str = "FLASKPASTE_PKI_CERT_DAYS";
    /// Proof-of-work difficulty of `/register` and `/csr`, leading zero bits (0 disables).
    pub const REGISTER_POW: &str = "FLASKPASTE_REGISTER_POW";
}

/// Shortest CA password accepted: it is the only thing between a stolen database and the CA.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longest validity of an issued certificate, days (ten years).
pub const MAX_CERT_DAYS: u32 = 3650;

/// Flags of the built-in PKI; each also reads its environment variable.
#[derive(Debug, clap::Args)]
pub struct PkiArgs {
    /// Enable the built-in PKI: a CA, registration and certificate endpoints.
    // Boolish: FlaskPaste documents `FLASKPASTE_PKI_ENABLED=1`.
    #[arg(
        long,
        env = env::PKI_ENABLED,
        default_value_t = false,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub pki_enabled: bool,
    /// Password that seals the CA private key (at least 12 characters).
    #[arg(long, env = env::PKI_CA_PASSWORD, hide_env_values = true)]
    pub pki_ca_password: Option<SecretString>,
    /// File whose first line is the CA password.
    #[arg(long, env = env::PKI_CA_PASSWORD_FILE, conflicts_with = "pki_ca_password")]
    pub pki_ca_password_file: Option<PathBuf>,
    /// Validity of issued client certificates, days.
    #[arg(long, env = env::PKI_CERT_DAYS, default_value_t = 365)]
    pub pki_cert_days: u32,
    /// Proof-of-work difficulty for /register and /csr, leading zero bits (0 disables).
    #[arg(long, env = env::REGISTER_POW, default_value_t = 24)]
    pub register_pow: u32,
}

/// The validated PKI settings.
#[derive(Debug, Clone)]
pub struct PkiConfig {
    /// The PKI and its routes exist.
    pub enabled: bool,
    /// Seals the CA key; always set when `enabled`.
    pub ca_password: Option<SecretString>,
    /// Validity of issued certificates, days.
    pub cert_days: u32,
    /// Difficulty of the registration proof of work.
    pub register_pow: u32,
}

impl PkiConfig {
    /// The PKI switched off.
    pub fn disabled() -> Self {
        Self {
            enabled: false,
            ca_password: None,
            cert_days: 365,
            register_pow: 24,
        }
    }

    /// Validates the flags; the password file is read here, once.
    pub fn from_args(args: PkiArgs) -> Result<Self, ConfigError> {
        let invalid = |m: String| ConfigError::Invalid(m);
        let password = match (args.pki_ca_password, args.pki_ca_password_file) {
            (Some(p), _) => Some(p),
            (None, Some(path)) => {
                let text = std::fs::read_to_string(&path).map_err(|e| {
                    invalid(format!(
                        "{}: cannot read {}: {e}",
                        env::PKI_CA_PASSWORD_FILE,
                        path.display()
                    ))
                })?;
                let line = text.lines().next().unwrap_or_default().to_owned();
                Some(SecretString::from(line))
            }
            (None, None) => None,
        };
        if args.pki_enabled {
            let chars = password
                .as_ref()
                .map_or(0, |p| p.expose_secret().chars().count());
            if chars == 0 {
                return Err(invalid(format!(
                    "{} needs {} (or {}): the CA key is sealed with it",
                    env::PKI_ENABLED,
                    env::PKI_CA_PASSWORD,
                    env::PKI_CA_PASSWORD_FILE
                )));
            }
            if chars < MIN_PASSWORD_CHARS {
                return Err(invalid(format!(
                    "{} must be at least {MIN_PASSWORD_CHARS} characters",
                    env::PKI_CA_PASSWORD
                )));
            }
        }
        if !(1..=MAX_CERT_DAYS).contains(&args.pki_cert_days) {
            return Err(invalid(format!(
                "{} must be between 1 and {MAX_CERT_DAYS}",
                env::PKI_CERT_DAYS
            )));
        }
        if args.register_pow > 40 {
            return Err(invalid(format!(
                "{} above 40 is unsolvable in practice",
                env::REGISTER_POW
            )));
        }
        Ok(Self {
            enabled: args.pki_enabled,
            ca_password: password,
            cert_days: args.pki_cert_days,
            register_pow: args.register_pow,
        })
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use crate::config::{Args, Config};

    fn parse(extra: &[&str]) -> Result<Config, String> {
        let mut argv = vec!["fpasted"];
        argv.extend_from_slice(extra);
        Config::from_args(Args::parse_from(argv)).map_err(|e| e.to_string())
    }

    #[test]
    fn enabled_without_a_password_names_the_variable() {
        let err = parse(&["--pki-enabled"]).err().unwrap_or_default();
        assert!(
            err.contains("needs FLASKPASTE_PKI_CA_PASSWORD (or FLASKPASTE_PKI_CA_PASSWORD_FILE)"),
            "{err}"
        );
        let err = parse(&["--pki-enabled", "--pki-ca-password", "short"])
            .err()
            .unwrap_or_default();
        assert!(err.contains("at least 12"), "{err}");
        assert!(parse(&["--pki-enabled", "--pki-ca-password", "long enough secret"]).is_ok());
        assert!(parse(&["--pki-cert-days", "0"]).is_err());
        // Native TLS with the PKI: its CA is the client CA, so requiring certificates works.
        let tls = [
            "--tls-cert",
            "c.pem",
            "--tls-key",
            "k.pem",
            "--tls-require-client-cert",
        ];
        assert!(parse(&tls).is_err());
        let mut with_pki = tls.to_vec();
        with_pki.extend(["--pki-enabled", "--pki-ca-password", "long enough secret"]);
        assert!(parse(&with_pki).is_ok());
    }
}
