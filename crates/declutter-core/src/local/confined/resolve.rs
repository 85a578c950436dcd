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

use super::{BENEATH, escape};

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
    // Folders on the way are only passed through: `O_PATH` needs the search permission alone,
    // as the kernel's own resolution does (a root below `/home` of mode 711 opens).
    let step = OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
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

#[cfg(test)]
mod tests {
    use std::os::unix::fs::symlink;

    use super::*;
    use crate::local::confined::DIR;

    /// The rule without `openat2` (kernels before 5.6): the same refusals as with it.
    #[test]
    fn one_component_at_a_time_refuses_what_openat2_refuses()
    -> Result<(), Box<dyn std::error::Error>> {
        let tmp = tempfile::tempdir()?;
        let top = tmp.path();
        std::fs::create_dir_all(top.join("a/b/c"))?;
        std::fs::write(top.join("a/b/c/f"), b"f")?;
        std::fs::create_dir_all(top.join("outside/c"))?;
        symlink(top.join("outside"), top.join("a/link"))?;
        symlink(top.join("a/b/c/f"), top.join("a/b/c/flink"))?;
        let dir = File::open(top)?;
        let dir = dir.as_fd();
        let both = |rel: &str, flags: OFlags| {
            let rel = Path::new(rel);
            let flags = flags | OFlags::NOFOLLOW | OFlags::CLOEXEC;
            (
                open_by_components(dir, rel, flags),
                rustix::fs::openat2(dir, rel, flags, Mode::empty(), super::BENEATH),
            )
        };
        for rel in ["a/b/c", "a/b", "a"] {
            let (ours, kernel) = both(rel, DIR);
            assert!(ours.is_ok() && kernel.is_ok(), "{rel}");
        }
        let (ours, _) = both("a/b/c/f", OFlags::RDONLY);
        assert!(File::from(ours?).metadata()?.is_file());
        for rel in ["a/link/c", "a/link", "a/b/c/flink", "a/../a/b", "../x"] {
            let flags = if rel.ends_with("flink") {
                OFlags::RDONLY
            } else {
                DIR
            };
            let (ours, kernel) = both(rel, flags);
            let e = ours.err().ok_or(format!("{rel} opened"))?;
            assert!(super::super::is_escape(&e), "{rel}: {e}");
            // `..` that stays below is allowed by `openat2`; refused here (stricter).
            assert!(
                kernel.is_err() || rel.starts_with("a/.."),
                "{rel}: openat2 opened it"
            );
        }
        Ok(())
    }
}
