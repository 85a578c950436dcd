//! OneDrive through Microsoft Graph v1.0.
//!
//! Listing uses `/me/drive/root/delta`: the first round pages through the whole drive, its
//! final `@odata.deltaLink` is stored and the next scan asks only for changes. Items are
//! addressed by id. Graph v1.0 can restore recycle-bin items only on some drive types, so our
//! trash is the app folder (`/me/drive/special/approot`): trashing moves the item there under a
//! unique name, restore moves it back to its parent and name, purge deletes it (into OneDrive's
//! own recycle bin, where the user can still recover it for the provider's retention).
//!
//! A read-only grant (`Files.Read`) cannot create the app folder: Graph answers 403 until a
//! write grant has created it. Listing then has nothing of ours to filter out and goes on;
//! only trashing needs the folder. A `410 Gone` on a delta or next link starts the enumeration
//! over from the `Location` Graph gives (same origin only: it receives our token). Items shared
//! from other drives (`remoteItem`) and packages (OneNote notebooks) are listed but never
//! compared: their content is not the user's own file.

pub mod model;

use std::sync::Arc;

use serde_json::json;
use tokio::sync::OnceCell;

use crate::cloud::{HttpClient, HttpError, RetryPolicy, TokenSource, rfc3339_ns};
use crate::hash::{ContentHash, HashKind};
use crate::ids::{ItemId, ProviderKind};
use crate::provider::{
    Change, Item, ListingEnd, Page, PageSink, ProviderError, StorageProvider, TrashRequest,
    Whereabouts,
};
use model::{DeltaPage, DriveItem};

/// Production Graph endpoint.
pub const DEFAULT_BASE_URL: &str = "https://graph.microsoft.com/v1.0";

/// A OneDrive account.
#[derive(Debug)]
pub struct OneDriveProvider {
    base: String,
    client: HttpClient,
    approot: OnceCell<String>,
}

fn item_id(s: &str) -> Result<ItemId, ProviderError> {
    s.parse().map_err(|_| ProviderError::Protocol {
        provider: ProviderKind::OneDrive,
        detail: format!("bad item id {s:?}"),
    })
}

impl OneDriveProvider {
    /// A provider talking to `base_url` (e.g. [`DEFAULT_BASE_URL`]).
    pub fn new(
        base_url: &str,
        tokens: Arc<dyn TokenSource>,
        policy: RetryPolicy,
    ) -> Result<Self, ProviderError> {
        Ok(Self {
            base: base_url.trim_end_matches('/').to_owned(),
            client: HttpClient::new(tokens, policy)?,
            approot: OnceCell::new(),
        })
    }

    /// Requests sent so far.
    pub fn api_calls(&self) -> u64 {
        self.client.calls()
    }

    /// The app folder if it exists or this grant may create it; `None` when Graph refuses a
    /// read-only grant because it does not exist yet (nothing of ours to filter then).
    async fn find_approot(&self) -> Result<Option<&str>, ProviderError> {
        match self.approot_id().await {
            Ok(id) => Ok(Some(id)),
            Err(ProviderError::Http(HttpError::Status {
                status: 403 | 404, ..
            })) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn approot_id(&self) -> Result<&str, ProviderError> {
        let id = self
            .approot
            .get_or_try_init(|| async {
                let url = format!("{}/me/drive/special/approot?$select=id", self.base);
                let item: DriveItem = self.client.json(|c| c.get(&url)).await?;
                Ok::<_, ProviderError>(item.id)
            })
            .await?;
        Ok(id.as_str())
    }

    fn to_item(&self, d: &DriveItem) -> Result<Item, ProviderError> {
        let hash = d
            .file
            .as_ref()
            .and_then(|f| f.hashes.as_ref())
            .and_then(|h| h.quick_xor_hash.clone())
            .map(|h| ContentHash::new(HashKind::QuickXor, h));
        // Someone else's content, or a notebook: listed, never compared nor removed.
        let foreign = d.remote_item.is_some() || d.package.is_some();
        let hash = hash.filter(|_| !foreign);
        let is_dir = d.folder.is_some() && !foreign;
        Ok(Item {
            id: item_id(&d.id)?,
            parent_id: d
                .parent_reference
                .as_ref()
                .and_then(|p| p.id.as_deref())
                .map(item_id)
                .transpose()?,
            name: d.name.clone(),
            path: d.name.clone(),
            is_dir,
            size: d.size,
            modified_ns: rfc3339_ns(d.last_modified_date_time.as_deref()),
            comparable: is_dir || hash.is_some(),
            hash,
            etag: d.e_tag.clone(),
            mime: d.file.as_ref().and_then(|f| f.mime_type.clone()),
            inode: None,
        })
    }

    async fn get_item(&self, id: &str) -> Result<Option<DriveItem>, ProviderError> {
        let url = format!("{}/me/drive/items/{id}", self.base);
        Ok(self.client.json_opt(|c| c.get(&url)).await?)
    }

    /// The `Location` of a 410 when it is on our Graph origin (it will receive our token).
    fn resync_url(&self, location: Option<String>) -> String {
        let full_url = format!("{}/me/drive/root/delta", self.base);
        let origin = |u: &str| reqwest::Url::parse(u).ok().map(|u| u.origin());
        match location {
            Some(l) if origin(&l).is_some() && origin(&l) == origin(&self.base) => l,
            _ => full_url,
        }
    }

    /// Pages through a delta round from `start` into `pages`; returns the round's end.
    async fn list_from(
        &self,
        start: String,
        full: bool,
        pages: &PageSink,
    ) -> Result<ListingEnd, ProviderError> {
        let mut end = ListingEnd {
            full,
            ..ListingEnd::default()
        };
        let mut url = start;
        let mut resyncs = 0;
        loop {
            let page: DeltaPage = match self.client.json(|c| c.get(&url)).await {
                Ok(page) => page,
                // 410 Gone: the link expired; start over where Graph says, as a full listing.
                Err(HttpError::Status {
                    status: 410,
                    location,
                    ..
                }) if resyncs < 3 => {
                    resyncs += 1;
                    pages.send(Page::Restart).await?;
                    end.full = true;
                    url = self.resync_url(location);
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            let changes = page.value.into_iter().map(|d| self.change_of(d)).collect();
            pages.changes(changes).await?;
            match (page.next_link, page.delta_link) {
                (Some(next), _) => url = next,
                (None, delta) => {
                    end.cursor = delta;
                    return Ok(end);
                }
            }
        }
    }

    fn change_of(&self, d: DriveItem) -> Change {
        let in_trash = self.approot.get().is_some_and(|a| {
            d.id == *a || d.parent_reference.as_ref().and_then(|p| p.id.as_ref()) == Some(a)
        });
        if d.deleted.is_some() || d.root.is_some() || in_trash {
            return Change::Removed(ItemId::from_str_unchecked(&d.id));
        }
        match self.to_item(&d) {
            Ok(item) => Change::Upsert(item),
            Err(_) => Change::Removed(ItemId::from_str_unchecked(&d.id)),
        }
    }
}

/// A refusal that concerns this one item (`itemNotFound`, `resourceLocked`) as
/// [`ProviderError::Refused`]; other errors unchanged. A 403 `accessDenied` is not one: Graph
/// sends it for a read-only grant too, and skipping every item of the plan for good on that
/// would leave nothing to do once the person grants write access.
fn refusal(e: HttpError) -> ProviderError {
    match &e {
        HttpError::Status {
            status: 404 | 423,
            message,
            reason,
            ..
        } => ProviderError::Refused(match reason {
            Some(r) => format!("{r}: {message}"),
            None => message.clone(),
        }),
        _ => e.into(),
    }
}

impl StorageProvider for OneDriveProvider {
    fn kind(&self) -> ProviderKind {
        ProviderKind::OneDrive
    }

    async fn list(
        &self,
        cursor: Option<&str>,
        pages: PageSink,
    ) -> Result<ListingEnd, ProviderError> {
        let before = self.client.calls();
        self.find_approot().await?;
        let full_url = format!("{}/me/drive/root/delta", self.base);
        let mut end = match cursor {
            Some(link) => self.list_from(link.to_owned(), false, &pages).await?,
            None => self.list_from(full_url, true, &pages).await?,
        };
        end.api_calls = self.client.calls() - before;
        Ok(end)
    }

    async fn content_hash(
        &self,
        id: &ItemId,
        max_bytes: u64,
    ) -> Result<Option<String>, ProviderError> {
        // Graph answers 302 to a pre-authenticated download URL; the client follows it.
        let url = format!("{}/me/drive/items/{id}/content", self.base);
        match self.client.hash_body(|c| c.get(&url), max_bytes).await {
            Ok(h) => Ok(h.map(|(h, _)| h)),
            Err(HttpError::Status { status: 404, .. }) => {
                Err(ProviderError::NotFound(id.to_string()))
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn stat(&self, id: &ItemId) -> Result<Option<Item>, ProviderError> {
        match self.get_item(id.as_str()).await? {
            Some(d) if d.deleted.is_none() => Ok(Some(self.to_item(&d)?)),
            _ => Ok(None),
        }
    }

    fn trash_location(&self, req: &TrashRequest) -> String {
        format!("{}-{}", req.trash_id, req.name)
    }

    async fn trash(&self, req: &TrashRequest, location: &str) -> Result<(), ProviderError> {
        let approot = self.approot_id().await?.to_owned();
        let url = format!("{}/me/drive/items/{}", self.base, req.id);
        let body = json!({ "parentReference": { "id": approot }, "name": location });
        match self.client.send(|c| c.patch(&url).json(&body)).await {
            Ok(_) => Ok(()),
            Err(e) => Err(refusal(e)),
        }
    }

    async fn locate(
        &self,
        req: &TrashRequest,
        _location: &str,
    ) -> Result<Whereabouts, ProviderError> {
        let approot = self.approot_id().await?.to_owned();
        Ok(match self.get_item(req.id.as_str()).await? {
            None => Whereabouts::Missing,
            Some(d) if d.deleted.is_some() => Whereabouts::Missing,
            Some(d)
                if d.parent_reference.as_ref().and_then(|p| p.id.as_deref())
                    == Some(approot.as_str()) =>
            {
                Whereabouts::Trashed
            }
            Some(_) => Whereabouts::Original,
        })
    }

    async fn restore(&self, req: &TrashRequest, _location: &str) -> Result<(), ProviderError> {
        let url = format!("{}/me/drive/items/{}", self.base, req.id);
        let mut body = json!({ "name": req.name });
        if let Some(parent) = &req.parent_id {
            body["parentReference"] = json!({ "id": parent.as_str() });
        }
        match self.client.send(|c| c.patch(&url).json(&body)).await {
            Err(HttpError::Status { status: 409, .. }) => {
                Err(ProviderError::RestoreConflict(req.path.clone()))
            }
            Err(HttpError::Status { status: 404, .. }) => {
                Err(ProviderError::NotFound(req.path.clone()))
            }
            other => other.map(|_| ()).map_err(Into::into),
        }
    }

    async fn purge(&self, req: &TrashRequest, _location: &str) -> Result<(), ProviderError> {
        let url = format!("{}/me/drive/items/{}", self.base, req.id);
        match self.client.send(|c| c.delete(&url)).await {
            Ok(_) | Err(HttpError::Status { status: 404, .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}
