//! The built-in PKI's wire contract: paths, headers and JSON bodies of `/pki/*`, `/register`
//! and `/csr`, shared by `fpasted` and `fpaste`.

use serde::{Deserialize, Serialize};

/// `GET /pki/status`.
pub const STATUS_PATH: &str = "/pki/status";
/// `POST /pki/ca`.
pub const CA_PATH: &str = "/pki/ca";
/// `GET /pki/ca.crt`: the CA certificate, PEM.
pub const CA_CERT_PATH: &str = "/pki/ca.crt";
/// `GET /pki/crl`: the revocation list, PEM.
pub const CRL_PATH: &str = "/pki/crl";
/// `POST /pki/issue` (admins).
pub const ISSUE_PATH: &str = "/pki/issue";
/// `POST /pki/revoke` (admins).
pub const REVOKE_PATH: &str = "/pki/revoke";
/// `GET /register/challenge`.
pub const REGISTER_CHALLENGE_PATH: &str = "/register/challenge";
/// `POST /register`: a PKCS#12 bundle.
pub const REGISTER_PATH: &str = "/register";
/// `POST /csr`: a PEM CSR in, a PEM certificate out.
pub const CSR_PATH: &str = "/csr";

/// Response header: SHA-1 fingerprint of the new certificate (its identity).
pub const FINGERPRINT_SHA1: &str = "x-fingerprint-sha1";
/// Response header: notAfter, Unix seconds.
pub const CERTIFICATE_EXPIRES: &str = "x-certificate-expires";
/// Response header: the serial, lowercase hex (what `/pki/revoke` takes).
pub const CERTIFICATE_SERIAL: &str = "x-certificate-serial";
/// Response header: `1` when the certificate has admin rights, else `0`.
pub const IS_ADMIN: &str = "x-is-admin";

/// `Content-Type` of PEM answers and of the CSR request.
pub const PEM_TYPE: &str = "application/x-pem-file";
/// `Content-Type` of the registration bundle.
pub const PKCS12_TYPE: &str = "application/x-pkcs12";

/// `GET /pki/status`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PkiStatus {
    /// The PKI is enabled (everything else is absent when not).
    pub enabled: bool,
    /// A CA has been created.
    #[serde(default)]
    pub ca_exists: bool,
    /// The CA's common name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub common_name: Option<String>,
    /// SHA-1 fingerprint of the CA certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint_sha1: Option<String>,
    /// When the CA was created, Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<i64>,
    /// When the CA certificate expires, Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
    /// Certificates issued so far.
    #[serde(default)]
    pub issued: u64,
    /// Of which revoked.
    #[serde(default)]
    pub revoked: u64,
    /// Validity of new certificates, days.
    #[serde(default)]
    pub cert_days: u32,
    /// Path of the CA certificate download, URL prefix included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub download: Option<String>,
    /// Path of the CRL, URL prefix included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crl: Option<String>,
}

/// `POST /pki/ca` body (optional) and `POST /register` body (optional).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NameRequest {
    /// Subject common name, 1 to 64 characters, no control characters.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 64,
            pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]+$"
        )
    )]
    pub common_name: Option<String>,
}

/// `POST /pki/issue` body.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct IssueRequest {
    /// Subject common name, 1 to 64 characters, no control characters.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 64,
            pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]+$"
        )
    )]
    pub common_name: String,
    /// Grant admin rights.
    #[serde(default)]
    pub is_admin: bool,
}

/// A certificate as issued (`POST /pki/issue`; the key only there, once).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IssuedCertificate {
    /// Serial, lowercase hex.
    pub serial: String,
    /// SHA-1 fingerprint: the identity it grants.
    pub fingerprint_sha1: String,
    /// Subject common name.
    pub common_name: String,
    /// Admin rights.
    pub is_admin: bool,
    /// Unix seconds.
    pub created_at: i64,
    /// notAfter, Unix seconds.
    pub expires_at: i64,
    /// PEM certificate.
    pub certificate_pem: String,
    /// PEM PKCS#8 private key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_key_pem: Option<String>,
    /// PEM CA certificate.
    pub ca_certificate_pem: String,
}

/// `POST /pki/revoke` body.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RevokeRequest {
    /// Serial in hex, 2 to 40 digits (colons and case ignored).
    #[cfg_attr(feature = "openapi", schema(pattern = "^([0-9A-Fa-f]{2}:?){1,20}$"))]
    pub serial: String,
}

/// `POST /pki/revoke` answer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Revoked {
    /// Serial, lowercase hex.
    pub serial: String,
    /// SHA-1 fingerprint of the revoked certificate.
    pub fingerprint_sha1: String,
    /// Unix seconds.
    pub revoked_at: i64,
}

/// Normalises a serial as sent (`AB:CD`, `abcd`) to lowercase hex; `None` unless 2 to 40 hex
/// digits, an even number of them.
pub fn normalise_serial(raw: &str) -> Option<String> {
    let s: String = raw
        .trim()
        .chars()
        .filter(|c| *c != ':')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let ok = (2..=40).contains(&s.len())
        && s.len().is_multiple_of(2)
        && s.bytes().all(|b| b.is_ascii_hexdigit());
    ok.then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_normalise() {
        assert_eq!(normalise_serial(" AB:cd ").as_deref(), Some("abcd"));
        assert_eq!(normalise_serial("abc"), None);
        assert_eq!(normalise_serial("zz"), None);
        assert_eq!(normalise_serial(&"a".repeat(42)), None);
    }
}
