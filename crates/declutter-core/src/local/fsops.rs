//! Moving files durably: a rename on the same filesystem, or copy + fsync + rename + delete
//! across devices, so a crash at any point leaves at least one complete copy.

use std::fs::{self, File};
use std::io;
use std::path::Path;

/// `EXDEV`: rename across filesystems.
const CROSS_DEVICE: i32 = 18;

/// Moves `src` to `dest`, creating `dest`'s parent folders.
pub fn move_file(src: &Path, dest: &Path) -> io::Result<()> {
    if let Some(parent) = dest.parent() {
        fs::create_dir_all(parent)?;
    }
    match fs::rename(src, dest) {
        Err(e) if e.raw_os_error() == Some(CROSS_DEVICE) => copy_then_delete(src, dest),
        other => other,
    }
}

/// Cross-device move. The copy lands under a temporary name and is renamed only once synced,
/// so `dest` existing always means a complete copy.
pub fn copy_then_delete(src: &Path, dest: &Path) -> io::Result<()> {
    let mut partial = dest.as_os_str().to_owned();
    partial.push(".declutter-partial");
    let partial = Path::new(&partial);
    {
        let mut from = File::open(src)?;
        let mut to = File::create(partial)?;
        io::copy(&mut from, &mut to)?;
        to.sync_all()?;
    }
    let modified = fs::metadata(src)?.modified()?;
    File::options()
        .write(true)
        .open(partial)?
        .set_modified(modified)?;
    fs::rename(partial, dest)?;
    if let Some(parent) = dest.parent() {
        File::open(parent)?.sync_all()?;
    }
    fs::remove_file(src)
}

/// Removes now-empty folders from `start` up to (not including) `stop`.
pub fn prune_empty_dirs(start: &Path, stop: &Path) {
    let mut dir = Some(start);
    while let Some(d) = dir {
        if d == stop || !d.starts_with(stop) || fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cross_device_move_copies_syncs_and_deletes() -> Result<(), Box<dyn std::error::Error>> {
        // /dev/shm is a tmpfs, the temp dir usually is not: a rename between them is EXDEV.
        let Ok(shm) = tempfile::tempdir_in("/dev/shm") else {
            return Ok(());
        };
        let disk = tempfile::tempdir()?;
        let src = shm.path().join("a.bin");
        fs::write(&src, b"payload")?;
        let dest = disk.path().join("trash/1/a.bin");
        move_file(&src, &dest)?;
        assert!(!src.exists());
        assert_eq!(fs::read(&dest)?, b"payload");
        let src2 = shm.path().join("b.bin");
        fs::write(&src2, b"second")?;
        copy_then_delete(&src2, &disk.path().join("b.bin"))?;
        assert!(!src2.exists());
        assert!(!disk.path().join("b.bin.declutter-partial").exists());
        Ok(())
    }
}
