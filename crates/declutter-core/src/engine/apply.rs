//! Applying a plan, resumably. Each removal is journaled before and after it acts:
//!
//! 1. one transaction writes the trash row (`trashing`, with its location) and marks the plan
//!    item `started`;
//! 2. the provider moves the item into the trash;
//! 3. one transaction marks the trash row `trashed` and the item `done`.
//!
//! A crash between 1 and 3 leaves a `started` item; the next run asks the provider where the
//! item is and finishes or redoes exactly that step. Items are only ever `remove` items of the
//! plan, each at most once, so a rerun never removes more than the plan says. Before the first
//! removal in a group, a kept copy is re-checked: a group never loses its last copy.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use platform_db::rusqlite::Connection;

use super::recheck::unchanged;
use super::{AnyProvider, EngineError, Providers};
use crate::db::now;
use crate::ids::{ItemId, Source, UserId};
use crate::progress::Progress;
use crate::provider::{StorageProvider, TrashRequest, Whereabouts};
use crate::store::plans::{self, Action, PlanItem};
use crate::store::trash::{self, TrashEntry};

/// Default days a trashed item is kept before `purge` may delete it.
pub const DEFAULT_RETENTION_DAYS: u32 = 30;

/// Hook run after the n-th removal is journaled and before it acts (crash tests).
pub type PauseHook = Arc<dyn Fn() + Send + Sync>;

/// Apply settings.
#[derive(Clone)]
pub struct ApplyOptions {
    /// Days to keep trashed items.
    pub retention_days: u32,
    /// Test hook: `(n, hook)` runs `hook` once `n` removals have been journaled.
    pub pause: Option<(u64, PauseHook)>,
}

impl std::fmt::Debug for ApplyOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApplyOptions")
            .field("retention_days", &self.retention_days)
            .finish_non_exhaustive()
    }
}

impl Default for ApplyOptions {
    fn default() -> Self {
        Self {
            retention_days: DEFAULT_RETENTION_DAYS,
            pause: None,
        }
    }
}

/// What an apply run did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ApplyReport {
    /// Plan id.
    pub plan_id: i64,
    /// Items moved to the trash by this run (including settled interrupted ones).
    pub trashed: u64,
    /// Bytes moved to the trash by this run.
    pub bytes: u64,
    /// Items skipped by this run, with reasons.
    pub skipped: Vec<(String, String)>,
    /// Items already done by an earlier run.
    pub already_done: u64,
}

fn request(item: &PlanItem, trash_id: i64) -> Result<TrashRequest, EngineError> {
    Ok(TrashRequest {
        id: item.item_id.parse::<ItemId>()?,
        parent_id: item.parent_id.as_deref().map(str::parse).transpose()?,
        name: item.name.clone(),
        path: item.path.clone(),
        trash_id,
    })
}

struct Run<'a> {
    conn: &'a mut Connection,
    user: &'a UserId,
    providers: &'a dyn Providers,
    options: &'a ApplyOptions,
    progress: &'a dyn Progress,
    report: ApplyReport,
    journaled: u64,
}

/// Applies (or resumes) plan `plan_id`.
pub async fn apply(
    conn: &mut Connection,
    user: &UserId,
    plan_id: i64,
    providers: &dyn Providers,
    options: &ApplyOptions,
    progress: &dyn Progress,
) -> Result<ApplyReport, EngineError> {
    plans::get(conn, user, plan_id)?.ok_or(EngineError::PlanNotFound(plan_id))?;
    plans::set_status(conn, plan_id, "applying")?;
    let items = plans::items(conn, plan_id)?;
    let mut groups: BTreeMap<String, Vec<PlanItem>> = BTreeMap::new();
    for i in items {
        groups.entry(i.group_key.clone()).or_default().push(i);
    }
    let total = groups
        .values()
        .flatten()
        .filter(|i| i.action == Action::Remove)
        .count();
    progress.phase("applying", Some(total as u64));
    let mut run = Run {
        conn,
        user,
        providers,
        options,
        progress,
        report: ApplyReport {
            plan_id,
            ..ApplyReport::default()
        },
        journaled: 0,
    };
    for members in groups.values() {
        run.group(members).await?;
    }
    plans::set_status(run.conn, plan_id, "applied")?;
    crate::store::groups::recompute(run.conn, user)?;
    Ok(run.report)
}

impl Run<'_> {
    fn provider(&self, item: &PlanItem) -> Result<Arc<AnyProvider>, EngineError> {
        self.providers.provider(&item.source.parse::<Source>()?)
    }

    fn skip(&mut self, item: &PlanItem, reason: &str) -> Result<(), EngineError> {
        plans::set_state(self.conn, item.id, "skipped", Some(reason), None)?;
        self.report
            .skipped
            .push((item.path.clone(), reason.to_owned()));
        Ok(())
    }

    /// At least one kept copy still exists unchanged.
    async fn keeper_verified(&self, members: &[PlanItem]) -> Result<bool, EngineError> {
        for keep in members.iter().filter(|i| i.action == Action::Keep) {
            let provider = self.provider(keep)?;
            if let Some(now) = provider.stat(&keep.item_id.parse()?).await?
                && unchanged(keep, &now)
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    async fn group(&mut self, members: &[PlanItem]) -> Result<(), EngineError> {
        let mut verified: Option<bool> = None;
        for item in members.iter().filter(|i| i.action == Action::Remove) {
            match item.state.as_str() {
                "done" => {
                    self.report.already_done += 1;
                    self.progress.advance(1);
                    continue;
                }
                "skipped" => continue,
                _ => {}
            }
            if item.state == "started" && self.settle(item).await? {
                self.progress.advance(1);
                continue;
            }
            if verified.is_none() {
                verified = Some(self.keeper_verified(members).await?);
            }
            if verified != Some(true) {
                self.skip(item, "no kept copy could be verified; group left untouched")?;
                continue;
            }
            self.remove(item).await?;
            self.progress.advance(1);
        }
        Ok(())
    }

    /// Settles an item a previous run started. Returns true when nothing more is to be done.
    async fn settle(&mut self, item: &PlanItem) -> Result<bool, EngineError> {
        let Some(entry) = item
            .trash_id
            .map(|t| trash::get(self.conn, self.user, t))
            .transpose()?
            .flatten()
        else {
            return Ok(false);
        };
        let provider = self.provider(item)?;
        let req = request(item, entry.id)?;
        match provider.locate(&req, &entry.location).await? {
            Whereabouts::Trashed => {}
            Whereabouts::Both => {
                // Interrupted cross-device move: the trash copy is complete (it is renamed into
                // place only after fsync), so finish by removing the original.
                provider.trash(&req, &entry.location).await?;
            }
            Whereabouts::Original => return Ok(false),
            Whereabouts::Missing => {
                trash::set_state(self.conn, entry.id, "purged")?;
                self.skip(item, "vanished before it could be trashed")?;
                return Ok(true);
            }
        }
        self.finish(item, entry.id)?;
        Ok(true)
    }

    fn finish(&mut self, item: &PlanItem, trash_id: i64) -> Result<(), EngineError> {
        let tx = self.conn.transaction()?;
        trash::set_state(&tx, trash_id, "trashed")?;
        plans::set_state(&tx, item.id, "done", None, Some(trash_id))?;
        tx.execute(
            "DELETE FROM files WHERE user_id = ?1 AND source = ?2 AND item_id = ?3",
            platform_db::rusqlite::params![self.user.as_str(), item.source, item.item_id],
        )?;
        tx.commit()?;
        self.report.trashed += 1;
        self.report.bytes += item.size;
        Ok(())
    }

    async fn remove(&mut self, item: &PlanItem) -> Result<(), EngineError> {
        let provider = self.provider(item)?;
        let current = provider.stat(&item.item_id.parse()?).await?;
        let reason = match current {
            None => Some("vanished since the scan"),
            Some(now) if !unchanged(item, &now) => Some("changed since the scan"),
            Some(_) => None,
        };
        if let Some(reason) = reason {
            if let Some(t) = item.trash_id {
                trash::delete(self.conn, t)?;
            }
            return self.skip(item, reason);
        }
        let trash_id = match item.trash_id {
            Some(t) => t,
            None => self.journal_start(item, &provider)?,
        };
        let location = trash::get(self.conn, self.user, trash_id)?
            .map(|e| e.location)
            .ok_or(EngineError::TrashNotFound(trash_id))?;
        self.journaled += 1;
        if let Some((n, hook)) = &self.options.pause
            && self.journaled == *n
        {
            hook();
        }
        match provider.trash(&request(item, trash_id)?, &location).await {
            Ok(()) => self.finish(item, trash_id),
            // The provider refused this one item for good (not the owner, no grant for the
            // file, gone): nothing moved, so drop the journal row, record why, go on.
            Err(e) => match e.item_refusal() {
                Some(reason) => {
                    trash::delete(self.conn, trash_id)?;
                    self.skip(item, &reason)
                }
                None => Err(e.into()),
            },
        }
    }

    fn journal_start(
        &mut self,
        item: &PlanItem,
        provider: &AnyProvider,
    ) -> Result<i64, EngineError> {
        let t = now();
        let entry = TrashEntry {
            id: 0,
            source: item.source.clone(),
            provider: item.provider.clone(),
            item_id: item.item_id.clone(),
            parent_id: item.parent_id.clone(),
            name: item.name.clone(),
            original_path: item.path.clone(),
            location: String::new(),
            size: item.size,
            hash_kind: item.hash_kind.clone(),
            hash: item.hash.clone(),
            plan_item_id: Some(item.id),
            trashed_at: t,
            // Never promise a restore the provider will not honour (Drive empties its trash).
            expires_at: t + i64::from(
                provider
                    .retention_cap_days()
                    .map_or(self.options.retention_days, |cap| {
                        cap.min(self.options.retention_days)
                    }),
            ) * 86_400,
            state: "trashing".into(),
        };
        let tx = self.conn.transaction()?;
        let trash_id = trash::insert(&tx, self.user, &entry)?;
        let location = provider.trash_location(&request(item, trash_id)?);
        trash::set_location(&tx, trash_id, &location)?;
        plans::set_state(&tx, item.id, "started", None, Some(trash_id))?;
        tx.commit()?;
        Ok(trash_id)
    }
}

/// Counts plan items by state (for status displays).
pub fn progress_of(conn: &Connection, plan_id: i64) -> Result<HashMap<String, u64>, EngineError> {
    let mut out = HashMap::new();
    for i in plans::items(conn, plan_id)? {
        if i.action == Action::Remove {
            *out.entry(i.state).or_insert(0) += 1;
        }
    }
    Ok(out)
}
