//! The two promises over real HTTP: a link planted below an assigned folder after its scan
//! (`attack_*`, run by `make security`), a folder and its subfolder assigned to one account,
//! and keep folders named relative to a source.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::cleanup::{my_id, tail_id, wait_job, wait_scan};
use crate::support::{Browser, TestApp, TestResult, location};

/// Assigns `dir` to the admin itself and scans it; returns the source id.
async fn assign_and_scan(admin: &Browser, dir: &Path) -> TestResult<i64> {
    let uid = my_id(admin).await?;
    let res = admin
        .submit(
            "/admin/sources",
            "/admin/sources",
            &[("user_id", &uid), ("path", dir.to_str().ok_or("utf-8")?)],
        )
        .await?;
    assert_eq!(res.status(), 303);
    let sources: Vec<Value> = admin.get("/api/sources").await?.json().await?;
    let real = dir.canonicalize()?;
    let source = sources
        .iter()
        .find(|s| s["path"].as_str() == real.to_str())
        .and_then(|s| s["id"].as_i64())
        .ok_or("source id")?;
    let res = admin
        .submit("/sources", &format!("/sources/{source}/scan"), &[])
        .await?;
    let s = wait_scan(admin, tail_id(&location(&res))?).await?;
    assert_eq!(s["state"], "done", "{s}");
    Ok(source)
}

async fn api_plan(b: &Browser, rules: &[&str]) -> TestResult<reqwest::Response> {
    Ok(b.client
        .post(b.url("/api/plans"))
        .header("x-csrf-token", b.csrf("/account").await?)
        .json(&serde_json::json!({ "rules": rules }))
        .send()
        .await?)
}

async fn api_apply(b: &Browser, plan: i64) -> TestResult<Value> {
    let res = b
        .client
        .post(b.url(&format!("/api/plans/{plan}/apply")))
        .header("x-csrf-token", b.csrf("/account").await?)
        .send()
        .await?;
    assert_eq!(res.status(), 202);
    let started: Value = res.json().await?;
    let job = wait_job(b, started["job"].as_i64().ok_or("job id")?).await?;
    assert_eq!(job["state"], "done", "{job}");
    Ok(job["summary"].clone())
}

fn live(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let Ok(t) = e.file_type() else { continue };
            if t.is_dir() && e.file_name() != ".declutter-trash" {
                stack.push(e.path());
            } else if t.is_file() {
                out.push(e.path());
            }
        }
    }
    out
}

#[tokio::test]
async fn attack_web_apply_through_a_symlinked_parent_moves_nothing_outside() -> TestResult {
    let app = TestApp::start().await?;
    let admin = app.user("admin@example.com", "Admin").await?;
    let folder = app.roots.join("mine");
    std::fs::create_dir_all(folder.join("k"))?;
    std::fs::create_dir_all(folder.join("victim"))?;
    std::fs::write(folder.join("k/x.bin"), b"the same bytes, twice")?;
    std::fs::write(folder.join("victim/x.bin"), b"the same bytes, twice")?;
    let outside = app.dir.path().join("outside");
    std::fs::create_dir_all(&outside)?;
    std::fs::write(outside.join("x.bin"), b"the same bytes, twice")?;
    let mtime = std::fs::metadata(folder.join("victim/x.bin"))?.modified()?;
    std::fs::File::options()
        .write(true)
        .open(outside.join("x.bin"))?
        .set_modified(mtime)?;
    assign_and_scan(&admin, &folder).await?;
    let res = api_plan(&admin, &["shortest-path"]).await?;
    assert_eq!(res.status(), 201);
    let plan: Value = res.json().await?;
    let plan = plan["id"].as_i64().ok_or("plan id")?;
    std::fs::remove_dir_all(folder.join("victim"))?;
    std::os::unix::fs::symlink(&outside, folder.join("victim"))?;
    let report = api_apply(&admin, plan).await?;
    assert_eq!(report["trashed"], 0, "{report}");
    assert!(report.to_string().contains("symbolic link"), "{report}");
    assert_eq!(
        std::fs::read(outside.join("x.bin"))?,
        b"the same bytes, twice"
    );
    assert_eq!(std::fs::read_dir(&outside)?.count(), 1);
    Ok(())
}

#[tokio::test]
async fn a_folder_and_its_subfolder_on_one_account_keep_a_copy() -> TestResult {
    let app = TestApp::start().await?;
    let admin = app.user("admin@example.com", "Admin").await?;
    let top = app.roots.join("top");
    std::fs::create_dir_all(top.join("sub"))?;
    std::fs::write(top.join("sub/a.bin"), b"one photo")?;
    std::fs::write(top.join("b.bin"), b"one photo")?;
    assign_and_scan(&admin, &top.join("sub")).await?;
    assign_and_scan(&admin, &top).await?;
    let res = api_plan(&admin, &["newest"]).await?;
    assert_eq!(res.status(), 201);
    let plan: Value = res.json().await?;
    let removes = plan["items"]
        .as_array()
        .ok_or("items")?
        .iter()
        .filter(|i| i["action"] == "remove")
        .count();
    assert_eq!(removes, 1, "{plan}");
    api_apply(&admin, plan["id"].as_i64().ok_or("id")?).await?;
    assert_eq!(live(&top).len(), 1, "{:?}", live(&top));
    Ok(())
}

#[tokio::test]
async fn keep_folders_are_read_against_the_source_and_must_exist() -> TestResult {
    let app = TestApp::start().await?;
    let admin = app.user("admin@example.com", "Admin").await?;
    let folder = app.roots.join("drive");
    std::fs::create_dir_all(folder.join("Photos"))?;
    std::fs::create_dir_all(folder.join("Backup"))?;
    std::fs::write(folder.join("Photos/p.jpg"), b"a photo")?;
    std::fs::write(folder.join("Backup/p.jpg"), b"a photo")?;
    assign_and_scan(&admin, &folder).await?;
    // The form names a folder that does not exist: refused, in words, on an HTML page.
    let res = admin
        .submit(
            "/dupes",
            "/plans",
            &[
                ("prefer", "newest"),
                ("then", "none"),
                ("reference", "Fotos"),
            ],
        )
        .await?;
    assert_eq!(res.status(), 422);
    let body = res.text().await?;
    assert!(
        body.contains("Fotos") && body.contains("not a folder"),
        "{body}"
    );
    let res = api_plan(&admin, &["ref:/nowhere"]).await?;
    assert_eq!(res.status(), 422);
    let problem: Value = res.json().await?;
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("/nowhere"))
    );
    // Relative to the source root, it protects what the person named.
    let res = api_plan(&admin, &["ref:Photos"]).await?;
    assert_eq!(res.status(), 201);
    let plan: Value = res.json().await?;
    let removed: Vec<&str> = plan["items"]
        .as_array()
        .ok_or("items")?
        .iter()
        .filter(|i| i["action"] == "remove")
        .filter_map(|i| i["path"].as_str())
        .collect();
    assert_eq!(removed.len(), 1);
    assert!(removed[0].ends_with("Backup/p.jpg"), "{removed:?}");
    Ok(())
}
