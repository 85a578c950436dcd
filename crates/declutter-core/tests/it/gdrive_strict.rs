//! Google Drive against the fake Drive held to the documentation: shared drives and
//! drive-type changes, files only their owner may trash, and Drive's 30-day trash.

use std::sync::Arc;

use declutter_core::cloud::StaticToken;
use declutter_core::engine::apply::{ApplyOptions, apply};
use declutter_core::engine::rules::KeepRules;
use declutter_core::engine::scan::scan;
use declutter_core::engine::{AnyProvider, Providers as _, plan, trash};
use declutter_core::gdrive::GDriveProvider;
use declutter_core::ids::{Source, UserId};
use declutter_core::progress::NoProgress;
use declutter_core::store::{files, plans};
use declutter_fakes::{FakeDrive, Gated, Role};

use crate::support::{Table, TestResult, quick_policy};

const MD5: &str = "00112233445566778899aabbccddeeff";

fn with_token(fake: &FakeDrive, token: &str) -> Result<GDriveProvider, Box<dyn std::error::Error>> {
    Ok(GDriveProvider::new(
        &fake.base_url(),
        Arc::new(StaticToken::new(token)),
        quick_policy(),
    )?)
}

#[tokio::test]
async fn shared_drives_are_listed_and_their_changes_do_not_break_rescans() -> TestResult {
    let fake = FakeDrive::start().await?;
    let mine = fake.add_file(None, "a.bin", 10, MD5);
    let dir = tempfile::tempdir()?;
    let mut conn = crate::support::db(dir.path())?;
    let user = UserId::local();
    let p = with_token(&fake, fake.access_token())?;
    scan(&mut conn, &user, &Source::GDrive, &p).await?;
    let team = fake.add_shared_drive("Team", Role::Reader);
    let theirs = fake.add_drive_file(&team, "a.bin", 10, MD5);
    fake.rename_shared_drive(&team, "Team 2024");
    let again = scan(&mut conn, &user, &Source::GDrive, &p).await?;
    assert!(again.incremental, "drive-type changes are read, not fatal");
    assert_eq!(again.indexed, 2, "the shared drive's file is listed");
    let later = fake.add_file(None, "later.bin", 3, "ffeeddccbbaa99887766554433221100");
    scan(&mut conn, &user, &Source::GDrive, &p).await?;
    let indexed: Vec<String> = files::all(&conn, &user, None)?
        .into_iter()
        .map(|f| f.item_id)
        .collect();
    assert!(
        indexed.contains(&later),
        "the cursor moved past the drive change"
    );
    // A reader may not trash the shared drive's copy: it stays, and is not the kept copy.
    let summary = plan::build(&mut conn, &user, &KeepRules::parse(&["newest"])?)?;
    assert_eq!(summary.remove_count, 0, "{:?}", summary.items);
    assert!(
        summary
            .items
            .iter()
            .all(|i| i.item_id != theirs || i.action == plans::Action::Keep)
    );
    let _ = mine;
    Ok(())
}

#[tokio::test]
async fn a_file_only_its_owner_may_trash_is_skipped_with_the_reason_and_the_rest_applied()
-> TestResult {
    let fake = FakeDrive::start().await?;
    fake.add_file(None, "a.bin", 10, MD5);
    let lost = fake.add_file(None, "a (1).bin", 10, MD5);
    let other = "ffeeddccbbaa99887766554433221100";
    fake.add_file(None, "b.bin", 20, other);
    let b_copy = fake.add_file(None, "b (1).bin", 20, other);
    let dir = tempfile::tempdir()?;
    let mut conn = crate::support::db(dir.path())?;
    let user = UserId::local();
    let providers = Table::default().with(
        Source::GDrive,
        AnyProvider::GDrive(with_token(&fake, fake.access_token())?),
    );
    let p = providers.provider(&Source::GDrive)?;
    scan(&mut conn, &user, &Source::GDrive, p.as_ref()).await?;
    let summary = plan::build(&mut conn, &user, &KeepRules::parse(&["original-name"])?)?;
    assert_eq!(summary.remove_count, 2);
    // Ownership moves to someone else between planning and applying.
    fake.set_owned(&lost, false);
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
    assert!(fake.file(&b_copy).is_some_and(|f| f.trashed));
    assert_eq!(report.skipped.len(), 1, "{:?}", report.skipped);
    assert!(
        report.skipped[0].1.contains("insufficientFilePermissions"),
        "{:?}",
        report.skipped
    );
    assert!(fake.file(&lost).is_some_and(|f| !f.trashed));
    assert_eq!(
        trash::list(&conn, &user)?.len(),
        1,
        "no journal row left behind"
    );
    // A rerun does not trip over it again.
    let rerun = apply(
        &mut conn,
        &user,
        summary.plan_id,
        &providers,
        &ApplyOptions::default(),
        &NoProgress,
    )
    .await?;
    assert_eq!((rerun.trashed, rerun.skipped.len()), (0, 0));
    Ok(())
}

#[tokio::test]
async fn drive_items_are_never_promised_longer_than_drive_keeps_its_trash() -> TestResult {
    let fake = FakeDrive::start().await?;
    fake.add_file(None, "a.bin", 10, MD5);
    fake.add_file(None, "a (1).bin", 10, MD5);
    let dir = tempfile::tempdir()?;
    let mut conn = crate::support::db(dir.path())?;
    let user = UserId::local();
    let providers = Table::default().with(
        Source::GDrive,
        AnyProvider::GDrive(with_token(&fake, fake.access_token())?),
    );
    let p = providers.provider(&Source::GDrive)?;
    scan(&mut conn, &user, &Source::GDrive, p.as_ref()).await?;
    let summary = plan::build(&mut conn, &user, &KeepRules::parse(&["original-name"])?)?;
    let options = ApplyOptions {
        retention_days: 90,
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
    let entry = trash::list(&conn, &user)?.pop().ok_or("entry")?;
    assert_eq!(entry.expires_at - entry.trashed_at, 30 * 86_400);
    Ok(())
}

#[tokio::test]
async fn an_organizer_of_a_shared_drive_may_have_its_copies_removed() -> TestResult {
    let fake = FakeDrive::start().await?;
    let team = fake.add_shared_drive("Team", Role::Organizer);
    let a = fake.add_drive_file(&team, "a.bin", 10, MD5);
    let b = fake.add_drive_file(&team, "a (1).bin", 10, MD5);
    let dir = tempfile::tempdir()?;
    let mut conn = crate::support::db(dir.path())?;
    let user = UserId::local();
    let providers = Table::default().with(
        Source::GDrive,
        AnyProvider::GDrive(with_token(&fake, fake.access_token())?),
    );
    let p = providers.provider(&Source::GDrive)?;
    scan(&mut conn, &user, &Source::GDrive, p.as_ref()).await?;
    let summary = plan::build(&mut conn, &user, &KeepRules::parse(&["original-name"])?)?;
    assert_eq!(summary.remove_count, 1, "canTrash, not ownedByMe, decides");
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
    assert!(fake.file(&b).is_some_and(|f| f.trashed));
    assert!(fake.file(&a).is_some_and(|f| !f.trashed));
    Ok(())
}

#[tokio::test]
async fn verifying_on_a_metadata_grant_says_content_access_is_missing() -> TestResult {
    use declutter_core::engine::verify::{VerifyOptions, verify};
    let fake = FakeDrive::start().await?;
    let dir = tempfile::tempdir()?;
    let root = dir.path().join("tree");
    crate::support::write(&root, "report.pdf", b"hello world")?;
    fake.add_file(None, "report.pdf", 11, MD5);
    let mut conn = crate::support::db(dir.path())?;
    let user = UserId::local();
    let meta = fake.grant(&["https://www.googleapis.com/auth/drive.metadata.readonly"]);
    let providers = Table::local(&root).with(
        Source::GDrive,
        AnyProvider::GDrive(with_token(&fake, &meta.access)?),
    );
    crate::support::scan_folder(&mut conn, &root).await?;
    let p = providers.provider(&Source::GDrive)?;
    scan(&mut conn, &user, &Source::GDrive, p.as_ref()).await?;
    let summary = verify(
        &mut conn,
        &user,
        &providers,
        &VerifyOptions::default(),
        &NoProgress,
    )
    .await?;
    assert_eq!(summary.issues.len(), 1, "{summary:?}");
    assert!(
        summary.issues[0].message.contains("drive.readonly"),
        "{:?}",
        summary.issues
    );
    Ok(())
}

#[tokio::test]
async fn empty_change_pages_with_next_tokens_are_followed() -> TestResult {
    let fake = FakeDrive::start().await?;
    fake.set_empty_pages(true);
    fake.add_file(None, "a.bin", 10, MD5);
    let p = with_token(&fake, fake.access_token())?;
    let dir = tempfile::tempdir()?;
    let mut conn = crate::support::db(dir.path())?;
    let user = UserId::local();
    scan(&mut conn, &user, &Source::GDrive, &p).await?;
    fake.add_file(None, "b.bin", 11, "ffeeddccbbaa99887766554433221100");
    let again = scan(&mut conn, &user, &Source::GDrive, &p).await?;
    assert!(again.incremental);
    assert_eq!(again.indexed, 2);
    Ok(())
}

#[tokio::test]
async fn an_incomplete_search_is_reported_as_a_scan_issue() -> TestResult {
    let fake = FakeDrive::start().await?;
    fake.set_incomplete_search(true);
    fake.add_file(None, "a.bin", 10, MD5);
    let dir = tempfile::tempdir()?;
    let mut conn = crate::support::db(dir.path())?;
    let user = UserId::local();
    let s = scan(
        &mut conn,
        &user,
        &Source::GDrive,
        &with_token(&fake, fake.access_token())?,
    )
    .await?;
    assert_eq!(s.indexed, 1);
    assert_eq!(s.issues.len(), 1, "{:?}", s.issues);
    assert_eq!(s.issues[0].kind, "incomplete");
    Ok(())
}

#[tokio::test]
async fn a_per_file_grant_stops_apply_without_giving_up_on_the_plan() -> TestResult {
    let fake = FakeDrive::start().await?;
    fake.add_file(None, "a.bin", 10, MD5);
    let copy = fake.add_file(None, "a (1).bin", 10, MD5);
    let dir = tempfile::tempdir()?;
    let mut conn = crate::support::db(dir.path())?;
    let user = UserId::local();
    let narrow = fake.grant(&[
        "https://www.googleapis.com/auth/drive.metadata.readonly",
        "https://www.googleapis.com/auth/drive.file",
    ]);
    let narrow = Table::default().with(
        Source::GDrive,
        AnyProvider::GDrive(with_token(&fake, &narrow.access)?),
    );
    scan(
        &mut conn,
        &user,
        &Source::GDrive,
        narrow.provider(&Source::GDrive)?.as_ref(),
    )
    .await?;
    let summary = plan::build(&mut conn, &user, &KeepRules::parse(&["original-name"])?)?;
    let options = ApplyOptions::default();
    let refused = apply(
        &mut conn,
        &user,
        summary.plan_id,
        &narrow,
        &options,
        &NoProgress,
    )
    .await;
    assert!(
        refused.is_err_and(|e| e.to_string().contains("not granted the app")),
        "drive.file never covers existing files: the run ends with Drive's reason"
    );
    let full = Table::default().with(
        Source::GDrive,
        AnyProvider::GDrive(with_token(&fake, fake.access_token())?),
    );
    let report = apply(
        &mut conn,
        &user,
        summary.plan_id,
        &full,
        &options,
        &NoProgress,
    )
    .await?;
    assert_eq!(
        report.trashed, 1,
        "the plan still applies once drive is granted"
    );
    assert!(fake.file(&copy).is_some_and(|f| f.trashed));
    Ok(())
}
