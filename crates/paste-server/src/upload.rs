//! Receiving a paste's body under admission control, a chunk at a time.
//!
//! A raw body is never held whole: it goes through a [`Spool`] (its first 64 KiB in memory,
//! the rest in an unnamed file beside the database), and its length, hash, entropy and MIME type
//! are computed as it arrives. So an upload costs the memory budget a small, fixed amount (its
//! head and the connection's buffers, [`memory_cost`]) and the spool budget its length while it
//! is on disk. A JSON body (`{"content": …}`) must be parsed whole, so it reserves its full
//! length in memory as before.
//!
//! A refused upload (413, or 503 when a budget stays spent) is answered at once while its body
//! is read and discarded in the background ([`platform::layers::linger`]), so a client that
//! writes its whole body before reading sees the answer rather than a reset connection.

use axum::body::Body;
use bytes::Bytes;
use http::{HeaderMap, header};
use http_body_util::{BodyExt, Limited};
use paste_core::sniff::SNIFF_HEAD;
use paste_core::store::{Content, Spool, Upload};

use crate::admission::Reservation;
use crate::error::ApiError;
use crate::handlers::body::{classify, read_to_vec};
use crate::handlers::create::unwrap_json;
use crate::metrics::Rejection;
use crate::state::AppState;

/// The most a connection reads from its socket at once (hyper's read buffer, set in `serve`);
/// a spooled upload holds about one such buffer in hyper and one on its way to the file.
pub const READ_BUFFER: usize = 64 * 1024;

/// A received upload and the budget it still holds (given back when dropped, after the store).
#[derive(Debug)]
pub struct Received {
    /// The content and its facts.
    pub upload: Upload,
    /// Reservations held until the paste is stored.
    pub holds: Vec<Reservation>,
}

/// Memory an upload of (at most) `expect` bytes holds while it arrives: its in-memory head and
/// the buffers between the socket and the spool file.
pub fn memory_cost(expect: u64) -> u64 {
    let head = expect.min(SNIFF_HEAD as u64);
    let buffers = expect.min(READ_BUFFER as u64);
    let spilled = if expect > SNIFF_HEAD as u64 {
        READ_BUFFER as u64
    } else {
        0
    };
    head + buffers + spilled
}

/// Receives `body` (at most `limit` bytes), refusing it with 413, 503, 408 or 400.
pub async fn receive(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
    limit: u64,
) -> Result<Received, ApiError> {
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > limit) {
        state.metrics.rejected(Rejection::Size);
        platform::layers::linger(body, state.config.body_timeout);
        return Err(platform::layers::too_large(limit).into());
    }
    let expect = announced.unwrap_or(limit).min(limit);
    if is_json(headers) {
        let (reservation, body) = admit(state, &state.budget, expect, body).await?;
        let raw = read_to_vec(body, limit, announced)
            .await
            .inspect_err(|e| count_size(state, e))?;
        let content = unwrap_json(headers, Bytes::from(raw))?;
        return Ok(Received {
            upload: Upload::in_memory(Vec::from(content)),
            holds: vec![reservation],
        });
    }
    let (memory, body) = admit(state, &state.budget, memory_cost(expect), body).await?;
    let (disk, body) = if expect > SNIFF_HEAD as u64 {
        let (held, body) = admit(state, &state.spool, expect, body).await?;
        (Some(held), body)
    } else {
        (None, body)
    };
    let upload = spool(state, body, limit, announced)
        .await
        .inspect_err(|e| count_size(state, e))?;
    let mut holds = vec![];
    match &upload.content {
        // The content is on disk now: only the disk reservation stays.
        Content::Spooled { .. } => drop(memory),
        Content::Memory(_) => holds.push(memory),
    }
    holds.extend(disk);
    Ok(Received { upload, holds })
}

/// Reserves `bytes` of `budget`, or answers 503 while the body is drained.
async fn admit(
    state: &AppState,
    budget: &crate::admission::BodyBudget,
    bytes: u64,
    body: Body,
) -> Result<(Reservation, Body), ApiError> {
    match budget.reserve(bytes).await {
        Ok(held) => Ok((held, body)),
        Err(refused) => {
            platform::layers::linger(body, state.config.body_timeout);
            Err(refused)
        }
    }
}

/// Reads `body` into a spool, chunk by chunk.
async fn spool(
    state: &AppState,
    body: Body,
    limit: u64,
    announced: Option<u64>,
) -> Result<Upload, ApiError> {
    let mut spool = Spool::new(&state.spool_dir, announced);
    let mut limited = Limited::new(body, usize::try_from(limit).unwrap_or(usize::MAX));
    while let Some(frame) = limited.frame().await {
        let frame = frame.map_err(|e| classify(e.as_ref(), limit))?;
        if let Ok(data) = frame.into_data() {
            spool.write(&data).await.map_err(spool_failed)?;
        }
    }
    spool.finish().await.map_err(spool_failed)
}

fn spool_failed(error: std::io::Error) -> ApiError {
    ApiError::Internal(format!("spooling an upload: {error}"))
}

fn count_size(state: &AppState, error: &ApiError) {
    if matches!(error, ApiError::Problem(p) if p.status == 413) {
        state.metrics.rejected(Rejection::Size);
    }
}

/// Whether the body is `application/json` (FlaskPaste's `{"content": "..."}`).
pub fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|ct| ct.trim().eq_ignore_ascii_case("application/json"))
}
