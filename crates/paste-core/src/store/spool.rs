//! Uploads taken in a chunk at a time, so memory per upload stays bounded however large the
//! paste: the first [`SNIFF_HEAD`] bytes are kept in memory (a small paste never leaves it, and
//! MIME sniffing needs the head of a large one); past that, every byte goes to an unnamed
//! temporary file beside the database, which the create then copies into the paste's row with
//! SQLite's incremental blob I/O (see `blob`). Length, hash, entropy and UTF-8 validity are
//! computed on the way in ([`Sniffer`]).
//!
//! The file has no name (`O_TMPFILE` where the kernel offers it, otherwise unlinked at once),
//! so an upload that is aborted, refused, or interrupted by a crash leaves nothing behind: the
//! space returns when the last handle closes.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::io::AsyncWriteExt;

use crate::sniff::{Facts, SNIFF_HEAD, Sniffer};

/// A paste's content on its way into the store.
#[derive(Debug, Clone)]
pub enum Content {
    /// Held in memory (small, or sent as JSON).
    Memory(Vec<u8>),
    /// In a spool file of `len` bytes, read from offset 0.
    Spooled {
        /// The unnamed spool file.
        file: Arc<File>,
        /// Its length.
        len: u64,
    },
}

impl Content {
    /// Length in bytes.
    pub fn len(&self) -> u64 {
        match self {
            Self::Memory(bytes) => bytes.len() as u64,
            Self::Spooled { len, .. } => *len,
        }
    }

    /// Whether it holds no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl From<Vec<u8>> for Content {
    fn from(bytes: Vec<u8>) -> Self {
        Self::Memory(bytes)
    }
}

/// An upload's content and its facts.
#[derive(Debug, Clone)]
pub struct Upload {
    /// The bytes.
    pub content: Content,
    /// Length, hash, entropy and MIME type.
    pub facts: Facts,
}

impl Upload {
    /// An upload held whole in memory (a JSON body, after unwrapping).
    pub fn in_memory(bytes: Vec<u8>) -> Self {
        let facts = Sniffer::of(&bytes);
        Self {
            content: Content::Memory(bytes),
            facts,
        }
    }
}

/// An upload being received.
#[derive(Debug)]
pub struct Spool {
    dir: PathBuf,
    sniffer: Sniffer,
    head: Vec<u8>,
    file: Option<tokio::fs::File>,
}

impl Spool {
    /// A spool that would put large content in `dir`; `expected` (the announced length) sizes
    /// the in-memory head.
    pub fn new(dir: &Path, expected: Option<u64>) -> Self {
        let head = expected.map_or(0, |n| usize::try_from(n).unwrap_or(SNIFF_HEAD));
        Self {
            dir: dir.to_owned(),
            sniffer: Sniffer::default(),
            head: Vec::with_capacity(head.min(SNIFF_HEAD)),
            file: None,
        }
    }

    /// Bytes taken in so far.
    pub fn len(&self) -> u64 {
        self.sniffer.len()
    }

    /// Whether nothing was taken in.
    pub fn is_empty(&self) -> bool {
        self.sniffer.is_empty()
    }

    /// Takes in the next chunk of the upload.
    pub async fn write(&mut self, chunk: &[u8]) -> io::Result<()> {
        self.sniffer.update(chunk);
        let room = SNIFF_HEAD - self.head.len();
        let (to_head, rest) = chunk.split_at(chunk.len().min(room));
        self.head.extend_from_slice(to_head);
        if rest.is_empty() {
            return Ok(());
        }
        let file = match &mut self.file {
            Some(file) => file,
            None => {
                let dir = self.dir.clone();
                let std = tokio::task::spawn_blocking(move || tempfile::tempfile_in(dir))
                    .await
                    .map_err(io::Error::other)??;
                let mut file = tokio::fs::File::from_std(std);
                file.write_all(&self.head).await?;
                self.file.insert(file)
            }
        };
        file.write_all(rest).await
    }

    /// The whole upload: in memory when it fit in the head, spooled otherwise.
    pub async fn finish(self) -> io::Result<Upload> {
        let facts = self.sniffer.finish(&self.head);
        let content = match self.file {
            None => Content::Memory(self.head),
            Some(mut file) => {
                file.flush().await?;
                Content::Spooled {
                    file: Arc::new(file.into_std().await),
                    len: facts.len,
                }
            }
        };
        Ok(Upload { content, facts })
    }
}

/// Bytes copied per step from a spool file into the database.
pub(super) const COPY_CHUNK: usize = 256 * 1024;

/// Reads `buf.len()` bytes of `file` at `offset`.
pub(super) fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn small_stays_in_memory_and_large_spills() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let mut small = Spool::new(dir.path(), Some(10));
        small.write(b"hello").await?;
        small.write(b" world").await?;
        let small = small.finish().await?;
        assert!(matches!(&small.content, Content::Memory(b) if b == b"hello world"));
        assert_eq!(small.facts.mime, "text/plain");

        let big: Vec<u8> = (0..3 * SNIFF_HEAD + 17).map(|i| (i % 251) as u8).collect();
        let mut spool = Spool::new(dir.path(), None);
        for part in big.chunks(10_000) {
            spool.write(part).await?;
        }
        let upload = spool.finish().await?;
        assert_eq!(upload.facts, Sniffer::of(&big));
        let Content::Spooled { file, len } = &upload.content else {
            return Err("a large upload stayed in memory".into());
        };
        assert_eq!(*len, big.len() as u64);
        let mut back = vec![0; big.len()];
        read_at(file, &mut back, 0)?;
        assert_eq!(back, big);
        // Nameless: the directory shows nothing while the file is open.
        assert_eq!(std::fs::read_dir(dir.path())?.count(), 0);
        Ok(())
    }
}
