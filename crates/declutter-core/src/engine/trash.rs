//! Listing, restoring and purging trashed items, on every provider.

use platform_db::rusqlite::Connection;

use super::{EngineError, Providers};
use crate::db::now;
use crate::ids::{Source, UserId};
use crate::provider::{StorageProvider, TrashRequest};
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
    provider.restore(&request(&entry)?, &entry.location).await?;
    trash::set_state(conn, id, "restored")?;
    Ok(entry)
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
