//! Folders an apply left empty: their mode read, their removal, their recreation on restore,
//! always through the confined root handle (a folder swapped for a link is never followed).

use std::path::Path;

use super::{LocalProvider, in_trash, io_err};
use crate::provider::ProviderError;

impl LocalProvider {
    /// The permission bits of the folder `dir` (strictly below the root, outside the trash);
    /// `None` when no folder is there. A link in its place is refused ([`ProviderError::Outside`]).
    pub fn folder_mode(&self, dir: &Path) -> Result<Option<u32>, ProviderError> {
        self.below(dir)?;
        self.confined()?.dir_mode(dir).map_err(|e| io_err(dir, e))
    }

    /// Removes the folder `dir` if it is empty now; `false` when it is not (it gained an entry,
    /// a link took its place, it is gone).
    pub fn remove_empty_folder(&self, dir: &Path) -> Result<bool, ProviderError> {
        self.below(dir)?;
        self.confined()?
            .remove_empty_dir(dir)
            .map_err(|e| io_err(dir, e))
    }

    /// Makes the folder `dir` again with `mode`; `false` when something already holds its name.
    pub fn recreate_folder(&self, dir: &Path, mode: u32) -> Result<bool, ProviderError> {
        self.below(dir)?;
        self.confined()?
            .make_dir(dir, mode)
            .map_err(|e| io_err(dir, e))
    }

    /// Refuses the root itself, anything outside it, and the trash folder.
    fn below(&self, dir: &Path) -> Result<(), ProviderError> {
        if dir == self.root || !dir.starts_with(&self.root) || in_trash(&dir.to_string_lossy()) {
            return Err(ProviderError::Outside(dir.display().to_string()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{PermissionsExt, symlink};

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn only_empty_real_folders_go_and_come_back_with_their_mode() -> TestResult {
        let tmp = tempfile::tempdir()?;
        std::fs::create_dir(tmp.path().join("root"))?;
        let root = tmp.path().join("root").canonicalize()?;
        let outside = tmp.path().join("outside");
        std::fs::create_dir_all(root.join("a/empty"))?;
        std::fs::create_dir_all(root.join("full"))?;
        std::fs::create_dir_all(outside.join("x"))?;
        std::fs::write(root.join("full/f"), b"f")?;
        std::fs::set_permissions(root.join("a/empty"), std::fs::Permissions::from_mode(0o751))?;
        symlink(outside.join("x"), root.join("link"))?;
        let p = LocalProvider::new(&root);
        assert_eq!(p.folder_mode(&root.join("a/empty"))?, Some(0o751));
        assert!(!p.remove_empty_folder(&root.join("full"))?);
        assert!(matches!(
            p.folder_mode(&root.join("link")),
            Err(ProviderError::Outside(_))
        ));
        assert!(!p.remove_empty_folder(&root.join("link"))?);
        assert!(outside.join("x").is_dir(), "the link was not followed");
        assert!(matches!(
            p.remove_empty_folder(&root),
            Err(ProviderError::Outside(_))
        ));
        assert!(p.remove_empty_folder(&root.join("a/empty"))?);
        assert!(!root.join("a/empty").exists());
        assert!(p.recreate_folder(&root.join("a/empty"), 0o751)?);
        let mode = std::fs::metadata(root.join("a/empty"))?
            .permissions()
            .mode()
            & 0o7777;
        assert_eq!(mode, 0o751);
        assert!(!p.recreate_folder(&root.join("a/empty"), 0o700)?);
        Ok(())
    }
}
