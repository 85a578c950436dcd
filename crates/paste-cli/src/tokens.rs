//! What this client remembers of the pastes it created, kept in
//! `$XDG_DATA_HOME/fpaste/tokens.json` (mode 0600): delete tokens, so `fpaste delete URL` works
//! later without `--token`, and encryption keys, so `fpaste export` can decrypt one's pastes
//! and `fpaste update` can seal new content under the key the link already carries. The keys
//! never reach the server; this file is as secret as the links themselves.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::envelope::Key;
use crate::error::{CliError, Result};
use crate::link::{decode_key, encode_key};

/// The token file's content: `"<server base>|<id>"` to token, and to key (base64url).
#[derive(Debug, Default, Serialize, Deserialize)]
struct Store {
    tokens: BTreeMap<String, String>,
    /// Absent in files written before keys were recorded.
    #[serde(default)]
    keys: BTreeMap<String, String>,
}

/// The token store in one directory.
#[derive(Debug, Clone)]
pub struct Tokens {
    path: PathBuf,
}

fn entry(server: &str, id: &str) -> String {
    format!("{}|{id}", server.trim_end_matches('/'))
}

impl Tokens {
    /// The store under the XDG data dir, when a home directory is known.
    pub fn default_location() -> Option<Self> {
        directories::ProjectDirs::from("", "", "fpaste").map(|d| Self::in_dir(d.data_dir()))
    }

    /// A store in `dir`.
    pub fn in_dir(dir: &Path) -> Self {
        Self {
            path: dir.join("tokens.json"),
        }
    }

    fn load(&self) -> Result<Store> {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                CliError::Local(format!("corrupt token store {}: {e}", self.path.display()))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Store::default()),
            Err(e) => Err(CliError::io(format!("reading {}", self.path.display()), e)),
        }
    }

    fn save(&self, store: &Store) -> Result<()> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let io = |e| CliError::io(format!("writing {}", self.path.display()), e);
        std::fs::create_dir_all(dir).map_err(io)?;
        // A temp file in the same directory, renamed over the old one: a crash never leaves a
        // half-written store, and tempfile creates it readable by the owner only.
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
        let json = serde_json::to_vec_pretty(store).map_err(|e| CliError::Local(e.to_string()))?;
        tmp.write_all(&json).map_err(io)?;
        tmp.persist(&self.path).map_err(|e| io(e.error))?;
        Ok(())
    }

    /// Remembers the delete token of a paste.
    pub fn put(&self, server: &str, id: &str, token: &str) -> Result<()> {
        let mut store = self.load()?;
        store.tokens.insert(entry(server, id), token.to_owned());
        self.save(&store)
    }

    /// The delete token of a paste, if this client created it.
    pub fn get(&self, server: &str, id: &str) -> Result<Option<String>> {
        Ok(self.load()?.tokens.remove(&entry(server, id)))
    }

    /// Remembers the encryption key of a paste.
    pub fn put_key(&self, server: &str, id: &str, key: &Key) -> Result<()> {
        let mut store = self.load()?;
        store.keys.insert(entry(server, id), encode_key(key));
        self.save(&store)
    }

    /// The encryption key of a paste, if this client recorded it.
    pub fn key(&self, server: &str, id: &str) -> Result<Option<Key>> {
        match self.load()?.keys.remove(&entry(server, id)) {
            Some(text) => decode_key(&text).map(Some).map_err(|_| {
                CliError::Local(format!("corrupt key for {id} in {}", self.path.display()))
            }),
            None => Ok(None),
        }
    }

    /// Forgets a paste's token and key.
    pub fn remove(&self, server: &str, id: &str) -> Result<()> {
        let mut store = self.load()?;
        let key = entry(server, id);
        let had_token = store.tokens.remove(&key).is_some();
        if store.keys.remove(&key).is_some() || had_token {
            self.save(&store)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_and_forgets_tokens_per_server() {
        let dir = tempfile::tempdir().unwrap();
        let tokens = Tokens::in_dir(&dir.path().join("sub"));
        assert_eq!(tokens.get("http://a/", "x").unwrap(), None);
        tokens.put("http://a/", "x", "t1").unwrap();
        tokens.put("http://b", "x", "t2").unwrap();
        assert_eq!(tokens.get("http://a", "x").unwrap().as_deref(), Some("t1"));
        assert_eq!(tokens.get("http://b/", "x").unwrap().as_deref(), Some("t2"));
        let key = Key::generate();
        tokens.put_key("http://a/", "x", &key).unwrap();
        assert_eq!(tokens.key("http://a", "x").unwrap(), Some(key));
        assert_eq!(tokens.key("http://b", "x").unwrap(), None);
        tokens.remove("http://a", "x").unwrap();
        assert_eq!(tokens.get("http://a", "x").unwrap(), None);
        assert_eq!(
            tokens.key("http://a", "x").unwrap(),
            None,
            "forgotten with the token"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("sub/tokens.json"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "token store readable by others: {mode:o}");
        }
    }
}
