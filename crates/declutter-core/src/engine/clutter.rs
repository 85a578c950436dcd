//! Planning the removal of single files the clutter report shows (large, untouched,
//! temporary, empty) through the same plan → apply → trash → undo path as duplicates.
//!
//! A single-file removal has no kept copy to protect it, so it never touches a duplicate: a
//! file in a duplicate group, or the kept copy that another plan's removal relies on, is
//! refused here and again inside the transaction that journals the removal
//! ([`blocked`], called by apply), so the promise that a group never loses its last live copy
//! holds whatever runs at the same time.

use platform_db::sql::{Conn, Db};

use super::EngineError;
use crate::ids::UserId;
use crate::local::in_trash;
use crate::store::plans::{self, Action, PlanItem};
use crate::store::singles;

/// Group keys of single-file removals start with this (a duplicate group's starts with its
/// hash kind).
pub const SINGLE: &str = "single:";

/// Most files one clutter plan removes.
pub const MAX_FILES: usize = 10_000;

/// What a new clutter plan holds, and what it refused.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClutterPlan {
    /// Plan id.
    pub plan_id: i64,
    /// Files to remove.
    pub remove_count: u64,
    /// Bytes freed.
    pub bytes_reclaimed: u64,
    /// Files left out, with the reason (path, reason).
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Vec<String>>))]
    pub refused: Vec<(String, String)>,
}

/// Why `item` may not be removed on its own now, if it may not. Read inside the transaction
/// that journals its removal.
pub fn blocked(
    conn: &dyn Db,
    user: &UserId,
    item: &PlanItem,
) -> Result<Option<&'static str>, EngineError> {
    if singles::in_duplicate_group(conn, user, &item.source, &item.item_id)? {
        return Ok(Some(
            "it has a duplicate now; review it on the duplicates page",
        ));
    }
    if singles::kept_for_a_removal(conn, &item.provider, &item.item_id)? {
        return Ok(Some(
            "it is the copy kept for a duplicate that was moved to the trash",
        ));
    }
    Ok(None)
}

/// Stores a draft plan removing the owner's indexed files `ids` (clutter report rows).
pub fn build(conn: &mut dyn Conn, user: &UserId, ids: &[i64]) -> Result<ClutterPlan, EngineError> {
    if ids.is_empty() || ids.len() > MAX_FILES {
        return Err(EngineError::NothingToRemove(format!(
            "choose from 1 to {MAX_FILES} files"
        )));
    }
    let mut items = Vec::new();
    let mut refused = Vec::new();
    for &id in ids {
        let f = singles::file(conn, user, id)?.ok_or(EngineError::FileNotFound(id))?;
        let item = PlanItem {
            id: 0,
            group_key: format!("{SINGLE}{}:{}", f.provider, f.item_id),
            action: Action::Remove,
            source: f.source.clone(),
            provider: f.provider.clone(),
            item_id: f.item_id.clone(),
            parent_id: f.parent_id.clone(),
            name: f.name.clone(),
            path: f.path.clone(),
            size: f.size,
            modified_ns: f.modified_ns,
            hash_kind: f.hash_kind.clone(),
            hash: f.hash.clone(),
            etag: f.etag.clone(),
            state: "pending".into(),
            reason: None,
            trash_id: None,
        };
        let reason = if f.is_dir {
            Some("folders are not removed here")
        } else if !f.owned {
            Some("shared with you by its owner; not yours to remove")
        } else if f.provider == "local" && in_trash(&f.path) {
            Some("already in the trash")
        } else {
            blocked(conn, user, &item)?
        };
        match reason {
            Some(r) => refused.push((f.path, r.to_owned())),
            None if items
                .iter()
                .any(|i: &PlanItem| i.group_key == item.group_key) => {}
            None => items.push(item),
        }
    }
    if items.is_empty() {
        return Err(EngineError::NothingToRemove(
            "none of the chosen files can be removed on its own".into(),
        ));
    }
    let plan_id = plans::insert(conn, user, "clutter", &items)?;
    Ok(ClutterPlan {
        plan_id,
        remove_count: items.len() as u64,
        bytes_reclaimed: items.iter().map(|i| i.size).sum(),
        refused,
    })
}
