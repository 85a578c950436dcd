//! TLS with rustls: server certificates from PEM files and optional client-certificate
//! verification against a configured CA. A client identity is the SHA-1 fingerprint of its leaf
//! certificate, as FlaskPaste and common PKI tooling print it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::RootCertStore;
use rustls::server::WebPkiClientVerifier;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use sha1::{Digest, Sha1};

/// Where the server's certificate material lives.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// PEM certificate chain, leaf first.
    pub cert: PathBuf,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
    /// PEM CA bundle that client certificates must chain to; `None` asks for no client
    /// certificate.
    pub client_ca: Option<PathBuf>,
    /// Refuse the handshake without a valid client certificate (otherwise it is optional and a
    /// client without one is anonymous).
    pub require_client_cert: bool,
}

/// Failure to build a TLS configuration; names the file at fault.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A PEM file could not be read or held nothing usable.
    #[error("cannot read {what} from {path}: {reason}")]
    Pem {
        /// Which material.
        what: &'static str,
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// rustls refused the combination.
    #[error("invalid TLS configuration: {0}")]
    Rustls(String),
}

fn pem_error(what: &'static str, path: &Path, reason: impl ToString) -> TlsError {
    TlsError::Pem {
        what,
        path: path.display().to_string(),
        reason: reason.to_string(),
    }
}

/// Reads every certificate in a PEM file.
pub fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| pem_error("certificates", path, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_error("certificates", path, e))?;
    if certs.is_empty() {
        return Err(pem_error("certificates", path, "no certificate found"));
    }
    Ok(certs)
}

/// Builds the rustls server configuration (HTTP/2 and HTTP/1.1 via ALPN).
pub fn server_config(files: &TlsFiles) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    server_config_with_trust(files, None)
}

/// As [`server_config`], but client certificates are verified by `trust` (whose anchors and
/// CRLs the service keeps current) instead of a fixed `files.client_ca`.
pub fn server_config_with_trust(
    files: &TlsFiles,
    trust: Option<Arc<crate::client_trust::ClientTrust>>,
) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let certs = load_certs(&files.cert)?;
    let key = PrivateKeyDer::from_pem_file(&files.key)
        .map_err(|e| pem_error("private key", &files.key, e))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Rustls(e.to_string()))?;
    let builder = match (&files.client_ca, trust) {
        (_, Some(trust)) => builder.with_client_cert_verifier(trust),
        (None, None) => builder.with_no_client_auth(),
        (Some(ca), None) => {
            let mut roots = RootCertStore::empty();
            for cert in load_certs(ca)? {
                roots.add(cert).map_err(|e| pem_error("client CA", ca, e))?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
            let verifier = if files.require_client_cert {
                verifier
            } else {
                verifier.allow_unauthenticated()
            };
            builder.with_client_cert_verifier(
                verifier
                    .build()
                    .map_err(|e| TlsError::Rustls(e.to_string()))?,
            )
        }
    };
    let mut config = builder
        .with_single_cert(certs, key)
        .map_err(|e| TlsError::Rustls(e.to_string()))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// SHA-1 fingerprint of a DER certificate, 40 lowercase hex digits.
pub fn fingerprint_sha1(der: &[u8]) -> String {
    hex::encode(Sha1::digest(der))
}

/// Whether `s` has the shape of a fingerprint: exactly 40 lowercase hex digits.
pub fn is_fingerprint(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_shape() {
        let fp = fingerprint_sha1(b"not really a certificate");
        assert!(is_fingerprint(&fp));
        assert!(!is_fingerprint(&fp.to_uppercase()));
        assert!(!is_fingerprint(&fp[..39]));
    }

    #[test]
    fn missing_files_name_the_file() {
        let files = TlsFiles {
            cert: "/nonexistent/cert.pem".into(),
            key: "/nonexistent/key.pem".into(),
            client_ca: None,
            require_client_cert: false,
        };
        let err = server_config(&files).map(|_| ()).unwrap_err().to_string();
        assert!(err.contains("/nonexistent/cert.pem"), "{err}");
    }
}
