//! Content hashes as providers report them; only hashes of the same kind are comparable.

use std::fmt;
use std::str::FromStr;

/// The algorithm behind a [`ContentHash`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HashKind {
    /// BLAKE3 of the whole file, computed locally.
    Blake3,
    /// Microsoft's QuickXorHash (OneDrive).
    QuickXor,
    /// MD5 (Google Drive's `md5Checksum`).
    Md5,
}

impl HashKind {
    /// Stable name used in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Blake3 => "blake3",
            Self::QuickXor => "quickxor",
            Self::Md5 => "md5",
        }
    }
}

/// Unknown hash kind.
#[derive(Debug, thiserror::Error)]
#[error("unknown hash kind {0:?}")]
pub struct HashKindError(String);

impl FromStr for HashKind {
    type Err = HashKindError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "blake3" => Ok(Self::Blake3),
            "quickxor" => Ok(Self::QuickXor),
            "md5" => Ok(Self::Md5),
            other => Err(HashKindError(other.to_owned())),
        }
    }
}

impl fmt::Display for HashKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A content hash with its algorithm.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContentHash {
    /// The algorithm.
    pub kind: HashKind,
    /// The digest as the provider spells it (hex for BLAKE3 and MD5, base64 for QuickXor).
    pub value: String,
}

impl ContentHash {
    /// Builds a hash of `kind`.
    pub fn new(kind: HashKind, value: impl Into<String>) -> Self {
        Self {
            kind,
            value: value.into(),
        }
    }
}

impl fmt::Display for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind, self.value)
    }
}
