//! Property tests: grouping is exact, the last copy always stays, apply is idempotent.

use std::collections::{BTreeMap, HashMap};

use declutter_core::engine::apply::{ApplyOptions, apply};
use declutter_core::engine::plan;
use declutter_core::engine::rules::{KeepRule, KeepRules};
use declutter_core::ids::UserId;
use declutter_core::local::hashing::{Candidate, HashCache, full_hashes};
use declutter_core::progress::NoProgress;
use declutter_core::store::files::FileRow;
use proptest::prelude::*;

use crate::support::{Table, bytes, scan_folder, write};

/// Contents built to collide: one base of a few sizes around the partial-hash windows, with
/// variants that differ in a single byte anywhere (often the middle, invisible to the partial
/// hash).
fn contents() -> impl Strategy<Value = Vec<Vec<u8>>> {
    (
        prop::sample::select(vec![1usize, 4095, 8192, 8193, 12_000, 40_000]),
        any::<u64>(),
    )
        .prop_flat_map(|(len, seed)| {
            let base = bytes(seed, len);
            prop::collection::vec(prop::option::of(0..len), 2..8).prop_map(move |muts| {
                muts.into_iter()
                    .map(|m| {
                        let mut c = base.clone();
                        if let Some(i) = m {
                            c[i] ^= 0x5a;
                        }
                        c
                    })
                    .collect()
            })
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn grouping_is_exact(files in contents()) {
        let dir = tempfile::tempdir().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut paths = Vec::new();
        for (i, c) in files.iter().enumerate() {
            paths.push(write(dir.path(), &format!("f{i}"), c).map_err(|e| TestCaseError::fail(e.to_string()))?);
        }
        let cands: Vec<Candidate<'_>> = paths.iter().zip(&files).enumerate()
            .map(|(i, (p, c))| Candidate { path: p, size: c.len() as u64, mtime_ns: 0, key: (0, i as u64) })
            .collect();
        let root = declutter_core::local::confined::Root::open(dir.path()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let out = full_hashes(&root, &cands, &HashCache::new(), &NoProgress);
        for i in 0..files.len() {
            for j in 0..files.len() {
                if i == j { continue; }
                let same_hash = out.full.contains_key(&i) && out.full.get(&i) == out.full.get(&j);
                prop_assert_eq!(same_hash, files[i] == files[j], "files {} and {}", i, j);
            }
        }
    }

    #[test]
    fn a_group_never_loses_its_last_copy(
        members in prop::collection::vec((0usize..4, 0usize..3, 0i64..5, any::<bool>()), 1..8),
        rules in prop::collection::vec(0usize..6, 0..4),
    ) {
        let dirs = ["/a", "/a/b", "/ref", "/ref/deep"];
        let files: Vec<FileRow> = members.iter().enumerate().map(|(i, (d, n, t, copy))| FileRow {
            id: i as i64,
            source: "local:/".into(),
            provider: "local".into(),
            item_id: format!("{}/{i}", dirs[*d]),
            parent_id: None,
            name: if *copy { format!("n{n} (1).txt") } else { format!("n{n}.txt") },
            path: format!("{}/{i}-n{n}.txt", dirs[*d]),
            is_dir: false,
            size: 10,
            modified_ns: *t,
            hash_kind: Some("blake3".into()),
            hash: Some("h".into()),
            etag: None,
            mime: None,
            comparable: true,
            owned: true,
        }).collect();
        let all = [KeepRule::Newest, KeepRule::Oldest, KeepRule::ShortestPath, KeepRule::OriginalName,
                   KeepRule::Reference("/ref".into()), KeepRule::Reference("/nowhere".into())];
        let rules = KeepRules(rules.iter().map(|r| all[*r].clone()).collect());
        let keep = rules.choose(&files);
        prop_assert!(keep.iter().any(|k| *k), "at least one copy stays");
        if rules.0.contains(&KeepRule::Reference("/ref".into())) {
            for (f, k) in files.iter().zip(&keep) {
                if f.path.starts_with("/ref/") { prop_assert!(*k, "reference copies stay"); }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn plan_apply_is_idempotent_and_keeps_every_content(layout in prop::collection::vec((0u64..5, 0usize..3), 1..14)) {
        let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        rt.block_on(async move {
            let dir = tempfile::tempdir()?;
            let root = dir.path().join("tree");
            let mut by_content: BTreeMap<u64, usize> = BTreeMap::new();
            for (i, (content, folder)) in layout.iter().enumerate() {
                write(&root, &format!("d{folder}/file{i}"), &bytes(*content, 9000))?;
                *by_content.entry(*content).or_default() += 1;
            }
            let mut conn = crate::support::open(&dir.path().join("db"))?;
            let user = UserId::local();
            scan_folder(&mut conn, &root).await?;
            let summary = plan::build(&mut conn, &user, &KeepRules::parse(&["newest,shortest-path"])?)?;
            let expected_removed: usize = by_content.values().map(|n| n - 1).sum();
            assert_eq!(summary.remove_count as usize, expected_removed);
            let providers = Table::local(&root);
            let first = apply(&mut conn, &user, summary.plan_id, &providers, &ApplyOptions::default(), &NoProgress).await?;
            let second = apply(&mut conn, &user, summary.plan_id, &providers, &ApplyOptions::default(), &NoProgress).await?;
            assert_eq!(first.trashed as usize, expected_removed);
            assert_eq!(second.trashed, 0);
            let mut left: HashMap<Vec<u8>, usize> = HashMap::new();
            for d in 0..3 {
                let Ok(rd) = std::fs::read_dir(root.join(format!("d{d}"))) else { continue };
                for e in rd {
                    *left.entry(std::fs::read(e?.path())?).or_default() += 1;
                }
            }
            assert_eq!(left.len(), by_content.len(), "every content survives");
            assert!(left.values().all(|n| *n == 1), "exactly one copy each");
            Ok::<(), Box<dyn std::error::Error>>(())
        }).map_err(|e| TestCaseError::fail(e.to_string()))?;
    }
}
