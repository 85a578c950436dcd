//! Scan bookkeeping and the per-source incremental cursor.

use platform_db::sql::{Db, DbExt as _, Optional as _, RusqliteLike as _};
use platform_db::vals as params;

use super::DbError;
use crate::db::now;
use crate::ids::{Source, UserId};
use crate::provider::ScanIssue;

/// Records the start of a scan and returns its id.
pub fn begin(
    conn: &dyn Db,
    user: &UserId,
    source: &Source,
    incremental: bool,
) -> Result<i64, DbError> {
    Ok(conn.insert_id(
        "INSERT INTO scans (user_id, source, started_at, status, incremental) VALUES (?1, ?2, ?3, 'running', ?4)",
        params![user.as_str(), source.to_string(), now(), incremental],
    )?)
}

/// Marks a scan finished with its counts.
pub fn finish(
    conn: &dyn Db,
    scan_id: i64,
    ok: bool,
    items: u64,
    calls: u64,
    issues: &[ScanIssue],
) -> Result<(), DbError> {
    conn.execute(
        "UPDATE scans SET finished_at = ?2, status = ?3, items_seen = ?4, api_calls = ?5, issue_count = ?6 WHERE id = ?1",
        params![scan_id, now(), if ok { "done" } else { "failed" }, items as i64, calls as i64, issues.len() as i64],
    )?;
    let mut stmt = conn.prepare(
        "INSERT INTO scan_issues (scan_id, path, kind, message) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for i in issues {
        stmt.execute(params![scan_id, i.path, i.kind, i.message])?;
    }
    Ok(())
}

/// The stored incremental cursor of a source.
pub fn cursor(conn: &dyn Db, user: &UserId, source: &Source) -> Result<Option<String>, DbError> {
    Ok(conn
        .query_row(
            "SELECT cursor FROM sources WHERE user_id = ?1 AND source = ?2",
            params![user.as_str(), source.to_string()],
            |r| r.get::<_, Option<String>>(0),
        )
        .optional()?
        .flatten())
}

/// Stores the cursor and last scan of a source.
pub fn set_cursor(
    conn: &dyn Db,
    user: &UserId,
    source: &Source,
    cursor: Option<&str>,
    scan_id: i64,
) -> Result<(), DbError> {
    conn.execute(
        "INSERT INTO sources (user_id, source, provider, cursor, last_scan_id) VALUES (?1, ?2, ?3, ?4, ?5) \
         ON CONFLICT (user_id, source) DO UPDATE SET cursor = excluded.cursor, last_scan_id = excluded.last_scan_id",
        params![user.as_str(), source.to_string(), source.provider().as_str(), cursor, scan_id],
    )?;
    Ok(())
}

/// Issues recorded by a scan.
pub fn issues(conn: &dyn Db, scan_id: i64) -> Result<Vec<ScanIssue>, DbError> {
    let mut stmt =
        conn.prepare("SELECT path, kind, message FROM scan_issues WHERE scan_id = ?1 ORDER BY id")?;
    let rows = stmt.query_map([scan_id], |r| {
        let kind: String = r.get(1)?;
        let kind = match kind.as_str() {
            "permission" => "permission",
            "vanished" => "vanished",
            "non_utf8" => "non_utf8",
            _ => "io",
        };
        Ok(ScanIssue {
            path: r.get(0)?,
            kind,
            message: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
