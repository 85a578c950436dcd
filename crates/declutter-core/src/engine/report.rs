//! Clutter reports: largest files, files untouched for a long time, empty files and folders,
//! temporary files.

use std::collections::HashSet;

use platform_db::sql::Db;

use super::EngineError;
use crate::db::now;
use crate::ids::UserId;
use crate::store::files::{self, FileRow};

/// Report settings.
#[derive(Debug, Clone, Copy)]
pub struct ReportOptions {
    /// How many of the largest files to list.
    pub top: usize,
    /// Files not modified for this many days are "untouched".
    pub untouched_days: u32,
}

impl Default for ReportOptions {
    fn default() -> Self {
        Self {
            top: 20,
            untouched_days: 365,
        }
    }
}

/// A clutter report.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Report {
    /// Largest files, biggest first.
    pub largest: Vec<FileRow>,
    /// Files not modified for the configured days, oldest first.
    pub untouched: Vec<FileRow>,
    /// Zero-byte files.
    pub empty_files: Vec<FileRow>,
    /// Folders with nothing in them.
    pub empty_folders: Vec<FileRow>,
    /// Temporary and junk files.
    pub temporary: Vec<FileRow>,
}

/// True for names editors, browsers and operating systems leave behind.
pub fn is_temporary(name: &str) -> bool {
    let lower = name.to_lowercase();
    const EXACT: [&str; 3] = [".ds_store", "thumbs.db", "desktop.ini"];
    const SUFFIXES: [&str; 7] = [
        ".tmp",
        ".temp",
        ".swp",
        ".part",
        ".crdownload",
        ".partial",
        "~",
    ];
    EXACT.contains(&lower.as_str())
        || SUFFIXES.iter().any(|s| lower.ends_with(s))
        || lower.starts_with("~$")
        || lower.starts_with(".~lock.")
}

/// Builds the owner's clutter report from the index.
pub fn build(conn: &dyn Db, user: &UserId, options: ReportOptions) -> Result<Report, EngineError> {
    let all = files::all(conn, user, None)?;
    let cutoff_ns =
        (now() - i64::from(options.untouched_days) * 86_400).saturating_mul(1_000_000_000);
    let parents: HashSet<(&str, &str)> = all
        .iter()
        .filter_map(|f| f.parent_id.as_deref().map(|p| (f.source.as_str(), p)))
        .collect();
    let mut report = Report::default();
    let (dirs, regular): (Vec<&FileRow>, Vec<&FileRow>) = all.iter().partition(|f| f.is_dir);
    report.empty_folders = dirs
        .into_iter()
        .filter(|d| !parents.contains(&(d.source.as_str(), d.item_id.as_str())))
        .cloned()
        .collect();
    let mut by_size: Vec<&FileRow> = regular.clone();
    by_size.sort_by(|a, b| b.size.cmp(&a.size).then(a.path.cmp(&b.path)));
    report.largest = by_size.into_iter().take(options.top).cloned().collect();
    let mut old: Vec<&FileRow> = regular
        .iter()
        .copied()
        .filter(|f| f.modified_ns > 0 && f.modified_ns < cutoff_ns)
        .collect();
    old.sort_by_key(|f| f.modified_ns);
    report.untouched = old.into_iter().cloned().collect();
    report.empty_files = regular
        .iter()
        .filter(|f| f.size == 0 && f.comparable)
        .map(|f| (*f).clone())
        .collect();
    report.temporary = regular
        .iter()
        .filter(|f| is_temporary(&f.name))
        .map(|f| (*f).clone())
        .collect();
    Ok(report)
}
