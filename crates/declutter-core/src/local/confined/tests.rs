//! The confinement rules against planted links, swapped folders and cross-device moves.

use super::*;
use std::ffi::OsStr;
use std::fs;
use std::os::unix::fs::symlink;

use proptest::strategy::Strategy as _;

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[test]
fn links_anywhere_below_the_root_are_refused() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let root = tmp.path().join("root");
    let outside = tmp.path().join("outside");
    fs::create_dir_all(root.join("real/sub"))?;
    fs::create_dir_all(&outside)?;
    fs::write(outside.join("secret"), b"s")?;
    fs::write(root.join("real/f"), b"f")?;
    symlink(&outside, root.join("out"))?;
    symlink(root.join("real"), root.join("inside"))?;
    let r = Root::open(&root)?;
    assert!(is_escape(
        &Root::open(&root.join("out")).err().ok_or("a linked root")?
    ));
    assert!(is_escape(
        &Root::open(&root.join("inside/sub"))
            .err()
            .ok_or("a root below a link")?
    ));
    assert!(is_escape(
        &Root::open(Path::new("relative/root"))
            .err()
            .ok_or("a relative root")?
    ));
    assert!(is_escape(
        &Root::open(&root.join("real/../real"))
            .err()
            .ok_or("not real")?
    ));
    for through_link in [root.join("out/secret"), root.join("inside/f")] {
        let e = r
            .open_file(&through_link)
            .err()
            .ok_or("opened through a link")?;
        assert!(is_escape(&e), "{through_link:?}: {e}");
        let e = r
            .remove_file(&through_link)
            .err()
            .ok_or("removed through a link")?;
        assert!(is_escape(&e), "{e}");
    }
    assert!(matches!(r.lstat(&root.join("out"))?, Some(Node::Symlink)));
    assert!(r.lstat(&root.join("nothing/here"))?.is_none());
    assert!(is_escape(
        &r.relative(&root.join("../outside/secret"))
            .err()
            .ok_or("..")?
    ));
    assert!(is_escape(
        &r.relative(&outside.join("secret")).err().ok_or("outside")?
    ));
    assert_eq!(fs::read(outside.join("secret"))?, b"s");
    let mut content = String::new();
    io::Read::read_to_string(&mut r.open_file(&root.join("real/f"))?, &mut content)?;
    assert_eq!(content, "f");
    Ok(())
}

#[test]
fn moves_never_replace_and_never_write_through_links() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let root = tmp.path().join("root");
    let outside = tmp.path().join("outside");
    fs::create_dir_all(&root)?;
    fs::create_dir_all(&outside)?;
    fs::write(root.join("a"), b"a")?;
    fs::write(root.join("b"), b"b")?;
    let r = Root::open(&root)?;
    let e = r
        .move_noreplace(&root.join("a"), &root.join("b"), TRASH_DIR_MODE)
        .err()
        .ok_or("replaced b")?;
    assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
    assert_eq!(fs::read(root.join("b"))?, b"b");
    symlink(&outside, root.join(".declutter-trash"))?;
    let e = r
        .move_noreplace(
            &root.join("a"),
            &root.join(".declutter-trash/1/a"),
            TRASH_DIR_MODE,
        )
        .err()
        .ok_or("moved into a link")?;
    assert!(is_escape(&e), "{e}");
    assert_eq!(fs::read_dir(&outside)?.count(), 0);
    fs::remove_file(root.join(".declutter-trash"))?;
    r.move_noreplace(
        &root.join("a"),
        &root.join(".declutter-trash/1/x/a"),
        TRASH_DIR_MODE,
    )?;
    assert_eq!(fs::read(root.join(".declutter-trash/1/x/a"))?, b"a");
    r.prune_empty_dirs(
        &root.join(".declutter-trash/1/x"),
        &root.join(".declutter-trash"),
    );
    assert!(
        root.join(".declutter-trash/1/x").exists(),
        "a non-empty folder stays"
    );
    Ok(())
}

#[test]
fn a_folder_swapped_for_a_link_after_it_was_opened_is_listed_as_opened() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let root = tmp.path().join("root");
    let outside = tmp.path().join("outside");
    fs::create_dir_all(root.join("a"))?;
    fs::create_dir_all(&outside)?;
    fs::write(root.join("a/mine"), b"m")?;
    fs::write(outside.join("secret"), b"s")?;
    let top = Root::open(&root.canonicalize()?)?.handle()?;
    let a = open_dir_beneath(&top, Path::new("a"))?;
    // Between listing the root and reading `a`, `a` becomes a link to the outside.
    fs::rename(root.join("a"), root.join("a2"))?;
    symlink(&outside, root.join("a"))?;
    let mut names = Vec::new();
    let mut listing = read_dir(&a)?;
    while let Some(entry) = listing.read() {
        let name = entry?.file_name().to_bytes().to_vec();
        if name != b"." && name != b".." {
            names.push(name);
        }
    }
    assert_eq!(names, vec![b"mine".to_vec()]);
    let e = open_dir_beneath(&top, Path::new("a"))
        .err()
        .ok_or("opened a link")?;
    assert!(is_escape(&e), "{e}");
    Ok(())
}

#[test]
fn exclusive_copy_across_devices() -> TestResult {
    // /dev/shm is a tmpfs, the temp dir usually is not: a rename between them is EXDEV.
    let Ok(shm) = tempfile::tempdir_in("/dev/shm") else {
        return Ok(());
    };
    let disk = tempfile::tempdir()?;
    fs::write(shm.path().join("a.bin"), b"payload")?;
    let from = File::open(shm.path())?;
    let to = File::open(disk.path())?;
    copy_exclusive(
        &from.into(),
        OsStr::new("a.bin"),
        &to.into(),
        OsStr::new("a.bin"),
    )?;
    assert!(!shm.path().join("a.bin").exists());
    assert_eq!(fs::read(disk.path().join("a.bin"))?, b"payload");
    assert!(!disk.path().join("a.bin.declutter-partial").exists());
    Ok(())
}

#[test]
fn an_entry_is_described_as_std_describes_it() -> TestResult {
    use std::os::unix::fs::MetadataExt as _;
    let tmp = tempfile::tempdir()?;
    let dir = tmp.path().canonicalize()?;
    fs::write(dir.join("f"), b"12345")?;
    fs::create_dir(dir.join("d"))?;
    symlink(dir.join("f"), dir.join("l"))?;
    fs::hard_link(dir.join("f"), dir.join("h"))?;
    let top = Root::open(&dir)?.handle()?;
    for (name, kind) in [
        (c"f", rustix::fs::FileType::RegularFile),
        (c"d", rustix::fs::FileType::Directory),
        (c"l", rustix::fs::FileType::Symlink),
    ] {
        let st = stat_at(&top, name)?;
        let meta = fs::symlink_metadata(dir.join(OsStr::from_bytes(name.to_bytes())))?;
        assert_eq!(st.kind, kind, "{name:?}");
        // Where `statx` is refused, `fstatat` describes it the same.
        let old = of_stat(&rustix::fs::statat(&top, name, AtFlags::SYMLINK_NOFOLLOW)?);
        assert_eq!(
            (
                old.kind,
                old.dev,
                old.ino,
                old.nlink,
                old.size,
                old.mtime_ns
            ),
            (st.kind, st.dev, st.ino, st.nlink, st.size, st.mtime_ns),
            "{name:?}"
        );
        assert_eq!(
            (st.dev, st.ino, st.nlink, st.size),
            (meta.dev(), meta.ino(), meta.nlink(), meta.size()),
            "{name:?}"
        );
        assert_eq!(
            st.mtime_ns,
            meta.mtime() * 1_000_000_000 + meta.mtime_nsec(),
            "{name:?}"
        );
        // A provider's `stat` builds its entry from `std`'s metadata: the same description.
        assert_eq!(Stat::from(&meta), st, "{name:?}");
    }
    assert_eq!(stat_at(&top, c"f")?.nlink, 2, "the hard link is counted");
    let own = stat_at(&top, c"")?;
    let meta = fs::metadata(&dir)?;
    assert_eq!(
        (own.dev, own.ino),
        (meta.dev(), meta.ino()),
        "the handle itself"
    );
    Ok(())
}

#[test]
fn a_tree_is_removed_through_handles_and_never_through_a_link() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let root = tmp.path().canonicalize()?.join("root");
    let outside = tmp.path().canonicalize()?.join("outside");
    fs::create_dir_all(root.join("t/7/a/b"))?;
    fs::write(root.join("t/7/a/b/f"), b"f")?;
    fs::write(root.join("t/7/g"), b"g")?;
    fs::create_dir_all(outside.join("7"))?;
    fs::write(outside.join("7/keep"), b"k")?;
    // Links inside the tree, to a folder and to a file outside: unlinked, never followed.
    symlink(&outside, root.join("t/7/a/dir-link"))?;
    symlink(outside.join("7/keep"), root.join("t/7/file-link"))?;
    let r = Root::open(&root)?;
    assert!(r.remove_tree(&root.join("t/7"))?);
    assert!(!root.join("t/7").exists() && root.join("t").is_dir());
    assert!(!r.remove_tree(&root.join("t/7"))?, "nothing left to remove");
    assert_eq!(fs::read(outside.join("7/keep"))?, b"k");
    // A folder on the way is a link to a folder holding an entry of the same name: refused.
    fs::remove_dir(root.join("t"))?;
    symlink(&outside, root.join("t"))?;
    let e = r
        .remove_tree(&root.join("t/7"))
        .err()
        .ok_or("removed through a link")?;
    assert!(is_escape(&e), "{e}");
    assert_eq!(fs::read(outside.join("7/keep"))?, b"k");
    // A file or a link in the entry's place is unlinked itself.
    assert!(r.remove_tree(&root.join("t"))?);
    assert!(!root.join("t").exists() && outside.join("7/keep").exists());
    Ok(())
}

/// What one planted node of [`removal`]'s trees is.
#[derive(Debug, Clone)]
enum Plant {
    Dir,
    File(u8),
    /// A link to one of [`link_target`]'s targets.
    Link(usize),
}

/// Where a planted link leads: outside the root, to the root, to a node of the tree, to
/// nothing, or up and out by a relative path.
fn link_target(tmp: &Path, i: usize, names: &[&str]) -> PathBuf {
    match i % 7 {
        0 => tmp.join("outside"),
        1 => tmp.join("outside/a/keep"),
        2 => tmp.join("root"),
        3 => tmp.join("root").join(names[i % names.len()]),
        4 => tmp.join("nowhere"),
        5 => PathBuf::from("../outside"),
        _ => PathBuf::from("../../outside/a"),
    }
}

/// Every entry under `dir` as it is, links never followed: kind, content or link target.
fn snapshot(dir: &Path) -> std::collections::BTreeMap<PathBuf, String> {
    let mut out = std::collections::BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = entry.path();
            let meta = fs::symlink_metadata(&p).expect("listed entry");
            let rel = p.strip_prefix(dir).expect("below").to_path_buf();
            let what = if meta.file_type().is_symlink() {
                format!("link {}", fs::read_link(&p).expect("link").display())
            } else if meta.is_dir() {
                todo.push(p);
                "dir".to_owned()
            } else {
                format!("file {:?}", fs::read(&p).expect("file"))
            };
            out.insert(rel, what);
        }
    }
    out
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig {
        failure_persistence: None,
        ..proptest::prelude::ProptestConfig::default()
    })]
    /// `remove_tree` of any path, in any tree holding links to anywhere: it removes exactly
    /// the entry and what is physically inside it (links themselves, never what they lead
    /// to), refuses a path with a link on the way, and touches nothing else, inside the root
    /// or outside it.
    #[test]
    fn removal_takes_the_entry_and_nothing_else(
        plants in proptest::collection::vec(
            (proptest::collection::vec(0usize..3, 1..4), proptest::prop_oneof![
                proptest::strategy::Just(Plant::Dir),
                proptest::prelude::any::<u8>().prop_map(Plant::File),
                (0usize..7).prop_map(Plant::Link),
            ]),
            0..24,
        ),
        target in proptest::collection::vec(0usize..3, 1..4),
    ) {
        let names = ["a", "b", "keep"];
        let tmp = tempfile::tempdir().expect("tempdir");
        let tmp_path = tmp.path().canonicalize().expect("canonical");
        let root = tmp_path.join("root");
        // Outside: a folder holding the same names as the tree, so a link on the way leads
        // to an entry the removal could name.
        for p in ["root", "outside/a/b", "outside/keep"] {
            fs::create_dir_all(tmp_path.join(p)).expect("mkdir");
        }
        fs::write(tmp_path.join("outside/a/keep"), b"k").expect("write");
        fs::write(tmp_path.join("outside/a/b/keep"), b"k").expect("write");
        for (path, plant) in &plants {
            let p = path.iter().fold(root.clone(), |p, &n| p.join(names[n]));
            let parent_is_dir = fs::symlink_metadata(p.parent().expect("parent"))
                .is_ok_and(|m| m.is_dir());
            if !parent_is_dir || fs::symlink_metadata(&p).is_ok() {
                continue;
            }
            match plant {
                Plant::Dir => fs::create_dir(&p).expect("mkdir"),
                Plant::File(b) => fs::write(&p, [*b]).expect("write"),
                Plant::Link(i) => symlink(link_target(&tmp_path, *i, &names), &p).expect("link"),
            }
        }
        let target_rel: PathBuf = target.iter().map(|&n| names[n]).collect();
        let abs = root.join(&target_rel);
        // What the path meets on the way, component by component, links not followed.
        let mut through_link = false;
        let mut blocked = false;
        let mut at = root.clone();
        for c in target_rel.parent().into_iter().flat_map(Path::components) {
            at.push(c);
            match fs::symlink_metadata(&at) {
                Ok(m) if m.file_type().is_symlink() => { through_link = true; break; }
                Ok(m) if m.is_dir() => {}
                _ => { blocked = true; break; }
            }
        }
        let present = !through_link && !blocked && fs::symlink_metadata(&abs).is_ok();
        let before = snapshot(&tmp_path);

        let r = Root::open(&root).expect("root");
        let result = r.remove_tree(&abs);

        let after = snapshot(&tmp_path);
        let under = |p: &Path| {
            let full = tmp_path.join(p);
            full == abs || full.starts_with(&abs)
        };
        if through_link {
            let e = result.expect_err("removed through a link on the way");
            proptest::prop_assert!(is_escape(&e), "{e}");
            proptest::prop_assert_eq!(&after, &before);
        } else {
            proptest::prop_assert_eq!(result.expect("removal"), present);
            let expected: std::collections::BTreeMap<_, _> = before
                .iter()
                .filter(|(p, _)| !(present && under(p)))
                .map(|(p, w)| (p.clone(), w.clone()))
                .collect();
            proptest::prop_assert_eq!(&after, &expected);
        }
    }
}
