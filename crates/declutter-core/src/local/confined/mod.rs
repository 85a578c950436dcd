//! Confined file access below a source root.
//!
//! Someone who can write into a scanned folder can plant symbolic links in it: a link to `/etc`
//! named like a folder we are about to trash into, a parent folder swapped for a link between
//! scan and apply, a link inside `.declutter-trash` before a purge. Every operation below a root
//! therefore starts from a handle on the root and resolves the rest with `openat2(2)` and
//! `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS`: the kernel refuses any path that leaves the root or
//! passes through a symbolic link, at any component, at the moment of the call (no check-then-use
//! window). Kernels without `openat2` get the same rule one component at a time with
//! `O_NOFOLLOW`. Such a refusal is an [`Escape`] error, reported, never acted around.
//!
//! Moves never replace an existing file: `renameat2(RENAME_NOREPLACE)`, or `link` + `unlink` on
//! filesystems without it, or an exclusive copy across devices.
//!
//! (`cap-std` offers confined handles too, but follows symbolic links that stay inside the root;
//! a link inside the root to another folder of the root is exactly what turns a trash folder
//! into live data, so we refuse every link.)

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt as _;
use std::path::{Component, Path, PathBuf};

use rustix::fs::{AtFlags, Mode, OFlags, ResolveFlags};
use rustix::io::Errno;

use self::exclusive::{copy_exclusive, rename_exclusive};
use self::resolve::open_beneath;

mod exclusive;
mod resolve;
#[cfg(test)]
mod tests;

/// A path below a root led through a symbolic link or out of the root; nothing was done.
#[derive(Debug, thiserror::Error)]
#[error("refused: the path leads through a symbolic link or outside the source")]
pub struct Escape;

/// True when `e` is a confinement refusal.
pub fn is_escape(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<Escape>())
}

pub(crate) fn escape() -> io::Error {
    io::Error::new(io::ErrorKind::PermissionDenied, Escape)
}

/// Mode of the folders we create inside the trash (private to the owner).
pub const TRASH_DIR_MODE: u32 = 0o700;
/// Mode of folders recreated on restore (the umask applies).
pub const RESTORED_DIR_MODE: u32 = 0o777;

/// What is at a path, seen without following a symbolic link.
#[derive(Debug)]
pub enum Node {
    /// A symbolic link (never followed).
    Symlink,
    /// A file, folder or other entry.
    Entry(std::fs::Metadata),
}

/// A handle on a source root; every operation below it is confined to it.
#[derive(Debug)]
pub struct Root {
    path: PathBuf,
    fd: OwnedFd,
}

/// Folders are opened for reading, never `O_PATH`: with `O_NOFOLLOW`, `O_PATH` would open a
/// trailing link itself instead of refusing it.
const DIR: OFlags = OFlags::RDONLY.union(OFlags::DIRECTORY);

const BENEATH: ResolveFlags = ResolveFlags::BENEATH
    .union(ResolveFlags::NO_SYMLINKS)
    .union(ResolveFlags::NO_MAGICLINKS);

impl Root {
    /// Opens the root folder `path`, a real path (as sources are recorded): absolute, plain
    /// names, no symbolic link at any component. It is resolved from `/` under the same rule as
    /// everything below a root, so the folder opened is the one at that path at that moment: a
    /// source nested in another, swapped for a link by whoever writes into the outer one, is
    /// refused. (No `/proc` is needed to check what was opened.)
    pub fn open(path: &Path) -> io::Result<Self> {
        let rel = path.strip_prefix("/").map_err(|_| escape())?;
        if !rel.components().all(|c| matches!(c, Component::Normal(_))) {
            return Err(escape());
        }
        let slash = rustix::fs::open("/", DIR | OFlags::CLOEXEC, Mode::empty())?;
        let fd = if rel.as_os_str().is_empty() {
            slash
        } else {
            open_beneath(slash.as_fd(), rel, DIR)?
        };
        Ok(Self {
            path: path.to_owned(),
            fd,
        })
    }

    /// A second handle on the root folder itself (for a walk that outlives this borrow).
    pub fn handle(&self) -> io::Result<OwnedFd> {
        self.fd.try_clone()
    }

    /// The same root through a second handle on the same folder (not opened again).
    pub fn try_clone(&self) -> io::Result<Self> {
        Ok(Self {
            path: self.path.clone(),
            fd: self.handle()?,
        })
    }

    /// The root's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `abs` relative to the root: plain names only (no `..`, no `.`, not the root itself).
    pub fn relative(&self, abs: &Path) -> io::Result<PathBuf> {
        let rel = abs.strip_prefix(&self.path).map_err(|_| escape())?;
        if rel.as_os_str().is_empty()
            || !rel.components().all(|c| matches!(c, Component::Normal(_)))
        {
            return Err(escape());
        }
        Ok(rel.to_owned())
    }

    /// Opens `rel` (relative, plain names) below the root with `flags`, refusing links and escapes.
    fn open_rel(&self, rel: &Path, flags: OFlags) -> io::Result<OwnedFd> {
        open_beneath(self.fd.as_fd(), rel, flags)
    }

    /// The folder holding `abs`, opened confined, and the entry's name in it.
    fn parent_of(&self, abs: &Path) -> io::Result<(OwnedFd, OsString)> {
        let rel = self.relative(abs)?;
        let name = rel.file_name().ok_or_else(escape)?.to_owned();
        let parent = rel.parent().unwrap_or(Path::new(""));
        let dir = if parent.as_os_str().is_empty() {
            self.open_rel(Path::new("."), DIR)?
        } else {
            self.open_rel(parent, DIR)?
        };
        Ok((dir, name))
    }

    /// What is at `abs`, without following links; `None` when nothing is (or a parent is missing).
    pub fn lstat(&self, abs: &Path) -> io::Result<Option<Node>> {
        let (dir, name) = match self.parent_of(abs) {
            Ok(found) => found,
            Err(e) if gone(&e) => return Ok(None),
            Err(e) => return Err(e),
        };
        // O_PATH | O_NOFOLLOW opens a trailing link itself rather than refusing it.
        match open_beneath(dir.as_fd(), Path::new(&name), OFlags::PATH) {
            Ok(fd) => {
                let meta = File::from(fd).metadata()?;
                Ok(Some(if meta.file_type().is_symlink() {
                    Node::Symlink
                } else {
                    Node::Entry(meta)
                }))
            }
            Err(e) if is_escape(&e) => Ok(Some(Node::Symlink)),
            Err(e) if gone(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Opens the regular file at `abs` for reading; a link, a folder or a device is refused.
    pub fn open_file(&self, abs: &Path) -> io::Result<File> {
        let rel = self.relative(abs)?;
        // NONBLOCK: opening a FIFO planted under a file's name must not hang the scan.
        let file = File::from(self.open_rel(&rel, OFlags::RDONLY | OFlags::NONBLOCK)?);
        if !file.metadata()?.is_file() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a regular file",
            ));
        }
        Ok(file)
    }

    /// Creates (as needed) and opens the folder `rel_dir` below the root, refusing links.
    fn create_dirs(&self, rel_dir: &Path, mode: u32) -> io::Result<OwnedFd> {
        let mut cur = self.open_rel(Path::new("."), DIR)?;
        for c in rel_dir.components() {
            let Component::Normal(name) = c else {
                return Err(escape());
            };
            match rustix::fs::mkdirat(&cur, name, Mode::from_raw_mode(mode)) {
                Ok(()) | Err(Errno::EXIST) => {}
                Err(e) => return Err(e.into()),
            }
            cur = open_beneath(cur.as_fd(), Path::new(name), DIR)?;
        }
        Ok(cur)
    }

    /// Moves the file at `from` to `to` (both below the root), creating `to`'s folders with
    /// `dir_mode`. Never replaces anything at `to` ([`io::ErrorKind::AlreadyExists`]).
    pub fn move_noreplace(&self, from: &Path, to: &Path, dir_mode: u32) -> io::Result<()> {
        let (from_dir, from_name) = self.parent_of(from)?;
        let to_rel = self.relative(to)?;
        let to_name = to_rel.file_name().ok_or_else(escape)?.to_owned();
        let to_dir = self.create_dirs(to_rel.parent().unwrap_or(Path::new("")), dir_mode)?;
        match rename_exclusive(&from_dir, &from_name, &to_dir, &to_name) {
            Err(e) if e.raw_os_error() == Some(Errno::XDEV.raw_os_error()) => {
                copy_exclusive(&from_dir, &from_name, &to_dir, &to_name)
            }
            other => other,
        }
    }

    /// Deletes the file (or link) at `abs`; a folder is refused.
    pub fn remove_file(&self, abs: &Path) -> io::Result<()> {
        let (dir, name) = self.parent_of(abs)?;
        Ok(rustix::fs::unlinkat(
            &dir,
            name.as_os_str(),
            AtFlags::empty(),
        )?)
    }

    /// The permission bits of the folder at `abs`; `None` when nothing (or no folder) is there.
    /// A link in its place, or on the way, is refused.
    pub fn dir_mode(&self, abs: &Path) -> io::Result<Option<u32>> {
        match self.lstat(abs)? {
            None => Ok(None),
            Some(Node::Symlink) => Err(escape()),
            Some(Node::Entry(meta)) if meta.is_dir() => Ok(Some(
                std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o7777,
            )),
            Some(Node::Entry(_)) => Ok(None),
        }
    }

    /// Removes the folder at `abs` if it is empty, by name in its confined parent: `rmdir`
    /// itself refuses a folder that gained an entry (`false`), and a link put in its place is
    /// never followed (`rmdir` of a link fails). `false` as well when nothing is there.
    pub fn remove_empty_dir(&self, abs: &Path) -> io::Result<bool> {
        let (dir, name) = match self.parent_of(abs) {
            Ok(found) => found,
            Err(e) if gone(&e) => return Ok(false),
            Err(e) => return Err(e),
        };
        match rustix::fs::unlinkat(&dir, name.as_os_str(), AtFlags::REMOVEDIR) {
            Ok(()) => Ok(true),
            Err(Errno::NOTEMPTY | Errno::EXIST | Errno::NOENT) => Ok(false),
            // A link (or a file) now holds the name: left alone.
            Err(Errno::NOTDIR) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Makes the folder `abs` with exactly `mode` (not masked by the umask), its missing
    /// parents with [`RESTORED_DIR_MODE`]; `false` when something already holds the name
    /// (left as it is). Links on the way are refused.
    pub fn make_dir(&self, abs: &Path, mode: u32) -> io::Result<bool> {
        let rel = self.relative(abs)?;
        let name = rel.file_name().ok_or_else(escape)?.to_owned();
        let parent = self.create_dirs(rel.parent().unwrap_or(Path::new("")), RESTORED_DIR_MODE)?;
        // Private until its mode is set: nobody gets in through a wider umask meanwhile.
        match rustix::fs::mkdirat(&parent, name.as_os_str(), Mode::from_raw_mode(0o700)) {
            Ok(()) => {}
            Err(Errno::EXIST) => return Ok(false),
            Err(e) => return Err(e.into()),
        }
        let made = open_beneath(parent.as_fd(), Path::new(&name), DIR)?;
        rustix::fs::fchmod(&made, Mode::from_raw_mode(mode & 0o7777))?;
        Ok(true)
    }

    /// Removes the entry at `abs` and, for a folder, everything in it, through handles only:
    /// `abs` is reached from the root refusing links on the way, each folder inside is opened
    /// from its parent's handle refusing links, and a link met inside is unlinked itself, never
    /// followed. A folder swapped for a link while this runs is refused ([`Escape`]), whatever
    /// it leads to. `false` when nothing is at `abs`.
    pub fn remove_tree(&self, abs: &Path) -> io::Result<bool> {
        let (top_dir, top_name) = match self.parent_of(abs) {
            Ok(found) => found,
            Err(e) if gone(&e) => return Ok(false),
            Err(e) => return Err(e),
        };
        let top_name = std::ffi::CString::new(top_name.into_encoded_bytes())
            .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        /// A folder being emptied: its handle, the names left in it, and its own name.
        struct Open {
            fd: OwnedFd,
            left: Vec<std::ffi::CString>,
            name: std::ffi::CString,
        }
        let open = |parent: &OwnedFd, name: std::ffi::CString| -> io::Result<Open> {
            let fd = open_beneath(
                parent.as_fd(),
                Path::new(OsStr::from_bytes(name.to_bytes())),
                DIR,
            )?;
            let mut left = Vec::new();
            let mut listing = read_dir(&fd)?;
            while let Some(entry) = listing.read() {
                let entry = entry?;
                let n = entry.file_name();
                if n != c"." && n != c".." {
                    left.push(n.to_owned());
                }
            }
            Ok(Open { fd, left, name })
        };
        match stat_at(&top_dir, &top_name) {
            Err(e) if gone(&e) => return Ok(false),
            Err(e) => return Err(e),
            Ok(st) if st.kind != rustix::fs::FileType::Directory => {
                rustix::fs::unlinkat(&top_dir, top_name.as_c_str(), AtFlags::empty())?;
                return Ok(true);
            }
            Ok(_) => {}
        }
        let mut stack = vec![open(&top_dir, top_name)?];
        while let Some(cur) = stack.last_mut() {
            if let Some(name) = cur.left.pop() {
                let is_dir = match stat_at(&cur.fd, &name) {
                    Ok(st) => st.kind == rustix::fs::FileType::Directory,
                    Err(e) if gone(&e) => continue,
                    Err(e) => return Err(e),
                };
                if is_dir {
                    let next = open(&cur.fd, name)?;
                    stack.push(next);
                } else {
                    match rustix::fs::unlinkat(&cur.fd, name.as_c_str(), AtFlags::empty()) {
                        Ok(()) | Err(Errno::NOENT) => {}
                        Err(e) => return Err(e.into()),
                    }
                }
                continue;
            }
            let Some(done) = stack.pop() else { break };
            let parent = stack.last().map_or(&top_dir, |p| &p.fd);
            match rustix::fs::unlinkat(parent, done.name.as_c_str(), AtFlags::REMOVEDIR) {
                Ok(()) | Err(Errno::NOENT) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(true)
    }

    /// Removes now-empty folders from `start` up to (not including) `stop`, both below the root.
    pub fn prune_empty_dirs(&self, start: &Path, stop: &Path) {
        let mut dir = Some(start);
        while let Some(d) = dir {
            if d == stop || !d.starts_with(stop) {
                break;
            }
            let removed = self.parent_of(d).and_then(|(parent, name)| {
                Ok(rustix::fs::unlinkat(
                    &parent,
                    name.as_os_str(),
                    AtFlags::REMOVEDIR,
                )?)
            });
            if removed.is_err() {
                break;
            }
            dir = d.parent();
        }
    }
}

/// Opens the folder `rel` below the folder `dir`, refusing links and escapes.
pub fn open_dir_beneath(dir: &OwnedFd, rel: &Path) -> io::Result<OwnedFd> {
    open_beneath(dir.as_fd(), rel, DIR)
}

/// Opens whatever is at `rel` below the folder `dir` as an `O_PATH` handle (nothing read,
/// nothing written: only its metadata, or a folder reopened from it), refusing escapes and
/// links on the way. A trailing link is opened itself, never followed: its metadata says so.
pub fn open_node_beneath(dir: &OwnedFd, rel: &Path) -> io::Result<OwnedFd> {
    open_beneath(dir.as_fd(), rel, OFlags::PATH)
}

/// The folder behind the handle `node` (an [`open_node_beneath`] handle, say), opened for
/// reading: `.` from the handle is the folder itself, whatever its path became.
pub fn reopen_dir(node: &OwnedFd) -> io::Result<OwnedFd> {
    Ok(rustix::fs::openat(
        node,
        ".",
        DIR | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )?)
}

/// Lists the folder behind the handle `dir`, through a second handle opened as `.` from it:
/// the open folder itself, whatever happened to its path since, and never a path. Entries'
/// metadata is read relative to `dir` ([`stat_at`]).
pub fn read_dir(dir: &OwnedFd) -> io::Result<rustix::fs::Dir> {
    Ok(rustix::fs::Dir::read_from(dir)?)
}

/// What the walk records of an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    /// File, folder, link or other.
    pub kind: rustix::fs::FileType,
    /// Bytes.
    pub size: u64,
    /// Modification time, ns since the epoch.
    pub mtime_ns: i64,
    /// Device id, as `std::os::unix::fs::MetadataExt::dev` gives it.
    pub dev: u64,
    /// Inode.
    pub ino: u64,
    /// Hard links.
    pub nlink: u64,
}

fn mtime_ns(secs: i64, nanos: u32) -> i64 {
    secs.saturating_mul(1_000_000_000)
        .saturating_add(i64::from(nanos))
}

/// The metadata of `name` in the folder `dir` without following a link (a link is described as
/// one), or of the handle itself when `name` is empty: `statx(2)`, or `fstatat(2)` where a
/// kernel or a sandbox refuses it.
pub fn stat_at(dir: &impl AsFd, name: &std::ffi::CStr) -> io::Result<Stat> {
    use rustix::fs::StatxFlags as F;
    let flags = if name.is_empty() {
        AtFlags::EMPTY_PATH | AtFlags::SYMLINK_NOFOLLOW
    } else {
        AtFlags::SYMLINK_NOFOLLOW
    };
    let want = F::TYPE | F::NLINK | F::INO | F::SIZE | F::MTIME;
    match rustix::fs::statx(dir, name, flags, want) {
        Ok(st) if F::from_bits_retain(st.stx_mask).contains(want) => Ok(Stat {
            kind: rustix::fs::FileType::from_raw_mode(u32::from(st.stx_mode)),
            size: st.stx_size,
            mtime_ns: mtime_ns(st.stx_mtime.tv_sec, st.stx_mtime.tv_nsec),
            dev: rustix::fs::makedev(st.stx_dev_major, st.stx_dev_minor),
            ino: st.stx_ino,
            nlink: u64::from(st.stx_nlink),
        }),
        Ok(_) | Err(Errno::NOSYS | Errno::PERM) => {
            Ok(of_stat(&rustix::fs::statat(dir, name, flags)?))
        }
        Err(e) => Err(e.into()),
    }
}

/// [`Stat`] from `fstatat(2)`'s answer.
fn of_stat(st: &rustix::fs::Stat) -> Stat {
    Stat {
        kind: rustix::fs::FileType::from_raw_mode(st.st_mode),
        size: u64::try_from(st.st_size).unwrap_or(0),
        mtime_ns: mtime_ns(st.st_mtime, u32::try_from(st.st_mtime_nsec).unwrap_or(0)),
        dev: st.st_dev,
        ino: st.st_ino,
        nlink: st.st_nlink,
    }
}

impl From<&std::fs::Metadata> for Stat {
    /// The same description from `std`'s metadata (a file already opened or looked up).
    fn from(meta: &std::fs::Metadata) -> Self {
        use std::os::unix::fs::MetadataExt as _;
        Self {
            kind: rustix::fs::FileType::from_raw_mode(meta.mode()),
            size: meta.len(),
            mtime_ns: mtime_ns(meta.mtime(), u32::try_from(meta.mtime_nsec()).unwrap_or(0)),
            dev: meta.dev(),
            ino: meta.ino(),
            nlink: meta.nlink(),
        }
    }
}

/// Not there: missing, or a parent that is not a folder.
fn gone(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
    )
}
