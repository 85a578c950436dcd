//! Space used per source, by file type and by duplicates: the dashboard's numbers and chart.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use declutter_core::store::{files, groups};

use crate::auth::access::{CurrentUser, Principal};
use crate::error::ApiError;
use crate::model::{Bar, Usage};
use crate::pages::human;
use crate::state::AppState;
use crate::work;

/// Width in SVG units of the longest bar.
const BAR_MAX: u64 = 300;

/// A coarse kind from the file extension.
pub fn kind(name: &str) -> &'static str {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    kind_of_extension(&ext)
}

/// A coarse kind from a lower-case extension (the text after the last dot).
pub fn kind_of_extension(ext: &str) -> &'static str {
    match ext {
        "jpg" | "jpeg" | "png" | "gif" | "heic" | "webp" | "bmp" | "tif" | "tiff" | "raw"
        | "svg" => "Images",
        "mp4" | "mov" | "mkv" | "avi" | "webm" | "m4v" => "Videos",
        "mp3" | "flac" | "wav" | "m4a" | "ogg" | "aac" => "Audio",
        "pdf" | "doc" | "docx" | "xls" | "xlsx" | "ppt" | "pptx" | "odt" | "ods" | "txt" | "md"
        | "rtf" | "csv" => "Documents",
        "zip" | "tar" | "gz" | "7z" | "rar" | "xz" | "bz2" | "iso" | "dmg" => "Archives",
        _ => "Other",
    }
}

fn bars(amounts: Vec<(String, u64, u64)>) -> Vec<Bar> {
    let max = amounts.iter().map(|a| a.2).max().unwrap_or(0).max(1);
    amounts
        .into_iter()
        .map(|(label, files, bytes)| Bar {
            label,
            files,
            bytes,
            bytes_text: human(bytes),
            width: bytes.saturating_mul(BAR_MAX) / max,
        })
        .collect()
}

/// Computes the caller's usage from the index.
pub async fn load(state: &AppState, p: &Principal) -> Result<Usage, ApiError> {
    let owner = work::owner(&p.user.id)?;
    // Aggregated in SQL (per source and extension) and from the group summary: no file or
    // group rows are loaded.
    let (rows, summary) = state
        .pool
        .read(move |c| -> Result<_, declutter_core::db::DbError> {
            Ok((files::usage(c, &owner)?, groups::summary(c, &owner)?))
        })
        .await??;
    let mut per_source: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let mut per_kind: BTreeMap<&'static str, (u64, u64)> = BTreeMap::new();
    let mut total = 0u64;
    for r in rows {
        let k = per_kind.entry(kind_of_extension(&r.extension)).or_default();
        k.0 += r.files;
        k.1 += r.bytes;
        total += r.bytes;
        let s = per_source.entry(r.source).or_default();
        s.0 += r.files;
        s.1 += r.bytes;
    }
    let copies = summary.duplicate_copies;
    let reclaimable = summary.reclaimable_bytes;
    let mut kinds: Vec<(String, u64, u64)> = per_kind
        .into_iter()
        .map(|(k, (n, b))| (k.to_owned(), n, b))
        .collect();
    kinds.sort_by_key(|k| std::cmp::Reverse(k.2));
    Ok(Usage {
        sources: bars(
            per_source
                .into_iter()
                .map(|(s, (n, b))| (s.strip_prefix("local:").unwrap_or(&s).to_owned(), n, b))
                .collect(),
        ),
        by_type: bars(kinds),
        duplicates: bars(vec![
            (
                "Unique content".into(),
                0,
                total.saturating_sub(reclaimable),
            ),
            ("Duplicate copies".into(), copies, reclaimable),
        ]),
        groups: usize::try_from(summary.group_count).unwrap_or(usize::MAX),
        reclaimable,
    })
}

/// Space used per source, per kind of file, and by duplicate copies.
#[utoipa::path(get, path = "/api/usage", operation_id = "getUsage", tag = "review",
    responses((status = 200, description = "Usage", body = Usage)))]
pub async fn api_get(
    State(state): State<AppState>,
    CurrentUser(p): CurrentUser,
) -> Result<Json<Usage>, ApiError> {
    Ok(Json(load(&state, &p).await?))
}
