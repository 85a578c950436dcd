//! A fake Google Drive v3: `files.list` with paging, `changes` with page tokens (file changes
//! and `changeType: "drive"` changes of shared drives), file get/patch(trashed)/delete,
//! md5Checksum on binary files, Google-native documents without one, shared drives (listed only
//! with `supportsAllDrives` and `includeItemsFromAllDrives`), and a `thumbnailLink` (on the
//! fake's own address, bearer token required) for files given a thumbnail. Access rules are in
//! [`crate::drive_store`].

use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde_json::{Value, json};

use crate::common::{self, Gate, guard};
use crate::content::Contents;
use crate::drive_store::{Access, DriveFile, ROOT, Role, SharedDrive, Store};
use crate::errors::{self, Flavor};
use crate::grants::{Rotation, Scopes};
use crate::server::{FakeError, Running, serve};

const MAX_PAGE: usize = 1000;

fn not_found(id: &str) -> Response {
    errors::drive(
        StatusCode::NOT_FOUND,
        "notFound",
        &format!("File not found: {id}."),
    )
}

/// A running fake Drive server.
#[derive(Debug)]
pub struct FakeDrive {
    server: Running,
    store: Arc<Mutex<Store>>,
    gate: Arc<Gate>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListQuery {
    page_size: Option<usize>,
    page_token: Option<String>,
    q: Option<String>,
    fields: Option<String>,
    supports_all_drives: Option<String>,
    include_items_from_all_drives: Option<String>,
    corpora: Option<String>,
}

impl ListQuery {
    /// Shared-drive items are returned only to clients that say they support them.
    fn all_drives(&self) -> bool {
        self.supports_all_drives.as_deref() == Some("true")
            && self.include_items_from_all_drives.as_deref() == Some("true")
    }
}

type Shared = Arc<Mutex<Store>>;

fn page_size(q: &ListQuery) -> usize {
    q.page_size.unwrap_or(100).clamp(1, MAX_PAGE)
}

fn may_list(scopes: &Scopes) -> bool {
    scopes.any(&[
        "drive",
        "drive.readonly",
        "drive.metadata.readonly",
        "drive.metadata",
        "drive.file",
    ])
}

fn listed(s: &Store, f: &DriveFile, scopes: &Scopes, all_drives: bool) -> bool {
    s.access(f, scopes) != Access::Hidden && (f.drive_id.is_none() || all_drives)
}

async fn list(
    State(store): State<Shared>,
    Extension(scopes): Extension<Scopes>,
    Query(q): Query<ListQuery>,
) -> Response {
    if !may_list(&scopes) {
        return errors::scope_denied(Flavor::Drive);
    }
    let mut s = guard(&store);
    s.last_fields.clone_from(&q.fields);
    s.last_page_size = q.page_size;
    let skip_trashed =
        q.q.as_deref()
            .is_some_and(|q| q.replace(' ', "").contains("trashed=false"));
    let all_drives = q.all_drives() && q.corpora.as_deref() == Some("allDrives");
    let all: Vec<&DriveFile> = s
        .files
        .values()
        .filter(|f| !(f.deleted || skip_trashed && f.trashed))
        .filter(|f| listed(&s, f, &scopes, all_drives))
        .collect();
    let offset: usize = q
        .page_token
        .as_deref()
        .and_then(|t| t.parse().ok())
        .unwrap_or(0)
        .min(all.len());
    let end = (offset + page_size(&q)).min(all.len());
    let files: Vec<Value> = all[offset..end]
        .iter()
        .map(|f| s.json(f, &scopes))
        .collect();
    let incomplete = s.incomplete && all_drives;
    let mut body =
        json!({"kind": "drive#fileList", "incompleteSearch": incomplete, "files": files});
    if end < all.len() {
        body["nextPageToken"] = json!(end.to_string());
    }
    Json(body).into_response()
}

async fn start_token(
    State(store): State<Shared>,
    Extension(scopes): Extension<Scopes>,
) -> Response {
    if !may_list(&scopes) {
        return errors::scope_denied(Flavor::Drive);
    }
    let s = guard(&store);
    Json(json!({"kind": "drive#startPageToken", "startPageToken": s.seq.to_string()}))
        .into_response()
}

async fn changes(
    State(store): State<Shared>,
    Extension(scopes): Extension<Scopes>,
    Query(q): Query<ListQuery>,
) -> Response {
    if !may_list(&scopes) {
        return errors::scope_denied(Flavor::Drive);
    }
    let s = guard(&store);
    // pageToken = "<since>" starts a round; "<since>.<snapshot>.<offset>" continues it.
    let parts: Vec<u64> = q
        .page_token
        .as_deref()
        .unwrap_or("")
        .split('.')
        .filter_map(|p| p.parse().ok())
        .collect();
    let (since, snap, offset) = match parts.as_slice() {
        [a] if s.empty_pages => {
            let next = format!("{a}.{}.0", s.seq);
            return Json(json!({"kind": "drive#changeList", "changes": [], "nextPageToken": next}))
                .into_response();
        }
        [a] => (*a, s.seq, 0),
        [a, b, c] => (*a, *b, *c),
        _ => {
            return errors::drive(StatusCode::BAD_REQUEST, "invalid", "Invalid pageToken");
        }
    };
    let all_drives = q.all_drives();
    let in_window = |seq: u64| seq > since && seq <= snap;
    let mut window: Vec<(u64, String, Value)> = s
        .files
        .values()
        .filter(|f| in_window(f.seq) && listed(&s, f, &scopes, all_drives))
        .map(|f| {
            let mut c = json!({"kind": "drive#change", "changeType": "file", "fileId": f.id,
                "removed": f.deleted, "time": "2024-02-01T00:00:00.000Z"});
            if !f.deleted {
                c["file"] = s.json(f, &scopes);
            }
            (f.seq, f.id.clone(), c)
        })
        .collect();
    window.extend(
        s.drives
            .iter()
            .filter(|(_, d)| in_window(d.seq))
            .map(|(id, d)| (d.seq, id.clone(), Store::drive_change(id, d))),
    );
    window.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    let start = usize::try_from(offset)
        .unwrap_or(usize::MAX)
        .min(window.len());
    let end = (start + page_size(&q)).min(window.len());
    let entries: Vec<Value> = window[start..end].iter().map(|e| e.2.clone()).collect();
    let mut body = json!({"kind": "drive#changeList", "changes": entries});
    if end < window.len() {
        body["nextPageToken"] = json!(format!("{since}.{snap}.{end}"));
    } else {
        body["newStartPageToken"] = json!(snap.to_string());
    }
    Json(body).into_response()
}

#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetQuery {
    alt: Option<String>,
    supports_all_drives: Option<String>,
}

/// The file `id` as this caller may see it: `Err` is the documented refusal.
fn visible<'s>(
    s: &'s Store,
    id: &str,
    scopes: &Scopes,
    q: &GetQuery,
) -> Result<(&'s DriveFile, Access), Box<Response>> {
    let f = s
        .files
        .get(id)
        .filter(|f| !f.deleted)
        .filter(|f| f.drive_id.is_none() || q.supports_all_drives.as_deref() == Some("true"))
        .ok_or_else(|| Box::new(not_found(id)))?;
    match s.access(f, scopes) {
        Access::Hidden => Err(Box::new(not_found(id))),
        a => Ok((f, a)),
    }
}

/// Refuses a change to `f` unless the grant covers it and the user's role allows trashing.
fn may_change(
    s: &Store,
    f: &DriveFile,
    access: Access,
    scopes: &Scopes,
) -> Result<(), Box<Response>> {
    if access != Access::Write {
        return Err(Box::new(if scopes.has("drive.file") {
            errors::drive(
                StatusCode::FORBIDDEN,
                "appNotAuthorizedToFile",
                &format!(
                    "The user has not granted the app write access to the file {}.",
                    f.id
                ),
            )
        } else {
            errors::scope_denied(Flavor::Drive)
        }));
    }
    if !s.can_trash(f) {
        return Err(Box::new(errors::drive(
            StatusCode::FORBIDDEN,
            "insufficientFilePermissions",
            &format!(
                "The user does not have sufficient permissions for file {}.",
                f.id
            ),
        )));
    }
    Ok(())
}

async fn get_file(
    State(store): State<Shared>,
    Extension(scopes): Extension<Scopes>,
    Path(id): Path<String>,
    Query(q): Query<GetQuery>,
) -> Response {
    let media = {
        let s = guard(&store);
        let (f, access) = match visible(&s, &id, &scopes, &q) {
            Ok(v) => v,
            Err(resp) => return *resp,
        };
        if q.alt.as_deref() != Some("media") {
            return Json(s.json(f, &scopes)).into_response();
        }
        if access == Access::Metadata {
            return errors::scope_denied(Flavor::Drive);
        }
        if f.mime.starts_with("application/vnd.google-apps.") {
            return errors::drive(
                StatusCode::FORBIDDEN,
                "fileNotDownloadable",
                "Only files with binary content can be downloaded. Use Export with Docs Editors files.",
            );
        }
        let bytes = s.contents.of(&f.id, f.md5.as_deref(), f.size.unwrap_or(0));
        (Arc::clone(&s.contents), bytes)
    };
    media.0.serve(media.1).await
}

/// A `thumbnailLink` target: the bytes set by the test (the id is the path up to `=s…`).
async fn thumbnail(
    State(store): State<Shared>,
    Extension(scopes): Extension<Scopes>,
    Path(link): Path<String>,
) -> Response {
    let id = link.split('=').next().unwrap_or_default();
    let s = guard(&store);
    match (s.files.get(id), s.thumbnails.get(id)) {
        (Some(f), Some(bytes))
            if !f.deleted && matches!(s.access(f, &scopes), Access::Content | Access::Write) =>
        {
            (
                StatusCode::OK,
                [(axum::http::header::CONTENT_TYPE, "image/png")],
                bytes.clone(),
            )
                .into_response()
        }
        _ => not_found(id),
    }
}

async fn patch_file(
    State(store): State<Shared>,
    Extension(scopes): Extension<Scopes>,
    Path(id): Path<String>,
    Query(q): Query<GetQuery>,
    Json(body): Json<Value>,
) -> Response {
    let mut s = guard(&store);
    let checked = visible(&s, &id, &scopes, &q).and_then(|(f, a)| may_change(&s, f, a, &scopes));
    if let Err(resp) = checked {
        return *resp;
    }
    let seq = s.bump();
    let Some(f) = s.files.get_mut(&id) else {
        return not_found(&id);
    };
    if let Some(t) = body.get("trashed").and_then(Value::as_bool) {
        f.trashed = t;
    }
    if let Some(n) = body.get("name").and_then(Value::as_str) {
        n.clone_into(&mut f.name);
    }
    f.seq = seq;
    Json(json!({"id": f.id})).into_response()
}

/// `POST /files` with `{"name", "mimeType": folder}`: a new folder in My Drive's root.
async fn create_folder(
    State(store): State<Shared>,
    Extension(scopes): Extension<Scopes>,
    Json(body): Json<Value>,
) -> Response {
    if !scopes.any(&["drive", "drive.file"]) {
        return errors::scope_denied(Flavor::Drive);
    }
    let name = body
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("Untitled");
    let mut s = guard(&store);
    let id = s.insert(ROOT, name, "application/vnd.google-apps.folder", None, None);
    s.granted.insert(id.clone());
    Json(json!({"kind": "drive#file", "id": id})).into_response()
}

/// `POST /upload/drive/v3/files?uploadType=multipart`: metadata part, then content part.
async fn upload(
    State(store): State<Shared>,
    Extension(scopes): Extension<Scopes>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if !scopes.any(&["drive", "drive.file"]) {
        return errors::scope_denied(Flavor::Drive);
    }
    let content_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let parts = crate::uploads::multipart_parts(content_type, &body);
    let (Some(meta), Some(content)) = (
        parts
            .first()
            .and_then(|(_, m)| serde_json::from_slice::<Value>(m).ok()),
        parts.get(1).map(|(_, c)| *c),
    ) else {
        return errors::drive(
            StatusCode::BAD_REQUEST,
            "badContent",
            "Malformed multipart body",
        );
    };
    let name = meta
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("Untitled");
    let parent = meta
        .pointer("/parents/0")
        .and_then(Value::as_str)
        .unwrap_or(ROOT);
    let mut s = guard(&store);
    let hash = crate::uploads::digest(content);
    let id = s.insert(
        parent,
        name,
        "application/octet-stream",
        Some(content.len() as u64),
        Some(&hash),
    );
    s.granted.insert(id.clone());
    s.contents.set(&id, content.to_vec());
    Json(json!({"kind": "drive#file", "id": id})).into_response()
}

async fn delete_file(
    State(store): State<Shared>,
    Extension(scopes): Extension<Scopes>,
    Path(id): Path<String>,
    Query(q): Query<GetQuery>,
) -> Response {
    let mut s = guard(&store);
    let checked = visible(&s, &id, &scopes, &q).and_then(|(f, a)| may_change(&s, f, a, &scopes));
    if let Err(resp) = checked {
        return *resp;
    }
    // Deleting a folder deletes what it holds, as Drive does for the owner.
    let seq = s.bump();
    let doomed: Vec<String> = s
        .files
        .values()
        .filter(|f| f.id == id || f.parent == id)
        .map(|f| f.id.clone())
        .collect();
    for d in doomed {
        if let Some(f) = s.files.get_mut(&d) {
            f.deleted = true;
            f.seq = seq;
        }
    }
    StatusCode::NO_CONTENT.into_response()
}

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
