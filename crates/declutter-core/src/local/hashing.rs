//! Exact duplicate detection for local files: group by size, then by a hash of the head and
//! tail, then by a full streaming hash; each step only for files still sharing a group. Hashes
//! come from the cache when (dev, ino, size, mtime) is unchanged, so a warm rescan reads nothing.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

use rayon::prelude::*;

use super::confined::Root;
use crate::progress::Progress;
use crate::provider::ScanIssue;

/// Bytes hashed at each end of a file for the partial hash.
pub const PARTIAL_BYTES: u64 = 4096;
const BUFFER: usize = 128 * 1024;

/// A remembered hash pair for one inode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheEntry {
    /// Size when hashed.
    pub size: u64,
    /// Modification time when hashed.
    pub mtime_ns: i64,
    /// Head+tail hash.
    pub partial: Option<String>,
    /// Whole-content hash.
    pub full: Option<String>,
}

/// The hash cache, keyed by (device, inode); entries are valid only for the same size and mtime.
pub type HashCache = HashMap<(u64, u64), CacheEntry>;

/// What the hasher needs to know about one file.
#[derive(Debug, Clone)]
pub struct Candidate<'a> {
    /// Where to read.
    pub path: &'a Path,
    /// Size.
    pub size: u64,
    /// Modification time.
    pub mtime_ns: i64,
    /// (device, inode).
    pub key: (u64, u64),
}

/// Result of [`full_hashes`]: the full hash of every file that has a duplicate candidate.
#[derive(Debug, Default)]
pub struct Hashed {
    /// Full hash per candidate index.
    pub full: HashMap<usize, String>,
    /// Cache entries that were computed (to write back).
    pub updated: HashMap<(u64, u64), CacheEntry>,
    /// Files that could not be read.
    pub issues: Vec<ScanIssue>,
    /// Bytes actually read from disk.
    pub bytes_read: u64,
}

/// A hash, the bytes read for it, and whether it was computed now (not from the cache).
type HashOutcome = Result<(String, u64, bool), io::Error>;

fn cached<'c>(cache: &'c HashCache, c: &Candidate<'_>) -> Option<&'c CacheEntry> {
    cache
        .get(&c.key)
        .filter(|e| e.size == c.size && e.mtime_ns == c.mtime_ns)
}

/// Hash of the first and last [`PARTIAL_BYTES`]; for a file of at most twice that, the hash of
/// the whole content, which then equals [`full_hash`]. In hex, with the bytes read.
pub fn partial_hash(root: &Root, path: &Path, size: u64) -> io::Result<(String, u64)> {
    partial_digest(root, path, size).map(|(h, n)| (h.to_hex().to_string(), n))
}

/// [`partial_hash`] as a digest.
pub fn partial_digest(root: &Root, path: &Path, size: u64) -> io::Result<(blake3::Hash, u64)> {
    if size <= 2 * PARTIAL_BYTES {
        return full_digest(root, path);
    }
    let mut file = root.open_file(path)?;
    let mut hasher = blake3::Hasher::new();
    let mut buf = [0u8; PARTIAL_BYTES as usize];
    let head = read_up_to(&mut file, &mut buf)?;
    hasher.update(&buf[..head]);
    file.seek(SeekFrom::Start(size - PARTIAL_BYTES))?;
    let tail = read_up_to(&mut file, &mut buf)?;
    hasher.update(&buf[..tail]);
    Ok((hasher.finalize(), (head + tail) as u64))
}

fn read_up_to(file: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

thread_local! {
    /// One read buffer per hashing thread, reused for every file: memory stays bounded by the
    /// thread count and no file costs an allocation.
    static BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// BLAKE3 of the whole file at `path` (opened confined to `root`), streamed through a fixed
/// per-thread buffer. In hex, with the bytes read.
pub fn full_hash(root: &Root, path: &Path) -> io::Result<(String, u64)> {
    full_digest(root, path).map(|(h, n)| (h.to_hex().to_string(), n))
}

/// [`full_hash`] as a digest.
pub fn full_digest(root: &Root, path: &Path) -> io::Result<(blake3::Hash, u64)> {
    digest_of(&mut root.open_file(path)?)
}

/// BLAKE3 of everything `file` has left to read, in hex, with the bytes read.
pub fn full_hash_of(file: &mut File) -> io::Result<(String, u64)> {
    digest_of(file).map(|(h, n)| (h.to_hex().to_string(), n))
}

fn digest_of(file: &mut File) -> io::Result<(blake3::Hash, u64)> {
    let mut hasher = blake3::Hasher::new();
    let mut total = 0u64;
    BUF.with_borrow_mut(|buf| {
        if buf.len() < BUFFER {
            buf.resize(BUFFER, 0);
        }
        loop {
            match file.read(buf)? {
                0 => break,
                n => {
                    hasher.update(&buf[..n]);
                    total += n as u64;
                }
            }
        }
        Ok::<_, io::Error>(())
    })?;
    Ok((hasher.finalize(), total))
}

fn groups_of<K: std::hash::Hash + Eq>(keys: impl Iterator<Item = (usize, K)>) -> Vec<usize> {
    let mut by: HashMap<K, Vec<usize>> = HashMap::new();
    for (i, k) in keys {
        by.entry(k).or_default().push(i);
    }
    let mut out: Vec<usize> = by.into_values().filter(|v| v.len() > 1).flatten().collect();
    out.sort_unstable();
    out
}

/// Computes full hashes for every candidate that shares its size and partial hash with another.
pub fn full_hashes(
    root: &Root,
    cands: &[Candidate<'_>],
    cache: &HashCache,
    progress: &dyn Progress,
) -> Hashed {
    let mut out = Hashed::default();
    let by_size = groups_of(
        cands
            .iter()
            .enumerate()
            .filter(|(_, c)| c.size > 0)
            .map(|(i, c)| (i, c.size)),
    );
    progress.phase("partial hashes", Some(by_size.len() as u64));
    let partials: Vec<(usize, HashOutcome)> = by_size
        .par_iter()
        .map(|&i| {
            let c = &cands[i];
            let r = match cached(cache, c).and_then(|e| e.partial.clone()) {
                Some(p) => Ok((p, 0, false)),
                None => partial_hash(root, c.path, c.size).map(|(h, n)| (h, n, true)),
            };
            progress.advance(1);
            (i, r)
        })
        .collect();
    let mut partial_of: HashMap<usize, String> = HashMap::new();
    for (i, r) in partials {
        match r {
            Ok((h, n, fresh)) => {
                out.bytes_read += n;
                if fresh {
                    let c = &cands[i];
                    let full = if c.size <= 2 * PARTIAL_BYTES {
                        Some(h.clone())
                    } else {
                        None
                    };
                    let entry = CacheEntry {
                        size: c.size,
                        mtime_ns: c.mtime_ns,
                        partial: Some(h.clone()),
                        full,
                    };
                    out.updated.insert(c.key, entry);
                }
                partial_of.insert(i, h);
            }
            Err(e) => out
                .issues
                .push(crate::local::walk::issue(cands[i].path, &e)),
        }
    }
    let by_partial = groups_of(
        partial_of
            .iter()
            .map(|(&i, h)| (i, (cands[i].size, h.clone()))),
    );
    progress.phase("full hashes", Some(by_partial.len() as u64));
    let fulls: Vec<(usize, HashOutcome)> = by_partial
        .par_iter()
        .map(|&i| {
            let c = &cands[i];
            let known = cached(cache, c).and_then(|e| e.full.clone());
            // Files no bigger than both partial windows were read whole: partial is the full hash.
            let small = (c.size <= 2 * PARTIAL_BYTES)
                .then(|| partial_of.get(&i).cloned())
                .flatten();
            let r = match known.or(small) {
                Some(h) => Ok((h, 0, false)),
                None => full_hash(root, c.path).map(|(h, n)| (h, n, true)),
            };
            progress.advance(1);
            (i, r)
        })
        .collect();
    for (i, r) in fulls {
        match r {
            Ok((h, n, fresh)) => {
                out.bytes_read += n;
                if fresh {
                    let c = &cands[i];
                    let entry = CacheEntry {
                        size: c.size,
                        mtime_ns: c.mtime_ns,
                        partial: partial_of.get(&i).cloned(),
                        full: Some(h.clone()),
                    };
                    out.updated.insert(c.key, entry);
                }
                out.full.insert(i, h);
            }
            Err(e) => out
                .issues
                .push(crate::local::walk::issue(cands[i].path, &e)),
        }
    }
    out
}
