//! Reads: metadata and content of live (unexpired) pastes.

use std::sync::Arc;

use bytes::Bytes;
use platform_db::rusqlite::{self, OptionalExtension, Row, params};

use super::{PasteMeta, PasteStore, Readable, StoreError};

pub(super) const META_COLUMNS: &str = "id, mime_type, size, owner, created_at, expires_at, \
     burn_after_read, password_hash, delete_token_hash, scan, display_name";

pub(super) fn meta_from_row(row: &Row<'_>) -> rusqlite::Result<PasteMeta> {
    Ok(PasteMeta {
        id: row.get(0)?,
        mime_type: row.get(1)?,
        size: u64::try_from(row.get::<_, i64>(2)?).unwrap_or(0),
        owner: row.get(3)?,
        created_at: row.get(4)?,
        expires_at: row.get(5)?,
        burn_after_read: row.get(6)?,
        password_hash: row.get(7)?,
        delete_token_hash: row.get(8)?,
        scan: row.get(9)?,
        display_name: row.get(10)?,
    })
}

impl PasteStore {
    /// Metadata of a live paste.
    pub async fn meta(&self, id: &str, now: i64) -> Result<Option<PasteMeta>, StoreError> {
        if let Some(hot) = self.hot.get(id, now) {
            return Ok(Some(hot.meta.clone()));
        }
        let id = id.to_owned();
        let sql = format!(
            "SELECT {META_COLUMNS} FROM pastes \
             WHERE id = ?1 AND (expires_at IS NULL OR expires_at > ?2)"
        );
        Ok(self
            .pool
            .read(move |c| {
                c.prepare_cached(&sql)?
                    .query_row(params![id, now], meta_from_row)
                    .optional()
            })
            .await??)
    }

    /// A live paste from memory, when it is held there: small pastes that may be served without
    /// further checks (neither burn-after-read nor password protected), always with content.
    /// `None` says nothing about the paste; [`PasteStore::readable`] also asks the database.
    pub fn cached(&self, id: &str, now: i64) -> Option<Arc<Readable>> {
        self.hot.get(id, now)
    }

    /// A live paste with, in the same read, its content when it may be served without further
    /// checks (neither burn-after-read nor password protected) and is small enough to hold. The hot path of
    /// `GET /{id}/raw`: small readable pastes come from memory, others cost one round trip.
    pub async fn readable(&self, id: &str, now: i64) -> Result<Option<Arc<Readable>>, StoreError> {
        if let Some(hot) = self.cached(id, now) {
            return Ok(Some(hot));
        }
        let epoch = self.hot.epoch();
        let id = id.to_owned();
        // Large content is left in the database, to be streamed (`content_chunk`).
        let sql = format!(
            "SELECT {META_COLUMNS}, CASE WHEN burn_after_read = 0 AND password_hash IS NULL \
             AND size <= {} THEN content END FROM pastes \
             WHERE id = ?1 AND (expires_at IS NULL OR expires_at > ?2)",
            super::blob::STREAM_THRESHOLD
        );
        let found = self
            .pool
            .read(move |c| {
                c.prepare_cached(&sql)?
                    .query_row(params![id, now], |r| {
                        Ok(Readable {
                            meta: meta_from_row(r)?,
                            content: r.get::<_, Option<Vec<u8>>>(11)?.map(Bytes::from),
                        })
                    })
                    .optional()
            })
            .await??
            .map(Arc::new);
        if let Some(paste) = &found {
            self.hot.fill(paste, epoch);
        }
        Ok(found)
    }

    /// Content of a live paste that is not burn-after-read (burning goes through
    /// [`PasteStore::burn`]).
    pub async fn content(&self, id: &str, now: i64) -> Result<Option<Vec<u8>>, StoreError> {
        let id = id.to_owned();
        Ok(self
            .pool
            .read(move |c| {
                c.prepare_cached(
                    "SELECT content FROM pastes WHERE id = ?1 AND burn_after_read = 0 \
                     AND (expires_at IS NULL OR expires_at > ?2)",
                )?
                .query_row(params![id, now], |r| r.get(0))
                .optional()
            })
            .await??)
    }

    /// Pastes owned by `owner`, newest first, at most `limit`.
    pub async fn by_owner(
        &self,
        owner: &str,
        now: i64,
        limit: u32,
    ) -> Result<Vec<PasteMeta>, StoreError> {
        let owner = owner.to_owned();
        let sql = format!(
            "SELECT {META_COLUMNS} FROM pastes WHERE owner = ?1 \
             AND (expires_at IS NULL OR expires_at > ?2) ORDER BY created_at DESC LIMIT ?3"
        );
        Ok(self
            .pool
            .read(move |c| {
                c.prepare_cached(&sql)?
                    .query_map(params![owner, now, limit], meta_from_row)?
                    .collect::<rusqlite::Result<Vec<_>>>()
            })
            .await??)
    }

    /// Number of stored pastes and their total content bytes (expired ones not yet purged
    /// included: they still occupy the disk).
    pub async fn totals(&self) -> Result<(i64, i64), StoreError> {
        Ok(self
            .pool
            .read(|c| {
                c.query_row(
                    "SELECT count(*), coalesce(sum(size), 0) FROM pastes",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
            })
            .await??)
    }
}
