//! Test support: fake Microsoft Graph (OneDrive) and Google Drive v3 servers speaking the
//! documented JSON over real HTTP on `127.0.0.1:0`.
//!
//! Both fakes page listings, serve incremental changes (Graph delta links, Drive change
//! tokens), report content hashes, move items to and from trash, issue expiring bearer tokens
//! through an OAuth-style `/token` endpoint, serve file content for download (Graph
//! `/content`, Drive `?alt=media`) and thumbnails set by a test (Graph
//! `/thumbnails/0/small/content`, Drive `thumbnailLink`), throw throttling storms (429/503 with
//! `Retry-After`, Drive's 403 `userRateLimitExceeded`) on demand, and count API calls.
//!
//! ```no_run
//! use declutter_fakes::Gated as _; // call counts, token expiry, throttling
//! # async fn demo() -> Result<(), declutter_fakes::FakeError> {
//! let graph = declutter_fakes::FakeGraph::start().await?;
//! let id = graph.add_file(None, "a.txt", 3, "qxh");
//! assert_eq!(graph.calls(), 0);
//! # let _ = id; Ok(()) }
//! ```

mod common;
mod content;
mod drive;
mod graph;
mod server;

pub use common::{Gate, Gated, Throttle, ThrottleKind};
pub use content::{Contents, filler};
pub use drive::{DriveFile, FakeDrive};
pub use graph::{FakeGraph, GraphItem};
pub use server::FakeError;
