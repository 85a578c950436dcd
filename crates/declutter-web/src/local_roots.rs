//! Allow-listed roots for local sources (`DECLUTTER_LOCAL_ROOTS`). A requested folder is
//! canonicalised (resolving `..` and every symlink) and must then lie inside a canonicalised
//! root; the check is repeated before every scan, restore and purge, so a symlink swapped in
//! after the folder was added cannot lead outside.

use std::path::{Path, PathBuf};

/// Why a folder was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RootError {
    /// No roots are configured.
    #[error("no local roots are configured (DECLUTTER_LOCAL_ROOTS)")]
    NoRoots,
    /// Relative, missing or not a folder.
    #[error("the folder must be an existing absolute path")]
    NotAFolder,
    /// Resolves outside every root.
    #[error("the folder is outside the allowed roots")]
    Outside,
}

/// The canonical form of `requested` when it is a folder inside one of `roots`.
pub fn confine(roots: &[PathBuf], requested: &Path) -> Result<PathBuf, RootError> {
    if roots.is_empty() {
        return Err(RootError::NoRoots);
    }
    if !requested.is_absolute() {
        return Err(RootError::NotAFolder);
    }
    let real = requested
        .canonicalize()
        .map_err(|_| RootError::NotAFolder)?;
    if !real.is_dir() {
        return Err(RootError::NotAFolder);
    }
    let inside = roots
        .iter()
        .filter_map(|r| r.canonicalize().ok())
        .any(|root| real.starts_with(&root));
    if inside {
        Ok(real)
    } else {
        Err(RootError::Outside)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_are_refused() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let root = dir.path().join("root");
        let outside = dir.path().join("outside");
        std::fs::create_dir_all(root.join("photos"))?;
        std::fs::create_dir_all(&outside)?;
        std::os::unix::fs::symlink(&outside, root.join("link"))?;
        let roots = vec![root.clone()];
        assert_eq!(
            confine(&roots, &root.join("photos"))?,
            root.canonicalize()?.join("photos")
        );
        assert_eq!(confine(&roots, &root)?, root.canonicalize()?);
        assert_eq!(
            confine(&roots, &root.join("photos/../..")),
            Err(RootError::Outside)
        );
        assert_eq!(confine(&roots, &root.join("link")), Err(RootError::Outside));
        assert_eq!(confine(&roots, &outside), Err(RootError::Outside));
        assert_eq!(
            confine(&roots, Path::new("photos")),
            Err(RootError::NotAFolder)
        );
        assert_eq!(
            confine(&roots, &root.join("missing")),
            Err(RootError::NotAFolder)
        );
        assert_eq!(confine(&[], &root), Err(RootError::NoRoots));
        // A sibling whose name merely starts with the root's name is outside.
        let sibling = dir.path().join("root2");
        std::fs::create_dir_all(&sibling)?;
        assert_eq!(confine(&roots, &sibling), Err(RootError::Outside));
        Ok(())
    }
}
