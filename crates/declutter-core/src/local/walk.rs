//! Parallel directory walk: one task per directory on the rayon pool, symlinks not followed
//! unless asked, our own trash folders skipped at any depth (a source nested in another keeps
//! its trash inside the outer one: trashed copies are never live data), and every error
//! reported without stopping.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::fs;
use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rustix::fs::FileType;

use super::confined::{self, Root};

use crate::ids::ItemId;
use crate::provider::ScanIssue;

/// Name of the trash folder kept at the root of every local source. A folder of this name is
/// never walked, wherever it is.
pub const TRASH_DIR: &str = ".declutter-trash";

/// True for a local path inside one of our trash folders, at any depth: never a live copy.
pub fn in_trash(path: &str) -> bool {
    Path::new(path)
        .components()
        .any(|c| c.as_os_str() == TRASH_DIR)
}

/// Entries handed to a sink at most at once (a huge directory is split).
const BATCH: usize = 4096;

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

impl Entry {
    /// The id of the folder holding the entry and the name it is indexed with.
    pub fn parent_and_name(&self) -> (Option<ItemId>, String) {
        let parent = self.path.parent().map(|p| super::paths::id_for(p).0);
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        (parent, name)
    }

    /// The entry for `path` as `st` describes it (a folder's size counts as 0).
    fn from_stat(path: PathBuf, st: &confined::Stat) -> Self {
        let is_dir = st.kind == FileType::Directory;
        Self {
            path,
            is_dir,
            size: if is_dir { 0 } else { st.size },
            mtime_ns: st.mtime_ns,
            dev: st.dev,
            ino: st.ino,
        }
    }

    /// The entry for `path` as `meta` describes it (a folder's size counts as 0).
    pub fn of(path: PathBuf, meta: &fs::Metadata) -> Self {
        Self::from_stat(path, &confined::Stat::from(meta))
    }
}

/// Entries or rows a scan keeps in memory by default ([`WalkOptions::held_rows`]).
pub const HELD_ROWS: usize = 250_000;

/// How a local folder is walked and indexed.
#[derive(Debug, Clone, Copy)]
pub struct WalkOptions {
    /// Descend into symlinked directories and index symlinked files.
    pub follow_symlinks: bool,
    /// Entries or rows a scan keeps in memory. A folder's first scan holds its new entries, so
    /// that its duplicate candidates are hashed before their rows are written (each row written
    /// once); a larger first walk writes what it held and goes on as a rescan does. A rescan
    /// reads the source's rows to compare the walk with (one pass instead of a lookup per
    /// entry) while the source has no more than this many; a larger one is looked up entry by
    /// entry. Memory: about 50 bytes an entry or row, and its path below the root.
    pub held_rows: usize,
}

impl Default for WalkOptions {
    fn default() -> Self {
        Self {
            follow_symlinks: false,
            held_rows: HELD_ROWS,
        }
    }
}

#[derive(Default)]
struct Found {
    entries: Vec<Entry>,
    issues: Vec<ScanIssue>,
}

/// What one directory held, handed to the sink of [`walk_with`].
#[derive(Debug, Default)]
pub struct DirBatch {
    /// Entries of one directory (not recursive), each with its hard-link count.
    pub entries: Vec<(Entry, u64)>,
    /// Problems met reading it.
    pub issues: Vec<ScanIssue>,
}

/// Walks `root`, returning every file and directory below it (not `root` itself).
pub fn walk(root: &Root, options: WalkOptions) -> (Vec<Entry>, Vec<ScanIssue>) {
    let found = Mutex::new(Found::default());
    walk_with(root, options, &|batch: DirBatch| {
        if let Ok(mut all) = found.lock() {
            all.entries
                .extend(batch.entries.into_iter().map(|(e, _)| e));
            all.issues.extend(batch.issues);
        }
    });
    let found = found
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    (found.entries, found.issues)
}

/// Walks `root` in parallel on the rayon pool, handing each directory's entries to `sink` as
/// soon as it is read, so a caller can stream them (into a bounded channel, say) instead of
/// holding the whole tree. `sink` runs on pool threads; blocking in it throttles the walk.
///
/// The walk starts from the root's own handle (the folder [`Root::open`] checked, not its path
/// looked up again), and each folder is read through a handle opened from its parent's handle
/// without following links (`local::confined`), never by its path: a folder swapped for a link
/// while the walk runs is refused and reported, so nothing outside the root is listed.
pub fn walk_with(root: &Root, options: WalkOptions, sink: &(dyn Fn(DirBatch) + Sync)) {
    let visited = Mutex::new(HashSet::new());
    let path = root.path();
    let top = match root.handle() {
        Ok(fd) => fd,
        Err(e) => {
            sink(DirBatch {
                entries: Vec::new(),
                issues: vec![issue(path, &e)],
            });
            return;
        }
    };
    let ctx = Walk {
        real_root: path,
        top: &top,
        options,
        sink,
        visited: &visited,
    };
    let ctx = &ctx;
    rayon::scope(|scope| {
        if let Ok(fd) = top.try_clone() {
            visit_dir(scope, ctx, fd, path.to_owned());
        }
    });
}

fn issue_kind(err: &io::Error) -> &'static str {
    if confined::is_escape(err) {
        return "outside";
    }
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

/// What every folder visit shares.
struct Walk<'s> {
    real_root: &'s Path,
    top: &'s OwnedFd,
    options: WalkOptions,
    sink: &'s (dyn Fn(DirBatch) + Sync),
    visited: &'s Mutex<HashSet<(u64, u64)>>,
}

impl Walk<'_> {
    /// The metadata of a link's target and, for a folder, a confined handle on it; `None`
    /// (with an issue) when the link leads out of the source. The target is reached again from
    /// the root's handle, never through the link: a link swapped in on its way meanwhile is
    /// refused.
    fn follow(
        &self,
        path: &Path,
        issues: &mut Vec<ScanIssue>,
    ) -> io::Result<Option<(confined::Stat, Option<OwnedFd>)>> {
        let real = fs::canonicalize(path)?;
        let Ok(rel) = real.strip_prefix(self.real_root) else {
            issues.push(ScanIssue {
                path: path.display().to_string(),
                kind: "outside",
                message: "symbolic link leads outside the source; not followed".into(),
            });
            return Ok(None);
        };
        let node = confined::open_node_beneath(self.top, rel)?;
        let st = confined::stat_at(&node, c"")?;
        let fd = match st.kind {
            FileType::Directory => Some(confined::reopen_dir(&node)?),
            // The target's own name was a link when opened: not what was followed.
            FileType::Symlink => return Err(confined::escape()),
            _ => None,
        };
        Ok(Some((st, fd)))
    }
}

fn visit_dir<'s>(scope: &rayon::Scope<'s>, ctx: &'s Walk<'s>, dir_fd: OwnedFd, dir: PathBuf) {
    let mut local = DirBatch::default();
    let mut subdirs = Vec::new();
    match confined::read_dir(&dir_fd) {
        Err(e) => local.issues.push(issue(&dir, &e)),
        Ok(mut read) => {
            while let Some(entry) = read.read() {
                let entry = match entry {
                    Ok(e) => e,
                    Err(e) => {
                        local.issues.push(issue(&dir, &e.into()));
                        continue;
                    }
                };
                let c_name = entry.file_name();
                let name = OsStr::from_bytes(c_name.to_bytes());
                if name == "." || name == ".." || name == TRASH_DIR {
                    continue;
                }
                let path = dir.join(name);
                // A link is known from the listing most of the time; from its metadata otherwise.
                let linked = entry.file_type() == FileType::Symlink;
                if linked && !ctx.options.follow_symlinks {
                    continue;
                }
                let mut child = None;
                // Metadata through the folder's own handle, without following.
                let stat = (!linked).then(|| confined::stat_at(&dir_fd, c_name));
                let stat = match stat {
                    Some(Ok(st)) if st.kind != FileType::Symlink => Ok(st),
                    Some(Err(e)) => Err(e),
                    // A link: followed only when asked.
                    _ if ctx.options.follow_symlinks => {
                        match ctx.follow(&path, &mut local.issues) {
                            Ok(Some((st, fd))) => {
                                child = fd;
                                Ok(st)
                            }
                            Ok(None) => continue,
                            Err(e) => Err(e),
                        }
                    }
                    _ => continue,
                };
                let st = match stat {
                    Ok(st) => st,
                    Err(e) => {
                        local.issues.push(issue(&path, &e));
                        continue;
                    }
                };
                let is_dir = st.kind == FileType::Directory;
                if !(is_dir || st.kind == FileType::RegularFile) {
                    continue;
                }
                if is_dir {
                    let fresh = ctx
                        .visited
                        .lock()
                        .map(|mut v| v.insert((st.dev, st.ino)))
                        .unwrap_or(true);
                    if !fresh {
                        continue;
                    }
                    let fd = match child.take() {
                        Some(fd) => Ok(fd),
                        None => confined::open_dir_beneath(&dir_fd, Path::new(name)),
                    };
                    match fd {
                        Ok(fd) => subdirs.push((fd, path.clone())),
                        Err(e) => {
                            local.issues.push(issue(&path, &e));
                            continue;
                        }
                    }
                }
                let entry = Entry::from_stat(path, &st);
                local.entries.push((entry, st.nlink));
                if local.entries.len() >= BATCH {
                    (ctx.sink)(std::mem::take(&mut local));
                }
            }
        }
    }
    // Subdirectories are queued first so the pool stays busy while the sink may block.
    for (fd, sub) in subdirs {
        scope.spawn(move |s| visit_dir(s, ctx, fd, sub));
    }
    if !(local.entries.is_empty() && local.issues.is_empty()) {
        (ctx.sink)(local);
    }
}
