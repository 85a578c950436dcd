//! The client served at `/client`: the `fpaste` binary built for this server's platform, with
//! its SHA-256 so users can verify what they downloaded.

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use bytes::Bytes;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use crate::download::{DownloadError, sized};

/// Bytes read from the binary per response chunk.
const CHUNK: usize = 256 * 1024;

/// The client binary, if one is available.
#[derive(Debug, Default)]
pub struct ClientDist {
    /// The open binary, its length and hex SHA-256.
    pub binary: Option<ClientBinary>,
}

/// An open client binary. It is served from the descriptor opened at start-up, a chunk at a
/// time: holding a release binary (tens of MiB with its line tables) in memory doubled the
/// server's idle footprint, and a binary replaced on disk meanwhile (an upgrade renames a new one
/// into place) is not mixed into the old one's download nor its checksum.
#[derive(Debug)]
pub struct ClientBinary {
    file: Arc<File>,
    len: u64,
    /// Hex SHA-256 of the whole binary.
    pub sha256: String,
}

impl ClientBinary {
    fn open(path: &Path) -> std::io::Result<Self> {
        let mut file = File::open(path)?;
        let mut sha = Sha256::new();
        let mut buf = vec![0; CHUNK];
        let mut len = 0u64;
        loop {
            let n = file.read(&mut buf)?;
            if n == 0 {
                break;
            }
            sha.update(&buf[..n]);
            len += n as u64;
        }
        Ok(Self {
            file: Arc::new(file),
            len,
            sha256: hex::encode(sha.finalize()),
        })
    }

    /// The binary as a response body of its exact length, read on demand.
    pub fn body(&self) -> Body {
        let (file, len) = (Arc::clone(&self.file), self.len);
        let chunks = futures_util::stream::unfold(0_u64, move |offset| {
            let file = Arc::clone(&file);
            async move {
                if offset >= len {
                    return None;
                }
                let want = usize::try_from(len - offset).map_or(CHUNK, |n| n.min(CHUNK));
                let read = tokio::task::spawn_blocking(move || {
                    let mut buf = vec![0; want];
                    file.read_exact_at(&mut buf, offset)
                        .map(|()| Bytes::from(buf))
                })
                .await
                .map_err(std::io::Error::other)
                .and_then(|r| r);
                match read {
                    Ok(chunk) => Some((Ok(chunk), offset + want as u64)),
                    Err(e) => Some((Err(DownloadError::Io(e)), len)),
                }
            }
        });
        sized(chunks.boxed(), len)
    }
}

impl ClientDist {
    /// Opens `configured`, or `fpaste` beside the running executable; absent is not an error.
    pub fn load(configured: Option<&Path>) -> Self {
        let path = configured.map(Path::to_path_buf).or_else(sibling_client);
        let binary = path.and_then(|p| match ClientBinary::open(&p) {
            Ok(binary) => {
                tracing::info!(path = %p.display(), sha256 = %binary.sha256, "serving client binary at /client");
                Some(binary)
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
