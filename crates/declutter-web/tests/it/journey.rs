//! The seeded-account journey in real Chromium: a local tree of many small files in duplicate
//! groups of ten is scanned; in the browser the user filters the duplicates, picks a keep
//! folder in the folder view, reviews the grouped preview (the kept copy marked apart from the
//! removed ones), applies it and follows its progress to the summary, then undoes the whole
//! plan from the trash page; on disk every file is back byte for byte (SHA-256 of each).
//!
//! The default tree is 2,000 files (200 groups); `DECLUTTER_JOURNEY_FILES=100000` runs the
//! full 10,000 groups / 100,000 files (`make journey`). It runs at 1400 px and on a 390 px phone;
//! no page it visits may scroll sideways.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::browser::{Chromium, Driver};
use crate::cleanup::{queue_scan, wait_scan_for};
use crate::support::{Options, PASSWORD, TestApp, TestResult};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
/// The apply item at which the test holds the job to look at its progress.
const HOLD_AT: u64 = 10;
/// Copies per duplicate group: one in `keep/`, one in each of `c1/` … `c9/`.
const COPIES: usize = 10;

fn journey_files() -> usize {
    std::env::var("DECLUTTER_JOURNEY_FILES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000)
}

/// Writes `groups` duplicate groups of [`COPIES`] `photo-N.jpg` files, plus one pair of
/// `notes.txt` duplicates the name filter leaves out of the plan.
fn seed(dir: &Path, groups: usize) -> TestResult {
    for c in 0..COPIES {
        let folder = dir.join(if c == 0 {
            "keep".into()
        } else {
            format!("c{c}")
        });
        std::fs::create_dir_all(&folder)?;
        for g in 0..groups {
            std::fs::write(
                folder.join(format!("photo-{g:05}.jpg")),
                format!("photo {g} bytes\n"),
            )?;
        }
    }
    std::fs::write(dir.join("keep/notes.txt"), b"notes, filtered out")?;
    std::fs::write(dir.join("c1/notes.txt"), b"notes, filtered out")?;
    Ok(())
}

/// Every regular file under `dir` with its SHA-256, leaving out the dot folders (the local
/// provider keeps its trash in one inside the source).
fn hashes(dir: &Path) -> TestResult<BTreeMap<PathBuf, [u8; 32]>> {
    let mut out = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d)? {
            let e = e?;
            if e.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let t = e.file_type()?;
            if t.is_dir() {
                todo.push(e.path());
            } else if t.is_file() {
                let bytes = std::fs::read(e.path())?;
                out.insert(e.path(), Sha256::digest(&bytes).into());
            }
        }
    }
    Ok(out)
}

/// A page the journey looks at, at one width.
struct Page {
    name: &'static str,
    width: &'static str,
}

/// Saves the page's screenshot (with `DECLUTTER_SCREENSHOT_DIR`) and fails when it scrolls
/// sideways: nothing may be wider than the viewport.
async fn look(d: &Driver, p: Page) -> TestResult {
    d.shot(&format!("{}-{}", p.name, p.width)).await?;
    let v = d
        .cmd(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": "const w = document.documentElement.clientWidth; \
                return [document.documentElement.scrollWidth, w, [...document.querySelectorAll('body *')]\
                .filter(e => e.getBoundingClientRect().right > w + 1)\
                .map(e => e.tagName + '.' + e.className).slice(0, 5)];", "args": []})),
        )
        .await?;
    assert!(
        v[0].as_u64().is_some() && v[0] == v[1],
        "{} at {} px scrolls sideways (scroll width, viewport, widest): {v}",
        p.name,
        p.width
    );
    Ok(())
}

async fn click_xpath(d: &Driver, xpath: &str) -> TestResult {
    let v = d
        .cmd(
            reqwest::Method::POST,
            "/element",
            Some(json!({"using": "xpath", "value": xpath})),
        )
        .await?;
    let e = v[ELEMENT]
        .as_str()
        .ok_or_else(|| format!("no element {xpath}: {v}"))?;
    d.cmd(
        reqwest::Method::POST,
        &format!("/element/{e}/click"),
        Some(json!({})),
    )
    .await?;
    Ok(())
}

async fn source(d: &Driver) -> TestResult<String> {
    let v = d.cmd(reqwest::Method::GET, "/source", None).await?;
    Ok(v.as_str().unwrap_or_default().to_owned())
}

/// Like [`Driver::shows`] with a deadline that scales with the tree.
async fn shows_within(d: &Driver, text: &str, limit: Duration) -> TestResult<String> {
    let end = std::time::Instant::now() + limit;
    loop {
        let html = source(d).await?;
        if html.contains(text) {
            return Ok(html);
        }
        if std::time::Instant::now() > end {
            let tail: String = html.chars().take(3000).collect();
            return Err(format!("page never showed {text:?}: {tail}").into());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn seeded_account_filter_keep_folder_apply_undo_in_chromium() -> TestResult {
    let Some(chromium) = Chromium::start(false).await? else {
        return Ok(());
    };
    let result = seeded_journey(&chromium.driver, "1400").await;
    chromium.stop().await?;
    result
}

/// The same journey on a 390 px phone: no page scrolls sideways.
#[tokio::test]
async fn seeded_journey_on_a_phone() -> TestResult {
    let Some(chromium) = Chromium::start(true).await? else {
        return Ok(());
    };
    let result = seeded_journey(&chromium.driver, "390").await;
    chromium.stop().await?;
    result
}

async fn seeded_journey(d: &Driver, width: &'static str) -> TestResult {
    let groups = (journey_files() / COPIES).max(1);
    // The full 100,000 files took 8 min in all (debug build, shared 2-core machine).
    let limit = Duration::from_secs(60 + (groups as u64) / 10);
    // The apply is held at its tenth item so the browser sees it running.
    let (hook, reached, release) = crate::undo::gate(HOLD_AT);
    let app = TestApp::start_with(Options {
        item_hook: Some(hook),
        ..Options::default()
    })
    .await?;
    let dir = app.roots.join("journey");
    seed(&dir, groups)?;
    let before = hashes(&dir)?;
    assert_eq!(before.len(), groups * COPIES + 2);

    // The seeded account (the instance's first, so its admin) owns the tree and scans it.
    let user = app.user("journey@example.com", "Journey").await?;
    let (_, job) = queue_scan(&user, &user, &dir).await?;
    let s = wait_scan_for(&user, job, limit).await?;
    assert_eq!(s["state"], "done", "{s}");

    if width == "1400" {
        d.cmd(
            reqwest::Method::POST,
            "/window/rect",
            Some(json!({"width": 1400, "height": 1000})),
        )
        .await?;
    }
    let shot = |name: &'static str| Page { name, width };
    d.go(&app.url("/login")).await?;
    d.fill("#email", "journey@example.com").await?;
    d.fill("#password", PASSWORD).await?;
    d.click("form[action='/login'] button[type=submit]").await?;
    d.path_becomes("/dashboard").await?;
    look(d, shot("dashboard")).await?;

    // Filter: only the photos, not the notes.
    d.go(&app.url("/dupes")).await?;
    d.fill("#q", "photo").await?;
    d.click("form.filters button[type=submit]").await?;
    let html = shows_within(d, "value=\"photo\"", limit).await?;
    look(d, shot("duplicates")).await?;
    assert!(
        html.contains(&format!(
            "<div class=\"value\">{groups}</div><div class=\"label\">Groups matching"
        )),
        "the filter matches the photo groups only"
    );
    assert!(!html.contains("notes.txt"), "filtered out");

    // Folder view (keeping the name filter): keep everything in keep/.
    d.click("a.button[href^='/dupes/folders']").await?;
    d.path_becomes("/dupes/folders").await?;
    let keep_row = "//tr[td[contains(@class,'path') and (normalize-space(.)='keep' or \
                    substring(normalize-space(.), string-length(normalize-space(.)) - 4) = '/keep')]]";
    for _ in 0..8 {
        if source(d).await?.contains("/journey/keep<") {
            break;
        }
        // Open the one folder above keep/ until keep/ is listed.
        click_xpath(d, "//td[contains(@class,'path')]/a").await?;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    look(d, shot("folders")).await?;
    click_xpath(d, &format!("{keep_row}//a[normalize-space(.)='Keep here']")).await?;
    d.path_becomes("/dupes").await?;
    let html = shows_within(d, "Keeping everything in", limit).await?;
    assert!(
        html.contains("value=\"photo\""),
        "the folder view kept the filter"
    );
    assert!(
        html.contains("/journey/keep\" selected"),
        "the keep folder is the plan's reference"
    );

    // Review the grouped preview: per group the copy in keep/ stays, the nine others go.
    d.click("form[action='/plans'] button[type=submit]").await?;
    let html = shows_within(d, "Apply: move to the trash", limit).await?;
    look(d, shot("plan")).await?;
    let removed = groups * (COPIES - 1);
    assert!(
        html.contains(&format!("({removed} files)")),
        "the plan removes the nine copies of each photo group"
    );
    let copies: Vec<&str> = html.split("<li class=\"copy ").skip(1).collect();
    assert!(!copies.is_empty(), "the preview lists its groups");
    for c in &copies {
        let path = c.split("class=\"path\">").nth(1).unwrap_or_default();
        let in_keep = path.contains("/keep/");
        if c.starts_with("keep\"") {
            assert!(
                in_keep && c.contains("tag-keep"),
                "kept copy shown apart: {c}"
            );
        } else {
            assert!(c.starts_with("remove\""), "{c}");
            assert!(!in_keep && c.contains("tag-remove"), "removed copy: {c}");
        }
    }

    // Apply: the job page shows progress, then the summary.
    d.click("form[action$='/apply'] button").await?;
    d.accept_confirm().await?;
    d.path_becomes_prefix("/jobs/").await?;
    tokio::time::timeout(limit, reached).await??;
    shows_within(d, &format!("{HOLD_AT} of {removed}"), limit).await?;
    d.shows("<progress").await?;
    look(d, shot("job-progress")).await?;
    release.send(())?;
    shows_within(d, "moved to the trash", limit).await?;
    look(d, shot("job-summary")).await?;
    let after_apply = hashes(&dir)?;
    assert_eq!(
        after_apply.len(),
        groups + 2,
        "only keep/ and the notes are left"
    );

    // Undo the whole plan from the trash page.
    d.go(&app.url("/trash")).await?;
    d.shows("Restore the whole plan").await?;
    look(d, shot("trash")).await?;
    d.click("form[action^='/plans/'][action$='/restore'] button")
        .await?;
    d.accept_confirm().await?;
    d.path_becomes_prefix("/jobs/").await?;
    shows_within(d, "are back where they were", limit).await?;
    look(d, shot("undo-summary")).await?;

    let after = hashes(&dir)?;
    assert_eq!(after.len(), before.len(), "every file is back");
    let changed = before
        .iter()
        .filter(|(p, h)| after.get(*p) != Some(*h))
        .count();
    assert_eq!(changed, 0, "every file is back byte for byte");
    let trash: Vec<Value> = user.get("/api/trash").await?.json().await?;
    assert!(trash.is_empty(), "the trash is empty again: {trash:?}");
    Ok(())
}
