//! Parallel directory walk: one task per directory on the rayon pool, symlinks not followed
//! unless asked, our own trash folder skipped, and every error reported without stopping.

use std::collections::HashSet;
use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::provider::ScanIssue;

/// Name of the trash folder kept at the root of every local source.
pub const TRASH_DIR: &str = ".declutter-trash";

/// One file or directory found by the walk.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Absolute path.
    pub path: PathBuf,
    /// Directory rather than file.
    pub is_dir: bool,
    /// Bytes.
    pub size: u64,
    /// Modification time, ns since the epoch.
    pub mtime_ns: i64,
    /// Device id.
    pub dev: u64,
    /// Inode.
    pub ino: u64,
}

/// Walk options.
#[derive(Debug, Clone, Copy, Default)]
pub struct WalkOptions {
    /// Descend into symlinked directories and index symlinked files.
    pub follow_symlinks: bool,
}

#[derive(Default)]
struct Found {
    entries: Vec<Entry>,
    issues: Vec<ScanIssue>,
}

/// Walks `root`, returning every file and directory below it (not `root` itself).
pub fn walk(root: &Path, options: WalkOptions) -> (Vec<Entry>, Vec<ScanIssue>) {
    let found = Mutex::new(Found::default());
    let visited = Mutex::new(HashSet::new());
    rayon::scope(|scope| visit_dir(scope, root, root, options, &found, &visited));
    let found = found
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    (found.entries, found.issues)
}

fn issue_kind(err: &io::Error) -> &'static str {
    match err.kind() {
        io::ErrorKind::PermissionDenied => "permission",
        io::ErrorKind::NotFound => "vanished",
        _ => "io",
    }
}

/// Records an I/O problem met at `path`.
pub fn issue(path: &Path, err: &io::Error) -> ScanIssue {
    ScanIssue {
        path: path.display().to_string(),
        kind: issue_kind(err),
        message: err.to_string(),
    }
}

fn visit_dir<'s>(
    scope: &rayon::Scope<'s>,
    root: &'s Path,
    dir: &Path,
    options: WalkOptions,
    found: &'s Mutex<Found>,
    visited: &'s Mutex<HashSet<(u64, u64)>>,
) {
    let mut local = Found::default();
    let mut subdirs = Vec::new();
    match fs::read_dir(dir) {
        Err(e) => local.issues.push(issue(dir, &e)),
        Ok(read) => {
            for entry in read {
                let entry = match entry {
                    Ok(e) => e,
                    Err(e) => {
                        local.issues.push(issue(dir, &e));
                        continue;
                    }
                };
                let path = entry.path();
                if dir == root && entry.file_name() == TRASH_DIR {
                    continue;
                }
                let meta = match entry.file_type() {
                    Ok(t) if t.is_symlink() && options.follow_symlinks => fs::metadata(&path),
                    Ok(t) if t.is_symlink() => continue,
                    Ok(_) => entry.metadata(),
                    Err(e) => Err(e),
                };
                let meta = match meta {
                    Ok(m) => m,
                    Err(e) => {
                        local.issues.push(issue(&path, &e));
                        continue;
                    }
                };
                if !(meta.is_dir() || meta.is_file()) {
                    continue;
                }
                if meta.is_dir() {
                    let fresh = visited
                        .lock()
                        .map(|mut v| v.insert((meta.dev(), meta.ino())))
                        .unwrap_or(true);
                    if !fresh {
                        continue;
                    }
                    subdirs.push(path.clone());
                }
                local.entries.push(Entry {
                    path,
                    is_dir: meta.is_dir(),
                    size: if meta.is_dir() { 0 } else { meta.len() },
                    mtime_ns: meta
                        .mtime()
                        .saturating_mul(1_000_000_000)
                        .saturating_add(meta.mtime_nsec()),
                    dev: meta.dev(),
                    ino: meta.ino(),
                });
            }
        }
    }
    if let Ok(mut all) = found.lock() {
        all.entries.append(&mut local.entries);
        all.issues.append(&mut local.issues);
    }
    for sub in subdirs {
        scope.spawn(move |s| visit_dir(s, root, &sub, options, found, visited));
    }
}
