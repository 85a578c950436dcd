//! Opening a path below a folder handle: `openat2(2)` with `RESOLVE_BENEATH |
//! RESOLVE_NO_SYMLINKS`, or the same rule one component at a time with `O_NOFOLLOW` where the
//! kernel has no `openat2`. A link or an escape at any component is an [`Escape`](super::Escape).

use std::ffi::OsStr;
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Component, Path};

use rustix::fs::{AtFlags, Mode, OFlags};
use rustix::io::Errno;

use super::{BENEATH, DIR, escape};

/// `openat2(dir, rel, flags | O_NOFOLLOW | O_CLOEXEC, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)`,
/// or the same rule one component at a time where the kernel has no `openat2`.
pub(super) fn open_beneath(
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
