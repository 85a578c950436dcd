//! Burn after read (exactly one reader, even under concurrency) and password protection.

use serde_json::Value;

use crate::support::{Server, TestResult, http, problem, s};

#[tokio::test]
async fn exactly_one_of_100_concurrent_readers_gets_a_burn_paste() -> TestResult {
    let server = Server::start(|_| {}).await?;
    let c = http();
    let created: Value = c
        .post(server.url("/"))
        .header("x-burn-after-read", "true")
        .body("read once")
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(created["burn_after_read"], true);
    let id = s(&created, "id");
    let meta = c.get(server.url(&format!("/{id}"))).send().await?;
    assert_eq!(meta.status(), 200, "metadata does not burn");
    let meta = c.get(server.url(&format!("/{id}"))).send().await?;
    assert_eq!(meta.status(), 200);

    let url = server.url(&format!("/{id}/raw"));
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let (c, url) = (c.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            let res = c.get(url).send().await?;
            let status = res.status().as_u16();
            let body = res.bytes().await?;
            Ok::<_, reqwest::Error>((status, body))
        }));
    }
    let mut ok = 0;
    for t in tasks {
        let (status, body) = t.await??;
        match status {
            200 => {
                ok += 1;
                assert_eq!(&body[..], b"read once");
            }
            404 => {}
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(ok, 1, "exactly one reader gets the content");
    problem(
        c.get(server.url(&format!("/{id}"))).send().await?,
        404,
        "paste_not_found",
    )
    .await?;
    Ok(())
}

#[tokio::test]
async fn head_of_raw_burns_too() -> TestResult {
    let server = Server::start(|_| {}).await?;
    let c = http();
    let created: Value = c
        .post(server.url("/"))
        .header("x-burn-after-read", "1")
        .body("peek")
        .send()
        .await?
        .json()
        .await?;
    let url = server.url(&format!("/{}/raw", s(&created, "id")));
    assert_eq!(c.head(&url).send().await?.status(), 200);
    assert_eq!(c.get(&url).send().await?.status(), 404);
    let bad = c
        .post(server.url("/"))
        .header("x-burn-after-read", "maybe")
        .body("x")
        .send()
        .await?;
    problem(bad, 400, "invalid_burn_after_read").await?;
    Ok(())
}

#[tokio::test]
async fn passwords_guard_content_and_a_wrong_one_does_not_burn() -> TestResult {
    let server = Server::start(|_| {}).await?;
    let c = http();
    let created: Value = c
        .post(server.url("/"))
        .header("x-paste-password", "hunter2 but longer")
        .header("x-burn-after-read", "true")
        .body("guarded")
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(created["password_protected"], true);
    let url = server.url(&format!("/{}/raw", s(&created, "id")));
    problem(c.get(&url).send().await?, 401, "password_required").await?;
    problem(
        c.get(&url)
            .header("x-paste-password", "wrong")
            .send()
            .await?,
        403,
        "password_invalid",
    )
    .await?;
    let meta: Value = c
        .get(server.url(&format!("/{}", s(&created, "id"))))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(
        meta["password_protected"], true,
        "still there after wrong guesses"
    );
    let ok = c
        .get(&url)
        .header("x-paste-password", "hunter2 but longer")
        .send()
        .await?;
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.text().await?, "guarded");
    assert_eq!(
        c.get(&url)
            .header("x-paste-password", "hunter2 but longer")
            .send()
            .await?
            .status(),
        404
    );

    let mut db = std::fs::read(server.db_path())?;
    db.extend(std::fs::read(server.db_path().with_extension("db-wal")).unwrap_or_default());
    let needle = b"hunter2 but longer";
    assert!(
        !db.windows(needle.len()).any(|w| w == needle),
        "password stored in clear"
    );

    let long = "x".repeat(2000);
    let res = c
        .post(server.url("/"))
        .header("x-paste-password", long)
        .body("x")
        .send()
        .await?;
    problem(res, 400, "invalid_password").await?;
    Ok(())
}
