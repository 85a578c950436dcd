//! Results reused while the owner's groups stay the same.
//!
//! A page of 20 groups costs its group query, a member query over a couple of hundred file rows
//! and the views built from them; a signed-in request costs a tenth of that. The groups change
//! only when a scan, apply, restore, purge or verification writes, so a result is kept with the
//! owner's view version (`declutter_core::store::groups::view_version`, maintained by triggers
//! in the database) and served again while the version read at the start of a request still
//! matches. Writers anywhere (another connection, the CLI in another process) move the version,
//! so nothing here needs to be told about writes.

use std::sync::Arc;

use quick_cache::sync::Cache;

/// Results of one kind, by owner and a key (a page's canonical query), at a version.
pub struct VersionCache<V>(Cache<(Arc<str>, String), (i64, Arc<V>)>);

impl<V> std::fmt::Debug for VersionCache<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VersionCache")
            .field("len", &self.0.len())
            .finish()
    }
}

impl<V> VersionCache<V> {
    /// A cache of at most `entries` results.
    pub fn new(entries: usize) -> Self {
        Self(Cache::new(entries))
    }

    /// `owner`'s result for `key` if it was made at `version`.
    pub fn get(&self, owner: &Arc<str>, key: &str, version: i64) -> Option<Arc<V>> {
        self.0
            .get(&(Arc::clone(owner), key.to_owned()))
            .filter(|(at, _)| *at == version)
            .map(|(_, v)| v)
    }

    /// Keeps `value`, made from data read after `version` was read (so a newer version can only
    /// make it a miss, never serve it stale).
    pub fn put(&self, owner: Arc<str>, key: String, version: i64, value: Arc<V>) {
        self.0.insert((owner, key), (version, value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_are_served_only_at_their_version_and_to_their_owner() {
        let cache = VersionCache::new(8);
        let (alice, bob): (Arc<str>, Arc<str>) = (Arc::from("alice"), Arc::from("bob"));
        cache.put(Arc::clone(&alice), "page=1".into(), 7, Arc::new(3));
        assert_eq!(cache.get(&alice, "page=1", 7).as_deref(), Some(&3));
        assert!(
            cache.get(&alice, "page=1", 8).is_none(),
            "a newer version is a miss"
        );
        assert!(
            cache.get(&alice, "page=2", 7).is_none(),
            "another key is a miss"
        );
        assert!(
            cache.get(&bob, "page=1", 7).is_none(),
            "another owner is a miss"
        );
    }
}
