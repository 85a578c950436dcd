//! Plans and their items. Item states form the apply journal:
//! `pending` → `started` (trash row written, provider not yet known to have acted) → `done`,
//! or `skipped` with a reason.

use platform_db::sql::{Conn, Db, DbExt as _, Lock, Row, SqlError};
use platform_db::vals;

use super::{DbError, size_of, sql_size};
use crate::db::now;
use crate::ids::UserId;

/// A stored plan.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Plan {
    /// Plan id.
    pub id: i64,
    /// Unix seconds.
    pub created_at: i64,
    /// The keep rules as given.
    pub rules: String,
    /// `draft`, `applying` or `applied`.
    pub status: String,
    /// Files the plan removes.
    pub remove_count: u64,
    /// Bytes freed if applied fully.
    pub bytes_reclaimed: u64,
}

/// Keep or remove.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Stays.
    Keep,
    /// Goes to the trash.
    Remove,
}

/// One file of a plan with what was seen at planning time.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PlanItem {
    /// Row id (0 before insertion).
    pub id: i64,
    /// Group the file belongs to (`kind:hash:size`).
    pub group_key: String,
    /// Keep or remove.
    pub action: Action,
    /// Source.
    pub source: String,
    /// Provider.
    pub provider: String,
    /// Provider item id.
    pub item_id: String,
    /// Parent id when planned.
    pub parent_id: Option<String>,
    /// Name when planned.
    pub name: String,
    /// Path when planned.
    pub path: String,
    /// Size when planned.
    pub size: u64,
    /// Modification time when planned.
    pub modified_ns: i64,
    /// Hash kind when planned.
    pub hash_kind: Option<String>,
    /// Hash when planned.
    pub hash: Option<String>,
    /// eTag when planned.
    pub etag: Option<String>,
    /// Journal state.
    pub state: String,
    /// Why skipped.
    pub reason: Option<String>,
    /// Trash log row once started.
    pub trash_id: Option<i64>,
}

const ITEM_COLUMNS: &str = "id, group_key, action, source, provider, item_id, parent_id, name, path, size, \
                            modified_ns, hash_kind, hash, etag, state, reason, trash_id";

fn item_from(r: &dyn Row) -> Result<PlanItem, SqlError> {
    let action: String = r.get(2)?;
    Ok(PlanItem {
        id: r.get(0)?,
        group_key: r.get(1)?,
        action: if action == "keep" {
            Action::Keep
        } else {
            Action::Remove
        },
        source: r.get(3)?,
        provider: r.get(4)?,
        item_id: r.get(5)?,
        parent_id: r.get(6)?,
        name: r.get(7)?,
        path: r.get(8)?,
        size: size_of(r.get(9)?),
        modified_ns: r.get(10)?,
        hash_kind: r.get(11)?,
        hash: r.get(12)?,
        etag: r.get(13)?,
        state: r.get(14)?,
        reason: r.get(15)?,
        trash_id: r.get(16)?,
    })
}

fn plan_from(r: &dyn Row) -> Result<Plan, SqlError> {
    Ok(Plan {
        id: r.get(0)?,
        created_at: r.get(1)?,
        rules: r.get(2)?,
        status: r.get(3)?,
        remove_count: size_of(r.get(4)?),
        bytes_reclaimed: size_of(r.get(5)?),
    })
}

/// Stores a new draft plan and returns its id.
pub fn insert(
    conn: &mut dyn Conn,
    user: &UserId,
    rules: &str,
    items: &[PlanItem],
) -> Result<i64, DbError> {
    let tx = conn.transaction(Lock::None)?;
    let plan_id = insert_in(&*tx, user, rules, items)?;
    tx.commit()?;
    Ok(plan_id)
}

/// [`insert`] inside the caller's transaction.
pub fn insert_in(
    tx: &dyn Db,
    user: &UserId,
    rules: &str,
    items: &[PlanItem],
) -> Result<i64, DbError> {
    let removes: Vec<&PlanItem> = items
        .iter()
        .filter(|i| i.action == Action::Remove)
        .collect();
    let bytes: u64 = removes.iter().map(|i| i.size).sum();
    let plan_id: i64 = tx.insert_id(
        "INSERT INTO plans (user_id, created_at, rules, status, remove_count, bytes_reclaimed) \
         VALUES (?1, ?2, ?3, 'draft', ?4, ?5)",
        vals![
            user.as_str(),
            now(),
            rules,
            sql_size(u64::try_from(removes.len()).unwrap_or(u64::MAX)),
            sql_size(bytes)
        ],
    )?;
    for i in items {
        let action = if i.action == Action::Keep {
            "keep"
        } else {
            "remove"
        };
        tx.execute(
            "INSERT INTO plan_items (plan_id, group_key, action, source, provider, item_id, parent_id, name, path, size, \
             modified_ns, hash_kind, hash, etag) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            vals![
                plan_id,
                i.group_key.as_str(),
                action,
                i.source.as_str(),
                i.provider.as_str(),
                i.item_id.as_str(),
                i.parent_id.as_deref(),
                i.name.as_str(),
                i.path.as_str(),
                sql_size(i.size),
                i.modified_ns,
                i.hash_kind.as_deref(),
                i.hash.as_deref(),
                i.etag.as_deref()
            ],
        )?;
    }
    Ok(plan_id)
}

/// One plan of an owner.
pub fn get(conn: &dyn Db, user: &UserId, plan_id: i64) -> Result<Option<Plan>, DbError> {
    Ok(conn.row_opt(
        "SELECT id, created_at, rules, status, remove_count, bytes_reclaimed FROM plans WHERE user_id = ?1 AND id = ?2",
        vals![user.as_str(), plan_id],
        plan_from,
    )?)
}

/// The owner's most recent plan.
pub fn latest(conn: &dyn Db, user: &UserId) -> Result<Option<Plan>, DbError> {
    Ok(conn.row_opt(
        "SELECT id, created_at, rules, status, remove_count, bytes_reclaimed FROM plans WHERE user_id = ?1 ORDER BY id DESC LIMIT 1",
        vals![user.as_str()],
        plan_from,
    )?)
}

/// The owner's plans, newest first.
pub fn list(conn: &dyn Db, user: &UserId) -> Result<Vec<Plan>, DbError> {
    Ok(conn.rows(
        "SELECT id, created_at, rules, status, remove_count, bytes_reclaimed FROM plans \
         WHERE user_id = ?1 ORDER BY id DESC",
        vals![user.as_str()],
        plan_from,
    )?)
}

/// Every item of a plan, in group order.
pub fn items(conn: &dyn Db, plan_id: i64) -> Result<Vec<PlanItem>, DbError> {
    Ok(conn.rows(
        &format!("SELECT {ITEM_COLUMNS} FROM plan_items WHERE plan_id = ?1 ORDER BY group_key, id"),
        vals![plan_id],
        item_from,
    )?)
}

/// Sets a plan's status.
pub fn set_status(conn: &dyn Db, plan_id: i64, status: &str) -> Result<(), DbError> {
    conn.execute(
        "UPDATE plans SET status = ?2 WHERE id = ?1",
        vals![plan_id, status],
    )?;
    Ok(())
}

/// Moves an item to a journal state.
pub fn set_state(
    conn: &dyn Db,
    item_id: i64,
    state: &str,
    reason: Option<&str>,
    trash_id: Option<i64>,
) -> Result<(), DbError> {
    conn.execute(
        "UPDATE plan_items SET state = ?2, reason = ?3, trash_id = coalesce(?4, trash_id), updated_at = ?5 WHERE id = ?1",
        vals![item_id, state, reason, trash_id, now()],
    )?;
    Ok(())
}

/// Whether a plan removes anything from `provider` (an index lookup, whatever the plan's size).
pub fn removes_from(conn: &dyn Db, plan_id: i64, provider: &str) -> Result<bool, DbError> {
    Ok(conn.one(
        "SELECT EXISTS (SELECT 1 FROM plan_items INDEXED BY plan_items_by_provider \
         WHERE plan_id = ?1 AND action = 'remove' AND provider = ?2)",
        vals![plan_id, provider],
    )?)
}

/// The sources a plan's items are in (as stored, e.g. `local:/srv/photos`, `onedrive:`).
pub fn sources(conn: &dyn Db, plan_id: i64) -> Result<Vec<String>, DbError> {
    Ok(conn.rows(
        "SELECT DISTINCT source FROM plan_items WHERE plan_id = ?1",
        vals![plan_id],
        |r| r.get(0),
    )?)
}

/// How many duplicate groups a plan covers.
pub fn group_count(conn: &dyn Db, plan_id: i64) -> Result<u64, DbError> {
    let n: i64 = conn.one(
        "SELECT count(*) FROM (SELECT DISTINCT group_key FROM plan_items \
         INDEXED BY plan_items_by_group WHERE plan_id = ?1) AS g",
        vals![plan_id],
    )?;
    Ok(size_of(n))
}

/// One page of a plan's groups in group order, each with its items (kept copies first), read
/// through the `plan_items_by_group` index (migration 0007).
pub fn group_page(
    conn: &dyn Db,
    plan_id: i64,
    offset: u64,
    limit: u64,
) -> Result<Vec<Vec<PlanItem>>, DbError> {
    let mut groups: Vec<Vec<PlanItem>> = Vec::new();
    conn.each(
        &format!(
            "SELECT {ITEM_COLUMNS} FROM plan_items WHERE plan_id = ?1 AND group_key IN ( \
             SELECT DISTINCT group_key FROM plan_items INDEXED BY plan_items_by_group \
             WHERE plan_id = ?1 ORDER BY group_key LIMIT ?2 OFFSET ?3) \
             ORDER BY group_key, action, path, id"
        ),
        vals![plan_id, sql_size(limit), sql_size(offset)],
        &mut |r| {
            let item = item_from(r)?;
            match groups.last_mut() {
                Some(g) if g[0].group_key == item.group_key => g.push(item),
                _ => groups.push(vec![item]),
            }
            Ok(())
        },
    )?;
    Ok(groups)
}

/// The items of a plan's group named `group_key`.
pub fn group_items(conn: &dyn Db, plan_id: i64, group_key: &str) -> Result<Vec<PlanItem>, DbError> {
    Ok(conn.rows(
        &format!(
            "SELECT {ITEM_COLUMNS} FROM plan_items WHERE plan_id = ?1 AND group_key = ?2 ORDER BY id"
        ),
        vals![plan_id, group_key],
        item_from,
    )?)
}

/// One item of a plan.
pub fn item(conn: &dyn Db, plan_id: i64, item_id: i64) -> Result<Option<PlanItem>, DbError> {
    Ok(conn.row_opt(
        &format!("SELECT {ITEM_COLUMNS} FROM plan_items WHERE plan_id = ?1 AND id = ?2"),
        vals![plan_id, item_id],
        item_from,
    )?)
}

/// Sets what a pending item of a draft plan does; callers check the group still keeps a copy
/// (`engine::plan::edit`), then call [`refresh_totals`].
pub fn set_action(conn: &dyn Db, item_id: i64, action: Action) -> Result<(), DbError> {
    conn.execute(
        "UPDATE plan_items SET action = ?2 WHERE id = ?1 AND state = 'pending'",
        vals![
            item_id,
            if action == Action::Keep {
                "keep"
            } else {
                "remove"
            }
        ],
    )?;
    Ok(())
}

/// Recounts a plan's removals and bytes from its items.
pub fn refresh_totals(conn: &dyn Db, plan_id: i64) -> Result<(), DbError> {
    conn.execute(
        "UPDATE plans SET (remove_count, bytes_reclaimed) = \
         (SELECT count(*), CAST(coalesce(sum(size), 0) AS BIGINT) \
         FROM plan_items WHERE plan_id = ?1 AND action = 'remove') WHERE id = ?1",
        vals![plan_id],
    )?;
    Ok(())
}
