//! Writes: create (with the content-hash throttle in the same transaction), burn, delete and
//! purge of expired pastes.

use platform_db::rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::quota::{self, Quota, Usage};
use super::spool::Content;
use super::views::{ReadLimit, insert_limit};
use super::{PasteMeta, PasteStore, StoreError};

/// A paste about to be stored.
#[derive(Debug, Clone)]
pub struct NewPaste {
    /// The id.
    pub id: String,
    /// The bytes, in memory or spooled.
    pub content: Content,
    /// Detected MIME type.
    pub mime_type: String,
    /// SHA-256 of the content.
    pub sha256: [u8; 32],
    /// Creator's fingerprint.
    pub owner: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub expires_at: Option<i64>,
    /// Single-read paste.
    pub burn_after_read: bool,
    /// Argon2id PHC string.
    pub password_hash: Option<String>,
    /// SHA-256 of the delete token.
    pub delete_token_hash: Option<Vec<u8>>,
    /// Malware-scan verdict.
    pub scan: Option<String>,
    /// The owner's label for it.
    pub display_name: Option<String>,
}

/// The content-hash throttle: at most `max` submissions of the same bytes per `window_secs`.
#[derive(Debug, Clone, Copy)]
pub struct DedupPolicy {
    /// Window length.
    pub window_secs: i64,
    /// Submissions allowed per window; 0 disables the throttle.
    pub max: u32,
}

/// Outcome of a create.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dedup {
    /// Stored.
    Stored,
    /// Refused: the same content was submitted too often; retry after this many seconds.
    Throttled {
        /// Seconds until the window ends.
        retry_after: u64,
        /// Submissions of this content seen in the current window.
        count: u64,
    },
    /// Refused: the paste would pass the quota of [`CreateGuards::quota`].
    OverQuota,
}

/// What a create checks or records beside the paste itself, in the same transaction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateGuards {
    /// How reads are counted; `None` for a burn-after-read paste means one read. Ignored
    /// unless the paste is `burn_after_read` (counted).
    pub read_limit: Option<ReadLimit>,
    /// The quota the paste must fit in.
    pub quota: Option<Quota>,
}

/// The outcome of a guarded create.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Created {
    /// Stored, or why not.
    pub outcome: Dedup,
    /// The quota's usage: after the paste when stored, as found when refused.
    pub usage: Option<Usage>,
}

impl PasteStore {
    /// Stores `paste` unless the throttle refuses its content; concurrent creates share one
    /// commit (see `group_commit`).
    pub async fn create(&self, paste: NewPaste, dedup: DedupPolicy) -> Result<Dedup, StoreError> {
        let created = self
            .committer
            .create(paste, dedup, CreateGuards::default())
            .await?;
        Ok(created.outcome)
    }

    /// [`PasteStore::create`], also storing a read limit and enforcing a quota atomically.
    pub async fn create_guarded(
        &self,
        paste: NewPaste,
        dedup: DedupPolicy,
        guards: CreateGuards,
    ) -> Result<Created, StoreError> {
        self.committer.create(paste, dedup, guards).await
    }

    /// Deletes a live burn-after-read paste and returns its content; `None` when another reader
    /// got it first, or it expired, or it never existed.
    pub async fn burn(&self, id: &str, now: i64) -> Result<Option<Vec<u8>>, StoreError> {
        let id = id.to_owned();
        Ok(self
            .pool
            .write(move |c| {
                c.prepare_cached(
                    "DELETE FROM pastes WHERE id = ?1 AND burn_after_read = 1 \
                     AND (expires_at IS NULL OR expires_at > ?2) RETURNING content",
                )?
                .query_row(params![id, now], |r| r.get(0))
                .optional()
            })
            .await??)
    }

    /// Deletes a paste; returns its metadata when it existed.
    pub async fn delete(&self, id: &str) -> Result<Option<PasteMeta>, StoreError> {
        let key = id.to_owned();
        let gone = self
            .pool
            .write(move |c| {
                c.prepare_cached(&format!(
                    "DELETE FROM pastes WHERE id = ?1 RETURNING {}",
                    super::read::META_COLUMNS
                ))?
                .query_row([key], super::read::meta_from_row)
                .optional()
            })
            .await??;
        self.hot.evict([id]);
        Ok(gone)
    }

    /// Deletes every paste expired at `now` and forgets throttle entries older than
    /// `dedup_window_secs`; returns the expired pastes' ids and sizes.
    pub async fn purge_expired(
        &self,
        now: i64,
        dedup_window_secs: i64,
    ) -> Result<Vec<(String, u64)>, StoreError> {
        let purged = self
            .pool
            .write(move |c| {
                let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let purged = tx
                    .prepare_cached(
                        "DELETE FROM pastes WHERE expires_at IS NOT NULL AND expires_at <= ?1 \
                         RETURNING id, size",
                    )?
                    .query_map([now], |r| {
                        Ok((r.get(0)?, u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0)))
                    })?
                    .collect::<Result<Vec<(String, u64)>, _>>()?;
                tx.prepare_cached("DELETE FROM content_hashes WHERE first_seen <= ?1")?
                    .execute([now - dedup_window_secs])?;
                tx.commit()?;
                Ok::<_, StoreError>(purged)
            })
            .await??;
        self.hot.evict(purged.iter().map(|(id, _)| id.as_str()));
        Ok(purged)
    }
}

/// The throttle check and the insert of one paste, inside the caller's transaction.
pub(super) fn insert_one(
    c: &Connection,
    paste: &NewPaste,
    dedup: DedupPolicy,
    guards: &CreateGuards,
) -> Result<Created, StoreError> {
    let now = paste.created_at;
    let size = paste.content.len();
    let used = match &guards.quota {
        None => None,
        Some(q) => {
            let used = quota::usage(c, &q.scope, now)?;
            if !q.admits(used, size) {
                return Ok(Created {
                    outcome: Dedup::OverQuota,
                    usage: Some(used),
                });
            }
            Some(used)
        }
    };
    if let throttled @ Dedup::Throttled { .. } = throttle(c, &paste.sha256, now, dedup)? {
        return Ok(Created {
            outcome: throttled,
            usage: used,
        });
    }
    let content = super::blob::Bound::of(&paste.content)?;
    c.prepare_cached(
        "INSERT INTO pastes (id, mime_type, size, sha256, owner, created_at, expires_at, \
         burn_after_read, password_hash, delete_token_hash, scan, content, display_name) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?
    .execute(params![
        paste.id,
        paste.mime_type,
        i64::try_from(size).unwrap_or(i64::MAX),
        &paste.sha256[..],
        paste.owner,
        paste.created_at,
        paste.expires_at,
        paste.burn_after_read,
        paste.password_hash,
        paste.delete_token_hash,
        paste.scan,
        content.as_sql(),
        paste.display_name,
    ])?;
    super::blob::fill(c, c.last_insert_rowid(), &paste.content)?;
    if paste.burn_after_read {
        insert_limit(c, &paste.id, guards.read_limit.unwrap_or(ReadLimit::BURN))?;
    }
    if let Some(q) = &guards.quota {
        quota::record(c, &q.scope, size)?;
    }
    Ok(Created {
        outcome: Dedup::Stored,
        usage: used.map(|u| Usage {
            bytes: u.bytes.saturating_add(size),
            pastes: u.pastes.saturating_add(1),
        }),
    })
}

/// Counts one submission of `sha256` at `now` against the content-hash throttle, or refuses it.
pub(super) fn throttle(
    c: &Connection,
    sha256: &[u8; 32],
    now: i64,
    dedup: DedupPolicy,
) -> Result<Dedup, StoreError> {
    if dedup.max > 0 {
        let seen: Option<(i64, i64)> = c
            .prepare_cached("SELECT first_seen, count FROM content_hashes WHERE sha256 = ?1")?
            .query_row([&sha256[..]], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        match seen {
            Some((first, count)) if now - first < dedup.window_secs => {
                if count >= i64::from(dedup.max) {
                    let retry = (first + dedup.window_secs - now).max(1);
                    return Ok(Dedup::Throttled {
                        retry_after: u64::try_from(retry).unwrap_or(1),
                        count: u64::try_from(count).unwrap_or(0),
                    });
                }
                c.prepare_cached("UPDATE content_hashes SET count = count + 1 WHERE sha256 = ?1")?
                    .execute([&sha256[..]])?;
            }
            _ => {
                c.prepare_cached(
                    "INSERT INTO content_hashes (sha256, first_seen, count) VALUES (?1, ?2, 1) \
                     ON CONFLICT (sha256) DO UPDATE SET first_seen = excluded.first_seen, count = 1",
                )?
                .execute(params![&sha256[..], now])?;
            }
        }
    }
    Ok(Dedup::Stored)
}
