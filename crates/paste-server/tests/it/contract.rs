//! Wire-contract fixes for FlaskPaste users: the proxy secret alone enables proxy trust, the
//! same-content 429 carries the original's members, and an early 413 reaches clients that write
//! the whole body before reading.

use clap::Parser;
use paste_server::Config;
use paste_server::config::Args;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{BoxError, Server, TestResult, http, problem, s};

const FP: &str = "0123456789abcdef0123456789abcdef01234567";

#[tokio::test]
async fn proxy_secret_alone_implies_proxy_trust() -> TestResult {
    let parsed = Config::from_args(Args::parse_from([
        "fpasted",
        "--proxy-secret",
        "only-the-secret-is-set",
    ]))?;
    assert!(parsed.trust_proxy, "the secret alone must enable trust");
    let server = Server::start(move |c| {
        c.trust_proxy = parsed.trust_proxy;
        c.proxy_secret = parsed.proxy_secret;
    })
    .await?;
    let created: Value = http()
        .post(server.url("/"))
        .header("x-ssl-client-sha1", FP)
        .header("x-proxy-secret", "only-the-secret-is-set")
        .body("owned through the proxy")
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(s(&created, "owner"), FP);
    Ok(())
}

#[tokio::test]
async fn duplicate_content_429_carries_count_and_window() -> TestResult {
    let server = Server::start(|c| {
        c.dedup_max = 2;
        c.dedup_window = 600;
    })
    .await?;
    let c = http();
    for _ in 0..2 {
        let res = c.post(server.url("/")).body("same again").send().await?;
        assert_eq!(res.status(), 201);
    }
    let res = c.post(server.url("/")).body("same again").send().await?;
    let body = problem(res, 429, "duplicate_content").await?;
    assert_eq!(body["count"], 2);
    assert_eq!(body["window_seconds"], 600);
    Ok(())
}

/// Sends a request with its whole body before reading a byte, as Python's `urllib` does, and
/// returns the status line of the answer.
async fn write_all_then_read(server: &Server, body_len: usize) -> Result<String, BoxError> {
    let mut stream = TcpStream::connect(server.addr).await?;
    let head = format!(
        "POST / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: {body_len}\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(&vec![b'z'; body_len]).await?;
    stream.flush().await?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.or_else(|e| {
        // A reset after the answer arrived still leaves the answer readable above.
        if answer.is_empty() { Err(e) } else { Ok(0) }
    })?;
    let text = String::from_utf8_lossy(&answer);
    Ok(text.lines().next().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn early_413_reaches_a_client_that_writes_everything_first() -> TestResult {
    // 8 MiB is well past what loopback socket buffers absorb unread.
    let len = 8 * 1024 * 1024;
    // Past the global body bound: refused by the envelope.
    let server = Server::start(|c| {
        c.max_anon = 1024;
        c.max_auth = 1024;
    })
    .await?;
    assert!(
        write_all_then_read(&server, len).await?.contains(" 413 "),
        "global bound"
    );
    // Past the anonymous limit but within the global bound: refused by the handler.
    let server = Server::start(|c| {
        c.max_anon = 1024;
        c.max_auth = 16 * 1024 * 1024;
    })
    .await?;
    assert!(
        write_all_then_read(&server, len).await?.contains(" 413 "),
        "anonymous limit"
    );
    Ok(())
}

#[tokio::test]
async fn challenge_reports_base_difficulty_and_elevation_and_little_when_off() -> TestResult {
    let off = Server::start(|_| {}).await?;
    let body: Value = http()
        .get(off.url("/challenge"))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(body, serde_json::json!({"enabled": false, "difficulty": 0}));

    let server = Server::start(|c| {
        c.pow_difficulty = 4;
        c.pow_flood = 2;
        c.pow_secret = Some(secrecy::SecretString::from(
            "0123456789abcdef0123456789abcdef-contract",
        ));
    })
    .await?;
    let c = http();
    let calm: paste_api::Challenge = c.get(server.url("/challenge")).send().await?.json().await?;
    assert_eq!(
        (calm.base_difficulty, calm.elevated),
        (Some(4), Some(false))
    );
    for i in 0..6 {
        let ch: paste_api::Challenge = c.get(server.url("/challenge")).send().await?.json().await?;
        let stop = std::sync::atomic::AtomicBool::new(false);
        let n = paste_api::pow::solve_strided(&ch.nonce, ch.difficulty, 0, 1, u64::MAX, &stop)
            .ok_or("unsolved")?;
        let res = c
            .post(server.url("/"))
            .header("x-pow-token", &ch.token)
            .header("x-pow-solution", n.to_string())
            .body(format!("flood {i}"))
            .send()
            .await?;
        assert_eq!(res.status(), 201);
    }
    let raised: paste_api::Challenge = c.get(server.url("/challenge")).send().await?.json().await?;
    assert_eq!(raised.base_difficulty, Some(4));
    assert_eq!(
        raised.elevated,
        Some(true),
        "difficulty {}",
        raised.difficulty
    );
    assert!(raised.difficulty > 4);
    Ok(())
}

fn header_num(res: &reqwest::Response, name: &str) -> Result<i64, BoxError> {
    Ok(res
        .headers()
        .get(name)
        .ok_or_else(|| format!("{name} missing"))?
        .to_str()?
        .parse()?)
}

#[tokio::test]
async fn creations_carry_rate_limit_headers_and_certificates_get_more() -> TestResult {
    let server = Server::start(|c| {
        c.rate_limit = 2;
        c.rate_cert_multiplier = 3;
    })
    .await?;
    let c = http();
    let first = c.post(server.url("/")).body("one").send().await?;
    assert_eq!(first.status(), 201);
    assert_eq!(header_num(&first, "x-ratelimit-limit")?, 2);
    assert_eq!(header_num(&first, "x-ratelimit-remaining")?, 1);
    let reset = header_num(&first, "x-ratelimit-reset")?;
    let now = paste_core::now_unix();
    assert!(
        reset > now - 5 && reset <= now + 60,
        "reset {reset}, now {now}"
    );
    let second = c
        .post(server.url("/s"))
        .body("https://example.org/")
        .send()
        .await?;
    assert_eq!(second.status(), 201);
    assert_eq!(header_num(&second, "x-ratelimit-remaining")?, 0);
    let refused = c.post(server.url("/")).body("three").send().await?;
    assert_eq!(header_num(&refused, "x-ratelimit-limit")?, 2);
    assert_eq!(header_num(&refused, "x-ratelimit-remaining")?, 0);
    assert!(refused.headers().contains_key("retry-after"));
    problem(refused, 429, "rate_limited").await?;

    let server = Server::start(|c| {
        c.rate_limit = 2;
        c.rate_cert_multiplier = 3;
        c.trust_proxy = true;
    })
    .await?;
    let certified = c
        .post(server.url("/"))
        .header("x-ssl-client-sha1", FP)
        .body("with a certificate")
        .send()
        .await?;
    assert_eq!(certified.status(), 201);
    assert_eq!(header_num(&certified, "x-ratelimit-limit")?, 6);
    assert_eq!(header_num(&certified, "x-ratelimit-remaining")?, 5);
    Ok(())
}

#[tokio::test]
async fn default_lifetimes_follow_the_creators_tier() -> TestResult {
    let server = Server::start(|c| {
        c.trust_proxy = true;
        c.expiry_anon = 100;
        c.expiry_auth = 200;
        c.expiry_pki = 300;
    })
    .await?;
    let lifetime =
        |v: &Value| v["expires_at"].as_i64().unwrap_or(0) - v["created_at"].as_i64().unwrap_or(0);
    let anon: Value = http()
        .post(server.url("/"))
        .body("anon tier")
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(lifetime(&anon), 100);
    let cert: Value = http()
        .post(server.url("/"))
        .header("x-ssl-client-sha1", FP)
        .body("certificate tier")
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(
        lifetime(&cert),
        200,
        "no PKI yet: every certificate is from elsewhere"
    );
    Ok(())
}

#[tokio::test]
async fn the_burn_header_error_names_every_accepted_value() -> TestResult {
    let server = Server::start(|_| {}).await?;
    let yes = http()
        .post(server.url("/"))
        .header("x-burn-after-read", "yes")
        .body("y")
        .send()
        .await?;
    assert_eq!(yes.status(), 201);
    let res = http()
        .post(server.url("/"))
        .header("x-burn-after-read", "maybe")
        .body("m")
        .send()
        .await?;
    let body = problem(res, 400, "invalid_burn_after_read").await?;
    assert!(
        body["error"]
            .as_str()
            .unwrap_or_default()
            .contains("yes/no"),
        "{body}"
    );
    Ok(())
}
