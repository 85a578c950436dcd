//! OneDrive against the fake Graph server over HTTP.

use declutter_fakes::Gated;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use declutter_core::cloud::{OAuthRefresh, StaticToken};
use declutter_core::engine::apply::{ApplyOptions, apply};
use declutter_core::engine::plan;
use declutter_core::engine::rules::KeepRules;
use declutter_core::engine::scan::scan;
use declutter_core::engine::trash;
use declutter_core::engine::{AnyProvider, Providers as _};
use declutter_core::ids::{Source, UserId};
use declutter_core::onedrive::OneDriveProvider;
use declutter_core::progress::NoProgress;
use declutter_core::quickxor::quickxor_base64;
use declutter_core::store::groups;
use declutter_fakes::{FakeGraph, Throttle, ThrottleKind};

use crate::support::{Table, TestResult, quick_policy};

fn provider(fake: &FakeGraph) -> Result<OneDriveProvider, Box<dyn std::error::Error>> {
    let tokens = OAuthRefresh::new(
        &fake.token_url(),
        "client",
        fake.refresh_token(),
        fake.access_token(),
    );
    Ok(OneDriveProvider::new(
        &fake.base_url(),
        Arc::new(tokens),
        quick_policy(),
    )?)
}

fn seed(fake: &FakeGraph) -> Vec<String> {
    let docs = fake.add_folder(None, "Documents");
    let pics = fake.add_folder(None, "Pictures");
    let mut ids = Vec::new();
    for i in 0..10u8 {
        let content = vec![i; 100 + usize::from(i)];
        let h = quickxor_base64(&content);
        ids.push(fake.add_file(Some(&docs), &format!("f{i}.bin"), content.len() as u64, &h));
        if i < 3 {
            ids.push(fake.add_file(
                Some(&pics),
                &format!("f{i} (1).bin"),
                content.len() as u64,
                &h,
            ));
        }
    }
    ids
}

#[tokio::test]
async fn delta_paging_then_incremental_rescan() -> TestResult {
    let fake = FakeGraph::start().await?;
    fake.set_page_size(4);
    seed(&fake);
    let dir = tempfile::tempdir()?;
    let mut conn = crate::support::db(dir.path())?;
    let user = UserId::local();
    let p = provider(&fake)?;
    let first = scan(&mut conn, &user, &Source::OneDrive, &p).await?;
    // The app-folder lookup creates Apps/Declutter; the delta then holds root, Documents,
    // Pictures, Apps, Declutter and 13 files = 18 items at 4 per page.
    assert_eq!(first.api_calls, 1 + 18usize.div_ceil(4) as u64);
    assert_eq!(
        first.indexed, 16,
        "2 folders + 13 files + Apps (root and our trash are not indexed)"
    );
    let gs = groups::list(&conn, &user)?;
    assert_eq!(gs.len(), 3);
    assert!(
        gs.iter()
            .all(|g| g.files.iter().any(|f| f.path.starts_with("/Pictures/")))
    );

    let new = fake.add_file(None, "late.bin", 5, &quickxor_base64(b"hello"));
    let second = scan(&mut conn, &user, &Source::OneDrive, &p).await?;
    assert!(second.incremental);
    assert_eq!(second.changes, 1);
    assert_eq!(second.indexed, 17);
    fake.delete(&new);
    let third = scan(&mut conn, &user, &Source::OneDrive, &p).await?;
    assert_eq!(third.indexed, 16);
    Ok(())
}

/// On tokio's paused clock: the retry waits are virtual, so `Retry-After: 1` is measured
/// exactly and costs no real second.
#[tokio::test(start_paused = true)]
async fn throttling_storms_are_ridden_out_honouring_retry_after() -> TestResult {
    let fake = FakeGraph::start().await?;
    seed(&fake);
    let p = provider(&fake)?;
    fake.throttle(Throttle {
        count: 5,
        kind: ThrottleKind::TooManyRequests,
        retry_after: Some(0),
    });
    let dir = tempfile::tempdir()?;
    let mut conn = crate::support::db(dir.path())?;
    let user = UserId::local();
    let s = scan(&mut conn, &user, &Source::OneDrive, &p).await?;
    assert_eq!(s.indexed, 16);
    assert_eq!(fake.throttled(), 5);

    fake.throttle(Throttle {
        count: 1,
        kind: ThrottleKind::Unavailable,
        retry_after: Some(1),
    });
    let started = Instant::now();
    scan(&mut conn, &user, &Source::OneDrive, &p).await?;
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After: 1 was honoured"
    );

    fake.throttle(Throttle {
        count: 100,
        kind: ThrottleKind::TooManyRequests,
        retry_after: Some(0),
    });
    assert!(
        scan(&mut conn, &user, &Source::OneDrive, &p).await.is_err(),
        "gives up after max retries"
    );
    Ok(())
}

#[tokio::test]
async fn an_expired_token_is_refreshed_once() -> TestResult {
    let fake = FakeGraph::start().await?;
    seed(&fake);
    let p = provider(&fake)?;
    fake.expire_tokens();
    let dir = tempfile::tempdir()?;
    let mut conn = crate::support::db(dir.path())?;
    let user = UserId::local();
    scan(&mut conn, &user, &Source::OneDrive, &p).await?;
    assert_eq!(fake.refreshes(), 1);

    // A token that cannot be refreshed fails cleanly.
    let fixed = OneDriveProvider::new(
        &fake.base_url(),
        Arc::new(StaticToken::new("nope")),
        quick_policy(),
    )?;
    let err = scan(&mut conn, &user, &Source::OneDrive, &fixed)
        .await
        .err()
        .ok_or("expected failure")?;
    assert!(err.to_string().contains("refreshed"), "{err}");
    Ok(())
}

#[tokio::test]
async fn apply_moves_to_the_app_folder_and_restore_puts_it_back() -> TestResult {
    let fake = FakeGraph::start().await?;
    seed(&fake);
    let dir = tempfile::tempdir()?;
    let mut conn = crate::support::db(dir.path())?;
    let user = UserId::local();
    let providers =
        Table::default().with(Source::OneDrive, AnyProvider::OneDrive(provider(&fake)?));
    let p = providers.provider(&Source::OneDrive)?;
    scan(&mut conn, &user, &Source::OneDrive, p.as_ref()).await?;
    let summary = plan::build(&mut conn, &user, &KeepRules::parse(&["original-name"])?)?;
    assert_eq!(summary.remove_count, 3);
    let report = apply(
        &mut conn,
        &user,
        summary.plan_id,
        &providers,
        &ApplyOptions::default(),
        &NoProgress,
    )
    .await?;
    assert_eq!(report.trashed, 3);
    let approot = fake.approot_id().ok_or("no app folder")?;
    let entries = trash::list(&conn, &user)?;
    for e in &entries {
        let item = fake.item(&e.item_id).ok_or("item")?;
        assert_eq!(item.parent.as_deref(), Some(approot.as_str()));
        assert!(e.name.contains("(1)"));
    }
    // The rescan does not see trashed items as files.
    let s = scan(&mut conn, &user, &Source::OneDrive, p.as_ref()).await?;
    assert_eq!(s.indexed, 16 - 3, "trashed files are not indexed");
    assert!(groups::list(&conn, &user)?.is_empty());

    let e = &entries[0];
    trash::restore(&mut conn, &user, e.id, &providers).await?;
    let item = fake.item(&e.item_id).ok_or("item")?;
    assert_eq!(item.name, e.name);
    assert_eq!(item.parent, e.parent_id);
    let purged = trash::purge(&mut conn, &user, &trash::PurgeSelection::All, &providers).await?;
    assert_eq!(purged.len(), 2);
    assert!(fake.item(&entries[1].item_id).is_some_and(|i| i.deleted));
    Ok(())
}

#[tokio::test]
async fn a_large_listing_refreshes_the_planner_statistics_on_postgres() -> TestResult {
    if !crate::support::on_postgres() {
        return Ok(());
    }
    let fake = FakeGraph::start().await?;
    fake.set_page_size(1_000);
    let n = usize::try_from(declutter_core::store::files::ANALYZE_AFTER_ROWS)?;
    for i in 0..n {
        fake.add_file(None, &format!("f{i}.bin"), 100, &format!("h{i}"));
    }
    let dir = tempfile::tempdir()?;
    let mut conn = crate::support::db(dir.path())?;
    let p = provider(&fake)?;
    scan(&mut conn, &UserId::local(), &Source::OneDrive, &p).await?;
    assert_eq!(
        crate::support::files_analyzed(&conn)?,
        1,
        "a full listing of every item refreshes them"
    );
    // A delta that changes nothing writes nothing and leaves them alone.
    scan(&mut conn, &UserId::local(), &Source::OneDrive, &p).await?;
    assert_eq!(crate::support::files_analyzed(&conn)?, 1);
    Ok(())
}
