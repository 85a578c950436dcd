//! The state of the fake Drive and its access rules, from Drive's scope guide and its files
//! and shared-drives references:
//! - metadata: `drive`, `drive.readonly`, `drive.metadata.readonly`, `drive.metadata`;
//! - content (`alt=media`, and `thumbnailLink`, which Drive fills only for apps that can read
//!   content): `drive`, `drive.readonly`;
//! - changes (trash, delete): `drive`;
//! - `drive.file` grants all three, but only on files granted to the app (created by it or
//!   opened with it); other files are invisible to it;
//! - in My Drive only the owner trashes or deletes; in a shared drive an organizer or file
//!   organizer does (`capabilities.canTrash`).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use serde_json::{Value, json};

use crate::content::Contents;
use crate::grants::Scopes;

/// Folder of My Drive's root.
pub const ROOT: &str = "drive-root";
const METADATA: &[&str] = &[
    "drive",
    "drive.readonly",
    "drive.metadata.readonly",
    "drive.metadata",
];
const CONTENT: &[&str] = &["drive", "drive.readonly"];
const PER_FILE: &str = "drive.file";

/// One file of the fake drive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriveFile {
    /// File id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Parent id.
    pub parent: String,
    /// MIME type.
    pub mime: String,
    /// Bytes (binary files).
    pub size: Option<u64>,
    /// MD5 (binary files).
    pub md5: Option<String>,
    /// Version (drives modifiedTime).
    pub version: u64,
    /// In the trash.
    pub trashed: bool,
    /// Deleted for good.
    pub deleted: bool,
    /// Change sequence of the last change.
    pub seq: u64,
    /// The shared drive holding it (`None`: My Drive).
    pub drive_id: Option<String>,
}

/// The user's role on a shared drive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Manager: may trash.
    Organizer,
    /// Content manager: may trash.
    FileOrganizer,
    /// Contributor: may add and edit, not trash.
    Writer,
    /// Viewer.
    Reader,
}

/// A shared drive the user is a member of.
#[derive(Debug, Clone)]
pub struct SharedDrive {
    /// Name.
    pub name: String,
    /// The user's role.
    pub role: Role,
    /// Change sequence of the last drive-level change.
    pub seq: u64,
}

/// What a request may do to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// The file does not exist for this caller.
    Hidden,
    /// Metadata only.
    Metadata,
    /// Metadata and content.
    Content,
    /// Metadata, content and changes.
    Write,
}

/// The fake drive's state.
#[derive(Debug, Default)]
pub struct Store {
    /// Files by id.
    pub files: BTreeMap<String, DriveFile>,
    /// Change sequence.
    pub seq: u64,
    /// Last file number used.
    pub next_id: u64,
    /// The `fields` of the last list request.
    pub last_fields: Option<String>,
    /// The `pageSize` of the last list request.
    pub last_page_size: Option<usize>,
    /// Files shared with the user by someone else (`ownedByMe: false`).
    pub not_owned: HashSet<String>,
    /// Files granted to the app under `drive.file`.
    pub granted: HashSet<String>,
    /// Shared drives by id.
    pub drives: BTreeMap<String, SharedDrive>,
    /// Download counters and bytes.
    pub contents: Arc<Contents>,
    /// Thumbnail bytes by file id.
    pub thumbnails: HashMap<String, Vec<u8>>,
    /// `http://127.0.0.1:PORT`, for thumbnail links.
    pub origin: String,
    /// Each changes round opens with a page of no changes and a next page token.
    pub empty_pages: bool,
    /// `files.list` over all drives answers `incompleteSearch: true`.
    pub incomplete: bool,
}

impl Store {
    /// Next change sequence number.
    pub fn bump(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// Adds a file under `parent`; returns its id.
    pub fn insert(
        &mut self,
        parent: &str,
        name: &str,
        mime: &str,
        size: Option<u64>,
        md5: Option<&str>,
    ) -> String {
        self.next_id += 1;
        let id = format!("F{:07}", self.next_id);
        let seq = self.bump();
        let file = DriveFile {
            id: id.clone(),
            name: name.to_owned(),
            parent: parent.to_owned(),
            mime: mime.to_owned(),
            size,
            md5: md5.map(str::to_owned),
            version: 1,
            trashed: false,
            deleted: false,
            seq,
            drive_id: None,
        };
        self.files.insert(id.clone(), file);
        id
    }

    /// What `scopes` allow on `f`, before ownership and roles.
    pub fn access(&self, f: &DriveFile, scopes: &Scopes) -> Access {
        if scopes.has("drive") {
            return Access::Write;
        }
        if scopes.has(PER_FILE) && self.granted.contains(&f.id) {
            return Access::Write;
        }
        if scopes.any(CONTENT) {
            Access::Content
        } else if scopes.any(METADATA) {
            Access::Metadata
        } else {
            Access::Hidden
        }
    }

    /// Whether the user may trash or delete `f` (owner in My Drive, organizer in a shared one).
    pub fn can_trash(&self, f: &DriveFile) -> bool {
        match &f.drive_id {
            None => !self.not_owned.contains(&f.id),
            Some(d) => self
                .drives
                .get(d)
                .is_some_and(|d| matches!(d.role, Role::Organizer | Role::FileOrganizer)),
        }
    }

    /// The file resource as `scopes` see it.
    pub fn json(&self, f: &DriveFile, scopes: &Scopes) -> Value {
        let owned = f.drive_id.is_none() && !self.not_owned.contains(&f.id);
        let can_trash = self.can_trash(f);
        let mut v = json!({
            "kind": "drive#file",
            "id": f.id, "name": f.name, "parents": [f.parent], "mimeType": f.mime,
            "modifiedTime": format!("2024-02-01T00:{:02}:{:02}.000Z", (f.version / 60) % 60, f.version % 60),
            "ownedByMe": owned, "trashed": f.trashed,
            "capabilities": {"canTrash": can_trash, "canDelete": can_trash, "canDownload": true},
        });
        if let Some(d) = &f.drive_id {
            v["driveId"] = json!(d);
        }
        if let Some(s) = f.size {
            v["size"] = json!(s.to_string());
        }
        if let Some(m) = &f.md5 {
            v["md5Checksum"] = json!(m);
        }
        let content = matches!(self.access(f, scopes), Access::Content | Access::Write);
        if content && self.thumbnails.contains_key(&f.id) {
            v["thumbnailLink"] = json!(format!("{}/thumbnails/{}=s220", self.origin, f.id));
        }
        v
    }

    /// A `changeType: "drive"` entry (no `fileId`).
    pub fn drive_change(id: &str, d: &SharedDrive) -> Value {
        json!({"kind": "drive#change", "changeType": "drive", "driveId": id, "removed": false,
            "time": "2024-02-01T00:00:00.000Z",
            "drive": {"kind": "drive#drive", "id": id, "name": d.name}})
    }
}
