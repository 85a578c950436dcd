//! Counted reads: pastes that expire after a number of reads (one is burn after read), and
//! optionally count a read only when the reader confirms it, so link previews do not use them
//! up.
//!
//! A counted paste has `burn_after_read = 1`, which keeps it out of the read cache and out of
//! [`PasteStore::content`]; its limit lives in `paste_reads` (no row: one read, no
//! confirmation). A counting read is one immediate transaction on the single writer: the last
//! allowed read deletes the row with `DELETE … RETURNING`, earlier ones count with
//! `UPDATE … RETURNING`, so however many readers race, exactly `max_views` of them get content.

use platform_db::rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::{PasteStore, StoreError};

/// Most reads a paste may allow.
pub const MAX_VIEWS: u32 = 1_000_000;

/// How the reads of a counted paste are limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadLimit {
    /// Reads allowed in all, at least 1.
    pub max_views: u32,
    /// Reads counted so far.
    pub views: u32,
    /// Only reads that carry the confirmation count; other reads get a notice.
    pub confirm: bool,
}

impl ReadLimit {
    /// Plain burn after read: one read, no confirmation.
    pub const BURN: Self = Self {
        max_views: 1,
        views: 0,
        confirm: false,
    };

    /// Reads left before the paste is gone.
    pub fn views_left(&self) -> u32 {
        self.max_views.saturating_sub(self.views)
    }
}

/// The content handed to a counting read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountedRead {
    /// The paste's bytes.
    pub content: Vec<u8>,
    /// Reads left after this one; 0 means the paste was deleted.
    pub views_left: u32,
}

/// Stores the limit of a new counted paste, inside the caller's transaction.
pub(super) fn insert_limit(c: &Connection, id: &str, limit: ReadLimit) -> Result<(), StoreError> {
    if limit == ReadLimit::BURN {
        return Ok(());
    }
    c.prepare_cached(
        "INSERT INTO paste_reads (id, max_views, views, confirm) VALUES (?1, ?2, 0, ?3)",
    )?
    .execute(params![id, limit.max_views, limit.confirm])?;
    Ok(())
}

impl PasteStore {
    /// The read limit of a live counted paste; `None` when there is no such paste.
    pub async fn read_limit(&self, id: &str, now: i64) -> Result<Option<ReadLimit>, StoreError> {
        let id = id.to_owned();
        Ok(self
            .pool
            .read(move |c| {
                c.prepare_cached(
                    "SELECT r.max_views, r.views, r.confirm FROM pastes p \
                     LEFT JOIN paste_reads r ON r.id = p.id \
                     WHERE p.id = ?1 AND p.burn_after_read = 1 \
                     AND (p.expires_at IS NULL OR p.expires_at > ?2)",
                )?
                .query_row(params![id, now], |r| {
                    Ok(match r.get::<_, Option<u32>>(0)? {
                        None => ReadLimit::BURN,
                        Some(max_views) => ReadLimit {
                            max_views,
                            views: r.get(1)?,
                            confirm: r.get(2)?,
                        },
                    })
                })
                .optional()
            })
            .await??)
    }

    /// Counts one read of a live counted paste and returns its content, deleting the paste on
    /// its last allowed read; `None` when other readers used up every read first, or the paste
    /// expired or never existed.
    pub async fn count_read(&self, id: &str, now: i64) -> Result<Option<CountedRead>, StoreError> {
        let id = id.to_owned();
        self.pool
            .write(move |c| {
                let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let counted: Option<u32> = tx
                    .prepare_cached(
                        "UPDATE paste_reads SET views = views + 1 \
                         WHERE id = ?1 AND views + 1 < max_views AND EXISTS (\
                           SELECT 1 FROM pastes WHERE id = ?1 AND burn_after_read = 1 \
                           AND (expires_at IS NULL OR expires_at > ?2)) \
                         RETURNING max_views - views",
                    )?
                    .query_row(params![id, now], |r| r.get(0))
                    .optional()?;
                let read = match counted {
                    Some(views_left) => tx
                        .prepare_cached("SELECT content FROM pastes WHERE id = ?1")?
                        .query_row([&id], |r| r.get(0))
                        .optional()?
                        .map(|content| CountedRead {
                            content,
                            views_left,
                        }),
                    None => tx
                        .prepare_cached(
                            "DELETE FROM pastes WHERE id = ?1 AND burn_after_read = 1 \
                             AND (expires_at IS NULL OR expires_at > ?2) RETURNING content",
                        )?
                        .query_row(params![id, now], |r| r.get(0))
                        .optional()?
                        .map(|content| CountedRead {
                            content,
                            views_left: 0,
                        }),
                };
                tx.commit()?;
                Ok::<_, StoreError>(read)
            })
            .await?
    }
}
