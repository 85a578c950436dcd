//! A fake Google Drive v3: `files.list` with paging, `changes` with page tokens, file
//! get/patch(trashed)/delete, md5Checksum on binary files, Google-native documents without one,
//! and a `thumbnailLink` (on the fake's own address, bearer token required) for files given a
//! thumbnail.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::common::{self, Gate, INITIAL_TOKEN, guard};
use crate::content::Contents;
use crate::server::{FakeError, Running, serve};

const ROOT: &str = "drive-root";
const MAX_PAGE: usize = 1000;

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
}

#[derive(Debug, Default)]
struct Store {
    files: BTreeMap<String, DriveFile>,
    seq: u64,
    next_id: u64,
    last_fields: Option<String>,
    last_page_size: Option<usize>,
    /// Files shared with the user by someone else (`ownedByMe: false`).
    not_owned: HashSet<String>,
    contents: Arc<Contents>,
    /// Thumbnail bytes by file id.
    thumbnails: HashMap<String, Vec<u8>>,
    /// `http://127.0.0.1:PORT`, for thumbnail links.
    origin: String,
}

impl Store {
    fn bump(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }
}

impl Store {
    fn json(&self, f: &DriveFile) -> Value {
        file_json(f, !self.not_owned.contains(&f.id))
    }
}

fn file_json(f: &DriveFile, owned: bool) -> Value {
    let mut v = json!({
        "id": f.id, "name": f.name, "parents": [f.parent], "mimeType": f.mime,
        "modifiedTime": format!("2024-02-01T00:{:02}:{:02}.000Z", (f.version / 60) % 60, f.version % 60),
        "ownedByMe": owned, "trashed": f.trashed,
    });
    if let Some(s) = f.size {
        v["size"] = json!(s.to_string());
    }
    if let Some(m) = &f.md5 {
        v["md5Checksum"] = json!(m);
    }
    v
}

fn not_found(id: &str) -> Response {
    let body = json!({"error": {"code": 404, "message": format!("File not found: {id}."),
        "errors": [{"domain": "global", "reason": "notFound", "message": "File not found"}]}});
    (StatusCode::NOT_FOUND, Json(body)).into_response()
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
}

type Shared = Arc<Mutex<Store>>;

fn page_size(q: &ListQuery) -> usize {
    q.page_size.unwrap_or(100).clamp(1, MAX_PAGE)
}

async fn list(State(store): State<Shared>, Query(q): Query<ListQuery>) -> Response {
    let mut s = guard(&store);
    s.last_fields.clone_from(&q.fields);
    s.last_page_size = q.page_size;
    let skip_trashed =
        q.q.as_deref()
            .is_some_and(|q| q.replace(' ', "").contains("trashed=false"));
    let all: Vec<&DriveFile> = s
        .files
        .values()
        .filter(|f| !(f.deleted || skip_trashed && f.trashed))
        .collect();
    let offset: usize = q
        .page_token
        .as_deref()
        .and_then(|t| t.parse().ok())
        .unwrap_or(0)
        .min(all.len());
    let end = (offset + page_size(&q)).min(all.len());
    let mut body = json!({"kind": "drive#fileList", "files": all[offset..end].iter().map(|f| s.json(f)).collect::<Vec<_>>()});
    if end < all.len() {
        body["nextPageToken"] = json!(end.to_string());
    }
    Json(body).into_response()
}

async fn start_token(State(store): State<Shared>) -> Response {
    let s = guard(&store);
    Json(json!({"kind": "drive#startPageToken", "startPageToken": s.seq.to_string()}))
        .into_response()
}

async fn changes(State(store): State<Shared>, Query(q): Query<ListQuery>) -> Response {
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
        [a] => (*a, s.seq, 0),
        [a, b, c] => (*a, *b, *c),
        _ => {
            let body = json!({"error": {"code": 400, "message": "Invalid pageToken",
                "errors": [{"domain": "global", "reason": "invalid", "message": "Invalid pageToken"}]}});
            return (StatusCode::BAD_REQUEST, Json(body)).into_response();
        }
    };
    let mut window: Vec<&DriveFile> = s
        .files
        .values()
        .filter(|f| f.seq > since && f.seq <= snap)
        .collect();
    window.sort_by(|a, b| a.seq.cmp(&b.seq).then(a.id.cmp(&b.id)));
    let start = usize::try_from(offset)
        .unwrap_or(usize::MAX)
        .min(window.len());
    let end = (start + page_size(&q)).min(window.len());
    let entries: Vec<Value> = window[start..end]
        .iter()
        .map(|f| {
            let mut c = json!({"kind": "drive#change", "changeType": "file", "fileId": f.id, "removed": f.deleted});
            if !f.deleted {
                c["file"] = s.json(f);
            }
            c
        })
        .collect();
    let mut body = json!({"kind": "drive#changeList", "changes": entries});
    if end < window.len() {
        body["nextPageToken"] = json!(format!("{since}.{snap}.{end}"));
    } else {
        body["newStartPageToken"] = json!(snap.to_string());
    }
    Json(body).into_response()
}

#[derive(Debug, serde::Deserialize)]
struct GetQuery {
    alt: Option<String>,
}

async fn get_file(
    State(store): State<Shared>,
    Path(id): Path<String>,
    Query(q): Query<GetQuery>,
) -> Response {
    let media = {
        let s = guard(&store);
        let Some(f) = s.files.get(&id).filter(|f| !f.deleted) else {
            return not_found(&id);
        };
        if q.alt.as_deref() != Some("media") {
            let mut v = s.json(f);
            if s.thumbnails.contains_key(&f.id) {
                v["thumbnailLink"] = json!(format!("{}/thumbnails/{}=s220", s.origin, f.id));
            }
            return Json(v).into_response();
        }
        if f.mime.starts_with("application/vnd.google-apps.") {
            let body = json!({"error": {"code": 403, "message": "Only files with binary content can be downloaded. Use Export with Docs Editors files.",
                "errors": [{"domain": "global", "reason": "fileNotDownloadable", "message": "not downloadable"}]}});
            return (StatusCode::FORBIDDEN, Json(body)).into_response();
        }
        let bytes = s.contents.of(&f.id, f.md5.as_deref(), f.size.unwrap_or(0));
        (Arc::clone(&s.contents), bytes)
    };
    media.0.serve(media.1).await
}

/// A `thumbnailLink` target: the bytes set by the test (the id is the path up to `=s…`).
async fn thumbnail(State(store): State<Shared>, Path(link): Path<String>) -> Response {
    let id = link.split('=').next().unwrap_or_default();
    let s = guard(&store);
    match (s.files.get(id), s.thumbnails.get(id)) {
        (Some(f), Some(bytes)) if !f.deleted => (
            StatusCode::OK,
            [(axum::http::header::CONTENT_TYPE, "image/png")],
            bytes.clone(),
        )
            .into_response(),
        _ => not_found(id),
    }
}

async fn patch_file(
    State(store): State<Shared>,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    let mut s = guard(&store);
    if s.files.get(&id).is_none_or(|f| f.deleted) {
        return not_found(&id);
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

async fn delete_file(State(store): State<Shared>, Path(id): Path<String>) -> Response {
    let mut s = guard(&store);
    if s.files.get(&id).is_none_or(|f| f.deleted) {
        return not_found(&id);
    }
    let seq = s.bump();
    if let Some(f) = s.files.get_mut(&id) {
        f.deleted = true;
        f.seq = seq;
    }
    StatusCode::NO_CONTENT.into_response()
}

impl FakeDrive {
    /// Starts an empty drive on `127.0.0.1:0`.
    pub async fn start() -> Result<Self, FakeError> {
        let gate = Gate::new(INITIAL_TOKEN);
        let store = Arc::new(Mutex::new(Store {
            seq: 1,
            ..Store::default()
        }));
        let api = Router::new()
            .route("/drive/v3/files", get(list))
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
    fn add(
        &self,
        parent: Option<&str>,
        name: &str,
        mime: &str,
        size: Option<u64>,
        md5: Option<&str>,
    ) -> String {
        let mut s = guard(&self.store);
        s.next_id += 1;
        let id = format!("F{:07}", s.next_id);
        let seq = s.bump();
        let file = DriveFile {
            id: id.clone(),
            name: name.to_owned(),
            parent: parent.unwrap_or(ROOT).to_owned(),
            mime: mime.to_owned(),
            size,
            md5: md5.map(str::to_owned),
            version: 1,
            trashed: false,
            deleted: false,
            seq,
        };
        s.files.insert(id.clone(), file);
        id
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
