//! The two promises, one defect class at a time: a duplicate group never loses its last live
//! copy, and nothing outside a source is ever read, moved, written or deleted. Tests named
//! `attack_*` plant what a person who can write into a scanned folder could plant; `make
//! security` runs them.

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use declutter_core::engine::apply::{ApplyOptions, ApplyReport, apply};
use declutter_core::engine::plan::{self, Base};
use declutter_core::engine::rules::KeepRules;
use declutter_core::engine::scan::scan_local;
use declutter_core::engine::trash::{self, PurgeSelection};
use declutter_core::engine::{AnyProvider, EngineError};
use declutter_core::ids::{Source, UserId};
use declutter_core::local::{LocalProvider, WalkOptions};
use declutter_core::platform_db::sql::{Conn, Db, DbExt as _, RusqliteLike as _};
use declutter_core::progress::NoProgress;
use declutter_core::provider::ProviderError;
use declutter_core::store::plans::Action;

use crate::support::{Table, TestResult, bytes, db, scan_folder, write};

fn blake3_of(path: &Path) -> Option<String> {
    std::fs::read(path)
        .ok()
        .map(|b| blake3::hash(&b).to_hex().to_string())
}

/// Every regular file below `dir` (our trash folders included or not), by path, with its hash.
pub fn tree(dir: &Path, with_trash: bool) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        let Ok(read) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in read.flatten() {
            let p = e.path();
            let Ok(t) = e.file_type() else { continue };
            if t.is_dir() {
                if with_trash || e.file_name() != ".declutter-trash" {
                    stack.push(p);
                }
            } else if t.is_file()
                && let Some(h) = blake3_of(&p)
            {
                out.insert(p, h);
            }
        }
    }
    out
}

/// Contents that have a live copy (outside any trash folder) below `dir`.
pub fn live_contents(dir: &Path) -> BTreeSet<String> {
    tree(dir, false).into_values().collect()
}

async fn apply_plan(
    conn: &mut dyn Conn,
    user: &UserId,
    plan_id: i64,
    providers: &Table,
) -> Result<ApplyReport, EngineError> {
    apply(
        conn,
        user,
        plan_id,
        providers,
        &ApplyOptions::default(),
        &NoProgress,
    )
    .await
}

fn two_sources(a: &Path, b: &Path) -> Table {
    Table::default()
        .with(
            Source::Local(a.to_owned()),
            AnyProvider::Local(LocalProvider::new(a)),
        )
        .with(
            Source::Local(b.to_owned()),
            AnyProvider::Local(LocalProvider::new(b)),
        )
}

#[tokio::test]
async fn a_folder_scanned_then_its_parent_indexes_each_file_once() -> TestResult {
    let dir = tempfile::tempdir()?;
    std::fs::create_dir_all(dir.path().join("top"))?;
    let top = dir.path().join("top").canonicalize()?;
    let sub = top.join("sub");
    let content = bytes(5, 20_000);
    write(&sub, "a.bin", &content)?;
    write(&top, "b.bin", &content)?;
    let mut conn = db(dir.path())?;
    let user = UserId::local();
    scan_folder(&mut conn, &sub).await?;
    let parent = scan_folder(&mut conn, &top).await?;
    assert!(
        parent.issues.iter().any(|i| i.kind == "overlap"),
        "{:?}",
        parent.issues
    );
    let rows: i64 = conn.query_row(
        "SELECT count(*) FROM files WHERE is_dir = 0 AND name = 'a.bin'",
        [],
        |r| r.get(0),
    )?;
    assert_eq!(rows, 1, "one physical file, one row");
    // Every rule set, applied: one live copy stays.
    let summary = plan::build(&mut conn, &user, &KeepRules::parse(&["shortest-path"])?)?;
    assert_eq!(summary.remove_count, 1);
    apply_plan(&mut conn, &user, summary.plan_id, &two_sources(&sub, &top)).await?;
    assert_eq!(live_contents(&top).len(), 1, "{:?}", tree(&top, true));
    Ok(())
}

#[tokio::test]
async fn a_trash_below_the_scanned_root_is_never_live_data() -> TestResult {
    let dir = tempfile::tempdir()?;
    std::fs::create_dir_all(dir.path().join("top"))?;
    let top = dir.path().join("top").canonicalize()?;
    let sub = top.join("sub");
    let content = bytes(6, 20_000);
    write(&sub, "keep.bin", &content)?;
    write(&sub, "keep (1).bin", &content)?;
    let mut conn = db(dir.path())?;
    let user = UserId::local();
    scan_folder(&mut conn, &sub).await?;
    let first = plan::build(&mut conn, &user, &KeepRules::parse(&["original-name"])?)?;
    apply_plan(&mut conn, &user, first.plan_id, &Table::local(&sub)).await?;
    assert!(sub.join(".declutter-trash").is_dir());
    // Forget the subfolder's rows as a person would by scanning elsewhere, then scan the parent.
    conn.execute("DELETE FROM files", [])?;
    scan_folder(&mut conn, &top).await?;
    let in_trash: i64 = conn.query_row(
        "SELECT count(*) FROM files WHERE path LIKE '%.declutter-trash%'",
        [],
        |r| r.get(0),
    )?;
    assert_eq!(in_trash, 0, "trash contents are not indexed at any depth");
    let second = plan::build(&mut conn, &user, &KeepRules::parse(&["newest"])?)?;
    assert_eq!(second.remove_count, 0, "{:?}", second.items);
    assert!(sub.join("keep.bin").exists());
    Ok(())
}

#[tokio::test]
async fn keep_folders_must_name_a_scanned_folder() -> TestResult {
    let dir = tempfile::tempdir()?;
    std::fs::create_dir_all(dir.path().join("root"))?;
    let root = dir.path().join("root").canonicalize()?;
    let content = bytes(7, 10_000);
    write(&root, "Documents/report.pdf", &content)?;
    write(&root, "Backup/report.pdf", &content)?;
    let mut conn = db(dir.path())?;
    let user = UserId::local();
    scan_folder(&mut conn, &root).await?;
    for bad in ["ref:Documents", "ref:/no/such/folder", "ref:Nowhere"] {
        let rules = KeepRules::parse(&[bad])?;
        assert!(
            matches!(
                plan::build(&mut conn, &user, &rules),
                Err(EngineError::UnknownKeepFolder(_))
            ),
            "{bad} taken as it is"
        );
    }
    assert!(matches!(
        plan::resolve_rules(&conn, &user, KeepRules::parse(&["ref:Nowhere"])?, Base::Dir(&root)),
        Err(EngineError::UnknownKeepFolder(f)) if f == "Nowhere"
    ));
    // Relative to the current folder (CLI) or to a source root (web): the same folder.
    for base in [Base::Dir(&root), Base::SourceRoots] {
        let rules =
            plan::resolve_rules(&conn, &user, KeepRules::parse(&["ref:Documents/"])?, base)?;
        let summary = plan::build(&mut conn, &user, &rules)?;
        let removed: Vec<&str> = summary
            .items
            .iter()
            .filter(|i| i.action == Action::Remove)
            .map(|i| i.path.as_str())
            .collect();
        assert_eq!(removed.len(), 1);
        assert!(removed[0].ends_with("Backup/report.pdf"), "{removed:?}");
    }
    Ok(())
}

/// A scanned tree holding one duplicate pair, `a/x.bin` and `bb/x.bin`, of `len` bytes made
/// from `seed`: (its folder, the root, the database).
async fn scanned_pair(
    seed: u64,
    len: usize,
) -> Result<(tempfile::TempDir, PathBuf, crate::support::TestDb), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let root = dir.path().join("root");
    let content = bytes(seed, len);
    write(&root, "a/x.bin", &content)?;
    write(&root, "bb/x.bin", &content)?;
    let mut conn = db(dir.path())?;
    scan_folder(&mut conn, &root).await?;
    Ok((dir, root, conn))
}

#[tokio::test]
async fn opposite_plans_applied_one_after_the_other_keep_a_copy() -> TestResult {
    let (_dir, root, mut conn) = scanned_pair(8, 30_000).await?;
    let user = UserId::local();
    // Both plans are made before either runs: each keeps what the other removes.
    let shortest = plan::build(&mut conn, &user, &KeepRules::parse(&["shortest-path"])?)?;
    let root_real = root.canonicalize()?;
    let refs = plan::resolve_rules(
        &conn,
        &user,
        KeepRules::parse(&["ref:bb"])?,
        Base::Dir(&root_real),
    )?;
    let other = plan::build(&mut conn, &user, &refs)?;
    let providers = Table::local(&root);
    let first = apply_plan(&mut conn, &user, shortest.plan_id, &providers).await?;
    assert_eq!(first.trashed, 1);
    let second = apply_plan(&mut conn, &user, other.plan_id, &providers).await?;
    assert_eq!(second.trashed, 0, "{second:?}");
    assert_eq!(live_contents(&root).len(), 1);
    Ok(())
}

#[tokio::test]
async fn concurrent_applies_of_two_owners_sharing_files_keep_a_copy() -> TestResult {
    // Two accounts with the same folder (the web app can assign one folder to two people):
    // their plans, applied at the same time, each keep what the other removes.
    let dir = tempfile::tempdir()?;
    let root = dir.path().join("root");
    for i in 0..12u64 {
        let content = bytes(40 + i, 5_000);
        write(&root, &format!("a/{i}.bin"), &content)?;
        write(&root, &format!("bb/{i}.bin"), &content)?;
    }
    let db_path = dir.path().join("declutter.db");
    let (alice, bob): (UserId, UserId) = ("alice".parse()?, "bob".parse()?);
    let mut plans = Vec::new();
    for (user, rules) in [(&alice, "shortest-path"), (&bob, "ref:bb")] {
        let mut conn = crate::support::open(&db_path)?;
        scan_local(
            &mut conn,
            user,
            &root,
            WalkOptions::default(),
            Arc::new(NoProgress),
        )
        .await?;
        let rules = plan::resolve_rules(
            &conn,
            user,
            KeepRules::parse(&[rules])?,
            Base::Dir(&root.canonicalize()?),
        )?;
        plans.push(plan::build(&mut conn, user, &rules)?.plan_id);
    }
    let run = |user: UserId, plan_id: i64| {
        let (db_path, root) = (db_path.clone(), root.clone());
        tokio::task::spawn_blocking(move || -> Result<ApplyReport, String> {
            let mut conn = crate::support::open(&db_path).map_err(|e| e.to_string())?;
            let rt = tokio::runtime::Builder::new_current_thread()
                .build()
                .map_err(|e| e.to_string())?;
            rt.block_on(apply_plan(&mut conn, &user, plan_id, &Table::local(&root)))
                .map_err(|e| e.to_string())
        })
    };
    let (a, b) = tokio::join!(run(alice, plans[0]), run(bob, plans[1]));
    let (a, b) = (a??, b??);
    assert_eq!(a.trashed + b.trashed, 12, "{a:?} {b:?}");
    assert_eq!(live_contents(&root).len(), 12, "{:?}", tree(&root, false));
    Ok(())
}

#[tokio::test]
async fn one_apply_per_owner_at_a_time() -> TestResult {
    let (dir, root, mut conn) = scanned_pair(9, 10_000).await?;
    let user = UserId::local();
    let first = plan::build(&mut conn, &user, &KeepRules::parse(&["shortest-path"])?)?;
    let second = plan::build(&mut conn, &user, &KeepRules::parse(&["newest"])?)?;
    // The first apply holds the lock when its first removal is journaled: a second apply of
    // the same owner, from another connection, is refused, and nothing is lost.
    let db_path = dir.path().join("declutter.db");
    let seen = Arc::new(std::sync::Mutex::new(None));
    let seen_in_hook = Arc::clone(&seen);
    let hook: declutter_core::engine::apply::PauseHook = Arc::new(move || {
        let (db_path, root) = (db_path.clone(), root.clone());
        // Another process, in effect: its own thread, runtime and connection.
        let outcome = std::thread::spawn(move || -> Result<String, String> {
            let mut other = crate::support::open(&db_path).map_err(|e| e.to_string())?;
            let rt = tokio::runtime::Builder::new_current_thread()
                .build()
                .map_err(|e| e.to_string())?;
            let providers = Table::local(&root);
            Ok(
                match rt.block_on(apply(
                    &mut other,
                    &UserId::local(),
                    second.plan_id,
                    &providers,
                    &ApplyOptions::default(),
                    &NoProgress,
                )) {
                    Err(e @ EngineError::ApplyBusy { .. }) => format!("busy: {e}"),
                    other => format!("{other:?}"),
                },
            )
        })
        .join()
        .unwrap_or_else(|_| Err("second apply panicked".into()));
        if let Ok(mut s) = seen_in_hook.lock() {
            *s = Some(outcome);
        }
    });
    let options = ApplyOptions {
        pause: Some((1, hook)),
        ..ApplyOptions::default()
    };
    let providers = Table::local(&dir.path().join("root"));
    let hold = std::thread::spawn(move || -> Result<ApplyReport, String> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .map_err(|e| e.to_string())?;
        rt.block_on(apply(
            &mut conn,
            &user,
            first.plan_id,
            &providers,
            &options,
            &NoProgress,
        ))
        .map_err(|e| e.to_string())
    });
    let report = hold.join().map_err(|_| "apply panicked")??;
    assert_eq!(report.trashed, 1);
    let seen = seen.lock().map_err(|_| "poisoned")?.clone();
    assert!(
        seen.as_ref()
            .and_then(|r| r.as_deref().ok())
            .is_some_and(|s| s.starts_with("busy")),
        "{seen:?}"
    );
    assert_eq!(live_contents(&dir.path().join("root")).len(), 1);
    Ok(())
}

#[tokio::test]
async fn a_resume_never_trashes_a_file_that_appeared_after_the_move() -> TestResult {
    let (_dir, root, mut conn) = scanned_pair(10, 10_000).await?;
    let user = UserId::local();
    let removed = root.join("bb/x.bin");
    let summary = plan::build(&mut conn, &user, &KeepRules::parse(&["shortest-path"])?)?;
    let providers = Table::local(&root);
    apply_plan(&mut conn, &user, summary.plan_id, &providers).await?;
    // As if the process died between the move and its journal entry...
    conn.batch(
        "UPDATE plan_items SET state = 'started' WHERE action = 'remove'; \
         UPDATE trash SET state = 'trashing'; UPDATE plans SET status = 'applying';",
    )?;
    // ...and then a new, different file appeared where the trashed one was.
    std::fs::write(&removed, b"new work, never planned")?;
    let trashed_before = tree(&root.join(".declutter-trash"), true);
    let report = apply_plan(&mut conn, &user, summary.plan_id, &providers).await?;
    assert_eq!(std::fs::read(&removed)?, b"new work, never planned");
    assert_eq!(tree(&root.join(".declutter-trash"), true), trashed_before);
    assert_eq!(report.trashed, 1, "{report:?}");
    let entries = trash::list(&conn, &user)?;
    assert_eq!(entries.len(), 1);
    Ok(())
}

#[tokio::test]
async fn a_resume_whose_journal_row_is_gone_redoes_the_removal() -> TestResult {
    let (_dir, root, mut conn) = scanned_pair(13, 10_000).await?;
    let user = UserId::local();
    let summary = plan::build(&mut conn, &user, &KeepRules::parse(&["shortest-path"])?)?;
    // As if a run died between dropping a journal row and marking its item skipped.
    conn.execute(
        "UPDATE plan_items SET state = 'started', trash_id = 4242 WHERE action = 'remove'",
        [],
    )?;
    let report = apply_plan(&mut conn, &user, summary.plan_id, &Table::local(&root)).await?;
    assert_eq!(report.trashed, 1, "{report:?}");
    assert_eq!(live_contents(&root).len(), 1);
    Ok(())
}

/// A tree with a duplicate pair whose removable copy sits in `victim/`, and a folder outside
/// the root holding a file of the same content under the same relative name.
struct Planted {
    _dir: tempfile::TempDir,
    root: PathBuf,
    outside: PathBuf,
    conn: crate::support::TestDb,
    user: UserId,
}

async fn planted() -> Result<Planted, Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    std::fs::create_dir_all(dir.path().join("root"))?;
    let root = dir.path().join("root").canonicalize()?;
    let outside = dir.path().join("outside");
    let content = bytes(11, 10_000);
    write(&root, "k/x.bin", &content)?;
    write(&root, "victim/x.bin", &content)?;
    write(&outside, "x.bin", &content)?;
    let mut conn = db(dir.path())?;
    scan_folder(&mut conn, &root).await?;
    Ok(Planted {
        _dir: dir,
        root,
        outside,
        conn,
        user: UserId::local(),
    })
}

fn outside_unchanged(p: &Planted) -> Result<(), Box<dyn std::error::Error>> {
    let found = tree(&p.outside, true);
    assert_eq!(found.len(), 1, "outside: {found:?}");
    assert!(p.outside.join("x.bin").is_file());
    Ok(())
}

#[tokio::test]
async fn attack_apply_through_a_symlinked_parent_moves_nothing_outside() -> TestResult {
    let mut p = planted().await?;
    let summary = plan::build(&mut p.conn, &p.user, &KeepRules::parse(&["shortest-path"])?)?;
    std::fs::remove_dir_all(p.root.join("victim"))?;
    symlink(&p.outside, p.root.join("victim"))?;
    let report = apply_plan(
        &mut p.conn,
        &p.user,
        summary.plan_id,
        &Table::local(&p.root),
    )
    .await?;
    assert_eq!(report.trashed, 0);
    assert!(
        report
            .skipped
            .iter()
            .any(|(_, why)| why.contains("symbolic link")),
        "{report:?}"
    );
    outside_unchanged(&p)
}

#[tokio::test]
async fn attack_apply_into_a_symlinked_trash_writes_nothing_outside() -> TestResult {
    let mut p = planted().await?;
    let summary = plan::build(&mut p.conn, &p.user, &KeepRules::parse(&["shortest-path"])?)?;
    symlink(&p.outside, p.root.join(".declutter-trash"))?;
    let report = apply_plan(
        &mut p.conn,
        &p.user,
        summary.plan_id,
        &Table::local(&p.root),
    )
    .await?;
    assert_eq!(report.trashed, 0, "{report:?}");
    assert!(p.root.join("victim/x.bin").is_file(), "left in place");
    outside_unchanged(&p)
}

#[tokio::test]
async fn attack_purge_through_a_symlink_in_the_trash_deletes_nothing_outside() -> TestResult {
    let mut p = planted().await?;
    let summary = plan::build(&mut p.conn, &p.user, &KeepRules::parse(&["shortest-path"])?)?;
    let providers = Table::local(&p.root);
    apply_plan(&mut p.conn, &p.user, summary.plan_id, &providers).await?;
    let entry = trash::list(&p.conn, &p.user)?
        .pop()
        .ok_or("nothing trashed")?;
    // The folder holding the trashed copy is swapped for a link to the outside folder.
    let held = PathBuf::from(&entry.location);
    let folder = held.parent().ok_or("no parent")?;
    std::fs::remove_dir_all(folder)?;
    symlink(&p.outside, folder)?;
    let purged = trash::purge(
        &mut p.conn,
        &p.user,
        &PurgeSelection::Ids(vec![entry.id]),
        &providers,
    )
    .await;
    assert!(
        matches!(
            purged,
            Err(EngineError::Provider(ProviderError::Outside(_)))
        ),
        "{purged:?}"
    );
    outside_unchanged(&p)
}

#[tokio::test]
async fn attack_restore_through_a_symlinked_parent_writes_nothing_outside() -> TestResult {
    let mut p = planted().await?;
    let summary = plan::build(&mut p.conn, &p.user, &KeepRules::parse(&["shortest-path"])?)?;
    let providers = Table::local(&p.root);
    apply_plan(&mut p.conn, &p.user, summary.plan_id, &providers).await?;
    let entry = trash::list(&p.conn, &p.user)?
        .pop()
        .ok_or("nothing trashed")?;
    assert!(entry.original_path.ends_with("victim/x.bin"));
    // The outside file's name is free in the outside folder, so a followed link would land it.
    std::fs::remove_file(p.outside.join("x.bin"))?;
    std::fs::write(p.outside.join("other"), b"o")?;
    std::fs::remove_dir_all(p.root.join("victim"))?;
    symlink(&p.outside, p.root.join("victim"))?;
    let restored = trash::restore(&mut p.conn, &p.user, entry.id, &providers).await;
    assert!(
        matches!(
            restored,
            Err(EngineError::Provider(ProviderError::Outside(_)))
        ),
        "{restored:?}"
    );
    let found = tree(&p.outside, true);
    assert_eq!(found.keys().count(), 1, "outside: {found:?}");
    assert!(Path::new(&entry.location).is_file(), "still in the trash");
    Ok(())
}

#[tokio::test]
async fn attack_a_planted_symlink_is_not_read_by_a_scan_that_follows_links() -> TestResult {
    let dir = tempfile::tempdir()?;
    std::fs::create_dir_all(dir.path().join("root"))?;
    let root = dir.path().join("root").canonicalize()?;
    let outside = write(dir.path(), "outside/secret.bin", &bytes(12, 10_000))?;
    write(&root, "mine.bin", &bytes(12, 10_000))?;
    symlink(outside.parent().ok_or("no parent")?, root.join("look"))?;
    let mut conn = db(dir.path())?;
    let summary = scan_local(
        &mut conn,
        &UserId::local(),
        &root,
        WalkOptions {
            follow_symlinks: true,
            ..WalkOptions::default()
        },
        Arc::new(NoProgress),
    )
    .await?;
    let indexed: i64 = conn.query_row(
        "SELECT count(*) FROM files WHERE path LIKE '%secret%'",
        [],
        |r| r.get(0),
    )?;
    assert_eq!(indexed, 0, "{:?}", summary.issues);
    Ok(())
}

/// Swaps `root` for a link to `outside` (the folder itself moved to `moved`) when the scan
/// enters phase `at`: after the scan checked the root, before it walks it.
struct SwapAt {
    at: &'static str,
    root: PathBuf,
    moved: PathBuf,
    outside: PathBuf,
}

impl declutter_core::progress::Progress for SwapAt {
    fn phase(&self, name: &str, _total: Option<u64>) {
        // Checked by the test once the scan is over.
        if name == self.at && std::fs::rename(&self.root, &self.moved).is_ok() {
            let _ = symlink(&self.outside, &self.root);
        }
    }
    fn advance(&self, _n: u64) {}
}

#[tokio::test]
async fn attack_a_source_swapped_for_a_link_as_its_walk_starts_lists_nothing_outside() -> TestResult
{
    let dir = tempfile::tempdir()?;
    let base = dir.path().canonicalize()?;
    let (root, moved, outside) = (
        base.join("share/photos"),
        base.join("share/photos-was"),
        base.join("outside"),
    );
    let content = bytes(21, 10_000);
    write(&root, "mine.bin", &content)?;
    write(&root, "mine-copy.bin", &content)?;
    write(&outside, "secret.bin", &content)?;
    write(&outside, "secret-copy.bin", &content)?;
    let before = tree(&outside, true);
    let mut conn = db(dir.path())?;
    let swap = SwapAt {
        at: "walking",
        root: root.clone(),
        moved: moved.clone(),
        outside: outside.clone(),
    };
    let summary = scan_local(
        &mut conn,
        &UserId::local(),
        &root,
        WalkOptions::default(),
        Arc::new(swap),
    )
    .await?;
    assert!(moved.exists() && root.is_symlink(), "the swap happened");
    let names: BTreeSet<String> = conn
        .prepare("SELECT name FROM files WHERE is_dir = 0")?
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<Result<_, _>>()?;
    // The walk read the folder the scan opened and checked (wherever it went), never the link
    // now at its path.
    assert_eq!(
        names,
        BTreeSet::from(["mine-copy.bin".to_owned(), "mine.bin".to_owned()]),
        "{:?}",
        summary.issues
    );
    assert_eq!(tree(&outside, true), before, "outside untouched");
    Ok(())
}

mod rule_props {
    use proptest::prelude::*;

    use super::*;
    use declutter_core::engine::rules::KeepRule;

    /// Folder names as people (and attackers) type them.
    fn folder() -> impl Strategy<Value = String> {
        let part = prop_oneof![
            Just("a".to_owned()),
            Just("a/b".to_owned()),
            Just("..".to_owned()),
            Just(".".to_owned()),
            Just("".to_owned()),
            Just("outside".to_owned()),
            Just(".declutter-trash".to_owned()),
            "[a-zé /.]{1,6}",
        ];
        (
            any::<bool>(),
            prop::collection::vec(part, 1..4),
            any::<bool>(),
        )
            .prop_map(|(absolute, parts, slash)| {
                let mut s = parts.join("/");
                if absolute {
                    s.insert(0, '/');
                }
                if slash {
                    s.push('/');
                }
                s
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        #[test]
        fn rules_parse_or_refuse_and_round_trip(text in "[a-z:/ ,.-]{0,24}") {
            if let Ok(rules) = KeepRules::parse(&[text.as_str()]) {
                let again = KeepRules::parse(&[rules.to_string()])
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(again, rules);
            }
        }

        #[test]
        fn keep_folders_resolve_only_to_scanned_folders(folders in prop::collection::vec(folder(), 1..3)) {
            let fail = |e: &dyn std::fmt::Display| TestCaseError::fail(e.to_string());
            let (dir, root, conn) = SCANNED.with(|s| s.clone());
            let user = UserId::local();
            let rules: Vec<String> = folders.iter().map(|f| format!("ref:{f}")).collect();
            let Ok(parsed) = KeepRules::parse(&rules) else { return Ok(()) };
            let conn = crate::support::open(&conn).map_err(|e| fail(&e))?;
            for base in [Base::Dir(&root), Base::SourceRoots, Base::Dir(&dir)] {
                match plan::resolve_rules(&conn, &user, parsed.clone(), base) {
                    Ok(resolved) => {
                        for rule in &resolved.0 {
                            if let KeepRule::Reference(f) = rule {
                                let p = Path::new(f);
                                prop_assert!(p.starts_with(&root), "{f} outside the source");
                                prop_assert!(p.is_dir(), "{f} is not a folder");
                                prop_assert!(
                                    !f.contains(".declutter-trash"),
                                    "{f} is a trash folder"
                                );
                            }
                        }
                    }
                    Err(EngineError::UnknownKeepFolder(_)) => {}
                    Err(e) => return Err(fail(&e)),
                }
            }
        }
    }

    thread_local! {
        /// One scanned tree per test thread: (temp dir, source root, database).
        static SCANNED: (PathBuf, PathBuf, PathBuf) = scanned().unwrap_or_default();
    }

    fn scanned() -> Result<(PathBuf, PathBuf, PathBuf), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?.keep();
        std::fs::create_dir_all(dir.join("root/a/b"))?;
        std::fs::create_dir_all(dir.join("outside"))?;
        let root = dir.join("root").canonicalize()?;
        write(&root, "a/b/x.bin", &bytes(1, 100))?;
        write(&root, "a/x.bin", &bytes(1, 100))?;
        write(&root, ".declutter-trash/1/a/x.bin", &bytes(1, 100))?;
        let db = dir.join("declutter.db");
        let mut conn = crate::support::open(&db)?;
        tokio::runtime::Builder::new_current_thread()
            .build()?
            .block_on(scan_folder(&mut conn, &root))?;
        Ok((dir, root, db))
    }
}
