//! Local item ids: the absolute path, or `raw:<hex>` for a path that is not UTF-8 (or holds control characters) so that such
//! files are still indexed and acted on losslessly.

use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use crate::ids::ItemId;

const RAW_PREFIX: &str = "raw:";

/// The id of a local path, and whether its name needed the lossless raw encoding.
pub fn id_for(path: &Path) -> (ItemId, bool) {
    match path.to_str().filter(|s| !s.chars().any(char::is_control)) {
        Some(s) => (ItemId::from_str_unchecked(s), false),
        None => {
            let mut hex = String::with_capacity(RAW_PREFIX.len() + path.as_os_str().len() * 2);
            hex.push_str(RAW_PREFIX);
            for b in path.as_os_str().as_bytes() {
                hex.push_str(&format!("{b:02x}"));
            }
            (ItemId::from_str_unchecked(&hex), true)
        }
    }
}

/// The path behind a local id.
pub fn path_for(id: &ItemId) -> PathBuf {
    let s = id.as_str();
    match s.strip_prefix(RAW_PREFIX) {
        Some(hex) => {
            let bytes: Vec<u8> = (0..hex.len() / 2)
                .filter_map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
                .collect();
            PathBuf::from(OsString::from_vec(bytes))
        }
        None => PathBuf::from(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_ids_round_trip() {
        let odd = PathBuf::from(OsString::from_vec(b"/tmp/caf\xe9 (1).txt".to_vec()));
        let (id, raw) = id_for(&odd);
        assert!(raw);
        assert_eq!(path_for(&id), odd);
        let (id, raw) = id_for(Path::new("/tmp/ok.txt"));
        assert!(!raw);
        assert_eq!(path_for(&id), Path::new("/tmp/ok.txt"));
    }
}
