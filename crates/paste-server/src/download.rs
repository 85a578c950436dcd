//! Large pastes streamed from the database a chunk at a time, so a download holds one chunk
//! (`paste_core::store::CONTENT_CHUNK`) however large the paste and however slow the reader;
//! [`sized`] serves the client binary (`client_dist`) the same way.

use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Body;
use bytes::Bytes;
use futures_util::Stream;
use futures_util::stream::{BoxStream, StreamExt};
use http_body::{Frame, SizeHint};
use paste_core::store::{CONTENT_CHUNK, PasteStore, StoreError};

/// Why a download stopped early; the client sees a truncated body, as the length promised more.
#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    /// The paste was deleted meanwhile.
    #[error("paste deleted during download")]
    Gone,
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Reading a file failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// A body of `size` bytes read from paste `id` on demand.
pub fn body(store: PasteStore, id: String, size: u64) -> Body {
    let chunks = futures_util::stream::unfold(0_u64, move |offset| {
        let (store, id) = (store.clone(), id.clone());
        async move {
            if offset >= size {
                return None;
            }
            let next = match store.content_chunk(&id, offset, CONTENT_CHUNK).await {
                Ok(Some(chunk)) if !chunk.is_empty() => chunk,
                Ok(_) => return Some((Err(DownloadError::Gone), size)),
                Err(e) => return Some((Err(e.into()), size)),
            };
            let offset = offset + next.len() as u64;
            Some((Ok(next), offset))
        }
    });
    sized(chunks.boxed(), size)
}

/// A body of the `size` bytes `chunks` yields, announced with its exact length.
pub fn sized(chunks: BoxStream<'static, Result<Bytes, DownloadError>>, size: u64) -> Body {
    Body::new(Sized {
        chunks,
        remaining: size,
    })
}

/// The chunks with their exact total, so the response keeps its `Content-Length`.
struct Sized {
    chunks: BoxStream<'static, Result<Bytes, DownloadError>>,
    remaining: u64,
}

impl http_body::Body for Sized {
    type Data = Bytes;
    type Error = DownloadError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        match Pin::new(&mut self.chunks).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                self.remaining = self.remaining.saturating_sub(chunk.len() as u64);
                Poll::Ready(Some(Ok(Frame::data(chunk))))
            }
            Poll::Ready(Some(Err(e))) => {
                tracing::warn!(error = %e, "download ended early");
                Poll::Ready(Some(Err(e)))
            }
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}
