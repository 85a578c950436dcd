//! Plans, apply with re-check, trash, restore and purge on local trees.

use declutter_core::engine::apply::{ApplyOptions, apply};
use declutter_core::engine::plan;
use declutter_core::engine::rules::KeepRules;
use declutter_core::engine::trash::{self, PurgeSelection};
use declutter_core::ids::UserId;
use declutter_core::platform_db::sql::DbExt as _;
use declutter_core::progress::NoProgress;
use declutter_core::store::plans::Action;

use crate::support::{Table, TestResult, bytes, db, scan_folder, write};

#[tokio::test]
async fn plan_is_a_dry_run_and_apply_trashes_exactly_the_plan() -> TestResult {
    let dir = tempfile::tempdir()?;
    let root = dir.path().join("tree");
    let content = bytes(1, 30_000);
    write(&root, "photos/img.jpg", &content)?;
    write(&root, "backup/deep/img (1).jpg", &content)?;
    write(&root, "x/img - Copy.jpg", &content)?;
    let mut conn = db(dir.path())?;
    let user = UserId::local();
    scan_folder(&mut conn, &root).await?;
    let rules = KeepRules::parse(&["original-name"])?;
    let summary = plan::build(&mut conn, &user, &rules)?;
    assert_eq!(summary.remove_count, 2);
    assert_eq!(summary.bytes_reclaimed, 60_000);
    assert!(
        root.join("backup/deep/img (1).jpg").exists(),
        "planning touches nothing"
    );
    let kept: Vec<_> = summary
        .items
        .iter()
        .filter(|i| i.action == Action::Keep)
        .collect();
    assert_eq!(kept.len(), 1);
    assert!(kept[0].path.ends_with("photos/img.jpg"));

    let providers = Table::local(&root);
    let report = apply(
        &mut conn,
        &user,
        summary.plan_id,
        &providers,
        &ApplyOptions::default(),
        &NoProgress,
    )
    .await?;
    assert_eq!(report.trashed, 2);
    assert!(root.join("photos/img.jpg").exists());
    assert!(!root.join("backup/deep/img (1).jpg").exists());
    let entries = trash::list(&conn, &user)?;
    assert_eq!(entries.len(), 2);
    for e in &entries {
        assert!(e.location.contains(".declutter-trash"), "{}", e.location);
        assert!(std::path::Path::new(&e.location).exists());
        assert!(e.expires_at - e.trashed_at == 30 * 86_400);
    }
    // Idempotent: a second apply does nothing more.
    let again = apply(
        &mut conn,
        &user,
        summary.plan_id,
        &providers,
        &ApplyOptions::default(),
        &NoProgress,
    )
    .await?;
    assert_eq!(again.trashed, 0);
    assert_eq!(again.already_done, 2);

    // Restore one, purge the other.
    let restore_id = entries
        .iter()
        .find(|e| e.original_path.contains("img (1)"))
        .map(|e| e.id)
        .ok_or("entry")?;
    trash::restore(&mut conn, &user, restore_id, &providers).await?;
    assert_eq!(
        std::fs::read(root.join("backup/deep/img (1).jpg"))?,
        content
    );
    assert!(
        trash::restore(&mut conn, &user, restore_id, &providers)
            .await
            .is_err(),
        "restored twice"
    );
    let purged = trash::purge(&mut conn, &user, &PurgeSelection::Expired, &providers).await?;
    assert!(purged.is_empty(), "nothing has expired yet");
    let purged = trash::purge(&mut conn, &user, &PurgeSelection::All, &providers).await?;
    assert_eq!(purged.len(), 1);
    assert!(!root.join("x/img - Copy.jpg").exists());
    assert!(trash::list(&conn, &user)?.is_empty());
    Ok(())
}

#[tokio::test]
async fn apply_skips_files_changed_since_the_scan_and_keeps_the_last_copy() -> TestResult {
    let dir = tempfile::tempdir()?;
    let root = dir.path().join("tree");
    let a = bytes(2, 9000);
    let b = bytes(3, 9000);
    write(&root, "a1", &a)?;
    let a2 = write(&root, "a2", &a)?;
    let b1 = write(&root, "b1", &b)?;
    let b2 = write(&root, "b2", &b)?;
    let mut conn = db(dir.path())?;
    let user = UserId::local();
    scan_folder(&mut conn, &root).await?;
    let summary = plan::build(&mut conn, &user, &KeepRules::parse(&["shortest-path"])?)?;
    assert_eq!(summary.remove_count, 2);
    // a2 (to be removed) changes; b1 (the keeper) disappears.
    std::fs::write(&a2, b"changed")?;
    std::fs::remove_file(&b1)?;
    let providers = Table::local(&root);
    let report = apply(
        &mut conn,
        &user,
        summary.plan_id,
        &providers,
        &ApplyOptions::default(),
        &NoProgress,
    )
    .await?;
    assert_eq!(report.trashed, 0);
    assert_eq!(report.skipped.len(), 2, "{:?}", report.skipped);
    assert!(
        a2.exists() && b2.exists(),
        "changed file and last copy are both kept"
    );
    Ok(())
}

#[tokio::test]
async fn reference_folders_keep_everything_inside_them() -> TestResult {
    let dir = tempfile::tempdir()?;
    let root = dir.path().join("tree");
    let c = bytes(4, 5000);
    write(&root, "ref/one", &c)?;
    write(&root, "ref/two", &c)?;
    write(&root, "elsewhere/three", &c)?;
    let mut conn = db(dir.path())?;
    let user = UserId::local();
    scan_folder(&mut conn, &root).await?;
    let rule = format!("ref:{}", root.join("ref").display());
    let summary = plan::build(
        &mut conn,
        &user,
        &KeepRules::parse(&[rule.as_str(), "newest"])?,
    )?;
    let removed: Vec<_> = summary
        .items
        .iter()
        .filter(|i| i.action == Action::Remove)
        .map(|i| i.name.clone())
        .collect();
    assert_eq!(removed, vec!["three".to_owned()]);
    Ok(())
}

#[tokio::test]
async fn the_retention_sweep_purges_only_what_is_due_where_it_reaches_and_waits_for_an_apply()
-> TestResult {
    let dir = tempfile::tempdir()?;
    let root = dir.path().join("tree");
    let (old, new) = (bytes(4, 5000), bytes(5, 7000));
    write(&root, "a/old.bin", &old)?;
    write(&root, "b/old.bin", &old)?;
    write(&root, "a/new.bin", &new)?;
    write(&root, "b/new.bin", &new)?;
    let mut conn = db(dir.path())?;
    let user = UserId::local();
    scan_folder(&mut conn, &root).await?;
    let summary = plan::build(&mut conn, &user, &KeepRules::parse(&["shortest-path"])?)?;
    let providers = Table::local(&root);
    crate::support::apply_plan(&mut conn, &user, summary.plan_id, &providers).await?;
    let entries = trash::list(&conn, &user)?;
    assert_eq!(entries.len(), 2);
    // One entry's retention is over; the other has days left.
    let due = entries.iter().find(|e| e.size == 5000).ok_or("due")?;
    conn.execute("UPDATE trash SET expires_at = 0 WHERE id = ?1", [due.id])?;
    let owners =
        declutter_core::store::trash::owners_with_expired(&conn, declutter_core::db::now())?;
    assert_eq!(owners, vec![user.clone()]);

    // A process that does not reach the source leaves it.
    let swept = trash::sweep_expired(&mut conn, &user, &|_| false, &providers).await?;
    assert_eq!(swept.ok_or("ran")?.purged, 0);
    assert!(std::path::Path::new(&due.location).exists());

    // While an apply of the owner holds the lock, the sweep waits for a later round.
    let lease = declutter_core::engine::lease::Lease::acquire(&mut conn, &user, summary.plan_id)?;
    assert!(
        trash::sweep_expired(&mut conn, &user, &|_| true, &providers)
            .await?
            .is_none()
    );
    lease.release(&conn)?;

    let report = trash::sweep_expired(&mut conn, &user, &|_| true, &providers)
        .await?
        .ok_or("ran")?;
    assert_eq!((report.purged, report.bytes), (1, 5000));
    assert!(report.failed.is_empty());
    assert!(
        !std::path::Path::new(&due.location).exists(),
        "purged for good"
    );
    let left = trash::list(&conn, &user)?;
    assert_eq!(left.len(), 1, "the entry with days left stays");
    assert_eq!(left[0].size, 7000);
    assert!(std::path::Path::new(&left[0].location).exists());
    assert!(
        declutter_core::store::trash::owners_with_expired(&conn, declutter_core::db::now())?
            .is_empty()
    );
    Ok(())
}

#[tokio::test]
async fn the_trash_is_emptied_under_the_owners_lock_and_selections_wait_for_it() -> TestResult {
    use declutter_core::engine::EngineError;
    use declutter_core::engine::lease::{self, Lease};
    use declutter_core::engine::trash::RestoreSelection;

    let dir = tempfile::tempdir()?;
    let root = dir.path().join("tree");
    let (a, b) = (bytes(4, 5000), bytes(5, 7000));
    write(&root, "a", &a)?;
    write(&root, "a (1)", &a)?;
    write(&root, "b", &b)?;
    write(&root, "b (1)", &b)?;
    let mut conn = db(dir.path())?;
    let user = UserId::local();
    scan_folder(&mut conn, &root).await?;
    let summary = plan::build(&mut conn, &user, &KeepRules::parse(&["original-name"])?)?;
    let providers = Table::local(&root);
    let options = ApplyOptions::default();
    apply(
        &mut conn,
        &user,
        summary.plan_id,
        &providers,
        &options,
        &NoProgress,
    )
    .await?;
    let ids: Vec<i64> = trash::list(&conn, &user)?.iter().map(|e| e.id).collect();
    assert_eq!(ids.len(), 2);

    // An undo (or a purge) of this owner runs: selections of the trash wait for it.
    let running = Lease::acquire(&mut conn, &user, summary.plan_id)?;
    let chosen = PurgeSelection::Ids(ids.clone());
    let purge = trash::purge(&mut conn, &user, &chosen, &providers);
    assert!(matches!(purge.await, Err(EngineError::ApplyBusy { .. })));
    let selection = RestoreSelection::Ids(ids.clone());
    let restore = trash::restore_many(&mut conn, &user, &selection, &providers, &NoProgress, None);
    assert!(matches!(restore.await, Err(EngineError::ApplyBusy { .. })));
    assert_eq!(trash::list(&conn, &user)?.len(), 2, "nothing moved");
    running.release(&conn)?;

    // Someone puts one copy back by hand, out of the trash folder.
    let b_entry = trash::list(&conn, &user)?
        .into_iter()
        .find(|e| e.original_path.ends_with("b (1)"))
        .ok_or("entry of b (1)")?;
    std::fs::rename(&b_entry.location, root.join("b (1)"))?;

    // Emptying the trash purges the rest, reports the bytes, and leaves the kept copies and
    // the one put back.
    let held = Lease::acquire(&mut conn, &user, lease::TRASH)?;
    let report = trash::purge_holding(&mut conn, &user, &held, &providers, &NoProgress).await?;
    held.release(&conn)?;
    assert_eq!(
        (report.purged, report.bytes, report.cancelled),
        (1, 5000, false)
    );
    assert_eq!(report.put_back, vec![b_entry.original_path.clone()]);
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert!(trash::list(&conn, &user)?.is_empty());
    assert_eq!(std::fs::read(root.join("a"))?, a);
    assert_eq!(std::fs::read(root.join("b"))?, b);
    assert!(!root.join("a (1)").exists());
    assert_eq!(
        std::fs::read(root.join("b (1)"))?,
        b,
        "put back by hand, left alone"
    );
    let mut left = vec![root.join(".declutter-trash")];
    while let Some(d) = left.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            assert!(
                path.is_dir(),
                "left in the trash folder: {}",
                path.display()
            );
            left.push(path);
        }
    }
    Ok(())
}
