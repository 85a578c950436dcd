//! Changing a draft plan before it is applied: per-file overrides (this copy stays, that one
//! goes) and per-group ones (only this copy stays). Every change goes through [`edit`], which
//! refuses, before anything is written, a change that would leave a group without a live copy
//! it owns or that would remove a file someone else owns — the same promise `plan_group` keeps
//! for rule-made plans (docs/SAFETY.md, 1).

use std::collections::BTreeMap;

use platform_db::sql::{Conn, Db, Lock};

use super::EngineError;
use crate::ids::UserId;
use crate::store::files;
use crate::store::plans::{self, Action, PlanItem};

/// One change to a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Override {
    /// This item stays or goes; the rest of its group is unchanged.
    Item {
        /// Plan item id.
        item: i64,
        /// What it does now.
        action: Action,
    },
    /// This item stays and every other copy of its group that the owner owns goes.
    KeepOnly {
        /// Plan item id.
        item: i64,
    },
}

impl Override {
    fn item(self) -> i64 {
        match self {
            Self::Item { item, .. } | Self::KeepOnly { item } => item,
        }
    }
}

/// Applies `changes` to the owner's draft plan `plan_id` in one transaction: all of them, or,
/// when any group would be left without a live copy or any file of someone else would go,
/// none. Returns the plan with its new totals.
pub fn edit(
    conn: &mut dyn Conn,
    user: &UserId,
    plan_id: i64,
    changes: &[Override],
) -> Result<plans::Plan, EngineError> {
    let tx = conn.transaction(Lock::Owner(user.as_str()))?;
    let plan = edit_in(&*tx, user, plan_id, changes)?;
    tx.commit()?;
    Ok(plan)
}

/// [`edit`] inside the caller's (immediate) transaction: on an error the caller must roll
/// back, since earlier groups may already be written.
pub fn edit_in(
    tx: &dyn Db,
    user: &UserId,
    plan_id: i64,
    changes: &[Override],
) -> Result<plans::Plan, EngineError> {
    let plan = plans::get(tx, user, plan_id)?.ok_or(EngineError::PlanNotFound(plan_id))?;
    if plan.status != "draft" {
        return Err(EngineError::PlanNotEditable {
            id: plan_id,
            status: plan.status,
        });
    }
    // The groups touched, each with every item as it will be after the changes.
    let mut groups: BTreeMap<String, Vec<PlanItem>> = BTreeMap::new();
    for change in changes {
        let item = plans::item(tx, plan_id, change.item())?
            .ok_or(EngineError::PlanItemNotFound(change.item()))?;
        if let Override::Item {
            action: Action::Remove,
            ..
        } = change
            && files::owned(tx, user, &item.source, &item.item_id)? != Some(true)
        {
            return Err(EngineError::NotOwned(item.path));
        }
        if !groups.contains_key(&item.group_key) {
            let members = plans::group_items(tx, plan_id, &item.group_key)?;
            groups.insert(item.group_key.clone(), members);
        }
        let members = groups
            .get_mut(&item.group_key)
            .ok_or(EngineError::PlanItemNotFound(item.id))?;
        for m in members.iter_mut() {
            let action = match *change {
                Override::Item { item: id, action } if id == m.id => action,
                Override::KeepOnly { item: id } if id == m.id => Action::Keep,
                Override::KeepOnly { .. } => Action::Remove,
                Override::Item { .. } => continue,
            };
            m.action = action;
        }
    }
    for members in groups.values_mut() {
        check_group(tx, user, members)?;
        for m in members.iter() {
            plans::set_action(tx, m.id, m.action)?;
        }
    }
    plans::refresh_totals(tx, plan_id)?;
    plans::get(tx, user, plan_id)?.ok_or(EngineError::PlanNotFound(plan_id))
}

/// Files someone else owns always stay (a `KeepOnly` puts them back); a group must still keep a
/// copy the owner owns that lies outside any trash, or the change is refused.
fn check_group(conn: &dyn Db, user: &UserId, members: &mut [PlanItem]) -> Result<(), EngineError> {
    let mut kept_live = false;
    for m in members.iter_mut() {
        // A file no longer indexed counts as not owned: it can neither go nor be the copy kept.
        let owned = files::owned(conn, user, &m.source, &m.item_id)?.unwrap_or(false);
        if !owned {
            if m.action == Action::Remove {
                m.action = Action::Keep;
            }
            continue;
        }
        let trashed = m.provider == "local" && crate::local::in_trash(&m.path);
        if m.action == Action::Keep && !trashed {
            kept_live = true;
        }
    }
    if kept_live {
        Ok(())
    } else {
        let name = members.first().map_or_else(String::new, |m| m.name.clone());
        Err(EngineError::WouldRemoveEveryCopy(name))
    }
}
