//! Aggregates for the admin API; one pass over the metadata columns, never the content.

use std::collections::BTreeMap;

use platform_db::rusqlite::ToSql;
use serde::Serialize;

use super::{PasteStore, StoreError};

/// Counts and bytes of one group.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Tally {
    /// Pastes.
    pub count: i64,
    /// Content bytes.
    pub bytes: i64,
}

/// What the admin stats endpoint reports.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Stats {
    /// Live pastes.
    pub total: Tally,
    /// By the MIME type's top-level family (`text`, `image`, ...).
    pub by_mime_family: BTreeMap<String, Tally>,
    /// Live pastes expiring within the horizon.
    pub expiring_soon: Tally,
    /// Expired but not yet purged.
    pub expired_unpurged: Tally,
    /// Single-read pastes waiting for their reader.
    pub burn_after_read: i64,
    /// Password-protected pastes.
    pub password_protected: i64,
    /// Pastes with an authenticated owner.
    pub owned: i64,
    /// Distinct owners.
    pub owners: i64,
}

impl PasteStore {
    /// Statistics at `now`, with "soon" meaning within `horizon_secs`.
    pub async fn stats(&self, now: i64, horizon_secs: i64) -> Result<Stats, StoreError> {
        self.pool
            .read(move |c| {
                let mut stats = Stats::default();
                let mut families = c.prepare_cached(
                    "SELECT substr(mime_type, 1, instr(mime_type || '/', '/') - 1) AS family, \
                     count(*), coalesce(sum(size), 0) FROM pastes \
                     WHERE expires_at IS NULL OR expires_at > ?1 GROUP BY family",
                )?;
                let rows = families.query_map([now], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, i64>(2)?,
                    ))
                })?;
                for row in rows {
                    let (family, count, bytes) = row?;
                    stats.total.count += count;
                    stats.total.bytes += bytes;
                    stats.by_mime_family.insert(family, Tally { count, bytes });
                }
                let tally = |sql: &str, p: &[&dyn ToSql]| {
                    c.prepare_cached(sql)?.query_row(p, |r| {
                        Ok(Tally {
                            count: r.get(0)?,
                            bytes: r.get(1)?,
                        })
                    })
                };
                stats.expiring_soon = tally(
                    "SELECT count(*), coalesce(sum(size), 0) FROM pastes \
                     WHERE expires_at > ?1 AND expires_at <= ?2",
                    &[&now, &(now + horizon_secs)],
                )?;
                stats.expired_unpurged = tally(
                    "SELECT count(*), coalesce(sum(size), 0) FROM pastes \
                     WHERE expires_at <= ?1",
                    &[&now],
                )?;
                let (burn, protected, owned, owners) = c.prepare_cached(
                    "SELECT coalesce(sum(burn_after_read), 0), count(password_hash), count(owner), \
                     count(DISTINCT owner) FROM pastes WHERE expires_at IS NULL OR expires_at > ?1",
                )?
                .query_row([now], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
                stats.burn_after_read = burn;
                stats.password_protected = protected;
                stats.owned = owned;
                stats.owners = owners;
                Ok::<_, StoreError>(stats)
            })
            .await?
    }
}
