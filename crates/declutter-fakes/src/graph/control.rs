//! The test-facing side of [`FakeGraph`]: starting it, seeding and changing items as another
//! client would, and reading back what the engine did.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::routing::{get, post};

use super::{
    Drive, Facet, FakeGraph, GraphItem, ROOT, Shared, approot, content, create_folder, delete_item,
    delta, download, get_item, patch_item, thumbnail, upload,
};
use crate::common::{self, Gate, guard};
use crate::content::Contents;
use crate::errors::Flavor;
use crate::grants::Rotation;
use crate::server::{FakeError, serve};

impl FakeGraph {
    /// Starts an empty drive (just the root) on `127.0.0.1:0`. Its initial tokens carry
    /// `Files.ReadWrite.All`; refreshing rotates the refresh token, as Microsoft does.
    pub async fn start() -> Result<Self, FakeError> {
        let gate = Gate::new(
            Flavor::Graph,
            &["Files.ReadWrite.All", "offline_access"],
            Rotation::Rotate,
        );
        let mut items = BTreeMap::new();
        let root = GraphItem {
            id: ROOT.into(),
            name: "root".into(),
            parent: None,
            folder: true,
            size: 0,
            quick_xor: None,
            version: 1,
            deleted: false,
            seq: 1,
            facet: Facet::Own,
        };
        items.insert(ROOT.to_owned(), root);
        let drive = Arc::new(Mutex::new(Drive {
            items,
            seq: 1,
            next_id: 0,
            page_size: 200,
            base: String::new(),
            contents: Arc::new(Contents::default()),
            thumbnails: HashMap::new(),
            resync_below: 0,
            resyncs_followed: 0,
            download_origin: String::new(),
            leaked_auth: 0,
            locked: std::collections::HashSet::new(),
            empty_pages: false,
            delta_window: None,
            child_counts: None,
        }));
        let shared: Shared = (Arc::clone(&drive), Arc::clone(&gate));
        let api = Router::new()
            .route("/v1.0/me/drive/root/delta", get(delta))
            .route("/v1.0/me/drive/special/approot", get(approot))
            .route("/v1.0/me/drive/root/children", post(create_folder))
            .route(
                "/v1.0/me/drive/items/{parent}/{name}/content",
                axum::routing::put(upload),
            )
            .route(
                "/v1.0/me/drive/items/{id}",
                get(get_item).patch(patch_item).delete(delete_item),
            )
            .route("/v1.0/me/drive/items/{id}/content", get(content))
            .route(
                "/v1.0/me/drive/items/{id}/thumbnails/0/small/content",
                get(thumbnail),
            )
            .with_state(shared.clone())
            .layer(axum::middleware::from_fn_with_state(
                Arc::clone(&gate),
                common::gate,
            ));
        let app = Router::new()
            .route("/token", post(common::token))
            .with_state(Arc::clone(&gate))
            .merge(api);
        let downloads = Router::new()
            .route("/download/{id}", get(download))
            .with_state(shared);
        let server = serve(app).await?;
        let download_server = serve(downloads).await?;
        {
            let mut d = guard(&drive);
            d.base = format!("http://{}/v1.0", server.addr);
            d.download_origin = format!("http://{}", download_server.addr);
        }
        Ok(Self {
            server,
            _downloads: download_server,
            drive,
            gate,
        })
    }

    /// Base URL to configure the provider with (`http://127.0.0.1:PORT/v1.0`).
    pub fn base_url(&self) -> String {
        format!("http://{}/v1.0", self.server.addr)
    }
    /// Every delta round opens with an empty page carrying a next link.
    pub fn set_empty_pages(&self, on: bool) {
        guard(&self.drive).empty_pages = on;
    }
    /// Items per delta page (Graph chooses its own; default 200).
    pub fn set_page_size(&self, n: usize) {
        guard(&self.drive).page_size = n.max(1);
    }
    /// Adds a folder under `parent` (root when `None`); returns its id.
    pub fn add_folder(&self, parent: Option<&str>, name: &str) -> String {
        guard(&self.drive).add(parent, name, true, 0, None)
    }
    /// Adds a file; returns its id.
    pub fn add_file(&self, parent: Option<&str>, name: &str, size: u64, quick_xor: &str) -> String {
        guard(&self.drive).add(parent, name, false, size, Some(quick_xor))
    }
    /// Sets the bytes `/content` serves for a file (its size becomes their length).
    pub fn set_content(&self, id: &str, bytes: &[u8]) {
        let mut d = guard(&self.drive);
        if let Some(i) = d.items.get_mut(id) {
            i.size = bytes.len() as u64;
        }
        d.contents.set(id, bytes.to_vec());
    }
    /// Downloads served, the most in flight at once, and the per-download delay control.
    pub fn contents(&self) -> Arc<Contents> {
        Arc::clone(&guard(&self.drive).contents)
    }
    /// Gives an item a small thumbnail: `bytes` are served as-is (any bytes, so tests can send
    /// oversized or broken ones). Items without one answer 404.
    pub fn set_thumbnail(&self, id: &str, bytes: &[u8]) {
        guard(&self.drive)
            .thumbnails
            .insert(id.to_owned(), bytes.to_vec());
    }
    /// Changes a file's content.
    pub fn modify_file(&self, id: &str, size: u64, quick_xor: &str) {
        let mut d = guard(&self.drive);
        let seq = d.bump();
        if let Some(i) = d.items.get_mut(id) {
            i.size = size;
            i.quick_xor = Some(quick_xor.to_owned());
            i.version += 1;
            i.seq = seq;
        }
    }
    /// Deletes an item as another client would.
    pub fn delete(&self, id: &str) {
        let mut d = guard(&self.drive);
        let seq = d.bump();
        if let Some(i) = d.items.get_mut(id) {
            i.deleted = true;
            i.seq = seq;
        }
    }
    /// Adds an item shared from someone else's drive (`remoteItem` facet, with a file facet
    /// and hash as Graph reports them); returns its id.
    pub fn add_remote_file(
        &self,
        parent: Option<&str>,
        name: &str,
        size: u64,
        quick_xor: &str,
    ) -> String {
        let mut d = guard(&self.drive);
        let id = d.add(parent, name, false, size, Some(quick_xor));
        if let Some(i) = d.items.get_mut(&id) {
            i.facet = Facet::Remote;
        }
        id
    }
    /// Adds a OneNote notebook (`package` facet); returns its id.
    pub fn add_package(&self, parent: Option<&str>, name: &str, size: u64) -> String {
        let mut d = guard(&self.drive);
        let id = d.add(parent, name, false, size, None);
        if let Some(i) = d.items.get_mut(&id) {
            i.facet = Facet::Package;
        }
        id
    }
    /// Locks an item as an open document would: moving or renaming it answers 423.
    pub fn lock(&self, id: &str) {
        guard(&self.drive).locked.insert(id.to_owned());
    }
    /// Every delta link issued so far answers `410 resyncRequired` with a `Location`.
    pub fn invalidate_delta_links(&self) {
        let mut d = guard(&self.drive);
        d.resync_below = d.bump();
    }
    /// Requests that followed a 410's `Location`.
    pub fn resyncs_followed(&self) -> u64 {
        guard(&self.drive).resyncs_followed
    }
    /// Download requests that arrived carrying an `Authorization` header.
    pub fn leaked_auth(&self) -> u64 {
        guard(&self.drive).leaked_auth
    }
    /// Every item (deleted ones too).
    pub fn items(&self) -> Vec<GraphItem> {
        guard(&self.drive).items.values().cloned().collect()
    }
    /// A snapshot of one item.
    pub fn item(&self, id: &str) -> Option<GraphItem> {
        guard(&self.drive).items.get(id).cloned()
    }
    /// Id of the app folder, once created.
    pub fn approot_id(&self) -> Option<String> {
        guard(&self.drive)
            .items
            .values()
            .find(|i| i.folder && i.name == "Declutter")
            .map(|i| i.id.clone())
    }
}

impl crate::common::Gated for FakeGraph {
    fn gate(&self) -> &crate::common::Gate {
        &self.gate
    }
    fn addr(&self) -> std::net::SocketAddr {
        self.server.addr
    }
}
