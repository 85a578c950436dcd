//! Plans from picks in the duplicates view: only the chosen groups, the chosen copy kept
//! whatever the rules say, stale picks refused, and the edit's safety net (never every copy,
//! never someone else's file) refusing a pick without leaving a plan behind.

use std::str::FromStr;

use declutter_core::engine::EngineError;
use declutter_core::engine::pick::{Picks, build_picked};
use declutter_core::engine::rules::KeepRules;
use declutter_core::ids::{ItemId, Source, UserId};
use declutter_core::platform_db::sql::{Conn, Db, DbExt as _, RusqliteLike as _};
use declutter_core::provider::Item;
use declutter_core::store::plans::Action;
use declutter_core::store::review::Filter;
use declutter_core::store::{files, groups};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn item(
    id: &str,
    path: &str,
    modified_ns: i64,
    hash: &str,
) -> Result<Item, Box<dyn std::error::Error>> {
    crate::support::drive_file(id, path, 100, modified_ns, Some(hash))
}

/// Three groups `a`, `b`, `c` of copies in `/old` (older) and `/new` (newer); `a` has a
/// third copy in `/mid`. `shared` is marked as someone else's.
fn seed(conn: &mut dyn Conn, user: &UserId, shared: &[&str]) -> TestResult {
    let mut items = Vec::new();
    for g in ["a", "b", "c"] {
        items.push(item(&format!("{g}-old"), &format!("/old/{g}.jpg"), 1, g)?);
        items.push(item(&format!("{g}-new"), &format!("/new/{g}.jpg"), 3, g)?);
    }
    items.push(item("a-mid", "/mid/a.jpg", 2, "a")?);
    let mut listing = crate::support::full_listing(items);
    listing.not_owned = shared
        .iter()
        .map(|s| ItemId::from_str(s))
        .collect::<Result<_, _>>()?;
    files::apply_listing(conn, user, &Source::GDrive, &listing)?;
    groups::recompute(conn, user)?;
    Ok(())
}

/// Group id and file ids (by item id) of group `g`.
fn group_of(
    conn: &dyn Db,
    user: &UserId,
    g: &str,
) -> Result<groups::Group, Box<dyn std::error::Error>> {
    groups::list(conn, user)?
        .into_iter()
        .find(|x| x.hash.as_deref() == Some(g))
        .ok_or_else(|| format!("no group {g}").into())
}

fn file_id(g: &groups::Group, item: &str) -> Result<i64, Box<dyn std::error::Error>> {
    Ok(g.files
        .iter()
        .find(|f| f.item_id == item)
        .ok_or(item.to_owned())?
        .id)
}

/// A database seeded with groups `a`, `b` and `c` (none shared), the local user, groups `a`
/// and `b`, and the rule `newest`.
type Seeded = (
    tempfile::TempDir,
    crate::support::TestDb,
    UserId,
    groups::Group,
    groups::Group,
    KeepRules,
);

fn seeded() -> Result<Seeded, Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let mut conn = super::support::db(dir.path())?;
    let user = UserId::local();
    seed(&mut conn, &user, &[])?;
    let (a, b) = (group_of(&conn, &user, "a")?, group_of(&conn, &user, "b")?);
    let rules = KeepRules::parse(&["newest".to_owned()])?;
    Ok((dir, conn, user, a, b, rules))
}

fn plan_count(conn: &dyn Db) -> Result<i64, Box<dyn std::error::Error>> {
    Ok(conn.query_row("SELECT count(*) FROM plans", [], |r| r.get(0))?)
}

#[test]
fn only_picked_groups_are_planned_and_a_picked_copy_stays() -> TestResult {
    let (_dir, mut conn, user, a, b, rules) = seeded()?;

    // Groups a and b only; in a, the oldest copy stays although the rule says newest.
    let picks = Picks {
        groups: Some(vec![a.id, b.id]),
        keep: [(a.id, file_id(&a, "a-old")?)].into(),
        ..Picks::default()
    };
    let plan = build_picked(&mut conn, &user, &rules, &Filter::default(), &picks)?;
    assert_eq!(plan.groups, 2);
    let action = |item: &str| {
        plan.items
            .iter()
            .find(|i| i.item_id == item)
            .map(|i| i.action)
    };
    assert_eq!(action("a-old"), Some(Action::Keep));
    assert_eq!(action("a-mid"), Some(Action::Remove));
    assert_eq!(action("a-new"), Some(Action::Remove));
    assert_eq!(action("b-new"), Some(Action::Keep), "the rule elsewhere");
    assert_eq!(action("b-old"), Some(Action::Remove));
    assert_eq!(action("c-old"), None, "group c was not picked");
    assert_eq!((plan.remove_count, plan.bytes_reclaimed), (3, 300));
    let stored = declutter_core::store::plans::get(&conn, &user, plan.plan_id)?.ok_or("plan")?;
    assert_eq!((stored.remove_count, stored.bytes_reclaimed), (3, 300));

    // No group list: every group passing the filter, picks still applied.
    let picks = Picks {
        groups: None,
        keep: [(b.id, file_id(&b, "b-old")?)].into(),
        ..Picks::default()
    };
    let plan = build_picked(&mut conn, &user, &rules, &Filter::default(), &picks)?;
    assert_eq!(plan.groups, 3);
    assert_eq!(plan.remove_count, 4);
    Ok(())
}

#[test]
fn stale_or_unsafe_picks_are_refused_and_leave_no_plan() -> TestResult {
    let dir = tempfile::tempdir()?;
    let mut conn = super::support::db(dir.path())?;
    let user = UserId::local();
    seed(&mut conn, &user, &["b-old"])?;
    let (a, b) = (group_of(&conn, &user, "a")?, group_of(&conn, &user, "b")?);
    let rules = KeepRules::parse(&["newest".to_owned()])?;
    let refused = |conn: &mut dyn Conn, picks: Picks| {
        build_picked(conn, &user, &rules, &Filter::default(), &picks)
    };

    // A group that is gone (regrouped by a scan since the page was shown).
    let r = refused(
        &mut conn,
        Picks {
            groups: Some(vec![a.id, a.id + b.id + 1000]),
            ..Picks::default()
        },
    );
    assert!(matches!(r, Err(EngineError::SelectionChanged)), "{r:?}");
    // A copy of another group.
    let r = refused(
        &mut conn,
        Picks {
            groups: None,
            keep: [(a.id, file_id(&b, "b-new")?)].into(),
            ..Picks::default()
        },
    );
    assert!(matches!(r, Err(EngineError::SelectionChanged)), "{r:?}");
    // Keeping only a copy someone else owns would remove every copy of ours: the edit's
    // safety net refuses it, and the plan made in the same transaction is gone with it.
    let r = refused(
        &mut conn,
        Picks {
            groups: None,
            keep: [(b.id, file_id(&b, "b-old")?)].into(),
            ..Picks::default()
        },
    );
    assert!(
        matches!(r, Err(EngineError::WouldRemoveEveryCopy(_))),
        "{r:?}"
    );
    assert_eq!(plan_count(&conn)?, 0, "no plan left behind by a refusal");
    Ok(())
}

#[test]
fn picks_made_before_the_duplicates_changed_are_refused() -> TestResult {
    let (_dir, mut conn, user, a, b, rules) = seeded()?;
    let shown = groups::view_version(&conn, &user)?;
    let picks = |seen: i64| -> Result<Picks, Box<dyn std::error::Error>> {
        Ok(Picks {
            groups: Some(vec![a.id, b.id]),
            keep: [(a.id, file_id(&a, "a-old")?)].into(),
            seen_version: Some(seen),
        })
    };

    // A grouped copy of group c renamed after the page was shown: every picked id is still
    // there, but what was shown is not what would be planned.
    conn.execute(
        "UPDATE files SET path = '/new/c renamed.jpg' WHERE item_id = 'c-new'",
        [],
    )?;
    let now = groups::view_version(&conn, &user)?;
    assert_ne!(now, shown);
    let r = build_picked(&mut conn, &user, &rules, &Filter::default(), &picks(shown)?);
    assert!(matches!(r, Err(EngineError::SelectionChanged)), "{r:?}");
    assert_eq!(plan_count(&conn)?, 0, "no plan left behind by a refusal");

    // The same picks made on the page as it is now.
    let plan = build_picked(&mut conn, &user, &rules, &Filter::default(), &picks(now)?)?;
    assert_eq!((plan.groups, plan.remove_count), (2, 3));
    // Making a plan does not move the version: a second plan from the same page is fine.
    assert_eq!(groups::view_version(&conn, &user)?, now);
    build_picked(&mut conn, &user, &rules, &Filter::default(), &picks(now)?)?;
    assert_eq!(plan_count(&conn)?, 2);
    Ok(())
}

/// A picked copy is trusted only until apply: edited after the scan (same size, new content
/// and mtime), it no longer counts as a kept copy, and its group is left untouched.
#[tokio::test]
async fn a_picked_copy_changed_since_the_scan_keeps_its_group_untouched() -> TestResult {
    use crate::support::{Table, bytes, scan_folder, write};
    use declutter_core::engine::apply::{ApplyOptions, apply};
    use declutter_core::progress::NoProgress;

    let dir = tempfile::tempdir()?;
    let root = dir.path().join("tree");
    let content = bytes(7, 20_000);
    let old = write(&root, "old/x.bin", &content)?;
    let mid = write(&root, "mid/x.bin", &content)?;
    let new = write(&root, "new/x.bin", &content)?;
    let mut conn = super::support::db(dir.path())?;
    let user = UserId::local();
    scan_folder(&mut conn, &root).await?;
    let g = groups::list(&conn, &user)?
        .into_iter()
        .next()
        .ok_or("one group")?;
    let picked = g
        .files
        .iter()
        .find(|f| f.path.ends_with("old/x.bin"))
        .ok_or("old copy")?
        .id;
    let picks = Picks {
        groups: Some(vec![g.id]),
        keep: [(g.id, picked)].into(),
        seen_version: Some(groups::view_version(&conn, &user)?),
    };
    let rules = KeepRules::parse(&["newest".to_owned()])?;
    let plan = build_picked(&mut conn, &user, &rules, &Filter::default(), &picks)?;
    assert_eq!(plan.remove_count, 2, "the two other copies would go");

    // The picked copy is edited before apply: same size, other bytes, a new mtime.
    std::fs::write(&old, bytes(8, 20_000))?;
    let report = apply(
        &mut conn,
        &user,
        plan.plan_id,
        &Table::local(&root),
        &ApplyOptions::default(),
        &NoProgress,
    )
    .await?;
    assert_eq!(report.trashed, 0, "{report:?}");
    assert_eq!(report.skipped.len(), 2, "{:?}", report.skipped);
    assert!(
        report
            .skipped
            .iter()
            .all(|(_, why)| why.contains("no kept copy could be verified")),
        "{:?}",
        report.skipped
    );
    assert!(
        mid.exists() && new.exists(),
        "the old content is still on disk"
    );
    assert_eq!(std::fs::read(&mid)?, content);
    Ok(())
}
