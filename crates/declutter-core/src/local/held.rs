//! Walked entries held in memory compactly: the path bytes of all of them in one buffer
//! (relative to the walk's root) and a fixed-size record each, about 40 bytes plus the path,
//! where a [`Entry`] of its own costs three times that (a path allocation and its header).

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt as _;
use std::path::{Path, PathBuf};

use super::walk::Entry;

/// Entries of one walk, in the order they were pushed; addressed by index.
#[derive(Debug)]
pub struct HeldEntries {
    root: PathBuf,
    /// Path bytes of every entry, one after the other.
    paths: Vec<u8>,
    records: Vec<Record>,
}

/// One entry; its path ends at `end` in [`HeldEntries::paths`] and starts where the one before
/// ends.
#[derive(Debug, Clone, Copy)]
struct Record {
    size: u64,
    mtime_ns: i64,
    dev: u64,
    ino: u64,
    end: usize,
    is_dir: bool,
}

impl HeldEntries {
    /// No entries yet, of a walk of `root`.
    pub fn new(root: &Path) -> Self {
        Self {
            root: root.to_owned(),
            paths: Vec::new(),
            records: Vec::new(),
        }
    }

    /// Adds `e` (a path outside the root is kept whole).
    pub fn push(&mut self, e: &Entry) {
        let path = e.path.strip_prefix(&self.root).unwrap_or(&e.path);
        self.paths.extend_from_slice(path.as_os_str().as_bytes());
        self.records.push(Record {
            size: e.size,
            mtime_ns: e.mtime_ns,
            dev: e.dev,
            ino: e.ino,
            end: self.paths.len(),
            is_dir: e.is_dir,
        });
    }

    /// Gives back the room reserved for more entries (the walk is over).
    pub fn shrink_to_fit(&mut self) {
        self.paths.shrink_to_fit();
        self.records.shrink_to_fit();
    }

    /// Entries held.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether none are held.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Size of entry `i`.
    pub fn size(&self, i: usize) -> u64 {
        self.records[i].size
    }

    /// Whether entry `i` is a folder.
    pub fn is_dir(&self, i: usize) -> bool {
        self.records[i].is_dir
    }

    /// The absolute path of entry `i`.
    pub fn path(&self, i: usize) -> PathBuf {
        let start = i.checked_sub(1).map_or(0, |p| self.records[p].end);
        let rel = OsStr::from_bytes(&self.paths[start..self.records[i].end]);
        // Joining an absolute path (one kept whole) gives that path.
        self.root.join(rel)
    }

    /// Entry `i` as the walk gave it.
    pub fn entry(&self, i: usize) -> Entry {
        let r = self.records[i];
        Entry {
            path: self.path(i),
            is_dir: r.is_dir,
            size: r.size,
            mtime_ns: r.mtime_ns,
            dev: r.dev,
            ino: r.ino,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str, size: u64) -> Entry {
        Entry {
            path: PathBuf::from(path),
            is_dir: size == 0,
            size,
            mtime_ns: size as i64 * 3,
            dev: 7,
            ino: size + 100,
        }
    }

    #[test]
    fn entries_come_back_as_they_went_in() {
        use std::os::unix::ffi::OsStringExt as _;
        let mut held = HeldEntries::new(Path::new("/r/oot"));
        let odd = PathBuf::from(std::ffi::OsString::from_vec(
            b"/r/oot/\xff\xfe.bin".to_vec(),
        ));
        let mut given = vec![
            entry("/r/oot/a", 0),
            entry("/r/oot/a/b.txt", 12),
            entry("/elsewhere/c", 5),
            entry("/r/oot/a/é d", 9),
        ];
        given.push(Entry {
            path: odd,
            ..entry("/", 4)
        });
        for e in &given {
            held.push(e);
        }
        assert_eq!(held.len(), given.len());
        for (i, e) in given.iter().enumerate() {
            let back = held.entry(i);
            assert_eq!(back.path, e.path);
            assert_eq!(
                (back.is_dir, back.size, back.mtime_ns, back.dev, back.ino),
                (e.is_dir, e.size, e.mtime_ns, e.dev, e.ino)
            );
            assert_eq!((held.size(i), held.is_dir(i)), (e.size, e.is_dir));
        }
    }
}
