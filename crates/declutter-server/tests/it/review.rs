//! Reviewing before anything moves, in the CLI: the largest groups first with `--top`, plans
//! that show the copy that stays beside the copies that go, `plan list` / `plan show`, and
//! output that ends quietly when its reader does.

use std::io::Read as _;
use std::process::Stdio;

use crate::support::{Env, TestResult, content};

/// 30 groups of two copies, group `i` of size 1000 + 100 * i.
fn thirty_groups() -> TestResult<Env> {
    let env = Env::new()?;
    for i in 0..30u64 {
        let bytes = content(300 + i, 1_000 + 100 * i as usize);
        env.write(&format!("Photos/{i}.jpg"), &bytes)?;
        env.write(&format!("Backup/{i} (1).jpg"), &bytes)?;
    }
    env.ok(&["scan", env.root_str()?])?;
    Ok(env)
}

#[test]
fn dupes_shows_the_largest_groups_first_and_says_what_it_left_out() -> TestResult {
    let env = thirty_groups()?;
    let out = env.ok(&["dupes", "--top", "3"])?;
    let headings: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("reclaimable  "))
        .collect();
    assert_eq!(headings.len(), 3, "{out}");
    assert!(headings[0].contains("3.8 KiB"), "largest first: {out}");
    assert!(out.contains("... 27 more groups"), "{out}");
    assert!(
        out.trim_end().ends_with("30 groups, 71.8 KiB reclaimable"),
        "{out}"
    );
    assert!(
        !out.contains('\u{1b}'),
        "no colour when stdout is not a terminal"
    );
    let all = env.ok(&["dupes", "--top", "0"])?;
    assert_eq!(
        all.lines().filter(|l| l.contains("reclaimable  ")).count(),
        30
    );
    Ok(())
}

#[test]
fn plans_show_what_stays_beside_what_goes_and_can_be_listed_and_shown() -> TestResult {
    let env = thirty_groups()?;
    let made = env.ok(&["plan", "--keep", "original-name", "--top", "2"])?;
    let lines: Vec<&str> = made.lines().collect();
    assert!(lines[0].contains("freed  2 copies"), "{made}");
    assert!(lines[1].trim_start().starts_with("keep") && lines[1].ends_with("Photos/29.jpg"));
    assert!(lines[2].trim_start().starts_with("remove") && lines[2].ends_with("Backup/29 (1).jpg"));
    assert!(made.contains("... 28 more groups"), "{made}");
    env.ok(&["plan", "--keep", "newest"])?;
    let list = env.ok(&["plan", "list"])?;
    let rows: Vec<&str> = list.lines().collect();
    assert_eq!(rows.len(), 2, "{list}");
    assert!(
        rows[0].contains("plan    2") && rows[0].contains("newest"),
        "{list}"
    );
    assert!(rows[1].contains("plan    1") && rows[1].contains("original-name"));
    let shown = env.ok(&["plan", "show", "1"])?;
    assert_eq!(shown.lines().filter(|l| l.contains("keep  ")).count(), 30);
    assert_eq!(shown.lines().filter(|l| l.contains("remove  ")).count(), 30);
    env.ok(&["apply", "1"])?;
    let after = env.ok(&["plan", "show", "latest", "--json"])?;
    let v: serde_json::Value = serde_json::from_str(&after)?;
    assert_eq!(v["plan"]["id"], 2);
    let done = env.ok(&["plan", "show", "1"])?;
    assert_eq!(done.matches("[done]").count(), 30, "{done}");
    let missing = env.run(&["plan", "show", "9"])?;
    assert_eq!(missing.status.code(), Some(5));
    Ok(())
}

#[test]
fn output_ends_quietly_when_its_reader_goes_away() -> TestResult {
    // More output than a pipe buffers (64 KiB), so the writer meets the closed pipe.
    let env = Env::new()?;
    let long = "a-folder-name-long-enough-to-fill-the-pipe-quickly";
    for i in 0..700u64 {
        let bytes = content(5_000 + i, 64);
        env.write(&format!("{long}/{i}.bin"), &bytes)?;
        env.write(&format!("{long}-copy/{i}.bin"), &bytes)?;
    }
    env.ok(&["scan", env.root_str()?])?;
    let mut child = env
        .cmd()
        .args(["dupes", "--top", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    // Read one byte, then hang up, as `| head -c1` would.
    let mut first = [0u8; 1];
    child
        .stdout
        .take()
        .ok_or("stdout")?
        .read_exact(&mut first)?;
    let out = child.wait_with_output()?;
    let err = String::from_utf8(out.stderr)?;
    assert!(out.status.success(), "{:?}: {err}", out.status);
    assert!(err.is_empty(), "{err}");
    Ok(())
}
