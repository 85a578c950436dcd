//! Start-up of the PKI: the swappable client verifier for native mTLS, and opening the PKI
//! with its own proof of work. A wrong CA password stops the server here, with a message that
//! names the variable.

use std::sync::Arc;

use anyhow::Context;
use paste_core::pow::{PowPolicy, ProofOfWork};
use paste_core::store::PasteStore;
use platform::client_trust::ClientTrust;
use platform::tls::load_certs;
use rustls_pki_types::CertificateDer;
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};

use super::Pki;
use super::config::env;
use crate::config::Config;

/// The verifier native mTLS uses when the PKI is on and fpasted terminates TLS itself, with
/// the anchors of `FLASKPASTE_TLS_CLIENT_CA` that it keeps beside the PKI's own CA.
pub type Trust = (Arc<ClientTrust>, Vec<CertificateDer<'static>>);

/// Builds [`Trust`] when the PKI is enabled and TLS is native; `None` otherwise.
pub fn trust(config: &Config) -> anyhow::Result<Option<Trust>> {
    let Some(files) = config.tls.as_ref().filter(|_| config.pki.enabled) else {
        return Ok(None);
    };
    let extra = match &files.client_ca {
        Some(path) => load_certs(path)?,
        None => Vec::new(),
    };
    Ok(Some((ClientTrust::new(files.require_client_cert), extra)))
}

/// Opens the PKI when enabled.
pub async fn open(
    config: &Config,
    store: &PasteStore,
    trust: Option<Trust>,
) -> anyhow::Result<Option<Arc<Pki>>> {
    if !config.pki.enabled {
        return Ok(None);
    }
    // Registration challenges are signed with a key of their own, so a (cheaper) paste
    // challenge can never be spent on a certificate. With a configured secret the key is
    // derived from it, so several processes agree; otherwise it is random per start.
    let secret = match &config.pow_secret {
        Some(s) => Sha256::new()
            .chain_update(b"fpaste register challenge\0")
            .chain_update(s.expose_secret().as_bytes())
            .finalize()
            .to_vec(),
        None => paste_core::id::random_hex::<32>()?.into_bytes(),
    };
    let pow = ProofOfWork::new(
        &secret,
        PowPolicy {
            base_difficulty: config.pki.register_pow,
            ttl_secs: i64::try_from(config.pow_ttl).unwrap_or(i64::MAX),
            flood_threshold: 0,
        },
    )?;
    let pki = Pki::open(
        store.clone(),
        &config.pki,
        !config.admins.is_empty(),
        config.clock.clone(),
        trust,
        pow,
    )
    .await
    .with_context(|| {
        format!(
            "opening the PKI (is {} the password the CA was created with?)",
            env::PKI_CA_PASSWORD
        )
    })?;
    Ok(Some(Arc::new(pki)))
}
