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
use std::os::fd::{AsFd, AsRawFd as _, OwnedFd};
use std::path::{Component, Path, PathBuf};

use rustix::fs::{AtFlags, Mode, OFlags, RenameFlags, ResolveFlags};
use rustix::io::Errno;

/// A path below a root led through a symbolic link or out of the root; nothing was done.
#[derive(Debug, thiserror::Error)]
#[error("refused: the path leads through a symbolic link or outside the source")]
pub struct Escape;

/// True when `e` is a confinement refusal.
pub fn is_escape(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<Escape>())
}

fn escape() -> io::Error {
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
    /// Opens the root folder `path`, a real path (as sources are recorded). The folder opened
    /// must still be at that path: a source nested in another can be swapped for a link by
    /// whoever writes into the outer one, and is then refused.
    pub fn open(path: &Path) -> io::Result<Self> {
        let fd = rustix::fs::open(
            path,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC | OFlags::NOFOLLOW,
            Mode::empty(),
        )
        .map_err(|e| {
            let link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
            if e == Errno::LOOP || link {
                escape()
            } else {
                e.into()
            }
        })?;
        // What the kernel says the handle is, against what we were asked for.
        let real = std::fs::read_link(format!("/proc/self/fd/{}", fd.as_raw_fd()))
            .or_else(|_| std::fs::canonicalize(path))?;
        if real != path {
            return Err(escape());
        }
        Ok(Self {
            path: path.to_owned(),
            fd,
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

/// Opens the folder at `path` (a scan's root) for reading.
pub fn open_dir(path: &Path) -> io::Result<OwnedFd> {
    Ok(rustix::fs::open(
        path,
        DIR | OFlags::CLOEXEC,
        Mode::empty(),
    )?)
}

/// Opens the folder `rel` below the folder `dir`, refusing links and escapes.
pub fn open_dir_beneath(dir: &OwnedFd, rel: &Path) -> io::Result<OwnedFd> {
    open_beneath(dir.as_fd(), rel, DIR)
}

/// Lists the folder behind `dir` (whose path is `path`) through the handle itself: the magic
/// link `/proc/self/fd/N` is the open folder, whatever happened to its path since. Entries'
/// metadata is read relative to that handle. Without `/proc`, the path is listed.
pub fn read_dir(dir: &OwnedFd, path: &Path) -> io::Result<std::fs::ReadDir> {
    std::fs::read_dir(format!("/proc/self/fd/{}", dir.as_raw_fd())).or_else(|e| {
        if e.kind() == io::ErrorKind::NotFound {
            std::fs::read_dir(path)
        } else {
            Err(e)
        }
    })
}

/// Not there: missing, or a parent that is not a folder.
fn gone(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
    )
}

/// `openat2(dir, rel, flags | O_NOFOLLOW | O_CLOEXEC, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)`,
/// or the same rule one component at a time where the kernel has no `openat2`.
fn open_beneath(
    dir: std::os::fd::BorrowedFd<'_>,
    rel: &Path,
    flags: OFlags,
) -> io::Result<OwnedFd> {
    let flags = flags | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    for _ in 0..8 {
        match rustix::fs::openat2(dir, rel, flags, Mode::empty(), BENEATH) {
            Ok(fd) => return Ok(fd),
            // A concurrent rename elsewhere on the filesystem: the kernel asks us to retry.
            Err(Errno::AGAIN) => continue,
            Err(Errno::NOSYS) => return open_by_components(dir, rel, flags),
            Err(Errno::LOOP | Errno::XDEV) => return Err(escape()),
            // O_DIRECTORY | O_NOFOLLOW on a trailing link answers ENOTDIR: tell a link apart.
            Err(Errno::NOTDIR) if is_link(dir, rel) => return Err(escape()),
            Err(e) => return Err(e.into()),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::Interrupted,
        "path resolution kept racing with renames",
    ))
}

/// Is the trailing component of `rel` a symbolic link (its parents resolved as confined)?
fn is_link(dir: std::os::fd::BorrowedFd<'_>, rel: &Path) -> bool {
    let flags = OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    rustix::fs::openat2(dir, rel, flags, Mode::empty(), BENEATH)
        .ok()
        .and_then(|fd| File::from(fd).metadata().ok())
        .is_some_and(|m| m.file_type().is_symlink())
}

fn open_by_components(
    dir: std::os::fd::BorrowedFd<'_>,
    rel: &Path,
    flags: OFlags,
) -> io::Result<OwnedFd> {
    let names: Vec<&OsStr> = rel
        .components()
        .filter(|c| !matches!(c, Component::CurDir))
        .map(|c| match c {
            Component::Normal(n) => Ok(n),
            _ => Err(escape()),
        })
        .collect::<io::Result<_>>()?;
    let Some((last, parents)) = names.split_last() else {
        return Ok(rustix::fs::openat(dir, ".", flags, Mode::empty())?);
    };
    let mut cur: Option<OwnedFd> = None;
    let step = DIR | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    for name in parents {
        let base = cur.as_ref().map_or(dir, AsFd::as_fd);
        cur = Some(
            rustix::fs::openat(base, *name, step, Mode::empty()).map_err(|e| {
                if e == Errno::NOTDIR && is_link_at(base, name) {
                    escape()
                } else {
                    refusal(e)
                }
            })?,
        );
    }
    let base = cur.as_ref().map_or(dir, AsFd::as_fd);
    rustix::fs::openat(base, *last, flags, Mode::empty()).map_err(|e| {
        if e == Errno::NOTDIR && is_link_at(base, last) {
            escape()
        } else {
            refusal(e)
        }
    })
}

fn is_link_at(dir: std::os::fd::BorrowedFd<'_>, name: &OsStr) -> bool {
    rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW).is_ok_and(|st| {
        rustix::fs::FileType::from_raw_mode(st.st_mode) == rustix::fs::FileType::Symlink
    })
}

fn refusal(e: Errno) -> io::Error {
    if e == Errno::LOOP { escape() } else { e.into() }
}

/// Renames without ever replacing the destination: `renameat2(RENAME_NOREPLACE)`; where the
/// filesystem lacks it, `link` (which fails on an existing name) then `unlink`.
fn rename_exclusive(
    from_dir: &OwnedFd,
    from: &OsStr,
    to_dir: &OwnedFd,
    to: &OsStr,
) -> io::Result<()> {
    match rustix::fs::renameat_with(from_dir, from, to_dir, to, RenameFlags::NOREPLACE) {
        Ok(()) => Ok(()),
        Err(Errno::INVAL | Errno::NOSYS | Errno::OPNOTSUPP) => {
            rustix::fs::linkat(from_dir, from, to_dir, to, AtFlags::empty())?;
            Ok(rustix::fs::unlinkat(from_dir, from, AtFlags::empty())?)
        }
        Err(e) => Err(e.into()),
    }
}

/// Cross-device move: an exclusive partial copy, synced, renamed into place without replacing,
/// then the original deleted; a crash at any point leaves at least one complete copy, and the
/// destination name only ever holds a complete one.
fn copy_exclusive(
    from_dir: &OwnedFd,
    from: &OsStr,
    to_dir: &OwnedFd,
    to: &OsStr,
) -> io::Result<()> {
    let mut partial = to.to_owned();
    partial.push(".declutter-partial");
    let src = File::from(open_beneath(
        from_dir.as_fd(),
        Path::new(from),
        OFlags::RDONLY | OFlags::NONBLOCK,
    )?);
    let meta = src.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    // A stale partial of an earlier interrupted copy is ours to replace (it never holds the
    // only copy: the original is deleted only after the rename below).
    match rustix::fs::unlinkat(to_dir, partial.as_os_str(), AtFlags::empty()) {
        Ok(()) | Err(Errno::NOENT) => {}
        Err(e) => return Err(e.into()),
    }
    {
        let mut out = File::from(rustix::fs::openat(
            to_dir,
            partial.as_os_str(),
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o600),
        )?);
        io::copy(&mut &src, &mut out)?;
        out.set_modified(meta.modified()?)?;
        out.sync_all()?;
    }
    rename_exclusive(to_dir, &partial, to_dir, to)?;
    rustix::fs::fsync(to_dir)?;
    Ok(rustix::fs::unlinkat(from_dir, from, AtFlags::empty())?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::symlink;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn links_anywhere_below_the_root_are_refused() -> TestResult {
        let tmp = tempfile::tempdir()?;
        let root = tmp.path().join("root");
        let outside = tmp.path().join("outside");
        fs::create_dir_all(root.join("real"))?;
        fs::create_dir_all(&outside)?;
        fs::write(outside.join("secret"), b"s")?;
        fs::write(root.join("real/f"), b"f")?;
        symlink(&outside, root.join("out"))?;
        symlink(root.join("real"), root.join("inside"))?;
        let r = Root::open(&root)?;
        assert!(is_escape(
            &Root::open(&root.join("out")).err().ok_or("a linked root")?
        ));
        assert!(is_escape(
            &Root::open(&root.join("real/../real"))
                .err()
                .ok_or("not real")?
        ));
        for through_link in [root.join("out/secret"), root.join("inside/f")] {
            let e = r
                .open_file(&through_link)
                .err()
                .ok_or("opened through a link")?;
            assert!(is_escape(&e), "{through_link:?}: {e}");
            let e = r
                .remove_file(&through_link)
                .err()
                .ok_or("removed through a link")?;
            assert!(is_escape(&e), "{e}");
        }
        assert!(matches!(r.lstat(&root.join("out"))?, Some(Node::Symlink)));
        assert!(r.lstat(&root.join("nothing/here"))?.is_none());
        assert!(is_escape(
            &r.relative(&root.join("../outside/secret"))
                .err()
                .ok_or("..")?
        ));
        assert!(is_escape(
            &r.relative(&outside.join("secret")).err().ok_or("outside")?
        ));
        assert_eq!(fs::read(outside.join("secret"))?, b"s");
        let mut content = String::new();
        io::Read::read_to_string(&mut r.open_file(&root.join("real/f"))?, &mut content)?;
        assert_eq!(content, "f");
        Ok(())
    }

    #[test]
    fn moves_never_replace_and_never_write_through_links() -> TestResult {
        let tmp = tempfile::tempdir()?;
        let root = tmp.path().join("root");
        let outside = tmp.path().join("outside");
        fs::create_dir_all(&root)?;
        fs::create_dir_all(&outside)?;
        fs::write(root.join("a"), b"a")?;
        fs::write(root.join("b"), b"b")?;
        let r = Root::open(&root)?;
        let e = r
            .move_noreplace(&root.join("a"), &root.join("b"), TRASH_DIR_MODE)
            .err()
            .ok_or("replaced b")?;
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(root.join("b"))?, b"b");
        symlink(&outside, root.join(".declutter-trash"))?;
        let e = r
            .move_noreplace(
                &root.join("a"),
                &root.join(".declutter-trash/1/a"),
                TRASH_DIR_MODE,
            )
            .err()
            .ok_or("moved into a link")?;
        assert!(is_escape(&e), "{e}");
        assert_eq!(fs::read_dir(&outside)?.count(), 0);
        fs::remove_file(root.join(".declutter-trash"))?;
        r.move_noreplace(
            &root.join("a"),
            &root.join(".declutter-trash/1/x/a"),
            TRASH_DIR_MODE,
        )?;
        assert_eq!(fs::read(root.join(".declutter-trash/1/x/a"))?, b"a");
        r.prune_empty_dirs(
            &root.join(".declutter-trash/1/x"),
            &root.join(".declutter-trash"),
        );
        assert!(
            root.join(".declutter-trash/1/x").exists(),
            "a non-empty folder stays"
        );
        Ok(())
    }

    #[test]
    fn a_folder_swapped_for_a_link_after_it_was_opened_is_listed_as_opened() -> TestResult {
        let tmp = tempfile::tempdir()?;
        let root = tmp.path().join("root");
        let outside = tmp.path().join("outside");
        fs::create_dir_all(root.join("a"))?;
        fs::create_dir_all(&outside)?;
        fs::write(root.join("a/mine"), b"m")?;
        fs::write(outside.join("secret"), b"s")?;
        let top = open_dir(&root)?;
        let a = open_dir_beneath(&top, Path::new("a"))?;
        // Between listing the root and reading `a`, `a` becomes a link to the outside.
        fs::rename(root.join("a"), root.join("a2"))?;
        symlink(&outside, root.join("a"))?;
        let names: Vec<OsString> = read_dir(&a, &root.join("a"))?
            .map(|e| e.map(|e| e.file_name()))
            .collect::<io::Result<_>>()?;
        assert_eq!(names, vec![OsString::from("mine")]);
        let e = open_dir_beneath(&top, Path::new("a"))
            .err()
            .ok_or("opened a link")?;
        assert!(is_escape(&e), "{e}");
        Ok(())
    }

    #[test]
    fn exclusive_copy_across_devices() -> TestResult {
        // /dev/shm is a tmpfs, the temp dir usually is not: a rename between them is EXDEV.
        let Ok(shm) = tempfile::tempdir_in("/dev/shm") else {
            return Ok(());
        };
        let disk = tempfile::tempdir()?;
        fs::write(shm.path().join("a.bin"), b"payload")?;
        let from = File::open(shm.path())?;
        let to = File::open(disk.path())?;
        copy_exclusive(
            &from.into(),
            OsStr::new("a.bin"),
            &to.into(),
            OsStr::new("a.bin"),
        )?;
        assert!(!shm.path().join("a.bin").exists());
        assert_eq!(fs::read(disk.path().join("a.bin"))?, b"payload");
        assert!(!disk.path().join("a.bin.declutter-partial").exists());
        Ok(())
    }
}
