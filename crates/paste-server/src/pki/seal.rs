//! The CA private key at rest: AES-256-GCM under a key derived from the CA password with
//! Argon2id (19 MiB, 2 passes, as OWASP recommends), a fresh salt and nonce per sealing.
//!
//! Layout: `FPCA1` ‖ salt (16) ‖ nonce (12) ‖ ciphertext+tag. The magic doubles as associated
//! data, so a blob cannot be replayed under another format version.

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};

const MAGIC: &[u8] = b"FPCA1";
const SALT: usize = 16;
const NONCE: usize = 12;

/// Why a sealed key could not be opened (or sealed).
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// Wrong password, or the blob was altered.
    #[error("the CA password does not open the stored CA key (wrong password, or altered data)")]
    WrongPassword,
    /// Not a blob this version wrote.
    #[error("the stored CA key is not in a known format")]
    Format,
    /// The key derivation failed (parameters).
    #[error("key derivation failed: {0}")]
    Kdf(String),
}

fn derive(password: &SecretString, salt: &[u8]) -> Result<[u8; 32], SealError> {
    let params =
        Params::new(19 * 1024, 2, 1, Some(32)).map_err(|e| SealError::Kdf(e.to_string()))?;
    let mut key = [0u8; 32];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(password.expose_secret().as_bytes(), salt, &mut key)
        .map_err(|e| SealError::Kdf(e.to_string()))?;
    Ok(key)
}

/// Seals `plaintext` (a PKCS#8 key) under `password`.
pub fn seal(password: &SecretString, plaintext: &[u8]) -> Result<Vec<u8>, SealError> {
    let mut salt = [0u8; SALT];
    let mut nonce = [0u8; NONCE];
    rand::rng().fill_bytes(&mut salt);
    rand::rng().fill_bytes(&mut nonce);
    let key = derive(password, &salt)?;
    let cipher = Aes256Gcm::new((&key).into());
    let sealed = cipher
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad: MAGIC,
            },
        )
        .map_err(|_| SealError::Format)?;
    let mut out = Vec::with_capacity(MAGIC.len() + SALT + NONCE + sealed.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&salt);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// Opens a blob written by [`seal`].
pub fn open(password: &SecretString, blob: &[u8]) -> Result<Vec<u8>, SealError> {
    let rest = blob.strip_prefix(MAGIC).ok_or(SealError::Format)?;
    if rest.len() < SALT + NONCE + 16 {
        return Err(SealError::Format);
    }
    let (salt, rest) = rest.split_at(SALT);
    let (nonce, sealed) = rest.split_at(NONCE);
    let key = derive(password, salt)?;
    Aes256Gcm::new((&key).into())
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: sealed,
                aad: MAGIC,
            },
        )
        .map_err(|_| SealError::WrongPassword)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_wrong_password() -> Result<(), SealError> {
        let pw = SecretString::from("correct horse battery");
        let blob = seal(&pw, b"secret key bytes")?;
        assert!(!blob.windows(6).any(|w| w == b"secret"), "plaintext leaked");
        assert_eq!(open(&pw, &blob)?, b"secret key bytes");
        let wrong = SecretString::from("correct horse battery!");
        assert!(matches!(open(&wrong, &blob), Err(SealError::WrongPassword)));
        let mut tampered = blob.clone();
        if let Some(b) = tampered.last_mut() {
            *b ^= 1;
        }
        assert!(open(&pw, &tampered).is_err());
        assert!(matches!(open(&pw, b"junk"), Err(SealError::Format)));
        Ok(())
    }
}
