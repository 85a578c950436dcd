//! Storage of the built-in PKI: the one CA (its key sealed by the server before it gets here)
//! and the register of certificates it issued. Cryptography lives in the server; this module
//! only keeps rows.

use platform_db::rusqlite::{self, OptionalExtension, Row, TransactionBehavior, params};

use super::{PasteStore, StoreError};

/// The CA as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCa {
    /// Subject common name.
    pub common_name: String,
    /// The CA certificate, PEM.
    pub cert_pem: String,
    /// SHA-1 of the certificate's DER, 40 lowercase hex.
    pub fingerprint: String,
    /// The private key as sealed by the server (never plaintext).
    pub sealed_key: Vec<u8>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds (the certificate's notAfter).
    pub expires_at: i64,
}

/// A certificate the CA issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedCert {
    /// Serial number, lowercase hex without separators.
    pub serial: String,
    /// SHA-1 of the certificate's DER: the identity it grants.
    pub fingerprint: String,
    /// Subject common name.
    pub common_name: String,
    /// Grants admin rights.
    pub is_admin: bool,
    /// How it was obtained: `issue`, `register` or `csr`.
    pub source: String,
    /// Unix seconds.
    pub issued_at: i64,
    /// Unix seconds (notAfter).
    pub expires_at: i64,
    /// Unix seconds, once revoked.
    pub revoked_at: Option<i64>,
}

/// What a revocation request found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revocation {
    /// Revoked now.
    Revoked(IssuedCert),
    /// It was revoked before.
    AlreadyRevoked(IssuedCert),
    /// No certificate with that serial.
    Unknown,
}

const CERT_COLUMNS: &str =
    "serial, fingerprint, common_name, is_admin, source, issued_at, expires_at, revoked_at";

fn cert_row(r: &Row<'_>) -> rusqlite::Result<IssuedCert> {
    Ok(IssuedCert {
        serial: r.get(0)?,
        fingerprint: r.get(1)?,
        common_name: r.get(2)?,
        is_admin: r.get(3)?,
        source: r.get(4)?,
        issued_at: r.get(5)?,
        expires_at: r.get(6)?,
        revoked_at: r.get(7)?,
    })
}

impl PasteStore {
    /// The CA, if one was created.
    pub async fn pki_ca(&self) -> Result<Option<StoredCa>, StoreError> {
        Ok(self
            .pool()
            .read(|c| {
                c.query_row(
                    "SELECT common_name, cert_pem, fingerprint, sealed_key, created_at, expires_at \
                     FROM pki_ca WHERE id = 1",
                    [],
                    |r| {
                        Ok(StoredCa {
                            common_name: r.get(0)?,
                            cert_pem: r.get(1)?,
                            fingerprint: r.get(2)?,
                            sealed_key: r.get(3)?,
                            created_at: r.get(4)?,
                            expires_at: r.get(5)?,
                        })
                    },
                )
                .optional()
            })
            .await??)
    }

    /// Stores the CA unless one exists; whether this one was stored. Two racing creations
    /// cannot both win: the table holds one row.
    pub async fn insert_pki_ca(&self, ca: StoredCa) -> Result<bool, StoreError> {
        let n = self
            .pool()
            .write(move |c| {
                c.execute(
                    "INSERT INTO pki_ca (id, common_name, cert_pem, fingerprint, sealed_key, \
                     created_at, expires_at) VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6) \
                     ON CONFLICT (id) DO NOTHING",
                    params![
                        ca.common_name,
                        ca.cert_pem,
                        ca.fingerprint,
                        ca.sealed_key,
                        ca.created_at,
                        ca.expires_at
                    ],
                )
            })
            .await??;
        Ok(n == 1)
    }

    /// Records an issued certificate. With `first_is_admin`, the first certificate ever
    /// recorded is made admin; that check and the insert share one immediate transaction, so
    /// two registrations racing for it cannot both win. Returns the row as stored.
    pub async fn record_cert(
        &self,
        mut cert: IssuedCert,
        first_is_admin: bool,
    ) -> Result<IssuedCert, StoreError> {
        Ok(self
            .pool()
            .write(move |c| {
                let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
                if first_is_admin {
                    let any: bool =
                        tx.query_row("SELECT EXISTS (SELECT 1 FROM pki_certs)", [], |r| r.get(0))?;
                    cert.is_admin |= !any;
                }
                tx.execute(
                    &format!(
                        "INSERT INTO pki_certs ({CERT_COLUMNS}) \
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
                    ),
                    params![
                        cert.serial,
                        cert.fingerprint,
                        cert.common_name,
                        cert.is_admin,
                        cert.source,
                        cert.issued_at,
                        cert.expires_at,
                        cert.revoked_at
                    ],
                )?;
                tx.commit()?;
                Ok::<_, rusqlite::Error>(cert)
            })
            .await??)
    }

    /// Every certificate the CA issued, oldest first.
    pub async fn issued_certs(&self) -> Result<Vec<IssuedCert>, StoreError> {
        Ok(self
            .pool()
            .read(|c| {
                c.prepare(&format!(
                    "SELECT {CERT_COLUMNS} FROM pki_certs ORDER BY issued_at, serial"
                ))?
                .query_map([], cert_row)?
                .collect::<rusqlite::Result<Vec<_>>>()
            })
            .await??)
    }

    /// Marks the certificate with `serial` revoked at `now`.
    pub async fn revoke_cert(&self, serial: &str, now: i64) -> Result<Revocation, StoreError> {
        let serial = serial.to_owned();
        Ok(self
            .pool()
            .write(move |c| {
                let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let found = tx
                    .query_row(
                        &format!("SELECT {CERT_COLUMNS} FROM pki_certs WHERE serial = ?1"),
                        [&serial],
                        cert_row,
                    )
                    .optional()?;
                let outcome = match found {
                    None => Revocation::Unknown,
                    Some(cert) if cert.revoked_at.is_some() => Revocation::AlreadyRevoked(cert),
                    Some(mut cert) => {
                        tx.execute(
                            "UPDATE pki_certs SET revoked_at = ?2 WHERE serial = ?1",
                            params![serial, now],
                        )?;
                        cert.revoked_at = Some(now);
                        Revocation::Revoked(cert)
                    }
                };
                tx.commit()?;
                Ok::<_, rusqlite::Error>(outcome)
            })
            .await??)
    }

    /// Takes the next CRL number (monotonic, as RFC 5280 asks).
    pub async fn next_crl_number(&self) -> Result<i64, StoreError> {
        Ok(self
            .pool()
            .write(|c| {
                c.query_row(
                    "UPDATE pki_ca SET crl_number = crl_number + 1 WHERE id = 1 \
                     RETURNING crl_number",
                    [],
                    |r| r.get(0),
                )
                .optional()
            })
            .await??
            .unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(serial: &str) -> IssuedCert {
        IssuedCert {
            serial: serial.into(),
            fingerprint: format!("{serial:0>40}"),
            common_name: "alice".into(),
            is_admin: false,
            source: "register".into(),
            issued_at: 1,
            expires_at: 2,
            revoked_at: None,
        }
    }

    #[tokio::test]
    async fn first_certificate_only_is_admin_and_revocation_is_once() -> Result<(), StoreError> {
        let dir = tempfile::tempdir().map_err(|e| StoreError::Batch(e.to_string()))?;
        let store = PasteStore::open(&dir.path().join("db"), 1, 0)
            .map_err(|e| StoreError::Batch(e.to_string()))?;
        assert!(store.record_cert(cert("01"), true).await?.is_admin);
        assert!(!store.record_cert(cert("02"), true).await?.is_admin);
        assert!(!store.record_cert(cert("03"), false).await?.is_admin);
        assert!(matches!(
            store.revoke_cert("02", 9).await?,
            Revocation::Revoked(_)
        ));
        assert!(matches!(
            store.revoke_cert("02", 10).await?,
            Revocation::AlreadyRevoked(c) if c.revoked_at == Some(9)
        ));
        assert_eq!(store.revoke_cert("ff", 9).await?, Revocation::Unknown);
        assert_eq!(store.issued_certs().await?.len(), 3);
        Ok(())
    }
}
