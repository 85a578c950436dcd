//! A fake Microsoft Graph v1.0 drive: `/me/drive/root/delta` with paging, delta links and
//! `410 resyncRequired` with a `Location` to start over, item get/patch/delete, the app folder,
//! quickXorHash on files, `remoteItem` and `package` items, and the small thumbnail of items
//! given one (`/thumbnails/0/small/content`; 404 for the others, as Graph answers).
//!
//! Every route checks the token's scopes against Graph's permission tables: reading needs one
//! of `Files.Read`, `Files.ReadWrite`, `Files.Read.All`, `Files.ReadWrite.All`; changing needs
//! `Files.ReadWrite` or `Files.ReadWrite.All`; `/special/approot` answers 403 `accessDenied`
//! to a read-only grant while the app folder does not exist (only a write or
//! `Files.ReadWrite.AppFolder` grant creates it). Downloads answer 302 to a second server (a
//! different origin, like Graph's pre-authenticated URLs), which refuses any request carrying
//! an `Authorization` header.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde_json::{Value, json};

use crate::common::{self, Gate, guard};
use crate::content::Contents;
use crate::errors::{self, Flavor};
use crate::grants::{Rotation, Scopes};
use crate::server::{FakeError, Running, serve};

const ROOT: &str = "root-id";

/// Scopes that read files (Graph's permission table for driveItem get, delta, content).
const READ: &[&str] = &[
    "Files.Read",
    "Files.ReadWrite",
    "Files.Read.All",
    "Files.ReadWrite.All",
];
/// Scopes that change files (update, delete).
const WRITE: &[&str] = &["Files.ReadWrite", "Files.ReadWrite.All"];
/// The app-folder-only scope; it can create and use `/special/approot`.
const APP_FOLDER: &str = "Files.ReadWrite.AppFolder";

/// What kind of item, beyond file and folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Facet {
    /// An ordinary file or folder of this drive.
    Own,
    /// An item shared from another drive and added to this one (`remoteItem` facet): its
    /// content belongs to someone else.
    Remote,
    /// A package such as a OneNote notebook (`package` facet; neither file nor folder).
    Package,
}

/// One item of the fake drive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphItem {
    /// Item id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Parent id (`None` for the root).
    pub parent: Option<String>,
    /// Folder.
    pub folder: bool,
    /// Bytes.
    pub size: u64,
    /// quickXorHash (base64), files only.
    pub quick_xor: Option<String>,
    /// Version; part of the eTag.
    pub version: u64,
    /// Deleted (in the recycle bin).
    pub deleted: bool,
    /// Change sequence number of the last change.
    pub seq: u64,
    /// Own, remote or package.
    pub facet: Facet,
}

#[derive(Debug)]
struct Drive {
    items: BTreeMap<String, GraphItem>,
    seq: u64,
    next_id: u64,
    page_size: usize,
    base: String,
    contents: Arc<Contents>,
    /// Thumbnail bytes by item id.
    thumbnails: HashMap<String, Vec<u8>>,
    /// Delta links older than this sequence answer 410 (0: none).
    resync_below: u64,
    /// Requests that followed a 410's `Location`.
    resyncs_followed: u64,
    /// `http://127.0.0.1:PORT` of the download server.
    download_origin: String,
    /// Download requests that arrived with an `Authorization` header (and were refused).
    leaked_auth: u64,
    /// Items another client holds open: changes answer 423 `resourceLocked`.
    locked: std::collections::HashSet<String>,
    /// Each round opens with a page of no items and a next link (Graph may send those).
    empty_pages: bool,
}

impl Drive {
    fn bump(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    fn add(
        &mut self,
        parent: Option<&str>,
        name: &str,
        folder: bool,
        size: u64,
        qxh: Option<&str>,
    ) -> String {
        self.next_id += 1;
        let id = format!("ITEM{:06}", self.next_id);
        let seq = self.bump();
        let item = GraphItem {
            id: id.clone(),
            name: name.to_owned(),
            parent: Some(parent.unwrap_or(ROOT).to_owned()),
            folder,
            size,
            quick_xor: qxh.map(str::to_owned),
            version: 1,
            deleted: false,
            seq,
            facet: Facet::Own,
        };
        self.items.insert(id.clone(), item);
        id
    }

    fn json(&self, it: &GraphItem) -> Value {
        if it.deleted {
            // Deleted items carry few fields (OneDrive for Business sends no name).
            return json!({"id": it.id, "deleted": {"state": "deleted"},
                "parentReference": {"id": it.parent, "driveId": "fake-drive", "driveType": "personal"}});
        }
        let mut v = json!({
            "id": it.id,
            "name": it.name,
            "size": it.size,
            "eTag": format!("\"{{{}}},{}\"", it.id, it.version),
            "cTag": format!("\"c:{{{}}},{}\"", it.id, it.version),
            "lastModifiedDateTime": format!("2024-01-01T00:00:{:02}Z", it.version % 60),
        });
        if let Some(p) = &it.parent {
            v["parentReference"] =
                json!({"id": p, "driveId": "fake-drive", "driveType": "personal"});
        }
        if it.id == ROOT {
            v["root"] = json!({});
        }
        if it.facet == Facet::Package {
            v["package"] = json!({"type": "oneNote"});
            return v;
        }
        if it.facet == Facet::Remote {
            v["remoteItem"] = json!({"id": format!("REMOTE-{}", it.id), "size": it.size,
                "parentReference": {"driveId": "someone-elses-drive", "driveType": "personal"}});
        }
        if it.folder {
            let children = self
                .items
                .values()
                .filter(|c| c.parent.as_deref() == Some(&it.id) && !c.deleted)
                .count();
            v["folder"] = json!({"childCount": children});
        } else {
            v["file"] = json!({"mimeType": "application/octet-stream", "hashes": {"quickXorHash": it.quick_xor}});
        }
        if it.name == "Declutter" && it.folder {
            v["specialFolder"] = json!({"name": "approot"});
        }
        v
    }
}

/// A running fake Graph server.
#[derive(Debug)]
pub struct FakeGraph {
    server: Running,
    _downloads: Running,
    drive: Arc<Mutex<Drive>>,
    gate: Arc<Gate>,
}

#[derive(Debug, serde::Deserialize)]
struct DeltaQuery {
    token: Option<String>,
    /// Set on the `Location` of a 410, to count clients that follow it.
    resync: Option<String>,
    /// Set on the link after a leading empty page.
    filled: Option<String>,
}

type Shared = (Arc<Mutex<Drive>>, Arc<Gate>);

fn not_found() -> Response {
    errors::graph(
        StatusCode::NOT_FOUND,
        "itemNotFound",
        "The resource could not be found.",
    )
}

fn denied() -> Response {
    errors::scope_denied(Flavor::Graph)
}

async fn delta(
    State((drive, _)): State<Shared>,
    Extension(scopes): Extension<Scopes>,
    Query(q): Query<DeltaQuery>,
) -> Response {
    if !scopes.any(READ) {
        return denied();
    }
    let mut d = guard(&drive);
    if q.resync.is_some() {
        d.resyncs_followed += 1;
    }
    // token = "<since>" starts a round; "<since>.<snapshot>.<offset>" continues one.
    let parts: Vec<u64> = q
        .token
        .as_deref()
        .unwrap_or("0")
        .split('.')
        .filter_map(|p| p.parse().ok())
        .collect();
    let (since, snap, offset) = match parts.as_slice() {
        [s] => (*s, d.seq, 0),
        [s, n, o] => (*s, *n, *o),
        _ => return resync(&d),
    };
    if since > 0 && since < d.resync_below {
        return resync(&d);
    }
    let full = since == 0;
    let mut window: Vec<&GraphItem> = d
        .items
        .values()
        .filter(|i| i.seq > since && i.seq <= snap && !(full && i.deleted))
        .collect();
    window.sort_by(|a, b| a.seq.cmp(&b.seq).then(a.id.cmp(&b.id)));
    let link = format!("{}/me/drive/root/delta?token=", d.base);
    if d.empty_pages && offset == 0 && q.filled.is_none() {
        let next = format!("{link}{since}.{snap}.0&filled=1");
        return Json(json!({"value": [], "@odata.nextLink": next})).into_response();
    }
    let start = usize::try_from(offset)
        .unwrap_or(usize::MAX)
        .min(window.len());
    let end = (start + d.page_size).min(window.len());
    let value: Vec<Value> = window[start..end].iter().map(|i| d.json(i)).collect();
    let mut body = json!({"value": value});
    if end < window.len() {
        body["@odata.nextLink"] = json!(format!("{link}{since}.{snap}.{end}"));
    } else {
        body["@odata.deltaLink"] = json!(format!("{link}{snap}"));
    }
    Json(body).into_response()
}

/// `410 Gone` with `resyncRequired` (inner code `resyncChangesApplyDifferences`) and a
/// `Location` holding a new link that starts a fresh enumeration, as the delta docs describe.
fn resync(d: &Drive) -> Response {
    // The documented inner codes say how to reconcile; ours has nothing to upload.
    let body = json!({"error": {"code": "resyncRequired",
        "message": "Resync required. Replace any local items with the server's version.",
        "innerError": {"code": "resyncChangesApplyDifferences",
            "date": "2024-01-01T00:00:00", "request-id": "00000000-0000-0000-0000-000000000000"}}});
    let mut resp = (StatusCode::GONE, Json(body)).into_response();
    let to = format!(
        "{}/me/drive/root/delta?token=0.{}.0&resync=1",
        d.base, d.seq
    );
    if let Ok(v) = to.parse() {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}

async fn get_item(
    State((drive, _)): State<Shared>,
    Extension(scopes): Extension<Scopes>,
    Path(id): Path<String>,
) -> Response {
    if !scopes.any(READ) {
        return denied();
    }
    let d = guard(&drive);
    match d.items.get(&id) {
        Some(i) if !i.deleted => Json(d.json(i)).into_response(),
        _ => not_found(),
    }
}

/// `GET /me/drive/items/{id}/content`: like Graph, a 302 to a pre-authenticated URL.
async fn content(
    State((drive, _)): State<Shared>,
    Extension(scopes): Extension<Scopes>,
    Path(id): Path<String>,
) -> Response {
    if !scopes.any(READ) {
        return denied();
    }
    let d = guard(&drive);
    match d.items.get(&id) {
        Some(i) if !i.deleted && !i.folder => {
            let to = format!("{}/download/{id}?tempauth=fake", d.download_origin);
            (StatusCode::FOUND, [(axum::http::header::LOCATION, to)]).into_response()
        }
        _ => not_found(),
    }
}

/// The pre-authenticated download URL: the URL is the credential, and a request that also
/// carries a bearer token is refused (as the storage hosts behind Graph's URLs do).
async fn download(
    State((drive, _)): State<Shared>,
    Path(id): Path<String>,
    req: Request,
) -> Response {
    let (contents, bytes) = {
        let mut d = guard(&drive);
        if req.headers().contains_key(header::AUTHORIZATION) {
            d.leaked_auth += 1;
            return (
                StatusCode::UNAUTHORIZED,
                "pre-authenticated URL: no Authorization",
            )
                .into_response();
        }
        match d.items.get(&id) {
            Some(i) if !i.deleted && !i.folder => (
                Arc::clone(&d.contents),
                d.contents.of(&i.id, i.quick_xor.as_deref(), i.size),
            ),
            _ => return not_found(),
        }
    };
    contents.serve(bytes).await
}

/// `GET /me/drive/items/{id}/thumbnails/0/small/content`: the bytes set by the test, or 404.
async fn thumbnail(
    State((drive, _)): State<Shared>,
    Extension(scopes): Extension<Scopes>,
    Path(id): Path<String>,
) -> Response {
    if !scopes.any(READ) {
        return denied();
    }
    let d = guard(&drive);
    match (d.items.get(&id), d.thumbnails.get(&id)) {
        (Some(i), Some(bytes)) if !i.deleted => (
            StatusCode::OK,
            [(axum::http::header::CONTENT_TYPE, "image/png")],
            bytes.clone(),
        )
            .into_response(),
        _ => not_found(),
    }
}

async fn approot(
    State((drive, _)): State<Shared>,
    Extension(scopes): Extension<Scopes>,
) -> Response {
    let mut d = guard(&drive);
    let existing = d
        .items
        .values()
        .find(|i| i.folder && i.name == "Declutter" && !i.deleted)
        .map(|i| i.id.clone());
    let id = match existing {
        Some(id) if scopes.any(READ) || scopes.has(APP_FOLDER) => id,
        Some(_) => return denied(),
        // Only a grant that may write creates the folder; a read-only one is refused.
        None if !(scopes.any(WRITE) || scopes.has(APP_FOLDER)) => return denied(),
        None => {
            let apps = d.add(None, "Apps", true, 0, None);
            d.add(Some(&apps), "Declutter", true, 0, None)
        }
    };
    match d.items.get(&id) {
        Some(i) => Json(d.json(i)).into_response(),
        None => not_found(),
    }
}

async fn patch_item(
    State((drive, _)): State<Shared>,
    Extension(scopes): Extension<Scopes>,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    if !scopes.any(WRITE) {
        return denied();
    }
    let mut d = guard(&drive);
    let Some(current) = d.items.get(&id).filter(|i| !i.deleted).cloned() else {
        return not_found();
    };
    if d.locked.contains(&id) {
        return errors::graph(
            StatusCode::LOCKED,
            "resourceLocked",
            "The resource you are attempting to access is locked.",
        );
    }
    let parent = body
        .pointer("/parentReference/id")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or(current.parent.clone());
    let name = body
        .get("name")
        .and_then(Value::as_str)
        .map_or(current.name.clone(), str::to_owned);
    if parent
        .as_ref()
        .is_some_and(|p| !d.items.get(p).is_some_and(|f| f.folder && !f.deleted))
    {
        return not_found();
    }
    let clash = d
        .items
        .values()
        .any(|i| i.id != id && !i.deleted && i.parent == parent && i.name == name);
    if clash {
        return errors::graph(
            StatusCode::CONFLICT,
            "nameAlreadyExists",
            "The specified item name already exists.",
        );
    }
    let seq = d.bump();
    if let Some(item) = d.items.get_mut(&id) {
        item.parent = parent;
        item.name = name;
        item.version += 1;
        item.seq = seq;
    }
    match d.items.get(&id) {
        Some(i) => Json(d.json(i)).into_response(),
        None => not_found(),
    }
}

/// `POST /me/drive/root/children` with `{"name", "folder": {}}`: a new folder under the root.
async fn create_folder(
    State((drive, _)): State<Shared>,
    Extension(scopes): Extension<Scopes>,
    Json(body): Json<Value>,
) -> Response {
    if !scopes.any(WRITE) {
        return denied();
    }
    let Some(name) = body.get("name").and_then(Value::as_str) else {
        return errors::graph(
            StatusCode::BAD_REQUEST,
            "invalidRequest",
            "name is required",
        );
    };
    let mut d = guard(&drive);
    let id = d.add(None, name, true, 0, None);
    match d.items.get(&id) {
        Some(i) => (StatusCode::CREATED, Json(d.json(i))).into_response(),
        None => not_found(),
    }
}

/// `PUT /me/drive/items/{parent}:/{name}:/content`: a simple upload of a new file.
async fn upload(
    State((drive, _)): State<Shared>,
    Extension(scopes): Extension<Scopes>,
    Path((parent, name)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Response {
    if !scopes.any(WRITE) {
        return denied();
    }
    let (Some(parent), Some(name)) = (parent.strip_suffix(':'), name.strip_suffix(':')) else {
        return errors::graph(StatusCode::BAD_REQUEST, "invalidRequest", "bad upload path");
    };
    let mut d = guard(&drive);
    if !d.items.get(parent).is_some_and(|p| p.folder && !p.deleted) {
        return not_found();
    }
    let hash = crate::uploads::digest(&body);
    let id = d.add(Some(parent), name, false, body.len() as u64, Some(&hash));
    d.contents.set(&id, body.to_vec());
    match d.items.get(&id) {
        Some(i) => (StatusCode::CREATED, Json(d.json(i))).into_response(),
        None => not_found(),
    }
}

async fn delete_item(
    State((drive, _)): State<Shared>,
    Extension(scopes): Extension<Scopes>,
    Path(id): Path<String>,
) -> Response {
    if !scopes.any(WRITE) {
        return denied();
    }
    let mut d = guard(&drive);
    if d.items.get(&id).is_none_or(|i| i.deleted) {
        return not_found();
    }
    let seq = d.bump();
    if let Some(item) = d.items.get_mut(&id) {
        item.deleted = true;
        item.seq = seq;
    }
    StatusCode::NO_CONTENT.into_response()
}

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
