//! Certificate pinning: a rustls verifier that accepts exactly one server certificate, named by
//! the SHA-256 of its DER encoding. It replaces CA validation, so a self-signed server works
//! without a CA file, and a CA-issued certificate other than the pinned one is refused.
//! Handshake signatures are still verified, so only the holder of the pinned key gets through.

use std::sync::Arc;

use rustls::DigitallySignedStruct;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use sha2::{Digest, Sha256};

/// Accepts the server leaf whose SHA-256 is `fingerprint`.
#[derive(Debug)]
pub struct PinnedVerifier {
    fingerprint: [u8; 32],
    algorithms: WebPkiSupportedAlgorithms,
}

impl PinnedVerifier {
    /// A verifier for `fingerprint` (32 raw bytes) using `provider`'s signature algorithms.
    pub fn new(fingerprint: [u8; 32], provider: &Arc<CryptoProvider>) -> Self {
        Self {
            fingerprint,
            algorithms: provider.signature_verification_algorithms,
        }
    }
}

/// SHA-256 fingerprint of a DER certificate, lowercase hex.
pub fn fingerprint_sha256(der: &[u8]) -> String {
    hex::encode(Sha256::digest(der))
}

impl ServerCertVerifier for PinnedVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let seen: [u8; 32] = Sha256::digest(end_entity.as_ref()).into();
        // A fingerprint is public, so a plain comparison leaks nothing worth a constant-time one.
        if seen == self.fingerprint {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(format!(
                "server certificate SHA-256 {} does not match the pinned fingerprint",
                hex::encode(seen)
            )))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_only_the_pinned_leaf() {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let der = CertificateDer::from(vec![1u8, 2, 3]);
        let pin: [u8; 32] = Sha256::digest([1u8, 2, 3]).into();
        let name = ServerName::try_from("localhost").unwrap();
        let ok = PinnedVerifier::new(pin, &provider).verify_server_cert(
            &der,
            &[],
            &name,
            &[],
            UnixTime::now(),
        );
        assert!(ok.is_ok());
        let other = CertificateDer::from(vec![1u8, 2, 4]);
        let bad = PinnedVerifier::new(pin, &provider).verify_server_cert(
            &other,
            &[],
            &name,
            &[],
            UnixTime::now(),
        );
        assert!(bad.is_err());
        assert_eq!(fingerprint_sha256(&[1, 2, 3]), hex::encode(pin));
    }
}
