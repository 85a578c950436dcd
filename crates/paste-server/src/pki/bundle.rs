//! The PKCS#12 bundle `POST /register` answers: the new key, its certificate and the CA.
//!
//! Its password is empty (PKCS#12 writers all encrypt; this one uses PBES2 with AES-256 and an
//! HMAC-SHA256 MAC): the bundle travels once, over the same TLS channel that would carry a
//! password, and `fpaste register` unpacks it into files only the user can read.

use p12_keystore::{Certificate, KeyStore, KeyStoreEntry, PrivateKey, PrivateKeyChain};

/// The bundle's password.
pub const PASSWORD: &str = "";

/// Packs a PKCS#8 key with its certificate chain (leaf, then CA), all DER.
pub fn pkcs12(
    alias: &str,
    key_pkcs8: &[u8],
    leaf: &[u8],
    ca: &[u8],
    key_id: &[u8],
) -> Result<Vec<u8>, p12_keystore::error::Error> {
    let chain = PrivateKeyChain::new(
        key_id,
        PrivateKey::from_der(key_pkcs8)?,
        [Certificate::from_der(leaf)?, Certificate::from_der(ca)?],
    );
    let mut store = KeyStore::new();
    store.add_entry(&friendly_name(alias), KeyStoreEntry::PrivateKeyChain(chain));
    store.writer(PASSWORD).write()
}

/// The bundle's `friendlyName` for a common name: a BMPString, which cannot hold characters
/// beyond U+FFFF (a valid common name may), so those become U+FFFD. It is only a label.
fn friendly_name(cn: &str) -> String {
    cn.chars()
        .map(|c| if u32::from(c) > 0xFFFF { '\u{FFFD}' } else { c })
        .collect()
}
