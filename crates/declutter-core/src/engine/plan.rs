//! Turning duplicate groups and keep rules into a stored, reviewable plan.

use platform_db::rusqlite::Connection;

use super::EngineError;
use super::rules::KeepRules;
use crate::ids::UserId;
use crate::store::files::FileRow;
use crate::store::groups::{self, Confidence, Group};
use crate::store::plans::{self, Action, PlanItem};

/// What a new plan would do.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PlanSummary {
    /// Plan id.
    pub plan_id: i64,
    /// Exact groups considered.
    pub groups: usize,
    /// Files to remove.
    pub remove_count: u64,
    /// Bytes freed.
    pub bytes_reclaimed: u64,
    /// Group members kept because the user does not own them (shared with them).
    pub not_owned: u64,
    /// Every item.
    pub items: Vec<PlanItem>,
}

/// Plan items for one group: the rules pick keepers among the files the user owns; files
/// shared with them by someone else always stay (and never count as the kept copy); probable
/// groups are never acted on.
pub fn plan_group(group: &Group, rules: &KeepRules) -> Vec<PlanItem> {
    if group.confidence != Confidence::Exact || group.files.len() < 2 {
        return Vec::new();
    }
    let owned: Vec<FileRow> = group.files.iter().filter(|f| f.owned).cloned().collect();
    let mut chosen = rules.choose(&owned).into_iter();
    let keep: Vec<bool> = group
        .files
        .iter()
        .map(|f| !f.owned || chosen.next().unwrap_or(true))
        .collect();
    let key = format!(
        "{}:{}:{}",
        group.hash_kind.as_deref().unwrap_or("none"),
        group.hash.as_deref().unwrap_or(""),
        group.size
    );
    group
        .files
        .iter()
        .zip(keep)
        .map(|(f, k)| PlanItem {
            id: 0,
            group_key: key.clone(),
            action: if k { Action::Keep } else { Action::Remove },
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
        })
        .collect()
}

/// Builds and stores a plan from the owner's current groups (nothing is touched).
pub fn build(
    conn: &mut Connection,
    user: &UserId,
    rules: &KeepRules,
) -> Result<PlanSummary, EngineError> {
    let groups = groups::list(conn, user)?;
    let exact: Vec<&Group> = groups
        .iter()
        .filter(|g| g.confidence == Confidence::Exact)
        .collect();
    let items: Vec<PlanItem> = exact.iter().flat_map(|g| plan_group(g, rules)).collect();
    let plan_id = plans::insert(conn, user, &rules.to_string(), &items)?;
    let items = plans::items(conn, plan_id)?;
    let removes = items.iter().filter(|i| i.action == Action::Remove);
    let not_owned = exact
        .iter()
        .flat_map(|g| &g.files)
        .filter(|f| !f.owned)
        .count() as u64;
    Ok(PlanSummary {
        plan_id,
        groups: exact.len(),
        not_owned,
        remove_count: removes.clone().count() as u64,
        bytes_reclaimed: removes.map(|i| i.size).sum(),
        items,
    })
}
