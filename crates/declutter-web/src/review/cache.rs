//! Rendered pages of duplicate groups, reused while the owner's groups stay the same.
//!
//! A page of 20 groups costs its group query, a member query over a couple of hundred file rows
//! and the views built from them; a signed-in request costs a tenth of that. The groups change
//! only when a scan, apply, restore, purge or verification writes, so a page is kept with the
//! owner's view version (`declutter_core::store::groups::view_version`, maintained by triggers
//! in the database) and served again while the version read at the start of a request still
//! matches. Writers anywhere (another connection, the CLI in another process) move the version,
//! so nothing here needs to be told about writes.

use std::sync::Arc;

use quick_cache::sync::Cache;

use crate::handlers::dupes::DupesView;

/// Pages kept in memory; each holds at most 20 groups' file views.
const PAGES: usize = 512;

/// The cache, shared by all requests.
#[derive(Debug)]
pub struct DupesCache(Cache<(Arc<str>, usize), (i64, Arc<DupesView>)>);

impl Default for DupesCache {
    fn default() -> Self {
        Self(Cache::new(PAGES))
    }
}

impl DupesCache {
    /// Page `page` of `owner`'s groups if it was rendered at `version`.
    pub fn get(&self, owner: &Arc<str>, page: usize, version: i64) -> Option<Arc<DupesView>> {
        self.0
            .get(&(Arc::clone(owner), page))
            .filter(|(at, _)| *at == version)
            .map(|(_, view)| view)
    }

    /// Keeps `view`, page `page` of `owner`'s groups rendered from data read after `version`
    /// was read (so a newer version can only make it a miss, never serve it stale).
    pub fn put(&self, owner: Arc<str>, page: usize, version: i64, view: Arc<DupesView>) {
        self.0.insert((owner, page), (version, view));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(total_groups: usize) -> Arc<DupesView> {
        Arc::new(DupesView {
            page: 1,
            pages: 1,
            total_groups,
            reclaimable_bytes: 0,
            groups: Vec::new(),
        })
    }

    #[test]
    fn pages_are_served_only_at_their_version_and_to_their_owner() {
        let cache = DupesCache::default();
        let (alice, bob): (Arc<str>, Arc<str>) = (Arc::from("alice"), Arc::from("bob"));
        cache.put(Arc::clone(&alice), 1, 7, view(3));
        assert_eq!(cache.get(&alice, 1, 7).map(|v| v.total_groups), Some(3));
        assert!(
            cache.get(&alice, 1, 8).is_none(),
            "a newer version is a miss"
        );
        assert!(cache.get(&alice, 2, 7).is_none(), "another page is a miss");
        assert!(cache.get(&bob, 1, 7).is_none(), "another owner is a miss");
    }
}
