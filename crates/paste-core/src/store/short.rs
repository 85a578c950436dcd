//! Short URLs: create, resolve, list by owner, delete, purge when expired.

use platform_db::rusqlite::{self, OptionalExtension, Row, params};

use super::{PasteStore, StoreError};

/// A stored short URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShortUrl {
    /// The id (same alphabet and length as paste ids).
    pub id: String,
    /// Where it redirects.
    pub target: String,
    /// Creator's fingerprint.
    pub owner: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub expires_at: Option<i64>,
    /// SHA-256 of the anonymous creator's delete token.
    pub delete_token_hash: Option<Vec<u8>>,
}

const COLUMNS: &str = "id, target, owner, created_at, expires_at, delete_token_hash";
const LIVE: &str = "(expires_at IS NULL OR expires_at > ?2)";

fn from_row(r: &Row<'_>) -> rusqlite::Result<ShortUrl> {
    Ok(ShortUrl {
        id: r.get(0)?,
        target: r.get(1)?,
        owner: r.get(2)?,
        created_at: r.get(3)?,
        expires_at: r.get(4)?,
        delete_token_hash: r.get(5)?,
    })
}

impl PasteStore {
    /// Stores a short URL.
    pub async fn create_short(&self, short: ShortUrl) -> Result<(), StoreError> {
        self.pool()
            .write(move |c| {
                c.prepare_cached(&format!(
                    "INSERT INTO short_urls ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                ))?
                .execute(params![
                    short.id,
                    short.target,
                    short.owner,
                    short.created_at,
                    short.expires_at,
                    short.delete_token_hash
                ])
            })
            .await??;
        Ok(())
    }

    /// A live short URL.
    pub async fn short(&self, id: &str, now: i64) -> Result<Option<ShortUrl>, StoreError> {
        let id = id.to_owned();
        Ok(self
            .pool()
            .read(move |c| {
                c.prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM short_urls WHERE id = ?1 AND {LIVE}"
                ))?
                .query_row(params![id, now], from_row)
                .optional()
            })
            .await??)
    }

    /// `owner`'s live short URLs, newest first, and how many there are in all.
    pub async fn shorts_by_owner(
        &self,
        owner: &str,
        now: i64,
        limit: u32,
        offset: u32,
    ) -> Result<(Vec<ShortUrl>, u64), StoreError> {
        let owner = owner.to_owned();
        Ok(self
            .pool()
            .read(move |c| {
                let rows = c
                    .prepare_cached(&format!(
                        "SELECT {COLUMNS} FROM short_urls WHERE owner = ?1 AND {LIVE} \
                         ORDER BY created_at DESC, id LIMIT ?3 OFFSET ?4"
                    ))?
                    .query_map(params![owner, now, limit, offset], from_row)?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                let total: i64 = c
                    .prepare_cached(&format!(
                        "SELECT count(*) FROM short_urls WHERE owner = ?1 AND {LIVE}"
                    ))?
                    .query_row(params![owner, now], |r| r.get(0))?;
                Ok::<_, rusqlite::Error>((rows, u64::try_from(total).unwrap_or(0)))
            })
            .await??)
    }

    /// Deletes a short URL; whether it existed.
    pub async fn delete_short(&self, id: &str) -> Result<bool, StoreError> {
        let id = id.to_owned();
        let n = self
            .pool()
            .write(move |c| {
                c.prepare_cached("DELETE FROM short_urls WHERE id = ?1")?
                    .execute([id])
            })
            .await??;
        Ok(n > 0)
    }

    /// Deletes every short URL expired at `now`; how many.
    pub async fn purge_expired_shorts(&self, now: i64) -> Result<usize, StoreError> {
        Ok(self
            .pool()
            .write(move |c| {
                c.prepare_cached(
                    "DELETE FROM short_urls WHERE expires_at IS NOT NULL AND expires_at <= ?1",
                )?
                .execute([now])
            })
            .await??)
    }
}
