//! The client served at `/client`: the `fpaste` binary built for this server's platform, with
//! its SHA-256 so users can verify what they downloaded.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// The loaded client binary, if one is available.
#[derive(Debug, Default)]
pub struct ClientDist {
    /// The binary and its hex SHA-256.
    pub binary: Option<(Vec<u8>, String)>,
}

impl ClientDist {
    /// Loads `configured`, or `fpaste` beside the running executable; absent is not an error.
    pub fn load(configured: Option<&Path>) -> Self {
        let path = configured.map(Path::to_path_buf).or_else(sibling_client);
        let binary = path.and_then(|p| match std::fs::read(&p) {
            Ok(bytes) => {
                let sum = hex::encode(Sha256::digest(&bytes));
                tracing::info!(path = %p.display(), sha256 = %sum, "serving client binary at /client");
                Some((bytes, sum))
            }
            Err(error) => {
                if configured.is_some() {
                    tracing::warn!(path = %p.display(), %error, "client binary not readable; /client disabled");
                }
                None
            }
        });
        Self { binary }
    }
}

fn sibling_client() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    Some(exe.parent()?.join("fpaste"))
}
