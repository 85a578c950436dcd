//! Local scans of generated trees with known duplicates.

use declutter_core::platform_db::sql::{Db, RusqliteLike as _};
use std::collections::BTreeSet;
use std::sync::Arc;

use declutter_core::engine::scan::scan_local;
use declutter_core::ids::UserId;
use declutter_core::local::WalkOptions;
use declutter_core::progress::NoProgress;
use declutter_core::store::groups;

use crate::support::{TestDb, TestResult, bytes, db, scan_folder, write};

fn group_sets(conn: &dyn Db) -> Result<BTreeSet<BTreeSet<String>>, Box<dyn std::error::Error>> {
    let user = UserId::local();
    Ok(groups::list(conn, &user)?
        .into_iter()
        .map(|g| g.files.into_iter().map(|f| f.name).collect())
        .collect())
}

#[tokio::test]
async fn generated_tree_groups_exactly_the_known_duplicates() -> TestResult {
    let dir = tempfile::tempdir()?;
    let root = dir.path().join("tree");
    let mut expected = BTreeSet::new();
    // 30 originals of varied sizes (some tiny, some larger than both partial-hash windows);
    // every third has 1-3 copies elsewhere in the tree.
    for i in 0..30u64 {
        let len = [1usize, 100, 4096, 8192, 8193, 70_000][usize::try_from(i % 6)?];
        let content = bytes(i, len);
        write(&root, &format!("orig/f{i}.bin"), &content)?;
        if i % 3 == 0 {
            let mut set = BTreeSet::from([format!("f{i}.bin")]);
            for c in 0..=(i % 3 + i % 2) {
                let name = format!("copy{c}-f{i}.bin");
                write(&root, &format!("dup/{c}/{name}"), &content)?;
                set.insert(name);
            }
            expected.insert(set);
        }
    }
    // Same size and same head and tail, different middle: must not be grouped.
    let mut a = bytes(99, 20_000);
    write(&root, "tricky/a.bin", &a)?;
    a[10_000] ^= 0xff;
    write(&root, "tricky/b.bin", &a)?;
    // Empty files are clutter, not duplicates.
    write(&root, "e1", b"")?;
    write(&root, "e2", b"")?;
    let mut conn = db(dir.path())?;
    let summary = scan_folder(&mut conn, &root).await?;
    assert!(summary.issues.is_empty(), "{:?}", summary.issues);
    assert_eq!(group_sets(&conn)?, expected);
    Ok(())
}

#[tokio::test]
async fn hard_links_are_one_file_and_symlinks_are_not_followed() -> TestResult {
    let dir = tempfile::tempdir()?;
    let root = dir.path().join("tree");
    let content = bytes(7, 10_000);
    let a = write(&root, "a.bin", &content)?;
    std::fs::hard_link(&a, root.join("a-link.bin"))?;
    std::os::unix::fs::symlink(&a, root.join("a-sym.bin"))?;
    let outside = write(dir.path(), "outside/o.bin", &content)?;
    std::os::unix::fs::symlink(
        outside.parent().ok_or("no parent")?,
        root.join("outside-dir"),
    )?;
    let mut conn = db(dir.path())?;
    let user = UserId::local();
    scan_folder(&mut conn, &root).await?;
    assert!(
        group_sets(&conn)?.is_empty(),
        "a hard link is not a duplicate; symlinks are not followed"
    );

    let followed = WalkOptions {
        follow_symlinks: true,
        ..WalkOptions::default()
    };
    let summary = scan_local(&mut conn, &user, &root, followed, Arc::new(NoProgress)).await?;
    // Followed links stay inside the source: the folder link to the outside copy is reported,
    // never walked, and the file link inside the root is the same physical file as its target.
    assert!(group_sets(&conn)?.is_empty(), "{:?}", group_sets(&conn)?);
    assert!(
        summary
            .issues
            .iter()
            .any(|i| i.kind == "outside" && i.path.ends_with("outside-dir")),
        "{:?}",
        summary.issues
    );
    Ok(())
}

#[tokio::test]
async fn odd_names_and_unreadable_folders_are_reported_and_the_scan_goes_on() -> TestResult {
    use std::os::unix::ffi::OsStrExt as _;
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir()?;
    let root = dir.path().join("tree");
    let content = bytes(3, 5000);
    write(&root, "ok.bin", &content)?;
    let odd = root.join(std::ffi::OsStr::from_bytes(b"caf\xe9.bin"));
    std::fs::write(&odd, &content)?;
    let locked = root.join("locked");
    std::fs::create_dir_all(&locked)?;
    write(&locked, "hidden.bin", &content)?;
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000))?;
    let mut conn = db(dir.path())?;
    let user = UserId::local();
    let summary = scan_folder(&mut conn, &root).await?;
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755))?;
    assert!(
        summary.issues.iter().any(|i| i.kind == "non_utf8"),
        "{:?}",
        summary.issues
    );
    // Root ignores permissions; only an unprivileged run can meet the permission error.
    let is_root = uid_is_root();
    if !is_root {
        assert!(
            summary.issues.iter().any(|i| i.kind == "permission"),
            "{:?}",
            summary.issues
        );
    }
    // The odd name is indexed losslessly and grouped with its twin.
    let gs = groups::list(&conn, &user)?;
    assert_eq!(gs.len(), 1);
    assert!(gs[0].files.iter().any(|f| f.item_id.starts_with("raw:")));
    Ok(())
}

fn uid_is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .map(|s| {
            s.lines()
                .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

#[tokio::test]
async fn warm_rescan_reads_no_content() -> TestResult {
    let dir = tempfile::tempdir()?;
    let root = dir.path().join("tree");
    let content = bytes(11, 50_000);
    let a = write(&root, "a.bin", &content)?;
    write(&root, "b.bin", &content)?;
    let mut conn = db(dir.path())?;
    scan_folder(&mut conn, &root).await?;
    assert_eq!(group_sets(&conn)?.len(), 1);
    // Change a's middle but keep its size and mtime: only a scan that reads content notices.
    let mtime = std::fs::metadata(&a)?.modified()?;
    let mut changed = content.clone();
    changed[25_000] ^= 1;
    std::fs::write(&a, &changed)?;
    std::fs::File::options()
        .write(true)
        .open(&a)?
        .set_modified(mtime)?;
    scan_folder(&mut conn, &root).await?;
    assert_eq!(
        group_sets(&conn)?.len(),
        1,
        "the warm rescan used the cache and read nothing"
    );
    // A real change of mtime invalidates the entry.
    std::fs::File::options()
        .write(true)
        .open(&a)?
        .set_modified(mtime + std::time::Duration::from_secs(5))?;
    scan_folder(&mut conn, &root).await?;
    assert!(group_sets(&conn)?.is_empty());
    Ok(())
}

#[tokio::test]
async fn vanished_files_are_reported_by_the_hasher() -> TestResult {
    use declutter_core::local::hashing::{Candidate, HashCache, full_hashes};
    let dir = tempfile::tempdir()?;
    let gone = dir.path().join("gone.bin");
    let here = write(dir.path(), "here.bin", &bytes(1, 10_000))?;
    let cands = vec![
        Candidate {
            path: &gone,
            size: 10_000,
            mtime_ns: 0,
            key: (1, 1),
        },
        Candidate {
            path: &here,
            size: 10_000,
            mtime_ns: 0,
            key: (1, 2),
        },
    ];
    let root = declutter_core::local::confined::Root::open(dir.path())?;
    let out = full_hashes(&root, &cands, &HashCache::new(), &NoProgress);
    assert_eq!(out.issues.len(), 1);
    assert_eq!(out.issues[0].kind, "vanished");
    assert!(
        out.full.is_empty(),
        "a lone survivor has nothing to be compared with"
    );
    Ok(())
}

/// A progress that acts when the scan enters the phase `at`.
struct AtPhase<F: Fn() + Send + Sync> {
    at: &'static str,
    then: F,
}

impl<F: Fn() + Send + Sync> declutter_core::progress::Progress for AtPhase<F> {
    fn phase(&self, name: &str, _total: Option<u64>) {
        if name == self.at {
            (self.then)();
        }
    }
    fn advance(&self, _n: u64) {}
}

/// Whether another connection gets the write lock at once (a web app signing someone in
/// while a scan reads contents).
fn another_writer_gets_the_lock(path: &std::path::Path) -> bool {
    if crate::support::on_postgres() {
        crate::support::open(path).is_ok_and(|other| {
            other
                .batch("CREATE TABLE IF NOT EXISTS other_writer (x BIGINT)")
                .is_ok()
        })
    } else {
        // SQLite's one writer: another connection must get the write lock at once.
        declutter_core::platform_db::rusqlite::Connection::open(path).is_ok_and(|other| {
            other.busy_timeout(std::time::Duration::ZERO).is_ok()
                && other
                    .execute_batch(
                        "BEGIN IMMEDIATE; CREATE TABLE IF NOT EXISTS other_writer (x); COMMIT;",
                    )
                    .is_ok()
        })
    }
}

#[tokio::test]
async fn files_are_hashed_with_no_write_lock_held() -> TestResult {
    let dir = tempfile::tempdir()?;
    let root = dir.path().join("tree");
    write(&root, "a/one.bin", &bytes(1, 70_000))?;
    write(&root, "b/one.bin", &bytes(1, 70_000))?;
    let mut conn = db(dir.path())?;
    let path = dir.path().join("declutter.db");
    // The first scan of a folder hashes its candidates while it writes the other rows, and
    // waits for them with no lock held; a later scan hashes in its own passes.
    for (at, new_pair) in [("hashing", None), ("full hashes", Some(2))] {
        if let Some(k) = new_pair {
            write(&root, "a/two.bin", &bytes(k, 70_000))?;
            write(&root, "c/two.bin", &bytes(k, 70_000))?;
        }
        // Each time the phase begins: (times, times another writer got the lock).
        let tries = Arc::new(std::sync::Mutex::new((0, 0)));
        let seen = Arc::clone(&tries);
        let db_path = path.clone();
        let progress = AtPhase {
            at,
            then: move || {
                let ok = another_writer_gets_the_lock(&db_path);
                if let Ok(mut t) = seen.lock() {
                    t.0 += 1;
                    t.1 += u32::from(ok);
                }
            },
        };
        scan_local(
            &mut conn,
            &UserId::local(),
            &root,
            WalkOptions::default(),
            Arc::new(progress),
        )
        .await?;
        let (times, ok) = *tries.lock().map_err(|e| e.to_string())?;
        assert!(times > 0, "the scan hashed ({at})");
        assert_eq!(
            ok, times,
            "another writer was locked out while files were hashed ({at})"
        );
    }
    assert_eq!(group_sets(&conn)?.len(), 2);
    Ok(())
}

#[tokio::test]
async fn a_candidate_gone_before_a_first_scan_hashes_it_is_reported_once() -> TestResult {
    let dir = tempfile::tempdir()?;
    let root = dir.path().join("tree");
    write(&root, "a/x.bin", &bytes(1, 70_000))?;
    write(&root, "b/x.bin", &bytes(1, 70_000))?;
    let gone = write(&root, "c/y.bin", &bytes(2, 70_000))?;
    write(&root, "d/y.bin", &bytes(2, 70_000))?;
    let mut conn = db(dir.path())?;
    // Walked, then removed before its contents are read.
    let progress = AtPhase {
        at: "indexing",
        then: move || std::fs::remove_file(&gone).expect("removed"),
    };
    let summary = scan_local(
        &mut conn,
        &UserId::local(),
        &root,
        WalkOptions::default(),
        Arc::new(progress),
    )
    .await?;
    let about: Vec<_> = summary
        .issues
        .iter()
        .filter(|i| i.path.ends_with("c/y.bin"))
        .collect();
    assert_eq!(about.len(), 1, "{:?}", summary.issues);
    assert_eq!(about[0].kind, "vanished");
    assert_eq!(
        group_sets(&conn)?,
        BTreeSet::from([BTreeSet::from(["x.bin".to_owned()])]),
        "the pair is found; the lone survivor is no duplicate"
    );
    // Its row stays (the walk saw it) unexamined, and the next scan drops it.
    let unexamined: i64 = conn.query_row(
        "SELECT count(*) FROM files WHERE path LIKE '%c/y.bin' AND partial IS NULL",
        [],
        |r| r.get(0),
    )?;
    assert_eq!(unexamined, 1);
    scan_folder(&mut conn, &root).await?;
    let left: i64 = conn.query_row(
        "SELECT count(*) FROM files WHERE path LIKE '%c/y.bin'",
        [],
        |r| r.get(0),
    )?;
    assert_eq!(left, 0);
    Ok(())
}

/// Scans `root` into `conn` in a process that dies as the scan enters phase `at`.
async fn scan_dying_at(conn: &mut TestDb, root: &std::path::Path, at: &'static str) -> TestResult {
    use futures_util::FutureExt as _;
    let dies = AtPhase {
        at,
        then: || panic!("the process dies here"),
    };
    let cut = std::panic::AssertUnwindSafe(scan_local(
        conn,
        &UserId::local(),
        root,
        WalkOptions::default(),
        Arc::new(dies),
    ))
    .catch_unwind()
    .await;
    assert!(cut.is_err(), "the scan was cut off at {at}");
    Ok(())
}

#[tokio::test]
async fn a_first_scan_cut_off_after_its_walk_is_settled_by_the_next() -> TestResult {
    // The process dies once the walk committed: before its candidates are all written, or
    // once they are, before the groups are.
    for at in ["hashing", "grouping"] {
        let dir = tempfile::tempdir()?;
        let root = dir.path().join("tree");
        for i in 0..30u64 {
            // Ten sizes, three files each: two copies and one differing in its last byte.
            let mut content = bytes(i % 10, 70_000);
            if i % 3 == 0 {
                content[69_999] ^= 1;
            }
            write(&root, &format!("d{}/f{i}.bin", i % 4), &content)?;
        }
        write(&root, "lone.bin", &bytes(99, 123))?;
        let mut conn = db(dir.path())?;
        scan_dying_at(&mut conn, &root, at).await?;
        assert!(
            group_sets(&conn)?.is_empty(),
            "the groups wait for a scan's end"
        );

        let next = scan_folder(&mut conn, &root).await?;
        assert!(next.issues.is_empty(), "{:?}", next.issues);
        assert_eq!(next.indexed, 31 + 4, "every file and folder, once ({at})");
        let groups = groups::list(&conn, &UserId::local())?;
        assert_eq!(groups.len(), 10, "cut off at {at}");
        assert!(
            groups.iter().all(|g| g.files.len() == 2),
            "the differing files stay out"
        );
        let unsettled: i64 = conn.query_row("SELECT count(*) FROM unsettled", [], |r| r.get(0))?;
        assert_eq!(unsettled, 0, "the marks are cleared");
    }
    Ok(())
}

#[tokio::test]
async fn a_scan_cut_off_after_its_walk_is_settled_by_the_next() -> TestResult {
    let dir = tempfile::tempdir()?;
    let root = dir.path().join("tree");
    write(&root, "a/one.bin", &bytes(1, 9_000))?;
    write(&root, "b/one.bin", &bytes(1, 9_000))?;
    let mut conn = db(dir.path())?;
    scan_folder(&mut conn, &root).await?;
    assert_eq!(group_sets(&conn)?.len(), 1);

    // A new pair, and a scan that dies as it starts reading contents (its walk committed).
    write(&root, "a/two.bin", &bytes(2, 70_000))?;
    write(&root, "c/two.bin", &bytes(2, 70_000))?;
    scan_dying_at(&mut conn, &root, "partial hashes").await?;
    assert_eq!(
        group_sets(&conn)?.len(),
        1,
        "the groups wait for a scan's end"
    );

    // The tree has not changed since: the next scan finds nothing new in its walk, yet
    // settles what the cut-off one left and groups the new pair.
    let next = scan_folder(&mut conn, &root).await?;
    assert!(next.issues.is_empty(), "{:?}", next.issues);
    assert_eq!(group_sets(&conn)?.len(), 2);
    let unsettled: i64 = conn.query_row("SELECT count(*) FROM unsettled", [], |r| r.get(0))?;
    assert_eq!(unsettled, 0, "the marks are cleared");
    // And a scan after that one has nothing to do again.
    scan_folder(&mut conn, &root).await?;
    assert_eq!(group_sets(&conn)?.len(), 2);
    Ok(())
}

#[tokio::test]
async fn a_large_walk_refreshes_the_planner_statistics_on_postgres() -> TestResult {
    if !crate::support::on_postgres() {
        return Ok(());
    }
    let dir = tempfile::tempdir()?;
    let root = dir.path().join("tree");
    let n = usize::try_from(declutter_core::store::files::ANALYZE_AFTER_ROWS)?;
    for i in 0..n {
        write(&root, &format!("d{}/f{i}", i % 50), &[1])?;
    }
    let mut conn = db(dir.path())?;
    assert_eq!(crate::support::files_analyzed(&conn)?, 0);
    // A first scan writes a row per file: the hashing passes then plan from real statistics.
    scan_folder(&mut conn, &root).await?;
    assert_eq!(crate::support::files_analyzed(&conn)?, 1);
    // An unchanged tree writes nothing and leaves them alone.
    scan_folder(&mut conn, &root).await?;
    assert_eq!(crate::support::files_analyzed(&conn)?, 1);
    Ok(())
}
