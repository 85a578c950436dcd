//! An owner managing their pastes: the listing behind `GET /pastes` and the in-place update
//! behind `PUT /{id}`.

use platform_db::rusqlite::{self, OptionalExtension, TransactionBehavior, params};

use super::blob::{Bound, fill};
use super::quota::{self, Quota, Usage};
use super::read::{META_COLUMNS, meta_from_row};
use super::spool::Content;
use super::write::{Dedup, DedupPolicy, throttle};
use super::{PasteMeta, PasteStore, StoreError};

/// Which pastes a listing returns.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Only this owner's; `None` lists everyone's (admins only: the caller checks).
    pub owner: Option<String>,
    /// Exactly this MIME type.
    pub mime_exact: Option<String>,
    /// MIME types starting with this (`image/` for `image/*`).
    pub mime_prefix: Option<String>,
    /// Created at or after (unix seconds).
    pub after: Option<i64>,
    /// Created before (unix seconds).
    pub before: Option<i64>,
    /// Page size.
    pub limit: u32,
    /// Rows skipped.
    pub offset: u32,
}

/// One page of a listing and how many pastes match in all.
#[derive(Debug, Clone)]
pub struct ListPage {
    /// Newest first.
    pub pastes: Vec<PasteMeta>,
    /// Matches across all pages.
    pub total: u64,
}

/// New content for an update, checked by the caller like a create's.
#[derive(Debug, Clone)]
pub struct NewContent {
    /// The bytes, in memory or spooled to a file (written with incremental blob I/O).
    pub content: Content,
    /// SHA-256 of the bytes.
    pub sha256: [u8; 32],
    /// Detected MIME type.
    pub mime_type: String,
    /// Malware-scan verdict.
    pub scan: Option<String>,
}

impl NewContent {
    /// Its length in bytes.
    pub fn len(&self) -> u64 {
        self.content.len()
    }

    /// Whether it holds no bytes (an update never sends such content).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What an update changes; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct PasteUpdate {
    /// Replaces the content.
    pub content: Option<NewContent>,
    /// New expiry (unix seconds).
    pub expires_at: Option<i64>,
    /// `Some(None)` removes the password.
    pub password_hash: Option<Option<String>>,
    /// `Some(None)` removes the name.
    pub display_name: Option<Option<String>>,
}

/// Outcome of an update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Updated {
    /// Changed; the new metadata.
    Done(PasteMeta),
    /// Refused by the content-hash throttle.
    Throttled {
        /// Seconds until the window ends.
        retry_after: u64,
        /// Submissions of this content in the window.
        count: u64,
    },
    /// Gone, expired, or burn-after-read (which is never updated).
    NotFound,
    /// The new content would take the owner's quota past its byte limit.
    OverQuota {
        /// The quota's usage as found, the old content included.
        used: Usage,
    },
}

const FILTER: &str = "(?1 IS NULL OR owner = ?1) AND (expires_at IS NULL OR expires_at > ?2) \
     AND (?3 IS NULL OR mime_type = ?3) \
     AND (?4 IS NULL OR substr(mime_type, 1, length(?4)) = ?4) \
     AND (?5 IS NULL OR created_at >= ?5) AND (?6 IS NULL OR created_at < ?6)";

impl PasteStore {
    /// Live pastes matching `filter`, newest first.
    pub async fn list(&self, filter: ListFilter, now: i64) -> Result<ListPage, StoreError> {
        let rows = format!(
            "SELECT {META_COLUMNS} FROM pastes WHERE {FILTER} \
             ORDER BY created_at DESC, id LIMIT ?7 OFFSET ?8"
        );
        let count = format!("SELECT count(*) FROM pastes WHERE {FILTER}");
        Ok(self
            .pool
            .read(move |c| {
                let f = &filter;
                let pastes = c
                    .prepare_cached(&rows)?
                    .query_map(
                        params![
                            f.owner,
                            now,
                            f.mime_exact,
                            f.mime_prefix,
                            f.after,
                            f.before,
                            f.limit,
                            f.offset
                        ],
                        meta_from_row,
                    )?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                let total: i64 = c.prepare_cached(&count)?.query_row(
                    params![f.owner, now, f.mime_exact, f.mime_prefix, f.after, f.before],
                    |r| r.get(0),
                )?;
                Ok::<_, rusqlite::Error>(ListPage {
                    pastes,
                    total: u64::try_from(total).unwrap_or(0),
                })
            })
            .await??)
    }

    /// Applies `update` to a live paste that is not burn-after-read; new content passes the
    /// content-hash throttle and, when it grows the paste, the owner's `quota`, like a create,
    /// checked in the same transaction so concurrent updates cannot pass it together.
    pub async fn update(
        &self,
        id: &str,
        update: PasteUpdate,
        dedup: DedupPolicy,
        quota: Option<Quota>,
        now: i64,
    ) -> Result<Updated, StoreError> {
        let key = id.to_owned();
        let sql = format!(
            "UPDATE pastes SET \
             content = CASE WHEN ?2 THEN ?3 ELSE content END, \
             size = CASE WHEN ?2 THEN ?4 ELSE size END, \
             sha256 = CASE WHEN ?2 THEN ?5 ELSE sha256 END, \
             mime_type = CASE WHEN ?2 THEN ?6 ELSE mime_type END, \
             scan = CASE WHEN ?2 THEN ?7 ELSE scan END, \
             expires_at = coalesce(?8, expires_at), \
             password_hash = CASE WHEN ?9 THEN ?10 ELSE password_hash END, \
             display_name = CASE WHEN ?11 THEN ?12 ELSE display_name END \
             WHERE id = ?1 AND burn_after_read = 0 AND (expires_at IS NULL OR expires_at > ?13) \
             RETURNING {META_COLUMNS}"
        );
        let outcome = self
            .pool
            .write(move |c| -> Result<Updated, StoreError> {
                let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let u = &update;
                if let Some(new) = &u.content
                    && let Dedup::Throttled { retry_after, count } =
                        throttle(&tx, &new.sha256, now, dedup)?
                {
                    return Ok(Updated::Throttled { retry_after, count });
                }
                if let (Some(new), Some(q)) = (&u.content, &quota)
                    && let Some(used) = over_quota(&tx, &key, new.len(), q, now)?
                {
                    return Ok(Updated::OverQuota { used });
                }
                let content = u.content.as_ref();
                let bound = content.map(|n| Bound::of(&n.content)).transpose()?;
                let meta = tx
                    .prepare_cached(&sql)?
                    .query_row(
                        params![
                            key,
                            content.is_some(),
                            bound.as_ref().map(Bound::as_sql),
                            content.map(|n| i64::try_from(n.len()).unwrap_or(i64::MAX)),
                            content.map(|n| &n.sha256[..]),
                            content.map(|n| &n.mime_type),
                            content.and_then(|n| n.scan.as_ref()),
                            u.expires_at,
                            u.password_hash.is_some(),
                            u.password_hash.as_ref().and_then(Option::as_ref),
                            u.display_name.is_some(),
                            u.display_name.as_ref().and_then(Option::as_ref),
                            now
                        ],
                        meta_from_row,
                    )
                    .optional()?;
                // A refused update must not count against the content's throttle.
                match meta {
                    Some(meta) => {
                        if let Some(new) = content {
                            let rowid = tx
                                .prepare_cached("SELECT rowid FROM pastes WHERE id = ?1")?
                                .query_row([&key], |r| r.get(0))?;
                            fill(&tx, rowid, &new.content)?;
                        }
                        tx.commit()?;
                        Ok(Updated::Done(meta))
                    }
                    None => Ok(Updated::NotFound),
                }
            })
            .await?;
        self.hot.evict([id]);
        outcome
    }
}

/// The usage of `quota` when replacing paste `id`'s content by `new` bytes would take it
/// past its byte limit; `None` when it fits. Shrinking always fits, so an owner over a lowered
/// limit can still make room.
fn over_quota(
    c: &rusqlite::Connection,
    id: &str,
    new: u64,
    q: &Quota,
    now: i64,
) -> Result<Option<Usage>, StoreError> {
    let old: Option<i64> = c
        .prepare_cached("SELECT size FROM pastes WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    let old = u64::try_from(old.unwrap_or(0)).unwrap_or(0);
    if new <= old || q.limits.bytes == 0 {
        return Ok(None);
    }
    let used = quota::usage(c, &q.scope, now)?;
    let after = used.bytes.saturating_sub(old).saturating_add(new);
    Ok((after > q.limits.bytes).then_some(used))
}
