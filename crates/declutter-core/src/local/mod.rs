//! The local-folder provider: a parallel walk, exact duplicate hashing with a persistent cache,
//! and a trash folder at the root of the source that keeps each file's relative path.

pub mod confined;
mod emptied;
pub mod hashing;
pub mod held;
pub mod paths;
pub mod walk;

use std::collections::HashMap;
use std::io;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::hash::{ContentHash, HashKind};
use crate::ids::{ItemId, ProviderKind};
use crate::progress::{NoProgress, Progress};
use crate::provider::{
    Change, Item, Listing, ListingEnd, PageSink, ProviderError, ScanIssue, StorageProvider,
    TrashRequest, Whereabouts,
};
use hashing::{Candidate, HashCache};
pub use walk::{TRASH_DIR, WalkOptions, in_trash};

/// A local folder as a storage provider.
pub struct LocalProvider {
    root: PathBuf,
    options: WalkOptions,
    progress: Arc<dyn Progress>,
}

impl std::fmt::Debug for LocalProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalProvider")
            .field("root", &self.root)
            .finish()
    }
}

fn io_err(path: &Path, source: io::Error) -> ProviderError {
    if confined::is_escape(&source) {
        return ProviderError::Outside(path.display().to_string());
    }
    ProviderError::Io {
        path: path.display().to_string(),
        source,
    }
}

impl LocalProvider {
    /// A provider rooted at `root` (absolute).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            options: WalkOptions::default(),
            progress: Arc::new(NoProgress),
        }
    }

    /// Walk options (symlink following).
    pub fn with_options(mut self, options: WalkOptions) -> Self {
        self.options = options;
        self
    }

    /// Where to report progress.
    pub fn with_progress(mut self, progress: Arc<dyn Progress>) -> Self {
        self.progress = progress;
        self
    }

    /// The trash folder of this source.
    pub fn trash_root(&self) -> PathBuf {
        self.root.join(TRASH_DIR)
    }

    /// A confined handle on the root: everything below it is reached without following links.
    fn confined(&self) -> Result<Arc<confined::Root>, ProviderError> {
        confined::Root::open(&self.root)
            .map(Arc::new)
            .map_err(|e| io_err(&self.root, e))
    }

    fn location_path(&self, req: &TrashRequest) -> PathBuf {
        let original = paths::path_for(&req.id);
        let rel = original.strip_prefix(&self.root).unwrap_or(&original);
        let rel = rel.strip_prefix("/").unwrap_or(rel);
        self.trash_root().join(req.trash_id.to_string()).join(rel)
    }
}

/// The blocking half of a local scan, run on the blocking pool.
struct ScanJob {
    root: PathBuf,
    options: WalkOptions,
    progress: Arc<dyn Progress>,
}

impl ScanJob {
    fn run(self) -> Listing {
        self.progress.phase("walking", None);
        // Opened (and checked) once: the walk and the hashing start from this handle.
        let root = match confined::Root::open(&self.root) {
            Ok(r) => r,
            Err(e) => {
                return Listing {
                    full: false,
                    issues: vec![walk::issue(&self.root, &e)],
                    ..Listing::default()
                };
            }
        };
        let (mut entries, mut issues) = walk::walk(&root, self.options);
        entries.sort_unstable_by(|a, b| a.path.cmp(&b.path));
        // Hard links share an inode: one file, indexed once under its first path.
        let mut seen = std::collections::HashSet::new();
        entries.retain(|e| e.is_dir || seen.insert((e.dev, e.ino)));
        let files: Vec<usize> = (0..entries.len()).filter(|&i| !entries[i].is_dir).collect();
        let cands: Vec<Candidate<'_>> = files
            .iter()
            .map(|&i| {
                let e = &entries[i];
                Candidate {
                    path: &e.path,
                    size: e.size,
                    mtime_ns: e.mtime_ns,
                    key: (e.dev, e.ino),
                }
            })
            .collect();
        // Scans that keep an index (`engine::local_scan`) reuse hashes through it; a bare
        // listing reads every candidate.
        let hashed = hashing::full_hashes(&root, &cands, &HashCache::new(), self.progress.as_ref());
        issues.extend(hashed.issues);
        let mut hash_of: HashMap<usize, String> = HashMap::new();
        for (ci, h) in hashed.full {
            hash_of.insert(files[ci], h);
        }
        drop(cands);
        let mut changes = Vec::with_capacity(entries.len());
        // Consume the walk as the listing grows so both are never fully in memory at once.
        for (i, e) in entries.into_iter().enumerate() {
            let hash = hash_of
                .remove(&i)
                .map(|h| ContentHash::new(HashKind::Blake3, h));
            let (item, raw) = item_from(&e, hash);
            if raw {
                issues.push(ScanIssue {
                    path: item.path.clone(),
                    kind: "non_utf8",
                    message: "name is not valid UTF-8; indexed under a raw id".into(),
                });
            }
            changes.push(Change::Upsert(item));
        }
        Listing {
            full: true,
            changes,
            issues,
            ..Listing::default()
        }
    }
}

fn symlink_refused() -> io::Error {
    io::Error::new(io::ErrorKind::PermissionDenied, confined::Escape)
}

fn join_error(path: &Path, e: tokio::task::JoinError) -> ProviderError {
    io_err(path, io::Error::other(e.to_string()))
}

fn item_from(e: &walk::Entry, hash: Option<ContentHash>) -> (Item, bool) {
    let (id, raw) = paths::id_for(&e.path);
    let (parent_id, name) = e.parent_and_name();
    let item = Item {
        id,
        parent_id,
        name,
        path: e.path.to_string_lossy().into_owned(),
        is_dir: e.is_dir,
        size: e.size,
        modified_ns: e.mtime_ns,
        hash,
        etag: None,
        mime: None,
        comparable: true,
        inode: Some((e.dev, e.ino)),
    };
    (item, raw)
}

impl StorageProvider for LocalProvider {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Local
    }

    /// A whole walk, then its changes in pages. Scans of a local folder do not come here: they
    /// stream the walk into the index with its hash cache (`engine::scan::scan_local`).
    async fn list(
        &self,
        _cursor: Option<&str>,
        pages: PageSink,
    ) -> Result<ListingEnd, ProviderError> {
        if !self.root.is_dir() {
            return Err(io_err(
                &self.root,
                io::Error::new(io::ErrorKind::NotFound, "not a directory"),
            ));
        }
        let job = ScanJob {
            root: self.root.clone(),
            options: self.options,
            progress: Arc::clone(&self.progress),
        };
        let listing = tokio::task::spawn_blocking(move || job.run())
            .await
            .map_err(|e| join_error(&self.root, e))?;
        let mut changes = listing.changes.into_iter().peekable();
        while changes.peek().is_some() {
            pages.changes(changes.by_ref().take(1000).collect()).await?;
        }
        Ok(ListingEnd {
            full: listing.full,
            cursor: listing.cursor,
            issues: listing.issues,
            api_calls: 0,
        })
    }

    async fn stat(&self, id: &ItemId) -> Result<Option<Item>, ProviderError> {
        let path = paths::path_for(id);
        let root = self.confined()?;
        let p = path.clone();
        let found = tokio::task::spawn_blocking(move || -> io::Result<Option<Item>> {
            let meta = match root.lstat(&p)? {
                None => return Ok(None),
                Some(confined::Node::Symlink) => return Err(symlink_refused()),
                Some(confined::Node::Entry(m)) => m,
            };
            let entry = walk::Entry::of(p.clone(), &meta);
            let hash = if meta.is_file() {
                let (h, _) = hashing::full_hash(&root, &p)?;
                Some(ContentHash::new(HashKind::Blake3, h))
            } else {
                None
            };
            Ok(Some(item_from(&entry, hash).0))
        })
        .await
        .map_err(|e| join_error(&path, e))?;
        found.map_err(|e| io_err(&path, e))
    }

    async fn content_hash(
        &self,
        id: &ItemId,
        max_bytes: u64,
    ) -> Result<Option<String>, ProviderError> {
        let path = paths::path_for(id);
        let root = self.confined()?;
        let p = path.clone();
        let hashed = tokio::task::spawn_blocking(move || {
            let mut file = root.open_file(&p)?;
            if file.metadata()?.len() > max_bytes {
                return Ok(None);
            }
            hashing::full_hash_of(&mut file).map(|(h, _)| Some(h))
        })
        .await
        .map_err(|e| join_error(&path, e))?;
        hashed.map_err(|e| io_err(&path, e))
    }

    fn trash_location(&self, req: &TrashRequest) -> String {
        paths::id_for(&self.location_path(req))
            .0
            .as_str()
            .to_owned()
    }

    async fn trash(&self, req: &TrashRequest, location: &str) -> Result<(), ProviderError> {
        let src = paths::path_for(&req.id);
        let dest = paths::path_for(&ItemId::from_str_unchecked(location));
        // Only ever into this source's own trash folder, whatever the journal says.
        if !dest.starts_with(self.trash_root()) {
            return Err(ProviderError::Outside(dest.display().to_string()));
        }
        self.confined()?
            .move_noreplace(&src, &dest, confined::TRASH_DIR_MODE)
            .map_err(|e| io_err(&src, e))
    }

    async fn locate(
        &self,
        req: &TrashRequest,
        location: &str,
    ) -> Result<Whereabouts, ProviderError> {
        let src = paths::path_for(&req.id);
        let dest = paths::path_for(&ItemId::from_str_unchecked(location));
        let root = self.confined()?;
        let at = |p: &Path| root.lstat(p).map(|n| n.is_some()).map_err(|e| io_err(p, e));
        Ok(match (at(&src)?, at(&dest)?) {
            (true, true) => Whereabouts::Both,
            (true, false) => Whereabouts::Original,
            (false, true) => Whereabouts::Trashed,
            (false, false) => Whereabouts::Missing,
        })
    }

    async fn restore(&self, req: &TrashRequest, location: &str) -> Result<(), ProviderError> {
        let src = paths::path_for(&req.id);
        let dest = paths::path_for(&ItemId::from_str_unchecked(location));
        let root = self.confined()?;
        if root.lstat(&src).map_err(|e| io_err(&src, e))?.is_some() {
            return Err(ProviderError::RestoreConflict(req.path.clone()));
        }
        if root.lstat(&dest).map_err(|e| io_err(&dest, e))?.is_none() {
            return Err(ProviderError::NotFound(dest.display().to_string()));
        }
        // No-replace: a file that appears at the original place in between is never overwritten.
        match root.move_noreplace(&dest, &src, confined::RESTORED_DIR_MODE) {
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                return Err(ProviderError::RestoreConflict(req.path.clone()));
            }
            other => other.map_err(|e| io_err(&dest, e))?,
        }
        if let Some(parent) = dest.parent() {
            root.prune_empty_dirs(parent, &self.trash_root());
        }
        Ok(())
    }

    async fn purge(&self, _req: &TrashRequest, location: &str) -> Result<(), ProviderError> {
        let dest = paths::path_for(&ItemId::from_str_unchecked(location));
        if !dest.starts_with(self.trash_root()) {
            return Err(ProviderError::Outside(dest.display().to_string()));
        }
        let root = self.confined()?;
        match root.remove_file(&dest) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err(&dest, e)),
        }
        if let Some(parent) = dest.parent() {
            root.prune_empty_dirs(parent, &self.trash_root());
        }
        Ok(())
    }
}
