//! A client-certificate verifier whose trust anchors and revocation lists can be replaced while
//! the server runs, so a certificate revoked by a service's own CA is refused from the next
//! handshake on, without a restart.
//!
//! [`ClientTrust`] wraps a rustls `WebPkiClientVerifier` built from the current anchors and CRLs
//! and swaps it whole on [`ClientTrust::update`]. Connections already established keep going;
//! each new handshake reads the current verifier once per call.

use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::CryptoProvider;
use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{
    CertificateError, DigitallySignedStruct, DistinguishedName, RootCertStore, SignatureScheme,
};
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer, UnixTime};

use crate::tls::TlsError;

/// A swappable client-certificate verifier (see the module documentation).
pub struct ClientTrust {
    current: RwLock<Option<Arc<dyn ClientCertVerifier>>>,
    provider: Arc<CryptoProvider>,
    require: bool,
}

impl fmt::Debug for ClientTrust {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientTrust")
            .field("require", &self.require)
            .finish_non_exhaustive()
    }
}

impl ClientTrust {
    /// A verifier with no anchors yet: it asks for no certificate, or, when `require` is set,
    /// refuses every client until [`update`](Self::update) gives it anchors (deny by default).
    pub fn new(require: bool) -> Arc<Self> {
        Arc::new(Self {
            current: RwLock::new(None),
            provider: Arc::new(rustls::crypto::ring::default_provider()),
            require,
        })
    }

    /// Replaces the anchors and CRLs. A certificate is refused when a CRL from its issuer lists
    /// it; certificates of anchors without a CRL are checked without one.
    pub fn update(
        &self,
        roots: Vec<CertificateDer<'static>>,
        crls: Vec<CertificateRevocationListDer<'static>>,
    ) -> Result<(), TlsError> {
        let next = if roots.is_empty() {
            None
        } else {
            let mut store = RootCertStore::empty();
            for root in roots {
                store
                    .add(root)
                    .map_err(|e| TlsError::Rustls(e.to_string()))?;
            }
            let builder =
                WebPkiClientVerifier::builder_with_provider(Arc::new(store), self.provider.clone())
                    .with_crls(crls)
                    // Our CA is a root: only leaves can be revoked. Anchors from elsewhere have
                    // no CRL here, and "unknown" must not lock their holders out.
                    .only_check_end_entity_revocation()
                    .allow_unknown_revocation_status();
            let builder = if self.require {
                builder
            } else {
                builder.allow_unauthenticated()
            };
            Some(
                builder
                    .build()
                    .map_err(|e| TlsError::Rustls(e.to_string()))?,
            )
        };
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = next;
        Ok(())
    }

    fn inner(&self) -> Option<Arc<dyn ClientCertVerifier>> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl ClientCertVerifier for ClientTrust {
    fn offer_client_auth(&self) -> bool {
        self.inner().map_or(self.require, |v| v.offer_client_auth())
    }

    fn client_auth_mandatory(&self) -> bool {
        self.inner()
            .map_or(self.require, |v| v.client_auth_mandatory())
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        // The hints would have to be borrowed from a verifier that may be swapped out under
        // us. An empty list lets clients send any certificate; they send their one anyway.
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        match self.inner() {
            Some(v) => v.verify_client_cert(end_entity, intermediates, now),
            None => Err(rustls::Error::InvalidCertificate(
                CertificateError::UnknownIssuer,
            )),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
