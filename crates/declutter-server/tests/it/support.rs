//! Running the binary against a fresh database.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub type TestResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

/// A workspace: temp dir, database path, tree root.
pub struct Env {
    pub dir: tempfile::TempDir,
    pub db: PathBuf,
    pub root: PathBuf,
}

impl Env {
    pub fn new() -> Result<Self, std::io::Error> {
        let dir = tempfile::tempdir()?;
        let db = dir.path().join("state.db");
        let root = dir.path().join("tree");
        std::fs::create_dir_all(&root)?;
        Ok(Self { dir, db, root })
    }

    pub fn cmd(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_declutter"));
        c.env("DECLUTTER_DB", &self.db);
        c.env_remove("DECLUTTER_TEST_PAUSE_AFTER");
        c
    }

    /// Runs with `args`; fails the test on a non-zero exit.
    pub fn ok(&self, args: &[&str]) -> Result<String, Box<dyn std::error::Error>> {
        let out = self.cmd().args(args).output()?;
        if !out.status.success() {
            return Err(format!(
                "declutter {args:?} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            )
            .into());
        }
        Ok(String::from_utf8(out.stdout)?)
    }

    pub fn run(&self, args: &[&str]) -> Result<Output, std::io::Error> {
        self.cmd().args(args).output()
    }

    pub fn write(&self, rel: &str, content: &[u8]) -> Result<PathBuf, std::io::Error> {
        let p = self.root.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&p, content)?;
        Ok(p)
    }

    pub fn root_str(&self) -> Result<&str, Box<dyn std::error::Error>> {
        self.root
            .to_str()
            .ok_or_else(|| "non-UTF-8 temp dir".into())
    }
}

/// Deterministic content.
pub fn content(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 32) as u8
        })
        .collect()
}

/// Every regular file under `root`, skipping the trash.
pub fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_owned()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.file_name().is_some_and(|n| n == ".declutter-trash") {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
