//! The files an account's clean-ups moved into local trash folders, removed from disk when the
//! account is deleted. The rows themselves (export, a forgotten drive, deletion) are the
//! engine's: `declutter_core::store::owners`.

use std::path::{Path, PathBuf};

use declutter_core::ids::{Source, UserId};
use declutter_core::local::TRASH_DIR;
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

/// Removes the folder of one trash entry, `<root>/.declutter-trash/<id>`, without following
/// symlinks: the root must still be canonical and inside the allow-listed roots, the trash
/// folder a real folder, and a symlink in the entry's place is unlinked, never followed.
/// `false` when there was nothing to remove.
fn remove_entry(roots: &[PathBuf], root: &Path, id: i64) -> Result<bool, RemoveError> {
    let real = confine(roots, root)?;
    if real != root {
        return Err(RemoveError::Moved);
    }
    let trash = real.join(TRASH_DIR);
    match std::fs::symlink_metadata(&trash) {
        Ok(m) if m.file_type().is_dir() => {}
        Ok(_) => return Err(RemoveError::NotAFolder),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e.into()),
    }
    let entry = trash.join(id.to_string());
    let meta = match std::fs::symlink_metadata(&entry) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e.into()),
    };
    // `remove_dir_all` removes symlinks inside the tree rather than following them.
    if meta.file_type().is_dir() {
        std::fs::remove_dir_all(&entry)?;
    } else {
        std::fs::remove_file(&entry)?;
    }
    Ok(true)
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
        assert!(
            matches!(
                remove_entry(&roots, &outside, 8),
                Err(RemoveError::Confine(RootError::Outside))
            ),
            "outside the roots"
        );
        Ok(())
    }
}
