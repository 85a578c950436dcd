//! The files an account's clean-ups moved into local trash folders, removed from disk when the
//! account is deleted. The rows themselves (export, a forgotten drive, deletion) are the
//! engine's: `declutter_core::store::owners`.

use std::path::{Path, PathBuf};

use declutter_core::ids::{Source, UserId};
use declutter_core::local::TRASH_DIR;
use declutter_core::local::confined::{Node, Root, is_escape};
use declutter_core::store::owners;
use platform_db::sql::AnyPool;

use crate::local_roots::{RootError, confine};

/// Why one trash entry could not be removed; logged only.
#[derive(Debug, thiserror::Error)]
enum RemoveError {
    /// The source folder is no longer an allowed local root.
    #[error("the source folder is no longer allowed")]
    Confine(#[from] RootError),
    /// The source folder's canonical form changed (a symlink was swapped in).
    #[error("the source folder now resolves elsewhere")]
    Moved,
    /// `.declutter-trash` is a symlink or a file.
    #[error("the trash folder is not a plain folder")]
    NotAFolder,
    /// Reading or removing failed (std's I/O errors carry no path).
    #[error("cannot remove the entry: {0}")]
    Io(#[from] std::io::Error),
}

/// Removes the folder of one trash entry, `<root>/.declutter-trash/<id>`, through confined
/// handles only: the root must still be canonical and inside the allow-listed roots, and is
/// opened once without following a link; the trash folder must be a real folder; the entry is
/// removed from the root's handle, each folder inside opened from its parent's refusing links,
/// and a link met inside (or in the entry's place) is unlinked, never followed. A folder
/// swapped for a link meanwhile is refused at the moment it is opened, never acted through.
/// `false` when there was nothing to remove.
fn remove_entry(roots: &[PathBuf], root: &Path, id: i64) -> Result<bool, RemoveError> {
    let real = confine(roots, root)?;
    if real != root {
        return Err(RemoveError::Moved);
    }
    let opened = Root::open(&real).map_err(|e| {
        if is_escape(&e) {
            RemoveError::Moved
        } else {
            RemoveError::Io(e)
        }
    })?;
    let trash = real.join(TRASH_DIR);
    match opened.lstat(&trash) {
        Ok(Some(Node::Entry(m))) if m.is_dir() => {}
        Ok(None) => return Ok(false),
        Ok(Some(_)) => return Err(RemoveError::NotAFolder),
        Err(e) if is_escape(&e) => return Err(RemoveError::NotAFolder),
        Err(e) => return Err(e.into()),
    }
    match opened.remove_tree(&trash.join(id.to_string())) {
        Ok(removed) => Ok(removed),
        // The trash folder became a link since it was looked at.
        Err(e) if is_escape(&e) => Err(RemoveError::NotAFolder),
        Err(e) => Err(e.into()),
    }
}

/// Deletes the files the engine moved into local trash folders for `owner` (only entries of
/// that owner's trash log, only under `roots`). Best effort: failures are logged, never shown;
/// returns how many entries were removed.
pub async fn remove_local_trash(pool: &AnyPool, roots: Vec<PathBuf>, owner: &UserId) -> usize {
    let who = owner.clone();
    let entries = match pool.read(move |c| owners::local_trash(c, &who)).await {
        Ok(Ok(e)) => e,
        Ok(Err(error)) => {
            tracing::warn!(%error, "cannot list local trash of a deleted account");
            return 0;
        }
        Err(error) => {
            tracing::warn!(%error, "cannot list local trash of a deleted account");
            return 0;
        }
    };
    let job = tokio::task::spawn_blocking(move || {
        let mut removed = 0;
        for (id, source) in entries {
            let Source::Local(root) = source else {
                continue;
            };
            match remove_entry(&roots, &root, id) {
                Ok(true) => removed += 1,
                Ok(false) => {}
                Err(error) => {
                    tracing::warn!(trash_id = id, %error, "cannot remove a local trash entry");
                }
            }
        }
        removed
    });
    match job.await {
        Ok(n) => n,
        Err(error) => {
            tracing::warn!(%error, "removing local trash failed");
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_only_the_entry_and_never_follows_links() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        std::fs::create_dir_all(dir.path().join("root"))?;
        let root = dir.path().join("root").canonicalize()?;
        let outside = dir.path().join("outside");
        std::fs::create_dir_all(&outside)?;
        std::fs::write(outside.join("keep.txt"), b"not ours")?;
        let trash = root.join(TRASH_DIR);
        std::fs::create_dir_all(trash.join("7/photos"))?;
        std::fs::write(trash.join("7/photos/a.jpg"), b"x")?;
        std::os::unix::fs::symlink(&outside, trash.join("7/photos/link"))?;
        std::fs::create_dir_all(trash.join("8"))?;
        std::os::unix::fs::symlink(&outside, trash.join("9"))?;
        let roots = vec![root.clone()];
        assert!(remove_entry(&roots, &root, 7)?);
        assert!(!trash.join("7").exists());
        assert!(trash.join("8").exists(), "another entry stays");
        assert!(remove_entry(&roots, &root, 9)?, "a link is unlinked");
        assert!(
            outside.join("keep.txt").exists(),
            "links are never followed"
        );
        assert!(!remove_entry(&roots, &root, 10)?);
        // The trash folder itself a link to a folder that holds an entry of that name.
        std::fs::create_dir_all(outside.join("8"))?;
        std::fs::write(outside.join("8/keep.txt"), b"not ours")?;
        std::fs::rename(&trash, root.join("trash-was"))?;
        std::os::unix::fs::symlink(&outside, &trash)?;
        assert!(matches!(
            remove_entry(&roots, &root, 8),
            Err(RemoveError::NotAFolder)
        ));
        assert!(outside.join("8/keep.txt").exists());
        assert!(
            matches!(
                remove_entry(&roots, &outside, 8),
                Err(RemoveError::Confine(RootError::Outside))
            ),
            "outside the roots"
        );
        Ok(())
    }

    /// Someone who can write into the source flips its trash folder between a real folder and
    /// a link to another folder holding an entry of the same name, while the account's trash
    /// is removed over and over: only entries in the real folder ever go.
    #[test]
    fn attack_a_trash_folder_flipped_to_a_link_while_an_account_is_deleted()
    -> Result<(), Box<dyn std::error::Error>> {
        use std::sync::atomic::{AtomicBool, Ordering};
        let dir = tempfile::tempdir()?;
        std::fs::create_dir_all(dir.path().join("root"))?;
        let root = dir.path().join("root").canonicalize()?;
        let outside = dir.path().join("outside");
        std::fs::create_dir_all(outside.join("7"))?;
        std::fs::write(outside.join("7/keep.txt"), b"not ours")?;
        let trash = root.join(TRASH_DIR);
        let aside = root.join("aside");
        std::fs::create_dir_all(&trash)?;
        let stop = AtomicBool::new(false);
        let roots = vec![root.clone()];
        let removed = std::thread::scope(|s| {
            s.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    if std::fs::rename(&trash, &aside).is_ok() {
                        let _ = std::os::unix::fs::symlink(&outside, &trash);
                        let _ = std::fs::remove_file(&trash);
                        let _ = std::fs::rename(&aside, &trash);
                    }
                }
            });
            let mut removed = 0;
            let mut fresh = false;
            let until = std::time::Instant::now() + std::time::Duration::from_secs(3);
            while std::time::Instant::now() < until && outside.join("7/keep.txt").exists() {
                // A fresh entry in the real trash folder, wherever it is at the moment.
                if !fresh {
                    let real = if trash.is_symlink() { &aside } else { &trash };
                    fresh = std::fs::create_dir_all(real.join("7/sub")).is_ok()
                        && std::fs::write(real.join("7/sub/mine.txt"), b"mine").is_ok();
                }
                if matches!(remove_entry(&roots, &root, 7), Ok(true)) {
                    removed += 1;
                    fresh = false;
                }
            }
            stop.store(true, Ordering::Relaxed);
            removed
        });
        assert!(
            outside.join("7/keep.txt").exists(),
            "an entry outside the source was removed"
        );
        assert!(removed > 0, "the real trash entry was removed at times");
        Ok(())
    }
}
