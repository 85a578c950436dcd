//! Attacks on the command line's output: a person who can write into a scanned folder names
//! files so that a listing would erase or forge lines (`remove …`) on the reader's terminal.

use serde_json::Value;

use crate::support::{Env, TestResult};

/// A name whose newline would start a forged plan line.
const FORGED_LINE: &str = "x\n remove /etc/passwd";
/// A name whose escape sequence would erase the line it is printed on.
const ERASE_LINE: &str = "\u{1b}[2Kevil";
/// A name whose bidi override would reverse what follows.
const REVERSED: &str = "gpj.\u{202e}exe";

/// Human output must be one line per entry, with no byte a terminal acts on.
fn assert_inert(what: &str, out: &str, expected_lines: usize) {
    assert!(!out.contains('\u{1b}'), "{what}: raw escape in {out:?}");
    assert!(
        !out.contains('\u{202e}'),
        "{what}: raw bidi override in {out:?}"
    );
    assert!(
        !out.contains('\r'),
        "{what}: raw carriage return in {out:?}"
    );
    assert!(
        !out.lines()
            .any(|l| l.trim_start().starts_with("remove /etc")),
        "{what}: a forged line in {out:?}"
    );
    assert_eq!(out.lines().count(), expected_lines, "{what}: {out:?}");
}

#[test]
fn attack_file_names_cannot_forge_or_erase_cli_output() -> TestResult {
    let env = Env::new()?;
    let body = b"the same bytes in every copy";
    env.write("k.bin", body)?;
    for name in [FORGED_LINE, ERASE_LINE, REVERSED] {
        env.write(&format!("d/{name}"), body)?;
    }
    env.ok(&["scan", env.root_str()?])?;

    // One group of four: a header, four files, a total.
    let dupes = env.ok(&["dupes"])?;
    assert_inert("dupes", &dupes, 6);
    assert!(dupes.contains(r"x\n remove /etc/passwd"), "{dupes}");
    assert!(dupes.contains(r"\u{1b}[2Kevil"), "{dupes}");
    assert!(dupes.contains(r"gpj.\u{202e}exe"), "{dupes}");

    let csv = env.ok(&["dupes", "--csv"])?;
    let quoted = format!("\"{}\"", env.root.join("d").join(FORGED_LINE).display());
    assert!(csv.contains(&quoted), "CSV quotes the exact name: {csv}");

    let report = env.ok(&["report"])?;
    assert!(!report.contains('\u{1b}') && !report.contains('\u{202e}'));
    assert!(
        !report
            .lines()
            .any(|l| l.trim_start().starts_with("remove /etc"))
    );

    let plan = env.ok(&["plan", "--keep", "shortest-path"])?;
    // A group heading, the kept copy, three removals, the total.
    assert_inert("plan", &plan, 6);
    assert!(
        plan.lines().all(|l| {
            let l = l.trim_start();
            l.starts_with("remove  ")
                || l.starts_with("keep    ")
                || l.starts_with("plan ")
                || l.contains(" freed ")
        }),
        "{plan}"
    );

    env.ok(&["apply", "latest"])?;
    let trash = env.ok(&["trash", "list"])?;
    assert_inert("trash list", &trash, 3);

    // Data formats keep the names exactly.
    let json: Value = serde_json::from_str(&env.ok(&["trash", "list", "--json"])?)?;
    let mut names: Vec<String> = json
        .as_array()
        .ok_or("array")?
        .iter()
        .filter_map(|e| e["original_path"].as_str())
        .filter_map(|p| p.rsplit_once("/d/").map(|(_, n)| n.to_owned()))
        .collect();
    names.sort();
    let mut want = vec![FORGED_LINE, ERASE_LINE, REVERSED];
    want.sort_unstable();
    assert_eq!(names, want);

    // Error messages name paths too, and stay one escaped line on stderr.
    let missing = env.root.join("gone\u{1b}[2K\nremove /etc/passwd");
    let out = env.run(&["scan", &missing.to_string_lossy()])?;
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr)?;
    assert_inert("scan error", &err, 1);
    Ok(())
}
