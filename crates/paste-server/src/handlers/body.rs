//! Reading a request body under a per-request byte limit.

use std::error::Error as StdError;

use axum::body::Body;
use bytes::Bytes;
use http::StatusCode;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use tower_http::timeout::TimeoutError;

use crate::error::{ApiError, problem};

/// Collects `body`, refusing it with 413 past `limit` bytes and 408 when the client stalls.
pub async fn read_limited(body: Body, limit: u64) -> Result<Bytes, ApiError> {
    let limited = Limited::new(body, usize::try_from(limit).unwrap_or(usize::MAX));
    match limited.collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) => Err(classify(error.as_ref(), limit)),
    }
}

/// Collects `body` into one buffer sized from `announced` (its `Content-Length`), so a large
/// upload is held once rather than as chunks plus their concatenation; refused as
/// [`read_limited`] refuses.
pub async fn read_to_vec(
    body: Body,
    limit: u64,
    announced: Option<u64>,
) -> Result<Vec<u8>, ApiError> {
    let cap = usize::try_from(limit).unwrap_or(usize::MAX);
    let mut limited = Limited::new(body, cap);
    let hint = announced.map_or(0, |n| usize::try_from(n.min(limit)).unwrap_or(0));
    let mut buf = Vec::with_capacity(hint);
    while let Some(frame) = limited.frame().await {
        let frame = frame.map_err(|e| classify(e.as_ref(), limit))?;
        if let Ok(data) = frame.into_data() {
            buf.extend_from_slice(&data);
        }
    }
    Ok(buf)
}

/// The problem for a body that failed to arrive: too large, too slow, or unreadable.
pub fn classify(error: &(dyn StdError + 'static), limit: u64) -> ApiError {
    let mut cause: Option<&(dyn StdError + 'static)> = Some(error);
    while let Some(e) = cause {
        if e.is::<LengthLimitError>() {
            return platform::layers::too_large(limit).into();
        }
        if e.is::<TimeoutError>() {
            return problem(
                StatusCode::REQUEST_TIMEOUT,
                "request_timeout",
                "Request body arrived too slowly",
            );
        }
        cause = e.source();
    }
    problem(
        StatusCode::BAD_REQUEST,
        "body_unreadable",
        "Request body could not be read",
    )
}
