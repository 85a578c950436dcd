//! Certificates, CSRs and CRLs with rcgen: the CA certificate, client certificates signed by
//! it, and the revocation list. Pure functions of their inputs; storage and policy live in
//! [`super::Pki`].
//!
//! Every key is ECDSA P-256 (what rustls, nginx and OpenSSL all verify). A client certificate
//! is only ever a TLS client: not a CA, `digitalSignature`, `clientAuth`. Nothing a CSR asks
//! for beyond its public key and common name is copied into the certificate.

use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams,
    CertificateSigningRequestParams, DnType, DnValue, ExtendedKeyUsagePurpose, IsCa, Issuer,
    KeyIdMethod, KeyPair, KeyUsagePurpose, PublicKeyData, RevokedCertParams, SerialNumber,
};
use rustls_pki_types::CertificateDer;
use time::{Duration, OffsetDateTime};

/// Common name of a CA created without one (FlaskPaste's).
pub const DEFAULT_CA_NAME: &str = "FlaskPaste CA";
/// CA validity, days (ten years, as FlaskPaste's).
pub const CA_DAYS: i64 = 3650;
/// Lifetime of one signed CRL, days; `GET /pki/crl` re-signs it daily, long before.
pub const CRL_DAYS: i64 = 7;
/// Longest common name (X.509's upper bound, `ub-common-name`).
pub const MAX_CN_CHARS: usize = 64;
/// Clock skew tolerated between us and clients, for notBefore.
const BACKDATE: Duration = Duration::minutes(5);

/// A failure building or parsing certificate material.
#[derive(Debug, thiserror::Error)]
pub enum CertError {
    /// rcgen refused (bad CSR, signature, unsupported extension...).
    #[error("{0}")]
    Rcgen(#[from] rcgen::Error),
    /// A time outside the representable range.
    #[error("time out of range")]
    Time,
    /// The common name is empty, too long, or has control characters.
    #[error("common name must be 1 to 64 characters without control characters")]
    CommonName,
}

/// The CA: its certificate and the issuer that signs with its key.
pub struct Authority {
    /// The CA certificate, DER.
    pub cert_der: CertificateDer<'static>,
    /// The CA certificate, PEM.
    pub cert_pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl std::fmt::Debug for Authority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authority").finish_non_exhaustive()
    }
}

/// Checks a common name.
pub fn valid_cn(cn: &str) -> Result<&str, CertError> {
    let cn = cn.trim();
    if cn.is_empty() || cn.chars().count() > MAX_CN_CHARS || cn.chars().any(char::is_control) {
        return Err(CertError::CommonName);
    }
    Ok(cn)
}

fn at(unix: i64) -> Result<OffsetDateTime, CertError> {
    OffsetDateTime::from_unix_timestamp(unix).map_err(|_| CertError::Time)
}

/// A random positive serial of 16 bytes whose first byte is neither zero nor has its top bit
/// set, so its DER and its 32 hex digits are the same number everywhere.
pub fn random_serial() -> [u8; 16] {
    let mut b: [u8; 16] = rand::random();
    b[0] = (b[0] & 0x7f) | 0x40;
    b
}

/// Creates a CA named `cn` at `now`; returns it and its PKCS#8 private key (to be sealed).
pub fn new_ca(cn: &str, now: i64) -> Result<(Authority, Vec<u8>), CertError> {
    let key = KeyPair::generate()?;
    let mut params = CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::CommonName, valid_cn(cn)?);
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.serial_number = Some(SerialNumber::from_slice(&random_serial()));
    params.not_before = at(now)? - BACKDATE;
    params.not_after = at(now)? + Duration::days(CA_DAYS);
    params.key_identifier_method = KeyIdMethod::Sha256;
    let cert = params.self_signed(&key)?;
    let key_der = key.serialize_der();
    Ok((
        Authority {
            cert_der: cert.der().clone(),
            cert_pem: cert.pem(),
            issuer: Issuer::new(params, key),
        },
        key_der,
    ))
}

/// Rebuilds the CA from its stored certificate and its opened PKCS#8 key.
pub fn load_ca(cert_pem: &str, key_der: &[u8]) -> Result<Authority, CertError> {
    let key = KeyPair::try_from(key_der)?;
    let issuer = Issuer::from_ca_cert_pem(cert_pem, key)?;
    let der = rustls_pki_types::pem::PemObject::from_pem_slice(cert_pem.as_bytes())
        .map_err(|_| CertError::Rcgen(rcgen::Error::CouldNotParseCertificate))?;
    Ok(Authority {
        cert_der: der,
        cert_pem: cert_pem.to_owned(),
        issuer,
    })
}

/// A client certificate as signed.
#[derive(Debug, Clone)]
pub struct Signed {
    /// DER.
    pub der: CertificateDer<'static>,
    /// PEM.
    pub pem: String,
    /// notAfter, Unix seconds.
    pub expires_at: i64,
}

/// Signs a client certificate for `public_key` named `cn`, valid from `now` until
/// `not_after` (Unix seconds).
pub fn sign_client(
    ca: &Authority,
    cn: &str,
    public_key: &impl PublicKeyData,
    serial: &[u8],
    now: i64,
    not_after: i64,
) -> Result<Signed, CertError> {
    let mut params = CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::CommonName, valid_cn(cn)?);
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    params.serial_number = Some(SerialNumber::from_slice(serial));
    params.use_authority_key_identifier_extension = true;
    let expires = at(not_after)?;
    params.not_before = at(now)? - BACKDATE;
    params.not_after = expires;
    let cert = params.signed_by(public_key, &ca.issuer)?;
    Ok(Signed {
        der: cert.der().clone(),
        pem: cert.pem(),
        expires_at: expires.unix_timestamp(),
    })
}

/// Parses and verifies (self-signature) a PEM CSR; returns its common name and public key.
pub fn parse_csr(pem: &str) -> Result<(String, rcgen::PublicKey), CertError> {
    let csr = CertificateSigningRequestParams::from_pem(pem)?;
    let cn = match csr.params.distinguished_name.get(&DnType::CommonName) {
        Some(DnValue::Utf8String(s)) => s.clone(),
        Some(DnValue::PrintableString(s)) => s.as_str().to_owned(),
        _ => return Err(CertError::CommonName),
    };
    Ok((valid_cn(&cn)?.to_owned(), csr.public_key))
}

/// Signs the revocation list: `revoked` as (serial bytes, revocation time).
pub fn sign_crl(
    ca: &Authority,
    revoked: &[(Vec<u8>, i64)],
    number: i64,
    now: i64,
) -> Result<rcgen::CertificateRevocationList, CertError> {
    let revoked_certs = revoked
        .iter()
        .map(|(serial, when)| {
            Ok(RevokedCertParams {
                serial_number: SerialNumber::from_slice(serial),
                revocation_time: at(*when)?,
                reason_code: None,
                invalidity_date: None,
            })
        })
        .collect::<Result<Vec<_>, CertError>>()?;
    let params = CertificateRevocationListParams {
        this_update: at(now)?,
        next_update: at(now)? + Duration::days(CRL_DAYS),
        crl_number: SerialNumber::from_slice(&number.max(1).to_be_bytes()),
        issuing_distribution_point: None,
        revoked_certs,
        key_identifier_method: KeyIdMethod::Sha256,
    };
    Ok(params.signed_by(&ca.issuer)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_names_are_bounded() {
        assert!(valid_cn("alice").is_ok());
        assert!(valid_cn("").is_err());
        assert!(valid_cn("a\nb").is_err());
        assert!(valid_cn(&"x".repeat(65)).is_err());
    }

    #[test]
    fn csr_extensions_are_not_copied() -> Result<(), CertError> {
        let (ca, _) = new_ca("t", 1_700_000_000)?;
        let key = KeyPair::generate()?;
        let mut req = CertificateParams::new(Vec::<String>::new())?;
        req.distinguished_name.push(DnType::CommonName, "mallory");
        req.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let pem = req.serialize_request(&key)?.pem()?;
        let (cn, public) = parse_csr(&pem)?;
        assert_eq!(cn, "mallory");
        let signed = sign_client(
            &ca,
            &cn,
            &public,
            &random_serial(),
            1_700_000_000,
            1_700_086_400,
        )?;
        let (_, x509) =
            x509_parser::parse_x509_certificate(&signed.der).map_err(|_| CertError::Time)?;
        assert!(!x509.is_ca(), "a CSR must never obtain a CA certificate");
        Ok(())
    }
}
