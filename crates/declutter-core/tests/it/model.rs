//! A model-based property test of the two promises. Random trees of duplicates; random
//! overlapping sources (nested, repeated) scanned by two owners; random keep rules; applies
//! run alone, two at once, or crashed after a random removal and resumed; and between steps,
//! what a person (or an attacker) who writes into the folder does: edit a file, make a copy,
//! swap a folder for a symbolic link to the outside or to another folder, plant a linked trash.
//!
//! After every engine step: no content that had a live copy (outside any trash folder) lost
//! it, and nothing outside the root changed. At the end every trashed entry restores byte for
//! byte. `PROPTEST_CASES` raises the number of cases (`make security` runs more).

use std::collections::BTreeMap;
use std::os::unix::fs::symlink;
use std::path::PathBuf;
use std::sync::Arc;

use declutter_core::engine::apply::{ApplyOptions, PauseHook, apply};
use declutter_core::engine::plan::{self, Base};
use declutter_core::engine::rules::KeepRules;
use declutter_core::engine::scan::scan_local;
use declutter_core::engine::trash;
use declutter_core::engine::{AnyProvider, EngineError};
use declutter_core::ids::{Source, UserId};
use declutter_core::local::{LocalProvider, WalkOptions};
use declutter_core::platform_db::sql::DbExt as _;
use declutter_core::progress::NoProgress;
use proptest::prelude::*;

use crate::safety::{live_contents, tree};
use crate::support::{Table, bytes, write};

const DIRS: [&str; 5] = ["a", "a/b", "c", "c/d", "e"];
/// Sources, relative to the root ("" is the root itself): nested and overlapping on purpose.
const SOURCES: [&str; 5] = ["", "a", "a/b", "c", "e"];
const NAMES: [&str; 3] = ["x.bin", "x (1).bin", "y.bin"];
const RULES: [&[&str]; 6] = [
    &["newest"],
    &["oldest"],
    &["shortest-path"],
    &["original-name", "newest"],
    &["ref:a"],
    &["ref:c", "oldest"],
];
const USERS: [&str; 2] = ["local", "other"];

#[derive(Debug, Clone)]
enum Step {
    Scan { user: usize, source: usize },
    Plan { user: usize, rules: usize },
    Apply { pick: usize, crash_at: Option<u64> },
    Concurrent { a: usize, b: usize },
    Restore { pick: usize },
    Purge { user: usize },
    Edit { file: usize },
    Copy { file: usize, dir: usize },
    LinkOut { dir: usize },
    LinkIn { dir: usize, to: usize },
    LinkTrash { source: usize },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        5 => (0..2usize, 0..SOURCES.len()).prop_map(|(user, source)| Step::Scan { user, source }),
        4 => (0..2usize, 0..RULES.len()).prop_map(|(user, rules)| Step::Plan { user, rules }),
        4 => (any::<usize>(), proptest::option::of(1..4u64))
            .prop_map(|(pick, crash_at)| Step::Apply { pick, crash_at }),
        3 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Step::Concurrent { a, b }),
        1 => any::<usize>().prop_map(|pick| Step::Restore { pick }),
        1 => (0..2usize).prop_map(|user| Step::Purge { user }),
        1 => any::<usize>().prop_map(|file| Step::Edit { file }),
        1 => (any::<usize>(), 0..DIRS.len()).prop_map(|(file, dir)| Step::Copy { file, dir }),
        1 => (0..DIRS.len()).prop_map(|dir| Step::LinkOut { dir }),
        1 => (0..DIRS.len(), 0..DIRS.len()).prop_map(|(dir, to)| Step::LinkIn { dir, to }),
        1 => (0..SOURCES.len()).prop_map(|source| Step::LinkTrash { source }),
    ]
}

/// Files as (folder, name, content).
fn files() -> impl Strategy<Value = Vec<(usize, usize, u64)>> {
    prop::collection::vec((0..DIRS.len(), 0..NAMES.len(), 0..4u64), 3..10)
}

struct World {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    outside: PathBuf,
    outside_tree: BTreeMap<PathBuf, String>,
    db: PathBuf,
    plans: Vec<(usize, i64)>,
    edits: u64,
}

fn content(c: u64) -> Vec<u8> {
    bytes(100 + c, 4_000 + c as usize)
}

impl World {
    fn new(layout: &[(usize, usize, u64)]) -> Result<Self, Box<dyn std::error::Error>> {
        let tmp = tempfile::tempdir()?;
        std::fs::create_dir_all(tmp.path().join("root"))?;
        let root = tmp.path().join("root").canonicalize()?;
        let outside = tmp.path().join("outside");
        for &(d, n, c) in layout {
            let rel = format!("{}/{}", DIRS[d], NAMES[n]);
            let inside = write(&root, &rel, &content(c))?;
            // The outside mirrors the tree, byte for byte and to the nanosecond: a removal or a
            // read that followed a planted link would pass every re-check.
            let mirror = write(&outside, &rel, &content(c))?;
            let mtime = std::fs::metadata(&inside)?.modified()?;
            std::fs::File::options()
                .write(true)
                .open(&mirror)?
                .set_modified(mtime)?;
        }
        let outside_tree = tree(&outside, true);
        let db = tmp.path().join("declutter.db");
        drop(crate::support::open(&db)?);
        Ok(Self {
            _tmp: tmp,
            root,
            outside,
            outside_tree,
            db,
            plans: Vec::new(),
            edits: 0,
        })
    }

    fn conn(&self) -> Result<crate::support::TestDb, EngineError> {
        crate::support::open(&self.db)
            .map_err(|e| EngineError::Db(declutter_core::db::DbError::Corrupt(e.to_string())))
    }

    fn source_root(&self, s: usize) -> PathBuf {
        if SOURCES[s].is_empty() {
            self.root.clone()
        } else {
            self.root.join(SOURCES[s])
        }
    }

    fn providers(&self) -> Table {
        let mut table = Table::default();
        for s in 0..SOURCES.len() {
            let r = self.source_root(s);
            table = table.with(
                Source::Local(r.clone()),
                AnyProvider::Local(LocalProvider::new(r)),
            );
        }
        table
    }

    fn live_files(&self) -> Vec<PathBuf> {
        tree(&self.root, false).into_keys().collect()
    }

    /// Runs one apply on its own thread, runtime and connection (another process, in effect);
    /// `crash_at` panics the run right after that many removals are journaled.
    fn spawn_apply(
        &self,
        user: usize,
        plan_id: i64,
        crash_at: Option<u64>,
    ) -> std::thread::JoinHandle<Result<(), String>> {
        let db = self.db.clone();
        let providers = self.providers();
        std::thread::spawn(move || {
            let mut conn = crate::support::open(&db).map_err(|e| e.to_string())?;
            let rt = tokio::runtime::Builder::new_current_thread()
                .build()
                .map_err(|e| e.to_string())?;
            let hook: Option<(u64, PauseHook)> =
                crash_at.map(|n| (n, Arc::new(crash) as PauseHook));
            let options = ApplyOptions {
                pause: hook,
                ..ApplyOptions::default()
            };
            let user: UserId = USERS[user].parse().map_err(|e| format!("{e}"))?;
            // Refusals (busy, lease lost, a refused root) are fine: the invariants are checked.
            let _ = rt.block_on(apply(
                &mut conn,
                &user,
                plan_id,
                &providers,
                &options,
                &NoProgress,
            ));
            Ok(())
        })
    }

    fn after_crash(&self) -> Result<(), EngineError> {
        // The "process" died: its lease dies with it.
        self.conn()?.execute("DELETE FROM apply_locks", [])?;
        Ok(())
    }

    async fn run(&mut self, step: &Step) -> Result<(), Box<dyn std::error::Error>> {
        match *step {
            Step::Scan { user, source } => {
                let mut conn = self.conn()?;
                let u: UserId = USERS[user].parse()?;
                let _ = scan_local(
                    &mut conn,
                    &u,
                    &self.source_root(source),
                    WalkOptions::default(),
                    Arc::new(NoProgress),
                )
                .await;
            }
            Step::Plan { user, rules } => {
                let mut conn = self.conn()?;
                let u: UserId = USERS[user].parse()?;
                let rules = KeepRules::parse(RULES[rules])?;
                if let Ok(rules) = plan::resolve_rules(&conn, &u, rules, Base::Dir(&self.root))
                    && let Ok(summary) = plan::build(&mut conn, &u, &rules)
                {
                    self.plans.push((user, summary.plan_id));
                }
            }
            Step::Apply { pick, crash_at } => {
                if let Some(&(user, id)) = self.plans.get(pick % self.plans.len().max(1)) {
                    let crashed = self.spawn_apply(user, id, crash_at).join().is_err();
                    if crashed {
                        self.after_crash()?;
                    }
                }
            }
            Step::Concurrent { a, b } => {
                // One plan of each owner: the per-owner lock does not serialize them.
                let of = |user: usize, pick: usize| {
                    let mine: Vec<&(usize, i64)> =
                        self.plans.iter().filter(|(u, _)| *u == user).collect();
                    mine.get(pick % mine.len().max(1)).map(|p| **p)
                };
                if let (Some((ua, pa)), Some((ub, pb))) = (of(0, a), of(1, b)) {
                    let (x, y) = (
                        self.spawn_apply(ua, pa, None),
                        self.spawn_apply(ub, pb, None),
                    );
                    let (x, y) = (x.join(), y.join());
                    x.map_err(|_| "apply panicked")??;
                    y.map_err(|_| "apply panicked")??;
                }
            }
            Step::Restore { pick } => {
                let mut conn = self.conn()?;
                let providers = self.providers();
                for user in USERS {
                    let u: UserId = user.parse()?;
                    let entries = trash::list(&conn, &u)?;
                    if let Some(e) = entries.get(pick % entries.len().max(1)) {
                        let _ = trash::restore(&mut conn, &u, e.id, &providers).await;
                    }
                }
            }
            Step::Purge { user } => {
                let mut conn = self.conn()?;
                let u: UserId = USERS[user].parse()?;
                let _ = trash::purge(
                    &mut conn,
                    &u,
                    &trash::PurgeSelection::All,
                    &self.providers(),
                )
                .await;
            }
            Step::Edit { file } => {
                let files = self.live_files();
                if let Some(f) = files.get(file % files.len().max(1)) {
                    self.edits += 1;
                    std::fs::write(f, bytes(10_000 + self.edits, 3_000))?;
                }
            }
            Step::Copy { file, dir } => {
                let files = self.live_files();
                if let Some(f) = files.get(file % files.len().max(1)) {
                    let target = self.root.join(DIRS[dir]);
                    if real_dir(&target) {
                        self.edits += 1;
                        std::fs::copy(f, target.join(format!("copy{}.bin", self.edits)))?;
                    }
                }
            }
            Step::LinkOut { dir } | Step::LinkIn { dir, .. } => {
                // The folder moves aside (its files stay live, inside the root) and a link
                // takes its name.
                let d = self.root.join(DIRS[dir]);
                if real_dir(&d) {
                    self.edits += 1;
                    std::fs::rename(&d, self.root.join(format!("moved{}", self.edits)))?;
                    let target = match *step {
                        Step::LinkIn { to, .. } => self.root.join(DIRS[to]),
                        _ => self.outside.join(DIRS[dir]),
                    };
                    symlink(target, &d)?;
                }
            }
            Step::LinkTrash { source } => {
                let t = self.source_root(source).join(".declutter-trash");
                if t.symlink_metadata().is_err() && real_dir(&self.source_root(source)) {
                    symlink(&self.outside, t)?;
                }
            }
        }
        Ok(())
    }

    /// Every trashed entry restored, where its place is free, holds exactly the trashed bytes.
    async fn restore_all(&self) -> Result<(), Box<dyn std::error::Error>> {
        let mut conn = self.conn()?;
        let providers = self.providers();
        for user in USERS {
            let u: UserId = user.parse()?;
            for e in trash::list(&conn, &u)? {
                if trash::restore(&mut conn, &u, e.id, &providers)
                    .await
                    .is_ok()
                {
                    let got = std::fs::read(&e.original_path)?;
                    assert_eq!(
                        e.hash.as_deref(),
                        Some(blake3::hash(&got).to_hex().as_str()),
                        "{} restored other bytes",
                        e.original_path
                    );
                }
            }
        }
        Ok(())
    }
}

/// A folder reached without any link (the test itself never acts through one).
fn real_dir(p: &std::path::Path) -> bool {
    p.canonicalize().is_ok_and(|c| c == p) && p.is_dir()
}

fn crash() {
    std::panic::resume_unwind(Box::new("simulated crash"));
}

fn engine_step(s: &Step) -> bool {
    matches!(
        s,
        Step::Scan { .. }
            | Step::Plan { .. }
            | Step::Apply { .. }
            | Step::Concurrent { .. }
            | Step::Restore { .. }
            | Step::Purge { .. }
    )
}

fn check(layout: Vec<(usize, usize, u64)>, steps: Vec<Step>) -> Result<(), TestCaseError> {
    let fail = |e: Box<dyn std::error::Error>| TestCaseError::fail(e.to_string());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    rt.block_on(async {
        let mut world = World::new(&layout).map_err(fail)?;
        for (n, s) in steps.iter().enumerate() {
            let before = live_contents(&world.root);
            world.run(s).await.map_err(fail)?;
            if engine_step(s) {
                let after = live_contents(&world.root);
                let lost: Vec<&String> = before.difference(&after).collect();
                prop_assert!(
                    lost.is_empty(),
                    "step {n} {s:?} removed the last live copy of {lost:?}"
                );
            }
            prop_assert_eq!(
                &tree(&world.outside, true),
                &world.outside_tree,
                "step {} {:?} touched the outside",
                n,
                s
            );
        }
        world.restore_all().await.map_err(fail)?;
        prop_assert_eq!(&tree(&world.outside, true), &world.outside_tree);
        Ok(())
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(24),
        ..ProptestConfig::default()
    })]

    #[test]
    fn no_last_copy_lost_and_nothing_outside_touched(
        layout in files(),
        steps in prop::collection::vec(step(), 6..20),
    ) {
        check(layout, steps)?;
    }
}
