//! Cloud OAuth tokens at rest: AES-256-GCM with a fresh random 96-bit nonce per record, the
//! owner and provider bound in as associated data (a sealed token copied to another user's
//! row does not open), and the key id stored beside each record so keys can rotate:
//! [`Keyring::reseal_all`] re-encrypts every record under the current key.

use std::collections::HashMap;
use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use platform_db::sql::{Conn, Lock, RusqliteLike as _};
use rand::RngCore as _;
use secrecy::{ExposeSecret, SecretString};
use sha2::Digest as _;

use crate::db::{self, DbError};

const NONCE_LEN: usize = 12;

/// Key loading or sealing failed.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// No key configured and not in dev mode.
    #[error(
        "no token encryption key: set DECLUTTER_TOKEN_KEY or DECLUTTER_TOKEN_KEY_FILE (base64 of 32 bytes), or DECLUTTER_DEV=1 for a development key"
    )]
    NoKey,
    /// The key is not base64 of exactly 32 bytes.
    #[error("the token encryption key must be base64 of exactly 32 bytes")]
    BadKey,
    /// The key file could not be read or written.
    #[error("token key file {path}: {source}")]
    File {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A record was sealed under a key we do not hold.
    #[error("unknown token key id {0}")]
    UnknownKey(String),
    /// This instance's key is not the one the installation's tokens are sealed under.
    #[error(
        "the token encryption key is not this installation's: its cloud tokens are sealed under key id {recorded}, this key's id is {current}; every instance needs the same DECLUTTER_TOKEN_KEY, and `declutter rotate-token-key` changes it"
    )]
    WrongKey {
        /// The installation's key id.
        recorded: String,
        /// This instance's key id.
        current: String,
    },
    /// Authentication failed: wrong key, wrong owner, or tampering.
    #[error("sealed token does not open")]
    Open,
}

/// One 256-bit key and its id (first 8 bytes of its SHA-256, hex; not secret).
#[derive(Clone)]
struct Key {
    id: String,
    cipher: Aes256Gcm,
}

impl Key {
    fn new(bytes: &[u8; 32]) -> Self {
        Self {
            id: hex::encode(&sha2::Sha256::digest(bytes)[..8]),
            cipher: Aes256Gcm::new(bytes.into()),
        }
    }
}

/// The current key and any retired keys still needed to open old records.
#[derive(Clone)]
pub struct Keyring {
    current: Key,
    old: HashMap<String, Key>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("current", &self.current.id)
            .finish_non_exhaustive()
    }
}

/// Parses base64 of 32 bytes.
pub fn parse_key(b64: &str) -> Result<[u8; 32], CryptoError> {
    base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()
        .and_then(|v| <[u8; 32]>::try_from(v).ok())
        .ok_or(CryptoError::BadKey)
}

/// A fresh random key, base64.
pub fn generate_key() -> String {
    let mut k = [0u8; 32];
    rand::rng().fill_bytes(&mut k);
    base64::engine::general_purpose::STANDARD.encode(k)
}

impl Keyring {
    /// A keyring with `current` and the retired keys `old`.
    pub fn new(current: &[u8; 32], old: &[[u8; 32]]) -> Self {
        Self {
            current: Key::new(current),
            old: old
                .iter()
                .map(Key::new)
                .map(|k| (k.id.clone(), k))
                .collect(),
        }
    }

    /// Loads the key from the variable, else the file, else (dev mode only) a generated key
    /// persisted as `token-key.dev` beside the database.
    pub fn load(
        var: Option<&SecretString>,
        file: Option<&Path>,
        dev: bool,
        data_dir: &Path,
    ) -> Result<Self, CryptoError> {
        if let Some(v) = var {
            return Ok(Self::new(&parse_key(v.expose_secret())?, &[]));
        }
        let read = |path: &Path| {
            std::fs::read_to_string(path).map_err(|source| CryptoError::File {
                path: path.display().to_string(),
                source,
            })
        };
        if let Some(path) = file {
            return Ok(Self::new(&parse_key(&read(path)?)?, &[]));
        }
        if !dev {
            return Err(CryptoError::NoKey);
        }
        let path = data_dir.join("token-key.dev");
        if !path.exists() {
            std::fs::create_dir_all(data_dir)
                .and_then(|()| write_private(&path, &generate_key()))
                .map_err(|source| CryptoError::File {
                    path: path.display().to_string(),
                    source,
                })?;
        }
        tracing::warn!(
            path = %path.display(),
            "DEVELOPMENT MODE: cloud tokens are encrypted with a key stored next to the database; \
             set DECLUTTER_TOKEN_KEY or DECLUTTER_TOKEN_KEY_FILE in production"
        );
        Ok(Self::new(&parse_key(&read(&path)?)?, &[]))
    }

    /// The id of the key new records are sealed under.
    pub fn current_id(&self) -> &str {
        &self.current.id
    }

    /// Seals `plaintext` for (`owner`, `provider`): returns (key id, nonce || ciphertext).
    pub fn seal(
        &self,
        owner: &str,
        provider: &str,
        plaintext: &[u8],
    ) -> Result<(String, Vec<u8>), CryptoError> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let aad = aad(owner, provider);
        let ct = self
            .current
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .map_err(|_| CryptoError::Open)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        Ok((self.current.id.clone(), out))
    }

    /// Opens a record sealed under `key_id` for (`owner`, `provider`).
    pub fn open(
        &self,
        key_id: &str,
        owner: &str,
        provider: &str,
        sealed: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        let key = if key_id == self.current.id {
            &self.current
        } else {
            self.old
                .get(key_id)
                .ok_or_else(|| CryptoError::UnknownKey(key_id.to_owned()))?
        };
        if sealed.len() < NONCE_LEN {
            return Err(CryptoError::Open);
        }
        let (nonce, ct) = sealed.split_at(NONCE_LEN);
        key.cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ct,
                    aad: &aad(owner, provider),
                },
            )
            .map_err(|_| CryptoError::Open)
    }

    /// Re-encrypts every stored token under the current key, in one transaction, and records
    /// that key as the installation's; returns how many records changed. Run after adding a new key with the old one retired in `old`.
    pub fn reseal_all(&self, conn: &mut dyn Conn) -> Result<usize, ResealError> {
        // The global lock: no instance seals a token between the read and the key's record.
        let tx = conn.transaction(Lock::All).map_err(DbError::from)?;
        let mut n = 0;
        for row in db::connections::all_sealed(&*tx)? {
            if row.key_id == self.current.id {
                continue;
            }
            let (owner, provider): (String, String) = tx
                .query_row(
                    "SELECT user_id, provider FROM oauth_connections WHERE id = ?1",
                    [row.id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .map_err(DbError::from)?;
            let plain = self.open(&row.key_id, &owner, &provider, &row.sealed)?;
            let (kid, sealed) = self.seal(&owner, &provider, &plain)?;
            db::connections::reseal(&*tx, row.id, &kid, &sealed)?;
            n += 1;
        }
        db::token_key::set(&*tx, &self.current.id)?;
        tx.commit().map_err(DbError::from)?;
        Ok(n)
    }
}

/// Re-encryption failed; nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum ResealError {
    /// Storage failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// A record did not open.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
}

fn aad(owner: &str, provider: &str) -> Vec<u8> {
    format!("declutter-token-v1\0{owner}\0{provider}").into_bytes()
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    opts.open(path)?.write_all(contents.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_with_fresh_nonces_and_binds_owner() -> Result<(), CryptoError> {
        let k = Keyring::new(&[1; 32], &[]);
        let (id, a) = k.seal("u1", "gdrive", b"refresh-token")?;
        let (_, b) = k.seal("u1", "gdrive", b"refresh-token")?;
        assert_ne!(a, b);
        assert_eq!(k.open(&id, "u1", "gdrive", &a)?, b"refresh-token");
        assert!(k.open(&id, "u2", "gdrive", &a).is_err());
        let rotated = Keyring::new(&[2; 32], &[[1; 32]]);
        assert_eq!(rotated.open(&id, "u1", "gdrive", &a)?, b"refresh-token");
        assert!(
            Keyring::new(&[2; 32], &[])
                .open(&id, "u1", "gdrive", &a)
                .is_err()
        );
        assert!(parse_key("c2hvcnQ=").is_err());
        Ok(())
    }

    #[test]
    fn refuses_to_start_without_a_key_unless_dev() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        assert!(matches!(
            Keyring::load(None, None, false, dir.path()),
            Err(CryptoError::NoKey)
        ));
        let first = Keyring::load(None, None, true, dir.path())?;
        let again = Keyring::load(None, None, true, dir.path())?;
        assert_eq!(
            first.current_id(),
            again.current_id(),
            "the dev key persists"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(dir.path().join("token-key.dev"))?
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "dev key readable by its owner only");
        }
        let bad = SecretString::from("c2hvcnQ=".to_owned());
        assert!(matches!(
            Keyring::load(Some(&bad), None, false, dir.path()),
            Err(CryptoError::BadKey)
        ));
        Ok(())
    }
}
