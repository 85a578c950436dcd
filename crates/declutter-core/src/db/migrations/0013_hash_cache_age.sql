-- Hash cache entries carry the time they were stored, so a scan can drop the ones unused for
-- `store::cache::KEEP_SECS` (the cache otherwise grew with every file ever deleted). Entries
-- from before count as old: the first scan after the upgrade drops them (a moved file's
-- contents are read once more, nothing else).
ALTER TABLE hash_cache ADD COLUMN stored_at INTEGER NOT NULL DEFAULT 0;
