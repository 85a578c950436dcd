//! An in-memory cache of small, freely readable pastes, so a hot `GET /{id}/raw` answers
//! without a trip to the blocking pool and SQLite's file locks.
//!
//! Only pastes that can be served with no further check are cached: not burn-after-read, not
//! password protected, and at most [`MAX_ITEM_BYTES`] long. Pastes never change after they are
//! written, so the only ways an entry goes stale are deletion and expiry: every delete and purge
//! in the store evicts, and a hit past its `expires_at` is treated as a miss.
//!
//! A reader that missed fills the cache after its database read; a delete that lands between
//! that read and the fill would leave a deleted paste cached. Deletes therefore bump an epoch
//! *after* removing the row and *before* evicting, and a filler re-checks the epoch after
//! inserting and evicts its own entry when a delete happened meanwhile. Either the delete's
//! eviction runs after the fill, or the filler sees the new epoch: a deleted paste is never served
//! from memory.
//!
//! The cache belongs to one process: several `fpasted` processes over one database file would
//! not see each other's deletes, so such a deployment sets the capacity to 0.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use quick_cache::Weighter;
use quick_cache::sync::Cache;

use super::PasteMeta;

/// Larger pastes are read from the database each time.
pub const MAX_ITEM_BYTES: usize = 256 * 1024;

/// Rough bookkeeping cost of an entry beyond its content (metadata strings, key, node).
const ENTRY_OVERHEAD: u64 = 256;

/// A live paste and, when it may be served as is, its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readable {
    /// The paste's metadata.
    pub meta: PasteMeta,
    /// The content, present unless the paste burns after reading, has a password, or is
    /// longer than [`super::STREAM_THRESHOLD`] (streamed from the database instead).
    pub content: Option<Bytes>,
}

#[derive(Clone)]
struct ByContentLength;

impl Weighter<Box<str>, Arc<Readable>> for ByContentLength {
    fn weight(&self, _id: &Box<str>, paste: &Arc<Readable>) -> u64 {
        let content = paste.content.as_ref().map_or(0, Bytes::len);
        u64::try_from(content).unwrap_or(u64::MAX) + ENTRY_OVERHEAD
    }
}

/// The cache; disabled (every lookup a miss) with a capacity of 0.
pub(super) struct HotPastes {
    cache: Option<Cache<Box<str>, Arc<Readable>, ByContentLength>>,
    deletes: AtomicU64,
}

impl std::fmt::Debug for HotPastes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HotPastes")
            .field("enabled", &self.cache.is_some())
            .field("entries", &self.cache.as_ref().map_or(0, Cache::len))
            .finish_non_exhaustive()
    }
}

impl HotPastes {
    /// A cache holding about `capacity_bytes` of content.
    pub(super) fn new(capacity_bytes: u64) -> Self {
        let cache = (capacity_bytes > 0).then(|| {
            // quick_cache sizes its tables from an item estimate; 4 KiB is a typical paste.
            let items = usize::try_from(capacity_bytes / 4096).unwrap_or(usize::MAX);
            Cache::with_weighter(items.max(16), capacity_bytes, ByContentLength)
        });
        Self {
            cache,
            deletes: AtomicU64::new(0),
        }
    }

    /// The cached paste `id` if it is still live at `now`.
    pub(super) fn get(&self, id: &str, now: i64) -> Option<Arc<Readable>> {
        let cache = self.cache.as_ref()?;
        let hit = cache.get(id)?;
        if hit.meta.expires_at.is_some_and(|at| at <= now) {
            cache.remove(id);
            return None;
        }
        Some(hit)
    }

    /// The epoch to pass to [`HotPastes::fill`], taken before the database read.
    pub(super) fn epoch(&self) -> u64 {
        self.deletes.load(Ordering::SeqCst)
    }

    /// Caches `paste`, read from the database after `epoch` was taken, if it qualifies.
    pub(super) fn fill(&self, paste: &Arc<Readable>, epoch: u64) {
        let Some(cache) = &self.cache else { return };
        // The reader leaves the content out of guarded pastes; refusing them here as well keeps
        // one slip in a query from serving a burn-after-read paste twice.
        if paste.meta.burn_after_read || paste.meta.password_hash.is_some() {
            return;
        }
        let Some(content) = &paste.content else {
            return;
        };
        if content.len() > MAX_ITEM_BYTES {
            return;
        }
        let id: Box<str> = paste.meta.id.as_str().into();
        cache.insert(id, Arc::clone(paste));
        if self.deletes.load(Ordering::SeqCst) != epoch {
            cache.remove(paste.meta.id.as_str());
        }
    }

    /// Forgets `ids`; called after their rows are gone from the database.
    pub(super) fn evict<'a>(&self, ids: impl IntoIterator<Item = &'a str>) {
        self.deletes.fetch_add(1, Ordering::SeqCst);
        if let Some(cache) = &self.cache {
            for id in ids {
                cache.remove(id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paste(id: &str, content: Option<&[u8]>, expires_at: Option<i64>) -> Arc<Readable> {
        guarded(id, content, expires_at, false, None)
    }

    fn guarded(
        id: &str,
        content: Option<&[u8]>,
        expires_at: Option<i64>,
        burn_after_read: bool,
        password_hash: Option<&str>,
    ) -> Arc<Readable> {
        Arc::new(Readable {
            meta: PasteMeta {
                id: id.into(),
                mime_type: "text/plain".into(),
                size: content.map_or(0, |c| c.len() as u64),
                owner: None,
                created_at: 0,
                expires_at,
                burn_after_read,
                password_hash: password_hash.map(str::to_owned),
                delete_token_hash: None,
                scan: None,
                display_name: None,
            },
            content: content.map(Bytes::copy_from_slice),
        })
    }

    #[test]
    fn serves_what_it_was_filled_with_until_expiry() {
        let hot = HotPastes::new(1 << 20);
        let p = paste("a", Some(b"hello"), Some(100));
        hot.fill(&p, hot.epoch());
        assert_eq!(hot.get("a", 99).as_deref(), Some(&*p));
        assert!(hot.get("a", 100).is_none(), "expired entries are misses");
        assert!(hot.get("a", 50).is_none(), "and are dropped on sight");
    }

    #[test]
    fn never_holds_guarded_or_large_pastes() {
        let hot = HotPastes::new(1 << 30);
        // Each comes with its content, so only its flag can keep it out.
        let burn = guarded("burn", Some(b"once"), None, true, None);
        let locked = guarded("locked", Some(b"secret"), None, false, Some("$argon2id$x"));
        hot.fill(&burn, hot.epoch());
        hot.fill(&locked, hot.epoch());
        let big = vec![b'x'; MAX_ITEM_BYTES + 1];
        hot.fill(&paste("big", Some(&big), None), hot.epoch());
        assert!(hot.get("burn", 0).is_none());
        assert!(hot.get("locked", 0).is_none());
        assert!(hot.get("big", 0).is_none());
        // The control: the same paste without its flag is held.
        hot.fill(&paste("plain", Some(b"once"), None), hot.epoch());
        assert!(hot.get("plain", 0).is_some());
    }

    #[test]
    fn a_delete_during_the_fill_wins() {
        let hot = HotPastes::new(1 << 20);
        let epoch = hot.epoch();
        // The row was read, then deleted (and evicted) before the reader filled the cache.
        hot.evict(["a"]);
        hot.fill(&paste("a", Some(b"stale"), None), epoch);
        assert!(hot.get("a", 0).is_none());
    }

    #[test]
    fn eviction_and_zero_capacity() {
        let hot = HotPastes::new(1 << 20);
        hot.fill(&paste("a", Some(b"x"), None), hot.epoch());
        hot.evict(["a"]);
        assert!(hot.get("a", 0).is_none());

        let off = HotPastes::new(0);
        off.fill(&paste("a", Some(b"x"), None), off.epoch());
        assert!(off.get("a", 0).is_none());
    }

    #[test]
    fn capacity_bounds_the_content_held() {
        let hot = HotPastes::new(64 * 1024);
        let body = vec![b'y'; 4096];
        for i in 0..200 {
            hot.fill(&paste(&format!("p{i}"), Some(&body), None), hot.epoch());
        }
        let held = (0..200)
            .filter(|i| hot.get(&format!("p{i}"), 0).is_some())
            .count();
        assert!(held > 0 && held * 4096 <= 64 * 1024, "held {held} entries");
    }
}
