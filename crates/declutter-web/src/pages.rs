//! Pages over the engine: sources, scan progress, duplicates, plans, trash, clutter report.
//! Views hold display-ready strings so the templates stay logic-free (and auto-escaped).

use askama::Template;
use serde::Serialize;

use crate::db::sources::LocalSource;
use crate::views::Layout;

pub use declutter_core::units::human_bytes as human;

/// [`human`] for templates, whose loop variables are references.
pub fn human_of(bytes: &u64) -> String {
    human(*bytes)
}

/// A file as listed on a page or in the API.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FileView {
    /// Display path.
    pub path: String,
    /// Bytes.
    pub size: u64,
    /// Human size.
    pub size_text: String,
    /// Last modified (unix seconds).
    pub modified: i64,
    /// The file's id in the index, where the view names one file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    /// URL of a thumbnail (JPEG, PNG, GIF and WebP files, local or in a connected drive).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thumbnail: Option<String>,
}

impl FileView {
    /// From an indexed row.
    pub fn of(path: &str, size: u64, modified_ns: i64) -> Self {
        Self {
            path: path.to_owned(),
            size,
            size_text: human(size),
            modified: modified_ns.div_euclid(1_000_000_000),
            id: None,
            thumbnail: None,
        }
    }

    /// From a row of the file index, with its id and, for images, a thumbnail URL.
    pub fn of_row(f: &declutter_core::store::files::FileRow) -> Self {
        let thumbnail = (matches!(f.provider.as_str(), "local" | "onedrive" | "gdrive")
            && !f.is_dir
            && crate::thumbnail::is_image(&f.name, f.mime.as_deref()))
        .then(|| crate::model::thumbnail_url(f.id, f.modified_ns));
        Self {
            id: Some(f.id),
            thumbnail,
            ..Self::of(&f.path, f.size, f.modified_ns)
        }
    }
}

/// Admin: local sources.
#[derive(Template)]
#[template(path = "admin_sources.html")]
pub struct AdminSourcesPage {
    /// Frame.
    pub layout: Layout,
    /// Configured roots.
    pub roots: Vec<String>,
    /// Every source with its owner's email.
    pub sources: Vec<(LocalSource, String)>,
    /// Accounts to assign to: (id, email).
    pub users: Vec<(String, String)>,
    /// Why the last add was refused.
    pub error: Option<String>,
    /// What was typed into the form (kept when an add is refused).
    pub typed: crate::model::AddSource,
}

/// The caller's sources.
#[derive(Template)]
#[template(path = "sources.html")]
pub struct SourcesPage {
    /// Frame.
    pub layout: Layout,
    /// Sources.
    pub sources: Vec<LocalSource>,
    /// Connected cloud drives: (connection id, human name).
    pub drives: Vec<(i64, &'static str)>,
    /// Cloud drives that can be connected here (none: no OAuth client is configured).
    pub clouds: Vec<&'static str>,
}

/// Scan progress.
#[derive(Template)]
#[template(path = "scan.html")]
pub struct ScanPage {
    /// Frame.
    pub layout: Layout,
    /// The job as JSON-able status.
    pub status: crate::model::ScanStatus,
}

/// One option of a `<select>`.
#[derive(Debug, Clone)]
pub struct Choice {
    /// Submitted value.
    pub value: String,
    /// What the person reads.
    pub label: String,
    /// Currently chosen.
    pub selected: bool,
}

/// Duplicate groups, one page of a filtered, sorted selection.
#[derive(Template)]
#[template(path = "dupes.html")]
pub struct DupesPage {
    /// Frame.
    pub layout: Layout,
    /// The page.
    pub dupes: std::sync::Arc<crate::review::DupesView>,
    /// Its groups, rendered once per cached page ([`DupesGroups`]).
    pub groups: std::sync::Arc<str>,
    /// What was asked for.
    pub sel: crate::review::Selection,
    /// Human bytes reclaimable.
    pub reclaimable: String,
    /// Link to the previous page.
    pub prev: Option<String>,
    /// Link to the next page.
    pub next: Option<String>,
    /// Type filter options.
    pub kinds: Vec<Choice>,
    /// Sort options.
    pub sorts: Vec<Choice>,
    /// Minimum size options.
    pub sizes: Vec<Choice>,
    /// Source options.
    pub sources: Vec<Choice>,
    /// The keep-folder picker (indexed folders only).
    pub keep_options: Vec<Choice>,
    /// The query without the folder filter.
    pub clear_folder: String,
    /// The query without the keep folder.
    pub clear_keep: String,
    /// The search text.
    pub search: String,
}

/// The groups of a duplicates page: the same for every request of a cached page, so rendered
/// once ([`crate::review::DupesView::groups_html`]).
#[derive(Template)]
#[template(path = "dupes_groups.html")]
pub struct DupesGroups<'a> {
    /// The page.
    pub dupes: &'a crate::review::DupesView,
}

/// One folder of the folder view.
#[derive(Debug, Clone)]
pub struct FolderRow {
    /// Path.
    pub path: String,
    /// Duplicate copies below it.
    pub copies: u64,
    /// Human bytes freed by removing its copies.
    pub reclaimable: String,
    /// Link to its subfolders, when it has some holding duplicates.
    pub open: Option<String>,
    /// Link to the duplicates view filtered to it.
    pub show: String,
    /// Link to the duplicates view with it as the keep folder.
    pub keep: String,
    /// It is the keep folder.
    pub is_keep: bool,
    /// It is the folder being cleaned up.
    pub is_clean: bool,
}

/// Where the duplicates are.
#[derive(Template)]
#[template(path = "folders.html")]
pub struct FoldersPage {
    /// Frame.
    pub layout: Layout,
    /// The folder shown (`None`: the top).
    pub parent: Option<String>,
    /// Link one level up.
    pub up: Option<String>,
    /// Its subfolders holding duplicates.
    pub rows: Vec<FolderRow>,
    /// The duplicates view with the current choices.
    pub back: String,
    /// The current choices.
    pub sel: crate::review::Selection,
}

/// One group of a plan: the copies that stay, then the copies that go.
#[derive(Debug, Clone)]
pub struct PlanGroupView {
    /// Position in the plan (1-based), the anchor of the group.
    pub number: usize,
    /// The first copy's name.
    pub name: String,
    /// Human size of one copy.
    pub size_text: String,
    /// Copies that stay.
    pub keep: Vec<crate::model::PlanItemView>,
    /// Copies that go to the trash.
    pub remove: Vec<crate::model::PlanItemView>,
}

impl PlanGroupView {
    /// From a group's items.
    pub fn of(number: usize, items: Vec<crate::model::PlanItemView>) -> Self {
        let name = items
            .first()
            .map(|i| i.file.path.rsplit('/').next().unwrap_or("").to_owned())
            .unwrap_or_default();
        let size_text = items
            .first()
            .map(|i| i.file.size_text.clone())
            .unwrap_or_default();
        let (keep, remove) = items.into_iter().partition(|i| i.action == "keep");
        Self {
            number,
            name,
            size_text,
            keep,
            remove,
        }
    }
}

/// Plan preview.
#[derive(Template)]
#[template(path = "plan.html")]
pub struct PlanPage {
    /// Frame.
    pub layout: Layout,
    /// The plan (this page's items).
    pub plan: crate::model::PlanView,
    /// This page's groups.
    pub groups: Vec<PlanGroupView>,
    /// Link to the previous page.
    pub prev: Option<String>,
    /// Link to the next page.
    pub next: Option<String>,
    /// A draft: copies can still be switched.
    pub editable: bool,
    /// Human bytes reclaimed.
    pub reclaimed: String,
    /// Cloud providers whose connection is read-only (the "Allow changes" buttons).
    pub needs_write: Vec<String>,
}

/// Trash bin.
#[derive(Template)]
#[template(path = "trash.html")]
pub struct TrashPage {
    /// Frame.
    pub layout: Layout,
    /// Entries of this page.
    pub entries: Vec<crate::model::TrashView>,
    /// The whole trash in numbers.
    pub summary: crate::model::TrashSummary,
    /// This page, from 1.
    pub page: u64,
    /// Pages in all (at least 1).
    pub pages: u64,
    /// Message after an action.
    pub notice: Option<String>,
}

/// A clean-up job: live progress, then its summary.
#[derive(Template)]
#[template(path = "job.html")]
pub struct JobPage {
    /// Frame.
    pub layout: Layout,
    /// The job.
    pub job: crate::model::JobDisplay,
}

/// Clutter report.
#[derive(Template)]
#[template(path = "report.html")]
pub struct ReportPage {
    /// Frame.
    pub layout: Layout,
    /// Sections: (title, hint, files).
    pub sections: Vec<(&'static str, &'static str, Vec<FileView>)>,
}
