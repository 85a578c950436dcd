//! The trash log: what we moved, where to, and until when it is kept.

use platform_db::sql::{Db, DbExt as _, Optional as _, Row, RusqliteLike as _, SqlError};
use platform_db::vals as params;

use super::{DbError, size_of, sql_size};
use crate::ids::UserId;

/// One trashed (or once trashed) item.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TrashEntry {
    /// Log id.
    pub id: i64,
    /// Source.
    pub source: String,
    /// Provider.
    pub provider: String,
    /// Provider item id.
    pub item_id: String,
    /// Parent before trashing.
    pub parent_id: Option<String>,
    /// Name before trashing.
    pub name: String,
    /// Path before trashing.
    pub original_path: String,
    /// Where it is in the trash.
    pub location: String,
    /// Bytes.
    pub size: u64,
    /// Hash kind.
    pub hash_kind: Option<String>,
    /// Hash.
    pub hash: Option<String>,
    /// Plan item that trashed it.
    pub plan_item_id: Option<i64>,
    /// Unix seconds.
    pub trashed_at: i64,
    /// Purge after (unix seconds).
    pub expires_at: i64,
    /// `trashing`, `trashed`, `restored`, `purged`.
    pub state: String,
}

const COLUMNS: &str = "id, source, provider, item_id, parent_id, name, original_path, location, size, \
                       hash_kind, hash, plan_item_id, trashed_at, expires_at, state";

fn from_row(r: &dyn Row) -> Result<TrashEntry, SqlError> {
    Ok(TrashEntry {
        id: r.get(0)?,
        source: r.get(1)?,
        provider: r.get(2)?,
        item_id: r.get(3)?,
        parent_id: r.get(4)?,
        name: r.get(5)?,
        original_path: r.get(6)?,
        location: r.get(7)?,
        size: size_of(r.get(8)?),
        hash_kind: r.get(9)?,
        hash: r.get(10)?,
        plan_item_id: r.get(11)?,
        trashed_at: r.get(12)?,
        expires_at: r.get(13)?,
        state: r.get(14)?,
    })
}

/// Inserts an entry in state `trashing` (location filled by [`set_location`]); returns its id.
pub fn insert(conn: &dyn Db, user: &UserId, e: &TrashEntry) -> Result<i64, DbError> {
    Ok(conn.insert_id(
        &format!("INSERT INTO trash (user_id, {}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)", &COLUMNS[4..]),
        params![
            user.as_str(), e.source, e.provider, e.item_id, e.parent_id, e.name, e.original_path, e.location,
            sql_size(e.size), e.hash_kind, e.hash, e.plan_item_id, e.trashed_at, e.expires_at, e.state
        ],
    )?)
}

/// Records where an entry goes.
pub fn set_location(conn: &dyn Db, id: i64, location: &str) -> Result<(), DbError> {
    conn.execute(
        "UPDATE trash SET location = ?2 WHERE id = ?1",
        params![id, location],
    )?;
    Ok(())
}

/// Moves an entry to `state`.
pub fn set_state(conn: &dyn Db, id: i64, state: &str) -> Result<(), DbError> {
    conn.execute(
        "UPDATE trash SET state = ?2 WHERE id = ?1",
        params![id, state],
    )?;
    Ok(())
}

/// One entry of an owner.
pub fn get(conn: &dyn Db, user: &UserId, id: i64) -> Result<Option<TrashEntry>, DbError> {
    Ok(conn
        .query_row(
            &format!("SELECT {COLUMNS} FROM trash WHERE user_id = ?1 AND id = ?2"),
            params![user.as_str(), id],
            from_row,
        )
        .optional()?)
}

/// The owner's entries in one of `states`, oldest first.
pub fn list(conn: &dyn Db, user: &UserId, states: &[&str]) -> Result<Vec<TrashEntry>, DbError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM trash WHERE user_id = ?1 ORDER BY id"
    ))?;
    let rows = stmt.query_map([user.as_str()], from_row)?;
    let all: Vec<TrashEntry> = rows.collect::<Result<_, _>>()?;
    Ok(all
        .into_iter()
        .filter(|e| states.contains(&e.state.as_str()))
        .collect())
}

/// One page of the owner's trashed entries, newest first.
pub fn page(
    conn: &dyn Db,
    user: &UserId,
    offset: u64,
    limit: u64,
) -> Result<Vec<TrashEntry>, DbError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM trash INDEXED BY trash_owner_page \
         WHERE user_id = ?1 AND state = 'trashed' ORDER BY id DESC LIMIT ?2 OFFSET ?3"
    ))?;
    let rows = stmt.query_map(
        params![user.as_str(), sql_size(limit), sql_size(offset)],
        from_row,
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// How many entries the owner's trash holds, and their bytes.
pub fn totals(conn: &dyn Db, user: &UserId) -> Result<(u64, u64), DbError> {
    Ok(conn
        .prepare_cached(
            "SELECT count(*), CAST(coalesce(sum(size), 0) AS BIGINT) FROM trash INDEXED BY trash_owner_page \
             WHERE user_id = ?1 AND state = 'trashed'",
        )?
        .query_row([user.as_str()], |r| {
            Ok((size_of(r.get(0)?), size_of(r.get(1)?)))
        })?)
}

/// The owner's trashed entries that plan `plan_id` put there, oldest first.
pub fn of_plan(conn: &dyn Db, user: &UserId, plan_id: i64) -> Result<Vec<TrashEntry>, DbError> {
    let columns = COLUMNS
        .split(", ")
        .map(|c| format!("t.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut stmt = conn.prepare(&format!(
        "SELECT {columns} FROM trash t JOIN plan_items p ON p.id = t.plan_item_id \
         WHERE p.plan_id = ?1 AND t.user_id = ?2 AND t.state = 'trashed' ORDER BY t.id"
    ))?;
    let rows = stmt.query_map(params![plan_id, user.as_str()], from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Deletes an entry that never took effect.
pub fn delete(conn: &dyn Db, id: i64) -> Result<(), DbError> {
    conn.execute(
        "DELETE FROM trash WHERE id = ?1 AND state = 'trashing'",
        [id],
    )?;
    Ok(())
}

/// True when a live trash row (being written, or holding the item) other than `except` claims
/// the item `item_id` of `provider`, for any owner: an item claimed so is not a live copy, and
/// is not to be removed again. Read inside the transaction that journals a removal.
pub fn claimed(
    conn: &dyn Db,
    provider: &str,
    item_id: &str,
    except: Option<i64>,
) -> Result<bool, DbError> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM trash INDEXED BY trash_item WHERE item_id = ?1 \
             AND provider = ?2 AND state IN ('trashing', 'trashed') AND id IS DISTINCT FROM ?3)",
        )?
        .query_row(params![item_id, provider, except], |r| r.get(0))?)
}

/// What one plan still holds in the owner's trash.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlanInTrash {
    /// The plan.
    pub plan_id: i64,
    /// Its entries still in the trash.
    pub count: u64,
    /// Their bytes.
    pub bytes: u64,
}

/// The owner's plans with entries still in the trash, newest first, at most `limit`.
pub fn plans_in_trash(
    conn: &dyn Db,
    user: &UserId,
    limit: u64,
) -> Result<Vec<PlanInTrash>, DbError> {
    let mut stmt = conn.prepare_cached(
        "SELECT p.plan_id, count(*), CAST(coalesce(sum(t.size), 0) AS BIGINT) FROM trash t \
         JOIN plan_items p ON p.id = t.plan_item_id \
         WHERE t.user_id = ?1 AND t.state = 'trashed' \
         GROUP BY p.plan_id ORDER BY p.plan_id DESC LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![user.as_str(), sql_size(limit)], |r| {
        Ok(PlanInTrash {
            plan_id: r.get(0)?,
            count: size_of(r.get(1)?),
            bytes: size_of(r.get(2)?),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The sources (`local:/path`, `onedrive:`, `gdrive:`) the owner's trashed entries are in.
pub fn sources(conn: &dyn platform_db::sql::Db, user: &UserId) -> Result<Vec<String>, DbError> {
    use platform_db::sql::DbExt as _;
    Ok(conn.rows(
        "SELECT DISTINCT source FROM trash WHERE user_id = ?1 AND state = 'trashed' ORDER BY source",
        platform_db::vals![user.as_str()],
        |r| r.get(0),
    )?)
}

/// The owners with trashed entries due for purging at `t` (their retention over).
pub fn owners_with_expired(conn: &dyn Db, t: i64) -> Result<Vec<UserId>, DbError> {
    let mut stmt = conn.prepare_cached(
        "SELECT DISTINCT user_id FROM trash WHERE state = 'trashed' AND expires_at <= ?1",
    )?;
    let rows = stmt.query_map([t], |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for row in rows {
        out.push(
            row?.parse()
                .map_err(|e: crate::ids::IdError| DbError::Corrupt(e.to_string()))?,
        );
    }
    Ok(out)
}
