//! OneDrive against the fake Graph held to the documentation: read-only grants, 410 resyncs
//! with a `Location`, remote items and packages, and the app folder emptied when our
//! retention ends.

use std::sync::Arc;

use declutter_core::cloud::StaticToken;
use declutter_core::engine::apply::{ApplyOptions, apply};
use declutter_core::engine::rules::KeepRules;
use declutter_core::engine::scan::scan;
use declutter_core::engine::{AnyProvider, Providers as _, plan};
use declutter_core::ids::{Source, UserId};
use declutter_core::onedrive::OneDriveProvider;
use declutter_core::progress::NoProgress;
use declutter_core::store::groups;
use declutter_fakes::{FakeGraph, Gated};

use crate::support::{Table, TestResult, quick_policy};

fn with_token(
    fake: &FakeGraph,
    token: &str,
) -> Result<OneDriveProvider, Box<dyn std::error::Error>> {
    Ok(OneDriveProvider::new(
        &fake.base_url(),
        Arc::new(StaticToken::new(token)),
        quick_policy(),
    )?)
}

#[tokio::test]
async fn a_first_scan_on_a_read_only_grant_lists_without_an_app_folder() -> TestResult {
    let fake = FakeGraph::start().await?;
    fake.add_file(None, "a.txt", 5, "qxh");
    fake.add_file(None, "a (1).txt", 5, "qxh");
    let read = fake.grant(&["Files.Read"]);
    let dir = tempfile::tempdir()?;
    let mut conn = crate::support::db(dir.path())?;
    let user = UserId::local();
    let s = scan(
        &mut conn,
        &user,
        &Source::OneDrive,
        &with_token(&fake, &read.access)?,
    )
    .await?;
    assert_eq!(s.indexed, 2);
    assert_eq!(groups::list(&conn, &user)?.len(), 1);
    assert!(fake.approot_id().is_none(), "a read grant creates nothing");
    Ok(())
}

#[tokio::test]
async fn an_expired_delta_link_restarts_from_the_location_graph_gives() -> TestResult {
    let fake = FakeGraph::start().await?;
    fake.add_file(None, "a.txt", 5, "qxh");
    let p = with_token(&fake, fake.access_token())?;
    let dir = tempfile::tempdir()?;
    let mut conn = crate::support::db(dir.path())?;
    let user = UserId::local();
    scan(&mut conn, &user, &Source::OneDrive, &p).await?;
    fake.invalidate_delta_links();
    fake.add_file(None, "b.txt", 6, "qxh-b");
    let s = scan(&mut conn, &user, &Source::OneDrive, &p).await?;
    assert!(!s.incremental, "a resync is a full listing");
    assert_eq!(fake.resyncs_followed(), 1, "the Location was followed");
    assert_eq!(s.indexed, 3, "a, b and the Apps folder");
    Ok(())
}

#[tokio::test]
async fn remote_items_and_packages_are_listed_but_never_compared() -> TestResult {
    let fake = FakeGraph::start().await?;
    fake.add_file(None, "mine.docx", 5, "qxh");
    fake.add_remote_file(None, "theirs.docx", 5, "qxh");
    fake.add_package(None, "Notebook", 5);
    let p = with_token(&fake, fake.access_token())?;
    let dir = tempfile::tempdir()?;
    let mut conn = crate::support::db(dir.path())?;
    let user = UserId::local();
    scan(&mut conn, &user, &Source::OneDrive, &p).await?;
    assert!(
        groups::list(&conn, &user)?.is_empty(),
        "someone else's file is not a duplicate of mine"
    );
    Ok(())
}

#[tokio::test]
async fn what_we_parked_in_the_app_folder_is_purged_when_our_retention_ends() -> TestResult {
    let fake = FakeGraph::start().await?;
    fake.add_file(None, "a.txt", 5, "qxh");
    let copy = fake.add_file(None, "a (1).txt", 5, "qxh");
    let dir = tempfile::tempdir()?;
    let mut conn = crate::support::db(dir.path())?;
    let user = UserId::local();
    let providers = Table::default().with(
        Source::OneDrive,
        AnyProvider::OneDrive(with_token(&fake, fake.access_token())?),
    );
    let p = providers.provider(&Source::OneDrive)?;
    scan(&mut conn, &user, &Source::OneDrive, p.as_ref()).await?;
    let summary = plan::build(&mut conn, &user, &KeepRules::parse(&["original-name"])?)?;
    let options = ApplyOptions {
        retention_days: 0,
        ..ApplyOptions::default()
    };
    apply(
        &mut conn,
        &user,
        summary.plan_id,
        &providers,
        &options,
        &NoProgress,
    )
    .await?;
    assert!(fake.item(&copy).is_some_and(|i| !i.deleted), "parked");
    scan(&mut conn, &user, &Source::OneDrive, p.as_ref()).await?;
    assert!(
        fake.item(&copy).is_some_and(|i| i.deleted),
        "the next scan purged the expired entry"
    );
    Ok(())
}

#[tokio::test]
async fn a_locked_item_is_skipped_with_graphs_reason_and_the_rest_applied() -> TestResult {
    let fake = FakeGraph::start().await?;
    fake.add_file(None, "a.txt", 5, "qxh-a");
    let locked = fake.add_file(None, "a (1).txt", 5, "qxh-a");
    fake.add_file(None, "b.txt", 6, "qxh-b");
    let b_copy = fake.add_file(None, "b (1).txt", 6, "qxh-b");
    let dir = tempfile::tempdir()?;
    let mut conn = crate::support::db(dir.path())?;
    let user = UserId::local();
    let providers = Table::default().with(
        Source::OneDrive,
        AnyProvider::OneDrive(with_token(&fake, fake.access_token())?),
    );
    let p = providers.provider(&Source::OneDrive)?;
    scan(&mut conn, &user, &Source::OneDrive, p.as_ref()).await?;
    let summary = plan::build(&mut conn, &user, &KeepRules::parse(&["original-name"])?)?;
    fake.lock(&locked);
    let report = apply(
        &mut conn,
        &user,
        summary.plan_id,
        &providers,
        &ApplyOptions::default(),
        &NoProgress,
    )
    .await?;
    assert_eq!(report.trashed, 1);
    assert_eq!(fake.item(&b_copy).and_then(|i| i.parent), fake.approot_id());
    assert_eq!(report.skipped.len(), 1, "{:?}", report.skipped);
    assert!(
        report.skipped[0].1.contains("resourceLocked"),
        "{:?}",
        report.skipped
    );
    Ok(())
}

#[tokio::test]
async fn empty_pages_with_next_links_are_followed() -> TestResult {
    let fake = FakeGraph::start().await?;
    fake.set_empty_pages(true);
    fake.set_page_size(1);
    fake.add_file(None, "a.txt", 5, "qxh");
    let p = with_token(&fake, fake.access_token())?;
    let dir = tempfile::tempdir()?;
    let mut conn = crate::support::db(dir.path())?;
    let user = UserId::local();
    assert_eq!(
        scan(&mut conn, &user, &Source::OneDrive, &p).await?.indexed,
        2
    );
    fake.add_file(None, "b.txt", 6, "qxh-b");
    let again = scan(&mut conn, &user, &Source::OneDrive, &p).await?;
    assert!(again.incremental);
    assert_eq!(again.indexed, 3);
    Ok(())
}

#[tokio::test]
async fn a_read_only_grant_stops_apply_without_giving_up_on_the_plan() -> TestResult {
    let fake = FakeGraph::start().await?;
    fake.add_file(None, "a.txt", 5, "qxh");
    let copy = fake.add_file(None, "a (1).txt", 5, "qxh");
    let dir = tempfile::tempdir()?;
    let mut conn = crate::support::db(dir.path())?;
    let user = UserId::local();
    // The app folder exists already (an earlier write grant), so only the move is refused.
    let full = with_token(&fake, fake.access_token())?;
    scan(&mut conn, &user, &Source::OneDrive, &full).await?;
    let read = fake.grant(&["Files.Read"]);
    let read_only = Table::default().with(
        Source::OneDrive,
        AnyProvider::OneDrive(with_token(&fake, &read.access)?),
    );
    let summary = plan::build(&mut conn, &user, &KeepRules::parse(&["original-name"])?)?;
    let refused = apply(
        &mut conn,
        &user,
        summary.plan_id,
        &read_only,
        &ApplyOptions::default(),
        &NoProgress,
    )
    .await;
    assert!(refused.is_err(), "a grant that cannot write ends the run");
    let writable = Table::default().with(Source::OneDrive, AnyProvider::OneDrive(full));
    let report = apply(
        &mut conn,
        &user,
        summary.plan_id,
        &writable,
        &ApplyOptions::default(),
        &NoProgress,
    )
    .await?;
    assert_eq!(
        report.trashed, 1,
        "the plan still applies once write access is granted"
    );
    assert_eq!(fake.item(&copy).and_then(|i| i.parent), fake.approot_id());
    Ok(())
}
