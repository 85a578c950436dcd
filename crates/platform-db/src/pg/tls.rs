//! TLS to PostgreSQL over rustls: whenever TLS is used, the server's certificate chain and host
//! name are verified (libpq's `verify-full`); there is no mode that accepts any certificate.
//!
//! The URL's `sslmode` keeps libpq's meaning as far as tokio-postgres allows:
//! - `disable`: plain text.
//! - `prefer` (the default): TLS when the server offers it with a certificate that verifies;
//!   plain text when it offers none, or when its certificate does not verify (libpq's `prefer`
//!   also retries without TLS when the handshake fails), with a warning in the log. This keeps
//!   out a passive listener only: an active attacker can always answer "no TLS".
//! - `require`, `verify-ca`, `verify-full`: TLS or no connection. All three check the host
//!   name too, so `verify-ca` is stricter here than in libpq, which skips the name.
//!
//! Trusted are Mozilla's roots (webpki-roots) and the CA certificates of one PEM file given by
//! the caller ([`PgTls::with_ca_file`]), for servers with a certificate from a private CA (a
//! cloud provider's own, an internal one). libpq's `sslrootcert` URL parameter is refused, not
//! ignored: the CA file is configured, read and checked at start-up, not found in a URL.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;

use rustls::RootCertStore;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject as _;
use tokio::task::JoinHandle;
use tokio_postgres::config::{Host, SslMode};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::PgError;

/// The servers a PostgreSQL client trusts: Mozilla's roots, and the CAs of an optional file.
/// Cheap to clone.
#[derive(Clone)]
pub struct PgTls {
    roots: Arc<RootCertStore>,
    /// Certificates from the CA file (for `Debug`, which must not list 150 roots).
    extra: usize,
}

impl Default for PgTls {
    /// Mozilla's roots only.
    fn default() -> Self {
        Self {
            roots: Arc::new(mozilla_roots()),
            extra: 0,
        }
    }
}

impl std::fmt::Debug for PgTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgTls")
            .field("ca_file_certificates", &self.extra)
            .finish_non_exhaustive()
    }
}

fn mozilla_roots() -> RootCertStore {
    RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    }
}

/// A CA file that cannot be used. Its content is never quoted: a wrong file may be a key.
#[derive(Debug, thiserror::Error)]
pub enum CaError {
    /// The file could not be read.
    #[error("cannot read the PostgreSQL CA file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not PEM.
    #[error("the PostgreSQL CA file {} is not valid PEM", path.display())]
    Pem {
        /// The file.
        path: PathBuf,
    },
    /// The file holds no `CERTIFICATE` block.
    #[error("the PostgreSQL CA file {} holds no PEM certificate", path.display())]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// A certificate of the file cannot be a trust anchor.
    #[error("the PostgreSQL CA file {} holds an unusable certificate: {reason}", path.display())]
    Certificate {
        /// The file.
        path: PathBuf,
        /// What rustls found wrong (no content of the certificate).
        reason: rustls::Error,
    },
}

impl PgTls {
    /// Mozilla's roots and the CA certificates (one or more) of the PEM file at `path`; other
    /// blocks of the file are ignored.
    pub fn with_ca_file(path: &Path) -> Result<Self, CaError> {
        let pem = std::fs::read(path).map_err(|source| CaError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::with_ca_pem(&pem, path)
    }

    /// Like [`with_ca_file`](Self::with_ca_file) for PEM already read; `path` names it in errors.
    pub fn with_ca_pem(pem: &[u8], path: &Path) -> Result<Self, CaError> {
        let certs = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<Vec<_>, _>>()
            // The PEM error may quote a line of the file: say only that it is not PEM.
            .map_err(|_| CaError::Pem {
                path: path.to_owned(),
            })?;
        if certs.is_empty() {
            return Err(CaError::Empty {
                path: path.to_owned(),
            });
        }
        let mut roots = mozilla_roots();
        let extra = certs.len();
        for cert in certs {
            roots.add(cert).map_err(|reason| CaError::Certificate {
                path: path.to_owned(),
                reason,
            })?;
        }
        Ok(Self {
            roots: Arc::new(roots),
            extra,
        })
    }

    /// The pool's connection maker.
    pub(super) fn connector(&self) -> Result<Connector, PgError> {
        let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(PgError::Tls)?
        .with_root_certificates(Arc::clone(&self.roots))
        .with_no_client_auth();
        // PostgreSQL 17's direct TLS (`sslnegotiation=direct`) requires this ALPN name; older
        // servers ignore it.
        config.alpn_protocols = vec![b"postgresql".to_vec()];
        Ok(Connector {
            tls: MakeRustlsConnect::new(config),
        })
    }
}

/// The connection string as tokio-postgres parses it, in either of libpq's forms (a URL, or
/// `key=value` pairs): `sslmode=verify-ca` and `verify-full` become `require` (whose TLS is
/// verified the same way), and `sslrootcert` is refused. Everything else is left to
/// tokio-postgres, byte for byte.
pub(super) fn libpq_url(url: &str) -> Result<String, PgError> {
    let Some(rest) = url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))
    else {
        return libpq_key_values(url);
    };
    // Where tokio-postgres finds the parameters: the first `?` after the credentials, which end
    // at the first `@` (a password may hold a raw `?`).
    let after_credentials = rest.find('@').map_or(0, |at| at + 1);
    let Some(q) = rest[after_credentials..].find('?') else {
        return Ok(url.to_owned());
    };
    let query_at = url.len() - rest.len() + after_credentials + q + 1;
    let mut params = Vec::new();
    for param in url[query_at..].split('&') {
        let (key, value) = param.split_once('=').unwrap_or((param, ""));
        match (key, value) {
            ("sslrootcert", _) => return Err(PgError::SslRootCert),
            ("sslmode", "verify-ca" | "verify-full") => params.push("sslmode=require"),
            _ => params.push(param),
        }
    }
    Ok(format!("{}{}", &url[..query_at], params.join("&")))
}

/// [`libpq_url`] for the `key=value` form. Its grammar is tokio-postgres's and libpq's: pairs
/// apart by white space, white space allowed around `=`, a value either single-quoted or
/// running to the next white space, and a backslash taking the next character as it is. A
/// string that does not follow it is returned as given, for tokio-postgres to refuse.
fn libpq_key_values(conninfo: &str) -> Result<String, PgError> {
    let mut out = String::with_capacity(conninfo.len());
    let mut rest = conninfo;
    loop {
        let pair = rest.trim_start();
        out.push_str(&rest[..rest.len() - pair.len()]);
        if pair.is_empty() {
            return Ok(out);
        }
        let key_len = pair
            .find(|c: char| c == '=' || c.is_whitespace())
            .unwrap_or(pair.len());
        let (key, after_key) = pair.split_at(key_len);
        let Some(value_on) = after_key.trim_start().strip_prefix('=') else {
            return Ok(conninfo.to_owned());
        };
        let raw = value_on.trim_start();
        let Some((value, len)) = conninfo_value(raw) else {
            return Ok(conninfo.to_owned());
        };
        out.push_str(&pair[..pair.len() - raw.len()]);
        match (key, value.as_str()) {
            ("sslrootcert", _) => return Err(PgError::SslRootCert),
            ("sslmode", "verify-ca" | "verify-full") => out.push_str("require"),
            _ => out.push_str(&raw[..len]),
        }
        rest = &raw[len..];
    }
}

/// The value at the start of `raw` and the bytes it spans, or `None` for an unclosed quote.
fn conninfo_value(raw: &str) -> Option<(String, usize)> {
    let quoted = raw.starts_with('\'');
    let mut value = String::new();
    let mut chars = raw.char_indices().skip(usize::from(quoted));
    while let Some((at, c)) = chars.next() {
        match c {
            '\\' => value.extend(chars.next().map(|(_, c)| c)),
            '\'' if quoted => return Some((value, at + 1)),
            c if !quoted && c.is_whitespace() => return Some((value, at)),
            c => value.push(c),
        }
    }
    (!quoted).then_some((value, raw.len()))
}

/// Opens the pool's connections (see the module documentation for what each `sslmode` does).
pub(super) struct Connector {
    tls: MakeRustlsConnect,
}

type Connecting<'a> = Pin<
    Box<
        dyn Future<Output = Result<(tokio_postgres::Client, JoinHandle<()>), tokio_postgres::Error>>
            + Send
            + 'a,
    >,
>;

impl deadpool_postgres::Connect for Connector {
    fn connect(&self, config: &tokio_postgres::Config) -> Connecting<'_> {
        let mut config = config.clone();
        Box::pin(async move {
            // Without a host name there is nothing to check a certificate against (Unix
            // sockets, `hostaddr` alone): `prefer` means plain text there, as it did before TLS.
            if config.get_ssl_mode() == SslMode::Prefer
                && !config.get_hosts().iter().any(|h| matches!(h, Host::Tcp(_)))
            {
                config.ssl_mode(SslMode::Disable);
            }
            let (client, connection) = match config.connect(self.tls.clone()).await {
                Ok(connected) => connected,
                Err(e) if config.get_ssl_mode() == SslMode::Prefer && is_tls_failure(&e) => {
                    tracing::warn!(
                        error = %e,
                        "PostgreSQL offered TLS that could not be verified: connected in plain \
                         text (sslmode=prefer; give the server's CA to encrypt, and \
                         sslmode=require to refuse plain text)"
                    );
                    config.ssl_mode(SslMode::Disable);
                    config.connect(self.tls.clone()).await?
                }
                Err(e) => return Err(e),
            };
            let task = tokio::spawn(async move {
                if let Err(e) = connection.await {
                    tracing::debug!(error = %e, "postgres connection ended");
                }
            });
            Ok((client, task))
        })
    }
}

/// Whether the connection failed in the TLS handshake (a certificate that does not verify, a
/// protocol mismatch), as opposed to the network or the server refusing the login.
fn is_tls_failure(e: &tokio_postgres::Error) -> bool {
    std::error::Error::source(e)
        .and_then(|cause| cause.downcast_ref::<std::io::Error>())
        .and_then(std::io::Error::get_ref)
        .is_some_and(|inner| inner.is::<rustls::Error>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_modes_become_require_and_nothing_else_changes() -> Result<(), PgError> {
        for (given, expected) in [
            (
                "postgres://u:p@db.example:5433/app?sslmode=verify-full",
                "postgres://u:p@db.example:5433/app?sslmode=require",
            ),
            (
                "postgresql://h/app?application_name=x&sslmode=verify-ca&connect_timeout=3",
                "postgresql://h/app?application_name=x&sslmode=require&connect_timeout=3",
            ),
            // A raw `?` in the password is not the start of the parameters.
            (
                "postgres://u:p?w@h/app?sslmode=verify-full",
                "postgres://u:p?w@h/app?sslmode=require",
            ),
            (
                "postgres://u:p@h1:5432,h2:5433/app?sslmode=prefer&target_session_attrs=read-write",
                "postgres://u:p@h1:5432,h2:5433/app?sslmode=prefer&target_session_attrs=read-write",
            ),
            ("postgres://h/app", "postgres://h/app"),
            (
                "host=h sslmode=require dbname=app",
                "host=h sslmode=require dbname=app",
            ),
            // The `key=value` form, with its white space, quotes and escapes kept.
            (
                "host=h  sslmode=verify-full dbname=app",
                "host=h  sslmode=require dbname=app",
            ),
            (
                " sslmode = 'verify-ca'\tpassword='it\\'s a \\\\ secret'user=u\\ v",
                " sslmode = require\tpassword='it\\'s a \\\\ secret'user=u\\ v",
            ),
            (
                "password=verify-full application_name='sslmode=verify-ca'",
                "password=verify-full application_name='sslmode=verify-ca'",
            ),
            ("host=h sslmode='unclosed", "host=h sslmode='unclosed"),
            ("", ""),
        ] {
            assert_eq!(libpq_url(given)?, expected);
        }
        // What tokio-postgres refuses as given, it takes rewritten.
        let given = " host=h sslmode = 'verify-full' dbname=app";
        assert!(given.parse::<tokio_postgres::Config>().is_err());
        let config: tokio_postgres::Config = libpq_url(given)?.parse().map_err(PgError::Url)?;
        assert_eq!(config.get_ssl_mode(), SslMode::Require);
        Ok(())
    }

    #[test]
    fn sslrootcert_is_refused_in_either_form_without_repeating_the_string() {
        for given in [
            "postgres://u:hunter2@h/app?sslrootcert=/etc/ca.pem&sslmode=verify-full",
            "password=hunter2 sslrootcert = '/etc/ca.pem' host=h",
        ] {
            let err = libpq_url(given).err();
            assert!(matches!(err, Some(PgError::SslRootCert)), "{err:?}");
            let text = err.map(|e| e.to_string()).unwrap_or_default();
            assert!(!text.contains("hunter2"), "{text}");
        }
    }

    #[test]
    fn a_ca_file_that_is_not_a_certificate_is_refused_without_quoting_it() {
        let path = Path::new("/run/secrets/pg-ca.pem");
        let secret =
            "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleS1ieXRlcw==\n-----END PRIVATE KEY-----\n";
        for (pem, expected) in [
            (secret, "holds no PEM certificate"),
            ("password=hunter2\n", "holds no PEM certificate"),
            (
                "-----BEGIN CERTIFICATE-----\nhunter2!!\n-----END CERTIFICATE-----\n",
                "is not valid PEM",
            ),
            (
                "-----BEGIN CERTIFICATE-----\naHVudGVyMg==\n-----END CERTIFICATE-----\n",
                "unusable certificate",
            ),
        ] {
            let text = PgTls::with_ca_pem(pem.as_bytes(), path)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(text.contains(expected), "{text}");
            assert!(text.contains("/run/secrets/pg-ca.pem"), "{text}");
            for secret in ["hunter2", "c2VjcmV0", "aHVudGVy"] {
                assert!(!text.contains(secret), "{text}");
            }
        }
        let missing = PgTls::with_ca_file(Path::new("/nonexistent/ca.pem")).err();
        assert!(matches!(missing, Some(CaError::Read { .. })), "{missing:?}");
    }
}
