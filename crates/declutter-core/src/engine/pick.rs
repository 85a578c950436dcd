//! A plan from what a person picked in the duplicates view: the keep rules over chosen groups
//! (or every group passing the filter), then, per group, the copy they chose to keep. The
//! choices go through [`edit::edit_in`] in the same transaction as the plan itself, so its
//! refusals (never every copy of a group, never someone else's file) hold for them exactly
//! as for later edits, and a refused choice leaves no plan behind.

use std::collections::{BTreeMap, HashSet};

use platform_db::sql::{Conn, Lock};

use super::EngineError;
use super::edit::{self, Override};
use super::plan::{self, PlanSummary};
use super::rules::KeepRules;
use crate::ids::UserId;
use crate::store::groups::{self, Confidence};
use crate::store::plans::{self, Action};
use crate::store::review::{self, Filter};

/// What was picked on top of the rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Picks {
    /// Only these groups (ids of the owner's current grouping); every group passing the
    /// filter when `None`.
    pub groups: Option<Vec<i64>>,
    /// Group id → the file (index id) that stays in it; every other copy the owner owns goes.
    pub keep: BTreeMap<i64, i64>,
    /// The owner's duplicates view version ([`groups::view_version`]) the picks were made at:
    /// when it has moved since (a scan, apply, restore or verification changed a group or a
    /// grouped file), the whole plan is refused, even if every picked id still exists, because
    /// what the person saw is no longer what would be planned. `None` (an API client that never
    /// saw a page) skips the check; the id checks below still apply.
    pub seen_version: Option<i64>,
}

/// Builds and stores a draft plan from `rules` over the groups `filter` and `picks` choose,
/// with each group's picked copy kept. A picked group or file that is no longer part of the
/// owner's duplicates (a scan regrouped them since the page was shown), or picks made at a
/// view version other than the current one ([`Picks::seen_version`]), refuse the whole plan
/// with [`EngineError::SelectionChanged`].
///
/// A picked copy is kept on trust only until apply: apply stats every kept copy of a group
/// before it removes any other copy and leaves the group untouched when none is still there
/// unchanged (size, mtime and hash as scanned, [`super::recheck::unchanged`]), so a picked
/// file edited after the scan never becomes the only copy left of its old content.
pub fn build_picked(
    conn: &mut dyn Conn,
    user: &UserId,
    rules: &KeepRules,
    filter: &Filter,
    picks: &Picks,
) -> Result<PlanSummary, EngineError> {
    plan::check_keep_folders(conn, user, rules)?;
    let tx = conn.transaction(Lock::Owner(user.as_str()))?;
    // Read in the write transaction: no scan can move the version between this check and
    // the plan's insert.
    if let Some(seen) = picks.seen_version
        && groups::view_version(&*tx, user)? != seen
    {
        return Err(EngineError::SelectionChanged);
    }
    let mut all = groups::list(&*tx, user)?;
    if !filter.is_empty() {
        let passing: HashSet<i64> = review::ids(&*tx, user, filter)?.into_iter().collect();
        all.retain(|g| passing.contains(&g.id));
    }
    if let Some(ids) = &picks.groups {
        let wanted: HashSet<i64> = ids.iter().copied().collect();
        all.retain(|g| wanted.contains(&g.id));
        if all.len() != wanted.len() {
            return Err(EngineError::SelectionChanged);
        }
    }
    let exact: Vec<&groups::Group> = all
        .iter()
        .filter(|g| g.confidence == Confidence::Exact)
        .collect();
    let items: Vec<_> = exact
        .iter()
        .flat_map(|g| plan::plan_group(g, rules))
        .collect();
    let plan_id = plans::insert_in(&*tx, user, &rules.to_string(), &items)?;
    let stored = plans::items(&*tx, plan_id)?;
    let mut changes = Vec::with_capacity(picks.keep.len());
    for (group, file) in &picks.keep {
        // The picked file, by its identity in the index, among the group's planned copies
        // (copies in a trash and probable groups are never planned, so never picked).
        let row = exact
            .iter()
            .find(|g| g.id == *group)
            .and_then(|g| g.files.iter().find(|f| f.id == *file))
            .ok_or(EngineError::SelectionChanged)?;
        let item = stored
            .iter()
            .find(|i| i.source == row.source && i.item_id == row.item_id)
            .ok_or(EngineError::SelectionChanged)?;
        changes.push(Override::KeepOnly { item: item.id });
    }
    if !changes.is_empty() {
        edit::edit_in(&*tx, user, plan_id, &changes)?;
    }
    let items = plans::items(&*tx, plan_id)?;
    tx.commit()?;
    let not_owned = exact
        .iter()
        .flat_map(|g| &g.files)
        .filter(|f| !f.owned)
        .count() as u64;
    let removes = items.iter().filter(|i| i.action == Action::Remove);
    Ok(PlanSummary {
        plan_id,
        groups: exact.len(),
        not_owned,
        remove_count: removes.clone().count() as u64,
        bytes_reclaimed: removes.map(|i| i.size).sum(),
        items,
    })
}
