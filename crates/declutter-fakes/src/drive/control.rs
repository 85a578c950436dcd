//! The test-facing side of [`FakeDrive`]: starting it, seeding and changing files as another
//! client would, and reading back what the engine did.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::routing::{get, post};

use super::{
    FakeDrive, changes, create_folder, delete_file, get_file, list, patch_file, start_token,
    thumbnail, upload,
};
use crate::common::{self, Gate, guard};
use crate::content::Contents;
use crate::drive_store::{DriveFile, ROOT, Role, SharedDrive, Store};
use crate::errors::Flavor;
use crate::grants::Rotation;
use crate::server::{FakeError, serve};

impl FakeDrive {
    /// Starts an empty drive on `127.0.0.1:0`. Its initial tokens carry the full `drive`
    /// scope; refreshing keeps the refresh token, as Google does.
    pub async fn start() -> Result<Self, FakeError> {
        let gate = Gate::new(Flavor::Drive, &["drive"], Rotation::Keep);
        let store = Arc::new(Mutex::new(Store {
            seq: 1,
            ..Store::default()
        }));
        let api = Router::new()
            .route("/drive/v3/files", get(list).post(create_folder))
            .route("/upload/drive/v3/files", post(upload))
            .route(
                "/drive/v3/files/{id}",
                get(get_file).patch(patch_file).delete(delete_file),
            )
            .route("/drive/v3/changes/startPageToken", get(start_token))
            .route("/drive/v3/changes", get(changes))
            .route("/thumbnails/{link}", get(thumbnail))
            .with_state(Arc::clone(&store))
            .layer(axum::middleware::from_fn_with_state(
                Arc::clone(&gate),
                common::gate,
            ));
        let app = Router::new()
            .route("/token", post(common::token))
            .with_state(Arc::clone(&gate))
            .merge(api);
        let server = serve(app).await?;
        guard(&store).origin = format!("http://{}", server.addr);
        Ok(Self {
            server,
            store,
            gate,
        })
    }

    /// Base URL to configure the provider with (`http://127.0.0.1:PORT/drive/v3`).
    pub fn base_url(&self) -> String {
        format!("http://{}/drive/v3", self.server.addr)
    }
    /// Base URL of uploads (`http://127.0.0.1:PORT/upload/drive/v3`).
    pub fn upload_url(&self) -> String {
        format!("http://{}/upload/drive/v3", self.server.addr)
    }
    /// Every file, folders included (deleted and trashed ones too).
    pub fn files(&self) -> Vec<DriveFile> {
        guard(&self.store).files.values().cloned().collect()
    }
    fn add(
        &self,
        parent: Option<&str>,
        name: &str,
        mime: &str,
        size: Option<u64>,
        md5: Option<&str>,
    ) -> String {
        guard(&self.store).insert(parent.unwrap_or(ROOT), name, mime, size, md5)
    }
    /// Adds a shared drive on which the user has `role`; announced in the changes feed as a
    /// `changeType: "drive"` change. Returns its id.
    pub fn add_shared_drive(&self, name: &str, role: Role) -> String {
        let mut s = guard(&self.store);
        let seq = s.bump();
        let id = format!("SD{:05}", s.drives.len() + 1);
        s.drives.insert(
            id.clone(),
            SharedDrive {
                name: name.to_owned(),
                role,
                seq,
            },
        );
        id
    }
    /// Renames a shared drive (a `changeType: "drive"` change).
    pub fn rename_shared_drive(&self, id: &str, name: &str) {
        let mut s = guard(&self.store);
        let seq = s.bump();
        if let Some(d) = s.drives.get_mut(id) {
            name.clone_into(&mut d.name);
            d.seq = seq;
        }
    }
    /// Adds a binary file at the top of shared drive `drive`; returns its id.
    pub fn add_drive_file(&self, drive: &str, name: &str, size: u64, md5: &str) -> String {
        let id = self.add(
            Some(drive),
            name,
            "application/octet-stream",
            Some(size),
            Some(md5),
        );
        if let Some(f) = guard(&self.store).files.get_mut(&id) {
            f.drive_id = Some(drive.to_owned());
        }
        id
    }
    /// Listings over all drives report `incompleteSearch: true` (Drive could not search them
    /// all).
    pub fn set_incomplete_search(&self, on: bool) {
        guard(&self.store).incomplete = on;
    }
    /// Every changes round opens with an empty page carrying a next page token.
    pub fn set_empty_pages(&self, on: bool) {
        guard(&self.store).empty_pages = on;
    }
    /// Grants the app `drive.file` access to a file (as when the user opens it with the app).
    pub fn grant_file(&self, id: &str) {
        guard(&self.store).granted.insert(id.to_owned());
    }
    /// Adds a folder; returns its id.
    pub fn add_folder(&self, parent: Option<&str>, name: &str) -> String {
        self.add(
            parent,
            name,
            "application/vnd.google-apps.folder",
            None,
            None,
        )
    }
    /// Adds a binary file; returns its id.
    pub fn add_file(&self, parent: Option<&str>, name: &str, size: u64, md5: &str) -> String {
        self.add(
            parent,
            name,
            "application/octet-stream",
            Some(size),
            Some(md5),
        )
    }
    /// Adds a Google Docs document (no size, no checksum); returns its id.
    pub fn add_native_doc(&self, parent: Option<&str>, name: &str) -> String {
        self.add(
            parent,
            name,
            "application/vnd.google-apps.document",
            None,
            None,
        )
    }
    /// Adds a binary file shared with the user by someone else (`ownedByMe: false`).
    pub fn add_shared_file(
        &self,
        parent: Option<&str>,
        name: &str,
        size: u64,
        md5: &str,
    ) -> String {
        let id = self.add_file(parent, name, size, md5);
        guard(&self.store).not_owned.insert(id.clone());
        id
    }
    /// Transfers ownership of a file to or from the user (a change the changes feed reports).
    pub fn set_owned(&self, id: &str, owned: bool) {
        let mut s = guard(&self.store);
        let seq = s.bump();
        if owned {
            s.not_owned.remove(id);
        } else {
            s.not_owned.insert(id.to_owned());
        }
        if let Some(f) = s.files.get_mut(id) {
            f.seq = seq;
        }
    }
    /// Sets the bytes `?alt=media` serves for a file (its size becomes their length).
    pub fn set_content(&self, id: &str, bytes: &[u8]) {
        let mut s = guard(&self.store);
        if let Some(f) = s.files.get_mut(id) {
            f.size = Some(bytes.len() as u64);
        }
        s.contents.set(id, bytes.to_vec());
    }
    /// Downloads served, the most in flight at once, and the per-download delay control.
    pub fn contents(&self) -> Arc<Contents> {
        Arc::clone(&guard(&self.store).contents)
    }
    /// Gives a file a thumbnail: its metadata then carries a `thumbnailLink` serving `bytes`
    /// as-is (any bytes, so tests can send oversized or broken ones).
    pub fn set_thumbnail(&self, id: &str, bytes: &[u8]) {
        guard(&self.store)
            .thumbnails
            .insert(id.to_owned(), bytes.to_vec());
    }
    /// Changes a file's content.
    pub fn modify_file(&self, id: &str, size: u64, md5: &str) {
        let mut s = guard(&self.store);
        let seq = s.bump();
        if let Some(f) = s.files.get_mut(id) {
            f.size = Some(size);
            f.md5 = Some(md5.to_owned());
            f.version += 1;
            f.seq = seq;
        }
    }
    /// Deletes a file for good, as another client would.
    pub fn delete(&self, id: &str) {
        let mut s = guard(&self.store);
        let seq = s.bump();
        if let Some(f) = s.files.get_mut(id) {
            f.deleted = true;
            f.seq = seq;
        }
    }
    /// Moves a file into or out of the trash, as the person would in Drive's own UI.
    pub fn set_trashed(&self, id: &str, trashed: bool) {
        let mut s = guard(&self.store);
        let seq = s.bump();
        if let Some(f) = s.files.get_mut(id) {
            f.trashed = trashed;
            f.seq = seq;
        }
    }
    /// A snapshot of one file.
    pub fn file(&self, id: &str) -> Option<DriveFile> {
        guard(&self.store).files.get(id).cloned()
    }
    /// The `fields` mask of the last `files.list` request.
    pub fn last_list_fields(&self) -> Option<String> {
        guard(&self.store).last_fields.clone()
    }
    /// The `pageSize` of the last list request.
    pub fn last_page_size(&self) -> Option<usize> {
        guard(&self.store).last_page_size
    }
}

impl crate::common::Gated for FakeDrive {
    fn gate(&self) -> &crate::common::Gate {
        &self.gate
    }
    fn addr(&self) -> std::net::SocketAddr {
        self.server.addr
    }
}
