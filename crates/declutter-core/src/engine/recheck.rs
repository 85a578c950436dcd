//! Has a file changed since it was planned? Local: size, mtime and content hash (size and mtime
//! for a never-hashed file removed on its own). OneDrive:
//! eTag. Google Drive: md5 and modifiedTime. Anything else different counts as changed.

use crate::provider::Item;
use crate::store::plans::PlanItem;

/// True when `now` is still the version `planned` describes.
pub fn unchanged(planned: &PlanItem, now: &Item) -> bool {
    if now.is_dir || now.size != planned.size {
        return false;
    }
    let same_hash = now
        .hash
        .as_ref()
        .map(|h| (h.kind.as_str(), h.value.as_str()))
        == planned.hash_kind.as_deref().zip(planned.hash.as_deref());
    // A file removed on its own (clutter) may never have been hashed (no other file shares
    // its size): the plan has no content hash to compare, so size and mtime decide, as they do
    // for the scan. A duplicate's plan item always has one.
    let unhashed_single =
        planned.hash.is_none() && planned.group_key.starts_with(super::clutter::SINGLE);
    match planned.provider.as_str() {
        "local" => (same_hash || unhashed_single) && now.modified_ns == planned.modified_ns,
        "onedrive" => match (&planned.etag, &now.etag) {
            (Some(a), Some(b)) => a == b,
            _ => same_hash && now.modified_ns == planned.modified_ns,
        },
        _ => same_hash && now.modified_ns == planned.modified_ns,
    }
}
