//! Test support: fake Microsoft Graph (OneDrive) and Google Drive v3 servers speaking the
//! documented JSON over real HTTP on `127.0.0.1:0`.
//!
//! Both fakes page listings, serve incremental changes (Graph delta links, Drive change
//! tokens), report content hashes, move items to and from trash, issue expiring bearer tokens
//! through an OAuth-style `/token` endpoint, serve file content for download (Graph
//! `/content`, Drive `?alt=media`) and thumbnails set by a test (Graph
//! `/thumbnails/0/small/content`, Drive `thumbnailLink`), throw throttling storms (429/503 with
//! `Retry-After`, Drive's 403 `userRateLimitExceeded` and `dailyLimitExceeded`) on demand, and
//! count API calls. [`FakeOAuth`] is the authorization server in front of either (PKCE, client
//! secret, redirect URI checked; refresh tokens rotated).
//!
//! They are as strict as the documentation: tokens carry scopes ([`Gated::grant`]) and every
//! route checks them against the published permission tables; errors use the documented
//! bodies and reasons; the token endpoint can rotate, expire and require a client secret;
//! Drive lets only owners (or a shared drive's organizers) trash, grants `drive.file` per
//! file, and has shared drives and `changeType: "drive"` changes. The tokens a fake starts
//! with ([`Gated::access_token`], [`Gated::refresh_token`]) carry full access.
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
mod drive_store;
mod errors;
mod grants;
mod graph;
mod oauth;
mod server;
mod uploads;

pub use common::{Gate, Gated, Throttle, ThrottleKind};
pub use content::{Contents, filler};
pub use drive::FakeDrive;
pub use drive_store::{DriveFile, Role};
pub use grants::{Grant, Rotation, Scopes};
pub use graph::{Facet, FakeGraph, GraphItem};
pub use oauth::FakeOAuth;
pub use server::FakeError;
