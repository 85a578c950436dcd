//! The two promises through the real binary: attacks planted by whoever writes into a scanned
//! folder (`attack_*`, run by `make security`), overlapping sources, keep folders that must
//! exist, and two applies at once.

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use crate::support::{Env, TestResult, content, files_under};

/// A duplicate pair (`k/x.bin` kept by shortest path, `victim/x.bin` removed) and, outside
/// the tree, a byte-for-byte copy of it with the same modification time.
struct Planted {
    env: Env,
    outside: PathBuf,
}

fn planted() -> TestResult<Planted> {
    let env = Env::new()?;
    let bytes = content(21, 12_000);
    env.write("k/x.bin", &bytes)?;
    let victim = env.write("victim/x.bin", &bytes)?;
    let outside = env.dir.path().join("outside");
    std::fs::create_dir_all(&outside)?;
    std::fs::write(outside.join("x.bin"), &bytes)?;
    let mtime = std::fs::metadata(&victim)?.modified()?;
    std::fs::File::options()
        .write(true)
        .open(outside.join("x.bin"))?
        .set_modified(mtime)?;
    env.ok(&["scan", env.root_str()?])?;
    env.ok(&["plan", "--keep", "shortest-path"])?;
    Ok(Planted { env, outside })
}

fn outside_intact(p: &Planted) -> TestResult {
    assert_eq!(files_under(&p.outside), vec![p.outside.join("x.bin")]);
    assert_eq!(std::fs::read(p.outside.join("x.bin"))?, content(21, 12_000));
    Ok(())
}

fn trash_ids(env: &Env) -> TestResult<Vec<(i64, String, String)>> {
    let list: serde_json::Value = serde_json::from_str(&env.ok(&["trash", "list", "--json"])?)?;
    Ok(list
        .as_array()
        .ok_or("not an array")?
        .iter()
        .filter_map(|e| {
            Some((
                e["id"].as_i64()?,
                e["original_path"].as_str()?.to_owned(),
                e["location"].as_str()?.to_owned(),
            ))
        })
        .collect())
}

#[test]
fn attack_cli_apply_through_a_symlinked_parent() -> TestResult {
    let p = planted()?;
    let victim = p.env.root.join("victim");
    std::fs::remove_dir_all(&victim)?;
    symlink(&p.outside, &victim)?;
    let out = p.env.run(&["apply", "latest"])?;
    let err = String::from_utf8(out.stderr)?;
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("symbolic link"),
        "the refusal is reported: {err}"
    );
    assert!(String::from_utf8(out.stdout)?.contains("0 trashed"));
    outside_intact(&p)
}

#[test]
fn attack_cli_apply_into_a_symlinked_trash() -> TestResult {
    let p = planted()?;
    symlink(&p.outside, p.env.root.join(".declutter-trash"))?;
    let out = p.env.run(&["apply", "latest"])?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(p.env.root.join("victim/x.bin").is_file());
    outside_intact(&p)
}

#[test]
fn attack_cli_purge_through_a_symlink_in_the_trash() -> TestResult {
    let p = planted()?;
    p.env.ok(&["apply", "latest"])?;
    let (id, _, location) = trash_ids(&p.env)?.pop().ok_or("nothing trashed")?;
    let folder = Path::new(&location).parent().ok_or("no parent")?;
    std::fs::remove_dir_all(folder)?;
    symlink(&p.outside, folder)?;
    let out = p.env.run(&["trash", "purge", &id.to_string()])?;
    assert_eq!(out.status.code(), Some(4), "refused as a provider error");
    assert!(String::from_utf8(out.stderr)?.contains("symbolic link"));
    outside_intact(&p)
}

#[test]
fn attack_cli_restore_through_a_symlinked_parent() -> TestResult {
    let p = planted()?;
    p.env.ok(&["apply", "latest"])?;
    let (id, original, location) = trash_ids(&p.env)?.pop().ok_or("nothing trashed")?;
    assert!(original.ends_with("victim/x.bin"));
    // Free the name outside, so a restore that followed the link would land there.
    std::fs::remove_file(p.outside.join("x.bin"))?;
    let victim = p.env.root.join("victim");
    std::fs::remove_dir_all(&victim)?;
    symlink(&p.outside, &victim)?;
    let out = p.env.run(&["trash", "restore", &id.to_string()])?;
    assert_eq!(out.status.code(), Some(4));
    assert!(
        files_under(&p.outside).is_empty(),
        "nothing written outside"
    );
    assert!(Path::new(&location).is_file(), "still in the trash");
    Ok(())
}

#[test]
fn a_folder_then_its_parent_never_loses_the_only_copy() -> TestResult {
    let env = Env::new()?;
    let bytes = content(22, 9_000);
    env.write("sub/a.bin", &bytes)?;
    env.write("b.bin", &bytes)?;
    let sub = env.root.join("sub");
    env.ok(&["scan", sub.to_str().ok_or("utf-8")?])?;
    let out = env.run(&["scan", env.root_str()?])?;
    assert!(out.status.success());
    env.ok(&["plan"])?;
    env.ok(&["apply", "latest"])?;
    let live: Vec<PathBuf> = files_under(&env.root)
        .into_iter()
        .filter(|p| !p.to_string_lossy().contains(".declutter-trash"))
        .collect();
    assert_eq!(live.len(), 1, "{live:?}");
    Ok(())
}

#[test]
fn keep_folders_are_read_against_the_current_folder_and_must_exist() -> TestResult {
    let env = Env::new()?;
    let bytes = content(23, 9_000);
    env.write("Documents/r.pdf", &bytes)?;
    env.write("Backup/r.pdf", &bytes)?;
    env.ok(&["scan", env.root_str()?])?;
    for missing in ["ref:/no/such/folder", "ref:Nowhere"] {
        let out = env
            .cmd()
            .current_dir(&env.root)
            .args(["plan", "--keep", missing])
            .output()?;
        assert_eq!(out.status.code(), Some(2), "{missing}");
        let err = String::from_utf8(out.stderr)?;
        assert!(err.contains(missing.trim_start_matches("ref:")), "{err}");
    }
    let out = env
        .cmd()
        .current_dir(&env.root)
        .args(["plan", "--keep", "ref:Documents", "--json"])
        .output()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let removed: Vec<&str> = plan["items"]
        .as_array()
        .ok_or("items")?
        .iter()
        .filter(|i| i["action"] == "remove")
        .filter_map(|i| i["path"].as_str())
        .collect();
    assert_eq!(removed.len(), 1);
    assert!(removed[0].ends_with("Backup/r.pdf"), "{removed:?}");
    Ok(())
}

#[test]
fn two_cli_applies_at_once_keep_every_group_alive() -> TestResult {
    let env = Env::new()?;
    for i in 0..40 {
        let bytes = content(100 + i, 3_000);
        env.write(&format!("a/{i}.bin"), &bytes)?;
        env.write(&format!("bb/{i}.bin"), &bytes)?;
    }
    env.ok(&["scan", env.root_str()?])?;
    env.ok(&["plan", "--keep", "shortest-path"])?;
    let bb = env.root.join("bb");
    env.ok(&["plan", "--keep", &format!("ref:{}", bb.display())])?;
    let (one, two) = (
        env.cmd().args(["apply", "1"]).spawn()?,
        env.cmd().args(["apply", "2"]).spawn()?,
    );
    for child in [one, two] {
        let out = child.wait_with_output()?;
        // Either run finishes, or is told another apply holds the account: never a raw error.
        assert!(
            out.status.success() || out.status.code() == Some(9),
            "{:?}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let live: Vec<PathBuf> = files_under(&env.root)
        .into_iter()
        .filter(|p| !p.to_string_lossy().contains(".declutter-trash"))
        .collect();
    assert_eq!(live.len(), 40, "{live:?}");
    Ok(())
}

#[test]
fn one_database_per_installation_whatever_the_current_folder() -> TestResult {
    let env = Env::new()?;
    let bytes = content(24, 5_000);
    env.write("a.bin", &bytes)?;
    env.write("b.bin", &bytes)?;
    let data = env.dir.path().join("xdg");
    let elsewhere = env.dir.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere)?;
    let run = |cwd: &Path, args: &[&str]| {
        env.cmd()
            .env_remove("DECLUTTER_DB")
            .env("XDG_DATA_HOME", &data)
            .current_dir(cwd)
            .args(args)
            .output()
    };
    let out = run(&env.root, &["scan", "."])?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    run(&env.root, &["plan"])?;
    let applied = run(&env.root, &["apply", "latest"])?;
    assert!(applied.status.success());
    // From another folder, the same installation: its trash is still known.
    let listed = run(&elsewhere, &["trash", "list", "--json"])?;
    let entries: serde_json::Value = serde_json::from_slice(&listed.stdout)?;
    assert_eq!(entries.as_array().map(Vec::len), Some(1), "{entries}");
    assert!(data.join("declutter/declutter.db").is_file());
    assert!(!env.root.join("declutter.db").exists());
    assert!(!elsewhere.join("declutter.db").exists());
    Ok(())
}
