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
use axum::{Extension, Json};
use serde_json::{Value, json};

use crate::common::{Gate, guard};
use crate::content::Contents;
use crate::errors::{self, Flavor};
use crate::grants::Scopes;
use crate::server::Running;

mod control;

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
    /// The ids of the last delta round's window in order, for `(since, snapshot, seq)`: built
    /// once per round rather than per page (a million-item listing stays linear), and built
    /// again after any change (`seq` moves).
    delta_window: Option<(WindowKey, Arc<Vec<String>>)>,
    /// Live children per folder id as of `seq`, for the `childCount` of the folders a delta
    /// page lists: counted once per change rather than once per folder listed.
    child_counts: Option<(u64, Arc<HashMap<String, u64>>)>,
}

/// A delta round's window: `(since, snapshot, seq when built)`.
type WindowKey = (u64, u64, u64);

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
        self.json_counted(it, None)
    }

    /// Live children per folder id, counted again after any change.
    fn child_counts(&mut self) -> Arc<HashMap<String, u64>> {
        if let Some((seq, counts)) = &self.child_counts
            && *seq == self.seq
        {
            return Arc::clone(counts);
        }
        let mut counts: HashMap<String, u64> = HashMap::new();
        for parent in self
            .items
            .values()
            .filter(|i| !i.deleted)
            .filter_map(|i| i.parent.as_ref())
        {
            *counts.entry(parent.clone()).or_default() += 1;
        }
        let counts = Arc::new(counts);
        self.child_counts = Some((self.seq, Arc::clone(&counts)));
        counts
    }

    /// The item as Graph shows it; a folder's `childCount` from `counts` when given.
    fn json_counted(&self, it: &GraphItem, counts: Option<&HashMap<String, u64>>) -> Value {
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
            let children = match counts {
                Some(counts) => counts.get(&it.id).copied().unwrap_or(0),
                None => self
                    .items
                    .values()
                    .filter(|c| c.parent.as_deref() == Some(&it.id) && !c.deleted)
                    .count() as u64,
            };
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
    let key = (since, snap, d.seq);
    let window = match &d.delta_window {
        Some((k, ids)) if *k == key => Arc::clone(ids),
        _ => {
            let mut items: Vec<&GraphItem> = d
                .items
                .values()
                .filter(|i| i.seq > since && i.seq <= snap && !(full && i.deleted))
                .collect();
            items.sort_by(|a, b| a.seq.cmp(&b.seq).then(a.id.cmp(&b.id)));
            let ids = Arc::new(items.into_iter().map(|i| i.id.clone()).collect::<Vec<_>>());
            d.delta_window = Some((key, Arc::clone(&ids)));
            ids
        }
    };
    let link = format!("{}/me/drive/root/delta?token=", d.base);
    if d.empty_pages && offset == 0 && q.filled.is_none() {
        let next = format!("{link}{since}.{snap}.0&filled=1");
        return Json(json!({"value": [], "@odata.nextLink": next})).into_response();
    }
    let start = usize::try_from(offset)
        .unwrap_or(usize::MAX)
        .min(window.len());
    let end = (start + d.page_size).min(window.len());
    let counts = d.child_counts();
    let value: Vec<Value> = window[start..end]
        .iter()
        .filter_map(|id| d.items.get(id))
        .map(|i| d.json_counted(i, Some(&counts)))
        .collect();
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
