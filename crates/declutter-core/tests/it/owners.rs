//! An owner's data as a whole (`store::owners`): the export, forgetting one drive and deleting
//! everything touch that owner's rows only, on a real SQLite file.

use std::str::FromStr;

use declutter_core::ids::{Source, UserId};
use declutter_core::platform_db::sql::{Conn, Db, Lock, RusqliteLike as _};
use declutter_core::provider::{Item, Listing};
use declutter_core::store::plans::{self, Action, PlanItem};
use declutter_core::store::trash::{self, TrashEntry};
use declutter_core::store::{
    apply_locks, checks, files, groups, jobs, owners, removed_folders, scans,
};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn item(id: &str, path: &str, hash: &str) -> Result<Item, Box<dyn std::error::Error>> {
    crate::support::drive_file(id, path, 100, 1, Some(hash))
}

fn listing(items: Vec<Item>) -> Listing {
    crate::support::full_listing(items)
}

/// Two duplicate pairs on each drive, a source row with a cursor, a content check, a plan with
/// one item, a local trash entry and a job and an apply lock: a row in every owned table.
fn seed(conn: &mut dyn Conn, user: &UserId) -> TestResult {
    for source in [Source::GDrive, Source::OneDrive] {
        let p = source.provider().as_str();
        // Names differ per drive, so no probable cross-drive group joins the two pairs.
        let items = vec![
            item(&format!("{p}-a1"), &format!("/a/{p}.jpg"), &format!("{p}a"))?,
            item(&format!("{p}-a2"), &format!("/b/{p}.jpg"), &format!("{p}a"))?,
        ];
        files::apply_listing(conn, user, &source, &listing(items))?;
        let scan = scans::begin(conn, user, &source, false)?;
        scans::set_cursor(conn, user, &source, Some("cursor"), scan)?;
        // A listing cut off midway leaves its staged pages until the source's next scan.
        let mut staged =
            declutter_core::store::listing::StagedListing::begin(conn, user, &source, scan)?;
        let cut_off = item(&format!("{p}-cut"), "/cut.jpg", "cut")?;
        staged.add(
            conn,
            vec![declutter_core::provider::Change::Upsert(cut_off)],
        )?;
        staged.flush(conn)?;
    }
    let checked = files::all(conn, user, Some(&Source::GDrive))?;
    if let Some(f) = checked.first() {
        checks::record(conn, user, f, "blake3")?;
    }
    groups::recompute(conn, user)?;
    let plan = plans::insert(
        conn,
        user,
        "newest",
        &[PlanItem {
            id: 0,
            group_key: "md5:x:100".into(),
            action: Action::Remove,
            source: "gdrive:".into(),
            provider: "gdrive".into(),
            item_id: "gdrive-a2".into(),
            parent_id: None,
            name: "gdrive.jpg".into(),
            path: "/b/gdrive.jpg".into(),
            size: 100,
            modified_ns: 1,
            hash_kind: None,
            hash: None,
            etag: None,
            state: "pending".into(),
            reason: None,
            trash_id: None,
        }],
    )?;
    let entry = TrashEntry {
        id: 0,
        source: "local:/home/me/Pictures".into(),
        provider: "local".into(),
        item_id: "1:2".into(),
        parent_id: None,
        name: "x.jpg".into(),
        original_path: "/home/me/Pictures/x.jpg".into(),
        location: String::new(),
        size: 100,
        hash_kind: None,
        hash: None,
        plan_item_id: None,
        trashed_at: 1,
        expires_at: 2,
        state: "trashed".into(),
    };
    trash::insert(conn, user, &entry)?;
    trash::insert(
        conn,
        user,
        &TrashEntry {
            state: "restored".into(),
            ..entry
        },
    )?;
    jobs::insert(
        conn,
        user,
        jobs::JobKind::Apply,
        Some(plan),
        &serde_json::json!({}),
    )?;
    // A scan cut off between its walk and its end.
    declutter_core::store::local_settle::mark_unsettled(conn, user, i64::MAX)?;
    removed_folders::journal(conn, user, plan, "local:/r", "/r/emptied", 0o755)?;
    apply_locks::put(
        conn,
        user,
        &apply_locks::Holder {
            plan_id: plan,
            token: "t".into(),
            host: "h".into(),
            pid: 1,
            pid_start: None,
            renewed_at: 1,
        },
    )?;
    Ok(())
}

fn count(conn: &dyn Db, table: &str, user: &UserId) -> Result<i64, Box<dyn std::error::Error>> {
    Ok(conn.query_row(
        &format!("SELECT count(*) FROM {table} WHERE user_id = ?1"),
        [user.as_str()],
        |r| r.get(0),
    )?)
}

fn two_owners(
    dir: &std::path::Path,
) -> Result<(crate::support::TestDb, UserId, UserId), Box<dyn std::error::Error>> {
    let mut conn = super::support::db(dir)?;
    let (ann, bob) = (UserId::from_str("ann")?, UserId::from_str("bob")?);
    seed(&mut conn, &ann)?;
    seed(&mut conn, &bob)?;
    Ok((conn, ann, bob))
}

#[test]
fn forgetting_a_drive_drops_its_index_and_groups_only() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (mut conn, ann, bob) = two_owners(dir.path())?;
    assert_eq!(groups::list(&conn, &ann)?.len(), 2);
    owners::forget_source(&mut conn, &ann, &Source::GDrive)?;
    assert!(files::all(&conn, &ann, Some(&Source::GDrive))?.is_empty());
    assert_eq!(files::all(&conn, &ann, Some(&Source::OneDrive))?.len(), 2);
    assert_eq!(scans::cursor(&conn, &ann, &Source::GDrive)?, None);
    assert_eq!(
        scans::cursor(&conn, &ann, &Source::OneDrive)?.as_deref(),
        Some("cursor")
    );
    assert_eq!(count(&conn, "content_checks", &ann)?, 0);
    let left = groups::list(&conn, &ann)?;
    assert_eq!(left.len(), 1, "only the OneDrive pair is still a group");
    assert_eq!(count(&conn, "trash", &ann)?, 2, "the trash log stays");
    assert_eq!(files::all(&conn, &bob, Some(&Source::GDrive))?.len(), 2);
    assert_eq!(groups::list(&conn, &bob)?.len(), 2);
    assert_eq!(
        scans::cursor(&conn, &bob, &Source::GDrive)?.as_deref(),
        Some("cursor")
    );
    Ok(())
}

#[test]
fn the_export_holds_the_owners_rows_and_nobody_elses() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (conn, ann, _bob) = two_owners(dir.path())?;
    let export = owners::export(&conn, &ann)?;
    let rows = |name: &str| {
        export
            .get(name)
            .and_then(|v| v.as_array())
            .map_or(0, Vec::len)
    };
    assert_eq!(rows("files"), 4);
    assert_eq!(rows("sources"), 2);
    assert_eq!(rows("duplicate_groups"), 2);
    assert_eq!(rows("duplicate_group_files"), 4);
    assert_eq!(rows("plans"), 1);
    assert_eq!(rows("plan_items"), 1);
    assert_eq!(rows("trash"), 2);
    assert_eq!(rows("jobs"), 1);
    for (name, list) in &export {
        for row in list.as_array().into_iter().flatten() {
            if let Some(owner) = row.get("user_id") {
                assert_eq!(owner, "ann", "{name} holds another owner's row");
            }
        }
    }
    Ok(())
}

#[test]
fn deleting_an_owner_leaves_no_row_of_theirs_and_every_other_row() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (mut conn, ann, bob) = two_owners(dir.path())?;
    let local = owners::local_trash(&conn, &ann)?;
    assert_eq!(
        local.len(),
        1,
        "only the entry still in the trash: {local:?}"
    );
    assert!(matches!(&local[0].1, Source::Local(p) if p.ends_with("Pictures")));
    let before: Vec<i64> = owners::OWNED_TABLES
        .iter()
        .map(|t| count(&conn, t, &bob))
        .collect::<Result<_, _>>()?;
    let tx = conn.transaction(Lock::None)?;
    owners::delete_in(&tx, &ann)?;
    tx.commit()?;
    for table in owners::OWNED_TABLES {
        assert_eq!(count(&conn, table, &ann)?, 0, "{table} keeps ann's rows");
    }
    let orphans: i64 = conn.query_row(
        "SELECT (SELECT count(*) FROM plan_items WHERE plan_id NOT IN (SELECT id FROM plans))
              + (SELECT count(*) FROM dup_group_files WHERE group_id NOT IN (SELECT id FROM dup_groups))",
        [],
        |r| r.get(0),
    )?;
    assert_eq!(orphans, 0);
    let after: Vec<i64> = owners::OWNED_TABLES
        .iter()
        .map(|t| count(&conn, t, &bob))
        .collect::<Result<_, _>>()?;
    assert_eq!(before, after, "bob's rows are untouched");
    assert!(
        after.iter().all(|n| *n > 0),
        "bob has a row in every owned table: {after:?}"
    );
    Ok(())
}
