//! Incremental local rescans: a rescan after any mix of changes groups exactly like a scan of
//! the same tree into an empty database, and a rescan of an unchanged tree writes no row and
//! hashes nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use declutter_core::engine::scan::scan_local;
use declutter_core::ids::UserId;
use declutter_core::local::WalkOptions;
use declutter_core::platform_db::sql::{Db, DbExt as _, RusqliteLike as _};
use declutter_core::progress::Progress;
use declutter_core::store::groups;
use proptest::prelude::*;

use crate::support::{TestResult, bytes, db, scan_folder, write};

type Sets = BTreeSet<BTreeSet<String>>;

fn group_paths(conn: &dyn Db) -> Result<Sets, Box<dyn std::error::Error>> {
    Ok(groups::list(conn, &UserId::local())?
        .into_iter()
        .map(|g| g.files.into_iter().map(|f| f.path).collect())
        .collect())
}

/// The groups the tree really has: files of equal, non-empty content.
fn truth(files: &BTreeMap<PathBuf, Vec<u8>>) -> Sets {
    let mut by: BTreeMap<&[u8], BTreeSet<String>> = BTreeMap::new();
    for (p, c) in files.iter().filter(|(_, c)| !c.is_empty()) {
        by.entry(c).or_default().insert(p.display().to_string());
    }
    by.into_values().filter(|s| s.len() > 1).collect()
}

/// Contents built to collide: the same few sizes, variants differing in one middle byte
/// (head and tail equal), some tiny enough to be read whole.
fn content(kind: usize) -> Vec<u8> {
    let (len, seed, flip) = [
        (20_000, 1, None),
        (20_000, 1, Some(10_000)),
        (20_000, 2, None),
        (100, 3, None),
        (100, 4, None),
        (0, 0, None),
    ][kind % 6];
    let mut c = bytes(seed, len);
    if let Some(i) = flip {
        c[i] ^= 0xff;
    }
    c
}

#[derive(Debug, Clone)]
enum Op {
    Add(usize, usize),
    Remove(usize),
    Rewrite(usize, usize),
    Rename(usize, usize),
}

/// Rounds of changes, each rescanned keeping at most this many rows in memory (none: every
/// entry is looked up; a few: the source's rows are read only while it is small; all).
fn ops() -> impl Strategy<Value = Vec<(Vec<Op>, usize)>> {
    let op = prop_oneof![
        (0usize..12, 0usize..6).prop_map(|(n, k)| Op::Add(n, k)),
        (0usize..12).prop_map(Op::Remove),
        (0usize..12, 0usize..6).prop_map(|(n, k)| Op::Rewrite(n, k)),
        (0usize..12, 0usize..12).prop_map(|(a, b)| Op::Rename(a, b)),
    ];
    let limit = prop_oneof![Just(0), Just(12), Just(usize::MAX)];
    prop::collection::vec((prop::collection::vec(op, 1..6), limit), 1..4)
}

fn name(root: &Path, n: usize) -> PathBuf {
    root.join(format!("d{}", n % 3)).join(format!("f{n}.bin"))
}

fn apply_op(
    root: &Path,
    files: &mut BTreeMap<PathBuf, Vec<u8>>,
    op: &Op,
    tick: &mut u64,
) -> Result<(), Box<dyn std::error::Error>> {
    *tick += 1;
    // Every write gets a distinct mtime, as a real edit seconds apart would.
    let stamp = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + *tick);
    let put = |p: &Path, c: &[u8]| -> Result<(), Box<dyn std::error::Error>> {
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(p, c)?;
        std::fs::File::options()
            .write(true)
            .open(p)?
            .set_modified(stamp)?;
        Ok(())
    };
    match *op {
        Op::Add(n, k) | Op::Rewrite(n, k) => {
            let p = name(root, n);
            if matches!(op, Op::Rewrite(..)) && !files.contains_key(&p) {
                return Ok(());
            }
            let c = content(k);
            put(&p, &c)?;
            files.insert(p, c);
        }
        Op::Remove(n) => {
            let p = name(root, n);
            if files.remove(&p).is_some() {
                std::fs::remove_file(&p)?;
            }
        }
        Op::Rename(a, b) => {
            let (from, to) = (name(root, a), name(root, b));
            if from != to
                && let Some(c) = files.remove(&from)
            {
                if let Some(parent) = to.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                std::fs::rename(&from, &to)?;
                files.insert(to, c);
            }
        }
    }
    Ok(())
}

async fn rescans_match_fresh_scans(rounds: Vec<(Vec<Op>, usize)>) -> TestResult {
    let dir = tempfile::tempdir()?;
    let root = dir.path().join("tree");
    let mut files = BTreeMap::new();
    let mut tick = 0;
    for n in 0..8 {
        apply_op(&root, &mut files, &Op::Add(n, n), &mut tick)?;
    }
    let mut conn = db(dir.path())?;
    scan_folder(&mut conn, &root).await?;
    assert_eq!(group_paths(&conn)?, truth(&files));
    for (i, (round, held_rows)) in rounds.iter().enumerate() {
        for op in round {
            apply_op(&root, &mut files, op, &mut tick)?;
        }
        let options = WalkOptions {
            held_rows: *held_rows,
            ..WalkOptions::default()
        };
        scan_local(
            &mut conn,
            &UserId::local(),
            &root,
            options,
            Arc::new(declutter_core::progress::NoProgress),
        )
        .await?;
        let fresh_dir = dir.path().join(format!("fresh{i}"));
        std::fs::create_dir_all(&fresh_dir)?;
        let mut fresh = db(&fresh_dir)?;
        scan_folder(&mut fresh, &root).await?;
        let want = truth(&files);
        assert_eq!(group_paths(&fresh)?, want, "fresh scan after {round:?}");
        assert_eq!(
            group_paths(&conn)?,
            want,
            "rescan after {round:?} keeping {held_rows} rows"
        );
    }
    Ok(())
}

/// Folders scanned one after another, each for the first time, each holding some, none or
/// all of its new rows to hash them before writing: after every scan, the groups are the
/// groups of the contents scanned so far, across folders.
async fn first_scans_group_like_the_truth(
    layout: Vec<(usize, usize)>,
    held: [usize; 3],
) -> TestResult {
    let dir = tempfile::tempdir()?;
    let folders: Vec<PathBuf> = ["a", "b", "c"]
        .iter()
        .map(|f| dir.path().join("tree").join(f))
        .collect();
    let mut files = BTreeMap::new();
    for (i, &(folder, kind)) in layout.iter().enumerate() {
        let p = folders[folder]
            .join(format!("d{}", i % 2))
            .join(format!("f{i}.bin"));
        let c = content(kind);
        write(&folders[folder], &format!("d{}/f{i}.bin", i % 2), &c)?;
        files.insert(p, c);
    }
    let mut conn = db(dir.path())?;
    for (k, folder) in folders.iter().enumerate() {
        std::fs::create_dir_all(folder)?;
        let options = WalkOptions {
            held_rows: held[k],
            ..WalkOptions::default()
        };
        let summary = scan_local(
            &mut conn,
            &UserId::local(),
            folder,
            options,
            Arc::new(declutter_core::progress::NoProgress),
        )
        .await?;
        assert!(summary.issues.is_empty(), "{:?}", summary.issues);
        let scanned: BTreeMap<PathBuf, Vec<u8>> = files
            .iter()
            .filter(|(p, _)| folders[..=k].iter().any(|f| p.starts_with(f)))
            .map(|(p, c)| (p.clone(), c.clone()))
            .collect();
        assert_eq!(
            group_paths(&conn)?,
            truth(&scanned),
            "after the first scan of {} holding {} rows",
            folder.display(),
            held[k]
        );
    }
    Ok(())
}

fn layouts() -> impl Strategy<Value = Vec<(usize, usize)>> {
    prop::collection::vec((0usize..3, 0usize..6), 1..16)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn incremental_rescans_group_like_a_fresh_scan(rounds in ops()) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        rt.block_on(rescans_match_fresh_scans(rounds))
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
    }

    #[test]
    fn first_scans_of_several_folders_group_like_the_truth(
        layout in layouts(),
        held in prop::array::uniform3(0usize..7)
            .prop_map(|h| h.map(|n| if n == 6 { usize::MAX } else { n })),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        rt.block_on(first_scans_group_like_the_truth(layout, held))
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
    }
}

/// Records the phases a scan goes through.
#[derive(Default)]
struct Phases(Mutex<Vec<String>>);

impl Progress for Phases {
    fn phase(&self, name: &str, _total: Option<u64>) {
        if let Ok(mut p) = self.0.lock() {
            p.push(name.to_owned());
        }
    }
    fn advance(&self, _n: u64) {}
}

fn fingerprint(conn: &dyn Db) -> Result<(i64, i64, i64), Box<dyn std::error::Error>> {
    Ok(conn.query_row(
        "SELECT (SELECT max(scan_id) FROM files), (SELECT count(*) FROM hash_cache), \
         (SELECT count(*) FROM dup_groups)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?)
}

#[tokio::test]
async fn warm_rescan_writes_no_row_and_hashes_nothing() -> TestResult {
    let dir = tempfile::tempdir()?;
    let root = dir.path().join("tree");
    for i in 0..40u64 {
        write(&root, &format!("a/{i}.bin"), &bytes(i % 10, 9000))?;
    }
    let mut conn = db(dir.path())?;
    let user = UserId::local();
    let cold = Arc::new(Phases::default());
    scan_local(
        &mut conn,
        &user,
        &root,
        WalkOptions::default(),
        cold.clone(),
    )
    .await?;
    assert!(
        cold.0
            .lock()
            .map_err(|e| e.to_string())?
            .iter()
            .any(|p| p == "hashing"),
        "the cold scan hashes"
    );
    let before = fingerprint(&conn)?;
    let groups_before = group_paths(&conn)?;
    assert_eq!(groups_before.len(), 10);
    let warm = Arc::new(Phases::default());
    let summary = scan_local(
        &mut conn,
        &user,
        &root,
        WalkOptions::default(),
        warm.clone(),
    )
    .await?;
    assert_eq!(summary.changes, 41, "40 files and a folder listed");
    assert_eq!(summary.indexed, 41, "every row kept");
    assert_eq!(
        *warm.0.lock().map_err(|e| e.to_string())?,
        vec!["walking".to_owned()],
        "no hashing, no regrouping"
    );
    assert_eq!(
        fingerprint(&conn)?,
        before,
        "no file row, cache entry or group rewritten"
    );
    assert_eq!(group_paths(&conn)?, groups_before);
    Ok(())
}

#[tokio::test]
async fn a_moved_file_keeps_its_hashes_and_a_cold_scan_caches_nothing() -> TestResult {
    let dir = tempfile::tempdir()?;
    let root = dir.path().join("tree");
    let content = bytes(7, 50_000);
    write(&root, "a/one.bin", &content)?;
    let two = write(&root, "a/two.bin", &content)?;
    let mut conn = db(dir.path())?;
    scan_folder(&mut conn, &root).await?;
    let cached = |conn: &dyn Db| -> Result<i64, Box<dyn std::error::Error>> {
        Ok(conn.query_row("SELECT count(*) FROM hash_cache", [], |r| r.get(0))?)
    };
    assert_eq!(cached(&conn)?, 0, "the hashes live in the rows only");

    // Moved, then rewritten in place with other bytes of the same size and the same mtime:
    // a scan that read it again would no longer group it. The cache contract (same inode,
    // size and mtime: same contents) keeps it grouped, which shows it was not read.
    let moved = root.join("b/three.bin");
    std::fs::create_dir_all(root.join("b"))?;
    std::fs::rename(&two, &moved)?;
    let mtime = std::fs::metadata(&moved)?.modified()?;
    let file = std::fs::OpenOptions::new().write(true).open(&moved)?;
    std::io::Write::write_all(&mut &file, &bytes(8, 50_000))?;
    file.set_modified(mtime)?;
    drop(file);
    scan_folder(&mut conn, &root).await?;
    assert_eq!(
        cached(&conn)?,
        1,
        "the row that left the index kept its hashes"
    );
    let groups = group_paths(&conn)?;
    let expected: Sets = [[root.join("a/one.bin"), moved]
        .iter()
        .map(|p| p.display().to_string())
        .collect()]
    .into();
    assert_eq!(groups, expected);

    // Entries unused past the keep time are dropped by the next scan; recent ones stay.
    let stored_at = |conn: &dyn Db| -> Result<Vec<i64>, Box<dyn std::error::Error>> {
        let mut stmt = conn.prepare("SELECT stored_at FROM hash_cache ORDER BY stored_at")?;
        let v = stmt
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(v)
    };
    let kept = stored_at(&conn)?;
    let now = declutter_core::db::now();
    assert!(
        kept.iter().all(|&t| (now - 60..=now).contains(&t)),
        "{kept:?}"
    );
    let old = now - declutter_core::store::cache::KEEP_SECS - 60;
    conn.execute(
        "INSERT INTO hash_cache (dev, ino, size, mtime_ns, \"full\", stored_at) VALUES (0, 1, 5, 5, 'x', ?1)",
        [old],
    )?;
    scan_folder(&mut conn, &root).await?;
    assert_eq!(
        stored_at(&conn)?,
        kept,
        "the old entry went, the recent one stayed"
    );
    Ok(())
}

#[tokio::test]
async fn the_page_cache_setting_is_restored_after_a_scan() -> TestResult {
    let dir = tempfile::tempdir()?;
    let root = dir.path().join("tree");
    write(&root, "a.bin", b"x")?;
    let mut conn = db(dir.path())?;
    if crate::support::on_postgres() {
        // A SQLite setting: nothing to restore on PostgreSQL.
        return Ok(());
    }
    conn.batch("PRAGMA cache_size = -1234")?;
    scan_folder(&mut conn, &root).await?;
    let size: i64 = conn.one("PRAGMA cache_size", &[])?;
    assert_eq!(size, -1234);
    Ok(())
}

#[tokio::test]
async fn a_folder_larger_than_a_walk_batch_is_indexed_whole_and_rescanned_in_place() -> TestResult {
    let dir = tempfile::tempdir()?;
    let root = dir.path().join("tree");
    std::fs::create_dir_all(&root)?;
    for i in 0..5000u32 {
        std::fs::write(root.join(format!("{i:05}.txt")), i.to_le_bytes())?;
    }
    let mut conn = db(dir.path())?;
    let first = scan_folder(&mut conn, &root).await?;
    assert_eq!((first.changes, first.indexed), (5000, 5000));
    std::fs::remove_file(root.join("00042.txt"))?;
    let second = scan_folder(&mut conn, &root).await?;
    assert_eq!((second.changes, second.indexed), (4999, 4999));
    Ok(())
}
