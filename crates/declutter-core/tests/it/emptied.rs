//! Removing the folders an apply left empty (`remove_empty_folders`), and recreating them on
//! restore, on real trees.

use std::collections::BTreeMap;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};

use declutter_core::engine::apply::{ApplyOptions, ApplyReport, apply};
use declutter_core::engine::plan;
use declutter_core::engine::rules::KeepRules;
use declutter_core::engine::trash::{self, RestoreSelection};
use declutter_core::ids::UserId;
use declutter_core::progress::NoProgress;

use crate::support::{Table, TestResult, bytes, db, scan_folder, write};

/// Every entry below `dir` (the trash folder aside): folders with their mode, files with
/// their bytes, links with their target.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if e.file_name() == ".declutter-trash" {
                continue;
            }
            let Ok(meta) = std::fs::symlink_metadata(&p) else {
                continue;
            };
            let what = if meta.file_type().is_symlink() {
                format!("link {:?}", std::fs::read_link(&p).ok())
            } else if meta.is_dir() {
                stack.push(p.clone());
                format!("dir {:o}", meta.permissions().mode() & 0o7777)
            } else {
                format!(
                    "file {}",
                    blake3::hash(&std::fs::read(&p).unwrap_or_default())
                )
            };
            out.insert(p, what);
        }
    }
    out
}

struct Fixture {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    outside: PathBuf,
    conn: crate::support::TestDb,
    plan_id: i64,
}

/// `keep/x.bin` stays; its copies in `dup/deep/er/`, `dup/other/`, `mixed/sub/` and `solo/` go.
/// `mixed` holds another file, `pre/empty` is empty from the start, `dup/deep` has mode 0750.
async fn fixture() -> Result<Fixture, Box<dyn std::error::Error>> {
    let tmp = tempfile::tempdir()?;
    std::fs::create_dir(tmp.path().join("tree"))?;
    let root = tmp.path().join("tree").canonicalize()?;
    let outside = tmp.path().join("outside");
    std::fs::create_dir_all(&outside)?;
    let content = bytes(7, 20_000);
    write(&root, "keep/x.bin", &content)?;
    write(&root, "dup/deep/er/x.bin", &content)?;
    write(&root, "dup/other/x.bin", &content)?;
    write(&root, "mixed/sub/x.bin", &content)?;
    write(&root, "mixed/notes.txt", b"mine")?;
    write(&root, "solo/x.bin", &content)?;
    std::fs::create_dir_all(root.join("pre/empty"))?;
    std::fs::set_permissions(
        root.join("dup/deep"),
        std::fs::Permissions::from_mode(0o750),
    )?;
    let mut conn = db(tmp.path())?;
    scan_folder(&mut conn, &root).await?;
    let rules = KeepRules::parse(&[&format!("ref:{}", root.join("keep").display())])?;
    let summary = plan::build(&mut conn, &UserId::local(), &rules)?;
    assert_eq!(summary.remove_count, 4);
    Ok(Fixture {
        _tmp: tmp,
        root,
        outside,
        conn,
        plan_id: summary.plan_id,
    })
}

async fn run(
    f: &mut Fixture,
    remove_empty_folders: bool,
) -> Result<ApplyReport, Box<dyn std::error::Error>> {
    let options = ApplyOptions {
        remove_empty_folders,
        ..ApplyOptions::default()
    };
    Ok(apply(
        &mut f.conn,
        &UserId::local(),
        f.plan_id,
        &Table::local(&f.root),
        &options,
        &NoProgress,
    )
    .await?)
}

#[tokio::test]
async fn removes_exactly_the_emptied_folders_and_restore_brings_the_tree_back() -> TestResult {
    let mut f = fixture().await?;
    let before = snapshot(&f.root);
    let report = run(&mut f, true).await?;
    assert_eq!(report.trashed, 4);
    let mut removed = report.folders_removed.clone();
    removed.sort();
    let expect: Vec<String> = [
        "dup",
        "dup/deep",
        "dup/deep/er",
        "dup/other",
        "mixed/sub",
        "solo",
    ]
    .iter()
    .map(|d| f.root.join(d).display().to_string())
    .collect();
    assert_eq!(removed, expect);
    assert!(f.root.join("pre/empty").is_dir(), "empty before: stays");
    assert!(f.root.join("mixed/notes.txt").is_file());
    assert!(f.root.join("keep/x.bin").is_file());
    assert!(f.root.is_dir(), "never the root");

    let user = UserId::local();
    let restored = trash::restore_many(
        &mut f.conn,
        &user,
        &RestoreSelection::Plan(f.plan_id),
        &Table::local(&f.root),
        &NoProgress,
        None,
    )
    .await?;
    assert_eq!(restored.restored, 4);
    assert_eq!(
        snapshot(&f.root),
        before,
        "the tree is back, modes included"
    );
    Ok(())
}

#[tokio::test]
async fn without_the_option_nothing_is_removed() -> TestResult {
    let mut f = fixture().await?;
    let report = run(&mut f, false).await?;
    assert_eq!(report.trashed, 4);
    assert!(report.folders_removed.is_empty());
    for d in ["dup/deep/er", "dup/other", "mixed/sub", "solo", "pre/empty"] {
        assert!(f.root.join(d).is_dir(), "{d} stays");
    }
    Ok(())
}

#[tokio::test]
async fn a_folder_that_gained_a_file_or_became_a_link_stays() -> TestResult {
    let mut f = fixture().await?;
    // The files go to the trash first; the folders are tidied by a second run, after someone
    // wrote into one emptied folder and swapped another's parent for a link to an outside
    // tree of the same shape (its folders empty too).
    run(&mut f, false).await?;
    std::fs::write(f.root.join("mixed/sub/new.txt"), b"new")?;
    std::fs::rename(f.root.join("dup"), f.outside.join("was-dup"))?;
    std::fs::create_dir_all(f.outside.join("mirror/deep/er"))?;
    std::fs::create_dir_all(f.outside.join("mirror/other"))?;
    symlink(f.outside.join("mirror"), f.root.join("dup"))?;
    let outside_before = snapshot(&f.outside);
    let report = run(&mut f, true).await?;
    assert_eq!(report.already_done, 4);
    assert_eq!(
        report.folders_removed,
        vec![f.root.join("solo").display().to_string()]
    );
    assert_eq!(std::fs::read(f.root.join("mixed/sub/new.txt"))?, b"new");
    assert_eq!(snapshot(&f.outside), outside_before, "no link was followed");
    assert!(
        std::fs::symlink_metadata(f.root.join("dup"))?
            .file_type()
            .is_symlink(),
        "the link itself stays"
    );
    Ok(())
}

#[tokio::test]
async fn restoring_one_file_recreates_its_parent_chain_with_modes() -> TestResult {
    let mut f = fixture().await?;
    let before = snapshot(&f.root);
    run(&mut f, true).await?;
    assert!(!f.root.join("dup").exists());
    let user = UserId::local();
    let entry = trash::list(&f.conn, &user)?
        .into_iter()
        .find(|e| e.original_path.ends_with("dup/deep/er/x.bin"))
        .ok_or("entry")?;
    trash::restore(&mut f.conn, &user, entry.id, &Table::local(&f.root)).await?;
    let now = snapshot(&f.root);
    for d in ["dup", "dup/deep", "dup/deep/er", "dup/deep/er/x.bin"] {
        let p = f.root.join(d);
        assert_eq!(now.get(&p), before.get(&p), "{d}");
    }
    assert!(
        !f.root.join("dup/other").exists(),
        "only the chain of that file"
    );
    Ok(())
}

#[tokio::test]
async fn a_nested_source_root_is_never_removed() -> TestResult {
    let tmp = tempfile::tempdir()?;
    std::fs::create_dir(tmp.path().join("tree"))?;
    let root = tmp.path().join("tree").canonicalize()?;
    let content = bytes(9, 10_000);
    write(&root, "keep/x.bin", &content)?;
    write(&root, "inner/x.bin", &content)?;
    let mut conn = db(tmp.path())?;
    // The outer source indexes `inner/x.bin`; `inner` is a source of its own too.
    scan_folder(&mut conn, &root).await?;
    scan_folder(&mut conn, &root.join("inner")).await?;
    let rules = KeepRules::parse(&[&format!("ref:{}", root.join("keep").display())])?;
    let summary = plan::build(&mut conn, &UserId::local(), &rules)?;
    assert_eq!(summary.remove_count, 1);
    let report = apply(
        &mut conn,
        &UserId::local(),
        summary.plan_id,
        &Table::local(&root),
        &ApplyOptions {
            remove_empty_folders: true,
            ..ApplyOptions::default()
        },
        &NoProgress,
    )
    .await?;
    assert_eq!(report.trashed, 1);
    assert!(report.folders_removed.is_empty());
    assert!(root.join("inner").is_dir(), "another source's root stays");
    Ok(())
}
