//! kill -9 in the middle of `apply`: nothing is lost and a rerun removes exactly the plan.

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader};
use std::process::Stdio;

use serde_json::Value;

use crate::support::{Env, TestResult, content, files_under};

const ORIGINALS: u64 = 60;

/// 60 contents, each in 2 or 3 copies; returns the number of copies the plan must remove.
fn build(env: &Env) -> Result<usize, Box<dyn std::error::Error>> {
    let mut extra = 0;
    for i in 0..ORIGINALS {
        let c = content(i, 3000 + usize::try_from(i)?);
        env.write(&format!("keep/{i}.bin"), &c)?;
        env.write(&format!("copies/a/{i}.bin"), &c)?;
        extra += 1;
        if i % 2 == 0 {
            env.write(&format!("copies/b/deeper/{i}.bin"), &c)?;
            extra += 1;
        }
    }
    Ok(extra)
}

fn check_after(env: &Env, expected_removed: usize) -> TestResult {
    let left = files_under(&env.root);
    let mut per_content: HashMap<Vec<u8>, usize> = HashMap::new();
    for p in &left {
        *per_content.entry(std::fs::read(p)?).or_default() += 1;
    }
    assert_eq!(
        per_content.len() as u64,
        ORIGINALS,
        "every content survives"
    );
    assert!(
        per_content.values().all(|n| *n == 1),
        "exactly one copy of each is left"
    );
    let trash: Value = serde_json::from_str(&env.ok(&["trash", "list", "--json"])?)?;
    let entries = trash.as_array().ok_or("entries")?;
    assert_eq!(
        entries.len(),
        expected_removed,
        "the trash holds exactly what the plan removed"
    );
    for e in entries {
        let loc = e["location"].as_str().ok_or("location")?;
        assert!(
            std::path::Path::new(loc).is_file(),
            "trashed copy exists at {loc}"
        );
    }
    Ok(())
}

#[test]
fn sigkill_between_journal_and_move_then_rerun() -> TestResult {
    let env = Env::new()?;
    let expected = build(&env)?;
    env.ok(&["scan", env.root_str()?])?;
    env.ok(&["plan", "--keep", "shortest-path"])?;
    let mut child = env
        .cmd()
        .args(["apply", "latest"])
        .env("DECLUTTER_TEST_PAUSE_AFTER", "25")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()?;
    let stderr = child.stderr.take().ok_or("stderr")?;
    let mut reached = false;
    for line in BufReader::new(stderr).lines() {
        if line?.contains("test pause reached") {
            reached = true;
            break;
        }
    }
    assert!(reached, "the apply reached the pause");
    child.kill()?; // SIGKILL
    child.wait()?;
    let removed_so_far =
        (ORIGINALS as usize * 2 + expected - ORIGINALS as usize) - files_under(&env.root).len();
    assert_eq!(
        removed_so_far, 24,
        "24 moves completed; the 25th was journaled but not done"
    );

    let rerun: Value = serde_json::from_str(&env.ok(&["apply", "latest", "--json"])?)?;
    assert_eq!(rerun["already_done"], 24);
    assert_eq!(rerun["trashed"].as_u64(), Some(expected as u64 - 24));
    check_after(&env, expected)?;
    let again: Value = serde_json::from_str(&env.ok(&["apply", "latest", "--json"])?)?;
    assert_eq!(again["trashed"], 0, "a third run removes nothing");
    Ok(())
}

/// Killed three times at moments the test picks by count, not by clock (early, midway and
/// before the last removal), each run resuming the last: every kill is checked to have landed mid-apply
/// (the pause was reached and exactly the removals before it are done), then a final run
/// finishes the plan.
#[test]
fn sigkill_repeatedly_mid_apply_then_rerun() -> TestResult {
    let env = Env::new()?;
    let expected = build(&env)?;
    env.ok(&["scan", env.root_str()?])?;
    env.ok(&["plan", "--keep", "shortest-path"])?;
    let total = ORIGINALS as usize * 2 + expected - ORIGINALS as usize;
    let mut done = 0;
    // The pause counts the removals one run journals (a resumed one first), so each run moves
    // `pause - 1` files before it is killed; the last kill lands before the very last move.
    let half = expected / 2;
    for pause in [2, half, expected - half] {
        let before = done;
        assert!(
            kill_at_pause(&env, pause)?,
            "run pausing at {pause} never got there"
        );
        done += pause - 1;
        let removed = total - files_under(&env.root).len();
        assert_eq!(removed, done, "moves done when killed at pause {pause}");
        assert!(
            before < removed && removed < expected,
            "the kill landed mid-apply: {before} < {removed} < {expected}"
        );
    }
    env.ok(&["apply", "latest"])?;
    check_after(&env, expected)
}

/// Runs `apply latest` until it pauses after `n` journaled removals, then SIGKILLs it; false
/// if it ended without reaching the pause.
fn kill_at_pause(env: &Env, n: usize) -> Result<bool, Box<dyn std::error::Error>> {
    let mut child = env
        .cmd()
        .args(["apply", "latest"])
        .env("DECLUTTER_TEST_PAUSE_AFTER", n.to_string())
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()?;
    let stderr = child.stderr.take().ok_or("stderr")?;
    let mut reached = false;
    for line in BufReader::new(stderr).lines() {
        if line?.contains("test pause reached") {
            reached = true;
            break;
        }
    }
    child.kill()?; // SIGKILL
    child.wait()?;
    Ok(reached)
}
