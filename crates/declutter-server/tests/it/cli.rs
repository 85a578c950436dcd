//! The commands, their output formats and exit codes.

use serde_json::Value;

use crate::support::{Env, TestResult, content};

#[test]
fn scan_dupes_plan_apply_trash_report_end_to_end() -> TestResult {
    let env = Env::new()?;
    let big = content(1, 20_000);
    env.write("a/big.bin", &big)?;
    env.write("b/big (1).bin", &big)?;
    env.write("c/small.txt", b"same")?;
    env.write("c/small, \"quoted\".txt", b"same")?;
    env.write("junk.tmp", b"")?;
    let root = env.root_str()?;

    let out = env.ok(&["scan", root])?;
    assert!(out.contains("items indexed"), "{out}");

    let json: Value = serde_json::from_str(&env.ok(&["dupes", "--json"])?)?;
    let groups = json.as_array().ok_or("not an array")?;
    assert_eq!(groups.len(), 2);
    for g in groups {
        assert!(g["size"].as_u64().is_some());
        let files = g["files"].as_array().ok_or("files")?;
        assert_eq!(files.len(), 2);
        assert!(
            files
                .iter()
                .all(|f| f["path"].as_str().is_some_and(|p| p.starts_with(root)))
        );
    }
    let csv = env.ok(&["dupes", "--csv"])?;
    assert_eq!(csv.lines().count(), 5, "{csv}");
    assert!(
        csv.contains("\"small, \"\"quoted\"\".txt\"")
            || csv.contains("small, \"\"quoted\"\".txt\""),
        "{csv}"
    );
    let table = env.ok(&["dupes"])?;
    assert!(table.contains("2 groups"), "{table}");

    let plan = env.ok(&["plan", "--keep", "original-name", "--keep", "shortest-path"])?;
    assert!(plan.contains("2 files to remove"), "{plan}");
    assert!(env.root.join("b/big (1).bin").exists(), "plan is a dry run");

    let applied = env.ok(&["apply", "latest", "--json"])?;
    let applied: Value = serde_json::from_str(&applied)?;
    assert_eq!(applied["trashed"], 2);
    assert!(!env.root.join("b/big (1).bin").exists());
    assert!(env.root.join("a/big.bin").exists());

    let listed: Value = serde_json::from_str(&env.ok(&["trash", "list", "--json"])?)?;
    let entries = listed.as_array().ok_or("entries")?;
    assert_eq!(entries.len(), 2);
    let id = entries
        .iter()
        .find(|e| {
            e["original_path"]
                .as_str()
                .is_some_and(|p| p.ends_with("big (1).bin"))
        })
        .and_then(|e| e["id"].as_i64())
        .ok_or("entry id")?;
    env.ok(&["trash", "restore", &id.to_string()])?;
    assert_eq!(std::fs::read(env.root.join("b/big (1).bin"))?, big);
    let purged = env.ok(&["trash", "purge", "--all"])?;
    assert!(purged.contains("purged 1 files"), "{purged}");

    let report: Value = serde_json::from_str(&env.ok(&["report", "--json"])?)?;
    assert_eq!(report["temporary"].as_array().map(Vec::len), Some(1));
    assert_eq!(report["empty_files"].as_array().map(Vec::len), Some(1));
    Ok(())
}

#[test]
fn errors_are_one_line_with_distinct_exit_codes() -> TestResult {
    let env = Env::new()?;
    let out = env.run(&["apply", "42"])?;
    assert_eq!(out.status.code(), Some(5), "unknown plan");
    let err = String::from_utf8(out.stderr)?;
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("declutter: plan 42 not found"), "{err}");
    assert!(out.stdout.is_empty(), "nothing on stdout");

    let out = env.run(&["plan", "--keep", "biggest"])?;
    assert_eq!(out.status.code(), Some(2), "bad rule");

    let out = env
        .cmd()
        .args(["scan", "onedrive:"])
        .env_remove("DECLUTTER_ONEDRIVE_TOKEN")
        .env_remove("DECLUTTER_ONEDRIVE_TOKEN_FILE")
        .output()?;
    assert_eq!(out.status.code(), Some(7), "no credentials");

    let out = env.run(&["trash", "restore", "9"])?;
    assert_eq!(out.status.code(), Some(5));

    let bad_db = env.dir.path().join("not-a-db");
    std::fs::write(
        &bad_db,
        b"this is not sqlite at all, not even close, really not",
    )?;
    let out = env
        .cmd()
        .env("DECLUTTER_DB", &bad_db)
        .args(["dupes"])
        .output()?;
    assert_eq!(out.status.code(), Some(3), "database error");
    Ok(())
}

#[test]
fn restore_refuses_to_overwrite() -> TestResult {
    let env = Env::new()?;
    env.write("x/one", b"dup content")?;
    env.write("y/one", b"dup content")?;
    env.ok(&["scan", env.root_str()?])?;
    env.ok(&["plan", "--keep", "shortest-path"])?;
    env.ok(&["apply", "latest"])?;
    env.write("y/one", b"someone put a new file here")?;
    let out = env.run(&["trash", "restore", "1"])?;
    assert_eq!(
        out.status.code(),
        Some(6),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}
