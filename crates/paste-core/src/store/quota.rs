//! Quotas, checked inside the transaction that stores the paste, so concurrent creates can
//! never pass a limit together: bytes and pastes stored per certificate (its live pastes), and
//! bytes and pastes created per anonymous client address per UTC day.

use platform_db::rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::{PasteStore, StoreError};

const DAY_SECS: i64 = 86_400;

/// Limits of one quota; 0 means unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct QuotaLimits {
    /// Most bytes.
    pub bytes: u64,
    /// Most pastes.
    pub pastes: u64,
}

/// What one quota counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuotaScope {
    /// The live pastes owned by this certificate fingerprint.
    Owner(String),
    /// Pastes created on the UTC day `day` (Unix days) by the anonymous client `client` (an
    /// address, IPv6 by /64).
    Anonymous {
        /// The client's rate key, as text.
        client: String,
        /// Days since the Unix epoch.
        day: i64,
    },
}

impl QuotaScope {
    /// The anonymous scope of `client` at `now` (Unix seconds).
    pub fn anonymous(client: String, now: i64) -> Self {
        Self::Anonymous {
            client,
            day: now.div_euclid(DAY_SECS),
        }
    }

    /// Unix seconds at which the quota starts afresh, for daily quotas.
    pub fn resets_at(&self) -> Option<i64> {
        match self {
            Self::Owner(_) => None,
            Self::Anonymous { day, .. } => Some((day + 1) * DAY_SECS),
        }
    }
}

/// A quota to enforce on a create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quota {
    /// What is counted.
    pub scope: QuotaScope,
    /// The limits.
    pub limits: QuotaLimits,
}

/// What a quota has used.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Usage {
    /// Bytes counted.
    pub bytes: u64,
    /// Pastes counted.
    pub pastes: u64,
}

impl Quota {
    /// Whether one more paste of `size` bytes fits on top of `used`.
    pub fn admits(&self, used: Usage, size: u64) -> bool {
        let l = self.limits;
        (l.pastes == 0 || used.pastes < l.pastes)
            && (l.bytes == 0 || used.bytes.saturating_add(size) <= l.bytes)
    }

    /// What is left of the limits after `used` (`None` for an unlimited dimension).
    pub fn remaining(&self, used: Usage) -> (Option<u64>, Option<u64>) {
        let l = self.limits;
        (
            (l.bytes > 0).then(|| l.bytes.saturating_sub(used.bytes)),
            (l.pastes > 0).then(|| l.pastes.saturating_sub(used.pastes)),
        )
    }
}

/// What `scope` has used at `now`, read inside the caller's transaction.
pub(super) fn usage(c: &Connection, scope: &QuotaScope, now: i64) -> Result<Usage, StoreError> {
    let row = match scope {
        QuotaScope::Owner(owner) => c
            .prepare_cached(
                "SELECT count(*), coalesce(sum(size), 0) FROM pastes WHERE owner = ?1 \
                 AND (expires_at IS NULL OR expires_at > ?2)",
            )?
            .query_row(params![owner, now], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?,
        QuotaScope::Anonymous { client, day } => c
            .prepare_cached("SELECT pastes, bytes FROM anon_usage WHERE client = ?1 AND day = ?2")?
            .query_row(params![client, day], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?,
    };
    let (pastes, bytes): (i64, i64) = row.unwrap_or((0, 0));
    Ok(Usage {
        pastes: u64::try_from(pastes).unwrap_or(0),
        bytes: u64::try_from(bytes).unwrap_or(0),
    })
}

/// Records a stored paste of `size` bytes against `scope` (owners count their rows already).
pub(super) fn record(c: &Connection, scope: &QuotaScope, size: u64) -> Result<(), StoreError> {
    if let QuotaScope::Anonymous { client, day } = scope {
        c.prepare_cached(
            "INSERT INTO anon_usage (client, day, pastes, bytes) VALUES (?1, ?2, 1, ?3) \
             ON CONFLICT (client, day) DO UPDATE SET pastes = pastes + 1, bytes = bytes + ?3",
        )?
        .execute(params![
            client,
            day,
            i64::try_from(size).unwrap_or(i64::MAX)
        ])?;
    }
    Ok(())
}

impl PasteStore {
    /// What `scope` has used at `now`.
    pub async fn usage(&self, scope: QuotaScope, now: i64) -> Result<Usage, StoreError> {
        self.pool.read(move |c| usage(c, &scope, now)).await?
    }

    /// Forgets daily anonymous usage of days before the one containing `now`.
    pub async fn purge_anon_usage(&self, now: i64) -> Result<usize, StoreError> {
        let today = now.div_euclid(DAY_SECS);
        Ok(self
            .pool
            .write(move |c| {
                c.prepare_cached("DELETE FROM anon_usage WHERE day < ?1")?
                    .execute([today])
            })
            .await??)
    }
}
