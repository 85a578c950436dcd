//! The benchmark ceiling: the smallest hyper server that answers every request with "hello".
//! `bench/fpasted-load.sh` measures fpasted against it on the same machine in the same run.
//!
//! `hello ADDR same-bytes` answers instead with what fpasted sends for a 1 KiB paste (the same
//! headers and body length) and nothing else: a second ceiling that separates the server's own
//! work from the cost of moving the bigger response through the kernel and the load generator.

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::Full;
use hyper::Response;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:5099".to_owned());
    let same_bytes = std::env::args().nth(2).as_deref() == Some("same-bytes");
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    loop {
        let (stream, _) = listener.accept().await?;
        tokio::spawn(async move {
            let svc = service_fn(move |_req| async move {
                Ok::<_, Infallible>(if same_bytes {
                    like_a_paste()
                } else {
                    Response::new(Full::new(Bytes::from_static(b"hello")))
                })
            });
            let _ = Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}

/// The headers and body size of fpasted's answer to `GET /{id}/raw` of a 1 KiB text paste.
fn like_a_paste() -> Response<Full<Bytes>> {
    static BODY: [u8; 1024] = [b'x'; 1024];
    let mut res = Response::new(Full::new(Bytes::from_static(&BODY)));
    let h = res.headers_mut();
    for (name, value) in [
        ("content-type", "text/plain; charset=utf-8"),
        ("content-disposition", "inline"),
        ("content-security-policy", "sandbox; default-src 'none'"),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("cache-control", "no-store"),
        ("referrer-policy", "no-referrer"),
        ("cross-origin-opener-policy", "same-origin"),
        ("cross-origin-resource-policy", "same-origin"),
        (
            "permissions-policy",
            "accelerometer=(), camera=(), geolocation=(), microphone=(), payment=(), usb=()",
        ),
        ("x-request-id", "00000000-0000-4000-8000-000000000000"),
    ] {
        h.insert(
            hyper::header::HeaderName::from_static(name),
            hyper::header::HeaderValue::from_static(value),
        );
    }
    res
}
