//! A response body already in memory, handed to hyper in bounded slices.
//!
//! The server writes responses flattened (see `serve`): each body chunk is copied into the
//! connection's write buffer. A large body given as one chunk would be copied whole, doubling
//! its memory for as long as the client takes to read it; slices of [`SLICE`] bytes (views of
//! the same allocation, not copies) keep that copy to one slice at a time, and the exact size
//! keeps the `Content-Length` header.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Body;
use bytes::Bytes;
use http_body::{Frame, SizeHint};

/// The largest piece handed to hyper at once.
pub const SLICE: usize = 64 * 1024;

/// A body for `content`: as it is when small, in slices when larger than [`SLICE`].
pub fn body(content: Bytes) -> Body {
    if content.len() <= SLICE {
        Body::from(content)
    } else {
        Body::new(Sliced { rest: content })
    }
}

/// The rest of the content, sent a slice at a time.
struct Sliced {
    rest: Bytes,
}

impl http_body::Body for Sliced {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.rest.is_empty() {
            return Poll::Ready(None);
        }
        let n = self.rest.len().min(SLICE);
        Poll::Ready(Some(Ok(Frame::data(self.rest.split_to(n)))))
    }

    fn is_end_stream(&self) -> bool {
        self.rest.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(u64::try_from(self.rest.len()).unwrap_or(u64::MAX))
    }
}

#[cfg(test)]
mod tests {
    use http_body::Body as _;
    use http_body_util::BodyExt;

    use super::*;

    #[tokio::test]
    async fn large_content_comes_in_slices_of_the_same_bytes_with_its_exact_size() {
        let content = Bytes::from((0..=255u8).cycle().take(3 * SLICE + 7).collect::<Vec<_>>());
        let mut sliced = body(content.clone());
        assert_eq!(sliced.size_hint().exact(), Some(3 * SLICE as u64 + 7));
        let mut got = Vec::new();
        let mut sizes = Vec::new();
        while let Some(frame) = sliced.frame().await {
            let Some(data) = frame.ok().and_then(|f| f.into_data().ok()) else {
                panic!("a frame that is not data");
            };
            sizes.push(data.len());
            got.extend_from_slice(&data);
        }
        assert_eq!(sizes, [SLICE, SLICE, SLICE, 7]);
        assert_eq!(got, content);
    }

    #[tokio::test]
    async fn small_content_is_one_piece() {
        let small = body(Bytes::from_static(b"hello"));
        assert_eq!(small.size_hint().exact(), Some(5));
        assert_eq!(
            small.collect().await.map(|c| c.to_bytes()).ok(),
            Some(Bytes::from_static(b"hello"))
        );
    }
}
