//! Counted reads over HTTP: `X-Max-Views`, and the confirmation mode that keeps link previews
//! from using up burn-after-read and max-view pastes. Exactly the allowed number of readers
//! get the content, however many race.

use serde_json::Value;

use crate::support::{BoxError, Server, TestResult, http, problem, s};

/// Sends `readers` concurrent GETs of `url` (with `X-Burn-Confirm: true` when `confirm`); the
/// `X-Views-Left` of every 200, after checking its body, and the number of 404s.
async fn race(
    url: &str,
    readers: usize,
    confirm: bool,
    body: &'static str,
) -> Result<(Vec<u32>, usize), BoxError> {
    let c = http();
    let tasks: Vec<_> = (0..readers)
        .map(|_| {
            let mut req = c.get(url);
            if confirm {
                req = req.header("x-burn-confirm", "true");
            }
            tokio::spawn(async move {
                let res = req.send().await?;
                let status = res.status().as_u16();
                let left = res
                    .headers()
                    .get("x-views-left")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<u32>().ok());
                Ok::<_, reqwest::Error>((status, left, res.text().await?))
            })
        })
        .collect();
    let (mut served, mut gone) = (Vec::new(), 0);
    for t in tasks {
        match t.await?? {
            (200, Some(left), text) => {
                assert_eq!(text, body);
                served.push(left);
            }
            (404, _, _) => gone += 1,
            other => return Err(format!("unexpected answer {other:?}").into()),
        }
    }
    served.sort_unstable();
    Ok((served, gone))
}

async fn create(
    server: &Server,
    headers: &[(&str, &str)],
    body: &'static str,
) -> Result<Value, BoxError> {
    let mut req = http().post(server.url("/")).body(body);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = req.send().await?;
    assert_eq!(res.status(), 201, "create failed: {}", res.text().await?);
    Ok(res.json().await?)
}

#[tokio::test]
async fn max_views_serves_exactly_n_of_many_concurrent_readers() -> TestResult {
    let server = Server::start(|_| {}).await?;
    let created = create(&server, &[("x-max-views", "3")], "three reads").await?;
    assert_eq!(created["max_views"], 3);
    assert!(created.get("burn_after_read").is_none());
    let id = s(&created, "id");
    let meta: Value = http()
        .get(server.url(&format!("/{id}")))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(
        (meta["max_views"].clone(), meta["views_left"].clone()),
        (3.into(), 3.into())
    );

    let (served, gone) = race(&server.url(&format!("/{id}/raw")), 40, false, "three reads").await?;
    assert_eq!(served, [0, 1, 2], "exactly three readers, counting down");
    assert_eq!(gone, 37);
    problem(
        http().get(server.url(&format!("/{id}"))).send().await?,
        404,
        "paste_not_found",
    )
    .await?;
    Ok(())
}

#[tokio::test]
async fn confirm_mode_ignores_previews_and_burns_for_one_confirmed_reader() -> TestResult {
    let server = Server::start(|_| {}).await?;
    let created = create(
        &server,
        &[("x-burn-after-read", "true"), ("x-burn-confirm", "true")],
        "for the person",
    )
    .await?;
    assert_eq!(created["burn_confirm"], true);
    assert_eq!(created["max_views"], 1);
    let id = s(&created, "id");
    let raw = server.url(&format!("/{id}/raw"));
    let c = http();
    // Link previews, mail scanners and a curious HEAD: each gets the notice, none counts.
    for _ in 0..5 {
        let notice = problem(c.get(&raw).send().await?, 428, "burn_confirmation_required").await?;
        assert_eq!(notice["views_left"], 1);
        assert!(s(&notice, "detail").contains("X-Burn-Confirm: true"));
    }
    assert_eq!(c.head(&raw).send().await?.status(), 428);
    problem(
        c.get(&raw).header("x-burn-confirm", "false").send().await?,
        428,
        "burn_confirmation_required",
    )
    .await?;
    problem(
        c.get(&raw)
            .header("x-burn-confirm", "perhaps")
            .send()
            .await?,
        400,
        "invalid_burn_confirm",
    )
    .await?;
    let meta: Value = c
        .get(server.url(&format!("/{id}")))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(meta["views_left"], 1, "nothing was counted: {meta}");
    assert_eq!(meta["burn_after_read"], true);

    let (served, gone) = race(&raw, 30, true, "for the person").await?;
    assert_eq!((served, gone), (vec![0], 29), "one confirmed reader");
    Ok(())
}

#[tokio::test]
async fn confirm_mode_can_be_the_default_and_creators_may_opt_out() -> TestResult {
    let server = Server::start(|c| c.burn_confirm = true).await?;
    let guarded = create(&server, &[("x-max-views", "2")], "guarded").await?;
    assert_eq!(guarded["burn_confirm"], true);
    let url = server.url(&format!("/{}/raw", s(&guarded, "id")));
    problem(
        http().get(&url).send().await?,
        428,
        "burn_confirmation_required",
    )
    .await?;

    let open = create(
        &server,
        &[("x-burn-after-read", "true"), ("x-burn-confirm", "false")],
        "open",
    )
    .await?;
    assert!(open.get("burn_confirm").is_none());
    let url = server.url(&format!("/{}/raw", s(&open, "id")));
    let first = http().get(&url).send().await?;
    assert_eq!(first.status(), 200);
    assert_eq!(first.headers()["x-views-left"], "0");
    assert_eq!(http().get(&url).send().await?.status(), 404);
    // A paste whose reads are not counted never needs the confirmation.
    let free = create(&server, &[], "free").await?;
    let url = server.url(&format!("/{}/raw", s(&free, "id")));
    assert_eq!(http().get(&url).send().await?.text().await?, "free");
    Ok(())
}

#[tokio::test]
async fn password_and_confirmation_together() -> TestResult {
    let server = Server::start(|_| {}).await?;
    let created = create(
        &server,
        &[
            ("x-max-views", "2"),
            ("x-burn-confirm", "true"),
            ("x-paste-password", "long enough secret"),
        ],
        "both",
    )
    .await?;
    let url = server.url(&format!("/{}/raw", s(&created, "id")));
    let c = http();
    // The notice comes first and costs no password check; a wrong password counts nothing.
    problem(c.get(&url).send().await?, 428, "burn_confirmation_required").await?;
    problem(
        c.get(&url)
            .header("x-burn-confirm", "true")
            .header("x-paste-password", "wrong")
            .send()
            .await?,
        403,
        "password_invalid",
    )
    .await?;
    for left in ["1", "0"] {
        let res = c
            .get(&url)
            .header("x-burn-confirm", "true")
            .header("x-paste-password", "long enough secret")
            .send()
            .await?;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["x-views-left"], left);
    }
    Ok(())
}

#[tokio::test]
async fn bad_view_limits_are_refused() -> TestResult {
    let server = Server::start(|_| {}).await?;
    let c = http();
    for (headers, code) in [
        (vec![("x-max-views", "0")], "invalid_max_views"),
        (vec![("x-max-views", "-1")], "invalid_max_views"),
        (vec![("x-max-views", "three")], "invalid_max_views"),
        (vec![("x-max-views", "1000001")], "invalid_max_views"),
        (
            vec![("x-max-views", "2"), ("x-burn-after-read", "true")],
            "invalid_max_views",
        ),
        (vec![("x-burn-confirm", "true")], "invalid_burn_confirm"),
        (
            vec![("x-max-views", "2"), ("x-burn-confirm", "sure")],
            "invalid_burn_confirm",
        ),
    ] {
        let mut req = c.post(server.url("/")).body("x");
        for (k, v) in &headers {
            req = req.header(*k, *v);
        }
        problem(req.send().await?, 400, code).await?;
    }
    // X-Max-Views: 1 is burn after read.
    let once = create(&server, &[("x-max-views", "1")], "once").await?;
    assert_eq!(once["max_views"], 1);
    let url = server.url(&format!("/{}/raw", s(&once, "id")));
    assert_eq!(c.get(&url).send().await?.status(), 200);
    assert_eq!(c.get(&url).send().await?.status(), 404);
    Ok(())
}
