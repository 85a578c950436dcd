//! Picking on the duplicates page over real HTTP, as a browser without script posts it: tick
//! groups and plan only those, choose the copy that stays in a group whatever the rules say,
//! bulk rules (newest, in a folder) over the ticked groups or every group matching the filter.
//! Every pick ends in an editable draft plan; stale or empty picks are refused.

use platform_db::sql::RusqliteLike as _;
use serde_json::Value;

use crate::cleanup::{my_id, tail_id};
use crate::review::{count, json_ok, seed};
use crate::support::{Browser, TestApp, TestResult, location};

/// Groups seeded; every third is a picture.
const N: u64 = 60;

/// A copy as (file id, path, modified).
type Copy = (i64, String, i64);

/// A group of `/api/dupes`: its id and its copies.
fn group(v: &Value) -> TestResult<(i64, Vec<Copy>)> {
    let files = v["files"]
        .as_array()
        .ok_or("files")?
        .iter()
        .map(|f| -> TestResult<Copy> {
            Ok((
                f["id"].as_i64().ok_or("file id")?,
                f["path"].as_str().ok_or("path")?.to_owned(),
                f["modified"].as_i64().ok_or("modified")?,
            ))
        })
        .collect::<TestResult<_>>()?;
    Ok((v["id"].as_i64().ok_or("group id")?, files))
}

/// Posts the duplicates page's plan form; the new plan as the API shows it.
async fn plan(b: &Browser, fields: &[(&str, &str)]) -> TestResult<Value> {
    let res = b.submit("/dupes", "/plans", fields).await?;
    assert_eq!(res.status(), 303, "{:?}", res.text().await);
    let id = tail_id(&location(&res))?;
    json_ok(b, &format!("/api/plans/{id}")).await
}

/// The action of the plan item at `path`.
fn action<'a>(plan: &'a Value, path: &str) -> Option<&'a str> {
    plan["items"]
        .as_array()?
        .iter()
        .find(|i| i["path"] == path)?["action"]
        .as_str()
}

#[tokio::test]
async fn ticked_groups_and_chosen_copies_become_an_editable_plan() -> TestResult {
    let app = TestApp::start().await?;
    let b = app.user("picks@example.com", "Picks").await?;
    seed(&app, &my_id(&b).await?, N).await?;
    let page = json_ok(&b, "/api/dupes?type=image").await?;
    let shown = page["groups"].as_array().ok_or("groups")?;
    let (g1, files1) = group(&shown[0])?;
    let (g2, files2) = group(&shown[1])?;
    let (g3, files3) = group(&shown[2])?;

    // The page offers a box per group and a "keep this copy" choice per copy, in one form.
    let html = b.text("/dupes?type=image").await?;
    assert!(html.contains(&format!("name=\"group\" value=\"{g1}\"")));
    assert!(html.contains(&format!("name=\"keep.{g1}\" value=\"{}\"", files1[0].0)));
    assert!(html.contains("name=\"scope\" value=\"selected\""));

    // Two ticked groups, newest kept by the rule; in the first the oldest copy is chosen.
    let oldest = files1.iter().min_by_key(|f| f.2).ok_or("oldest")?;
    let newest = |files: &[Copy]| files.iter().max_by_key(|f| f.2).cloned();
    let (g1s, g2s, keep1) = (g1.to_string(), g2.to_string(), oldest.0.to_string());
    let key1 = format!("keep.{g1}");
    let key2 = format!("keep.{g2}");
    let p = plan(
        &b,
        &[
            ("type", "image"),
            ("prefer", "newest"),
            ("then", "none"),
            ("reference", ""),
            ("group", &g1s),
            ("group", &g2s),
            (&key1, &keep1),
            (&key2, "rule"),
            ("scope", "selected"),
        ],
    )
    .await?;
    assert_eq!(
        (p["status"].as_str(), p["group_count"].as_u64()),
        (Some("draft"), Some(2))
    );
    for f in &files1 {
        let want = if f.0 == oldest.0 { "keep" } else { "remove" };
        assert_eq!(action(&p, &f.1), Some(want), "{}: {p}", f.1);
    }
    let n2 = newest(&files2).ok_or("newest")?;
    for f in &files2 {
        let want = if f.0 == n2.0 { "keep" } else { "remove" };
        assert_eq!(action(&p, &f.1), Some(want), "{}", f.1);
    }
    assert_eq!(
        action(&p, &files3[0].1),
        None,
        "an unticked group is not planned"
    );

    // Every matching group, kept in /Photos where a copy is there; a chosen copy in Backup
    // still wins in its group.
    let backup = files3
        .iter()
        .find(|f| f.1.starts_with("/Backup/"))
        .ok_or("a copy in Backup")?;
    let (key3, keep3) = (format!("keep.{g3}"), backup.0.to_string());
    let p = plan(
        &b,
        &[
            ("type", "image"),
            ("prefer", "oldest"),
            ("reference", "/Photos"),
            (&key3, &keep3),
            ("scope", "all"),
        ],
    )
    .await?;
    assert_eq!(p["group_count"], count(N, |g| g % 3 == 0));
    assert!(
        p["rules"].as_str().is_some_and(|r| r.contains("/Photos")),
        "{p}"
    );
    let p = json_ok(&b, &format!("/api/plans/{}?page=1", p["id"])).await?;
    let mut seen = 0;
    for i in p["items"].as_array().ok_or("items")? {
        let path = i["path"].as_str().ok_or("path")?;
        if files3.iter().any(|f| f.1 == path) {
            let want = if path == backup.1 { "keep" } else { "remove" };
            assert_eq!(i["action"], want, "{path}");
            seen += 1;
        }
    }
    assert!(
        seen == 0 || seen == files3.len(),
        "the chosen group is whole on its page"
    );

    // Only the ticked group, kept in /Photos by the bulk rule.
    let g2_photos = files2.iter().find(|f| f.1.starts_with("/Photos/"));
    let p = plan(
        &b,
        &[
            ("prefer", "newest"),
            ("reference", "/Photos"),
            ("group", &g2s),
            ("scope", "selected"),
        ],
    )
    .await?;
    assert_eq!(p["group_count"], 1);
    if let Some(f) = g2_photos {
        assert_eq!(action(&p, &f.1), Some("keep"));
    }

    // Nothing ticked, a group that is gone, a copy of another group: refused, no plan made.
    let plans = || async {
        app.state
            .pool
            .read(|c| c.query_row("SELECT count(*) FROM plans", [], |r| r.get::<_, i64>(0)))
            .await
    };
    let plans_before = plans().await??;
    let res = b
        .submit(
            "/dupes",
            "/plans",
            &[("prefer", "newest"), ("scope", "selected")],
        )
        .await?;
    assert_eq!(res.status(), 422);
    assert!(res.text().await?.contains("tick at least one group"));
    let res = b
        .submit(
            "/dupes",
            "/plans",
            &[
                ("prefer", "newest"),
                ("group", "999999"),
                ("scope", "selected"),
            ],
        )
        .await?;
    assert_eq!(res.status(), 409);
    assert!(res.text().await?.contains("reload the page"));
    let other = files2[0].0.to_string();
    let res = b
        .submit("/dupes", "/plans", &[("prefer", "newest"), (&key1, &other)])
        .await?;
    assert_eq!(res.status(), 409);
    assert_eq!(plans().await??, plans_before, "no plan left by a refusal");
    Ok(())
}

/// The version the duplicates page at `path` was rendered at, from its plan form.
async fn page_version(b: &Browser, path: &str) -> TestResult<String> {
    let html = b.text(path).await?;
    let marker = "name=\"dupes_version\" value=\"";
    let at = html.find(marker).ok_or("no dupes_version field")? + marker.len();
    let end = html[at..].find('"').ok_or("unterminated value")?;
    Ok(html[at..at + end].to_owned())
}

/// `picks` as posted from a page rendered at `version`.
fn with_version<'a>(picks: &[(&'a str, &'a str)], version: &'a str) -> Vec<(&'a str, &'a str)> {
    let mut f = picks.to_vec();
    f.push(("dupes_version", version));
    f
}

async fn plan_count(app: &TestApp) -> TestResult<i64> {
    Ok(app
        .state
        .pool
        .read(|c| c.query_row("SELECT count(*) FROM plans", [], |r| r.get::<_, i64>(0)))
        .await??)
}

#[tokio::test]
async fn picks_from_a_page_the_duplicates_changed_under_are_refused() -> TestResult {
    let app = TestApp::start().await?;
    let b = app.user("stale@example.com", "Stale").await?;
    let uid = my_id(&b).await?;
    seed(&app, &uid, N).await?;
    let page = json_ok(&b, "/api/dupes?type=image").await?;
    let (_, files1) = group(&page["groups"][0])?;
    let shown = page_version(&b, "/dupes?type=image").await?;
    // A scan since: one more group. The first group's copies are still there (its id may be
    // new: groups are recomputed, and PostgreSQL never reuses an id), so the picks below name
    // things that exist and only the version can refuse them.
    seed(&app, &uid, N + 1).await?;
    let (g1, files_now) = group(&json_ok(&b, "/api/dupes?type=image").await?["groups"][0])?;
    let ids = |files: &[Copy]| files.iter().map(|f| f.0).collect::<Vec<_>>();
    assert_eq!(ids(&files_now), ids(&files1));
    let (g1s, key1, keep1) = (
        g1.to_string(),
        format!("keep.{g1}"),
        files_now[0].0.to_string(),
    );
    let picks = [
        ("type", "image"),
        ("prefer", "newest"),
        ("group", g1s.as_str()),
        (key1.as_str(), keep1.as_str()),
        ("scope", "selected"),
    ];
    let before = plan_count(&app).await?;
    let res = b
        .submit("/dupes", "/plans", &with_version(&picks, &shown))
        .await?;
    assert_eq!(res.status(), 409);
    assert_eq!(res.headers()["content-type"], "text/html; charset=utf-8");
    assert!(res.text().await?.contains("reload the page"));
    assert_eq!(plan_count(&app).await?, before, "no plan left by a refusal");

    // The page shown again carries the new version, and its picks are planned; a form
    // without a version (a script) is checked by ids only, as before.
    let now = page_version(&b, "/dupes?type=image").await?;
    assert_ne!(now, shown);
    let res = b
        .submit("/dupes", "/plans", &with_version(&picks, &now))
        .await?;
    assert_eq!(res.status(), 303, "{:?}", res.text().await);
    let res = b.submit("/dupes", "/plans", &picks).await?;
    assert_eq!(res.status(), 303, "{:?}", res.text().await);
    assert_eq!(plan_count(&app).await?, before + 2);
    Ok(())
}

#[tokio::test]
async fn a_plan_form_without_the_csrf_token_makes_no_plan() -> TestResult {
    let app = TestApp::start().await?;
    let b = app.user("forged@example.com", "Forged").await?;
    seed(&app, &my_id(&b).await?, N).await?;
    let (g1, files1) = group(&json_ok(&b, "/api/dupes").await?["groups"][0])?;
    let (g1s, key1, keep1) = (
        g1.to_string(),
        format!("keep.{g1}"),
        files1[0].0.to_string(),
    );
    let picks = [
        ("prefer", "newest"),
        ("group", g1s.as_str()),
        (key1.as_str(), keep1.as_str()),
        ("scope", "selected"),
    ];
    let token = b.csrf("/dupes").await?;
    let post = |csrf: Option<&str>| {
        let mut form = picks.to_vec();
        if let Some(c) = csrf {
            form.push(("csrf", c));
        }
        b.client.post(b.url("/plans")).form(&form).send()
    };
    for (csrf, what) in [
        (None, "missing token"),
        (Some("x".repeat(43)), "wrong token"),
    ] {
        let res = post(csrf.as_deref()).await?;
        assert_eq!(res.status(), 403, "{what}");
        assert!(res.text().await?.contains("csrf_token"), "{what}");
    }
    // Right token, foreign Origin (a form on another site posting with the cookie).
    let res = b
        .client
        .post(b.url("/plans"))
        .header("origin", "http://evil.example")
        .form(&[picks.as_slice(), &[("csrf", token.as_str())]].concat())
        .send()
        .await?;
    assert_eq!(res.status(), 403, "foreign origin");
    assert_eq!(plan_count(&app).await?, 0, "no plan made by a refused post");
    // The control: the same picks with the page's token make the plan.
    assert_eq!(post(Some(&token)).await?.status(), 303);
    assert_eq!(plan_count(&app).await?, 1);
    Ok(())
}
