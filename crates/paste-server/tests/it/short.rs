//! The URL shortener over real HTTP: create, redirect without fetching, list, delete, limits.

use serde_json::Value;

use crate::support::{BoxError, Server, TestResult, problem, s};

const ALICE: &str = "a11ce00000000000000000000000000000000001";
const BOB: &str = "b0b0000000000000000000000000000000000002";

fn client() -> Result<reqwest::Client, BoxError> {
    Ok(reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?)
}

async fn server() -> Result<Server, BoxError> {
    Server::start(|c| {
        c.trust_proxy = true;
        c.short_url_max = 64;
    })
    .await
}

#[tokio::test]
async fn short_urls_redirect_and_belong_to_their_creator() -> TestResult {
    let server = server().await?;
    let c = client()?;
    // The target is a port nothing listens on: a server that fetched it would fail.
    let target = "http://127.0.0.1:9/never-fetched?q=1";
    let res = c
        .post(server.url("/s"))
        .header("x-ssl-client-sha1", ALICE)
        .header("x-expiry", "600")
        .body(target)
        .send()
        .await?;
    assert_eq!(res.status(), 201);
    let made: Value = res.json().await?;
    assert_eq!(s(&made, "target_url"), target);
    assert_eq!(s(&made, "owner"), ALICE);
    assert!(
        made.get("delete_token").is_none(),
        "owners delete by certificate"
    );
    let url = server.url(&s(&made, "url"));

    let res = c.get(&url).send().await?;
    assert_eq!(res.status(), 302);
    assert_eq!(res.headers()["location"], target);

    let mine: Value = c
        .get(server.url("/s"))
        .header("x-ssl-client-sha1", ALICE)
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(mine["total"], 1);
    assert_eq!(mine["urls"][0]["id"], made["id"]);
    let bobs: Value = c
        .get(server.url("/s"))
        .header("x-ssl-client-sha1", BOB)
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(bobs["total"], 0);
    assert_eq!(bobs["urls"].as_array().map(Vec::len), Some(0), "{bobs}");
    problem(
        c.get(server.url("/s")).send().await?,
        401,
        "authentication_required",
    )
    .await?;

    let res = c
        .delete(&url)
        .header("x-ssl-client-sha1", BOB)
        .send()
        .await?;
    problem(res, 403, "not_owner").await?;
    let res = c
        .delete(&url)
        .header("x-ssl-client-sha1", ALICE)
        .send()
        .await?;
    assert_eq!(res.status(), 200);
    problem(c.get(&url).send().await?, 404, "short_url_not_found").await?;

    let metrics = c.get(server.url("/metrics")).send().await?.text().await?;
    assert!(
        metrics.contains("flaskpaste_short_urls_created_total 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("flaskpaste_short_url_redirects_total 1"),
        "{metrics}"
    );
    Ok(())
}

#[tokio::test]
async fn anonymous_short_urls_are_deleted_by_token() -> TestResult {
    let server = server().await?;
    let c = client()?;
    let made: Value = c
        .post(server.url("/s"))
        .header("content-type", "application/json")
        .body(r#"{"url":"https://example.org/x"}"#)
        .send()
        .await?
        .json()
        .await?;
    let token = s(&made, "delete_token");
    assert!(!token.is_empty(), "{made}");
    let url = server.url(&s(&made, "url"));
    let wrong = c
        .delete(&url)
        .header("x-delete-token", "nope")
        .send()
        .await?;
    problem(wrong, 403, "not_owner").await?;
    let res = c
        .delete(&url)
        .header("x-delete-token", &token)
        .send()
        .await?;
    assert_eq!(res.status(), 200);
    Ok(())
}

#[tokio::test]
async fn only_bounded_web_links_are_shortened() -> TestResult {
    let server = server().await?;
    let c = client()?;
    for bad in [
        "javascript:alert(1)",
        "file:///etc/passwd",
        "https://a@evil.example/",
        "ftp://example.org/",
        "nope",
    ] {
        let res = c.post(server.url("/s")).body(bad).send().await?;
        problem(res, 400, "invalid_url").await?;
    }
    let long = format!("https://example.org/{}", "a".repeat(64));
    problem(
        c.post(server.url("/s")).body(long).send().await?,
        413,
        "invalid_url",
    )
    .await?;
    Ok(())
}

#[tokio::test]
async fn shortening_is_rate_limited_and_needs_proof_of_work_when_enabled() -> TestResult {
    let limited = Server::start(|c| c.rate_limit = 1).await?;
    let c = client()?;
    let first = c
        .post(limited.url("/s"))
        .body("https://example.org/1")
        .send()
        .await?;
    assert_eq!(first.status(), 201);
    let second = c
        .post(limited.url("/s"))
        .body("https://example.org/2")
        .send()
        .await?;
    problem(second, 429, "rate_limited").await?;

    let guarded = Server::start(|c| {
        c.pow_difficulty = 8;
        c.pow_secret = Some(secrecy::SecretString::from(
            "0123456789abcdef0123456789abcdef-short",
        ));
    })
    .await?;
    let res = c
        .post(guarded.url("/s"))
        .body("https://example.org/")
        .send()
        .await?;
    problem(res, 400, "pow_required").await?;
    Ok(())
}
