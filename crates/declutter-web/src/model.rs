//! What the API answers and the pages render alike: the views of plans, the trash, scans and
//! usage, and the form of an added source. Handlers build them, `pages` and `views` show them;
//! nothing here reads the state or the database.

use serde::{Deserialize, Serialize};

use crate::db::scan_jobs::{Job, ScanProgress};
use crate::pages::{FileView, human};
use declutter_core::store::jobs::{Job as CleanupJob, JobKind};
use declutter_core::store::trash::{PlanInTrash, TrashEntry};
use serde_json::Value;

/// One planned file.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlanItemView {
    /// Plan item id (what an edit names).
    pub id: i64,
    /// `keep` or `remove`.
    #[schema(pattern = "^(keep|remove)$")]
    pub action: &'static str,
    /// The file.
    #[serde(flatten)]
    pub file: FileView,
    /// `pending`, `started`, `done` or `skipped`.
    pub state: String,
    /// Why it was skipped.
    pub reason: Option<String>,
}

/// A plan and its items.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlanView {
    /// Plan id.
    pub id: i64,
    /// The rules, as text.
    pub rules: String,
    /// `draft`, `applying` or `applied`.
    pub status: String,
    /// Files to remove.
    pub remove_count: u64,
    /// Bytes the plan frees.
    pub bytes_reclaimed: u64,
    /// Duplicate groups in the plan.
    pub group_count: u64,
    /// This page of groups (1-based).
    pub page: usize,
    /// Pages of groups (at least 1).
    pub pages: usize,
    /// The items of this page's groups, group by group, kept copies first.
    pub items: Vec<PlanItemView>,
}

/// One trashed file.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TrashView {
    /// Entry id.
    pub id: i64,
    /// Where it was.
    pub original_path: String,
    /// Bytes.
    pub size: u64,
    /// Human size.
    pub size_text: String,
    /// Trashed at (unix seconds).
    pub trashed_at: i64,
    /// Purgeable from (unix seconds).
    pub expires_at: i64,
    /// Whole days left before it may be purged (0 when due).
    pub days_left: i64,
}

impl TrashView {
    /// From a trash entry, with the days left as of `now` (unix seconds).
    pub fn of(e: TrashEntry, now: i64) -> Self {
        Self {
            id: e.id,
            size_text: human(e.size),
            original_path: e.original_path,
            size: e.size,
            trashed_at: e.trashed_at,
            expires_at: e.expires_at,
            days_left: ((e.expires_at - now).max(0) + 86_399) / 86_400,
        }
    }
}

/// The whole trash in numbers.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TrashSummary {
    /// Entries in the trash.
    pub count: u64,
    /// Bytes they hold (freed only when purged).
    pub bytes: u64,
    /// Human bytes.
    pub bytes_text: String,
    /// Plans with files in the trash, newest first.
    pub plans: Vec<PlanInTrash>,
}

/// A job and, while it runs, its live progress.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ScanStatus {
    /// The stored job.
    #[serde(flatten)]
    pub job: Job,
    /// Progress while running, as the worker last wrote it.
    pub progress: Option<ScanProgress>,
}

impl ScanStatus {
    /// Whether the page should keep refreshing: queued or running.
    pub fn running(&self) -> bool {
        matches!(self.job.state.as_str(), "queued" | "running")
    }
}

/// Body of an admin's "add a folder".
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct AddSource {
    /// The account that will own the source.
    pub user_id: String,
    /// Absolute folder path inside an allowed root.
    pub path: String,
}

/// One labelled amount, with its bar length for the server-rendered chart.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Bar {
    /// Label.
    pub label: String,
    /// Files.
    pub files: u64,
    /// Bytes.
    pub bytes: u64,
    /// Human bytes.
    pub bytes_text: String,
    /// Bar length, 0 to 300 (SVG units).
    pub width: u64,
}

/// The caller's usage.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Usage {
    /// Per scanned source.
    pub sources: Vec<Bar>,
    /// Per kind of file.
    pub by_type: Vec<Bar>,
    /// Unique content vs. reclaimable duplicate copies.
    pub duplicates: Vec<Bar>,
    /// Duplicate groups.
    pub groups: usize,
    /// Bytes reclaimable.
    pub reclaimable: u64,
}

/// The thumbnail URL of file `id` as indexed with `modified_ns`.
pub fn thumbnail_url(id: i64, modified_ns: i64) -> String {
    format!("/api/files/{id}/thumbnail?v={modified_ns}")
}

/// Most skipped files or conflicts listed on the page (the API has them all).
const LISTED: usize = 50;

/// What the page shows of a job.
#[derive(Debug, Clone)]
pub struct JobDisplay {
    /// The stored job.
    pub job: CleanupJob,
    /// The heading: `Applying plan 3`, `Restoring plan 3`, `Emptying the trash`.
    pub title: String,
    /// What the bytes counter counts: `Moved`, or `Freed` for a purge.
    pub bytes_label: &'static str,
    /// Done out of total, 0–100.
    pub percent: u64,
    /// Bytes moved so far, for people.
    pub bytes_text: String,
    /// Files skipped or refused, with the reason (at most [`LISTED`]).
    pub skipped: Vec<(String, String)>,
    /// Original paths where something exists now (restore), or of files someone took out of
    /// the trash before the purge reached them (purge); at most [`LISTED`].
    pub conflicts: Vec<String>,
    /// Files moved by the run (trashed or restored), or downloaded and hashed (verify).
    pub moved: u64,
    /// What a verification found.
    pub verified: Option<Verified>,
}

/// What a verification found, for its job page.
#[derive(Debug, Clone, Copy)]
pub struct Verified {
    /// Checked files now in an exact group.
    pub confirmed: u64,
    /// Checked files whose contents differ from the others'.
    pub rejected: u64,
    /// Files above the size cap, left probable.
    pub too_large: u64,
}

impl JobDisplay {
    /// From the stored job and its summary.
    pub fn of(job: CleanupJob) -> Self {
        let summary = job.summary.clone().unwrap_or(Value::Null);
        let pairs = |key: &str| -> Vec<(String, String)> {
            summary[key]
                .as_array()
                .into_iter()
                .flatten()
                .take(LISTED)
                .filter_map(|p| Some((p[0].as_str()?.to_owned(), p[1].as_str()?.to_owned())))
                .collect()
        };
        let issues = || -> Vec<(String, String)> {
            summary["issues"]
                .as_array()
                .into_iter()
                .flatten()
                .take(LISTED)
                .filter_map(|i| {
                    Some((
                        i["path"].as_str()?.to_owned(),
                        i["message"].as_str()?.to_owned(),
                    ))
                })
                .collect()
        };
        let (skipped, moved) = match job.kind {
            JobKind::Apply => (pairs("skipped"), summary["trashed"].as_u64()),
            JobKind::Restore => (pairs("failed"), summary["restored"].as_u64()),
            JobKind::Purge => (pairs("failed"), summary["purged"].as_u64()),
            JobKind::Verify => (issues(), summary["checked"].as_u64()),
        };
        let verified = (job.kind == JobKind::Verify).then(|| Verified {
            confirmed: summary["confirmed"].as_u64().unwrap_or(0),
            rejected: summary["rejected"].as_u64().unwrap_or(0),
            too_large: summary["too_large"].as_u64().unwrap_or(0),
        });
        let plan = job
            .plan_id
            .map(|p| format!(" plan {p}"))
            .unwrap_or_default();
        Self {
            title: match job.kind {
                JobKind::Apply => format!("Applying{plan}"),
                JobKind::Restore => format!("Restoring{plan}"),
                JobKind::Purge => "Emptying the trash".into(),
                JobKind::Verify => "Verifying likely matches".into(),
            },
            bytes_label: match job.kind {
                JobKind::Purge => "Freed",
                JobKind::Verify => "Downloaded",
                JobKind::Apply | JobKind::Restore => "Moved",
            },
            verified,
            percent: (job.done * 100)
                .checked_div(job.total)
                .unwrap_or(0)
                .min(100),
            bytes_text: human(job.bytes),
            conflicts: summary[if job.kind == JobKind::Purge {
                "put_back"
            } else {
                "conflicts"
            }]
            .as_array()
            .into_iter()
            .flatten()
            .take(LISTED)
            .filter_map(|c| c.as_str().map(str::to_owned))
            .collect(),
            skipped,
            moved: moved.unwrap_or(0),
            job,
        }
    }

    /// Whether the page should keep refreshing: queued or running.
    pub fn running(&self) -> bool {
        matches!(self.job.state.as_str(), "queued" | "running")
    }
}
