//! Google Drive v3.
//!
//! A full scan takes a changes start token first (so nothing changing during the listing is
//! missed), then pages `files.list` with `pageSize=1000` and a minimal field mask; rescans read
//! `changes.list` from the stored token. Google-native documents have no checksum and are
//! indexed as not comparable (shortcuts too: they are Google-native). Trash, restore and purge
//! use Drive's own trash (`trashed: true/false`, `DELETE`); Drive empties its trash after 30
//! days, so that is the longest restore we promise for Drive items.
//!
//! Shared drives are included (`supportsAllDrives`, `includeItemsFromAllDrives`,
//! `corpora=allDrives`). A file the user's role does not let them trash
//! (`capabilities.canTrash: false`: not the owner in My Drive, not an organizer of a shared
//! drive) is reported as not owned, so no plan removes it. `changeType: "drive"` changes
//! concern a shared drive itself and carry no file: they are skipped.

pub mod model;

use std::sync::{Arc, Mutex, PoisonError};

use serde_json::json;

use crate::cloud::{HttpClient, HttpError, RetryPolicy, TokenSource, rfc3339_ns};
use crate::hash::{ContentHash, HashKind};
use crate::ids::{ItemId, ProviderKind};
use crate::provider::{
    Change, Item, ListingEnd, Page, PageSink, ProviderError, ScanIssue, StorageProvider,
    TrashRequest, Whereabouts,
};
use model::{ChangeList, FILE_FIELDS, FOLDER_MIME, File, FileList, NATIVE_PREFIX, StartToken};

/// Production Drive endpoint.
pub const DEFAULT_BASE_URL: &str = "https://www.googleapis.com/drive/v3";

/// Files per page: the maximum Drive allows.
pub const PAGE_SIZE: u32 = 1000;

/// Days Drive keeps trashed files before deleting them for good.
pub const DRIVE_TRASH_DAYS: u32 = 30;

/// Query parameters that include shared drives in a listing.
const ALL_DRIVES: [(&str, &str); 2] = [
    ("supportsAllDrives", "true"),
    ("includeItemsFromAllDrives", "true"),
];

/// A Google Drive account.
#[derive(Debug)]
pub struct GDriveProvider {
    base: String,
    client: HttpClient,
    /// Files of the last listing that are shared with the user but owned by someone else.
    not_owned: Mutex<Vec<ItemId>>,
}

fn to_item(f: &File) -> Item {
    let native = f.mime_type.starts_with(NATIVE_PREFIX);
    let is_dir = f.mime_type == FOLDER_MIME;
    Item {
        id: ItemId::from_str_unchecked(&f.id),
        parent_id: f.parents.first().map(|p| ItemId::from_str_unchecked(p)),
        name: f.name.clone(),
        path: f.name.clone(),
        is_dir,
        size: f.size.as_deref().and_then(|s| s.parse().ok()).unwrap_or(0),
        modified_ns: rfc3339_ns(f.modified_time.as_deref()),
        hash: f
            .md5_checksum
            .clone()
            .filter(|_| !native)
            .map(|h| ContentHash::new(HashKind::Md5, h)),
        // Drive has no eTag in v3; modifiedTime + md5 identify a version.
        etag: f.modified_time.clone(),
        mime: Some(f.mime_type.clone()),
        comparable: is_dir || !native,
        inode: None,
    }
}

impl GDriveProvider {
    /// A provider talking to `base_url` (e.g. [`DEFAULT_BASE_URL`]).
    pub fn new(
        base_url: &str,
        tokens: Arc<dyn TokenSource>,
        policy: RetryPolicy,
    ) -> Result<Self, ProviderError> {
        Ok(Self {
            base: base_url.trim_end_matches('/').to_owned(),
            client: HttpClient::new(tokens, policy)?,
            not_owned: Mutex::new(Vec::new()),
        })
    }

    /// Requests sent so far.
    pub fn api_calls(&self) -> u64 {
        self.client.calls()
    }

    async fn full(&self, pages: &PageSink) -> Result<ListingEnd, ProviderError> {
        let url = format!("{}/changes/startPageToken", self.base);
        let start: StartToken = self.client.json(|c| c.get(&url)).await?;
        let mut end = ListingEnd {
            full: true,
            cursor: Some(start.start_page_token),
            ..ListingEnd::default()
        };
        let url = format!("{}/files", self.base);
        let fields = format!("nextPageToken,incompleteSearch,files({FILE_FIELDS})");
        let mut token: Option<String> = None;
        loop {
            let page: FileList = self
                .client
                .json(|c| {
                    let mut q = vec![
                        ("pageSize", PAGE_SIZE.to_string()),
                        ("fields", fields.clone()),
                        ("q", "trashed = false".to_owned()),
                        ("corpora", "allDrives".to_owned()),
                    ];
                    q.extend(ALL_DRIVES.map(|(k, v)| (k, v.to_owned())));
                    if let Some(t) = &token {
                        q.push(("pageToken", t.clone()));
                    }
                    c.get(&url).query(&q)
                })
                .await?;
            if page.incomplete_search && end.issues.is_empty() {
                end.issues.push(ScanIssue {
                    path: "gdrive:".to_owned(),
                    kind: "incomplete",
                    message: "Drive could not search every shared drive; some files may be \
                              missing until the next full scan"
                        .to_owned(),
                });
            }
            self.note_ownership(&page.files);
            pages
                .changes(
                    page.files
                        .iter()
                        .map(|f| Change::Upsert(to_item(f)))
                        .collect(),
                )
                .await?;
            match page.next_page_token {
                Some(t) => token = Some(t),
                None => return Ok(end),
            }
        }
    }

    async fn changes(&self, start: &str, pages: &PageSink) -> Result<ListingEnd, ProviderError> {
        let mut end = ListingEnd::default();
        let url = format!("{}/changes", self.base);
        let fields = format!(
            "nextPageToken,newStartPageToken,changes(changeType,fileId,driveId,removed,file({FILE_FIELDS}))"
        );
        let mut token = start.to_owned();
        loop {
            let page: ChangeList = self
                .client
                .json(|c| {
                    c.get(&url)
                        .query(&[
                            ("pageToken", token.as_str()),
                            ("pageSize", &PAGE_SIZE.to_string()),
                            ("fields", fields.as_str()),
                        ])
                        .query(&ALL_DRIVES)
                })
                .await?;
            self.note_ownership(page.changes.iter().filter_map(|c| c.file.as_ref()));
            let mut changes = Vec::with_capacity(page.changes.len());
            for ch in page.changes {
                // A shared drive's own change (renamed, joined, left) names no file.
                let Some(file_id) = ch
                    .file_id
                    .filter(|_| ch.change_type.as_deref() != Some("drive"))
                else {
                    continue;
                };
                let id = ItemId::from_str_unchecked(&file_id);
                changes.push(match ch.file {
                    Some(f) if !ch.removed && !f.trashed => Change::Upsert(to_item(&f)),
                    _ => Change::Removed(id),
                });
            }
            pages.changes(changes).await?;
            match (page.next_page_token, page.new_start_page_token) {
                (Some(next), _) => token = next,
                (None, new_start) => {
                    end.cursor = new_start;
                    return Ok(end);
                }
            }
        }
    }

    fn note_ownership<'f>(&self, files: impl IntoIterator<Item = &'f File>) {
        let mut not_owned = self
            .not_owned
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        not_owned.extend(
            files
                .into_iter()
                .filter(|f| !f.can_trash() && f.mime_type != FOLDER_MIME)
                .map(|f| ItemId::from_str_unchecked(&f.id)),
        );
    }

    async fn get_file(&self, id: &ItemId) -> Result<Option<File>, ProviderError> {
        let url = format!("{}/files/{id}", self.base);
        Ok(self
            .client
            .json_opt(|c| {
                c.get(&url)
                    .query(&[("fields", FILE_FIELDS), ("supportsAllDrives", "true")])
            })
            .await?)
    }

    async fn set_trashed(&self, id: &ItemId, trashed: bool) -> Result<(), ProviderError> {
        let url = format!("{}/files/{id}", self.base);
        let body = json!({ "trashed": trashed });
        match self
            .client
            .send(|c| {
                c.patch(&url)
                    .query(&[("fields", "id"), ("supportsAllDrives", "true")])
                    .json(&body)
            })
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => Err(refusal(e, id)),
        }
    }
}

/// Drive's reasons for refusing one file for good: the user's role on it does not allow the
/// change (not the owner). Grant problems are not among them, even per-file ones
/// (`appNotAuthorizedToFile` is what a `drive.file` grant meets on every existing file), nor
/// is a spent quota: those end the run, so the plan still applies once the grant is fixed.
const ITEM_REFUSALS: [&str; 1] = ["insufficientFilePermissions"];

/// A refusal of this one file as [`ProviderError::Refused`] (or `NotFound`); others unchanged.
fn refusal(e: HttpError, id: &ItemId) -> ProviderError {
    match &e {
        HttpError::Status { status: 404, .. } => ProviderError::NotFound(id.to_string()),
        HttpError::Status {
            status: 403,
            message,
            reason: Some(reason),
            ..
        } if ITEM_REFUSALS.contains(&reason.as_str()) => {
            ProviderError::Refused(format!("{reason}: {message}"))
        }
        _ => e.into(),
    }
}

impl StorageProvider for GDriveProvider {
    fn kind(&self) -> ProviderKind {
        ProviderKind::GDrive
    }

    async fn list(
        &self,
        cursor: Option<&str>,
        pages: PageSink,
    ) -> Result<ListingEnd, ProviderError> {
        let before = self.client.calls();
        self.not_owned
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        let mut end = match cursor {
            Some(token) => match self.changes(token, &pages).await {
                // An unknown or expired page token: start over with a full listing (pages of
                // the changes already sent are void).
                Err(ProviderError::Http(HttpError::Status {
                    status: 400 | 404 | 410,
                    ..
                })) => {
                    pages.send(Page::Restart).await?;
                    self.not_owned
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .clear();
                    self.full(&pages).await?
                }
                other => other?,
            },
            None => self.full(&pages).await?,
        };
        end.api_calls = self.client.calls() - before;
        Ok(end)
    }

    async fn content_hash(
        &self,
        id: &ItemId,
        max_bytes: u64,
    ) -> Result<Option<String>, ProviderError> {
        let url = format!("{}/files/{id}", self.base);
        match self
            .client
            .hash_body(
                |c| {
                    c.get(&url)
                        .query(&[("alt", "media"), ("supportsAllDrives", "true")])
                },
                max_bytes,
            )
            .await
        {
            Ok(h) => Ok(h.map(|(h, _)| h)),
            Err(HttpError::Status { status: 404, .. }) => {
                Err(ProviderError::NotFound(id.to_string()))
            }
            // Metadata scopes list and hash but never download: say which grant is missing.
            Err(HttpError::Status {
                status: 403,
                reason: Some(reason),
                ..
            }) if reason == "insufficientPermissions" => Err(ProviderError::Refused(
                "downloading needs content access (the drive.readonly scope); this connection \
                 may read metadata only"
                    .to_owned(),
            )),
            Err(e) => Err(e.into()),
        }
    }

    fn take_not_owned(&self) -> Vec<ItemId> {
        std::mem::take(
            &mut *self
                .not_owned
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        )
    }

    async fn stat(&self, id: &ItemId) -> Result<Option<Item>, ProviderError> {
        Ok(self
            .get_file(id)
            .await?
            .filter(|f| !f.trashed)
            .map(|f| to_item(&f)))
    }

    fn trash_location(&self, _req: &TrashRequest) -> String {
        "drive-trash".to_owned()
    }

    fn retention_cap_days(&self) -> Option<u32> {
        Some(DRIVE_TRASH_DAYS)
    }

    async fn trash(&self, req: &TrashRequest, _location: &str) -> Result<(), ProviderError> {
        self.set_trashed(&req.id, true).await
    }

    async fn locate(
        &self,
        req: &TrashRequest,
        _location: &str,
    ) -> Result<Whereabouts, ProviderError> {
        Ok(match self.get_file(&req.id).await? {
            None => Whereabouts::Missing,
            Some(f) if f.trashed => Whereabouts::Trashed,
            Some(_) => Whereabouts::Original,
        })
    }

    async fn restore(&self, req: &TrashRequest, _location: &str) -> Result<(), ProviderError> {
        self.set_trashed(&req.id, false).await
    }

    async fn purge(&self, req: &TrashRequest, _location: &str) -> Result<(), ProviderError> {
        let url = format!("{}/files/{}", self.base, req.id);
        let q = [("supportsAllDrives", "true")];
        match self.client.send(|c| c.delete(&url).query(&q)).await {
            Ok(_) | Err(HttpError::Status { status: 404, .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}
