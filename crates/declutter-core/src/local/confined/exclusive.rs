//! Moves that never replace what is at their destination, on one filesystem or across two.

use std::ffi::OsStr;
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;

use rustix::fs::{AtFlags, Mode, OFlags, RenameFlags};
use rustix::io::Errno;

use super::resolve::open_beneath;

/// Renames without ever replacing the destination: `renameat2(RENAME_NOREPLACE)`; where the
/// filesystem lacks it, `link` (which fails on an existing name) then `unlink`.
pub(super) fn rename_exclusive(
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
pub(super) fn copy_exclusive(
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
