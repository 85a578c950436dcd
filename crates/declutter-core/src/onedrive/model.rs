//! The parts of Microsoft Graph's driveItem JSON that we read.

use serde::Deserialize;

/// A page of `/root/delta`.
#[derive(Debug, Deserialize)]
pub struct DeltaPage {
    /// Items on this page.
    #[serde(default)]
    pub value: Vec<DriveItem>,
    /// Next page of this round.
    #[serde(rename = "@odata.nextLink")]
    pub next_link: Option<String>,
    /// Cursor for the next round (last page only).
    #[serde(rename = "@odata.deltaLink")]
    pub delta_link: Option<String>,
}

/// A driveItem.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DriveItem {
    /// Item id.
    pub id: String,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Bytes.
    #[serde(default)]
    pub size: u64,
    /// Version tag.
    #[serde(rename = "eTag")]
    pub e_tag: Option<String>,
    /// Modification time.
    pub last_modified_date_time: Option<String>,
    /// Parent.
    pub parent_reference: Option<ParentReference>,
    /// File facet.
    pub file: Option<FileFacet>,
    /// Folder facet.
    pub folder: Option<serde_json::Value>,
    /// Present when the item was deleted.
    pub deleted: Option<serde_json::Value>,
    /// Present on the drive root.
    pub root: Option<serde_json::Value>,
    /// Present on items shared from another drive and added to this one: the content is
    /// someone else's, whatever `file` says.
    pub remote_item: Option<serde_json::Value>,
    /// Present on packages (OneNote notebooks): neither file nor folder.
    pub package: Option<serde_json::Value>,
}

/// Parent reference.
#[derive(Debug, Clone, Deserialize)]
pub struct ParentReference {
    /// Parent id.
    pub id: Option<String>,
}

/// File facet.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileFacet {
    /// MIME type.
    pub mime_type: Option<String>,
    /// Hashes.
    pub hashes: Option<Hashes>,
}

/// Hashes facet.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Hashes {
    /// QuickXorHash, base64.
    pub quick_xor_hash: Option<String>,
}
