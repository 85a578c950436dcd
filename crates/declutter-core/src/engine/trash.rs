//! Listing, restoring and purging trashed items, on every provider.

use platform_db::sql::{Conn, Db, Lock};

use super::lease::Lease;
use super::{EngineError, Providers};
use crate::db::now;
use crate::ids::{Source, UserId};
use crate::progress::Progress;
use crate::provider::{ProviderError, StorageProvider, TrashRequest, Whereabouts};
use crate::store::trash::{self, TrashEntry};

fn request(e: &TrashEntry) -> Result<TrashRequest, EngineError> {
    Ok(TrashRequest {
        id: e.item_id.parse()?,
        parent_id: e.parent_id.as_deref().map(str::parse).transpose()?,
        name: e.name.clone(),
        path: e.original_path.clone(),
        trash_id: e.id,
    })
}

/// Items currently in the trash.
pub fn list(conn: &dyn Db, user: &UserId) -> Result<Vec<TrashEntry>, EngineError> {
    Ok(trash::list(conn, user, &["trashed"])?)
}

/// Puts a trashed item back where it was.
pub async fn restore(
    conn: &mut dyn Conn,
    user: &UserId,
    id: i64,
    providers: &dyn Providers,
) -> Result<TrashEntry, EngineError> {
    let entry = trash::get(conn, user, id)?.ok_or(EngineError::TrashNotFound(id))?;
    if entry.state != "trashed" {
        return Err(EngineError::TrashState {
            id,
            state: entry.state,
        });
    }
    let provider = providers.provider(&entry.source.parse::<Source>()?)?;
    super::emptied::recreate_for(conn, user, &entry, providers)?;
    provider.restore(&request(&entry)?, &entry.location).await?;
    trash::set_state(conn, id, "restored")?;
    Ok(entry)
}

/// Which trashed entries to put back.
#[derive(Debug, Clone)]
pub enum RestoreSelection {
    /// Everything plan `0` moved to the trash (undo a whole clean-up).
    Plan(i64),
    /// Every trashed entry of the owner.
    All,
    /// These entries.
    Ids(Vec<i64>),
}

/// What a restore of several entries did. A conflict or a refusal of one entry is reported
/// and the rest go on.
#[derive(Debug, Clone, Default, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RestoreReport {
    /// Entries put back.
    pub restored: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Original paths where something exists now: left in the trash, never overwritten.
    pub conflicts: Vec<String>,
    /// Entries that could not be restored, with the reason (path, reason).
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Vec<String>>))]
    pub failed: Vec<(String, String)>,
    /// The run stopped on request between two entries.
    pub cancelled: bool,
}

/// Restores the `selection`, one entry at a time, reporting each conflict (something now at
/// the original place: never overwritten) and refusal instead of stopping. Ids of the
/// selection that are not the owner's ([`EngineError::TrashNotFound`]) or no longer in the
/// trash ([`EngineError::TrashState`]) refuse the whole selection before anything moves.
/// The owner's apply lock is held throughout: the `lease` of a whole-plan undo run as a job, or
/// one taken here ([`EngineError::ApplyBusy`] while an apply, an undo or a purge of the owner
/// runs), so a restore never races a purge of the same entries.
pub async fn restore_many(
    conn: &mut dyn Conn,
    user: &UserId,
    selection: &RestoreSelection,
    providers: &dyn Providers,
    progress: &dyn Progress,
    lease: Option<&Lease>,
) -> Result<RestoreReport, EngineError> {
    match lease {
        Some(lease) => restore_holding(conn, user, selection, providers, progress, lease).await,
        None => {
            let lease = Lease::acquire(conn, user, super::lease::TRASH)?;
            let result = restore_holding(conn, user, selection, providers, progress, &lease).await;
            let released = lease.release(conn);
            let report = result?;
            released?;
            Ok(report)
        }
    }
}

async fn restore_holding(
    conn: &mut dyn Conn,
    user: &UserId,
    selection: &RestoreSelection,
    providers: &dyn Providers,
    progress: &dyn Progress,
    lease: &Lease,
) -> Result<RestoreReport, EngineError> {
    let mut report = RestoreReport::default();
    let chosen: Vec<TrashEntry> = match selection {
        RestoreSelection::Plan(plan_id) => {
            crate::store::plans::get(conn, user, *plan_id)?
                .ok_or(EngineError::PlanNotFound(*plan_id))?;
            trash::of_plan(conn, user, *plan_id)?
        }
        RestoreSelection::All => list(conn, user)?,
        RestoreSelection::Ids(ids) => {
            let mut out = Vec::new();
            for id in ids {
                let e = trash::get(conn, user, *id)?.ok_or(EngineError::TrashNotFound(*id))?;
                if e.state != "trashed" {
                    return Err(EngineError::TrashState {
                        id: *id,
                        state: e.state,
                    });
                }
                out.push(e);
            }
            out
        }
    };
    // The folders the plan's apply removed come back first, each with its mode.
    if let RestoreSelection::Plan(plan_id) = selection {
        super::emptied::recreate_plan(conn, user, *plan_id, providers)?;
    }
    progress.phase("restoring", Some(chosen.len() as u64));
    for e in &chosen {
        if progress.cancelled() {
            report.cancelled = true;
            break;
        }
        let outcome = match providers.provider(&e.source.parse::<Source>()?) {
            Ok(provider) => {
                super::emptied::recreate_for(conn, user, e, providers)?;
                provider.restore(&request(e)?, &e.location).await
            }
            Err(EngineError::NotConfigured(why)) => Err(ProviderError::Refused(why)),
            Err(other) => return Err(other),
        };
        match outcome {
            Ok(()) => {
                let tx = conn.transaction(Lock::None)?;
                trash::set_state(&*tx, e.id, "restored")?;
                lease.renew(&tx)?;
                tx.commit()?;
                report.restored += 1;
                report.bytes += e.size;
                progress.bytes(e.size);
            }
            Err(ProviderError::RestoreConflict(path)) => {
                progress.error(&path, "something exists at the original place now");
                report.conflicts.push(path);
            }
            Err(ProviderError::NotFound(_)) => {
                let reason = "missing from the trash folder".to_owned();
                progress.error(&e.original_path, &reason);
                report.failed.push((e.original_path.clone(), reason));
            }
            Err(err) => match err.item_refusal() {
                Some(reason) => {
                    progress.error(&e.original_path, &reason);
                    report.failed.push((e.original_path.clone(), reason));
                }
                None => return Err(err.into()),
            },
        }
        progress.advance(1);
    }
    Ok(report)
}

/// Which entries to purge.
#[derive(Debug, Clone)]
pub enum PurgeSelection {
    /// Entries past their retention.
    Expired,
    /// Every trashed entry, now.
    All,
    /// These entries, now.
    Ids(Vec<i64>),
}

/// Deletes trashed items for good; returns the purged entries (not those someone took out of
/// the trash meanwhile, which stay where they are). Holds the owner's apply lock
/// ([`EngineError::ApplyBusy`] while an apply, an undo or another purge of theirs runs); the
/// first refusal stops the purge (what was purged before it stays purged).
pub async fn purge(
    conn: &mut dyn Conn,
    user: &UserId,
    selection: &PurgeSelection,
    providers: &dyn Providers,
) -> Result<Vec<TrashEntry>, EngineError> {
    let lease = Lease::acquire(conn, user, super::lease::TRASH)?;
    let result = async {
        let mut purged = Vec::new();
        for e in purge_selection(conn, user, selection)? {
            if purge_one(conn, &e, providers).await? == Purged::Gone {
                purged.push(e);
            }
            lease.renew(conn)?;
        }
        Ok::<_, EngineError>(purged)
    }
    .await;
    let released = lease.release(conn);
    let chosen = result?;
    released?;
    Ok(chosen)
}

fn purge_selection(
    conn: &dyn Db,
    user: &UserId,
    selection: &PurgeSelection,
) -> Result<Vec<TrashEntry>, EngineError> {
    let t = now();
    Ok(match selection {
        PurgeSelection::Expired => list(conn, user)?
            .into_iter()
            .filter(|e| e.expires_at <= t)
            .collect(),
        PurgeSelection::All => list(conn, user)?,
        PurgeSelection::Ids(ids) => {
            let mut out = Vec::new();
            for id in ids {
                let e = trash::get(conn, user, *id)?.ok_or(EngineError::TrashNotFound(*id))?;
                if e.state != "trashed" {
                    return Err(EngineError::TrashState {
                        id: *id,
                        state: e.state,
                    });
                }
                out.push(e);
            }
            out
        }
    })
}

/// What [`purge_one`] did with an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purged {
    /// Deleted for good (or already gone from the trash).
    Gone,
    /// Taken out of the trash by someone else (a person in the drive's own UI, or by hand):
    /// left where it is, and recorded restored.
    PutBack,
}

/// Deletes one trashed item for good through its provider, then records it. The item is
/// looked up first: one that is no longer in the trash is never deleted (a drive deletes by
/// item id, and Google Drive's delete skips its trash), and one already gone (a run cut off
/// between the two steps) is recorded purged.
async fn purge_one(
    conn: &dyn Db,
    e: &TrashEntry,
    providers: &dyn Providers,
) -> Result<Purged, EngineError> {
    let provider = providers.provider(&e.source.parse::<Source>()?)?;
    purge_with(conn, e, provider.as_ref()).await
}

/// [`purge_one`] through a given provider.
async fn purge_with<P: StorageProvider>(
    conn: &dyn Db,
    e: &TrashEntry,
    provider: &P,
) -> Result<Purged, EngineError> {
    let req = request(e)?;
    let outcome = match provider.locate(&req, &e.location).await? {
        Whereabouts::Trashed | Whereabouts::Both => {
            provider.purge(&req, &e.location).await?;
            Purged::Gone
        }
        Whereabouts::Missing => Purged::Gone,
        Whereabouts::Original => Purged::PutBack,
    };
    let state = match outcome {
        Purged::Gone => "purged",
        Purged::PutBack => "restored",
    };
    trash::set_state(conn, e.id, state)?;
    Ok(outcome)
}

/// What emptying the trash did (a job's summary).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct PurgeReport {
    /// Entries deleted for good.
    pub purged: u64,
    /// Their bytes: the space freed.
    pub bytes: u64,
    /// Entries left in the trash, with the reason (path, reason).
    pub failed: Vec<(String, String)>,
    /// Entries someone had taken out of the trash (original paths): left where they are.
    pub put_back: Vec<String>,
    /// The run stopped on request between two entries.
    pub cancelled: bool,
}

/// Empties `user`'s trash under `lease` (the owner's apply lock, held by the caller): every
/// entry still trashed when it reaches it is deleted for good, one at a time, with progress
/// and a stop between two entries. An entry that cannot be purged now is reported and stays;
/// a rerun after a crash purges what is left.
pub async fn purge_holding(
    conn: &mut dyn Conn,
    user: &UserId,
    lease: &Lease,
    providers: &dyn Providers,
    progress: &dyn Progress,
) -> Result<PurgeReport, EngineError> {
    let chosen = list(conn, user)?;
    let mut report = PurgeReport::default();
    progress.phase("purging", Some(chosen.len() as u64));
    for e in &chosen {
        if progress.cancelled() {
            report.cancelled = true;
            break;
        }
        match purge_one(conn, e, providers).await {
            Ok(Purged::Gone) => {
                report.purged += 1;
                report.bytes += e.size;
                progress.bytes(e.size);
            }
            Ok(Purged::PutBack) => report.put_back.push(e.original_path.clone()),
            // A provider's refusal or failure, or a drive no longer configured, is this
            // entry's; the database failing stops the run (it resumes on the next).
            Err(EngineError::Provider(err)) => {
                let reason = err.item_refusal().unwrap_or_else(|| err.to_string());
                progress.error(&e.original_path, &reason);
                report.failed.push((e.original_path.clone(), reason));
            }
            Err(EngineError::NotConfigured(why)) => {
                progress.error(&e.original_path, &why);
                report.failed.push((e.original_path.clone(), why));
            }
            Err(other) => return Err(other),
        }
        lease.renew(conn)?;
        progress.advance(1);
    }
    Ok(report)
}

/// What a retention sweep of one owner did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct RetentionReport {
    /// Entries purged.
    pub purged: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Entries left for a later sweep, with the reason (path, reason).
    pub failed: Vec<(String, String)>,
}

/// Purges `user`'s entries whose retention is over, in the sources `reachable` says this
/// process reaches, under the owner's apply lock: never during an apply or an undo of theirs,
/// and never by two sweeps at once. An entry that cannot be purged now stays for the next
/// sweep; `None` when another run holds the lock.
pub async fn sweep_expired(
    conn: &mut dyn Conn,
    user: &UserId,
    reachable: &dyn Fn(&Source) -> bool,
    providers: &dyn Providers,
) -> Result<Option<RetentionReport>, EngineError> {
    let lease = match super::lease::Lease::acquire(conn, user, super::lease::RETENTION_SWEEP) {
        Ok(lease) => lease,
        Err(EngineError::ApplyBusy { .. }) => return Ok(None),
        Err(e) => return Err(e),
    };
    let t = now();
    let mut report = RetentionReport::default();
    let result = async {
        for e in list(conn, user)?.into_iter().filter(|e| e.expires_at <= t) {
            let source = e.source.parse::<Source>()?;
            if !reachable(&source) {
                continue;
            }
            match purge_one(conn, &e, providers).await {
                Ok(Purged::PutBack) => {}
                Ok(Purged::Gone) => {
                    report.purged += 1;
                    report.bytes += e.size;
                }
                Err(err) => report
                    .failed
                    .push((e.original_path.clone(), err.to_string())),
            }
            lease.renew(conn)?;
        }
        Ok::<_, EngineError>(())
    }
    .await;
    let released = lease.release(conn);
    result?;
    released?;
    Ok(Some(report))
}

/// Purges the expired entries of one `source` through `provider`, reporting each failure as a
/// scan issue instead of stopping. OneDrive scans call it: what we park in the app folder
/// counts against the person's quota and OneDrive never empties that folder itself, so our
/// retention ending is what frees the space (into OneDrive's recycle bin).
pub async fn purge_expired_of<P: StorageProvider>(
    conn: &mut dyn Conn,
    user: &UserId,
    source: &Source,
    provider: &P,
) -> Result<(u64, Vec<crate::provider::ScanIssue>), EngineError> {
    let t = now();
    let src = source.to_string();
    let expired: Vec<TrashEntry> = list(conn, user)?
        .into_iter()
        .filter(|e| e.source == src && e.expires_at <= t)
        .collect();
    let (mut purged, mut issues) = (0, Vec::new());
    for e in &expired {
        match purge_with(conn, e, provider).await {
            Ok(Purged::Gone) => purged += 1,
            Ok(Purged::PutBack) => {}
            Err(EngineError::Db(err)) => return Err(err.into()),
            Err(err) => issues.push(crate::provider::ScanIssue {
                path: e.original_path.clone(),
                kind: "purge",
                message: format!("expired trash entry {} not purged: {err}", e.id),
            }),
        }
    }
    Ok((purged, issues))
}
