//! The storage provider abstraction: every provider lists, inspects, trashes, restores and
//! purges items by id. Paths are for people; ids are what the engine acts on.

use std::future::Future;

use crate::hash::ContentHash;
use crate::ids::{ItemId, ProviderKind};

/// One file or folder as a provider reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// Provider id (local: the absolute path).
    pub id: ItemId,
    /// Parent folder id, when the provider has one.
    pub parent_id: Option<ItemId>,
    /// File name.
    pub name: String,
    /// Display path from the source root (cloud) or absolute path (local).
    pub path: String,
    /// Folder rather than file.
    pub is_dir: bool,
    /// Size in bytes.
    pub size: u64,
    /// Last modification, nanoseconds since the epoch.
    pub modified_ns: i64,
    /// Provider or locally computed content hash, when known.
    pub hash: Option<ContentHash>,
    /// Version tag (Graph eTag); `None` where the provider has none.
    pub etag: Option<String>,
    /// MIME type, when reported.
    pub mime: Option<String>,
    /// False for content that has no comparable bytes (Google-native documents).
    pub comparable: bool,
    /// Local device and inode.
    pub inode: Option<(u64, u64)>,
}

/// One entry of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The item is new or changed.
    Upsert(Item),
    /// The item is gone (deleted or trashed).
    Removed(ItemId),
}

/// A scan problem that did not stop the scan.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ScanIssue {
    /// Where.
    pub path: String,
    /// Short machine-readable kind: `permission`, `vanished`, `non_utf8`, `io`, `purge`
    /// (an expired trash entry not purged), `incomplete` (the provider listed only part).
    pub kind: &'static str,
    /// Human-readable detail.
    pub message: String,
}

/// A listing held whole in memory: what [`crate::store::files::apply_listing`] takes (tests, the
/// seeding tools). Scans never build one: providers stream their pages (see [`Page`]).
#[derive(Debug, Clone, Default)]
pub struct Listing {
    /// True when `changes` is the whole drive and replaces the index.
    pub full: bool,
    /// Items seen or removed.
    pub changes: Vec<Change>,
    /// Cursor to pass next time for an incremental listing.
    pub cursor: Option<String>,
    /// Problems met on the way.
    pub issues: Vec<ScanIssue>,
    /// HTTP requests made (0 for local).
    pub api_calls: u64,
    /// Listed files the user does not own (see [`StorageProvider::take_not_owned`]).
    pub not_owned: Vec<ItemId>,
}

/// One message of a streamed listing, in the order the provider sends them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Page {
    /// The next changes, in order.
    Changes(Vec<Change>),
    /// Forget every change sent so far: the provider starts over with a full listing (an
    /// expired delta link or page token).
    Restart,
}

/// How a streamed listing ended, once its last [`Page`] is sent.
#[derive(Debug, Clone, Default)]
pub struct ListingEnd {
    /// True when the pages (since the last [`Page::Restart`]) are the whole drive and replace
    /// the index; false for a delta that patches it.
    pub full: bool,
    /// Cursor to pass next time for an incremental listing.
    pub cursor: Option<String>,
    /// Problems met on the way.
    pub issues: Vec<ScanIssue>,
    /// HTTP requests made (0 for local).
    pub api_calls: u64,
}

/// Pages a listing may have in flight: the provider waits while the reader is this far
/// behind, so memory holds a few pages whatever the drive's size.
pub const PAGES_IN_FLIGHT: usize = 2;

/// Where a provider sends its listing's pages. Bounded: [`Self::send`] waits for the reader.
#[derive(Debug)]
pub struct PageSink(tokio::sync::mpsc::Sender<Page>);

/// The reading end of a [`PageSink`]; `None` once the provider is done and dropped its sink.
pub type PageSource = tokio::sync::mpsc::Receiver<Page>;

impl PageSink {
    /// A sink and the source its pages come out of.
    pub fn channel() -> (Self, PageSource) {
        let (tx, rx) = tokio::sync::mpsc::channel(PAGES_IN_FLIGHT);
        (Self(tx), rx)
    }

    /// Sends one page, waiting while the reader is [`PAGES_IN_FLIGHT`] pages behind.
    pub async fn send(&self, page: Page) -> Result<(), ProviderError> {
        self.0
            .send(page)
            .await
            .map_err(|_| ProviderError::Abandoned)
    }

    /// Sends a page of changes, unless it is empty.
    pub async fn changes(&self, changes: Vec<Change>) -> Result<(), ProviderError> {
        if changes.is_empty() {
            return Ok(());
        }
        self.send(Page::Changes(changes)).await
    }
}

/// What to move to the trash, with everything needed to put it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrashRequest {
    /// The item.
    pub id: ItemId,
    /// Its parent folder when trashed.
    pub parent_id: Option<ItemId>,
    /// Its name when trashed.
    pub name: String,
    /// Its display path when trashed.
    pub path: String,
    /// Our trash log id, unique per trashed item.
    pub trash_id: i64,
}

/// Where an item is found when settling an interrupted operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Whereabouts {
    /// Still where it was.
    Original,
    /// In the trash.
    Trashed,
    /// In both places (an interrupted cross-device copy).
    Both,
    /// Nowhere: removed by someone else.
    Missing,
}

/// A provider call failed.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// Local I/O.
    #[error("{path}: {source}")]
    Io {
        /// Affected path.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
    /// The HTTP API failed (after retries).
    #[error(transparent)]
    Http(#[from] crate::cloud::HttpError),
    /// The API answered something we do not understand.
    #[error("unexpected response from {provider}: {detail}")]
    Protocol {
        /// Provider.
        provider: ProviderKind,
        /// What was wrong.
        detail: String,
    },
    /// Restoring would overwrite something that now exists at the original place.
    #[error("cannot restore: {0} already exists")]
    RestoreConflict(String),
    /// The item is not where our records say.
    #[error("item not found: {0}")]
    NotFound(String),
    /// The path leads through a symbolic link or out of the source: nothing was touched.
    #[error("{0}: refused, the path leads through a symbolic link or outside the source")]
    Outside(String),
    /// The listing's reader stopped reading (it failed, and says why itself).
    #[error("the listing was abandoned by its reader")]
    Abandoned,
    /// The provider refused to act on this one item for good (not the owner, no grant for the
    /// file, locked): other items may still succeed, and retrying this one will not.
    #[error("refused by the provider: {0}")]
    Refused(String),
}

impl ProviderError {
    /// The provider permanently refused this one item (or it is gone): apply records it as
    /// skipped with this reason and goes on.
    pub fn item_refusal(&self) -> Option<String> {
        match self {
            Self::Refused(reason) => Some(reason.clone()),
            Self::NotFound(_) => Some("vanished before it could be trashed".to_owned()),
            Self::Outside(_) | Self::RestoreConflict(_) => Some(self.to_string()),
            Self::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
                Some("vanished before it could be trashed".to_owned())
            }
            _ => None,
        }
    }
}

/// A place files live: local folder, OneDrive or Google Drive.
pub trait StorageProvider: Send + Sync {
    /// Which provider this is.
    fn kind(&self) -> ProviderKind;

    /// Lists everything (`cursor` = `None`) or what changed since `cursor`, sending the
    /// changes to `pages` a provider page at a time as they arrive, and says how it ended. The
    /// sink is dropped on return, which ends the reader's stream.
    fn list(
        &self,
        cursor: Option<&str>,
        pages: PageSink,
    ) -> impl Future<Output = Result<ListingEnd, ProviderError>> + Send;

    /// Files of the last [`Self::list`] that the user does not own (shared with them, e.g.
    /// Drive's `ownedByMe: false`); a plan never removes those. Taken once per listing.
    fn take_not_owned(&self) -> Vec<ItemId> {
        Vec::new()
    }

    /// Downloads the item's content as a stream and returns its BLAKE3 (hex), for verifying
    /// matches across providers that share no hash. `None` when the content is larger than
    /// `max_bytes` or the provider cannot download. Memory stays bounded by one chunk.
    fn content_hash(
        &self,
        id: &ItemId,
        max_bytes: u64,
    ) -> impl Future<Output = Result<Option<String>, ProviderError>> + Send {
        let _ = (id, max_bytes);
        async { Ok(None) }
    }

    /// Current metadata of one item, with a content hash; `None` if it no longer exists.
    fn stat(&self, id: &ItemId)
    -> impl Future<Output = Result<Option<Item>, ProviderError>> + Send;

    /// Where `req` goes in the trash; recorded in our log before anything is moved.
    fn trash_location(&self, req: &TrashRequest) -> String;

    /// Days the provider itself keeps trashed items, when it empties its trash on its own
    /// (Drive: 30). Our restore deadline for its items is never later than this.
    fn retention_cap_days(&self) -> Option<u32> {
        None
    }

    /// Moves the item into the trash at `location`.
    fn trash(
        &self,
        req: &TrashRequest,
        location: &str,
    ) -> impl Future<Output = Result<(), ProviderError>> + Send;

    /// Finds where an item is after an interrupted trash or restore.
    fn locate(
        &self,
        req: &TrashRequest,
        location: &str,
    ) -> impl Future<Output = Result<Whereabouts, ProviderError>> + Send;

    /// Brings a trashed item back where it was.
    fn restore(
        &self,
        req: &TrashRequest,
        location: &str,
    ) -> impl Future<Output = Result<(), ProviderError>> + Send;

    /// Deletes a trashed item for good.
    fn purge(
        &self,
        req: &TrashRequest,
        location: &str,
    ) -> impl Future<Output = Result<(), ProviderError>> + Send;
}
