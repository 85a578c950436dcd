//! Turning duplicate groups and keep rules into a stored, reviewable plan.

use std::path::{Path, PathBuf};

use platform_db::sql::{Conn, Db, RusqliteLike as _};
use platform_db::vals as params;

use super::EngineError;
use super::rules::{KeepRule, KeepRules};
use crate::ids::UserId;
use crate::store::files::FileRow;
use crate::store::groups::{Confidence, Group};
use crate::store::plans::{Action, PlanItem};
use crate::store::review::Filter;

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
    // Copies inside one of our trash folders are never live copies: not kept, not removed.
    let files: Vec<&FileRow> = group.files.iter().filter(|f| !trashed(f)).collect();
    if group.confidence != Confidence::Exact || files.len() < 2 {
        return Vec::new();
    }
    let owned: Vec<FileRow> = files
        .iter()
        .filter(|f| f.owned)
        .map(|f| (*f).clone())
        .collect();
    let mut chosen = rules.choose(&owned).into_iter();
    let keep: Vec<bool> = files
        .iter()
        .map(|f| !f.owned || chosen.next().unwrap_or(true))
        .collect();
    let key = format!(
        "{}:{}:{}",
        group.hash_kind.as_deref().unwrap_or("none"),
        group.hash.as_deref().unwrap_or(""),
        group.size
    );
    files
        .into_iter()
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

fn trashed(f: &FileRow) -> bool {
    f.provider == "local" && crate::local::in_trash(&f.path)
}

/// Is `folder` a folder of the owner's scanned sources: a local source root, or an indexed
/// folder of any source?
fn is_scanned_folder(conn: &dyn Db, user: &UserId, folder: &str) -> Result<bool, EngineError> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sources WHERE user_id = ?1 AND source = 'local:' || ?2) \
         OR EXISTS (SELECT 1 FROM files WHERE user_id = ?1 AND is_dir = 1 AND path = ?2)",
        params![user.as_str(), folder],
        |r| r.get(0),
    )?)
}

/// Where relative keep folders are read from.
#[derive(Debug, Clone, Copy)]
pub enum Base<'a> {
    /// A folder (the CLI's current folder).
    Dir(&'a Path),
    /// Each of the owner's source roots (the web app, where people name folders in a source).
    SourceRoots,
}

/// Makes every reference folder of `rules` absolute and checks it: a relative folder is read
/// against `base`, a local folder that exists is taken by its real path (as sources are), and
/// each must be a folder of a scanned source, or the whole plan is refused naming it. A
/// relative folder read against every source root keeps each root where it exists.
pub fn resolve_rules(
    conn: &dyn Db,
    user: &UserId,
    rules: KeepRules,
    base: Base<'_>,
) -> Result<KeepRules, EngineError> {
    let mut out = Vec::with_capacity(rules.0.len());
    for rule in rules.0 {
        let KeepRule::Reference(folder) = rule else {
            out.push(rule);
            continue;
        };
        let candidates: Vec<String> = if folder.starts_with('/') {
            vec![folder.clone()]
        } else {
            match base {
                Base::Dir(dir) => vec![real(&dir.join(&folder))],
                Base::SourceRoots => {
                    let mut stmt = conn.prepare(
                        "SELECT substr(source, 7) FROM sources WHERE user_id = ?1 \
                         AND source LIKE 'local:%' ORDER BY source",
                    )?;
                    let roots = stmt.query_map([user.as_str()], |r| r.get::<_, String>(0))?;
                    let mut c = roots
                        .map(|root| root.map(|r| real(&Path::new(&r).join(&folder))))
                        .collect::<Result<Vec<_>, _>>()?;
                    c.push(format!("/{folder}"));
                    c
                }
            }
        };
        let mut found = false;
        for c in candidates {
            let c = if Path::new(&c).exists() {
                real(Path::new(&c))
            } else {
                c
            };
            let c = c.trim_end_matches('/').to_owned();
            if !c.is_empty() && is_scanned_folder(conn, user, &c)? {
                out.push(KeepRule::Reference(c));
                found = true;
            }
        }
        if !found {
            return Err(EngineError::UnknownKeepFolder(folder));
        }
    }
    Ok(KeepRules(out))
}

/// The real path of a local folder when it exists, else the path as given.
fn real(p: &Path) -> String {
    std::fs::canonicalize(p)
        .unwrap_or_else(|_| PathBuf::from(p))
        .to_string_lossy()
        .into_owned()
}

/// Builds and stores a plan from the owner's current groups (nothing is touched). Every
/// reference folder must be a folder of a scanned source ([`resolve_rules`] makes relative
/// ones absolute): a rule that matches no folder would protect nothing, silently.
pub fn build(
    conn: &mut dyn Conn,
    user: &UserId,
    rules: &KeepRules,
) -> Result<PlanSummary, EngineError> {
    build_for(conn, user, rules, &Filter::default())
}

/// Refuses rules whose keep folder is not a folder of the owner's scanned sources: such a rule
/// would protect nothing, silently.
pub(crate) fn check_keep_folders(
    conn: &dyn Db,
    user: &UserId,
    rules: &KeepRules,
) -> Result<(), EngineError> {
    for rule in &rules.0 {
        if let KeepRule::Reference(folder) = rule
            && !is_scanned_folder(conn, user, folder)?
        {
            return Err(EngineError::UnknownKeepFolder(folder.clone()));
        }
    }
    Ok(())
}

/// [`build`] over the groups that pass `filter` only (a selection made in the duplicates view).
pub fn build_for(
    conn: &mut dyn Conn,
    user: &UserId,
    rules: &KeepRules,
    filter: &Filter,
) -> Result<PlanSummary, EngineError> {
    super::pick::build_picked(conn, user, rules, filter, &super::pick::Picks::default())
}
