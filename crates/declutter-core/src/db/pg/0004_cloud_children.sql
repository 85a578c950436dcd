-- SQLite migration 15: local rows leave the index of parent links, which only a cloud delta's
-- path rebuild reads (store::listing).
DROP INDEX files_children;
CREATE INDEX files_children ON files (user_id, source, parent_id) WHERE provider <> 'local';
