//! The STREAM construction (Hoang, Reyhanitabar, Rogaway, Vizár) with a 32-bit big-endian
//! counter, over ring's AES-256-GCM, which uses AES-NI and carry-less multiplication (or the
//! ARMv8 equivalents) when the CPU has them.
//!
//! Byte-compatible with `aead::stream::{EncryptorBE32, DecryptorBE32}`, which wrote the first
//! envelopes: the 12-byte GCM nonce of chunk `i` is `prefix(7) ‖ i as u32 big-endian ‖ last`,
//! where `last` is 1 for the final chunk and 0 otherwise, and every chunk authenticates the
//! envelope header as associated data. `envelope_tests` opens envelopes written by that code.

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};

use crate::envelope::{KEY_LEN, NONCE_PREFIX_LEN, TAG_LEN};

/// A chunk did not seal (the counter ran out) or did not open (authentication failed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamError;

/// AES-256-GCM under a paste key.
pub fn cipher(key: &[u8; KEY_LEN]) -> LessSafeKey {
    // A 32-byte key is always a valid AES-256 key.
    LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key).unwrap_or_else(|_| unreachable_key()))
}

#[expect(clippy::panic, reason = "AES-256 accepts every 32-byte key")]
fn unreachable_key() -> UnboundKey {
    panic!("AES-256-GCM refused a 32-byte key")
}

/// One direction of one envelope: the key, the nonce prefix and the next chunk's position.
pub struct Stream {
    key: LessSafeKey,
    prefix: [u8; NONCE_PREFIX_LEN],
    position: u32,
}

impl Stream {
    /// A stream at chunk 0.
    pub fn new(key: LessSafeKey, prefix: [u8; NONCE_PREFIX_LEN]) -> Self {
        Self {
            key,
            prefix,
            position: 0,
        }
    }

    fn nonce(&self, last: bool) -> Result<Nonce, StreamError> {
        // As the aead crate: position u32::MAX is never used, for next or last chunks.
        if self.position == u32::MAX {
            return Err(StreamError);
        }
        let mut n = [0u8; 12];
        n[..NONCE_PREFIX_LEN].copy_from_slice(&self.prefix);
        n[NONCE_PREFIX_LEN..11].copy_from_slice(&self.position.to_be_bytes());
        n[11] = u8::from(last);
        Ok(Nonce::assume_unique_for_key(n))
    }

    /// Encrypts `buf` in place and returns its tag; `last` marks the final chunk.
    pub fn seal(
        &mut self,
        aad: &[u8],
        buf: &mut [u8],
        last: bool,
    ) -> Result<[u8; TAG_LEN], StreamError> {
        let nonce = self.nonce(last)?;
        let tag = self
            .key
            .seal_in_place_separate_tag(nonce, Aad::from(aad), buf)
            .map_err(|_| StreamError)?;
        self.position += 1;
        let mut out = [0u8; TAG_LEN];
        out.copy_from_slice(tag.as_ref());
        Ok(out)
    }

    /// Verifies and decrypts `buf` (ciphertext ‖ tag) in place; returns the plaintext length
    /// (the plaintext is `buf[..len]`).
    pub fn open(&mut self, aad: &[u8], buf: &mut [u8], last: bool) -> Result<usize, StreamError> {
        let nonce = self.nonce(last)?;
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(aad), buf)
            .map_err(|_| StreamError)?
            .len();
        self.position += 1;
        Ok(plain)
    }
}

/// Opens FlaskPaste's single-shot `ciphertext ‖ tag` under a 12-byte nonce, in place.
pub fn open_single(
    key: &LessSafeKey,
    nonce: [u8; 12],
    buf: &mut Vec<u8>,
) -> Result<(), StreamError> {
    let plain = key
        .open_in_place(Nonce::assume_unique_for_key(nonce), Aad::empty(), buf)
        .map_err(|_| StreamError)?
        .len();
    debug_assert_eq!(plain + TAG_LEN, buf.len());
    buf.truncate(plain);
    Ok(())
}
