//! Paste ids and delete tokens: unguessable, URL-safe, from the OS random number generator.

use std::fmt;
use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::TryRngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// 96 bits of OS randomness: guessing one live id among a billion takes ~2^66 tries.
const ID_BYTES: usize = 12;
/// Length of the base64url form of an id.
pub const ID_LEN: usize = 16;

/// A paste id: 16 base64url characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PasteId(String);

/// The OS random number generator failed; nothing safe can be generated.
#[derive(Debug, thiserror::Error)]
#[error("the operating system's random number generator failed")]
pub struct RandomnessError;

fn random_bytes<const N: usize>() -> Result<[u8; N], RandomnessError> {
    let mut bytes = [0u8; N];
    OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(|_| RandomnessError)?;
    Ok(bytes)
}

impl PasteId {
    /// A fresh random id.
    pub fn generate() -> Result<Self, RandomnessError> {
        Ok(Self(URL_SAFE_NO_PAD.encode(random_bytes::<ID_BYTES>()?)))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `s` has the shape of an id (length and alphabet), checked without copying it.
    pub fn is_well_formed(s: &str) -> bool {
        s.len() == ID_LEN
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    }
}

/// Text that is not a paste id.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("not a paste id")]
pub struct InvalidId;

impl FromStr for PasteId {
    type Err = InvalidId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if Self::is_well_formed(s) {
            Ok(Self(s.to_owned()))
        } else {
            Err(InvalidId)
        }
    }
}

impl fmt::Display for PasteId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A delete token handed to an anonymous creator; only its SHA-256 is stored.
#[derive(Debug, Clone)]
pub struct DeleteToken(String);

impl DeleteToken {
    /// A fresh 256-bit token.
    pub fn generate() -> Result<Self, RandomnessError> {
        Ok(Self(URL_SAFE_NO_PAD.encode(random_bytes::<32>()?)))
    }

    /// The token text to give to the creator.
    pub fn reveal(&self) -> &str {
        &self.0
    }

    /// What the database keeps.
    pub fn digest(&self) -> Vec<u8> {
        digest(&self.0)
    }
}

fn digest(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Whether `presented` matches the stored digest, in constant time.
pub fn delete_token_matches(stored_digest: &[u8], presented: &str) -> bool {
    bool::from(digest(presented).ct_eq(stored_digest))
}

/// A fresh random hex string of `N` bytes (used for PoW nonces and secrets).
pub fn random_hex<const N: usize>() -> Result<String, RandomnessError> {
    Ok(hex::encode(random_bytes::<N>()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn generated_ids_parse_and_differ() -> Result<(), Box<dyn std::error::Error>> {
        let a = PasteId::generate()?;
        let b = PasteId::generate()?;
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), ID_LEN);
        assert_eq!(a.to_string().parse::<PasteId>()?, a);
        Ok(())
    }

    #[test]
    fn rejects_non_ids() {
        for bad in [
            "",
            "short",
            "../../etc/passwd",
            "aaaaaaaaaaaaaaa!",
            "aaaaaaaaaaaaaaaaa",
        ] {
            assert!(bad.parse::<PasteId>().is_err(), "{bad}");
        }
    }

    #[test]
    fn delete_tokens_verify() -> Result<(), Box<dyn std::error::Error>> {
        let t = DeleteToken::generate()?;
        assert!(delete_token_matches(&t.digest(), t.reveal()));
        assert!(!delete_token_matches(&t.digest(), "guess"));
        Ok(())
    }

    proptest! {
        #[test]
        fn display_from_str_round_trip(bytes in proptest::array::uniform12(any::<u8>())) {
            let id = PasteId(URL_SAFE_NO_PAD.encode(bytes));
            prop_assert_eq!(id.to_string().parse::<PasteId>().ok(), Some(id));
        }
    }
}
