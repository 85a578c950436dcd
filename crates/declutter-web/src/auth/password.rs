//! Passwords after NIST SP 800-63B: at least 8 characters (15 recommended), up to 128, any
//! characters, no composition rules, refused when on a list of commonly used passwords; stored
//! as Argon2id PHC strings.

use std::collections::HashSet;
use std::sync::LazyLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// Shortest accepted password, in characters.
pub const MIN_CHARS: usize = 8;
/// Length we recommend in the UI.
pub const RECOMMENDED_CHARS: usize = 15;
/// Longest accepted password (63B asks for at least 64).
pub const MAX_CHARS: usize = 128;

static COMMON: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| include_str!("common-passwords.txt").lines().collect());

/// Why a new password is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PolicyError {
    /// Fewer than [`MIN_CHARS`].
    #[error("Use at least 8 characters; 15 or more is better. A few unrelated words work well.")]
    TooShort,
    /// More than [`MAX_CHARS`].
    #[error("Use at most 128 characters.")]
    TooLong,
    /// On the common-password list, or the email itself.
    #[error("This password is too common or easy to guess; choose another.")]
    Common,
}

/// Checks a new password for `email`.
pub fn check_policy(password: &str, email: &str) -> Result<(), PolicyError> {
    let n = password.chars().count();
    if n < MIN_CHARS {
        return Err(PolicyError::TooShort);
    }
    if n > MAX_CHARS {
        return Err(PolicyError::TooLong);
    }
    let lower = password.to_lowercase();
    let local = email.split('@').next().unwrap_or_default().to_lowercase();
    if COMMON.contains(lower.as_str()) || lower == email.to_lowercase() || lower == local {
        return Err(PolicyError::Common);
    }
    Ok(())
}

/// Hashing failed; the cause never holds the password.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// The configured cost is out of Argon2's range.
    #[error("Argon2 refused the parameters")]
    Params(#[source] argon2::Error),
    /// Hashing failed, or a stored hash does not parse as a PHC string.
    #[error("password hashing failed")]
    Hash(#[source] argon2::password_hash::Error),
}

/// An Argon2id hasher with the given memory cost (OWASP: 19 MiB, 2 passes, 1 lane).
#[derive(Debug, Clone)]
pub struct Hasher {
    memory_kib: u32,
}

impl Hasher {
    /// A hasher using `memory_kib` KiB per hash.
    pub fn new(memory_kib: u32) -> Self {
        Self { memory_kib }
    }

    fn argon2(&self) -> Result<Argon2<'static>, HashError> {
        let params = Params::new(self.memory_kib.max(8), 2, 1, None).map_err(HashError::Params)?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }

    /// The PHC string for `password` with a fresh salt.
    pub fn hash(&self, password: &str) -> Result<String, HashError> {
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        Ok(self
            .argon2()?
            .hash_password(password.as_bytes(), &salt)
            .map_err(HashError::Hash)?
            .to_string())
    }

    /// Whether `password` matches `phc` (parameters are read from the PHC string).
    pub fn verify(&self, password: &str, phc: &str) -> Result<bool, HashError> {
        let parsed = PasswordHash::new(phc).map_err(HashError::Hash)?;
        Ok(self
            .argon2()?
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    }

    /// A hash to verify against when the account does not exist, so timing does not tell.
    pub fn dummy(&self) -> &'static str {
        "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3yCKgFhnG1GM1IV1ALr1Zt+2YC2u4pEoVc1mlMFH3jE"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_follows_nist() {
        assert_eq!(check_policy("short", "a@b.c"), Err(PolicyError::TooShort));
        assert_eq!(
            check_policy("password123", "a@b.c"),
            Err(PolicyError::Common)
        );
        assert_eq!(check_policy("iloveyou", "a@b.c"), Err(PolicyError::Common));
        assert_eq!(
            check_policy("alice@example.com", "alice@example.com"),
            Err(PolicyError::Common)
        );
        assert_eq!(
            check_policy(&"x".repeat(129), "a@b.c"),
            Err(PolicyError::TooLong)
        );
        // No composition rules: lowercase words only are fine, and so is any Unicode.
        assert_eq!(
            check_policy("correct horse battery staple", "a@b.c"),
            Ok(())
        );
        assert_eq!(check_policy("ŝećŗėţ ŵőřđš", "a@b.c"), Ok(()));
    }

    #[test]
    fn hashes_verify() -> Result<(), HashError> {
        let h = Hasher::new(64);
        let phc = h.hash("correct horse battery staple")?;
        assert!(phc.starts_with("$argon2id$"));
        assert!(h.verify("correct horse battery staple", &phc)?);
        assert!(!h.verify("wrong", &phc)?);
        Ok(())
    }
}
