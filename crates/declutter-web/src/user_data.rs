//! The engine's share of an account's data: its rows for the data export, the files it moved
//! into local trash folders (removed when the account is deleted), and a disconnected drive's
//! index (forgotten on disconnect).

use std::path::{Path, PathBuf};

use declutter_core::ids::{Source, UserId};
use declutter_core::local::TRASH_DIR;
use declutter_core::store::groups;
use platform_db::rusqlite::types::ValueRef;
use platform_db::rusqlite::{Connection, params};
use serde_json::{Map, Value, json};

use crate::db::DbError;
use crate::error::ApiError;
use crate::local_roots::confine;
use crate::state::AppState;

/// `(name, query)` of every engine table holding the owner's rows; `?1` is the owner.
const EXPORTED: &[(&str, &str)] = &[
    ("sources", "SELECT * FROM sources WHERE user_id = ?1"),
    (
        "scans",
        "SELECT * FROM scans WHERE user_id = ?1 ORDER BY id",
    ),
    (
        "scan_issues",
        "SELECT i.* FROM scan_issues i JOIN scans s ON s.id = i.scan_id
         WHERE s.user_id = ?1 ORDER BY i.id",
    ),
    (
        "files",
        "SELECT * FROM files WHERE user_id = ?1 ORDER BY id",
    ),
    (
        "duplicate_groups",
        "SELECT * FROM dup_groups WHERE user_id = ?1 ORDER BY id",
    ),
    (
        "duplicate_group_files",
        "SELECT gf.* FROM dup_group_files gf JOIN dup_groups g ON g.id = gf.group_id
         WHERE g.user_id = ?1 ORDER BY gf.group_id, gf.file_id",
    ),
    (
        "plans",
        "SELECT * FROM plans WHERE user_id = ?1 ORDER BY id",
    ),
    (
        "plan_items",
        "SELECT i.* FROM plan_items i JOIN plans p ON p.id = i.plan_id
         WHERE p.user_id = ?1 ORDER BY i.id",
    ),
    (
        "trash",
        "SELECT * FROM trash WHERE user_id = ?1 ORDER BY id",
    ),
    ("jobs", "SELECT * FROM jobs WHERE user_id = ?1 ORDER BY id"),
];

fn json_of(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => json!(i),
        ValueRef::Real(f) => json!(f),
        ValueRef::Text(t) => json!(String::from_utf8_lossy(t)),
        ValueRef::Blob(b) => json!(hex::encode(b)),
    }
}

/// Every engine row of `user_id`, table by table, as JSON objects keyed by column.
pub fn engine_rows(c: &Connection, user_id: &str) -> Result<Value, DbError> {
    let mut out = Map::new();
    for (name, sql) in EXPORTED {
        let mut stmt = c.prepare(sql)?;
        let columns: Vec<String> = stmt
            .column_names()
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let mut rows = stmt.query(params![user_id])?;
        let mut list = Vec::new();
        while let Some(row) = rows.next()? {
            let mut obj = Map::new();
            for (i, col) in columns.iter().enumerate() {
                obj.insert(col.clone(), json_of(row.get_ref(i)?));
            }
            list.push(Value::Object(obj));
        }
        out.insert((*name).to_owned(), Value::Array(list));
    }
    Ok(Value::Object(out))
}

/// Forgets what the engine indexed of `user_id`'s `provider` drive (`onedrive` or `gdrive`):
/// its files, its incremental cursor (a later connection may be another account at the
/// provider) and so its duplicate groups. Trash log rows stay: they are the user's record.
pub fn forget_drive(c: &mut Connection, user_id: &str, provider: &str) -> Result<(), ApiError> {
    let source = match provider {
        "onedrive" => Source::OneDrive,
        "gdrive" => Source::GDrive,
        _ => return Ok(()),
    }
    .to_string();
    let owner: UserId = user_id
        .parse()
        .map_err(|_| ApiError::Internal("account id is not a valid owner id".into()))?;
    let tx = c.transaction().map_err(DbError::from)?;
    tx.execute(
        "DELETE FROM files WHERE user_id = ?1 AND source = ?2",
        params![user_id, source],
    )
    .map_err(DbError::from)?;
    tx.execute(
        "DELETE FROM sources WHERE user_id = ?1 AND source = ?2",
        params![user_id, source],
    )
    .map_err(DbError::from)?;
    tx.commit().map_err(DbError::from)?;
    groups::recompute(c, &owner).map_err(|e| ApiError::Internal(e.to_string()))
}

/// `(trash id, source)` of the owner's local entries whose files may still sit in a trash folder.
fn local_trash(c: &Connection, user_id: &str) -> Result<Vec<(i64, String)>, DbError> {
    let mut stmt = c.prepare(
        "SELECT id, source FROM trash
         WHERE user_id = ?1 AND provider = 'local' AND state IN ('trashing', 'trashed')",
    )?;
    let rows = stmt.query_map([user_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Removes the folder of one trash entry, `<root>/.declutter-trash/<id>`, without following
/// symlinks: the root must still be canonical and inside the allow-listed roots, the trash
/// folder a real folder, and a symlink in the entry's place is unlinked, never followed.
fn remove_entry(roots: &[PathBuf], root: &Path, id: i64) -> Result<bool, String> {
    let real = confine(roots, root).map_err(|e| e.to_string())?;
    if real != root {
        return Err("the source folder now resolves elsewhere".into());
    }
    let trash = real.join(TRASH_DIR);
    match std::fs::symlink_metadata(&trash) {
        Ok(m) if m.file_type().is_dir() => {}
        Ok(_) => return Err("the trash folder is not a plain folder".into()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e.kind().to_string()),
    }
    let entry = trash.join(id.to_string());
    let meta = match std::fs::symlink_metadata(&entry) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e.kind().to_string()),
    };
    // `remove_dir_all` removes symlinks inside the tree rather than following them.
    let removed = if meta.file_type().is_dir() {
        std::fs::remove_dir_all(&entry)
    } else {
        std::fs::remove_file(&entry)
    };
    removed.map(|()| true).map_err(|e| e.kind().to_string())
}

/// Deletes the files the engine moved into local trash folders for `user_id` (only entries of
/// that owner's trash log). Best effort: failures are logged, never shown; returns how many
/// entries were removed.
pub async fn remove_local_trash(state: &AppState, user_id: &str) -> usize {
    let uid = user_id.to_owned();
    let entries = match state.pool.read(move |c| local_trash(c, &uid)).await {
        Ok(Ok(e)) => e,
        Ok(Err(error)) => {
            tracing::warn!(%error, "cannot list local trash of a deleted account");
            return 0;
        }
        Err(error) => {
            tracing::warn!(%error, "cannot list local trash of a deleted account");
            return 0;
        }
    };
    let roots = state.config.local_roots.clone();
    let job = tokio::task::spawn_blocking(move || {
        let mut removed = 0;
        for (id, source) in entries {
            let Ok(Source::Local(root)) = source.parse::<Source>() else {
                continue;
            };
            match remove_entry(&roots, &root, id) {
                Ok(true) => removed += 1,
                Ok(false) => {}
                Err(error) => {
                    tracing::warn!(trash_id = id, %error, "cannot remove a local trash entry");
                }
            }
        }
        removed
    });
    match job.await {
        Ok(n) => n,
        Err(error) => {
            tracing::warn!(%error, "removing local trash failed");
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_only_the_entry_and_never_follows_links() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        std::fs::create_dir_all(dir.path().join("root"))?;
        let root = dir.path().join("root").canonicalize()?;
        let outside = dir.path().join("outside");
        std::fs::create_dir_all(&outside)?;
        std::fs::write(outside.join("keep.txt"), b"not ours")?;
        let trash = root.join(TRASH_DIR);
        std::fs::create_dir_all(trash.join("7/photos"))?;
        std::fs::write(trash.join("7/photos/a.jpg"), b"x")?;
        std::os::unix::fs::symlink(&outside, trash.join("7/photos/link"))?;
        std::fs::create_dir_all(trash.join("8"))?;
        std::os::unix::fs::symlink(&outside, trash.join("9"))?;
        let roots = vec![root.clone()];
        assert!(remove_entry(&roots, &root, 7)?);
        assert!(!trash.join("7").exists());
        assert!(trash.join("8").exists(), "another entry stays");
        assert!(remove_entry(&roots, &root, 9)?, "a link is unlinked");
        assert!(
            outside.join("keep.txt").exists(),
            "links are never followed"
        );
        assert!(!remove_entry(&roots, &root, 10)?);
        assert!(
            remove_entry(&roots, &outside, 8).is_err(),
            "outside the roots"
        );
        Ok(())
    }
}
