//! Folders an apply left empty and removed, journaled like removals: `removing` before the
//! rmdir, `removed` after, `recreated` once a restore made the folder again.

use platform_db::sql::{Db, DbExt as _, Row, RusqliteLike as _, SqlError};
use platform_db::vals as params;

use super::DbError;
use crate::db::now;
use crate::ids::UserId;

/// One removed (or being removed, or recreated) folder.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RemovedFolder {
    /// Log id.
    pub id: i64,
    /// The plan whose apply emptied it.
    pub plan_id: i64,
    /// The source it was below (never the source root itself).
    pub source: String,
    /// The folder's local id: its absolute path, or `raw:<hex>` for a name that is not UTF-8.
    pub folder_id: String,
    /// Its permission bits (`st_mode & 0o7777`), given back on recreation.
    pub mode: u32,
    /// Unix seconds.
    pub removed_at: i64,
    /// `removing`, `removed` or `recreated`.
    pub state: String,
}

const COLUMNS: &str = "id, plan_id, source, folder_id, mode, removed_at, state";

fn from_row(r: &dyn Row) -> Result<RemovedFolder, SqlError> {
    Ok(RemovedFolder {
        id: r.get(0)?,
        plan_id: r.get(1)?,
        source: r.get(2)?,
        folder_id: r.get(3)?,
        mode: r.get(4)?,
        removed_at: r.get(5)?,
        state: r.get(6)?,
    })
}

/// Journals the removal of `folder_id` (state `removing`) before it happens; returns its id.
pub fn journal(
    conn: &dyn Db,
    user: &UserId,
    plan_id: i64,
    source: &str,
    folder_id: &str,
    mode: u32,
) -> Result<i64, DbError> {
    Ok(conn.insert_id(
        "INSERT INTO removed_folders (user_id, plan_id, source, folder_id, mode, removed_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![user.as_str(), plan_id, source, folder_id, mode, now()],
    )?)
}

/// Moves a row to `state`.
pub fn set_state(conn: &dyn Db, id: i64, state: &str) -> Result<(), DbError> {
    conn.execute(
        "UPDATE removed_folders SET state = ?2 WHERE id = ?1",
        params![id, state],
    )?;
    Ok(())
}

/// Drops a journaled removal that did not happen (the folder was not empty, or is gone).
pub fn forget(conn: &dyn Db, id: i64) -> Result<(), DbError> {
    conn.execute(
        "DELETE FROM removed_folders WHERE id = ?1 AND state = 'removing'",
        [id],
    )?;
    Ok(())
}

/// The owner's rows of plan `plan_id` in one of `states`, in removal order.
pub fn of_plan(
    conn: &dyn Db,
    user: &UserId,
    plan_id: i64,
    states: &[&str],
) -> Result<Vec<RemovedFolder>, DbError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM removed_folders INDEXED BY removed_folders_plan \
         WHERE plan_id = ?1 AND user_id = ?2 ORDER BY id"
    ))?;
    let rows = stmt.query_map(params![plan_id, user.as_str()], from_row)?;
    let all: Vec<RemovedFolder> = rows.collect::<Result<_, _>>()?;
    Ok(all
        .into_iter()
        .filter(|f| states.contains(&f.state.as_str()))
        .collect())
}

/// The owner's folders of `source` that are still removed (`removing` or `removed`), in
/// removal order.
pub fn of_source(
    conn: &dyn Db,
    user: &UserId,
    source: &str,
) -> Result<Vec<RemovedFolder>, DbError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM removed_folders INDEXED BY removed_folders_source \
         WHERE user_id = ?1 AND source = ?2 AND state IN ('removing', 'removed') ORDER BY id"
    ))?;
    let rows = stmt.query_map(params![user.as_str(), source], from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// True when `source` (`local:<path>`) is a scanned source of any owner: its root folder is
/// never removed as emptied, even when it lies below another source.
pub fn is_source(conn: &dyn Db, source: &str) -> Result<bool, DbError> {
    Ok(conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM sources WHERE source = ?1)")?
        .query_row([source], |r| r.get(0))?)
}
