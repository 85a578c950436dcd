//! The per-client API rate limit: refused with 429 and problem details once spent, per client
//! address, and only under `/api/`.

use crate::support::{Options, TestApp, TestResult};

#[tokio::test]
async fn the_api_limit_answers_429_with_problem_details_per_client() -> TestResult {
    // The trusted proxy lets the test speak for two client addresses over one socket.
    let app = TestApp::start_with(Options {
        api_rate: Some(5),
        trusted_proxy: Some("127.0.0.1".parse()?),
        ..Default::default()
    })
    .await?;
    let b = app.user("r@example.com", "R").await?;
    let me = |ip: &'static str| {
        b.client
            .get(b.url("/api/me"))
            .header("x-forwarded-for", ip)
            .send()
    };
    for i in 0..5 {
        assert_eq!(me("203.0.113.7").await?.status(), 200, "request {i}");
    }
    let res = me("203.0.113.7").await?;
    assert_eq!(res.status(), 429);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let retry: u64 = res.headers()["retry-after"].to_str()?.parse()?;
    assert!((1..=60).contains(&retry), "retry-after {retry}");
    let body: serde_json::Value = res.json().await?;
    assert_eq!(body["status"], 429, "{body}");
    assert_eq!(body["code"], "too_many_attempts", "{body}");
    // Another client still has its budget, and pages are not API requests.
    assert_eq!(me("198.51.100.9").await?.status(), 200);
    let page = b
        .client
        .get(b.url("/dashboard"))
        .header("x-forwarded-for", "203.0.113.7")
        .send()
        .await?;
    assert_eq!(page.status(), 200);
    Ok(())
}
