//! `GET /{id}/raw` of a paste held in memory, answered in front of the router.
//!
//! A read of a small public paste that the store keeps in memory is the commonest request a
//! pastebin serves, and the one its performance target is set on. Taking it through axum's
//! router (matching, the matched path and the URL parameters in the extensions, the boxed route
//! and handler futures) cost about a fifth of the throughput (`bench/fpasted-load.sh`). This
//! service answers exactly that case with the handler's own response builder
//! ([`read::raw_response`]) and hands everything else to the router unchanged: other methods
//! (`HEAD` included) and paths, ids that do not parse, and pastes not in memory, which covers
//! expired, burn-after-read and password-protected ones (never cached). It sits inside the
//! platform stack, so the request id, security headers, timeout, panic catching, histogram and
//! log line are the same either way; it records the route template the router would have
//! matched.

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::Router;
use axum::extract::Request;
use axum::response::Response;
use axum::routing::future::RouteFuture;
use futures_util::future::{Either, Ready, ready};
use http::Method;
use paste_core::id::PasteId;
use platform::route_label::{RouteLabel, RouteSlot};
use tower::Service;

use crate::handlers::read;
use crate::state::AppState;

/// The fast path in front of `router`; see the module documentation.
#[derive(Clone)]
pub struct HotRaw {
    router: Router,
    state: AppState,
    /// `{prefix}/{id}/raw`, the template the router matches for this path.
    label: RouteLabel,
}

impl HotRaw {
    /// Puts the fast path in front of `router`, which must serve `state`'s pastes.
    pub fn new(router: Router, state: AppState) -> Self {
        let label =
            RouteLabel::Template(Arc::from(format!("{}/{{id}}/raw", state.config.url_prefix)));
        Self {
            router,
            state,
            label,
        }
    }

    /// The answer from memory, or `None` for anything the router has to see.
    fn answer(&self, req: &Request) -> Option<Response> {
        if req.method() != Method::GET {
            return None;
        }
        let id = raw_path_id(req.uri().path(), &self.state.config.url_prefix)?;
        if !PasteId::is_well_formed(id) {
            return None;
        }
        let paste = self.state.store.cached(id, self.state.config.clock.now())?;
        let content = paste.content.clone()?;
        if let Some(slot) = req.extensions().get::<RouteSlot>() {
            slot.set(self.label.clone());
        }
        Some(read::raw_response(&paste.meta, content))
    }
}

/// The id segment of `{prefix}/{id}/raw`, exactly: no trailing slash, no further segments.
fn raw_path_id<'a>(path: &'a str, prefix: &str) -> Option<&'a str> {
    let id = path
        .strip_prefix(prefix)?
        .strip_prefix('/')?
        .strip_suffix("/raw")?;
    (!id.is_empty() && !id.contains('/')).then_some(id)
}

impl Service<Request> for HotRaw {
    type Response = Response;
    type Error = Infallible;
    type Future = Either<Ready<Result<Response, Infallible>>, RouteFuture<Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Service::<Request>::poll_ready(&mut self.router, cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        match self.answer(&req) {
            Some(res) => Either::Left(ready(Ok(res))),
            None => Either::Right(self.router.call(req)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::raw_path_id;

    #[test]
    fn only_the_exact_raw_path_yields_an_id() {
        assert_eq!(raw_path_id("/abc/raw", ""), Some("abc"));
        assert_eq!(raw_path_id("/paste/abc/raw", "/paste"), Some("abc"));
        for (path, prefix) in [
            ("/abc/raw/", ""),
            ("/abc", ""),
            ("//raw", ""),
            ("/a/b/raw", ""),
            ("/abc/raw", "/paste"),
            ("/pasteabc/raw", "/paste"),
            ("abc/raw", ""),
        ] {
            assert_eq!(raw_path_id(path, prefix), None, "{path} under {prefix:?}");
        }
    }
}
