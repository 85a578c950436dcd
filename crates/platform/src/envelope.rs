//! The per-request envelope: one tower layer that does, in order, what every request needs around
//! its handler.
//!
//! On the way in: establish the request id, refuse an oversize `Content-Length` before running
//! the handler (reading on a bounded part of the body, see [`LINGER_MAX_BYTES`]), bound a
//! streamed body (total size and idle gaps between chunks). Around the handler: the
//! whole-request timeout and panic catching (a panic becomes a problem-details 500 and the
//! connection survives). On the way out, whatever the handler or the layers inside answered:
//! security headers, the echoed request id, the duration histogram, the log line and, when
//! configured, the error report.
//!
//! One hand-written service rather than a middleware per concern, and rather than axum's
//! `from_fn`: each `from_fn` layer clones the inner service and boxes its future per request,
//! and tower-http's panic catcher boxes the response body again. Measured on a cached
//! `GET /{id}/raw`, those were most of the server's own work per request. The timeout's timer is
//! only armed when the handler does not answer at its first poll, so a request served from memory
//! never touches the timer wheel. It wraps the whole application once, outside routing
//! ([`crate::layers::stack`]); the route a request matched reaches it through the
//! [`RouteSlot`] it puts in the request (see [`crate::route_label`]).

use std::any::Any;
use std::convert::Infallible;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::body::HttpBody as _;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use http::{StatusCode, header};
use http_body_util::BodyExt as _;
use pin_project_lite::pin_project;
use tokio::time::Sleep;
use tower::{Layer, Service};
use tower_http::timeout::TimeoutBody;

use crate::error_reporting::{ErrorReporter, Panicked, scrub};
use crate::metrics::HttpMetrics;
use crate::problem::Problem;
use crate::request_id::{X_REQUEST_ID, establish};
use crate::request_log::Started;
use crate::route_label::RouteSlot;
use crate::security_headers::{self, SecurityHeaders};

/// What the envelope enforces and where it records.
#[derive(Debug)]
pub(crate) struct Envelope {
    pub(crate) request_timeout: Duration,
    pub(crate) body_idle_timeout: Duration,
    pub(crate) max_body_bytes: u64,
    pub(crate) security: SecurityHeaders,
    pub(crate) metrics: Option<HttpMetrics>,
    pub(crate) reporter: Option<ErrorReporter>,
}

/// The layer; cloning it shares the configuration.
#[derive(Debug, Clone)]
pub(crate) struct EnvelopeLayer(Arc<Envelope>);

impl EnvelopeLayer {
    pub(crate) fn new(envelope: Envelope) -> Self {
        Self(Arc::new(envelope))
    }
}

impl<S> Layer<S> for EnvelopeLayer {
    type Service = EnvelopeService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        EnvelopeService {
            inner,
            env: Arc::clone(&self.0),
        }
    }
}

/// The service; see the module documentation.
#[derive(Debug, Clone)]
pub struct EnvelopeService<S> {
    inner: S,
    env: Arc<Envelope>,
}

impl<S> Service<Request> for EnvelopeService<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = EnvelopeFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request) -> Self::Future {
        let (id, id_value) = establish(req.headers());
        // Handlers read the id from the extensions; a client's id that was refused is replaced so
        // that nothing downstream sees it.
        if req
            .headers()
            .get(&X_REQUEST_ID)
            .is_some_and(|sent| *sent != id_value)
        {
            req.headers_mut()
                .insert(X_REQUEST_ID.clone(), id_value.clone());
        }
        req.extensions_mut().insert(id);
        let route = RouteSlot::default();
        req.extensions_mut().insert(route.clone());
        let started = Started::of(&req, route);
        let state = match bound_body(req, self.env.max_body_bytes, self.env.body_idle_timeout) {
            Err(body) => {
                // Answer at once (a client waiting on `Expect: 100-continue` sends nothing until
                // it hears from us), then keep reading what it does send: see [`linger`].
                linger(body, self.env.body_idle_timeout);
                State::Answered {
                    res: Some(too_large(self.env.max_body_bytes).into_response()),
                }
            }
            Ok(req) => match catch_unwind(AssertUnwindSafe(|| self.inner.call(req))) {
                Ok(inner) => State::Running {
                    inner,
                    deadline: None,
                },
                Err(payload) => State::Answered {
                    res: Some(panic_response(payload)),
                },
            },
        };
        EnvelopeFuture {
            state,
            started: Some(started),
            id_value: Some(id_value),
            env: Arc::clone(&self.env),
        }
    }
}

pin_project! {
    /// The response future of [`EnvelopeService`].
    pub struct EnvelopeFuture<F> {
        #[pin]
        state: State<F>,
        started: Option<Started>,
        id_value: Option<http::HeaderValue>,
        env: Arc<Envelope>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<F> {
        // The handler (and the layers inside) is working; `deadline` is armed on the first
        // `Pending`.
        Running {
            #[pin]
            inner: F,
            deadline: Option<Pin<Box<Sleep>>>,
        },
        // Answered without running the handler (a refused body or a panic in `call`).
        Answered { res: Option<Response> },
    }
}

impl<F> Future for EnvelopeFuture<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let Some(started) = this.started.as_ref() else {
            panic!("EnvelopeFuture polled after completion");
        };
        let res = match this.state.project() {
            StateProj::Answered { res } => res
                .take()
                .unwrap_or_else(|| Problem::internal("envelope answered twice").into_response()),
            StateProj::Running { inner, deadline } => {
                match catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
                    Ok(Poll::Ready(Ok(res))) => res,
                    Ok(Poll::Ready(Err(never))) => match never {},
                    Err(payload) => panic_response(payload),
                    Ok(Poll::Pending) => {
                        let timeout = this.env.request_timeout;
                        let sleep = deadline.get_or_insert_with(|| {
                            Box::pin(tokio::time::sleep_until((started.at() + timeout).into()))
                        });
                        ready!(sleep.as_mut().poll(cx));
                        Problem::new(
                            StatusCode::REQUEST_TIMEOUT,
                            "request_timeout",
                            "Request took too long",
                        )
                        .into_response()
                    }
                }
            }
        };
        let (Some(started), Some(id_value)) = (this.started.take(), this.id_value.take()) else {
            unreachable!("both are taken together, once");
        };
        Poll::Ready(Ok(finish(this.env, &started, id_value, res)))
    }
}

/// What every response gets on its way out.
fn finish(
    env: &Envelope,
    started: &Started,
    id_value: http::HeaderValue,
    mut res: Response,
) -> Response {
    security_headers::apply(res.headers_mut(), env.security);
    res.headers_mut().insert(X_REQUEST_ID.clone(), id_value);
    if let Some(reporter) = &env.reporter {
        reporter.report_response(started, &res);
    }
    started.finish(env.metrics.as_ref(), &res);
    res
}

/// How much of a refused body is read and thrown away after the refusal is sent. Clients such
/// as Python's `urllib` and `requests` write the whole body before reading anything; a server
/// that answers and closes with their bytes unread resets the connection, and they report a
/// broken pipe instead of the 413. Reading on after the answer (nginx's lingering close) lets
/// every body up to this size reach its end; a larger one is cut off.
pub const LINGER_MAX_BYTES: u64 = 32 * 1024 * 1024;

/// Reads and discards a refused `body` in the background, up to [`LINGER_MAX_BYTES`] and until
/// it stalls for `idle`, so the connection stays readable while the refusal is written. The
/// caller answers straight away; holding the body keeps hyper reading the connection.
pub fn linger(mut body: axum::body::Body, idle: Duration) {
    tokio::spawn(async move {
        let mut seen: u64 = 0;
        while seen <= LINGER_MAX_BYTES {
            match tokio::time::timeout(idle, body.frame()).await {
                Ok(Some(Ok(frame))) => {
                    seen += frame.data_ref().map_or(0, |d| d.len() as u64);
                }
                _ => break,
            }
        }
    });
}

/// `Err(body)` for a body announced larger than `max`; otherwise the request, with a body
/// that may still come wrapped so it is cut off at `max` bytes and times out after `idle`
/// without a chunk. Requests without a body (most GETs) pass through untouched.
fn bound_body(req: Request, max: u64, idle: Duration) -> Result<Request, axum::body::Body> {
    let announced = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > max) {
        return Err(req.into_body());
    }
    if req.body().is_end_stream() {
        return Ok(req);
    }
    Ok(req.map(|body| {
        axum::body::Body::new(TimeoutBody::new(
            idle,
            http_body_util::Limited::new(body, usize::try_from(max).unwrap_or(usize::MAX)),
        ))
    }))
}

/// The 500 for a caught panic: the panic message (scrubbed of secrets) is the internal cause,
/// logged and reported, never shown.
fn panic_response(payload: Box<dyn Any + Send + 'static>) -> Response {
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".to_owned());
    let mut res =
        Problem::internal(format!("handler panicked: {}", scrub(&message))).into_response();
    res.extensions_mut().insert(Panicked);
    res
}

/// The 413 problem for a body over `max` bytes.
pub fn too_large(max: u64) -> Problem {
    Problem::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("Content exceeds the maximum size of {max} bytes"),
    )
    .with("max_size", max)
}
