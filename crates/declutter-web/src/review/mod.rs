//! Reviewing duplicates: filtered, sorted pages of groups and the folder tree with what each
//! folder would free, read through the engine's store and reused while the owner's groups stay
//! the same ([`cache`]). Handlers reach it through [`Review`], a narrow handle taken from the
//! app state with `FromRef`.

pub mod cache;
pub mod picks;
pub mod query;

use std::sync::Arc;

use declutter_core::db::DbError;
use declutter_core::ids::UserId;
use declutter_core::store::folders::{self, FolderTree};
use declutter_core::store::groups::{self, Confidence};
use declutter_core::store::review::{self, Filter};
use platform_db::sql::{AnyPool, Db};
use serde::Serialize;

use crate::error::ApiError;
use crate::pages::{FileView, human};
use cache::VersionCache;
pub use query::{DupesQuery, Selection};

/// Groups per page.
pub const PAGE_SIZE: usize = 20;

/// One group.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GroupView {
    /// Group id.
    pub id: i64,
    /// `exact` (same content hash) or `probable` (same size and name; never acted on).
    pub confidence: &'static str,
    /// Size of each copy.
    pub size: u64,
    /// Bytes freed by keeping one copy.
    pub reclaimable: u64,
    /// Human form of `reclaimable`.
    pub reclaimable_text: String,
    /// The copies.
    pub files: Vec<FileView>,
    /// Thumbnail of the group: the first copy's, for exact groups of images.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thumbnail: Option<String>,
}

/// One page of groups.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DupesView {
    /// This page (1-based).
    pub page: usize,
    /// Number of pages (at least 1).
    pub pages: usize,
    /// Groups passing the filter.
    pub total_groups: usize,
    /// Bytes reclaimable over all exact groups (unfiltered).
    pub reclaimable_bytes: u64,
    /// Probable groups (same size and name on different providers, unfiltered): a
    /// verification (`POST /api/dupes/verify`) confirms or rejects them.
    pub probable_groups: u64,
    /// The groups of this page.
    pub groups: Vec<GroupView>,
    /// The owner's duplicates view version this page was read at; the page's plan form sends
    /// it back so picks made on a page the duplicates changed under are refused. Not part of
    /// the API's answer: `POST /api/plans` takes no picks.
    #[serde(skip)]
    pub version: i64,
    /// The page as the API sends it: serialized at its first request, then sent as it is
    /// while the page stays cached (a cached page never changes; a write makes a new one).
    #[serde(skip)]
    #[schema(ignore)]
    json: std::sync::OnceLock<axum::body::Bytes>,
    /// The page's groups as the HTML page shows them, rendered at its first request (they
    /// hold nothing of the session: the page's form token is outside them).
    #[serde(skip)]
    #[schema(ignore)]
    html: std::sync::OnceLock<std::sync::Arc<str>>,
}

impl DupesView {
    /// The page as JSON, serialized once.
    pub fn json(&self) -> Result<axum::body::Bytes, serde_json::Error> {
        made_once(&self.json, || {
            serde_json::to_vec(self).map(axum::body::Bytes::from)
        })
    }

    /// The groups' HTML that `render` makes of this page, made once (the page's first
    /// request); later requests for the cached page get the same text.
    pub fn groups_html<E>(
        &self,
        render: impl FnOnce(&Self) -> Result<String, E>,
    ) -> Result<std::sync::Arc<str>, E> {
        made_once(&self.html, || render(self).map(std::sync::Arc::from))
    }
}

/// What `cell` holds, made by `make` the first time (a failure is not kept: the next call
/// makes it again). Two first callers may both make it; one result is kept and both get it.
fn made_once<T: Clone, E>(
    cell: &std::sync::OnceLock<T>,
    make: impl FnOnce() -> Result<T, E>,
) -> Result<T, E> {
    if let Some(done) = cell.get() {
        return Ok(done.clone());
    }
    let made = make()?;
    Ok(cell.get_or_init(|| made).clone())
}

/// The folder tree of the owner's duplicates, and the sources they are in.
#[derive(Debug, Default)]
pub struct Folders {
    /// Every folder holding duplicate copies.
    pub tree: FolderTree,
    /// The keep-folder picker's folders: those holding the most copies, by path.
    pub picker: Vec<String>,
}

/// Folders offered in the keep-folder picker.
const PICKER_FOLDERS: usize = 200;

impl Folders {
    fn new(tree: FolderTree) -> Self {
        let mut top: Vec<(&String, u64)> =
            tree.folders.iter().map(|(p, s)| (p, s.copies)).collect();
        top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let mut picker: Vec<String> = top
            .into_iter()
            .take(PICKER_FOLDERS)
            .map(|(p, _)| p.clone())
            .collect();
        picker.sort();
        Self { tree, picker }
    }
}

/// What the review handlers need: the database and the caches, nothing else of the state.
#[derive(Debug, Clone)]
pub struct Review {
    pool: AnyPool,
    caches: Arc<Caches>,
}

/// Reused pages and folder trees, and the group counts of plans (fixed when a plan is made:
/// edits and applies change actions and states, never which groups a plan holds).
#[derive(Debug)]
pub struct Caches {
    pages: VersionCache<DupesView>,
    folders: VersionCache<Folders>,
    /// (plan id, created at) → groups.
    pub plan_groups: quick_cache::sync::Cache<(i64, i64), u64>,
}

impl Default for Caches {
    fn default() -> Self {
        Self {
            // Each page holds at most 20 groups' file views.
            pages: VersionCache::new(512),
            // A tree per owner and filter: a path per folder holding duplicates.
            folders: VersionCache::new(128),
            plan_groups: quick_cache::sync::Cache::new(1024),
        }
    }
}

/// What one read gave: a result still current in the cache, or fresh rows at a version.
enum Read<C, F> {
    Cached(Arc<C>),
    Fresh(i64, F),
}

type Fresh = (
    String,
    groups::Summary,
    usize,
    usize,
    Vec<groups::Group>,
    u64,
);

impl Review {
    /// A handle on `pool` that reuses pages and trees through `caches`.
    pub fn new(pool: AnyPool, caches: Arc<Caches>) -> Self {
        Self { pool, caches }
    }

    /// One page of `owner`'s groups as `sel` asks (the page clamped to the last one).
    pub async fn page(&self, owner: UserId, sel: &Selection) -> Result<Arc<DupesView>, ApiError> {
        let key: Arc<str> = Arc::from(owner.as_str());
        let caches = Arc::clone(&self.caches);
        let (read_key, sel) = (Arc::clone(&key), sel.clone());
        let read = self
            .pool
            .read(move |c| -> Result<_, DbError> {
                let at = At::read(c, &caches, &read_key, &owner)?;
                read_page(c, &at, &sel)
            })
            .await??;
        Ok(self.keep_page(key, read))
    }

    /// The folder tree of `owner`'s duplicates that pass `filter` (every duplicate for the
    /// default filter), so a folder's numbers add up to what the list shows for that filter.
    pub async fn folders(&self, owner: UserId, filter: &Filter) -> Result<Arc<Folders>, ApiError> {
        let key: Arc<str> = Arc::from(owner.as_str());
        let caches = Arc::clone(&self.caches);
        let (read_key, filter) = (Arc::clone(&key), filter.clone());
        let cache_key = tree_key(&filter);
        let read_cache_key = cache_key.clone();
        let read = self
            .pool
            .read(move |c| -> Result<_, DbError> {
                let at = At::read(c, &caches, &read_key, &owner)?;
                read_tree(c, &at, &filter, &read_cache_key)
            })
            .await??;
        Ok(self.keep_tree(key, cache_key, read))
    }

    /// [`Self::page`] and [`Self::folders`] read at one version, in one visit to the database
    /// (the duplicates page shows both).
    pub async fn page_and_folders(
        &self,
        owner: UserId,
        sel: &Selection,
        filter: &Filter,
    ) -> Result<(Arc<DupesView>, Arc<Folders>), ApiError> {
        let key: Arc<str> = Arc::from(owner.as_str());
        let caches = Arc::clone(&self.caches);
        let (read_key, sel, filter) = (Arc::clone(&key), sel.clone(), filter.clone());
        let cache_key = tree_key(&filter);
        let read_cache_key = cache_key.clone();
        let (page, tree) = self
            .pool
            .read(move |c| -> Result<_, DbError> {
                let at = At::read(c, &caches, &read_key, &owner)?;
                Ok((
                    read_page(c, &at, &sel)?,
                    read_tree(c, &at, &filter, &read_cache_key)?,
                ))
            })
            .await??;
        Ok((
            self.keep_page(Arc::clone(&key), page),
            self.keep_tree(key, cache_key, tree),
        ))
    }

    /// The page read: the cached one, or one made from fresh rows and kept.
    fn keep_page(&self, key: Arc<str>, read: Read<DupesView, Fresh>) -> Arc<DupesView> {
        let (version, (cache_key, summary, total, page_no, rows, probable)) = match read {
            Read::Cached(view) => return view,
            Read::Fresh(v, f) => (v, f),
        };
        let view = Arc::new(DupesView {
            page: page_no,
            pages: total.div_ceil(PAGE_SIZE).max(1),
            total_groups: total,
            reclaimable_bytes: summary.reclaimable_bytes,
            probable_groups: probable,
            groups: rows.iter().map(group_view).collect(),
            version,
            json: std::sync::OnceLock::new(),
            html: std::sync::OnceLock::new(),
        });
        self.caches
            .pages
            .put(key, cache_key, version, Arc::clone(&view));
        view
    }

    /// The tree read: the cached one, or one made from a fresh tree and kept.
    fn keep_tree(
        &self,
        key: Arc<str>,
        cache_key: String,
        read: Read<Folders, FolderTree>,
    ) -> Arc<Folders> {
        match read {
            Read::Cached(f) => f,
            Read::Fresh(version, tree) => {
                let f = Arc::new(Folders::new(tree));
                self.caches
                    .folders
                    .put(key, cache_key, version, Arc::clone(&f));
                f
            }
        }
    }
}

/// The cache key of the tree for `filter`: its canonical query (equal filters share one tree).
fn tree_key(filter: &Filter) -> String {
    Selection {
        filter: filter.clone(),
        ..Selection::default()
    }
    .query()
}

/// Whose results a read is for, the caches that may hold them, and the owner's view version
/// read before any data (a write in between can only make a cached result look older than it
/// is, a later miss, never newer).
struct At<'a> {
    caches: &'a Caches,
    key: &'a Arc<str>,
    owner: &'a UserId,
    version: i64,
}

impl<'a> At<'a> {
    /// Reads `owner`'s version now.
    fn read(
        c: &dyn Db,
        caches: &'a Caches,
        key: &'a Arc<str>,
        owner: &'a UserId,
    ) -> Result<Self, DbError> {
        let version = groups::view_version(c, owner)?;
        Ok(Self {
            caches,
            key,
            owner,
            version,
        })
    }
}

/// The page `sel` asks for at `at`'s version: the cached page made at that version, or the
/// rows to make it.
fn read_page(c: &dyn Db, at: &At<'_>, sel: &Selection) -> Result<Read<DupesView, Fresh>, DbError> {
    let (owner, version) = (at.owner, at.version);
    // The page asked for, when rendered at this version: no count, no query.
    let asked = format!("{}&page={}", sel.query(), sel.page);
    if let Some(view) = at.caches.pages.get(at.key, &asked, version) {
        return Ok(Read::Cached(view));
    }
    let summary = groups::summary(c, owner)?;
    // The unfiltered count is the trigger-kept summary; a filter counts its groups.
    let total = if sel.filter.is_empty() {
        summary.group_count
    } else {
        review::count(c, owner, &sel.filter)?
    };
    let total = usize::try_from(total).unwrap_or(usize::MAX);
    let page_no = sel.page.clamp(1, total.div_ceil(PAGE_SIZE).max(1));
    let cache_key = format!("{}&page={page_no}", sel.query());
    if let Some(view) = at.caches.pages.get(at.key, &cache_key, version) {
        return Ok(Read::Cached(view));
    }
    let offset = ((page_no - 1) * PAGE_SIZE) as u64;
    let rows = review::page(c, owner, &sel.filter, sel.sort, offset, PAGE_SIZE as u64)?;
    let probable = groups::probable_count(c, owner)?;
    Ok(Read::Fresh(
        version,
        (cache_key, summary, total, page_no, rows, probable),
    ))
}

/// The folder tree for `filter` (cached under `cache_key`) at `at`'s version: the cached one,
/// or a fresh tree.
fn read_tree(
    c: &dyn Db,
    at: &At<'_>,
    filter: &Filter,
    cache_key: &str,
) -> Result<Read<Folders, FolderTree>, DbError> {
    if let Some(f) = at.caches.folders.get(at.key, cache_key, at.version) {
        return Ok(Read::Cached(f));
    }
    Ok(Read::Fresh(at.version, folders::tree(c, at.owner, filter)?))
}

fn group_view(g: &groups::Group) -> GroupView {
    let files: Vec<FileView> = g.files.iter().map(FileView::of_row).collect();
    GroupView {
        id: g.id,
        confidence: match g.confidence {
            Confidence::Exact => "exact",
            Confidence::Probable => "probable",
        },
        size: g.size,
        reclaimable: g.wasted(),
        reclaimable_text: human(g.wasted()),
        thumbnail: match g.confidence {
            Confidence::Exact => files.iter().find_map(|f| f.thumbnail.clone()),
            Confidence::Probable => None,
        },
        files,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A page of no groups, made nothing of yet.
    fn view(total_groups: usize) -> DupesView {
        DupesView {
            page: 2,
            pages: 3,
            total_groups,
            reclaimable_bytes: 7,
            probable_groups: 1,
            groups: Vec::new(),
            version: 9,
            json: std::sync::OnceLock::new(),
            html: std::sync::OnceLock::new(),
        }
    }

    #[test]
    fn a_cached_page_is_serialized_once_and_as_serde_would() -> Result<(), serde_json::Error> {
        let view = view(41);
        let first = view.json()?;
        assert_eq!(&first[..], &serde_json::to_vec(&view)?[..]);
        let again = view.json()?;
        assert_eq!(
            first.as_ptr(),
            again.as_ptr(),
            "the same bytes, not serialized again"
        );
        let sent: serde_json::Value = serde_json::from_slice(&again)?;
        assert_eq!(sent["total_groups"], 41);
        assert!(sent.get("version").is_none() && sent.get("json").is_none());
        assert!(sent.get("html").is_none());
        Ok(())
    }

    #[test]
    fn a_cached_pages_groups_are_rendered_once() -> Result<(), std::fmt::Error> {
        let page = view(0);
        let renders = std::cell::Cell::new(0);
        let render = |v: &DupesView| {
            renders.set(renders.get() + 1);
            Ok::<_, std::fmt::Error>(format!("<p>{} groups</p>", v.total_groups))
        };
        let first = page.groups_html(render)?;
        let again = page.groups_html(render)?;
        assert_eq!(&*first, "<p>0 groups</p>");
        assert!(std::sync::Arc::ptr_eq(&first, &again), "the same text");
        assert_eq!(renders.get(), 1, "rendered once");
        // A failed render is not kept: the next request renders again.
        let fresh = view(0);
        assert!(fresh.groups_html(|_| Err(std::fmt::Error)).is_err());
        assert_eq!(&*fresh.groups_html(render)?, "<p>0 groups</p>");
        Ok(())
    }
}
