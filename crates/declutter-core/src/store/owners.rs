//! An owner's data as a whole: its export, forgetting one source, and deleting everything. The
//! engine owns these tables, so it alone knows which rows are an owner's; the web app calls
//! these instead of writing SQL against them (as atuin's storage owns `delete_user`).

use platform_db::sql::{Conn, Db, DbExt as _, Lock, RusqliteLike as _, Value as SqlValue};
use platform_db::vals as params;
use serde_json::{Map, Value, json};

use super::DbError;
use crate::ids::{ProviderKind, Source, UserId};

/// Every table with a `user_id` column, children before parents; the per-owner aggregates come
/// last, since deleting groups updates them through triggers. A unit test checks that this
/// list names exactly the schema's tables with a `user_id` column, so a new owned table cannot
/// be forgotten here.
pub const OWNED_TABLES: &[&str] = &[
    "removed_folders",
    "trash",
    "jobs",
    "plans",
    "dup_groups",
    "content_checks",
    "listing_stage",
    "files",
    "scans",
    "sources",
    "apply_locks",
    "dup_summary",
    "dupes_view_version",
    "unsettled",
];

/// `(name, query)` of every exported table; `?1` is the owner. Child tables without a
/// `user_id` are reached through their parent.
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
    (
        "removed_folders",
        "SELECT * FROM removed_folders WHERE user_id = ?1 ORDER BY id",
    ),
];

fn json_of(v: SqlValue) -> Value {
    match v {
        SqlValue::Null => Value::Null,
        SqlValue::Int(i) => json!(i),
        SqlValue::Real(f) => json!(f),
        SqlValue::Text(t) => json!(t),
        SqlValue::Blob(b) => json!(hex_of(&b)),
    }
}

fn hex_of(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Every row of `user`, table by table, as JSON objects keyed by column (blobs as hex): the
/// engine's part of a data export.
pub fn export(conn: &dyn Db, user: &UserId) -> Result<Map<String, Value>, DbError> {
    let mut out = Map::new();
    for (name, sql) in EXPORTED {
        let mut list = Vec::new();
        let mut columns: Option<Vec<String>> = None;
        conn.each(sql, params![user.as_str()], &mut |row| {
            let columns = columns.get_or_insert_with(|| row.columns());
            let mut obj = Map::new();
            for (i, col) in columns.iter().enumerate() {
                obj.insert(col.clone(), json_of(row.value(i)?));
            }
            list.push(Value::Object(obj));
            Ok(())
        })?;
        out.insert((*name).to_owned(), Value::Array(list));
    }
    Ok(out)
}

/// Forgets what was indexed of `user`'s `source`: its files, their content checks, its
/// incremental cursor (a later scan starts with a full listing, perhaps of another account at
/// the provider) and so the duplicate groups they made, in one transaction. Scans and the
/// trash log stay: they are the owner's record of what happened.
pub fn forget_source(conn: &mut dyn Conn, user: &UserId, source: &Source) -> Result<(), DbError> {
    let source = source.to_string();
    let tx = conn.transaction(Lock::None)?;
    for table in ["files", "content_checks", "sources"] {
        tx.execute(
            &format!("DELETE FROM {table} WHERE user_id = ?1 AND source = ?2"),
            params![user.as_str(), source],
        )?;
    }
    super::groups::recompute_in(&*tx, user)?;
    tx.commit()?;
    Ok(())
}

/// Deletes every row of `user` inside the caller's transaction, so an account and its engine
/// data go together (rows of tables without `user_id` cascade from their parents).
pub fn delete_in(tx: &dyn Db, user: &UserId) -> Result<(), DbError> {
    for table in OWNED_TABLES {
        tx.execute(
            &format!("DELETE FROM {table} WHERE user_id = ?1"),
            [user.as_str()],
        )?;
    }
    Ok(())
}

/// The owner's local trash entries whose files may still sit in a trash folder (`trashing` or
/// `trashed`), with their source: what has to be removed from disk before [`delete_in`]
/// forgets where it is.
pub fn local_trash(conn: &dyn Db, user: &UserId) -> Result<Vec<(i64, Source)>, DbError> {
    let mut stmt = conn.prepare(
        "SELECT id, source FROM trash
         WHERE user_id = ?1 AND provider = ?2 AND state IN ('trashing', 'trashed')",
    )?;
    let rows = stmt.query_map(params![user.as_str(), ProviderKind::Local.as_str()], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, source) = row?;
        // A source that no longer parses as a local folder has nothing on disk we could find.
        if let Ok(source @ Source::Local(_)) = source.parse::<Source>() {
            out.push((id, source));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owned_tables_are_every_table_with_an_owner() -> Result<(), Box<dyn std::error::Error>> {
        let conn = crate::db::open_in_memory()?;
        let mut stmt = conn.prepare(
            "SELECT m.name FROM sqlite_master m, pragma_table_info(m.name) p
             WHERE m.type = 'table' AND p.name = 'user_id' ORDER BY m.name",
        )?;
        let found: Vec<String> = stmt
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let mut listed: Vec<&str> = OWNED_TABLES.to_vec();
        listed.sort_unstable();
        assert_eq!(found, listed);
        Ok(())
    }
}
