//! Folders an apply left empty (the `remove_empty_folders` option): removed after the plan's
//! files are in the trash, recorded, and recreated by a restore before files come back.
//!
//! Only ancestors of files this plan trashed are candidates, so a folder that was empty before
//! is never one (it held no file of the plan), and neither is a source root, of this source or
//! of any other (a nested source's root is a folder of the outer one). Deepest first, each is
//! journaled (`removing`, with its mode) and then removed by `rmdir` through the confined root
//! handle: a folder that gained an entry meanwhile makes `rmdir` fail and stays, a link put in
//! its place is never followed. Local sources only: neither Graph nor Drive can trash a folder
//! only if it is empty (both take its contents along), so a file added in between would go too.

use std::collections::BTreeSet;
use std::path::PathBuf;

use platform_db::sql::Db;

use super::{AnyProvider, EngineError, Providers};
use crate::ids::{ItemId, Source, UserId};
use crate::local::paths;
use crate::provider::ProviderError;
use crate::store::plans::{self, Action};
use crate::store::removed_folders::{self as store, RemovedFolder};
use crate::store::trash::TrashEntry;

/// Removes the folders plan `plan_id`'s trashed local files left empty; returns their paths.
pub(crate) fn remove(
    conn: &dyn Db,
    user: &UserId,
    plan_id: i64,
    providers: &dyn Providers,
) -> Result<Vec<String>, EngineError> {
    settle(conn, user, plan_id, providers)?;
    let mut removed = Vec::new();
    for (source, dir) in candidates(conn, plan_id)? {
        let Ok(provider) = providers.provider(&source.parse::<Source>()?) else {
            continue;
        };
        let AnyProvider::Local(local) = &*provider else {
            continue;
        };
        if store::is_source(conn, &Source::Local(dir.clone()).to_string())? {
            continue;
        }
        let mode = match local.folder_mode(&dir) {
            Ok(Some(mode)) => mode,
            // Gone, a file now, or a link in its place: not ours to remove.
            Ok(None) => continue,
            Err(e) if refusal(&e) => continue,
            Err(e) => return Err(e.into()),
        };
        let folder_id = paths::id_for(&dir).0;
        let id = store::journal(conn, user, plan_id, &source, folder_id.as_str(), mode)?;
        match local.remove_empty_folder(&dir) {
            Ok(true) => {
                store::set_state(conn, id, "removed")?;
                removed.push(dir.display().to_string());
            }
            Ok(false) => store::forget(conn, id)?,
            Err(e) => {
                store::forget(conn, id)?;
                if !refusal(&e) {
                    return Err(e.into());
                }
            }
        }
    }
    Ok(removed)
}

/// A refusal that concerns this one folder (a link, a permission): it is left, the run goes on.
fn refusal(e: &ProviderError) -> bool {
    match e {
        ProviderError::Outside(_) => true,
        ProviderError::Io { source, .. } => matches!(
            source.kind(),
            std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::NotFound
        ),
        _ => false,
    }
}

/// Rows a crashed run journaled: removed if the folder is gone, forgotten if it is there.
fn settle(
    conn: &dyn Db,
    user: &UserId,
    plan_id: i64,
    providers: &dyn Providers,
) -> Result<(), EngineError> {
    for row in store::of_plan(conn, user, plan_id, &["removing"])? {
        let dir = paths::path_for(&ItemId::from_str_unchecked(&row.folder_id));
        // Without the source's provider now, the row waits for a run that has it.
        let Ok(provider) = providers.provider(&row.source.parse::<Source>()?) else {
            continue;
        };
        let AnyProvider::Local(local) = &*provider else {
            continue;
        };
        if !matches!(local.folder_mode(&dir), Ok(None)) {
            store::forget(conn, row.id)?;
        } else {
            store::set_state(conn, row.id, "removed")?;
        }
    }
    Ok(())
}

/// Every folder strictly between a trashed local file of the plan and its source root, deepest
/// first, with its source.
fn candidates(conn: &dyn Db, plan_id: i64) -> Result<Vec<(String, PathBuf)>, EngineError> {
    let mut found: BTreeSet<(usize, String, PathBuf)> = BTreeSet::new();
    for item in plans::items(conn, plan_id)? {
        if item.action != Action::Remove || item.state != "done" || item.provider != "local" {
            continue;
        }
        let Source::Local(root) = item.source.parse::<Source>()? else {
            continue;
        };
        let file = paths::path_for(&item.item_id.parse()?);
        let mut dir = file.parent();
        while let Some(d) = dir {
            if d == root || !d.starts_with(&root) {
                break;
            }
            // Deepest first: the negated depth sorts the longest paths before their parents.
            found.insert((
                usize::MAX - d.components().count(),
                item.source.clone(),
                d.to_owned(),
            ));
            dir = d.parent();
        }
    }
    Ok(found.into_iter().map(|(_, s, d)| (s, d)).collect())
}

/// Recreates the folders plan `plan_id` removed (parents first, each with its mode) before its
/// files come back. A folder that cannot be made (a link in its way) is left to the files'
/// own restore, which refuses the same link.
pub(crate) fn recreate_plan(
    conn: &dyn Db,
    user: &UserId,
    plan_id: i64,
    providers: &dyn Providers,
) -> Result<(), EngineError> {
    let rows = store::of_plan(conn, user, plan_id, &["removing", "removed"])?;
    recreate(conn, rows, providers)
}

/// Recreates the removed folders on the way to `entry`'s original place, parents first.
pub(crate) fn recreate_for(
    conn: &dyn Db,
    user: &UserId,
    entry: &TrashEntry,
    providers: &dyn Providers,
) -> Result<(), EngineError> {
    if entry.provider != "local" {
        return Ok(());
    }
    let file = paths::path_for(&entry.item_id.parse()?);
    let rows: Vec<RemovedFolder> = store::of_source(conn, user, &entry.source)?
        .into_iter()
        .filter(|r| file.starts_with(paths::path_for(&ItemId::from_str_unchecked(&r.folder_id))))
        .collect();
    recreate(conn, rows, providers)
}

fn recreate(
    conn: &dyn Db,
    mut rows: Vec<RemovedFolder>,
    providers: &dyn Providers,
) -> Result<(), EngineError> {
    let depth = |r: &RemovedFolder| {
        paths::path_for(&ItemId::from_str_unchecked(&r.folder_id))
            .components()
            .count()
    };
    rows.sort_by_key(depth);
    for row in rows {
        let Ok(provider) = providers.provider(&row.source.parse::<Source>()?) else {
            continue;
        };
        let AnyProvider::Local(local) = &*provider else {
            continue;
        };
        let dir = paths::path_for(&ItemId::from_str_unchecked(&row.folder_id));
        match local.recreate_folder(&dir, row.mode) {
            // Made now, or something already holds the name (made by hand, or by a file's
            // restore): either way nothing of ours is missing there any more.
            Ok(_) => store::set_state(conn, row.id, "recreated")?,
            Err(e) if refusal(&e) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
