//! The crate's dependencies point one way: handlers → services and views → storage. Read from
//! the sources: nothing below the handlers names a handler, and only the edge (handlers, the
//! router, the access layer and the page chrome) sees the whole app state; everything else
//! takes the narrow handle it needs (`FromRef` in `state.rs`).

use std::path::{Path, PathBuf};

use crate::support::TestResult;

/// Files of the edge, which may see `AppState`.
const EDGE: &[&str] = &[
    "lib.rs",
    "router.rs",
    "state.rs",
    "auth/access.rs",
    "proxy.rs",
    "assets.rs",
    "views.rs",
];

fn sources(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            sources(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    Ok(())
}

/// Code only: comments and doc comments may name anything.
fn code(text: &str) -> String {
    text.lines()
        .map(|l| l.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn dependencies_point_down_from_the_handlers() -> TestResult {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files)?;
    assert!(files.len() > 40, "the walk found the sources");
    let mut wrong = Vec::new();
    for file in files {
        let name = file
            .strip_prefix(&src)?
            .to_string_lossy()
            .replace('\\', "/");
        if name.starts_with("handlers/") {
            continue;
        }
        let text = code(&std::fs::read_to_string(&file)?);
        if name != "router.rs" && name != "lib.rs" && text.contains("handlers::") {
            wrong.push(format!("{name} reaches up into the handlers"));
        }
        if !EDGE.contains(&name.as_str()) && text.contains("AppState") {
            wrong.push(format!("{name} takes the whole app state"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    Ok(())
}
