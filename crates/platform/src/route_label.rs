//! Which route answered a request: the label of its log line and its histogram series.
//!
//! The label is the route template (`/{id}/raw`), never the raw path: paste ids are
//! capabilities. The envelope wraps the whole application, outside routing, so it hands each
//! request a [`RouteSlot`] in its extensions and reads the label back when it answers:
//! [`LabelRoutesLayer`], applied to every route, fills the slot with axum's [`MatchedPath`]
//! when the route is called, and a service that answers before the router (a fast path) fills
//! it with its own template. Because the slot is filled before the handler runs, a handler that
//! panics or overruns the timeout is still counted under its route. An empty slot means no
//! route matched.

use std::convert::Infallible;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};

use axum::extract::{MatchedPath, Request};
use axum::response::Response;
use prometheus_client::encoding::{EncodeLabelValue, LabelValueEncoder};
use tower::{Layer, Service};

/// The route label used for requests that matched no route.
pub const UNMATCHED_ROUTE: &str = "unmatched";

static UNMATCHED: RouteLabel = RouteLabel::Named(UNMATCHED_ROUTE);

/// A route label. Cloning one shares the string, so labelling a request copies no text.
#[derive(Clone, Debug)]
pub enum RouteLabel {
    /// The route template axum matched.
    Matched(MatchedPath),
    /// A template known before routing (a fast path's), shared.
    Template(Arc<str>),
    /// A fixed name.
    Named(&'static str),
}

impl RouteLabel {
    /// The label's text.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Matched(path) => path.as_str(),
            Self::Template(template) => template,
            Self::Named(name) => name,
        }
    }
}

impl PartialEq for RouteLabel {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for RouteLabel {}

impl Hash for RouteLabel {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl EncodeLabelValue for RouteLabel {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> std::fmt::Result {
        EncodeLabelValue::encode(&self.as_str(), encoder)
    }
}

/// Where the envelope learns a request's route; see the module documentation.
#[derive(Clone, Debug, Default)]
pub struct RouteSlot(Arc<OnceLock<RouteLabel>>);

impl RouteSlot {
    /// Records the route answering the request; the first route recorded stays.
    pub fn set(&self, label: RouteLabel) {
        let _ = self.0.set(label);
    }

    /// The recorded route, or [`UNMATCHED_ROUTE`].
    pub fn get(&self) -> &RouteLabel {
        self.0.get().unwrap_or(&UNMATCHED)
    }
}

/// Records, for the routes it is applied to, the template they matched in the request's
/// [`RouteSlot`].
#[derive(Debug, Clone, Copy, Default)]
pub struct LabelRoutesLayer;

impl<S> Layer<S> for LabelRoutesLayer {
    type Service = LabelRoutes<S>;

    fn layer(&self, inner: S) -> Self::Service {
        LabelRoutes { inner }
    }
}

/// The service of [`LabelRoutesLayer`].
#[derive(Debug, Clone)]
pub struct LabelRoutes<S> {
    inner: S,
}

impl<S> Service<Request> for LabelRoutes<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let ext = req.extensions();
        if let (Some(slot), Some(matched)) = (ext.get::<RouteSlot>(), ext.get::<MatchedPath>()) {
            slot.set(RouteLabel::Matched(matched.clone()));
        }
        self.inner.call(req)
    }
}
