//! The parts of Google Drive v3 JSON that we read.

use serde::Deserialize;

/// Only the fields the engine needs; every request sends this mask. `capabilities(canTrash)`
/// says whether the user's role lets them trash the file (owners in My Drive, organizers and
/// file organizers in a shared drive).
pub const FILE_FIELDS: &str = "id,name,parents,size,md5Checksum,modifiedTime,mimeType,ownedByMe,trashed,driveId,capabilities(canTrash)";

/// MIME prefix of Google-native documents, which have no bytes and no checksum.
pub const NATIVE_PREFIX: &str = "application/vnd.google-apps.";

/// Folder MIME type.
pub const FOLDER_MIME: &str = "application/vnd.google-apps.folder";

/// A `files.list` page.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileList {
    /// Files.
    #[serde(default)]
    pub files: Vec<File>,
    /// Next page.
    pub next_page_token: Option<String>,
    /// Drive could not search every corpus (possible with `corpora=allDrives`): the listing
    /// may miss files.
    #[serde(default)]
    pub incomplete_search: bool,
}

/// A `changes.list` page.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeList {
    /// Changes.
    #[serde(default)]
    pub changes: Vec<ChangeEntry>,
    /// Next page of this round.
    pub next_page_token: Option<String>,
    /// Cursor for the next round (last page only).
    pub new_start_page_token: Option<String>,
}

/// One change: of a file (`changeType: "file"`, with `fileId`) or of a shared drive
/// (`changeType: "drive"`, with `driveId` and no `fileId`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeEntry {
    /// `file` or `drive` (absent in old responses: a file change).
    pub change_type: Option<String>,
    /// File id (file changes only).
    pub file_id: Option<String>,
    /// Shared drive id (drive changes, and file changes in a shared drive).
    pub drive_id: Option<String>,
    /// The file is gone for us.
    #[serde(default)]
    pub removed: bool,
    /// The file's new state.
    pub file: Option<File>,
}

/// `changes.getStartPageToken`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartToken {
    /// The token.
    pub start_page_token: String,
}

/// A file resource.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct File {
    /// File id.
    pub id: String,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Parent folder ids.
    #[serde(default)]
    pub parents: Vec<String>,
    /// Size in bytes, as a decimal string (absent for native documents).
    pub size: Option<String>,
    /// MD5 of the content (absent for native documents).
    pub md5_checksum: Option<String>,
    /// Modification time.
    pub modified_time: Option<String>,
    /// MIME type.
    #[serde(default)]
    pub mime_type: String,
    /// Whether the user owns it.
    #[serde(default)]
    pub owned_by_me: bool,
    /// In the Drive trash.
    #[serde(default)]
    pub trashed: bool,
    /// The shared drive holding it (absent in My Drive).
    pub drive_id: Option<String>,
    /// What the user may do with it.
    pub capabilities: Option<Capabilities>,
}

impl File {
    /// Whether the user may move it to the trash: `capabilities.canTrash` when reported, else
    /// ownership (only owners trash in My Drive).
    pub fn can_trash(&self) -> bool {
        self.capabilities
            .as_ref()
            .and_then(|c| c.can_trash)
            .unwrap_or(self.owned_by_me)
    }
}

/// A file's capabilities for the requesting user.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Capabilities {
    /// May move it to the trash.
    pub can_trash: Option<bool>,
}
