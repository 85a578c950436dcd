//! Apply as a background job and undo, over real HTTP on real files: the request answers
//! while the job is held between two items (so it cannot have waited for it), progress is
//! visible in the job row, a cancel stops the job between items, applying again resumes, and
//! restoring the whole plan brings every file back byte for byte. Restores never overwrite;
//! selections restore and purge; "free space now" needs its confirmation.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::time::Duration;

use serde_json::Value;

use crate::cleanup::{my_id, tail_id, wait_job, wait_scan};
use crate::support::{Browser, Options, TestApp, TestResult, location};

/// Duplicate pairs: `pN.bin` and `pN (1).bin`; the plan removes the ` (1)` copies.
pub const PAIRS: usize = 220;
/// Bytes of every file.
pub const SIZE: usize = 700;
/// Where the held job stops.
const HOLD_AT: u64 = 60;

fn bytes_of(i: usize) -> Vec<u8> {
    format!("pair {i:04} ").into_bytes().repeat(SIZE / 10)
}

pub fn make_pairs(dir: &Path, n: usize) -> TestResult<BTreeMap<PathBuf, Vec<u8>>> {
    std::fs::create_dir_all(dir)?;
    let mut all = BTreeMap::new();
    for i in 0..n {
        let b = bytes_of(i);
        for name in [format!("p{i:04}.bin"), format!("p{i:04} (1).bin")] {
            std::fs::write(dir.join(&name), &b)?;
            all.insert(dir.join(name), b.clone());
        }
    }
    Ok(all)
}

/// Every regular file below `dir` outside the trash, with its bytes.
fn live(dir: &Path) -> TestResult<BTreeMap<PathBuf, Vec<u8>>> {
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        if e.file_type()?.is_file() {
            out.insert(e.path(), std::fs::read(e.path())?);
        }
    }
    Ok(out)
}

/// Holds jobs at given item counts, each once, until released.
struct Gate {
    stops: Mutex<Vec<(u64, tokio::sync::oneshot::Sender<()>)>>,
    release: Mutex<mpsc::Receiver<()>>,
}

/// A hook that holds the first job reaching `at` items: answers it, a receiver told when it
/// is reached, and the sender that releases it.
pub fn gate(
    at: u64,
) -> (
    declutter_core::engine::jobs::ItemHook,
    tokio::sync::oneshot::Receiver<()>,
    mpsc::Sender<()>,
) {
    let (hook, mut reached, release) = gates(&[at]);
    let first = reached.remove(0);
    (hook, first, release)
}

/// A hook that holds the job at each count of `at` (once each) until a release is sent; one
/// receiver per stop tells that the job is held there.
pub fn gates(
    at: &[u64],
) -> (
    declutter_core::engine::jobs::ItemHook,
    Vec<tokio::sync::oneshot::Receiver<()>>,
    mpsc::Sender<()>,
) {
    let (release_tx, release_rx) = mpsc::channel();
    let mut stops = Vec::new();
    let mut reached = Vec::new();
    for &n in at {
        let (tx, rx) = tokio::sync::oneshot::channel();
        stops.push((n, tx));
        reached.push(rx);
    }
    let g = Arc::new(Gate {
        stops: Mutex::new(stops),
        release: Mutex::new(release_rx),
    });
    let hook = Arc::new(move |done: u64| {
        // Once per stop: later jobs pass freely.
        let stop = {
            let mut stops = g.stops.lock().unwrap_or_else(PoisonError::into_inner);
            let Some(i) = stops.iter().position(|(n, _)| *n == done) else {
                return;
            };
            stops.remove(i)
        };
        let _ = stop.1.send(());
        let _ = g
            .release
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .recv();
    });
    (hook, reached, release_tx)
}

/// `admin` assigns `dir` to itself, scans it and makes an `original-name` plan; its id.
pub async fn planned(admin: &Browser, dir: &Path) -> TestResult<i64> {
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
    let source = sources[0]["id"].as_i64().ok_or("source")?;
    let res = admin
        .submit("/sources", &format!("/sources/{source}/scan"), &[])
        .await?;
    assert_eq!(
        wait_scan(admin, tail_id(&location(&res))?).await?["state"],
        "done"
    );
    let res = admin
        .submit(
            "/dupes",
            "/plans",
            &[("prefer", "original-name"), ("then", "none")],
        )
        .await?;
    assert_eq!(res.status(), 303);
    tail_id(&location(&res))
}

pub async fn post_api(
    b: &Browser,
    path: &str,
    body: Option<Value>,
) -> TestResult<reqwest::Response> {
    let mut req = b
        .client
        .post(b.url(path))
        .header("x-csrf-token", b.csrf("/account").await?);
    if let Some(body) = body {
        req = req.json(&body);
    }
    Ok(req.send().await?)
}

pub async fn job_started(res: reqwest::Response) -> TestResult<i64> {
    assert_eq!(res.status(), 202);
    let url = location(&res);
    let body: Value = res.json().await?;
    assert_eq!(body["status_url"], url.as_str());
    body["job"].as_i64().ok_or_else(|| "job id".into())
}

#[tokio::test]
async fn apply_job_shows_progress_stops_on_cancel_resumes_and_restores_byte_for_byte() -> TestResult
{
    let (hook, reached, release) = gate(HOLD_AT);
    let app = TestApp::start_with(Options {
        item_hook: Some(hook),
        ..Options::default()
    })
    .await?;
    let admin = app.user("admin@example.com", "Admin").await?;
    let dir = app.roots.join("pairs");
    let before = make_pairs(&dir, PAIRS)?;
    let plan = planned(&admin, &dir).await?;

    // The form answers with the job's page while the job is held at item HOLD_AT: it did not
    // wait for the apply.
    let res = admin
        .submit(
            &format!("/plans/{plan}"),
            &format!("/plans/{plan}/apply"),
            &[],
        )
        .await?;
    assert_eq!(res.status(), 303);
    let job_page = location(&res);
    assert!(job_page.starts_with("/jobs/"), "{job_page}");
    let job = tail_id(&job_page)?;
    tokio::time::timeout(Duration::from_secs(60), reached).await??;

    // Progress is in the job row: files, bytes, no errors.
    let s: Value = admin.get(&format!("/api/jobs/{job}")).await?.json().await?;
    assert_eq!(s["state"], "running", "{s}");
    assert_eq!(s["kind"], "apply");
    assert_eq!(s["done"], HOLD_AT, "{s}");
    assert_eq!(s["total"], PAIRS as u64);
    assert_eq!(s["bytes"], HOLD_AT * SIZE as u64);
    assert_eq!(s["errors"], 0);
    let html = admin.text(&job_page).await?;
    assert!(html.contains(&format!("{HOLD_AT} of {PAIRS}")), "{html}");
    assert!(html.contains("http-equiv=\"refresh\"") && html.contains("/cancel"));

    // One clean-up per account at a time.
    let busy = post_api(&admin, &format!("/api/plans/{plan}/apply"), None).await?;
    assert_eq!(busy.status(), 409);
    let busy = post_api(&admin, &format!("/api/plans/{plan}/restore"), None).await?;
    assert_eq!(busy.status(), 409);

    // Stop: the job ends before its next item.
    let res = admin
        .submit(&job_page, &format!("{job_page}/cancel"), &[])
        .await?;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), job_page);
    let s: Value = admin.get(&format!("/api/jobs/{job}")).await?.json().await?;
    assert_eq!(s["cancel_requested"], true, "{s}");
    release.send(())?;
    let s = wait_job(&admin, job).await?;
    assert_eq!(s["state"], "cancelled", "{s}");
    assert_eq!(s["done"], HOLD_AT);
    assert_eq!(s["summary"]["trashed"], HOLD_AT);
    assert_eq!(s["summary"]["cancelled"], true);
    assert_eq!(live(&dir)?.len(), 2 * PAIRS - HOLD_AT as usize);
    let p: Value = admin
        .get(&format!("/api/plans/{plan}"))
        .await?
        .json()
        .await?;
    assert_eq!(p["status"], "applying", "a stopped plan can be resumed");
    let html = admin.text(&job_page).await?;
    assert!(html.contains("Stopped on request") && !html.contains("http-equiv=\"refresh\""));

    // Applying again resumes where it stopped.
    let job2 =
        job_started(post_api(&admin, &format!("/api/plans/{plan}/apply"), None).await?).await?;
    let s = wait_job(&admin, job2).await?;
    assert_eq!(s["state"], "done", "{s}");
    assert_eq!(s["summary"]["trashed"], PAIRS as u64 - HOLD_AT);
    assert_eq!(s["summary"]["already_done"], HOLD_AT);
    let left = live(&dir)?;
    assert_eq!(left.len(), PAIRS);
    assert!(left.keys().all(|p| !p.to_string_lossy().contains(" (1)")));
    let t: Value = admin.get("/api/trash/summary").await?.json().await?;
    assert_eq!(t["count"], PAIRS as u64);
    assert_eq!(t["bytes"], (PAIRS * SIZE) as u64);
    assert_eq!(t["plans"][0]["plan_id"], plan);
    let page1: Vec<Value> = admin.get("/api/trash").await?.json().await?;
    assert_eq!(page1.len(), 100, "a page of the trash");
    let page3: Vec<Value> = admin.get("/api/trash?page=3").await?.json().await?;
    assert_eq!(page3.len(), PAIRS - 200);
    assert_eq!(admin.get("/api/trash?page=0").await?.status(), 422);
    let html = admin.text("/trash").await?;
    assert!(html.contains("Page 1 of 3") && html.contains("Free space now"));
    assert!(html.contains(&format!("action=\"/plans/{plan}/restore\"")));

    // Undo the whole plan: every file back, byte for byte.
    let job3 =
        job_started(post_api(&admin, &format!("/api/plans/{plan}/restore"), None).await?).await?;
    let s = wait_job(&admin, job3).await?;
    assert_eq!(s["state"], "done", "{s}");
    assert_eq!(s["kind"], "restore");
    assert_eq!(s["summary"]["restored"], PAIRS as u64);
    assert_eq!(s["bytes"], (PAIRS * SIZE) as u64);
    assert_eq!(live(&dir)?, before, "every file is back byte for byte");
    let t: Value = admin.get("/api/trash/summary").await?.json().await?;
    assert_eq!(t["count"], 0);

    // Jobs are the owner's own.
    let other = app.user("other@example.com", "Other").await?;
    assert_eq!(other.get(&format!("/api/jobs/{job}")).await?.status(), 404);
    assert_eq!(
        post_api(&other, &format!("/api/jobs/{job}/cancel"), None)
            .await?
            .status(),
        404
    );
    assert_eq!(
        post_api(&other, &format!("/api/plans/{plan}/restore"), None)
            .await?
            .status(),
        404
    );
    Ok(())
}

#[tokio::test]
async fn restore_reports_conflicts_and_selections_restore_and_purge() -> TestResult {
    let app = TestApp::start().await?;
    let admin = app.user("admin@example.com", "Admin").await?;
    let dir = app.roots.join("few");
    let before = make_pairs(&dir, 4)?;
    let plan = planned(&admin, &dir).await?;
    let job =
        job_started(post_api(&admin, &format!("/api/plans/{plan}/apply"), None).await?).await?;
    assert_eq!(wait_job(&admin, job).await?["state"], "done");
    let trash: Vec<Value> = admin.get("/api/trash").await?.json().await?;
    let id_of = |name: &str| -> TestResult<i64> {
        trash
            .iter()
            .find(|e| {
                e["original_path"]
                    .as_str()
                    .is_some_and(|p| p.ends_with(name))
            })
            .and_then(|e| e["id"].as_i64())
            .ok_or_else(|| format!("no entry for {name}").into())
    };
    let (e0, e1, e2, e3) = (
        id_of("p0000 (1).bin")?,
        id_of("p0001 (1).bin")?,
        id_of("p0002 (1).bin")?,
        id_of("p0003 (1).bin")?,
    );

    // Someone puts a new file where p0000 (1).bin was: a restore never overwrites it.
    let squatter = dir.join("p0000 (1).bin");
    std::fs::write(&squatter, b"a new file")?;
    let res = admin
        .submit(
            "/trash",
            "/trash/selection",
            &[
                ("action", "restore"),
                ("ids", &e0.to_string()),
                ("ids", &e1.to_string()),
            ],
        )
        .await?;
    assert_eq!(res.status(), 200);
    let html = res.text().await?;
    assert!(html.contains("1 files restored"), "{html}");
    assert!(
        html.contains("left in the trash because something exists"),
        "{html}"
    );
    assert_eq!(std::fs::read(&squatter)?, b"a new file");
    let restored = dir.join("p0001 (1).bin");
    assert_eq!(std::fs::read(&restored)?, before[&restored]);
    let res = post_api(
        &admin,
        "/api/trash/restore",
        Some(serde_json::json!({"ids": [e0]})),
    )
    .await?;
    assert_eq!(res.status(), 200);
    let r: Value = res.json().await?;
    assert_eq!(r["restored"], 0);
    assert_eq!(r["conflicts"][0], squatter.to_str().ok_or("utf-8")?);
    let res = post_api(&admin, &format!("/api/trash/{e0}/restore"), None).await?;
    assert_eq!(res.status(), 409, "one entry: the conflict is the answer");

    // Purge a selection: that file is gone for good, the others stay.
    let res = admin
        .submit(
            "/trash",
            "/trash/selection",
            &[("action", "purge"), ("ids", &e2.to_string())],
        )
        .await?;
    assert_eq!(res.status(), 200);
    assert!(res.text().await?.contains("1 files deleted for good"));
    let left: Vec<i64> = admin
        .get("/api/trash")
        .await?
        .json::<Vec<Value>>()
        .await?
        .iter()
        .filter_map(|e| e["id"].as_i64())
        .collect();
    let mut expected = vec![e0, e3];
    expected.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(left, expected, "newest first; e2 purged, e1 restored");
    let trash_dir = dir.join(".declutter-trash");
    let in_trash = |needle: &str| -> bool {
        walk(&trash_dir)
            .iter()
            .any(|p| p.to_string_lossy().ends_with(needle))
    };
    assert!(!in_trash("p0002 (1).bin") && in_trash("p0003 (1).bin"));

    // Free space now: refused without the confirmation, then everything purged.
    let res = admin.submit("/trash", "/trash/empty", &[]).await?;
    assert_eq!(res.status(), 422);
    assert!(in_trash("p0003 (1).bin"));
    // It is a job: the request answers at once with the job's page, a worker empties it.
    let res = admin
        .submit("/trash", "/trash/empty", &[("confirm", "yes")])
        .await?;
    assert_eq!(res.status(), 303);
    let job_page = location(&res);
    let job = tail_id(&job_page)?;
    let s = wait_job(&admin, job).await?;
    assert_eq!(
        (
            s["kind"].as_str(),
            s["state"].as_str(),
            s["plan_id"].is_null()
        ),
        (Some("purge"), Some("done"), true),
        "{s}"
    );
    assert_eq!(
        (
            s["summary"]["purged"].as_u64(),
            s["done"].as_u64(),
            s["total"].as_u64()
        ),
        (Some(2), Some(2), Some(2))
    );
    let html = admin.get(&job_page).await?.text().await?;
    assert!(html.contains("Emptying the trash") && html.contains("2 files deleted for good"));
    assert!(walk(&trash_dir).is_empty());
    let audit: Value = admin.get("/api/audit").await?.json().await?;
    let actions: Vec<&str> = audit
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(
        actions.contains(&"trash.empty_started") && actions.contains(&"trash.purged"),
        "{actions:?}"
    );
    // "Everything" is emptying the trash, not a purge selection.
    let res = post_api(
        &admin,
        "/api/trash/purge",
        Some(serde_json::json!({"all": true})),
    )
    .await?;
    assert_eq!(res.status(), 422);
    let t: Value = admin.get("/api/trash/summary").await?.json().await?;
    assert_eq!(
        (t["count"].as_u64(), t["bytes"].as_u64()),
        (Some(0), Some(0))
    );

    // Bad selections are refused with a problem.
    let res = post_api(&admin, "/api/trash/purge", Some(serde_json::json!({}))).await?;
    assert_eq!(res.status(), 422);
    let res = post_api(
        &admin,
        "/api/trash/restore",
        Some(serde_json::json!({"ids": (0..501).collect::<Vec<i64>>()})),
    )
    .await?;
    assert_eq!(res.status(), 422);
    Ok(())
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push(e.path()),
                Ok(_) => out.push(e.path()),
                Err(_) => {}
            }
        }
    }
    out
}

/// The report's id for the file at `path` in `section` (`large`, `old`, `empty`, `temp`).
async fn report_id(b: &Browser, section: &str, path: &Path) -> TestResult<i64> {
    let r: Value = b.get("/api/report").await?.json().await?;
    r[section]
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| f["path"].as_str() == path.to_str())
        .and_then(|f| f["id"].as_i64())
        .ok_or_else(|| format!("{} not in {section}: {r}", path.display()).into())
}

async fn rescan(b: &Browser) -> TestResult {
    let sources: Vec<Value> = b.get("/api/sources").await?.json().await?;
    let source = sources[0]["id"].as_i64().ok_or("source")?;
    let res = b
        .submit("/sources", &format!("/sources/{source}/scan"), &[])
        .await?;
    assert_eq!(
        wait_scan(b, tail_id(&location(&res))?).await?["state"],
        "done"
    );
    Ok(())
}

#[tokio::test]
async fn clutter_picks_are_planned_applied_and_undone_but_never_a_duplicate() -> TestResult {
    let app = TestApp::start().await?;
    let admin = app.user("admin@example.com", "Admin").await?;
    let dir = app.roots.join("mess");
    std::fs::create_dir_all(&dir)?;
    let (big, junk, dup, copy, lone) = (
        dir.join("big.iso"),
        dir.join("junk.tmp"),
        dir.join("dup.txt"),
        dir.join("dup (1).txt"),
        dir.join("lone.bin"),
    );
    std::fs::write(&big, b"big ".repeat(5000))?;
    std::fs::write(&junk, b"scratch")?;
    std::fs::write(&dup, b"twice")?;
    std::fs::write(&copy, b"twice")?;
    std::fs::write(&lone, b"only me, for now")?;
    let plan = planned(&admin, &dir).await?; // the duplicates plan (kept: dup.txt)
    let (big_id, junk_id, dup_id, lone_id) = (
        report_id(&admin, "large", &big).await?,
        report_id(&admin, "temp", &junk).await?,
        report_id(&admin, "large", &dup).await?,
        report_id(&admin, "large", &lone).await?,
    );
    assert!(
        admin
            .text("/report")
            .await?
            .contains("action=\"/plans/clutter\"")
    );

    // Picks become a plan; the duplicate is left out, with the reason.
    let res = post_api(
        &admin,
        "/api/plans/clutter",
        Some(serde_json::json!({ "ids": [big_id, junk_id, dup_id] })),
    )
    .await?;
    assert_eq!(res.status(), 201);
    let c: Value = res.json().await?;
    assert_eq!(c["remove_count"], 2, "{c}");
    assert_eq!(c["bytes_reclaimed"], 20_007);
    assert_eq!(c["refused"][0][0], dup.to_str().ok_or("utf-8")?);
    assert!(
        c["refused"][0][1]
            .as_str()
            .is_some_and(|r| r.contains("duplicate"))
    );
    // The form does the same and shows the plan's preview.
    let res = admin
        .submit(
            "/report",
            "/plans/clutter",
            &[("ids", &big_id.to_string()), ("ids", &junk_id.to_string())],
        )
        .await?;
    assert_eq!(res.status(), 303);
    let clutter_plan = tail_id(&location(&res))?;
    let job =
        job_started(post_api(&admin, &format!("/api/plans/{clutter_plan}/apply"), None).await?)
            .await?;
    let s = wait_job(&admin, job).await?;
    assert_eq!(s["summary"]["trashed"], 2, "{s}");
    assert!(!big.exists() && !junk.exists());
    assert!(dup.exists() && copy.exists(), "duplicates untouched");

    // Undo brings them back byte for byte.
    let job =
        job_started(post_api(&admin, &format!("/api/plans/{clutter_plan}/restore"), None).await?)
            .await?;
    assert_eq!(wait_job(&admin, job).await?["state"], "done");
    assert_eq!(std::fs::read(&big)?, b"big ".repeat(5000));
    assert_eq!(std::fs::read(&junk)?, b"scratch");

    // Once the duplicates plan moved the copy, dup.txt is what keeps that content alive: it
    // is never removed on its own.
    let job =
        job_started(post_api(&admin, &format!("/api/plans/{plan}/apply"), None).await?).await?;
    assert_eq!(wait_job(&admin, job).await?["state"], "done");
    assert!(!copy.exists());
    let res = post_api(
        &admin,
        "/api/plans/clutter",
        Some(serde_json::json!({ "ids": [dup_id] })),
    )
    .await?;
    assert_eq!(
        res.status(),
        422,
        "only a kept copy picked: nothing to remove"
    );

    // A file that gained a duplicate between planning and applying is skipped at apply.
    let res = post_api(
        &admin,
        "/api/plans/clutter",
        Some(serde_json::json!({ "ids": [lone_id] })),
    )
    .await?;
    let lone_plan = res.json::<Value>().await?["plan_id"]
        .as_i64()
        .ok_or("plan id")?;
    std::fs::write(dir.join("lone copy.bin"), b"only me, for now")?;
    rescan(&admin).await?;
    let job = job_started(post_api(&admin, &format!("/api/plans/{lone_plan}/apply"), None).await?)
        .await?;
    let s = wait_job(&admin, job).await?;
    assert_eq!(s["summary"]["trashed"], 0, "{s}");
    assert!(
        s["summary"]["skipped"][0][1]
            .as_str()
            .is_some_and(|r| r.contains("duplicate"))
    );
    assert!(lone.exists());
    Ok(())
}

#[tokio::test]
async fn folders_an_apply_empties_go_with_the_checkbox_and_come_back_with_the_undo() -> TestResult {
    let app = TestApp::start().await?;
    let admin = app.user("admin@example.com", "Admin").await?;
    let dir = app.roots.join("tidy");
    // Originals in keep/, their copies alone in copies/sub/; copies/ also holds a unique file.
    let mut before = BTreeMap::new();
    for i in 0..3 {
        let b = bytes_of(i);
        for (folder, name) in [
            ("keep", format!("p{i}.bin")),
            ("copies/sub", format!("p{i} (1).bin")),
        ] {
            std::fs::create_dir_all(dir.join(folder))?;
            std::fs::write(dir.join(folder).join(&name), &b)?;
            before.insert(dir.join(folder).join(name), b.clone());
        }
    }
    std::fs::write(dir.join("copies/notes.txt"), b"only me")?;
    std::fs::create_dir_all(dir.join("empty before"))?;
    let plan = planned(&admin, &dir).await?;

    let res = admin
        .submit(
            &format!("/plans/{plan}"),
            &format!("/plans/{plan}/apply"),
            &[("remove_empty_folders", "on")],
        )
        .await?;
    assert_eq!(res.status(), 303);
    let done = wait_job(&admin, tail_id(&location(&res))?).await?;
    assert_eq!(
        (&done["state"], &done["summary"]["trashed"]),
        (&"done".into(), &3.into())
    );
    assert!(
        !dir.join("copies/sub").exists(),
        "the emptied folder is gone"
    );
    assert!(
        dir.join("copies/notes.txt").exists(),
        "a folder still holding a file stays"
    );
    assert!(
        dir.join("empty before").is_dir(),
        "a folder empty before stays"
    );

    let res = admin
        .submit(
            &format!("/plans/{plan}"),
            &format!("/plans/{plan}/restore"),
            &[],
        )
        .await?;
    assert_eq!(res.status(), 303);
    let restored = wait_job(&admin, tail_id(&location(&res))?).await?;
    assert_eq!(restored["summary"]["restored"], 3);
    for (path, bytes) in &before {
        assert_eq!(&std::fs::read(path)?, bytes, "{}", path.display());
    }

    // A value that is neither true nor false is refused before anything runs.
    let res = post_api(
        &admin,
        &format!("/api/plans/{plan}/apply?remove_empty_folders=maybe"),
        None,
    )
    .await?;
    assert_eq!(res.status(), 422, "{:?}", res.text().await);
    Ok(())
}
