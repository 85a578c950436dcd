//! Connected cloud drives from the web, over real HTTP against the fake Graph and Drive servers
//! (declutter-fakes) fronted by the fake OAuth server: connect → scan → duplicate groups,
//! token refresh resealed, apply via incremental consent that resumes by itself, restore,
//! the Disconnect form, other accounts kept out, and account deletion / export of engine data.

use declutter_fakes::{FakeDrive, FakeGraph, Gated as _};
use declutter_web::connect::GOOGLE_WRITE;
use serde_json::Value;

use crate::cleanup::{make_folder, my_id, scanned_and_applied, tail_id, wait_job, wait_scan};
use crate::connections::{connect, connections};
use crate::support::{Browser, Options, PASSWORD, TestApp, TestResult, location, oauth_client};
use declutter_fakes::FakeOAuth;

/// An app whose OneDrive and Google Drive are the fakes, each behind its own OAuth server.
pub struct Clouds {
    pub app: TestApp,
    pub graph: FakeGraph,
    pub drive: FakeDrive,
    pub ms: FakeOAuth,
    pub google: FakeOAuth,
}

pub async fn clouds() -> TestResult<Clouds> {
    let graph = FakeGraph::start().await?;
    let drive = FakeDrive::start().await?;
    let ms = FakeOAuth::backed(
        graph.token_url(),
        graph.refresh_token(),
        graph.access_token(),
    )
    .await?;
    let google = FakeOAuth::backed(
        drive.token_url(),
        drive.refresh_token(),
        drive.access_token(),
    )
    .await?;
    let app = TestApp::start_with(Options {
        onedrive: Some(oauth_client(&ms)),
        gdrive: Some(oauth_client(&google)),
        graph_url: Some(graph.base_url()),
        drive_url: Some(drive.base_url()),
        ..Options::default()
    })
    .await?;
    Ok(Clouds {
        app,
        graph,
        drive,
        ms,
        google,
    })
}

/// The id of the caller's connection to `provider`.
pub async fn connection_id(b: &Browser, provider: &str) -> TestResult<i64> {
    connections(b)
        .await?
        .iter()
        .find(|c| c["provider"] == provider)
        .and_then(|c| c["id"].as_i64())
        .ok_or_else(|| format!("no {provider} connection").into())
}

/// Scans a connection through the sources page's form; returns the finished job.
pub async fn scan_form(b: &Browser, id: i64) -> TestResult<Value> {
    let res = b
        .submit("/sources", &format!("/drives/{id}/scan"), &[])
        .await?;
    assert_eq!(res.status(), 303, "scan starts");
    let job = tail_id(&location(&res))?;
    wait_scan(b, job).await
}

async fn dupes(b: &Browser) -> TestResult<Value> {
    Ok(b.get("/api/dupes").await?.json().await?)
}

/// Every path in the duplicate groups.
fn dupe_paths(d: &Value) -> Vec<String> {
    d["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|g| g["files"].as_array().into_iter().flatten())
        .filter_map(|f| f["path"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn connected_drives_are_scanned_from_the_web() -> TestResult {
    let c = clouds().await?;
    c.graph.add_file(None, "holiday.jpg", 300, "QXH-holiday");
    c.graph
        .add_file(None, "holiday (1).jpg", 300, "QXH-holiday");
    c.graph.add_file(None, "other.txt", 5, "QXH-other");
    c.drive.add_file(None, "report.pdf", 700, "md5-report");
    c.drive.add_file(None, "report copy.pdf", 700, "md5-report");
    let b = c.app.user("drives@example.com", "D").await?;
    connect(&c.app, &b, "onedrive", &[]).await?;
    connect(&c.app, &b, "gdrive", &[]).await?;
    let onedrive = connection_id(&b, "onedrive").await?;
    let gdrive = connection_id(&b, "gdrive").await?;

    // The sources page offers both drives; OneDrive is scanned through its form.
    let page = b.text("/sources").await?;
    assert!(page.contains(&format!("action=\"/drives/{onedrive}/scan\"")));
    assert!(page.contains(&format!("action=\"/drives/{gdrive}/scan\"")));
    let job = scan_form(&b, onedrive).await?;
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(job["connection_id"], onedrive);
    assert!(job["indexed"].as_i64().unwrap_or(0) >= 3, "{job}");
    let paths = dupe_paths(&dupes(&b).await?);
    assert!(
        paths.iter().any(|p| p.ends_with("holiday (1).jpg")),
        "{paths:?}"
    );

    // Google Drive through the JSON API.
    let res = b
        .client
        .post(b.url(&format!("/api/connections/{gdrive}/scans")))
        .header("x-csrf-token", b.csrf("/sources").await?)
        .send()
        .await?;
    assert_eq!(res.status(), 202);
    let started: Value = res.json().await?;
    let job = wait_scan(&b, started["job"].as_i64().ok_or("job")?).await?;
    assert_eq!(job["state"], "done", "{job}");
    let d = dupes(&b).await?;
    assert_eq!(d["total_groups"], 2, "{d}");
    let paths = dupe_paths(&d);
    assert!(
        paths.iter().any(|p| p.contains("report copy.pdf")),
        "{paths:?}"
    );
    assert!(paths.iter().all(|p| !p.contains("other.txt")));
    Ok(())
}

#[tokio::test]
async fn an_expired_token_is_refreshed_once_and_resealed() -> TestResult {
    let c = clouds().await?;
    // One item per delta page: the scan makes hundreds of requests, so the token can expire
    // in the middle of it.
    const FILES: usize = 300;
    c.graph.set_page_size(1);
    c.graph.add_file(None, "a.jpg", 10, "QXH-a");
    c.graph.add_file(None, "b.jpg", 10, "QXH-a");
    for n in 2..FILES {
        c.graph.add_file(
            None,
            &format!("f{n}.txt"),
            1 + n as u64,
            &format!("QXH-{n}"),
        );
    }
    let b = c.app.user("refresh@example.com", "R").await?;
    connect(&c.app, &b, "onedrive", &[]).await?;
    let uid = my_id(&b).await?;
    let before = declutter_web::cloud::load_tokens(&c.app.vault(), &uid, "onedrive", "default")
        .await?
        .ok_or("stored")?
        .1;
    c.graph.reset_calls();
    // A few pages in, every access token stops working: the fifth call is refused.
    c.graph.expire_tokens_at_call(5);
    let res = b
        .submit(
            "/sources",
            &format!("/drives/{}/scan", connection_id(&b, "onedrive").await?),
            &[],
        )
        .await?;
    assert_eq!(res.status(), 303);
    let job = wait_scan(&b, tail_id(&location(&res))?).await?;
    assert!(
        c.graph.calls() > 5,
        "the scan went on after the expiry: {} calls",
        c.graph.calls()
    );
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(job["indexed"].as_u64(), Some(FILES as u64 + 1), "{job}");
    assert_eq!(c.graph.refreshes(), 1, "refreshed once");
    assert_eq!(c.ms.refreshes(), 1);
    let after = declutter_web::cloud::load_tokens(&c.app.vault(), &uid, "onedrive", "default")
        .await?
        .ok_or("stored")?
        .1;
    assert_ne!(after.access_token, before.access_token, "resealed");
    assert_ne!(
        after.refresh_token, before.refresh_token,
        "the rotated refresh token is kept"
    );
    assert!(after.expires_at.is_some());
    assert_eq!(connections(&b).await?.len(), 1, "the same connection");
    // A second scan uses the stored, refreshed token: no further refresh.
    let job = scan_form(&b, connection_id(&b, "onedrive").await?).await?;
    assert_eq!(job["state"], "done");
    assert_eq!(c.graph.refreshes(), 1);

    // No token in plaintext on disk or in the logs.
    let files = c.app.stored_bytes()?;
    let logs = crate::support::logs();
    let issued = c.ms.issued();
    assert!(issued.len() >= 4);
    for token in &issued {
        assert!(!logs.contains(token.as_str()), "token in the logs");
        for bytes in &files {
            assert!(
                !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
                "plaintext token on disk"
            );
        }
    }
    Ok(())
}

#[tokio::test]
async fn applying_on_a_drive_asks_consent_then_resumes_and_restores() -> TestResult {
    let c = clouds().await?;
    let keep = c.drive.add_file(None, "song.mp3", 40, "md5-song");
    let copy = c.drive.add_file(None, "song (1).mp3", 40, "md5-song");
    let b = c.app.user("apply@example.com", "A").await?;
    connect(&c.app, &b, "gdrive", &[]).await?;
    let job = scan_form(&b, connection_id(&b, "gdrive").await?).await?;
    assert_eq!(job["state"], "done", "{job}");
    let res = b
        .submit(
            "/dupes",
            "/plans",
            &[("prefer", "original-name"), ("then", "none")],
        )
        .await?;
    assert_eq!(res.status(), 303);
    let plan = tail_id(&location(&res))?;

    // The plan page lets its forms continue at the consent page, and nowhere else.
    let res = b.get(&format!("/plans/{plan}")).await?;
    let csp = res.headers()["content-security-policy"]
        .to_str()?
        .to_owned();
    let form_action = csp
        .split(';')
        .find(|d| d.trim().starts_with("form-action"))
        .ok_or("form-action")?;
    assert_eq!(
        form_action.split_whitespace().collect::<Vec<_>>().len(),
        4,
        "self plus the two authorize origins: {csp}"
    );
    assert!(form_action.contains(&c.google.base) && form_action.contains(&c.ms.base));
    // Apply on a read-only connection goes to the provider's consent for write access...
    let res = b
        .submit(
            &format!("/plans/{plan}"),
            &format!("/plans/{plan}/apply"),
            &[],
        )
        .await?;
    assert_eq!(res.status(), 303);
    let at_provider = location(&res);
    assert!(at_provider.starts_with(&c.google.base), "{at_provider}");
    let res = c.app.plain()?.get(&at_provider).send().await?;
    assert_eq!(res.status(), 303, "the fake consents");
    assert!(c.google.last_authorize()["scope"].contains(GOOGLE_WRITE));
    // ...and the callback finishes the apply without another click.
    let res = b.client.get(location(&res)).send().await?;
    assert_eq!(res.status(), 303);
    let job = location(&res);
    assert!(
        job.starts_with("/jobs/"),
        "applied after the upgrade: {job}"
    );
    let done = wait_job(&b, tail_id(&job)?).await?;
    assert_eq!(done["state"], "done", "{done}");
    let applied: Value = b.get(&format!("/api/plans/{plan}")).await?.json().await?;
    assert_eq!(applied["status"], "applied", "{applied}");
    assert!(
        c.drive.file(&copy).ok_or("copy")?.trashed,
        "in Drive's trash"
    );
    assert!(!c.drive.file(&keep).ok_or("keep")?.trashed);

    // Restore brings it back.
    let trash: Vec<Value> = b.get("/api/trash").await?.json().await?;
    assert_eq!(trash.len(), 1);
    let id = trash[0]["id"].as_i64().ok_or("trash id")?;
    let res = b
        .submit("/trash", &format!("/trash/{id}/restore"), &[])
        .await?;
    assert_eq!(res.status(), 303);
    assert!(!c.drive.file(&copy).ok_or("copy")?.trashed, "restored");
    Ok(())
}

#[tokio::test]
async fn the_disconnect_form_needs_the_csrf_token() -> TestResult {
    let c = clouds().await?;
    c.drive.add_file(None, "n.txt", 3, "md5-n");
    c.drive.add_file(None, "n (1).txt", 3, "md5-n");
    let b = c.app.user("disc@example.com", "D").await?;
    connect(&c.app, &b, "gdrive", &[]).await?;
    let id = connection_id(&b, "gdrive").await?;
    assert_eq!(scan_form(&b, id).await?["state"], "done");
    assert_eq!(dupes(&b).await?["total_groups"], 1);
    let page = b.text("/account").await?;
    assert!(page.contains(&format!("action=\"/drives/{id}/disconnect\"")));
    let res = b
        .client
        .post(b.url(&format!("/drives/{id}/disconnect")))
        .form(&[("csrf", "forged")])
        .send()
        .await?;
    assert_eq!(res.status(), 403, "refused without the token");
    assert_eq!(connections(&b).await?.len(), 1);
    let res = b
        .submit("/account", &format!("/drives/{id}/disconnect"), &[])
        .await?;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/account");
    assert!(connections(&b).await?.is_empty());
    assert_eq!(
        dupes(&b).await?["total_groups"],
        0,
        "the drive's files are forgotten"
    );
    // Reconnecting starts over with a full listing (the old cursor is gone).
    connect(&c.app, &b, "gdrive", &[]).await?;
    let id = connection_id(&b, "gdrive").await?;
    assert_eq!(scan_form(&b, id).await?["state"], "done");
    assert_eq!(dupes(&b).await?["total_groups"], 1);
    assert_eq!(c.app.revoked.0.lock().map_err(|_| "poisoned")?.len(), 1);
    let audit: Vec<Value> = b.get("/api/audit").await?.json().await?;
    assert!(audit.iter().any(|e| e["action"] == "connection.deleted"));
    Ok(())
}

#[tokio::test]
async fn another_account_cannot_use_my_drive() -> TestResult {
    let c = clouds().await?;
    c.drive.add_file(None, "x.bin", 9, "md5-x");
    c.drive.add_file(None, "x (1).bin", 9, "md5-x");
    let me = c.app.user("owner@example.com", "O").await?;
    let other = c.app.user("other@example.com", "X").await?;
    connect(&c.app, &me, "gdrive", &[]).await?;
    let id = connection_id(&me, "gdrive").await?;
    let res = other
        .client
        .post(other.url(&format!("/api/connections/{id}/scans")))
        .header("x-csrf-token", other.csrf("/sources").await?)
        .send()
        .await?;
    assert_eq!(res.status(), 404, "someone else's connection is not found");
    let res = other
        .submit("/sources", &format!("/drives/{id}/scan"), &[])
        .await?;
    assert_eq!(res.status(), 404);
    let res = other
        .submit("/account", &format!("/drives/{id}/disconnect"), &[])
        .await?;
    assert_eq!(res.status(), 404);
    assert!(!other.text("/sources").await?.contains("/drives/"));
    let job = scan_form(&me, id).await?;
    assert_eq!(job["state"], "done");
    let job_id = job["id"].as_i64().ok_or("job id")?;
    assert_eq!(
        other.get(&format!("/api/scans/{job_id}")).await?.status(),
        404
    );
    assert_eq!(dupes(&other).await?["total_groups"], 0);
    assert_eq!(dupes(&me).await?["total_groups"], 1);
    assert_eq!(connections(&me).await?.len(), 1, "still connected");
    Ok(())
}

#[tokio::test]
async fn account_deletion_empties_its_local_trash_and_export_has_engine_rows() -> TestResult {
    let app = TestApp::start().await?;
    let admin = app.user("admin@example.com", "Admin").await?;
    let owner = app.user("gone@example.com", "Gone").await?;
    let mine = app.roots.join("mine");
    let theirs = app.roots.join("theirs");
    make_folder(&mine)?;
    make_folder(&theirs)?;
    let owned = scanned_and_applied(&admin, &owner, &mine).await?;
    let kept = scanned_and_applied(&admin, &admin, &theirs).await?;
    assert!(!owned.trash.is_empty() && !kept.trash.is_empty());
    let trash_dir = |root: &std::path::Path, id: i64| {
        root.join(declutter_core::local::TRASH_DIR)
            .join(id.to_string())
    };
    for id in &owned.trash {
        assert!(trash_dir(&mine, *id).exists(), "trashed into the folder");
    }

    // A fresh duplicate pair, rescanned, so the owner has a live group to export.
    std::fs::write(mine.join("b.txt"), b"twice")?;
    std::fs::write(mine.join("b (1).txt"), b"twice")?;
    let res = owner
        .submit("/sources", &format!("/sources/{}/scan", owned.source), &[])
        .await?;
    assert_eq!(res.status(), 303);
    assert_eq!(
        wait_scan(&owner, tail_id(&location(&res))?).await?["state"],
        "done"
    );

    // The export carries the engine's rows for this owner only.
    let uid = my_id(&owner).await?;
    let export: Value = owner.get("/account/export").await?.json().await?;
    let engine = &export["engine"];
    for table in ["scans", "files", "duplicate_groups", "plans", "trash"] {
        let rows = engine[table].as_array().ok_or(table)?;
        assert!(!rows.is_empty(), "{table} exported");
        assert!(
            rows.iter().all(|r| r["user_id"] == uid.as_str()),
            "{table}: only the owner's rows"
        );
    }
    assert!(!engine["plan_items"].as_array().ok_or("items")?.is_empty());
    assert!(
        !engine["duplicate_group_files"]
            .as_array()
            .ok_or("gf")?
            .is_empty()
    );
    let text = export.to_string();
    assert!(!text.contains("/theirs/"), "no other account's files");

    // Deleting the account removes its trashed files, and nobody else's.
    let res = owner
        .submit("/account", "/account/delete", &[("password", PASSWORD)])
        .await?;
    assert_eq!(res.status(), 303);
    for id in &owned.trash {
        assert!(!trash_dir(&mine, *id).exists(), "the owner's trash is gone");
    }
    for id in &kept.trash {
        assert!(
            trash_dir(&theirs, *id).exists(),
            "another account's trash stays"
        );
    }
    assert!(mine.join("a.jpg").exists(), "kept originals are untouched");
    Ok(())
}

#[tokio::test]
async fn likely_matches_are_verified_by_a_queued_job() -> TestResult {
    let c = clouds().await?;
    // The same name and size on both drives, no checksum in common: likely matches. The
    // notes are the same bytes; the photos are not.
    let notes = b"the same notes on both drives".to_vec();
    let size = notes.len() as u64;
    let g = c.drive.add_file(None, "notes.txt", size, "md5-notes");
    c.drive.set_content(&g, &notes);
    let o = c.graph.add_file(None, "notes.txt", size, "QXH-notes");
    c.graph.set_content(&o, &notes);
    let g = c.drive.add_file(None, "photo.jpg", 8, "md5-photo");
    c.drive.set_content(&g, b"AAAAAAAA");
    let o = c.graph.add_file(None, "photo.jpg", 8, "QXH-photo");
    c.graph.set_content(&o, b"BBBBBBBB");
    let b = c.app.user("verify@example.com", "V").await?;
    connect(&c.app, &b, "onedrive", &[("access", "content")]).await?;
    connect(&c.app, &b, "gdrive", &[("access", "content")]).await?;
    for provider in ["onedrive", "gdrive"] {
        let job = scan_form(&b, connection_id(&b, provider).await?).await?;
        assert_eq!(job["state"], "done", "{job}");
    }
    let d = dupes(&b).await?;
    assert_eq!(
        (d["total_groups"].as_u64(), d["probable_groups"].as_u64()),
        (Some(2), Some(2)),
        "{d}"
    );
    assert!(b.text("/dupes").await?.contains("action=\"/dupes/verify\""));

    // The form queues a job and shows it; a worker downloads the four files.
    let res = b.submit("/dupes", "/dupes/verify", &[]).await?;
    assert_eq!(res.status(), 303);
    let page = location(&res);
    let done = wait_job(&b, tail_id(&page)?).await?;
    assert_eq!(
        (done["kind"].as_str(), done["state"].as_str()),
        (Some("verify"), Some("done")),
        "{done}"
    );
    let s = &done["summary"];
    assert_eq!(
        (
            s["checked"].as_u64(),
            s["confirmed"].as_u64(),
            s["rejected"].as_u64()
        ),
        (Some(4), Some(2), Some(2)),
        "{s}"
    );
    assert!(b.text(&page).await?.contains("2 are exact copies"));

    // The notes form an exact group a plan may act on; the photos are no group at all.
    let d = dupes(&b).await?;
    assert_eq!(
        (d["total_groups"].as_u64(), d["probable_groups"].as_u64()),
        (Some(1), Some(0)),
        "{d}"
    );
    assert_eq!(d["groups"][0]["confidence"], "exact", "{d}");
    let paths = dupe_paths(&d);
    assert!(
        paths.iter().all(|p| p.contains("notes.txt")) && paths.len() == 2,
        "{paths:?}"
    );
    assert!(!b.text("/dupes").await?.contains("action=\"/dupes/verify\""));
    Ok(())
}
