//! The built-in PKI (`FLASKPASTE_PKI_ENABLED`): one CA, created once (by `POST /pki/ca` or on
//! first use), whose private key is stored sealed with the CA password ([`seal`]); client
//! certificates it issues ([`certs`]) with a generated key (`/pki/issue`, `/register`) or for
//! a client's own key (`/csr`); revocation by serial, enforced by native mTLS through a CRL
//! handed to [`platform::client_trust::ClientTrust`] and served at `/pki/crl` for nginx.
//!
//! The register of issued certificates is kept in memory too (it is small), so every request's
//! identity can be looked up without a database round trip: whether the certificate is ours
//! (the longest expiry tier), admin, or revoked (refused even when a proxy vouches for it).
//! Changes go through the database first, then memory; one process owns a database.

pub mod boot;
pub mod bundle;
pub mod certs;
pub mod config;
pub mod seal;

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use paste_core::clock::Clock;
use paste_core::pow::ProofOfWork;
use paste_core::store::{IssuedCert, PasteStore, Revocation, StoreError, StoredCa};
use platform::client_trust::ClientTrust;
use platform::tls::{TlsError, fingerprint_sha1};
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer};
use secrecy::SecretString;

use self::certs::{Authority, CertError};
use self::config::PkiConfig;
use self::seal::SealError;

/// A signed CRL older than this is re-signed when served, well before its nextUpdate.
const CRL_RESIGN_SECS: i64 = 86_400;

/// A PKI operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Certificate material was refused (a bad CSR, a bad common name).
    #[error(transparent)]
    Cert(#[from] CertError),
    /// The CA key could not be sealed or opened.
    #[error(transparent)]
    Seal(#[from] SealError),
    /// `POST /pki/ca` when a CA exists.
    #[error("a CA exists already")]
    CaExists,
    /// No certificate has this serial.
    #[error("no certificate with this serial")]
    UnknownSerial,
    /// Revoked before.
    #[error("certificate already revoked")]
    AlreadyRevoked,
    /// Building the PKCS#12 bundle failed.
    #[error("PKCS#12: {0}")]
    Bundle(String),
    /// The TLS verifier refused the new anchors.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// A blocking task died.
    #[error("background task failed: {0}")]
    Join(String),
}

/// The CA in memory: the stored row and the signer rebuilt from it.
#[derive(Debug)]
pub struct Ca {
    /// As stored (sealed key included, never opened again).
    pub stored: StoredCa,
    /// Certificate and signer.
    pub authority: Authority,
}

/// The current revocation list.
#[derive(Debug)]
pub struct Crl {
    /// PEM (`X509 CRL`), what nginx's `ssl_crl` reads.
    pub pem: String,
    /// DER, what rustls reads.
    pub der: Vec<u8>,
    /// When it was signed, Unix seconds.
    pub signed_at: i64,
}

/// Where the key of a new certificate comes from.
#[derive(Debug)]
pub enum KeySource {
    /// Generated here; the PKCS#8 key is handed back once and never stored.
    Generate,
    /// A client's CSR, already verified; the key never leaves the client.
    Csr(rcgen::PublicKey),
}

/// A certificate just issued.
#[derive(Debug)]
pub struct Issued {
    /// The register row (admin flag decided by the store).
    pub cert: IssuedCert,
    /// PEM certificate.
    pub pem: String,
    /// DER certificate.
    pub der: Vec<u8>,
    /// PKCS#8 DER key, when generated here.
    pub key_pkcs8: Option<Vec<u8>>,
}

/// What the register says about a fingerprint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    /// Issued with admin rights.
    pub admin: bool,
    /// Revoked.
    pub revoked: bool,
}

/// The PKI service; shared behind an `Arc` in the state.
pub struct Pki {
    store: PasteStore,
    password: SecretString,
    cert_days: u32,
    first_is_admin: bool,
    clock: Clock,
    ca: RwLock<Option<Arc<Ca>>>,
    certs: RwLock<HashMap<String, IssuedCert>>,
    crl: RwLock<Option<Arc<Crl>>>,
    trust: Option<(Arc<ClientTrust>, Vec<CertificateDer<'static>>)>,
    /// CA creation, revocation and CRL signing, one at a time.
    writes: tokio::sync::Mutex<()>,
    register_pow: ProofOfWork,
}

impl std::fmt::Debug for Pki {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pki")
            .field("cert_days", &self.cert_days)
            .finish_non_exhaustive()
    }
}

fn read<T: Clone>(lock: &RwLock<T>) -> T {
    lock.read().unwrap_or_else(PoisonError::into_inner).clone()
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, PkiError> + Send + 'static,
) -> Result<T, PkiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| PkiError::Join(e.to_string()))?
}

impl Pki {
    /// Opens the PKI: unseals a stored CA (a wrong password fails here, at start-up), loads
    /// the register, signs a fresh CRL and hands anchors and CRL to `trust` (native mTLS; the
    /// extra anchors are `FLASKPASTE_TLS_CLIENT_CA`'s).
    pub async fn open(
        store: PasteStore,
        cfg: &PkiConfig,
        admins_configured: bool,
        clock: Clock,
        trust: Option<(Arc<ClientTrust>, Vec<CertificateDer<'static>>)>,
        register_pow: ProofOfWork,
    ) -> Result<Self, PkiError> {
        let password = cfg
            .ca_password
            .clone()
            .ok_or(PkiError::Seal(SealError::WrongPassword))?;
        let ca = match store.pki_ca().await? {
            None => None,
            Some(stored) => {
                let pw = password.clone();
                Some(Arc::new(
                    blocking(move || {
                        let key = seal::open(&pw, &stored.sealed_key)?;
                        let authority = certs::load_ca(&stored.cert_pem, &key)?;
                        Ok(Ca { stored, authority })
                    })
                    .await?,
                ))
            }
        };
        let register = store
            .issued_certs()
            .await?
            .into_iter()
            .map(|c| (c.fingerprint.clone(), c))
            .collect();
        let pki = Self {
            store,
            password,
            cert_days: cfg.cert_days,
            first_is_admin: !admins_configured,
            clock,
            ca: RwLock::new(ca),
            certs: RwLock::new(register),
            crl: RwLock::new(None),
            trust,
            writes: tokio::sync::Mutex::new(()),
            register_pow,
        };
        // Nobody else holds `pki` yet, so `writes` needs no locking here.
        pki.refresh().await?;
        Ok(pki)
    }

    /// The proof of work of `/register` and `/csr`.
    pub fn register_pow(&self) -> &ProofOfWork {
        &self.register_pow
    }

    /// The CA, if created.
    pub fn ca(&self) -> Option<Arc<Ca>> {
        read(&self.ca)
    }

    /// Validity of issued certificates, days.
    pub fn cert_days(&self) -> u32 {
        self.cert_days
    }

    /// What the register says about `fingerprint`; `None` for certificates not issued here.
    pub fn standing(&self, fingerprint: &str) -> Option<Standing> {
        self.certs
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(fingerprint)
            .map(|c| Standing {
                admin: c.is_admin,
                revoked: c.revoked_at.is_some(),
            })
    }

    /// How many certificates were issued, and how many of them are revoked.
    pub fn counts(&self) -> (usize, usize) {
        let certs = self.certs.read().unwrap_or_else(PoisonError::into_inner);
        let revoked = certs.values().filter(|c| c.revoked_at.is_some()).count();
        (certs.len(), revoked)
    }

    /// Whether anyone holds admin rights from this PKI.
    pub fn has_admin(&self) -> bool {
        self.certs
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .any(|c| c.is_admin && c.revoked_at.is_none())
    }

    /// Creates the CA named `cn` (default [`certs::DEFAULT_CA_NAME`]); `CaExists` if there is
    /// one.
    pub async fn create_ca(&self, cn: Option<String>) -> Result<Arc<Ca>, PkiError> {
        let _guard = self.writes.lock().await;
        if self.ca().is_some() {
            return Err(PkiError::CaExists);
        }
        let cn = cn.unwrap_or_else(|| certs::DEFAULT_CA_NAME.to_owned());
        let now = self.clock.now();
        let password = self.password.clone();
        let ca = blocking(move || {
            let (authority, key) = certs::new_ca(&cn, now)?;
            let sealed_key = seal::seal(&password, &key)?;
            let expires_at = now + certs::CA_DAYS * 86_400;
            let stored = StoredCa {
                common_name: certs::valid_cn(&cn)?.to_owned(),
                cert_pem: authority.cert_pem.clone(),
                fingerprint: fingerprint_sha1(&authority.cert_der),
                sealed_key,
                created_at: now,
                expires_at,
            };
            Ok(Ca { stored, authority })
        })
        .await?;
        if !self.store.insert_pki_ca(ca.stored.clone()).await? {
            // Another process sharing the database won; ours was never used.
            return Err(PkiError::CaExists);
        }
        let ca = Arc::new(ca);
        *self.ca.write().unwrap_or_else(PoisonError::into_inner) = Some(ca.clone());
        tracing::info!(
            target: "audit",
            action = "pki.ca_created",
            common_name = %ca.stored.common_name,
            fingerprint = %&ca.stored.fingerprint[..12],
            "PKI certificate authority created"
        );
        self.refresh().await?;
        Ok(ca)
    }

    /// The CA, created with the default name on first use.
    pub async fn ensure_ca(&self) -> Result<Arc<Ca>, PkiError> {
        if let Some(ca) = self.ca() {
            return Ok(ca);
        }
        match self.create_ca(None).await {
            Err(PkiError::CaExists) => self.ca().ok_or(PkiError::CaExists),
            other => other,
        }
    }

    /// Issues a client certificate named `cn`. `source` (`issue`, `register`, `csr`) is
    /// recorded and logged; `admin` asks for admin rights (the first certificate gets them
    /// anyway when no admins are configured).
    pub async fn issue(
        &self,
        cn: &str,
        source: &'static str,
        admin: bool,
        key: KeySource,
    ) -> Result<Issued, PkiError> {
        let ca = self.ensure_ca().await?;
        let cn = certs::valid_cn(cn)?.to_owned();
        let now = self.clock.now();
        // Never past the CA's own expiry: nothing could verify it afterwards.
        let not_after = (now + i64::from(self.cert_days) * 86_400).min(ca.stored.expires_at);
        let serial = certs::random_serial();
        let name = cn.clone();
        let (signed, key_pkcs8) = blocking(move || {
            Ok(match key {
                KeySource::Generate => {
                    let pair = rcgen::KeyPair::generate().map_err(CertError::from)?;
                    let signed =
                        certs::sign_client(&ca.authority, &name, &pair, &serial, now, not_after)?;
                    (signed, Some(pair.serialize_der()))
                }
                KeySource::Csr(public) => (
                    certs::sign_client(&ca.authority, &name, &public, &serial, now, not_after)?,
                    None,
                ),
            })
        })
        .await?;
        let row = IssuedCert {
            serial: hex::encode(serial),
            fingerprint: fingerprint_sha1(&signed.der),
            common_name: cn,
            is_admin: admin,
            source: source.to_owned(),
            issued_at: now,
            expires_at: signed.expires_at,
            revoked_at: None,
        };
        let row = self.store.record_cert(row, self.first_is_admin).await?;
        self.certs
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(row.fingerprint.clone(), row.clone());
        tracing::info!(
            target: "audit",
            action = "pki.issue",
            source,
            serial = %row.serial,
            fingerprint = %&row.fingerprint[..12],
            common_name = %row.common_name,
            admin = row.is_admin,
            expires_at = row.expires_at,
            "PKI certificate issued"
        );
        Ok(Issued {
            der: signed.der.to_vec(),
            pem: signed.pem,
            cert: row,
            key_pkcs8,
        })
    }

    /// Revokes the certificate with `serial` (lowercase hex); refused from the next TLS
    /// handshake on and listed in the next CRL.
    pub async fn revoke(&self, serial: &str) -> Result<IssuedCert, PkiError> {
        let _guard = self.writes.lock().await;
        let cert = match self.store.revoke_cert(serial, self.clock.now()).await? {
            Revocation::Revoked(cert) => cert,
            Revocation::AlreadyRevoked(_) => return Err(PkiError::AlreadyRevoked),
            Revocation::Unknown => return Err(PkiError::UnknownSerial),
        };
        self.certs
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(cert.fingerprint.clone(), cert.clone());
        self.refresh().await?;
        Ok(cert)
    }

    /// The current CRL, re-signed when it is a day old.
    pub async fn crl(&self) -> Result<Option<Arc<Crl>>, PkiError> {
        let now = self.clock.now();
        let fresh = read(&self.crl).filter(|c| now - c.signed_at < CRL_RESIGN_SECS);
        if fresh.is_some() || self.ca().is_none() {
            return Ok(fresh);
        }
        let _guard = self.writes.lock().await;
        self.refresh().await?;
        Ok(read(&self.crl))
    }

    /// Signs a new CRL and gives the TLS verifier the anchors and it. Callers hold `writes`.
    async fn refresh(&self) -> Result<(), PkiError> {
        let crl = match self.ca() {
            None => None,
            Some(ca) => {
                let revoked: Vec<(Vec<u8>, i64)> = self
                    .certs
                    .read()
                    .unwrap_or_else(PoisonError::into_inner)
                    .values()
                    .filter_map(|c| {
                        let when = c.revoked_at?;
                        hex::decode(&c.serial).ok().map(|s| (s, when))
                    })
                    .collect();
                let number = self.store.next_crl_number().await?;
                let now = self.clock.now();
                let signed = certs::sign_crl(&ca.authority, &revoked, number, now)?;
                Some(Arc::new(Crl {
                    pem: signed.pem().map_err(CertError::from)?,
                    der: signed.der().to_vec(),
                    signed_at: now,
                }))
            }
        };
        if let Some((trust, extra)) = &self.trust {
            let mut roots = extra.clone();
            let mut crls = Vec::new();
            if let (Some(ca), Some(crl)) = (self.ca(), &crl) {
                roots.push(ca.authority.cert_der.clone());
                crls.push(CertificateRevocationListDer::from(crl.der.clone()));
            }
            trust.update(roots, crls)?;
        }
        *self.crl.write().unwrap_or_else(PoisonError::into_inner) = crl;
        Ok(())
    }
}
