//! Paged group reads, the summary and the usage aggregate agree with the full `list`.

use declutter_core::platform_db::sql::{Conn, DbExt as _};
use std::str::FromStr;

use declutter_core::ids::{Source, UserId};
use declutter_core::provider::{Item, Listing};
use declutter_core::store::{files, groups};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn item(
    id: &str,
    path: &str,
    size: u64,
    hash: Option<&str>,
) -> Result<Item, Box<dyn std::error::Error>> {
    crate::support::drive_file(id, path, size, 1, hash)
}

fn listing(items: Vec<Item>) -> Listing {
    crate::support::full_listing(items)
}

/// Group `g` has `g % 4 + 2` copies of `(g % 7 + 1) * 100` bytes; a few unhashed singles too.
fn seed(conn: &mut dyn Conn, user: &UserId) -> TestResult {
    let mut items = Vec::new();
    for g in 0..45u64 {
        for c in 0..(g % 4 + 2) {
            let path = format!("/g{g}/copy{c}.JPG");
            items.push(item(
                &format!("{g}-{c}"),
                &path,
                (g % 7 + 1) * 100,
                Some(&format!("h{g}")),
            )?);
        }
    }
    items.push(item("single", "/notes.txt", 5, None)?);
    items.push(item("noext", "/README", 7, None)?);
    files::apply_listing(conn, user, &Source::GDrive, &listing(items))?;
    groups::recompute(conn, user)?;
    Ok(())
}

#[test]
fn pages_match_the_full_list() -> TestResult {
    let dir = tempfile::tempdir()?;
    let mut conn = super::support::db(dir.path())?;
    let user = UserId::local();
    seed(&mut conn, &user)?;
    let all = groups::list(&conn, &user)?;
    assert_eq!(all.len(), 45);
    let mut paged = Vec::new();
    for offset in (0..60).step_by(20) {
        paged.extend(groups::page(&conn, &user, offset, 20)?);
    }
    let ids = |gs: &[groups::Group]| gs.iter().map(|g| (g.id, g.wasted())).collect::<Vec<_>>();
    assert_eq!(ids(&paged), ids(&all));
    for (a, b) in paged.iter().zip(&all) {
        let paths = |g: &groups::Group| g.files.iter().map(|f| f.path.clone()).collect::<Vec<_>>();
        assert_eq!(paths(a), paths(b));
    }
    assert!(groups::page(&conn, &user, 100, 20)?.is_empty());

    let s = groups::summary(&conn, &user)?;
    assert_eq!(s.group_count, 45);
    assert_eq!(
        s.reclaimable_bytes,
        all.iter().map(groups::Group::wasted).sum::<u64>()
    );
    let copies: u64 = all.iter().map(|g| g.files.len() as u64 - 1).sum();
    assert_eq!(s.duplicate_copies, copies);
    Ok(())
}

/// What the duplicates view filters and sorts on is each group's own: its members' distinct
/// names lower-cased, the extension of its first member by path, its newest member's time, and
/// its counts, whether three copies or two share the key, alongside files with no group.
#[test]
fn a_regrouping_describes_each_group_by_its_members() -> TestResult {
    let dir = tempfile::tempdir()?;
    let mut conn = super::support::db(dir.path())?;
    let user = UserId::local();
    let file = |id: &str, path: &str, size: u64, mtime: i64, hash: Option<&str>| {
        crate::support::drive_file(id, path, size, mtime, hash)
    };
    let mut items = vec![
        file("z", "/z/Photo.JPG", 300, 500, Some("h1"))?,
        file("b", "/b/photo.jpg", 300, 100, Some("h1"))?,
        file("m", "/m/Scan.PNG", 300, 900, Some("h1"))?,
        file("c", "/c/report.PDF", 70, 40, Some("h2"))?,
        file("a", "/a/Copy of report.txt", 70, 30, Some("h2"))?,
        file("s", "/s/same-hash-other-size.txt", 71, 10, Some("h2"))?,
        file("u", "/u/unhashed.txt", 70, 20, None)?,
    ];
    // Enough more groups that they are written by several statements.
    for g in 0..300 {
        for c in 0..2 {
            let path = format!("/pairs/{g}-{c}.bin");
            items.push(file(
                &format!("p{g}-{c}"),
                &path,
                9,
                1,
                Some(&format!("p{g:03}")),
            )?);
        }
    }
    files::apply_listing(&mut conn, &user, &Source::GDrive, &listing(items))?;
    groups::recompute(&mut conn, &user)?;
    let s = groups::summary(&conn, &user)?;
    assert_eq!(
        (s.group_count, s.reclaimable_bytes, s.duplicate_copies),
        (302, 600 + 70 + 300 * 9, 2 + 1 + 300)
    );
    let pairs: i64 = conn.one(
        "SELECT count(*) FROM dup_group_files gf JOIN dup_groups g ON g.id = gf.group_id \
         WHERE g.hash LIKE 'p%' AND g.file_count = 2 AND g.wasted = 9",
        &[],
    )?;
    assert_eq!(pairs, 600);
    let described: Vec<(String, i64, i64, String, String, i64)> = conn.rows(
        "SELECT hash, file_count, wasted, names, ext, newest_ns FROM dup_groups \
         WHERE user_id = ?1 AND hash LIKE 'h%' ORDER BY hash",
        declutter_core::platform_db::vals![user.as_str()],
        |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        },
    )?;
    // The names' order is not part of it: only whether `/name/` is in.
    let described: Vec<_> = described
        .into_iter()
        .map(|(hash, count, wasted, names, ext, newest)| {
            let mut each: Vec<&str> = names.split('/').collect();
            each.sort_unstable();
            (hash, count, wasted, each.join("/"), ext, newest)
        })
        .collect();
    assert_eq!(
        described,
        vec![
            (
                "h1".to_owned(),
                3,
                600,
                "//photo.jpg/scan.png".to_owned(),
                "jpg".to_owned(),
                900
            ),
            (
                "h2".to_owned(),
                2,
                70,
                "//copy of report.txt/report.pdf".to_owned(),
                "txt".to_owned(),
                40
            ),
        ]
    );
    Ok(())
}

#[test]
fn summary_follows_deleted_files() -> TestResult {
    let dir = tempfile::tempdir()?;
    let mut conn = super::support::db(dir.path())?;
    let user = UserId::local();
    seed(&mut conn, &user)?;
    // A full rescan without group 0's second copy (2 copies) drops the group below two members.
    let mut items = Vec::new();
    for g in 0..45u64 {
        for c in 0..(g % 4 + 2) {
            if (g, c) != (0, 1) {
                let path = format!("/g{g}/copy{c}.JPG");
                items.push(item(
                    &format!("{g}-{c}"),
                    &path,
                    (g % 7 + 1) * 100,
                    Some(&format!("h{g}")),
                )?);
            }
        }
    }
    files::apply_listing(&mut conn, &user, &Source::GDrive, &listing(items))?;
    let all = groups::list(&conn, &user)?;
    assert_eq!(all.len(), 44);
    let s = groups::summary(&conn, &user)?;
    assert_eq!(s.group_count, 44);
    assert_eq!(
        s.reclaimable_bytes,
        all.iter().map(groups::Group::wasted).sum::<u64>()
    );
    let first = groups::page(&conn, &user, 0, 100)?;
    assert_eq!(first.len(), 44);
    // Recomputing drops and rebuilds every group; the totals must come out the same.
    groups::recompute(&mut conn, &user)?;
    assert_eq!(groups::summary(&conn, &user)?, s);
    assert_eq!(groups::list(&conn, &user)?.len(), 44);
    // Another owner's groups never leak into this one's totals.
    let other = UserId::from_str("someone-else")?;
    assert_eq!(groups::summary(&conn, &other)?, groups::Summary::default());
    Ok(())
}

/// A regrouping sets its triggers aside only while it writes: a change later in its own
/// transaction keeps the totals and the view's version as it would after the commit.
#[test]
fn the_counts_follow_changes_made_after_a_regrouping_in_its_transaction() -> TestResult {
    use declutter_core::platform_db::sql::Lock;
    let dir = tempfile::tempdir()?;
    let mut conn = super::support::db(dir.path())?;
    let user = UserId::local();
    seed(&mut conn, &user)?;
    let before = groups::summary(&conn, &user)?;
    assert_eq!(before.group_count, 45);
    let tx = conn.transaction(Lock::None)?;
    groups::recompute_in(&*tx, &user)?;
    let version = groups::view_version(&*tx, &user)?;
    // Group 0 has two copies: without one it is no longer a group.
    tx.execute("DELETE FROM files WHERE item_id = '0-0'", [])?;
    assert!(groups::view_version(&*tx, &user)? > version);
    tx.commit()?;
    let after = groups::summary(&conn, &user)?;
    assert_eq!(after.group_count, 44);
    assert_eq!(after.reclaimable_bytes, before.reclaimable_bytes - 100);
    // What a regrouping from scratch finds.
    groups::recompute(&mut conn, &user)?;
    assert_eq!(groups::summary(&conn, &user)?, after);
    Ok(())
}

#[test]
fn usage_sums_per_source_and_extension() -> TestResult {
    let dir = tempfile::tempdir()?;
    let mut conn = super::support::db(dir.path())?;
    let user = UserId::local();
    seed(&mut conn, &user)?;
    let rows = files::usage(&conn, &user)?;
    let exts: Vec<&str> = rows.iter().map(|r| r.extension.as_str()).collect();
    assert_eq!(exts, ["", "jpg", "txt"]);
    assert_eq!((rows[0].files, rows[0].bytes), (1, 7));
    assert_eq!((rows[2].files, rows[2].bytes), (1, 5));
    let all = files::all(&conn, &user, None)?;
    assert_eq!(rows[1].files, all.len() as u64 - 2);
    assert_eq!(rows[1].bytes, all.iter().map(|f| f.size).sum::<u64>() - 12);
    assert!(rows.iter().all(|r| r.source == "gdrive:"));
    Ok(())
}

#[test]
fn usage_extension_is_the_text_after_the_last_dot() -> TestResult {
    let dir = tempfile::tempdir()?;
    let mut conn = super::support::db(dir.path())?;
    let user = UserId::local();
    let names = [
        "/x.tar.GZ",
        "/.bashrc",
        "/trail.",
        "/Ünï.cödé.Pdf",
        "/noext",
    ];
    let items = names
        .iter()
        .enumerate()
        .map(|(i, p)| item(&format!("i{i}"), p, 1, None))
        .collect::<Result<Vec<_>, _>>()?;
    files::apply_listing(&mut conn, &user, &Source::GDrive, &listing(items))?;
    let exts: Vec<String> = files::usage(&conn, &user)?
        .into_iter()
        .map(|r| r.extension)
        .collect();
    assert_eq!(exts, ["", "bashrc", "gz", "pdf"]);
    Ok(())
}

#[test]
fn the_view_version_follows_every_change_the_duplicates_view_shows() -> TestResult {
    let dir = tempfile::tempdir()?;
    let mut conn = super::support::db(dir.path())?;
    let user = UserId::local();
    assert_eq!(groups::view_version(&conn, &user)?, 0);
    seed(&mut conn, &user)?;
    let seeded = groups::view_version(&conn, &user)?;
    assert!(seeded > 0, "grouping changed the view");

    // Recomputing unchanged groups may rewrite them; reading never changes the version.
    groups::page(&conn, &user, 0, 20)?;
    groups::summary(&conn, &user)?;
    let before = groups::view_version(&conn, &user)?;
    assert_eq!(groups::view_version(&conn, &user)?, before);

    // A file outside every group: not shown, no change.
    conn.execute(
        "UPDATE files SET modified_ns = 99 WHERE item_id = 'single'",
        [],
    )?;
    assert_eq!(groups::view_version(&conn, &user)?, before);

    // A grouped file renamed: shown, so the version moves.
    conn.execute(
        "UPDATE files SET path = '/g0/renamed.JPG' WHERE item_id = '0-0'",
        [],
    )?;
    let renamed = groups::view_version(&conn, &user)?;
    assert!(renamed > before);

    // A member removed (its group shrinks) and a group removed.
    conn.execute("DELETE FROM files WHERE item_id = '1-0'", [])?;
    let shrunk = groups::view_version(&conn, &user)?;
    assert!(shrunk > renamed);
    conn.execute(
        "DELETE FROM dup_groups WHERE id = (SELECT min(id) FROM dup_groups)",
        [],
    )?;
    assert!(groups::view_version(&conn, &user)? > shrunk);

    // A regrouping writes every group again (new ids): the version moves, and again.
    for _ in 0..2 {
        let prior = groups::view_version(&conn, &user)?;
        groups::recompute(&mut conn, &user)?;
        assert!(groups::view_version(&conn, &user)? > prior);
    }

    // Another owner's changes leave this owner's version alone.
    let other = UserId::from_str("00000000-0000-4000-8000-000000000002")?;
    let mine = groups::view_version(&conn, &user)?;
    seed(&mut conn, &other)?;
    assert_eq!(groups::view_version(&conn, &user)?, mine);
    assert!(groups::view_version(&conn, &other)? > 0);
    Ok(())
}

/// A delta applies in order whatever the batching (PostgreSQL sends upserts 500 rows at a
/// time): an item upserted twice keeps its last version, one removed and listed again comes
/// back, one listed then removed is gone, and over a thousand rows all land.
#[test]
fn a_delta_applies_in_order_across_batches() -> TestResult {
    use declutter_core::provider::Change;
    let dir = tempfile::tempdir()?;
    let mut conn = super::support::db(dir.path())?;
    let user = UserId::local();
    let many: Vec<Item> = (0..1_203)
        .map(|i| item(&format!("f{i}"), &format!("/f{i}.bin"), 10 + i, Some("h")))
        .collect::<Result<_, _>>()?;
    files::apply_listing(&mut conn, &user, &Source::GDrive, &listing(many))?;
    // Within one batch: an item twice, one listed then removed, one removed then listed.
    let mut changes = vec![
        Change::Upsert(item("twice", "/first.bin", 1, None)?),
        Change::Upsert(item("twice", "/second.bin", 4, None)?),
        Change::Upsert(item("gone", "/gone.bin", 3, None)?),
        Change::Removed(std::str::FromStr::from_str("gone")?),
        Change::Removed(std::str::FromStr::from_str("f1")?),
        Change::Upsert(item("f1", "/back.bin", 2, None)?),
    ];
    changes.extend(
        (0..700)
            .map(|i| item(&format!("n{i}"), &format!("/n{i}.bin"), 5, None).map(Change::Upsert))
            .collect::<Result<Vec<_>, _>>()?,
    );
    let delta = Listing {
        full: false,
        changes,
        ..Listing::default()
    };
    files::apply_listing(&mut conn, &user, &Source::GDrive, &delta)?;
    let path_of = |id: &str| -> Result<Option<String>, Box<dyn std::error::Error>> {
        Ok(conn
            .rows(
                "SELECT path FROM files WHERE item_id = ?1",
                declutter_core::platform_db::vals![id],
                |r| r.get(0),
            )?
            .pop())
    };
    assert_eq!(path_of("twice")?.as_deref(), Some("/second.bin"));
    assert_eq!(path_of("f1")?.as_deref(), Some("/back.bin"));
    assert_eq!(path_of("gone")?, None);
    assert_eq!(path_of("n699")?.as_deref(), Some("/n699.bin"));
    let n: i64 = conn.one("SELECT count(*) FROM files", &[])?;
    assert_eq!(n, 1_203 + 1 + 700);
    Ok(())
}

/// The paths a full listing is written with (computed from its staged parent links) are the
/// ones the stored rows give (rebuilt after a delta): nested folders listed children first, an
/// item whose parent is not listed. (`listing::streamed_listings_leave_the_index_the_model_predicts`
/// checks cycles too.)
#[test]
fn a_full_listings_paths_are_the_stored_rows_paths() -> TestResult {
    use declutter_core::provider::Change;
    let dir = tempfile::tempdir()?;
    let mut conn = super::support::db(dir.path())?;
    let user = UserId::local();
    let node =
        |id: &str, parent: Option<&str>, name: &str| -> Result<Item, Box<dyn std::error::Error>> {
            let mut it = item(id, &format!("/as-listed/{name}"), 1, None)?;
            it.name = name.to_owned();
            it.parent_id = parent.map(std::str::FromStr::from_str).transpose()?;
            Ok(it)
        };
    let items = vec![
        node("leaf", Some("mid"), "leaf.txt")?,
        node("mid", Some("top"), "Mid")?,
        node("top", None, "Top")?,
        node("orphan", Some("not-listed"), "orphan.txt")?,
    ];
    files::apply_listing(&mut conn, &user, &Source::GDrive, &listing(items))?;
    let paths = |conn: &dyn declutter_core::platform_db::sql::Db| {
        conn.rows(
            "SELECT item_id, path FROM files ORDER BY item_id",
            &[],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
        )
    };
    let written = paths(&conn)?;
    assert!(
        written.contains(&("leaf".into(), "/Top/Mid/leaf.txt".into())),
        "{written:?}"
    );
    assert!(
        written.contains(&("orphan".into(), "/orphan.txt".into())),
        "{written:?}"
    );
    // A delta that changes nothing of these nodes makes the store recompute every path.
    let delta = Listing {
        full: false,
        changes: vec![Change::Upsert(node("new", Some("top"), "new.txt")?)],
        ..Listing::default()
    };
    files::apply_listing(&mut conn, &user, &Source::GDrive, &delta)?;
    let recomputed: Vec<_> = paths(&conn)?
        .into_iter()
        .filter(|(id, _)| id != "new")
        .collect();
    assert_eq!(recomputed, written);
    Ok(())
}
