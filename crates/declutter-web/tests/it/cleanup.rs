//! The clean-up journey over real HTTP on a local temp folder with known duplicates:
//! assign folder → scan → duplicates → plan → apply → trash → restore / purge, plus path
//! escapes refused and hostile file names rendered inert.

use std::path::Path;

use serde_json::Value;

use crate::support::{Browser, TestApp, TestResult, location};

/// A's folder: two duplicate pairs (one with hostile names) and one unique file.
pub const XSS_A: &str = "<b onmouseover=alert(1)>x.txt";
pub const XSS_B: &str = "\"><img src=x onerror=alert(1)>.txt";

pub fn make_folder(dir: &Path) -> TestResult {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("a.jpg"), b"the same photo bytes")?;
    std::fs::write(dir.join("a (1).jpg"), b"the same photo bytes")?;
    std::fs::write(dir.join(XSS_A), b"hostile duplicate")?;
    std::fs::write(dir.join(XSS_B), b"hostile duplicate")?;
    std::fs::write(dir.join("unique.txt"), b"only one of me")?;
    Ok(())
}

pub async fn my_id(b: &Browser) -> TestResult<String> {
    let me: Value = b.get("/api/me").await?.json().await?;
    Ok(me["id"].as_str().ok_or("id")?.to_owned())
}

/// The id at the end of a redirect like `/scans/7`.
pub fn tail_id(loc: &str) -> TestResult<i64> {
    Ok(loc.rsplit('/').next().ok_or("no id")?.parse()?)
}

/// Polls the job's JSON status until it leaves `running`.
pub async fn wait_scan(b: &Browser, job: i64) -> TestResult<Value> {
    wait_scan_for(b, job, std::time::Duration::from_secs(10)).await
}

/// [`wait_scan`] with a deadline (a large tree scans for longer).
pub async fn wait_scan_for(b: &Browser, job: i64, limit: std::time::Duration) -> TestResult<Value> {
    let end = std::time::Instant::now() + limit;
    while std::time::Instant::now() < end {
        let s: Value = b.get(&format!("/api/scans/{job}")).await?.json().await?;
        if s["state"] != "queued" && s["state"] != "running" {
            return Ok(s);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    Err("scan did not finish".into())
}

/// Polls a clean-up job's JSON status until it is over (neither queued nor running).
pub async fn wait_job(b: &Browser, job: i64) -> TestResult<Value> {
    for _ in 0..600 {
        let s: Value = b.get(&format!("/api/jobs/{job}")).await?.json().await?;
        if s["state"] != "queued" && s["state"] != "running" {
            return Ok(s);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    Err("job did not finish".into())
}

/// Ids left behind by [`scanned_and_applied`].
pub struct Owned {
    pub source: i64,
    pub job: i64,
    pub plan: i64,
    /// The apply job.
    pub applied: i64,
    pub trash: Vec<i64>,
}

/// `admin` assigns `dir` to `owner` (their first source), who asks for its scan through the
/// form; answers the source and the scan job.
pub async fn queue_scan(admin: &Browser, owner: &Browser, dir: &Path) -> TestResult<(i64, i64)> {
    let uid = my_id(owner).await?;
    let path = dir.to_str().ok_or("utf-8")?;
    let res = admin
        .submit(
            "/admin/sources",
            "/admin/sources",
            &[("user_id", &uid), ("path", path)],
        )
        .await?;
    assert_eq!(res.status(), 303, "admin assigns the folder");
    let sources: Vec<Value> = owner.get("/api/sources").await?.json().await?;
    let source = sources[0]["id"].as_i64().ok_or("source id")?;
    let res = owner
        .submit("/sources", &format!("/sources/{source}/scan"), &[])
        .await?;
    assert_eq!(res.status(), 303);
    Ok((source, tail_id(&location(&res))?))
}

/// `admin` assigns `dir` to `owner`, who scans it, plans with `original-name` and applies.
pub async fn scanned_and_applied(
    admin: &Browser,
    owner: &Browser,
    dir: &Path,
) -> TestResult<Owned> {
    let (source, job) = queue_scan(admin, owner, dir).await?;
    let s = wait_scan(owner, job).await?;
    assert_eq!(s["state"], "done", "{s}");
    let res = owner
        .submit(
            "/dupes",
            "/plans",
            &[("prefer", "original-name"), ("then", "none")],
        )
        .await?;
    assert_eq!(res.status(), 303);
    let plan = tail_id(&location(&res))?;
    let res = owner
        .submit(
            &format!("/plans/{plan}"),
            &format!("/plans/{plan}/apply"),
            &[],
        )
        .await?;
    assert_eq!(res.status(), 303);
    let applying = location(&res);
    assert!(applying.starts_with("/jobs/"), "{applying}");
    let applied = tail_id(&applying)?;
    let done = wait_job(owner, applied).await?;
    assert_eq!(done["state"], "done", "{done}");
    let trash: Vec<Value> = owner.get("/api/trash").await?.json().await?;
    let trash = trash.iter().filter_map(|e| e["id"].as_i64()).collect();
    Ok(Owned {
        source,
        job,
        plan,
        applied,
        trash,
    })
}

#[tokio::test]
async fn scan_review_apply_trash_restore_purge() -> TestResult {
    let app = TestApp::start().await?;
    let admin = app.user("admin@example.com", "Admin").await?;
    let dir = app.roots.join("photos");
    make_folder(&dir)?;

    // Before: nothing to show, pages render.
    assert_eq!(admin.get("/dupes").await?.status(), 200);
    let owned = scanned_and_applied(&admin, &admin, &dir).await?;

    // The scan page (meta refresh only while running) and its JSON twin agree.
    let page = admin.text(&format!("/scans/{}", owned.job)).await?;
    assert!(page.contains("done") && !page.contains("http-equiv=\"refresh\""));

    // Plan preview: two removals (the "(1)" copy and one hostile-named copy), 20 + 17 bytes.
    let plan: Value = admin
        .get(&format!("/api/plans/{}", owned.plan))
        .await?
        .json()
        .await?;
    assert_eq!(plan["remove_count"], 2, "{plan}");
    assert_eq!(plan["bytes_reclaimed"], 37);
    assert_eq!(plan["status"], "applied");

    // Apply moved exactly the removals; every group kept a copy.
    assert!(dir.join("a.jpg").exists());
    assert!(!dir.join("a (1).jpg").exists());
    assert!(dir.join(XSS_B).exists(), "lexically first copy kept");
    assert!(!dir.join(XSS_A).exists());
    assert!(dir.join("unique.txt").exists());

    // Trash with days left.
    let trash: Vec<Value> = admin.get("/api/trash").await?.json().await?;
    assert_eq!(trash.len(), 2);
    assert!(trash.iter().all(|e| e["days_left"] == 30));
    let html = admin.text("/trash").await?;
    assert!(html.contains("30 days left"));

    // Restore one through the form, purge the other through the API.
    let restore = trash
        .iter()
        .find(|e| {
            e["original_path"]
                .as_str()
                .is_some_and(|p| p.ends_with("a (1).jpg"))
        })
        .and_then(|e| e["id"].as_i64())
        .ok_or("restorable entry")?;
    let other = owned
        .trash
        .iter()
        .copied()
        .find(|i| *i != restore)
        .ok_or("other")?;
    let res = admin
        .submit("/trash", &format!("/trash/{restore}/restore"), &[])
        .await?;
    assert_eq!(res.status(), 303);
    assert_eq!(
        std::fs::read(dir.join("a (1).jpg"))?,
        b"the same photo bytes"
    );
    let res = admin
        .client
        .delete(admin.url(&format!("/api/trash/{other}")))
        .header("x-csrf-token", admin.csrf("/trash").await?)
        .send()
        .await?;
    assert_eq!(res.status(), 204);
    let left: Vec<Value> = admin.get("/api/trash").await?.json().await?;
    assert!(left.is_empty());
    let res = admin
        .submit("/trash", &format!("/trash/{restore}/restore"), &[])
        .await?;
    assert_eq!(res.status(), 409, "an entry is restored once");

    // Bearer clients use the same API.
    let token: Value = admin
        .client
        .post(admin.url("/api/tokens"))
        .header("x-csrf-token", admin.csrf("/account").await?)
        .send()
        .await?
        .json()
        .await?;
    let bearer = app.plain()?;
    let res = bearer
        .post(app.url(&format!("/api/sources/{}/scans", owned.source)))
        .bearer_auth(token["access_token"].as_str().ok_or("token")?)
        .send()
        .await?;
    assert_eq!(res.status(), 202);
    let job = res.json::<Value>().await?["job"].as_i64().ok_or("job")?;
    assert_eq!(wait_scan(&admin, job).await?["state"], "done");
    let dupes: Value = bearer
        .get(app.url("/api/dupes"))
        .bearer_auth(token["access_token"].as_str().ok_or("token")?)
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(
        dupes["total_groups"], 1,
        "the restored copy is a duplicate again: {dupes}"
    );
    assert_eq!(dupes["reclaimable_bytes"], 20);

    // Session-authenticated JSON writes need the CSRF header like forms do.
    let res = admin
        .client
        .post(admin.url("/api/plans"))
        .json(&serde_json::json!({"rules": ["newest"]}))
        .send()
        .await?;
    assert_eq!(res.status(), 403, "no X-CSRF-Token");
    let res = admin
        .client
        .post(admin.url("/api/plans"))
        .header("x-csrf-token", admin.csrf("/dupes").await?)
        .json(&serde_json::json!({"rules": ["sideways"]}))
        .send()
        .await?;
    assert_eq!(res.status(), 422, "unknown keep rule");

    // Paging: out-of-range pages clamp, junk is a problem (HTML page for the browser route).
    let last: Value = admin.get("/api/dupes?page=99").await?.json().await?;
    assert_eq!(last["page"], 1);
    let res = admin.get("/api/dupes?page=x").await?;
    assert_eq!(res.status(), 422);
    assert_eq!(
        res.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
    assert_eq!(admin.get("/dupes?page=-1").await?.status(), 422);

    // Report, usage and the dashboard chart.
    let usage: Value = admin.get("/api/usage").await?.json().await?;
    assert_eq!(usage["reclaimable"], 20);
    let dash = admin.text("/dashboard").await?;
    assert!(dash.contains("<svg class=\"chart\"") && dash.contains("Images"));
    assert_eq!(admin.get("/report").await?.status(), 200);
    let report: Value = admin.get("/api/report").await?.json().await?;
    assert!(report["large"].as_array().is_some_and(|l| !l.is_empty()));
    Ok(())
}

#[tokio::test]
async fn hostile_file_names_render_inert() -> TestResult {
    let app = TestApp::start().await?;
    let admin = app.user("admin@example.com", "Admin").await?;
    let dir = app.roots.join("x");
    make_folder(&dir)?;
    let uid = my_id(&admin).await?;
    admin
        .submit(
            "/admin/sources",
            "/admin/sources",
            &[("user_id", &uid), ("path", dir.to_str().ok_or("utf-8")?)],
        )
        .await?;
    let sources: Vec<Value> = admin.get("/api/sources").await?.json().await?;
    let source = sources[0]["id"].as_i64().ok_or("id")?;
    let res = admin
        .submit("/sources", &format!("/sources/{source}/scan"), &[])
        .await?;
    wait_scan(&admin, tail_id(&location(&res))?).await?;
    let res = admin
        .submit("/dupes", "/plans", &[("prefer", "newest")])
        .await?;
    let plan_page = location(&res);
    for page in ["/dupes", "/report", plan_page.as_str()] {
        let res = admin.get(page).await?;
        let csp = res
            .headers()
            .get("content-security-policy")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
        let html = res.text().await?;
        assert!(
            !html.contains("<b onmouseover"),
            "{page} renders raw markup"
        );
        assert!(!html.contains("<img src=x"), "{page} renders raw markup");
        // askama escapes with numeric entities: &#60; for <, &#62; for >, &#34; for ".
        assert!(
            html.contains("&#60;b onmouseover=alert(1)&#62;x.txt"),
            "{page} shows the name escaped"
        );
    }
    Ok(())
}

#[tokio::test]
async fn folders_outside_the_roots_are_refused() -> TestResult {
    let app = TestApp::start().await?;
    let admin = app.user("admin@example.com", "Admin").await?;
    let uid = my_id(&admin).await?;
    let outside = app.dir.path().join("outside");
    std::fs::create_dir_all(&outside)?;
    std::fs::create_dir_all(app.roots.join("ok"))?;
    std::os::unix::fs::symlink(&outside, app.roots.join("link"))?;
    let dotdot = app.roots.join("ok/../..");
    let link = app.roots.join("link");
    for bad in [
        outside.to_str().ok_or("utf-8")?,
        dotdot.to_str().ok_or("utf-8")?,
        link.to_str().ok_or("utf-8")?,
        "relative/path",
        "/",
    ] {
        let res = admin
            .submit(
                "/admin/sources",
                "/admin/sources",
                &[("user_id", &uid), ("path", bad)],
            )
            .await?;
        assert_eq!(res.status(), 422, "{bad} refused");
    }
    let api: Vec<Value> = admin.get("/api/admin/sources").await?.json().await?;
    assert!(api.is_empty(), "nothing was added");
    let res = admin
        .client
        .post(admin.url("/api/admin/sources"))
        .header("x-csrf-token", admin.csrf("/account").await?)
        .json(&serde_json::json!({"user_id": uid, "path": app.roots.join("ok")}))
        .send()
        .await?;
    assert_eq!(res.status(), 201);

    // A folder swapped for an escaping symlink after it was added is refused at scan time.
    let sources: Vec<Value> = admin.get("/api/sources").await?.json().await?;
    let source = sources[0]["id"].as_i64().ok_or("id")?;
    std::fs::remove_dir(app.roots.join("ok"))?;
    std::os::unix::fs::symlink(&outside, app.roots.join("ok"))?;
    std::fs::write(outside.join("secret.txt"), b"not yours")?;
    let res = admin
        .submit("/sources", &format!("/sources/{source}/scan"), &[])
        .await?;
    let s = wait_scan(&admin, tail_id(&location(&res))?).await?;
    assert_eq!(s["state"], "failed");
    let report: Value = admin.get("/api/report").await?.json().await?;
    assert!(!report.to_string().contains("secret.txt"));
    Ok(())
}

/// Duplicate pages are reused between requests, but never once the groups changed, even when
/// the change comes from outside the app (the CLI in another process, say).
#[tokio::test]
async fn duplicate_pages_follow_changes_written_elsewhere() -> TestResult {
    let app = TestApp::start().await?;
    let admin = app.user("admin@example.com", "Admin").await?;
    let dir = app.roots.join("photos");
    make_folder(&dir)?;
    let uid = my_id(&admin).await?;
    let path = dir.to_str().ok_or("utf-8")?;
    let res = admin
        .submit(
            "/admin/sources",
            "/admin/sources",
            &[("user_id", &uid), ("path", path)],
        )
        .await?;
    assert_eq!(res.status(), 303);
    let sources: Vec<Value> = admin.get("/api/sources").await?.json().await?;
    let source = sources[0]["id"].as_i64().ok_or("source id")?;
    let res = admin
        .submit("/sources", &format!("/sources/{source}/scan"), &[])
        .await?;
    let job = tail_id(&location(&res))?;
    assert_eq!(wait_scan(&admin, job).await?["state"], "done");

    let paths = |v: &Value| -> Vec<String> {
        v["groups"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|g| g["files"].as_array().into_iter().flatten())
            .filter_map(|f| f["path"].as_str().map(str::to_owned))
            .collect()
    };
    for _ in 0..2 {
        let dupes: Value = admin.get("/api/dupes").await?.json().await?;
        assert_eq!(dupes["total_groups"], 2, "{dupes}");
        assert!(paths(&dupes).iter().any(|p| p.ends_with("a (1).jpg")));
    }
    assert!(admin.text("/dupes").await?.contains("a (1).jpg"));

    // Another writer renames a grouped file, then removes a copy.
    let db = app.db()?;
    platform_db::sql::DbExt::execute(
        &*db,
        "UPDATE files SET name = 'renamed.jpg', path = replace(path, 'a (1).jpg', 'renamed.jpg') \
         WHERE name = 'a (1).jpg'",
        [],
    )?;
    let dupes: Value = admin.get("/api/dupes").await?.json().await?;
    assert!(
        paths(&dupes).iter().any(|p| p.ends_with("renamed.jpg")),
        "{dupes}"
    );
    assert!(admin.text("/dupes").await?.contains("renamed.jpg"));
    platform_db::sql::DbExt::execute(&*db, "DELETE FROM files WHERE name = 'renamed.jpg'", [])?;
    let dupes: Value = admin.get("/api/dupes").await?.json().await?;
    assert_eq!(dupes["total_groups"], 1, "{dupes}");
    Ok(())
}
