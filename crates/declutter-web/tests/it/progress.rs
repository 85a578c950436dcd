//! The job page follows an apply live: over plain HTTP (no script) it refreshes itself until
//! the summary; its status is polled with counters that grow; in real Chromium its script
//! updates the counters in place (no reload), the Stop button stops the job between items and
//! the page reloads itself to the summary with its links. Jobs are held between two items by
//! an item hook, so nothing here depends on timing.

use std::time::Duration;

use serde_json::{Value, json};

use crate::browser::{Chromium, Driver};
use crate::support::{Browser, Options, PASSWORD, TestApp, TestResult, location};
use crate::undo::{PAIRS, SIZE, gates, make_pairs, planned, post_api};

/// Where the held jobs stop.
const FIRST: u64 = 60;
const SECOND: u64 = 120;

async fn status(b: &Browser, job: i64) -> TestResult<Value> {
    Ok(b.get(&format!("/api/jobs/{job}")).await?.json().await?)
}

#[tokio::test]
async fn job_status_grows_and_the_page_reaches_its_summary_without_script() -> TestResult {
    let (hook, mut reached, release) = gates(&[FIRST, SECOND]);
    let app = TestApp::start_with(Options {
        item_hook: Some(hook),
        ..Options::default()
    })
    .await?;
    let admin = app.user("admin@example.com", "Admin").await?;
    let dir = app.roots.join("pairs");
    make_pairs(&dir, PAIRS)?;
    let plan = planned(&admin, &dir).await?;
    let res = admin
        .submit(
            &format!("/plans/{plan}"),
            &format!("/plans/{plan}/apply"),
            &[],
        )
        .await?;
    let job_page = location(&res);
    let job = crate::cleanup::tail_id(&job_page)?;
    tokio::time::timeout(Duration::from_secs(60), reached.remove(0)).await??;

    // While it runs: the script's hook and, for browsers without script, a refresh that only
    // applies to them; the CSP lets the page read its own origin's API and nothing else.
    let res = admin.get(&job_page).await?;
    let csp = res.headers()["content-security-policy"]
        .to_str()?
        .to_owned();
    assert!(csp.contains("connect-src 'self'") && csp.contains("script-src 'self'"));
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    let html = res.text().await?;
    assert!(
        html.contains("<noscript><meta http-equiv=\"refresh\""),
        "{html}"
    );
    assert!(html.contains(&format!("data-job-poll=\"/api/jobs/{job}\"")));
    assert!(html.contains(&format!("{FIRST} of {PAIRS}")));

    // The status grows between polls, in the units of the pages.
    let s = status(&admin, job).await?;
    assert_eq!(
        (s["state"].as_str(), s["done"].as_u64()),
        (Some("running"), Some(FIRST))
    );
    assert_eq!(s["bytes_text"], "41.0 KiB", "{s}");
    release.send(())?;
    tokio::time::timeout(Duration::from_secs(60), reached.remove(0)).await??;
    let s = status(&admin, job).await?;
    assert_eq!(s["done"], SECOND, "{s}");
    assert_eq!(s["bytes"], SECOND * SIZE as u64);
    assert_eq!(s["bytes_text"], "82.0 KiB", "{s}");
    release.send(())?;

    // A client without script follows the refresh until the page stops asking for one.
    let mut html = String::new();
    for _ in 0..600 {
        html = admin.text(&job_page).await?;
        if !html.contains("http-equiv=\"refresh\"") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        html.contains(&format!("Done: {PAIRS} files")),
        "the summary: {html}"
    );
    assert!(html.contains(&format!("action=\"/plans/{plan}/restore\"")));
    assert!(html.contains("href=\"/trash\"") && !html.contains("data-job-poll"));
    assert_eq!(status(&admin, job).await?["state"], "done");
    Ok(())
}

#[tokio::test]
async fn chromium_follows_a_job_in_place_stops_it_and_shows_the_summary() -> TestResult {
    let Some(chromium) = Chromium::start(false).await? else {
        return Ok(());
    };
    let result = follow(&chromium.driver).await;
    chromium.stop().await?;
    result
}

async fn follow(d: &Driver) -> TestResult {
    let (hook, mut reached, release) = gates(&[FIRST, SECOND]);
    let app = TestApp::start_with(Options {
        item_hook: Some(hook),
        ..Options::default()
    })
    .await?;
    let admin = app.user("admin@example.com", "Admin").await?;
    let dir = app.roots.join("pairs");
    make_pairs(&dir, PAIRS)?;
    let plan = planned(&admin, &dir).await?;
    let res = post_api(&admin, &format!("/api/plans/{plan}/apply"), None).await?;
    let job: Value = res.json().await?;
    let job = job["job"].as_i64().ok_or("job id")?;
    tokio::time::timeout(Duration::from_secs(60), reached.remove(0)).await??;

    d.go(&app.url("/login")).await?;
    d.fill("#email", "admin@example.com").await?;
    d.fill("#password", PASSWORD).await?;
    d.click("form[action='/login'] button[type=submit]").await?;
    d.path_becomes("/dashboard").await?;
    d.go(&app.url(&format!("/jobs/{job}"))).await?;
    d.shows(&format!("{FIRST} of {PAIRS}")).await?;
    // A mark that a reload would wipe: the counters must change without one.
    d.cmd(
        reqwest::Method::POST,
        "/execute/sync",
        Some(json!({"script": "window.keptMark = 42;", "args": []})),
    )
    .await?;
    release.send(())?;
    tokio::time::timeout(Duration::from_secs(60), reached.remove(0)).await??;
    d.shows(&format!("{SECOND} of {PAIRS}")).await?;
    d.shows("82.0 KiB").await?;
    let mark = d
        .cmd(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": "return window.keptMark;", "args": []})),
        )
        .await?;
    assert_eq!(mark, 42, "the page updated in place, without a reload");
    d.shot("job_running").await?;

    // Stop: the job ends before its next item, and the page reloads itself to the summary.
    d.click(&format!("form[action='/jobs/{job}/cancel'] button"))
        .await?;
    d.shows("Stopping after the current file").await?;
    release.send(())?;
    d.shows(&format!("Stopped on request after {SECOND} files"))
        .await?;
    d.shows(&format!("action=\"/plans/{plan}/restore\""))
        .await?;
    d.shot("job_stopped").await?;
    let s = status(&admin, job).await?;
    assert_eq!(s["state"], "cancelled", "{s}");
    assert_eq!(s["done"], SECOND);
    Ok(())
}
