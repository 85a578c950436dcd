//! Abuse limits: sizes, the content-hash throttle, the per-IP rate limit, entropy enforcement.

use base64::Engine;
use serde_json::Value;

use crate::support::{Server, TestResult, http, problem};

#[tokio::test]
async fn size_limits_apply_to_announced_and_streamed_bodies() -> TestResult {
    let server = Server::start(|c| {
        c.max_anon = 1024;
        c.min_size = 4;
    })
    .await?;
    let c = http();
    let res = c
        .post(server.url("/"))
        .body(vec![b'x'; 1025])
        .send()
        .await?;
    let body = problem(res, 413, "payload_too_large").await?;
    assert_eq!(body["max_size"], 1024);
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..10).map(|_| Ok(vec![b'y'; 200])).collect();
    let streamed = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
    let res = c.post(server.url("/")).body(streamed).send().await?;
    problem(res, 413, "payload_too_large").await?;
    assert_eq!(
        c.post(server.url("/"))
            .body(vec![b'x'; 1024])
            .send()
            .await?
            .status(),
        201
    );
    problem(
        c.post(server.url("/")).body("abc").send().await?,
        400,
        "content_too_small",
    )
    .await?;
    problem(
        c.post(server.url("/")).body("").send().await?,
        400,
        "content_too_small",
    )
    .await?;
    Ok(())
}

#[tokio::test]
async fn same_content_too_often_is_throttled() -> TestResult {
    let server = Server::start(|c| {
        c.dedup_max = 2;
        c.dedup_window = 3600;
    })
    .await?;
    let c = http();
    for _ in 0..2 {
        assert_eq!(
            c.post(server.url("/"))
                .body("spam spam")
                .send()
                .await?
                .status(),
            201
        );
    }
    let res = c.post(server.url("/")).body("spam spam").send().await?;
    let retry: u64 = res.headers()["retry-after"].to_str()?.parse()?;
    assert!((1..=3600).contains(&retry));
    problem(res, 429, "duplicate_content").await?;
    assert_eq!(
        c.post(server.url("/"))
            .body("different")
            .send()
            .await?
            .status(),
        201
    );
    Ok(())
}

#[tokio::test]
async fn creations_are_rate_limited_per_address() -> TestResult {
    let server = Server::start(|c| c.rate_limit = 3).await?;
    let c = http();
    for i in 0..3 {
        let res = c
            .post(server.url("/"))
            .body(format!("paste {i}"))
            .send()
            .await?;
        assert_eq!(res.status(), 201);
    }
    // An untrusted X-Forwarded-For does not buy a fresh bucket.
    let res = c
        .post(server.url("/"))
        .header("x-forwarded-for", "203.0.113.77")
        .body("one more")
        .send()
        .await?;
    assert!(res.headers().contains_key("retry-after"));
    problem(res, 429, "rate_limited").await?;
    assert_eq!(
        c.get(server.url("/health")).send().await?.status(),
        200,
        "reads are not limited"
    );
    Ok(())
}

#[tokio::test]
async fn entropy_rule_accepts_ciphertext_and_refuses_base64() -> TestResult {
    let server = Server::start(|c| {
        c.min_entropy = 7.0;
        c.min_entropy_size = 256;
    })
    .await?;
    let c = http();
    let mut random = vec![0u8; 4096];
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for b in &mut random {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = (x >> 24) as u8;
    }
    assert_eq!(
        c.post(server.url("/"))
            .body(random.clone())
            .send()
            .await?
            .status(),
        201
    );
    let b64 = base64::engine::general_purpose::STANDARD.encode(&random);
    let res = c.post(server.url("/")).body(b64).send().await?;
    let body: Value = problem(res, 400, "entropy_too_low").await?;
    assert!(body["entropy"].as_f64().is_some_and(|e| e < 6.1));
    assert_eq!(body["min_entropy"], 7.0);
    assert!(body["hint"].as_str().is_some_and(|h| h.contains("encrypt")));
    assert_eq!(
        c.post(server.url("/"))
            .body("short text")
            .send()
            .await?
            .status(),
        201,
        "small pastes are exempt"
    );
    Ok(())
}
