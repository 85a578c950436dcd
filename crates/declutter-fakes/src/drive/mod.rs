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
use axum::{Extension, Json};
use serde_json::{Value, json};

use crate::common::{Gate, guard};
use crate::drive_store::{Access, DriveFile, ROOT, Store};
use crate::errors::{self, Flavor};
use crate::grants::Scopes;
use crate::server::Running;

mod control;

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
