//! Google Drive against the fake Drive server over HTTP.

use declutter_core::platform_db::sql::Db;
use declutter_fakes::Gated;
use std::sync::Arc;

use declutter_core::cloud::OAuthRefresh;
use declutter_core::engine::apply::{ApplyOptions, apply};
use declutter_core::engine::plan;
use declutter_core::engine::rules::KeepRules;
use declutter_core::engine::scan::scan;
use declutter_core::engine::trash;
use declutter_core::engine::{AnyProvider, Providers as _};
use declutter_core::gdrive::GDriveProvider;
use declutter_core::ids::{Source, UserId};
use declutter_core::progress::NoProgress;
use declutter_core::store::{files, groups};
use declutter_fakes::{FakeDrive, Throttle, ThrottleKind};

use crate::support::{Table, TestResult, quick_policy};

fn provider(fake: &FakeDrive) -> Result<GDriveProvider, Box<dyn std::error::Error>> {
    let tokens = OAuthRefresh::new(
        &fake.token_url(),
        "client",
        fake.refresh_token(),
        fake.access_token(),
    );
    Ok(GDriveProvider::new(
        &fake.base_url(),
        Arc::new(tokens),
        quick_policy(),
    )?)
}

fn seed(fake: &FakeDrive) {
    let docs = fake.add_folder(None, "Docs");
    for i in 0..2500u32 {
        let md5 = format!("{:032x}", i % 2000);
        fake.add_file(
            Some(&docs),
            &format!("f{i}.bin"),
            1000 + u64::from(i % 2000),
            &md5,
        );
    }
    fake.add_native_doc(None, "Notes");
    fake.add_native_doc(Some(&docs), "Notes copy");
}

#[tokio::test]
async fn full_listing_pages_by_1000_with_a_minimal_field_mask_then_changes() -> TestResult {
    let fake = FakeDrive::start().await?;
    seed(&fake);
    let dir = tempfile::tempdir()?;
    let mut conn = crate::support::db(dir.path())?;
    let user = UserId::local();
    let p = provider(&fake)?;
    let first = scan(&mut conn, &user, &Source::GDrive, &p).await?;
    assert_eq!(first.indexed, 2503);
    assert_eq!(
        first.api_calls,
        3 + 1,
        "3 pages of 1000 and the start token"
    );
    assert_eq!(fake.last_page_size(), Some(1000));
    let fields = fake.last_list_fields().ok_or("no fields")?;
    assert_eq!(
        fields,
        "nextPageToken,incompleteSearch,files(id,name,parents,size,md5Checksum,modifiedTime,mimeType,ownedByMe,trashed,driveId,capabilities(canTrash))"
    );
    assert_eq!(groups::list(&conn, &user)?.len(), 500);
    let native: Vec<_> = files::all(&conn, &user, None)?
        .into_iter()
        .filter(|f| !f.comparable)
        .collect();
    assert_eq!(
        native.len(),
        2,
        "Google-native documents are listed as not comparable"
    );

    let id = fake.add_file(None, "new.bin", 5, "abc");
    fake.modify_file(&id, 6, "abd");
    let second = scan(&mut conn, &user, &Source::GDrive, &p).await?;
    assert!(second.incremental);
    assert_eq!(second.api_calls, 1);
    assert_eq!(second.indexed, 2504);
    Ok(())
}

#[tokio::test]
async fn user_rate_limit_and_expired_tokens_are_handled() -> TestResult {
    let fake = FakeDrive::start().await?;
    seed(&fake);
    let dir = tempfile::tempdir()?;
    let mut conn = crate::support::db(dir.path())?;
    let user = UserId::local();
    let p = provider(&fake)?;
    fake.throttle(Throttle {
        count: 3,
        kind: ThrottleKind::UserRateLimit,
        retry_after: None,
    });
    fake.expire_tokens();
    let s = scan(&mut conn, &user, &Source::GDrive, &p).await?;
    assert_eq!(s.indexed, 2503);
    assert_eq!(fake.throttled(), 3);
    assert_eq!(fake.refreshes(), 1);
    Ok(())
}

#[tokio::test]
async fn trash_restore_and_purge_use_drive_trash() -> TestResult {
    let fake = FakeDrive::start().await?;
    let a = fake.add_file(None, "a.bin", 10, "00112233445566778899aabbccddeeff");
    let b = fake.add_file(None, "a (1).bin", 10, "00112233445566778899aabbccddeeff");
    let dir = tempfile::tempdir()?;
    let mut conn = crate::support::db(dir.path())?;
    let user = UserId::local();
    let providers = Table::default().with(Source::GDrive, AnyProvider::GDrive(provider(&fake)?));
    let p = providers.provider(&Source::GDrive)?;
    scan(&mut conn, &user, &Source::GDrive, p.as_ref()).await?;
    let summary = plan::build(&mut conn, &user, &KeepRules::parse(&["original-name"])?)?;
    apply(
        &mut conn,
        &user,
        summary.plan_id,
        &providers,
        &ApplyOptions::default(),
        &NoProgress,
    )
    .await?;
    assert!(fake.file(&b).is_some_and(|f| f.trashed));
    assert!(fake.file(&a).is_some_and(|f| !f.trashed));
    let entry = trash::list(&conn, &user)?.pop().ok_or("entry")?;
    trash::restore(&mut conn, &user, entry.id, &providers).await?;
    assert!(fake.file(&b).is_some_and(|f| !f.trashed));
    // Trash again through a new plan, then purge for good.
    scan(&mut conn, &user, &Source::GDrive, p.as_ref()).await?;
    let again = plan::build(&mut conn, &user, &KeepRules::parse(&["original-name"])?)?;
    apply(
        &mut conn,
        &user,
        again.plan_id,
        &providers,
        &ApplyOptions::default(),
        &NoProgress,
    )
    .await?;
    // The person takes it out of Drive's trash themselves: a purge leaves it alone (Drive's
    // delete would skip the trash) and records it restored.
    fake.set_trashed(&b, false);
    let purged = trash::purge(&mut conn, &user, &trash::PurgeSelection::All, &providers).await?;
    assert!(purged.is_empty());
    assert!(fake.file(&b).is_some_and(|f| !f.deleted && !f.trashed));
    assert!(trash::list(&conn, &user)?.is_empty());
    // Trashed once more, it is purged for good.
    scan(&mut conn, &user, &Source::GDrive, p.as_ref()).await?;
    let third = plan::build(&mut conn, &user, &KeepRules::parse(&["original-name"])?)?;
    let options = ApplyOptions::default();
    apply(
        &mut conn,
        &user,
        third.plan_id,
        &providers,
        &options,
        &NoProgress,
    )
    .await?;
    assert!(fake.file(&b).is_some_and(|f| f.trashed));
    let purged = trash::purge(&mut conn, &user, &trash::PurgeSelection::All, &providers).await?;
    assert_eq!(purged.len(), 1);
    assert!(fake.file(&b).is_some_and(|f| f.deleted));
    assert!(fake.file(&a).is_some_and(|f| !f.deleted && !f.trashed));
    Ok(())
}

#[tokio::test]
async fn files_the_user_does_not_own_are_never_planned_for_removal() -> TestResult {
    let fake = FakeDrive::start().await?;
    let md5 = "00112233445566778899aabbccddeeff";
    // A group of two own copies and a shared one; a group of one own copy and a shared one.
    let mine = fake.add_file(None, "a.bin", 10, md5);
    let mine_copy = fake.add_file(None, "a (1).bin", 10, md5);
    let shared = fake.add_shared_file(None, "a.bin", 10, md5);
    let other = "ffeeddccbbaa99887766554433221100";
    let lone = fake.add_file(None, "b (1).bin", 20, other);
    let shared_b = fake.add_shared_file(None, "b.bin", 20, other);
    let dir = tempfile::tempdir()?;
    let mut conn = crate::support::db(dir.path())?;
    let user = UserId::local();
    let p = provider(&fake)?;
    scan(&mut conn, &user, &Source::GDrive, &p).await?;
    let owned_of = |conn: &dyn Db, id: &str| {
        files::all(conn, &user, None)
            .map(|rows| rows.into_iter().find(|f| f.item_id == id).map(|f| f.owned))
    };
    assert_eq!(
        owned_of(&conn, &shared)?,
        Some(false),
        "reported as not owned"
    );
    assert_eq!(owned_of(&conn, &mine)?, Some(true));
    // A keep folder that is no folder of the drive protects nothing: the plan is refused.
    assert!(matches!(
        plan::build(&mut conn, &user, &KeepRules::parse(&["ref:/nowhere"])?),
        Err(declutter_core::engine::EngineError::UnknownKeepFolder(f)) if f == "/nowhere"
    ));
    // Whatever the rules, shared files stay and do not count as the kept copy.
    for rules in [&["original-name"][..], &["newest"], &["shortest-path"]] {
        let summary = plan::build(&mut conn, &user, &KeepRules::parse(rules)?)?;
        let removed: Vec<&str> = summary
            .items
            .iter()
            .filter(|i| i.action == declutter_core::store::plans::Action::Remove)
            .map(|i| i.item_id.as_str())
            .collect();
        assert_eq!(removed.len(), 1, "{rules:?}: {removed:?}");
        assert!(
            removed[0] == mine || removed[0] == mine_copy,
            "{rules:?}: {removed:?}"
        );
        assert!(!removed.contains(&lone.as_str()), "the only own copy stays");
        assert!(!removed.contains(&shared.as_str()) && !removed.contains(&shared_b.as_str()));
        assert_eq!(summary.not_owned, 2);
    }
    // Ownership changes arrive through the changes feed.
    fake.set_owned(&shared, true);
    fake.set_owned(&mine, false);
    let again = scan(&mut conn, &user, &Source::GDrive, &p).await?;
    assert!(again.incremental);
    assert_eq!(owned_of(&conn, &shared)?, Some(true));
    assert_eq!(owned_of(&conn, &mine)?, Some(false));
    let summary = plan::build(&mut conn, &user, &KeepRules::parse(&["original-name"])?)?;
    assert!(
        summary.items.iter().all(|i| {
            i.item_id != mine || i.action == declutter_core::store::plans::Action::Keep
        })
    );
    Ok(())
}
