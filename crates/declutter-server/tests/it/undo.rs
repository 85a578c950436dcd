//! Undoing clean-ups with the real binary: `trash restore --plan N` puts back everything one
//! plan moved, `--all` everything, byte for byte; a file that now exists at an original place
//! is never overwritten (reported, exit 6) while the rest come back.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::support::{Env, TestResult, content, files_under};

/// Twelve duplicate pairs (`DIR/fN` and `DIR/fN (1)`, contents seeded by `seed`); the
/// tree's bytes after writing them.
fn pairs(env: &Env, dir: &str, seed: u64) -> TestResult<BTreeMap<PathBuf, Vec<u8>>> {
    for i in 0..12 {
        let bytes = content(seed + i, 3_000 + i as usize);
        env.write(&format!("{dir}/f{i}"), &bytes)?;
        env.write(&format!("{dir}/f{i} (1)"), &bytes)?;
    }
    snapshot(env)
}

fn snapshot(env: &Env) -> TestResult<BTreeMap<PathBuf, Vec<u8>>> {
    files_under(&env.root)
        .into_iter()
        .map(|p| Ok((p.clone(), std::fs::read(&p)?)))
        .collect()
}

fn clean(env: &Env) -> TestResult {
    env.ok(&["scan", env.root_str()?])?;
    env.ok(&["plan", "--keep", "original-name"])?;
    env.ok(&["apply", "latest"])?;
    Ok(())
}

#[test]
fn restore_plan_then_all_brings_every_file_back() -> TestResult {
    let env = Env::new()?;
    let mut before = pairs(&env, "d", 100)?;
    clean(&env)?;
    // A second clean-up (plan 2) of new pairs, so plan 1's undo has something to leave alone.
    before.extend(pairs(&env, "e", 500)?);
    clean(&env)?;
    assert_eq!(
        files_under(&env.root).len(),
        24,
        "both plans' copies went to the trash"
    );

    let out = env.ok(&["trash", "restore", "--plan", "1"])?;
    assert!(out.contains("restored 12 files"), "{out}");
    let now = snapshot(&env)?;
    assert_eq!(now.len(), 36, "plan 1's copies are back, plan 2's are not");
    assert!(
        now.keys()
            .all(|p| !p.starts_with(env.root.join("e")) || !p.to_string_lossy().ends_with(" (1)"))
    );
    assert_eq!(
        now.iter()
            .filter(|(p, _)| p.starts_with(env.root.join("d")))
            .count(),
        24
    );
    assert_eq!(
        env.ok(&["trash", "list"])?.lines().count(),
        12,
        "plan 2's entries stay"
    );
    assert_eq!(
        env.run(&["trash", "restore", "1"])?.status.code(),
        Some(5),
        "an entry is restored once"
    );

    let out = env.ok(&["trash", "restore", "--all"])?;
    assert!(out.contains("restored 12 files"), "{out}");
    assert_eq!(snapshot(&env)?, before, "everything back byte for byte");
    assert_eq!(env.ok(&["trash", "list"])?, "", "nothing left in the trash");

    // Ids, --plan and --all exclude each other, and one is needed.
    for args in [
        &["trash", "restore"][..],
        &["trash", "restore", "--all", "1"],
        &["trash", "restore", "--plan", "1", "--all"],
    ] {
        assert_eq!(env.run(args)?.status.code(), Some(2), "{args:?}");
    }
    assert_eq!(
        env.run(&["trash", "restore", "--plan", "99"])?
            .status
            .code(),
        Some(5),
        "no such plan"
    );
    Ok(())
}

#[test]
fn restore_plan_reports_a_conflict_and_restores_the_rest() -> TestResult {
    let env = Env::new()?;
    let before = pairs(&env, "d", 100)?;
    clean(&env)?;
    let squatter = env.write("d/f3 (1)", b"someone put a new file here")?;
    let out = env.run(&["trash", "restore", "--plan", "1"])?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(6), "{stderr}");
    assert!(
        stderr.contains("conflict") && stderr.contains("f3 (1)"),
        "{stderr}"
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("restored 11 files ("),
        "the rest came back"
    );
    assert_eq!(
        std::fs::read(&squatter)?,
        b"someone put a new file here",
        "not overwritten"
    );
    let mut now = snapshot(&env)?;
    now.remove(&squatter);
    let mut expected = before;
    expected.remove(&squatter);
    assert_eq!(now, expected, "every other file is back byte for byte");
    let listed = env.ok(&["trash", "list"])?;
    assert_eq!(
        listed.lines().count(),
        1,
        "the conflicting copy stays in the trash: {listed}"
    );
    Ok(())
}
