//! Reviewing thousands of groups over real HTTP and a real SQLite file: filters, sorts, search
//! and paging of the duplicates view, the folder view's sums, plans made over a filtered set,
//! plan edits that the engine refuses when a group would lose every copy, and the plan page's
//! size bound at 10,000 groups. The index is seeded straight through the engine's store (as a
//! scan would write it), thousands of rows in well under a second.

use std::collections::{BTreeMap, HashSet};
use std::str::FromStr;

use declutter_core::hash::{ContentHash, HashKind};
use declutter_core::ids::{ItemId, Source, UserId};
use declutter_core::provider::{Change, Item, Listing};
use declutter_core::store::{files, groups};
use serde_json::{Value, json};

use crate::cleanup::my_id;
use crate::support::{Browser, TestApp, TestResult};

/// Group `g`'s shape: its name, size, copies and each copy's path and modification time.
struct G {
    name: String,
    size: u64,
    copies: u64,
}

fn shape(g: u64) -> G {
    let name = match g % 3 {
        // One name far wider than a phone, with nowhere to break it.
        _ if g == 1 => format!("report_{g:05}_{}.pdf", "x".repeat(120)),
        0 => format!("IMG_{g:05}.jpg"),
        1 => format!("report_{g:05}.pdf"),
        _ => format!("song_{g:05}.mp3"),
    };
    G {
        name,
        // Distinct, and not in id order.
        size: 1_000 + (g * 7_919) % 100_003,
        copies: 2 + g % 3,
    }
}

/// Copy `c` of group `g`: the first in Photos (in Backup for every tenth group, so some groups
/// lie wholly in Backup), the second in Backup, the rest in Misc; later copies carry a " (c)"
/// name.
fn copy_path(g: u64, c: u64) -> (String, String) {
    let s = shape(g);
    let name = if c == 0 {
        s.name
    } else {
        let (stem, ext) = s.name.rsplit_once('.').unwrap_or((&s.name, ""));
        format!("{stem} ({c}).{ext}")
    };
    let folder = match c {
        0 if g % 10 == 9 => format!("/Backup/{}", g % 4),
        0 => format!("/Photos/{}", g % 5),
        1 => format!("/Backup/{}", g % 4),
        _ => "/Misc".to_owned(),
    };
    (format!("{folder}/{name}"), name)
}

fn modified(g: u64, c: u64) -> i64 {
    // Seconds apart (pages show seconds), not in id order.
    let secs = i64::try_from((g * 7_927) % 10_007 + c).unwrap_or(0);
    (1_700_000_000 + secs) * 1_000_000_000
}

fn item(id: String, path: String, name: String, size: u64, is_dir: bool) -> TestResult<Item> {
    Ok(Item {
        id: ItemId::from_str(&id)?,
        parent_id: None,
        path,
        name,
        is_dir,
        size,
        modified_ns: 0,
        hash: None,
        etag: None,
        mime: None,
        comparable: true,
        inode: None,
    })
}

/// Seeds `groups` exact groups (Drive files, MD5-hashed) for `uid`, with their folders indexed.
pub async fn seed(app: &TestApp, uid: &str, group_count: u64) -> TestResult {
    let owner = UserId::from_str(uid)?;
    let mut changes = Vec::new();
    let mut dirs: Vec<String> = vec!["/Photos".into(), "/Backup".into(), "/Misc".into()];
    dirs.extend((0..5).map(|i| format!("/Photos/{i}")));
    dirs.extend((0..4).map(|i| format!("/Backup/{i}")));
    // Drive paths are rebuilt from parent ids, as a real listing's would be.
    let parent = |path: &str| -> TestResult<Option<ItemId>> {
        match path.rsplit_once('/') {
            Some(("", _)) | None => Ok(None),
            Some((dir, _)) => Ok(Some(ItemId::from_str(&format!("dir{dir}"))?)),
        }
    };
    for d in dirs {
        let name = d.rsplit('/').next().unwrap_or("").to_owned();
        let mut it = item(format!("dir{d}"), d.clone(), name, 0, true)?;
        it.parent_id = parent(&d)?;
        changes.push(Change::Upsert(it));
    }
    for g in 0..group_count {
        let s = shape(g);
        for c in 0..s.copies {
            let (path, name) = copy_path(g, c);
            let mut it = item(format!("f-{g}-{c}"), path.clone(), name, s.size, false)?;
            it.parent_id = parent(&path)?;
            it.hash = Some(ContentHash::new(HashKind::Md5, format!("{g:032x}")));
            it.modified_ns = modified(g, c);
            changes.push(Change::Upsert(it));
        }
    }
    let listing = Listing {
        full: true,
        changes,
        ..Listing::default()
    };
    app.state
        .pool
        .write(move |c| -> Result<(), declutter_core::db::DbError> {
            files::apply_listing(c, &owner, &Source::GDrive, &listing)?;
            groups::recompute(c, &owner)
        })
        .await??;
    Ok(())
}

pub async fn json_ok(b: &Browser, path: &str) -> TestResult<Value> {
    let res = b.get(path).await?;
    assert_eq!(res.status(), 200, "{path}");
    Ok(res.json().await?)
}

/// Every group id of a filtered view, walking its pages.
async fn all_ids(b: &Browser, query: &str) -> TestResult<Vec<i64>> {
    let first = json_ok(b, &format!("/api/dupes?{query}")).await?;
    let pages = first["pages"].as_u64().ok_or("pages")?;
    let mut ids = Vec::new();
    for p in 1..=pages {
        let v = json_ok(b, &format!("/api/dupes?{query}&page={p}")).await?;
        for g in v["groups"].as_array().ok_or("groups")? {
            ids.push(g["id"].as_i64().ok_or("id")?);
        }
    }
    Ok(ids)
}

pub fn count(n: u64, f: impl Fn(u64) -> bool) -> u64 {
    (0..n).filter(|g| f(*g)).count() as u64
}

#[tokio::test]
async fn duplicates_filter_sort_search_and_page_over_thousands_of_groups() -> TestResult {
    const N: u64 = 3_000;
    let app = TestApp::start().await?;
    let b = app.user("review@example.com", "Review").await?;
    seed(&app, &my_id(&b).await?, N).await?;

    let all = json_ok(&b, "/api/dupes").await?;
    assert_eq!(all["total_groups"], N);
    assert_eq!(all["pages"], N.div_ceil(20));

    // Type: pictures only, by extension.
    let images = json_ok(&b, "/api/dupes?type=image").await?;
    assert_eq!(images["total_groups"], count(N, |g| g % 3 == 0));
    for g in images["groups"].as_array().ok_or("groups")? {
        let path = g["files"][0]["path"].as_str().ok_or("path")?;
        assert!(path.ends_with(".jpg"), "{path}");
    }
    // Size: copies of at least 50,000 bytes.
    let big = json_ok(&b, "/api/dupes?min_size=50000&max_size=90000").await?;
    assert_eq!(
        big["total_groups"],
        count(N, |g| (50_000..=90_000).contains(&shape(g).size))
    );
    // Folder: groups with a copy in /Backup/1 (not /Backup/10…: whole folder names only).
    let backup = json_ok(&b, "/api/dupes?folder=/Backup/1").await?;
    assert_eq!(backup["total_groups"], count(N, |g| g % 4 == 1));
    // Source.
    assert_eq!(
        json_ok(&b, "/api/dupes?source=gdrive:").await?["total_groups"],
        N
    );
    assert_eq!(
        json_ok(&b, "/api/dupes?source=onedrive:").await?["total_groups"],
        0
    );
    // Search by name, any copy's name, case ignored, `_` taken literally.
    let found = json_ok(&b, "/api/dupes?q=img_0012").await?;
    assert_eq!(
        found["total_groups"],
        count(N, |g| g % 3 == 0
            && shape(g).name.to_lowercase().contains("img_0012"))
    );
    let third = json_ok(&b, "/api/dupes?q=(2)").await?;
    assert_eq!(third["total_groups"], count(N, |g| shape(g).copies > 2));
    // `%` and `_` are literal, not LIKE patterns.
    assert_eq!(json_ok(&b, "/api/dupes?q=img%25").await?["total_groups"], 0);
    assert_eq!(json_ok(&b, "/api/dupes?q=i_g").await?["total_groups"], 0);
    // Filters combine.
    let both = json_ok(&b, "/api/dupes?type=document&folder=/Photos/2").await?;
    assert_eq!(both["total_groups"], count(N, |g| g % 3 == 1 && g % 5 == 2));

    // Sorts, across a page boundary.
    for (sort, key) in [
        ("reclaimable", "reclaimable"),
        ("size", "size"),
        ("count", "count"),
        ("date", "date"),
    ] {
        let mut seen = Vec::new();
        for p in [1, 2] {
            let v = json_ok(&b, &format!("/api/dupes?sort={sort}&page={p}")).await?;
            for g in v["groups"].as_array().ok_or("groups")? {
                let k = match key {
                    "count" => g["files"].as_array().ok_or("files")?.len() as u64,
                    "date" => g["files"]
                        .as_array()
                        .ok_or("files")?
                        .iter()
                        .filter_map(|f| f["modified"].as_u64())
                        .max()
                        .ok_or("modified")?,
                    k => g[k].as_u64().ok_or("key")?,
                };
                seen.push(k);
            }
        }
        assert_eq!(seen.len(), 40);
        assert!(seen.windows(2).all(|w| w[0] >= w[1]), "{sort}: {seen:?}");
    }
    let top = json_ok(&b, "/api/dupes?sort=size").await?;
    assert_eq!(
        top["groups"][0]["size"],
        (0..N).map(|g| shape(g).size).max().ok_or("max")?
    );

    // Paging a filtered set visits every group once.
    let ids = all_ids(&b, "type=audio&sort=count").await?;
    assert_eq!(ids.len() as u64, count(N, |g| g % 3 == 2));
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len());

    // Bad input is a problem, in the API and as a page.
    for bad in [
        "page=0",
        "sort=name",
        "type=exe",
        "folder=Photos",
        "min_size=big",
    ] {
        let res = b.get(&format!("/api/dupes?{bad}")).await?;
        assert_eq!(res.status(), 422, "{bad}");
        let problem: Value = res.json().await?;
        assert_eq!(problem["code"], "invalid_input", "{bad}");
    }
    // The page shows the filters and pages with them.
    let html = b.text("/dupes?type=image&sort=size&page=2").await?;
    assert!(
        html.contains("<option value=\"image\" selected>"),
        "type kept"
    );
    assert!(
        html.contains("href=\"/dupes?sort=size&#38;type=image&#38;page=3\""),
        "next link"
    );
    Ok(())
}

/// What removing the copies below `folder` frees, every group keeping one copy.
fn expected_frees(n: u64, folder: &str) -> u64 {
    (0..n)
        .map(|g| {
            let s = shape(g);
            let here = (0..s.copies)
                .filter(|c| copy_path(g, *c).0.starts_with(&format!("{folder}/")))
                .count() as u64;
            s.size * here.min(s.copies - 1)
        })
        .sum()
}

#[tokio::test]
async fn the_folder_view_sums_what_each_folder_frees() -> TestResult {
    const N: u64 = 600;
    let app = TestApp::start().await?;
    let b = app.user("folders@example.com", "Folders").await?;
    seed(&app, &my_id(&b).await?, N).await?;

    let top: Vec<Value> = serde_json::from_value(json_ok(&b, "/api/folders").await?)?;
    let by_path: BTreeMap<String, Value> = top
        .into_iter()
        .map(|f| (f["path"].as_str().unwrap_or("").to_owned(), f))
        .collect();
    assert_eq!(
        by_path.keys().collect::<Vec<_>>(),
        ["/Backup", "/Misc", "/Photos"]
    );
    for folder in ["/Photos", "/Backup", "/Misc"] {
        assert_eq!(
            by_path[folder]["reclaimable"],
            expected_frees(N, folder),
            "{folder}"
        );
    }
    assert_eq!(by_path["/Photos"]["copies"], count(N, |g| g % 10 != 9));
    let photos: Vec<Value> =
        serde_json::from_value(json_ok(&b, "/api/folders?parent=/Photos").await?)?;
    assert_eq!(photos.len(), 5);
    for f in &photos {
        let path = f["path"].as_str().ok_or("path")?;
        assert_eq!(f["reclaimable"], expected_frees(N, path), "{path}");
    }
    assert_eq!(b.get("/api/folders?parent=/Nowhere").await?.status(), 404);

    // The page links each folder to "keep here" and "clean up here", keeping earlier picks.
    let html = b.text("/dupes/folders?keep=/Photos").await?;
    assert!(
        html.contains("Keeping everything in <strong>/Photos</strong>"),
        "{html}"
    );
    assert!(
        html.contains("/dupes?sort=reclaimable&#38;folder=%2FBackup&#38;keep=%2FPhotos"),
        "{html}"
    );
    let html = b.text("/dupes?keep=/Photos&folder=/Backup").await?;
    assert!(
        html.contains("<option value=\"/Photos\" selected>"),
        "keep folder picked"
    );
    assert!(
        !html.contains("name=\"reference\" type=\"text\""),
        "no free-text folder"
    );
    Ok(())
}

async fn create_plan(b: &Browser, body: Value) -> TestResult<Value> {
    let token = b.csrf("/dupes").await?;
    let res = b
        .client
        .post(b.url("/api/plans"))
        .header("x-csrf-token", token)
        .json(&body)
        .send()
        .await?;
    assert_eq!(res.status(), 201);
    Ok(res.json().await?)
}

async fn edit(b: &Browser, plan: i64, body: Value) -> TestResult<reqwest::Response> {
    let token = b.csrf("/dupes").await?;
    Ok(b.client
        .post(b.url(&format!("/api/plans/{plan}/items")))
        .header("x-csrf-token", token)
        .json(&body)
        .send()
        .await?)
}

#[tokio::test]
async fn plan_edits_never_remove_every_copy_of_a_group() -> TestResult {
    const N: u64 = 90;
    let app = TestApp::start().await?;
    let b = app.user("edit@example.com", "Edit").await?;
    seed(&app, &my_id(&b).await?, N).await?;

    // Bulk, over the filtered set: keep everything in /Photos, for pictures only.
    let plan = create_plan(
        &b,
        json!({"rules": ["ref:/Photos", "newest"], "filter": {"type": "image"}}),
    )
    .await?;
    assert_eq!(plan["group_count"], count(N, |g| g % 3 == 0));
    for i in plan["items"].as_array().ok_or("items")? {
        let g: u64 = keeper_name(i)
            .trim_start_matches(|c: char| !c.is_ascii_digit())
            .parse()?;
        if g % 10 == 9 {
            continue; // no copy in Photos: the newest stays
        }
        let in_photos = i["path"].as_str().ok_or("path")?.starts_with("/Photos/");
        assert_eq!(
            i["action"],
            if in_photos { "keep" } else { "remove" },
            "{i}"
        );
    }
    let id = plan["id"].as_i64().ok_or("id")?;
    let removes = plan["remove_count"].as_u64().ok_or("count")?;
    let items = plan["items"].as_array().ok_or("items")?;
    let keeper = items
        .iter()
        .find(|i| i["action"] == "keep")
        .ok_or("keeper")?;
    let other = items
        .iter()
        .find(|i| {
            i["action"] == "remove"
                && i["path"].as_str().map(|p| p.contains(&keeper_name(keeper))) == Some(true)
        })
        .ok_or("other copy")?;

    // Removing the only kept copy is refused, and nothing changes.
    let res = edit(
        &b,
        id,
        json!({"changes": [{"id": keeper["id"], "action": "remove"}]}),
    )
    .await?;
    assert_eq!(res.status(), 422);
    let problem: Value = res.json().await?;
    assert!(
        problem["error"]
            .as_str()
            .unwrap_or("")
            .contains("every copy"),
        "{problem}"
    );
    let now = json_ok(&b, &format!("/api/plans/{id}")).await?;
    assert_eq!(now["remove_count"], removes, "nothing changed");

    // Swapping which copy stays, in one edit, is fine; totals follow.
    let res = edit(
        &b,
        id,
        json!({"changes": [
            {"id": keeper["id"], "action": "remove"},
            {"id": other["id"], "action": "keep"}
        ]}),
    )
    .await?;
    assert_eq!(res.status(), 200);
    let now: Value = res.json().await?;
    assert_eq!(now["remove_count"], removes);
    let find = |v: &Value, item: &Value| -> Option<String> {
        v["items"]
            .as_array()?
            .iter()
            .find(|i| i["id"] == item["id"])
            .and_then(|i| i["action"].as_str().map(str::to_owned))
    };
    assert_eq!(find(&now, keeper).as_deref(), Some("remove"));
    assert_eq!(find(&now, other).as_deref(), Some("keep"));

    // Per group: keep only this copy. Then the group's remaining copy alone is refused too.
    let res = edit(&b, id, json!({"keep_only": [keeper["id"]]})).await?;
    assert_eq!(res.status(), 200);
    let res = edit(
        &b,
        id,
        json!({"changes": [{"id": keeper["id"], "action": "remove"}]}),
    )
    .await?;
    assert_eq!(res.status(), 422);

    // The browser form: every copy of a group set to "trash" → the HTML error page, 422.
    let html = b.text(&format!("/plans/{id}")).await?;
    let token = crate::support::csrf_in(&html).ok_or("csrf")?;
    let res = b
        .client
        .post(b.url(&format!("/plans/{id}/items")))
        .form(&[
            ("csrf", token.as_str()),
            (&format!("i{}", keeper["id"]), "remove"),
            (&format!("i{}", other["id"]), "remove"),
        ])
        .send()
        .await?;
    assert_eq!(res.status(), 422);
    assert!(
        res.headers()[http::header::CONTENT_TYPE]
            .to_str()?
            .starts_with("text/html")
    );
    assert!(res.text().await?.contains("every copy"));
    // A valid form edit redirects back to the group.
    let res = b
        .client
        .post(b.url(&format!("/plans/{id}/items")))
        .form(&[
            ("csrf", token.as_str()),
            ("page", "1"),
            ("group", "1"),
            (&format!("i{}", other["id"]), "remove"),
            (&format!("i{}", keeper["id"]), "keep"),
        ])
        .send()
        .await?;
    assert_eq!(res.status(), 303);
    assert_eq!(
        crate::support::location(&res),
        format!("/plans/{id}?page=1#g1")
    );
    Ok(())
}

fn keeper_name(keeper: &Value) -> String {
    // `IMG_00003.jpg` → `IMG_00003`: every copy of the group carries it.
    let path = keeper["path"].as_str().unwrap_or("");
    let name = path.rsplit('/').next().unwrap_or("");
    name.split(['.', ' ']).next().unwrap_or("").to_owned()
}

#[tokio::test]
async fn the_plan_page_stays_small_at_ten_thousand_groups() -> TestResult {
    let app = TestApp::start().await?;
    let b = app.user("big@example.com", "Big").await?;
    seed(&app, &my_id(&b).await?, 10_000).await?;
    let plan = create_plan(&b, json!({"rules": ["newest"]})).await?;
    assert_eq!(plan["group_count"], 10_000);
    let id = plan["id"].as_i64().ok_or("id")?;
    let last = plan["pages"].as_u64().ok_or("pages")?;
    for page in [1, last / 2, last] {
        let html = b.text(&format!("/plans/{id}?page={page}")).await?;
        assert!(html.len() < 300_000, "page {page}: {} bytes", html.len());
        // Totals and Apply come before the first group; kept and trashed copies are labelled.
        let apply = html.find("/apply").ok_or("apply button")?;
        let first = html.find("class=\"card group\"").ok_or("a group")?;
        assert!(apply < first, "Apply near the top");
        assert!(html.contains("✓ Stays") && html.contains("✗ To trash"));
        assert!(html.contains("class=\"copy keep\"") && html.contains("class=\"copy remove\""));
    }
    let json = json_ok(&b, &format!("/api/plans/{id}?page={last}")).await?;
    assert_eq!(json["page"], last);
    assert!(!json["items"].as_array().ok_or("items")?.is_empty());
    Ok(())
}

/// Each page's width, the viewport's, and whether the navigation shows, in the browser.
const MEASURE: &str = "const nav = document.querySelector('.sidebar'); \
    return [document.documentElement.scrollWidth, window.innerWidth, \
            nav ? nav.getBoundingClientRect().height : 0, \
            nav ? nav.querySelectorAll('a').length : 0];";

#[tokio::test]
async fn a_390_px_phone_gets_navigation_and_no_sideways_scrolling() -> TestResult {
    let Some(chromium) = crate::browser::Chromium::start(true).await? else {
        return Ok(());
    };
    let result = phone(&chromium.driver).await;
    chromium.stop().await?;
    result
}

async fn phone(d: &crate::browser::Driver) -> TestResult {
    let app = TestApp::start().await?;
    d.go(&app.url("/signup")).await?;
    d.fill("#display_name", "Phone").await?;
    d.fill("#email", "phone@example.com").await?;
    d.fill("#password", crate::support::PASSWORD).await?;
    d.click("form[action='/signup'] button[type=submit]")
        .await?;
    d.path_becomes("/dashboard").await?;
    let uid = app
        .state
        .pool
        .read(declutter_web::db::users::list)
        .await??
        .first()
        .ok_or("no user")?
        .id
        .clone();
    seed(&app, &uid, 300).await?;
    // A plan, through the page's own form, with long paths in it.
    d.go(&app.url("/dupes?folder=/Backup/1")).await?;
    d.click("form[action='/plans'] button[type=submit]").await?;
    let plan = d.path_becomes_prefix("/plans/").await?;
    let pages = [
        "/dashboard".to_owned(),
        "/dupes".to_owned(),
        "/dupes?type=image&sort=size".to_owned(),
        "/dupes/folders".to_owned(),
        "/dupes/folders?parent=/Photos".to_owned(),
        plan,
        "/sources".to_owned(),
        "/trash".to_owned(),
        "/report".to_owned(),
        "/audit".to_owned(),
        "/account".to_owned(),
        "/admin/users".to_owned(),
        "/admin/sources".to_owned(),
    ];
    for path in pages {
        d.go(&app.url(&path)).await?;
        let v = d
            .cmd(
                reqwest::Method::POST,
                "/execute/sync",
                Some(json!({"script": MEASURE, "args": []})),
            )
            .await?;
        let n = |i: usize| v[i].as_f64().unwrap_or(-1.0);
        assert_eq!(n(1), 390.0, "{path}: the phone's viewport is 390 px: {v}");
        assert!(n(0) <= n(1), "{path} scrolls sideways: {v}");
        assert!(n(2) > 0.0 && n(3) >= 7.0, "{path}: navigation shows: {v}");
        if path.starts_with("/dupes/folders") {
            crate::folder_counts::button_keeps_off_the_card(d).await?;
        }
        d.shot(&format!("phone{}", path.replace(['/', '?', '=', '&'], "_")))
            .await?;
    }
    Ok(())
}
