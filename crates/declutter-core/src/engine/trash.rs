//! Listing, restoring and purging trashed items, on every provider.

use platform_db::rusqlite::Connection;

use super::lease::Lease;
use super::{EngineError, Providers};
use crate::db::now;
use crate::ids::{Source, UserId};
use crate::progress::Progress;
use crate::provider::{ProviderError, StorageProvider, TrashRequest};
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
pub fn list(conn: &Connection, user: &UserId) -> Result<Vec<TrashEntry>, EngineError> {
    Ok(trash::list(conn, user, &["trashed"])?)
}

/// Puts a trashed item back where it was.
pub async fn restore(
    conn: &mut Connection,
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
/// With a `lease` (a whole-plan undo run as a job), the owner's apply lock is renewed as it goes.
pub async fn restore_many(
    conn: &mut Connection,
    user: &UserId,
    selection: &RestoreSelection,
    providers: &dyn Providers,
    progress: &dyn Progress,
    lease: Option<&Lease>,
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
                let tx = conn.transaction()?;
                trash::set_state(&tx, e.id, "restored")?;
                if let Some(lease) = lease {
                    lease.renew(&tx)?;
                }
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

/// Deletes trashed items for good; returns the purged entries.
pub async fn purge(
    conn: &mut Connection,
    user: &UserId,
    selection: &PurgeSelection,
    providers: &dyn Providers,
) -> Result<Vec<TrashEntry>, EngineError> {
    let t = now();
    let chosen: Vec<TrashEntry> = match selection {
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
    };
    for e in &chosen {
        let provider = providers.provider(&e.source.parse::<Source>()?)?;
        provider.purge(&request(e)?, &e.location).await?;
        trash::set_state(conn, e.id, "purged")?;
    }
    Ok(chosen)
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
    conn: &mut Connection,
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
            let purged = match providers.provider(&source) {
                Ok(provider) => provider
                    .purge(&request(&e)?, &e.location)
                    .await
                    .map_err(EngineError::from),
                Err(err) => Err(err),
            };
            match purged {
                Ok(()) => {
                    trash::set_state(conn, e.id, "purged")?;
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
    conn: &mut Connection,
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
        match provider.purge(&request(e)?, &e.location).await {
            Ok(()) => {
                trash::set_state(conn, e.id, "purged")?;
                purged += 1;
            }
            Err(err) => issues.push(crate::provider::ScanIssue {
                path: e.original_path.clone(),
                kind: "purge",
                message: format!("expired trash entry {} not purged: {err}", e.id),
            }),
        }
    }
    Ok((purged, issues))
}
