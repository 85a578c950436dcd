//! Pages over the engine: sources, scan progress, duplicates, plans, trash, clutter report.
//! Views hold display-ready strings so the templates stay logic-free (and auto-escaped).

use askama::Template;
use serde::Serialize;

use crate::db::sources::LocalSource;
use crate::views::Layout;

/// `1.5 MB`-style sizes (powers of 1000, as file managers show them).
pub fn human(bytes: u64) -> String {
    // Binary (IEC) units, as the CLI shows them.
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = bytes as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// [`human`] for templates, whose loop variables are references.
pub fn human_of(bytes: &u64) -> String {
    human(*bytes)
}

/// A file as listed on a page or in the API.
#[derive(Debug, Clone, Serialize)]
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
        .then(|| crate::handlers::files::thumbnail_url(f.id, f.modified_ns));
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
}

/// Scan progress.
#[derive(Template)]
#[template(path = "scan.html")]
pub struct ScanPage {
    /// Frame.
    pub layout: Layout,
    /// The job as JSON-able status.
    pub status: crate::handlers::scans::ScanStatus,
}

/// Duplicate groups, one page.
#[derive(Template)]
#[template(path = "dupes.html")]
pub struct DupesPage {
    /// Frame.
    pub layout: Layout,
    /// The page.
    pub dupes: std::sync::Arc<crate::handlers::dupes::DupesView>,
    /// Human bytes reclaimable.
    pub reclaimable: String,
}

/// Plan preview.
#[derive(Template)]
#[template(path = "plan.html")]
pub struct PlanPage {
    /// Frame.
    pub layout: Layout,
    /// The plan.
    pub plan: crate::handlers::plans::PlanView,
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
    pub entries: Vec<crate::handlers::trash::TrashView>,
    /// The whole trash in numbers.
    pub summary: crate::handlers::trash::TrashSummary,
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
    pub job: crate::handlers::jobs::JobDisplay,
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

#[cfg(test)]
mod tests {
    #[test]
    fn human_sizes() {
        assert_eq!(super::human(0), "0 B");
        assert_eq!(super::human(999), "999 B");
        assert_eq!(super::human(1500), "1.5 KiB");
        assert_eq!(super::human(2_000_000_000), "1.9 GiB");
    }
}
