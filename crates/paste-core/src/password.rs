//! Paste passwords: Argon2id hashes, never the password. Verification does the same work
//! whether or not the password matches, and runs on a blocking thread (see the server).

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::TryRngCore;
use rand::rngs::OsRng;

/// Longest password accepted; bounds the hashing cost an attacker can ask for.
pub const MAX_PASSWORD_LEN: usize = 1024;

/// Password handling failures.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// Empty or over [`MAX_PASSWORD_LEN`] bytes.
    #[error("password must be between 1 and {MAX_PASSWORD_LEN} bytes")]
    Length,
    /// The hasher failed (randomness or parameters).
    #[error("password hashing failed")]
    Hash,
}

/// Checks the length rule.
pub fn validate(password: &str) -> Result<(), PasswordError> {
    if password.is_empty() || password.len() > MAX_PASSWORD_LEN {
        Err(PasswordError::Length)
    } else {
        Ok(())
    }
}

/// Hashes `password` with Argon2id and a random salt (PHC string).
pub fn hash(password: &str) -> Result<String, PasswordError> {
    validate(password)?;
    let mut salt = [0u8; 16];
    OsRng
        .try_fill_bytes(&mut salt)
        .map_err(|_| PasswordError::Hash)?;
    let salt = SaltString::encode_b64(&salt).map_err(|_| PasswordError::Hash)?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| PasswordError::Hash)
}

/// Whether `password` matches the stored PHC `hash`. A malformed hash never matches.
pub fn verify(password: &str, hash: &str) -> bool {
    if validate(password).is_err() {
        return false;
    }
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_and_verify() -> Result<(), PasswordError> {
        let h = hash("correct horse")?;
        assert!(h.starts_with("$argon2id$"));
        assert!(!h.contains("correct horse"));
        assert!(verify("correct horse", &h));
        assert!(!verify("wrong", &h));
        assert!(!verify("correct horse", "not a hash"));
        assert!(hash("").is_err());
        assert!(hash(&"x".repeat(MAX_PASSWORD_LEN + 1)).is_err());
        Ok(())
    }
}
