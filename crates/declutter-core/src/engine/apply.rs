//! Applying a plan, resumably, without ever removing a group's last live copy.
//!
//! 1. The run takes the owner's apply lock ([`Lease`]): one apply per owner at a time, in any
//!    process; a run whose process died is taken over at once, so a rerun resumes.
//! 2. Per group, the kept copies are checked on the provider: still there, unchanged, not in a
//!    trash folder.
//! 3. Per removal, one immediate transaction checks the claims ([`trash::claimed`]): the item is
//!    not already being removed by another plan, and some verified kept copy, a different
//!    physical file, is not being removed either; then it writes the trash row (`trashing`)
//!    and marks the plan item `started`. Concurrent applies of any plans, of any owners, that
//!    share files can therefore never remove every copy: whichever commits second sees the
//!    first one's claim.
//! 4. The provider moves the item into the trash, never replacing anything there.
//! 5. One transaction marks the trash row `trashed`, the item `done`, and renews the lock.
//!
//! 6. With `remove_empty_folders`, the local folders the plan's files left empty are removed
//!    (module `emptied`), journaled so that a restore recreates them.
//!
//! A crash between 3 and 5 leaves a `started` item; the next run asks the provider where it is
//! and finishes, or redoes the removal with every check above. A refusal that concerns one
//! item (a link planted below the root, a provider's permanent refusal) skips that item, with
//! the reason, and the run goes on.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use platform_db::sql::{Conn, Db, DbExt as _, Lock};

use super::clutter;
use super::lease::Lease;
use super::recheck::unchanged;
use super::{AnyProvider, EngineError, Providers};
use crate::db::now;
use crate::ids::{ItemId, Source, UserId};
use crate::local::in_trash;
use crate::progress::Progress;
use crate::provider::{Item, StorageProvider, TrashRequest, Whereabouts};
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
    /// Once the plan's files are in the trash, remove the local folders they left empty
    /// (recorded, so a restore recreates them). Folders empty before are never removed.
    pub remove_empty_folders: bool,
    /// Test hook: `(n, hook)` runs `hook` once `n` removals have been journaled.
    pub pause: Option<(u64, PauseHook)>,
}

impl std::fmt::Debug for ApplyOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApplyOptions")
            .field("retention_days", &self.retention_days)
            .field("remove_empty_folders", &self.remove_empty_folders)
            .finish_non_exhaustive()
    }
}

impl Default for ApplyOptions {
    fn default() -> Self {
        Self {
            retention_days: DEFAULT_RETENTION_DAYS,
            remove_empty_folders: false,
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
    /// The run stopped on request between two items; the plan stays `applying`, and applying
    /// it again resumes.
    pub cancelled: bool,
    /// Folders removed because this plan left them empty (`remove_empty_folders`).
    pub folders_removed: Vec<String>,
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
    conn: &'a mut dyn Conn,
    user: &'a UserId,
    providers: &'a dyn Providers,
    options: &'a ApplyOptions,
    progress: &'a dyn Progress,
    report: ApplyReport,
    journaled: u64,
    lease: &'a Lease,
}

/// A kept copy found on the provider as planned.
struct Keeper {
    provider: String,
    item_id: String,
    inode: Option<(u64, u64)>,
}

/// Applies (or resumes) plan `plan_id`.
pub async fn apply(
    conn: &mut dyn Conn,
    user: &UserId,
    plan_id: i64,
    providers: &dyn Providers,
    options: &ApplyOptions,
    progress: &dyn Progress,
) -> Result<ApplyReport, EngineError> {
    plans::get(conn, user, plan_id)?.ok_or(EngineError::PlanNotFound(plan_id))?;
    let lease = Lease::acquire(conn, user, plan_id)?;
    apply_leased(conn, user, plan_id, lease, providers, options, progress).await
}

/// Applies (or resumes) plan `plan_id` under a `lease` already taken for it. The lease is
/// released at the end, whatever happened.
pub async fn apply_leased(
    conn: &mut dyn Conn,
    user: &UserId,
    plan_id: i64,
    lease: Lease,
    providers: &dyn Providers,
    options: &ApplyOptions,
    progress: &dyn Progress,
) -> Result<ApplyReport, EngineError> {
    let result = apply_holding(conn, user, plan_id, &lease, providers, options, progress).await;
    // Released whatever happened; a run that fails still frees the owner's lock.
    let released = lease.release(conn);
    let report = result?;
    released?;
    Ok(report)
}

/// [`apply_leased`] without giving the lock back: the caller records the run's end while it
/// still holds it (a background job), then releases it.
pub async fn apply_holding(
    conn: &mut dyn Conn,
    user: &UserId,
    plan_id: i64,
    lease: &Lease,
    providers: &dyn Providers,
    options: &ApplyOptions,
    progress: &dyn Progress,
) -> Result<ApplyReport, EngineError> {
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
        lease,
    };
    run.plan(plan_id).await?;
    Ok(run.report)
}

impl Run<'_> {
    /// Every group of the plan, then the plan marked applied and the groups recomputed.
    async fn plan(&mut self, plan_id: i64) -> Result<(), EngineError> {
        plans::set_status(self.conn, plan_id, "applying")?;
        let mut groups: BTreeMap<String, Vec<PlanItem>> = BTreeMap::new();
        for i in plans::items(self.conn, plan_id)? {
            groups.entry(i.group_key.clone()).or_default().push(i);
        }
        let total = groups
            .values()
            .flatten()
            .filter(|i| i.action == Action::Remove)
            .count();
        self.progress.phase("applying", Some(total as u64));
        for members in groups.values() {
            self.group(members).await?;
            if self.report.cancelled {
                break;
            }
        }
        // Before the plan is marked applied: a crash in between reruns this step.
        if !self.report.cancelled && self.options.remove_empty_folders {
            self.report.folders_removed =
                super::emptied::remove(self.conn, self.user, plan_id, self.providers)?;
        }
        if !self.report.cancelled {
            plans::set_status(self.conn, plan_id, "applied")?;
        }
        crate::store::groups::recompute(self.conn, self.user)?;
        Ok(())
    }

    fn provider(&self, item: &PlanItem) -> Result<Arc<AnyProvider>, EngineError> {
        self.providers.provider(&item.source.parse::<Source>()?)
    }

    fn skip(&mut self, item: &PlanItem, reason: &str) -> Result<(), EngineError> {
        plans::set_state(self.conn, item.id, "skipped", Some(reason), None)?;
        self.progress.error(&item.path, reason);
        self.report
            .skipped
            .push((item.path.clone(), reason.to_owned()));
        Ok(())
    }

    /// The kept copies that are still there, unchanged, outside any trash folder.
    async fn verified_keepers(&self, members: &[PlanItem]) -> Result<Vec<Keeper>, EngineError> {
        let mut out = Vec::new();
        for keep in members.iter().filter(|i| i.action == Action::Keep) {
            if keep.provider == "local" && in_trash(&keep.path) {
                continue;
            }
            let provider = self.provider(keep)?;
            match provider.stat(&keep.item_id.parse()?).await {
                Ok(Some(now)) if unchanged(keep, &now) => out.push(Keeper {
                    provider: keep.provider.clone(),
                    item_id: keep.item_id.clone(),
                    inode: now.inode,
                }),
                Ok(_) => {}
                Err(e) if e.item_refusal().is_some() => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(out)
    }

    async fn group(&mut self, members: &[PlanItem]) -> Result<(), EngineError> {
        // A single-file removal (clutter) has no kept copy; its own checks are in
        // `journal_start`.
        let single = members
            .first()
            .is_some_and(|m| m.group_key.starts_with(clutter::SINGLE));
        let mut keepers: Option<Vec<Keeper>> = None;
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
            // Between items only: a stop never leaves an item half moved.
            if self.progress.cancelled() {
                self.report.cancelled = true;
                return Ok(());
            }
            if item.state == "started" && self.settle(item).await? {
                self.progress.advance(1);
                continue;
            }
            if keepers.is_none() && !single {
                keepers = Some(self.verified_keepers(members).await?);
            }
            let keepers = keepers.as_deref().unwrap_or_default();
            if keepers.is_empty() && !single {
                self.abandon(item, "no kept copy could be verified; group left untouched")?;
            } else {
                self.remove(item, keepers, single).await?;
            }
            self.progress.advance(1);
        }
        Ok(())
    }

    /// Skips `item`, dropping the trash row an interrupted run journaled for it (nothing moved),
    /// in one transaction.
    fn abandon(&mut self, item: &PlanItem, reason: &str) -> Result<(), EngineError> {
        let tx = self.conn.transaction(Lock::None)?;
        if let Some(t) = item.trash_id {
            trash::delete(&*tx, t)?;
        }
        plans::set_state(&*tx, item.id, "skipped", Some(reason), None)?;
        tx.commit()?;
        self.progress.error(&item.path, reason);
        self.report
            .skipped
            .push((item.path.clone(), reason.to_owned()));
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
        let whereabouts = match provider.locate(&req, &entry.location).await {
            Ok(w) => w,
            Err(e) if let Some(reason) = e.item_refusal() => {
                self.abandon(item, &reason)?;
                return Ok(true);
            }
            Err(e) => return Err(e.into()),
        };
        match whereabouts {
            Whereabouts::Trashed => {}
            Whereabouts::Both => {
                // The trash copy is complete (a copy is renamed into place only once synced).
                // Whatever is at the original place now (the original of an interrupted
                // cross-device move, or a file that appeared since) is left untouched: it was
                // never re-checked, and the plan's copy is safe in the trash.
                self.report.skipped.push((
                    item.path.clone(),
                    "moved to the trash; a file found at the original place again was left there"
                        .into(),
                ));
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
        let tx = self.conn.transaction(Lock::None)?;
        trash::set_state(&*tx, trash_id, "trashed")?;
        plans::set_state(&*tx, item.id, "done", None, Some(trash_id))?;
        tx.execute(
            "DELETE FROM files WHERE user_id = ?1 AND source = ?2 AND item_id = ?3",
            platform_db::vals![self.user.as_str(), item.source, item.item_id],
        )?;
        self.lease.renew(&tx)?;
        tx.commit()?;
        self.report.trashed += 1;
        self.report.bytes += item.size;
        self.progress.bytes(item.size);
        Ok(())
    }

    async fn remove(
        &mut self,
        item: &PlanItem,
        keepers: &[Keeper],
        single: bool,
    ) -> Result<(), EngineError> {
        let provider = self.provider(item)?;
        let current = match provider.stat(&item.item_id.parse()?).await {
            Ok(c) => c,
            Err(e) => match e.item_refusal() {
                Some(reason) => return self.abandon(item, &reason),
                None => return Err(e.into()),
            },
        };
        let now = match current {
            None => return self.abandon(item, "vanished since the scan"),
            Some(now) if !unchanged(item, &now) => {
                return self.abandon(item, "changed since the scan");
            }
            Some(now) => now,
        };
        // A kept copy only counts when it is another physical file than this one.
        let others: Vec<&Keeper> = keepers
            .iter()
            .filter(|k| !same_file(k, item, &now))
            .collect();
        if others.is_empty() && !single {
            return self.abandon(item, "its kept copy is this very file; left untouched");
        }
        let trash_id = match self.journal_start(item, &provider, &others, single)? {
            Ok(t) => t,
            Err(reason) => return self.abandon(item, reason),
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
            // Nothing moved (a link planted on the way, the provider's permanent refusal of
            // this one item, gone): the claim is withdrawn, the reason recorded, the run goes on.
            Err(e) => match e.item_refusal() {
                Some(reason) => {
                    let journaled = PlanItem {
                        trash_id: Some(trash_id),
                        ..item.clone()
                    };
                    self.abandon(&journaled, &reason)
                }
                None => Err(e.into()),
            },
        }
    }

    /// True when some kept copy is claimed by no trash row (read inside the journal's
    /// transaction).
    fn any_live(tx: &dyn Db, keepers: &[&Keeper]) -> Result<bool, EngineError> {
        for k in keepers {
            if !trash::claimed(tx, &k.provider, &k.item_id, None)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Journals the removal of `item` after checking the claims, in one immediate transaction.
    /// `Ok(Err(reason))` when the claims forbid it. A `single` removal (no kept copy) is
    /// refused when the file is a duplicate or a copy kept for another plan's removal.
    fn journal_start(
        &mut self,
        item: &PlanItem,
        provider: &AnyProvider,
        keepers: &[&Keeper],
        single: bool,
    ) -> Result<Result<i64, &'static str>, EngineError> {
        // Every owner's trash and plans are read: an item indexed by two owners is claimed
        // once. SQLite's single writer gives that for free; PostgreSQL needs the global lock.
        let tx = self.conn.transaction(Lock::All)?;
        if trash::claimed(&*tx, &item.provider, &item.item_id, item.trash_id)? {
            return Ok(Err("already in the trash or being trashed by another plan"));
        }
        if single {
            if let Some(reason) = clutter::blocked(&*tx, self.user, item)? {
                return Ok(Err(reason));
            }
        } else if !Self::any_live(&*tx, keepers)? {
            return Ok(Err(
                "every kept copy is being removed by another plan; left untouched",
            ));
        }
        // A row an interrupted run journaled is reused; one that is gone is written anew.
        let journaled = match item.trash_id {
            Some(t) => trash::get(&*tx, self.user, t)?.map(|e| e.id),
            None => None,
        };
        let trash_id = match journaled {
            Some(t) => t,
            None => {
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
                    // Never promise a restore the provider will not honour (Drive empties its
                    // trash after 30 days).
                    expires_at: t + i64::from(
                        provider
                            .retention_cap_days()
                            .map_or(self.options.retention_days, |cap| {
                                cap.min(self.options.retention_days)
                            }),
                    ) * 86_400,
                    state: "trashing".into(),
                };
                let trash_id = trash::insert(&*tx, self.user, &entry)?;
                let location = provider.trash_location(&request(item, trash_id)?);
                trash::set_location(&*tx, trash_id, &location)?;
                trash_id
            }
        };
        plans::set_state(&*tx, item.id, "started", None, Some(trash_id))?;
        tx.commit()?;
        Ok(Ok(trash_id))
    }
}

/// True when kept copy `k` is the very file `item` (now seen as `now`): the same provider
/// item, or the same local device and inode (a hard link, or one file under two paths).
fn same_file(k: &Keeper, item: &PlanItem, now: &Item) -> bool {
    (k.provider == item.provider && k.item_id == item.item_id)
        || (k.inode.is_some() && k.inode == now.inode)
}

/// Counts plan items by state (for status displays).
pub fn progress_of(conn: &dyn Db, plan_id: i64) -> Result<HashMap<String, u64>, EngineError> {
    let mut out = HashMap::new();
    for i in plans::items(conn, plan_id)? {
        if i.action == Action::Remove {
            *out.entry(i.state).or_insert(0) += 1;
        }
    }
    Ok(out)
}
