//! Reverse-proxy sub-paths: every route and every emitted URL carries the prefix.

use serde_json::Value;

use crate::support::{Server, TestResult, http, problem, s};

#[tokio::test]
async fn everything_lives_under_the_prefix() -> TestResult {
    let server = Server::start(|c| c.url_prefix = "/paste".into()).await?;
    let c = http();
    let created: Value = c
        .post(server.url("/paste/"))
        .body("prefixed")
        .send()
        .await?
        .json()
        .await?;
    let id = s(&created, "id");
    assert_eq!(s(&created, "url"), format!("/paste/{id}"));
    assert_eq!(s(&created, "raw"), format!("/paste/{id}/raw"));
    let res = c.get(server.url(&s(&created, "raw"))).send().await?;
    assert_eq!(res.text().await?, "prefixed");
    let meta: Value = c
        .get(server.url(&s(&created, "url")))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(s(&meta, "raw"), format!("/paste/{id}/raw"));
    let info: Value = c.get(server.url("/paste")).send().await?.json().await?;
    assert!(
        info["endpoints"]
            .as_object()
            .is_some_and(|e| e.contains_key("POST /paste/"))
    );
    assert_eq!(
        c.post(server.url("/paste"))
            .body("no slash")
            .send()
            .await?
            .status(),
        201
    );
    assert_eq!(
        c.get(server.url("/paste/health")).send().await?.status(),
        200
    );
    problem(
        c.get(server.url(&format!("/{id}/raw"))).send().await?,
        404,
        "not_found",
    )
    .await?;
    Ok(())
}
